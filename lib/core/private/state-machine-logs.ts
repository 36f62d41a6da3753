import { Aws, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The log group of a state machine. Under `/aws/vendedlogs/`, so Step Functions need not add
 * it to the account's CloudWatch Logs resource policy (5,120 characters for all log groups);
 * ended with the stack's own id, so a group kept after a destroy never blocks a redeploy;
 * and kept on delete but not on a failed create (RetainExceptOnCreate), so a retried first
 * deploy does not find it there.
 */
export function stateMachineLogGroup(scope: Construct, id: string, props: {
  readonly name: string;
  readonly encryptionKey: kms.IKey;
  readonly retention: logs.RetentionDays;
}): logs.LogGroup {
  // arn:...:stack/<name>/<uuid>: the uuid's first group is its time-based part, new with every stack
  // created (the last group of a version-1 UUID is a node id that two stacks may share).
  const stackInstance = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
  return new logs.LogGroup(scope, id, {
    logGroupName: Fn.join('', [`/aws/vendedlogs/states/${props.name}-`, stackInstance]),
    encryptionKey: props.encryptionKey,
    retention: props.retention,
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  });
}
