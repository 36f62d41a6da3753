import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFindings, acknowledgeInlinePolicy, acknowledgeWildcards } from './nag';

/** Where scripts/bundle-handlers.mjs bundles lambda/<name>. */
const ASSETS = path.join(__dirname, '..', '..', '..', 'assets', 'lambda');

export interface HandlerFunctionProps {
  /** The handler's folder under lambda/ (and assets/lambda/). */
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment?: Record<string, string>;
  readonly loggingFormat?: lambda.LoggingFormat;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Reserved concurrent executions; none by default. */
  readonly reservedConcurrency?: number;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Why no dead-letter queue, for cdk-nag: how the function is invoked. */
  readonly noDeadLetterQueueReason: string;
  /** Why no reserved concurrency (when none is reserved), for cdk-nag. */
  readonly noReservedConcurrencyReason: string;
  /** Why outside a VPC (when no vpc is given), for cdk-nag. */
  readonly outsideVpcReason: string;
}

/**
 * A library function from a bundled handler: its own least-privilege role (callers add the data
 * grants), an encrypted log group kept when the stack goes, and tracing. No concurrency is
 * reserved unless asked: a new account's limit of 10 leaves nothing to reserve (Lambda keeps 10
 * unreserved).
 */
export class HandlerFunction extends Construct implements iam.IGrantable {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.grantPrincipal = this.role;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(ASSETS, props.handler)),
      role: this.role,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: props.environment,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: props.loggingFormat,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : undefined,
    });
    logGroup.grantWrite(this.role);
    acknowledgeWildcards(this.role, { resources: ['*'] }, 'X-Ray trace segments and, in a VPC, network interfaces have no resource-level permissions.');
    acknowledgeInlinePolicy(this.role);
    acknowledgeFindings(this.function, [{ rules: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ'], reason: props.noDeadLetterQueueReason }]);
    if (props.reservedConcurrency === undefined) {
      acknowledgeFindings(this.function, [{
        rules: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency', 'PCI.DSS.321-LambdaConcurrency'],
        reason: props.noReservedConcurrencyReason,
      }]);
    }
    if (!props.vpc) {
      acknowledgeFindings(this.function, [{
        rules: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
        reason: props.outsideVpcReason,
      }]);
    }
  }
}
