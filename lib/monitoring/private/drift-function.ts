import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HandlerFunction } from '../../core/private/handler-function';

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

/** One drift handler; its log group also carries its EMF metrics. Data grants are added by the monitor. */
export class DriftFunction extends HandlerFunction {
  constructor(scope: Construct, id: string, props: DriftFunctionProps) {
    super(scope, id, {
      ...props,
      // The core streams line by line and stays under 256 MB; the rest buys CPU for parsing.
      memorySize: Size.gibibytes(1).toMebibytes(),
      // Text, not JSON: the handlers write EMF documents to stdout, one a line, for CloudWatch Logs to extract.
      loggingFormat: lambda.LoggingFormat.TEXT,
      noDeadLetterQueueReason: 'Step Functions invokes the function synchronously and retries its errors; a dead-letter queue only serves asynchronous invocations.',
      noReservedConcurrencyReason: 'The Distributed Map\'s maxConcurrency bounds the workers; reserving concurrency can fail a first deploy in accounts whose limit is 10, since Lambda keeps 10 unreserved.',
      outsideVpcReason: 'The function only reads and writes S3 over TLS; give the monitor a vpc to run it inside one.',
    });
  }
}
