import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HandlerFunction } from '../../core/private/handler-function';

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
 * A function of the pipeline's run (the run manifest, the drift baseline), invoked by the state
 * machine, which retries throttled calls. Its data grants are added by the pipeline.
 */
export class PipelineFunction extends HandlerFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id, {
      ...props,
      noDeadLetterQueueReason: 'Step Functions invokes the function synchronously and retries and catches its errors; a dead-letter queue only serves asynchronous invocations.',
      noReservedConcurrencyReason: 'Reserving concurrency fails the deploy in accounts whose limit leaves fewer than 10 unreserved; runs call the function a few times each and retry throttling.'
        + (props.reservedConcurrencyProp ? ` Set ${props.reservedConcurrencyProp} to reserve some.` : ''),
      outsideVpcReason: 'The function only calls S3 over TLS; give the pipeline a vpc to run it, and the jobs, inside one.',
    });
  }
}
