import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFindings, acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';

/** Where scripts/bundle-handlers.mjs bundles lambda/<name>. */
const ASSETS = path.join(__dirname, '..', '..', '..', 'assets', 'lambda');

export interface PipelineFunctionProps {
  /** The handler's folder under lambda/ (and assets/lambda/). */
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** The pipeline prop that reserves concurrency, named in the acknowledgement. */
  readonly reservedConcurrencyProp?: string;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Reserved concurrent executions; none by default. */
  readonly reservedConcurrency?: number;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * A function of the pipeline's run (the run manifest, the drift baseline): its own
 * least-privilege role, an encrypted log group and tracing. No concurrency is reserved unless asked: a new account's limit of 10 leaves
 * nothing to reserve (Lambda keeps 10 unreserved), and Step Functions retries throttled calls.
 * Its data grants are added by the pipeline.
 */
export class PipelineFunction extends Construct implements iam.IGrantable {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.role = role;
    this.grantPrincipal = role;
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(ASSETS, props.handler)),
      role,
      timeout: props.timeout,
      memorySize: props.memorySize,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : undefined,
    });
    logGroup.grantWrite(role);
    acknowledgeWildcards(role, { resources: ['*'] }, 'X-Ray trace segments and, in a VPC, network interfaces have no resource-level permissions.');
    acknowledgeInlinePolicy(role);
    acknowledgeFindings(this.function, [{
      rules: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ'],
      reason: 'Step Functions invokes the function synchronously and retries and catches its errors; a dead-letter queue only serves asynchronous invocations.',
    }]);
    if (props.reservedConcurrency === undefined) {
      acknowledgeFindings(this.function, [{
        rules: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency', 'PCI.DSS.321-LambdaConcurrency'],
        reason: 'Reserving concurrency fails the deploy in accounts whose limit leaves fewer than 10 unreserved; runs call the function a few times each and retry throttling.'
          + (props.reservedConcurrencyProp ? ` Set ${props.reservedConcurrencyProp} to reserve some.` : ''),
      }]);
    }
    if (!props.vpc) {
      acknowledgeFindings(this.function, [{
        rules: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
        reason: 'The function only calls S3 over TLS; give the pipeline a vpc to run it, and the jobs, inside one.',
      }]);
    }
  }
}
