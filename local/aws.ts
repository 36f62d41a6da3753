/**
 * Calls of the AWS SDK for JavaScript v3 on the moto server, by service and operation name, as Step
 * Functions' `aws-sdk:<service>:<action>` integrations make them; boto3 (installed with moto) for the
 * services whose JavaScript client this project does not install (DynamoDB, SNS, EventBridge).
 */
import { queryMoto, MOTO_REGION, MotoServer } from '../test/helpers/moto';

/** Step Functions' service names (the Resource's lowercase one -> the error prefix) and the v3 client package. */
const SERVICES: Record<string, { prefix: string; client?: string; clientClass?: string; boto: string }> = {
  sagemaker: { prefix: 'SageMaker', client: '@aws-sdk/client-sagemaker', clientClass: 'SageMakerClient', boto: 'sagemaker' },
  cloudformation: { prefix: 'CloudFormation', client: '@aws-sdk/client-cloudformation', clientClass: 'CloudFormationClient', boto: 'cloudformation' },
  s3: { prefix: 'S3', client: '@aws-sdk/client-s3', clientClass: 'S3Client', boto: 's3' },
  sfn: { prefix: 'Sfn', client: '@aws-sdk/client-sfn', clientClass: 'SFNClient', boto: 'stepfunctions' },
  lambda: { prefix: 'Lambda', client: '@aws-sdk/client-lambda', clientClass: 'LambdaClient', boto: 'lambda' },
  cloudwatch: { prefix: 'CloudWatch', client: '@aws-sdk/client-cloudwatch', clientClass: 'CloudWatchClient', boto: 'cloudwatch' },
  dynamodb: { prefix: 'DynamoDB', boto: 'dynamodb' },
  sns: { prefix: 'Sns', boto: 'sns' },
  eventbridge: { prefix: 'EventBridge', boto: 'events' },
};

/** An error named as Step Functions names it, so the machine's Retry and Catch match it. */
export function stepFunctionsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** `ServiceName.ErrorNameException`: AWS adds the suffix where the service's own name lacks it. */
export function sdkErrorName(service: string, code: string): string {
  const prefix = SERVICES[service]?.prefix ?? service;
  return `${prefix}.${code.endsWith('Exception') ? code : `${code}Exception`}`;
}

export class AwsOnMoto {
  private readonly clients = new Map<string, any>();
  /** Every call made, in order: `service.Operation`. */
  readonly calls: string[] = [];

  constructor(private readonly moto: MotoServer) {}

  config() {
    return {
      endpoint: this.moto.endpoint,
      region: MOTO_REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      forcePathStyle: true,
      maxAttempts: 1,
    };
  }

  /** A v3 client of the service (e.g. 's3'), pointed at moto. */
  client(service: string): any {
    const spec = SERVICES[service];
    if (!spec?.client) throw new Error(`no AWS SDK v3 client for ${service} in node_modules`);
    if (!this.clients.has(service)) {
      const module = require(spec.client);
      this.clients.set(service, new module[spec.clientClass!](this.config()));
    }
    return this.clients.get(service);
  }

  /**
   * `Operation` (PascalCase, e.g. 'DescribeStacks') of `service` with `input`, answered as plain JSON
   * (dates as ISO strings, no $metadata). Service errors are thrown as `ServiceName.ErrorName`.
   */
  async call(service: string, operation: string, input: Record<string, unknown> = {}): Promise<any> {
    const spec = SERVICES[service];
    if (!spec) throw new Error(`the local run does not know AWS service '${service}'`);
    this.calls.push(`${service}.${operation}`);
    if (!spec.client) {
      const [answer] = await queryMoto(this.moto, [{ service: spec.boto, operation, params: input }]);
      if (answer.error) throw stepFunctionsError(sdkErrorName(service, answer.error.code), answer.error.message);
      return answer.result;
    }
    const module = require(spec.client);
    const Command = module[`${operation}Command`];
    if (!Command) throw new Error(`${spec.client} has no ${operation}Command`);
    try {
      const { $metadata, ...output } = await this.client(service).send(new Command(input));
      void $metadata;
      return JSON.parse(JSON.stringify(output));
    } catch (e: any) {
      if (e?.$metadata === undefined) throw e;
      throw stepFunctionsError(sdkErrorName(service, e.name ?? 'Unknown'), `${service}.${operation} on moto: ${e.message}`);
    }
  }
}

/** `describeStacks` -> `DescribeStacks`. */
export function pascal(action: string): string {
  return action.charAt(0).toUpperCase() + action.slice(1);
}
