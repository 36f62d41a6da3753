/**
 * Calls of the AWS SDK for JavaScript v3 on the moto server, by service and operation name, as Step
 * Functions' `aws-sdk:<service>:<action>` integrations make them; boto3 (installed with moto) for the
 * services whose JavaScript client this project does not install (DynamoDB, SNS, EventBridge).
 */
import * as cloudformation from '@aws-sdk/client-cloudformation';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as lambda from '@aws-sdk/client-lambda';
import * as s3 from '@aws-sdk/client-s3';
import * as sagemaker from '@aws-sdk/client-sagemaker';
import * as sfn from '@aws-sdk/client-sfn';
import { queryMoto, MOTO_REGION, MotoServer } from '../test/helpers/moto';

/** Step Functions' service names (the Resource's lowercase one -> the error prefix) and the v3 client package. */
const SERVICES: Record<string, { prefix: string; client?: Record<string, any>; clientClass?: string; boto: string }> = {
  sagemaker: { prefix: 'SageMaker', client: sagemaker, clientClass: 'SageMakerClient', boto: 'sagemaker' },
  cloudformation: { prefix: 'CloudFormation', client: cloudformation, clientClass: 'CloudFormationClient', boto: 'cloudformation' },
  s3: { prefix: 'S3', client: s3, clientClass: 'S3Client', boto: 's3' },
  sfn: { prefix: 'Sfn', client: sfn, clientClass: 'SFNClient', boto: 'stepfunctions' },
  lambda: { prefix: 'Lambda', client: lambda, clientClass: 'LambdaClient', boto: 'lambda' },
  cloudwatch: { prefix: 'CloudWatch', client: cloudwatch, clientClass: 'CloudWatchClient', boto: 'cloudwatch' },
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

/** How long one call may take: moto answers in well under a second, so a call past this means it hangs. */
export const CALL_TIMEOUT_MS = 60_000;

export class AwsOnMoto {
  private readonly clients = new Map<string, any>();
  /** Every call made, in order: `service.Operation`. */
  readonly calls: string[] = [];

  constructor(private readonly moto: MotoServer, private readonly timeoutMs = CALL_TIMEOUT_MS) {}

  config() {
    return {
      endpoint: this.moto.endpoint,
      region: MOTO_REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      forcePathStyle: true,
      maxAttempts: 1,
      // Bounded: a call moto never answers fails (naming it) instead of holding the run until its limit.
      requestHandler: { connectionTimeout: Math.min(5_000, this.timeoutMs), requestTimeout: this.timeoutMs, throwOnRequestTimeout: true },
    };
  }

  /** A v3 client of the service (e.g. 's3'), pointed at moto. */
  client(service: string): any {
    const spec = SERVICES[service];
    if (!spec?.client) throw new Error(`no AWS SDK v3 client for ${service} in node_modules`);
    if (!this.clients.has(service)) this.clients.set(service, new spec.client[spec.clientClass!](this.config()));
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
    const Command = spec.client[`${operation}Command`];
    if (!Command) throw new Error(`@aws-sdk/client-${service} has no ${operation}Command`);
    try {
      const { $metadata, ...output } = await this.client(service).send(new Command(input));
      void $metadata;
      return JSON.parse(JSON.stringify(output));
    } catch (e: any) {
      if (e?.$metadata === undefined || e?.$metadata.httpStatusCode === undefined) {
        // No answer from moto (a timeout, a refused connection): say which call, where.
        throw new Error(`${service}.${operation} got no answer from moto at ${this.moto.endpoint}: ${e?.name}: ${e?.message}`);
      }
      throw stepFunctionsError(sdkErrorName(service, e.name ?? 'Unknown'), `${service}.${operation} on moto: ${e.message}`);
    }
  }
}

/** `describeStacks` -> `DescribeStacks`. */
export function pascal(action: string): string {
  return action.charAt(0).toUpperCase() + action.slice(1);
}
