import * as path from 'path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFindings, acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';

/** The handlers of lambda/drift/CONTRACT.md, bundled by scripts/bundle-handlers.mjs. */
export type DriftHandler = 'drift-detect' | 'drift-partial' | 'drift-merge' | 'drift-quality';

export interface DriftFunctionProps {
  readonly handler: DriftHandler;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * One drift handler: its own least-privilege role (data grants are added by the monitor), an
 * encrypted log group that also carries its EMF metrics, tracing, and no reserved concurrency.
 */
export class DriftFunction extends Construct implements iam.IGrantable {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: DriftFunctionProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.grantPrincipal = this.role;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', '..', 'assets', 'lambda', props.handler)),
      role: this.role,
      timeout: props.timeout,
      // The core streams line by line and stays under 256 MB; the rest buys CPU for parsing.
      memorySize: Size.gibibytes(1).toMebibytes(),
      environment: props.environment,
      tracing: lambda.Tracing.ACTIVE,
      // Text, not JSON: the handlers write EMF documents to stdout, one a line, for CloudWatch Logs to extract.
      loggingFormat: lambda.LoggingFormat.TEXT,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : undefined,
    });
    logGroup.grantWrite(this.role);
    acknowledgeWildcards(this.role, { resources: ['*'] }, 'X-Ray trace segments and, in a VPC, network interfaces have no resource-level permissions.');
    acknowledgeInlinePolicy(this.role);
    acknowledgeFindings(this.function, [{
      rules: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ'],
      reason: 'Step Functions invokes the function synchronously and retries its errors; a dead-letter queue only serves asynchronous invocations.',
    }, {
      rules: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency', 'PCI.DSS.321-LambdaConcurrency'],
      reason: 'The Distributed Map\'s maxConcurrency bounds the workers; reserving concurrency can fail a first deploy in accounts whose limit is 10, since Lambda keeps 10 unreserved.',
    }]);
    if (!props.vpc) {
      acknowledgeFindings(this.function, [{
        rules: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
        reason: 'The function only reads and writes S3 over TLS; give the monitor a vpc to run it inside one.',
      }]);
    }
  }
}
