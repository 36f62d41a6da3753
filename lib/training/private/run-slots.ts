import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { addRetries } from './retry-policies';
import { coordinationTable } from '../../core/private/coordination-table';
import { DYNAMODB_CONDITION_FAILED } from '../../core/private/dynamodb-errors';

/** The item that counts the runs holding a slot; each holder is an attribute named by its execution ARN. */
const SLOTS_ITEM = 'slots';
/** Prefix of the items that claim a run start, keyed by what started it (an object version, a schedule time). */
export const CLAIM_PREFIX = 'run#';
/** The error DynamoDB's optimized integration raises when a ConditionExpression is false. */
export { DYNAMODB_CONDITION_FAILED as CONDITION_FAILED };

export interface RunSlotsProps {
  readonly encryptionKey: kms.IKey;
  readonly maxConcurrentRuns: number;
}

/**
 * The table behind a pipeline's run coordination (AWS's DynamoDB semaphore pattern for Step
 * Functions): a conditional PutItem claims a run start once per data-set version, and a
 * conditional UpdateItem takes one of `maxConcurrentRuns` slots. Conditional writes are strongly
 * consistent, so two runs can neither both claim one start nor both take the last slot, which a
 * check of ListExecutions (eventually consistent) cannot promise. The table only coordinates
 * runs (the run manifests are the record), so it goes with the stack.
 */
export class RunSlots extends Construct {
  public readonly table: dynamodb.Table;
  private readonly key: kms.IKey;
  private readonly max: number;

  constructor(scope: Construct, id: string, props: RunSlotsProps) {
    super(scope, id);
    this.key = props.encryptionKey;
    this.max = props.maxConcurrentRuns;
    this.table = coordinationTable(this, 'Table', props.encryptionKey, 'run coordination (start claims and slot counts)');
  }

  /**
   * Claims the start of one run for `keyPath` (a string in the state): fails with
   * ConditionalCheckFailed when another execution claimed it first. A claim this execution holds
   * already passes: a retried call whose first attempt wrote the item (an internal error after
   * the write) must not end the run as a duplicate of itself.
   */
  public claim(scope: Construct, id: string, keyPath: string): tasks.DynamoPutItem {
    const task = new tasks.DynamoPutItem(scope, id, {
      comment: 'Starts one run per data-set version: S3 and EventBridge deliver events at least once',
      table: this.table,
      item: {
        pk: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.format(`${CLAIM_PREFIX}{}`, sfn.JsonPath.stringAt(keyPath))),
        execution: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
        startTime: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.StartTime')),
      },
      conditionExpression: 'attribute_not_exists(pk) OR #execution = :execution',
      expressionAttributeNames: { '#execution': 'execution' },
      expressionAttributeValues: { ':execution': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(task, 'dynamoDb');
    return task;
  }

  /** Takes a slot for this execution: fails with ConditionalCheckFailed while every slot is held. */
  public acquire(scope: Construct, id: string): tasks.DynamoUpdateItem {
    const task = new tasks.DynamoUpdateItem(scope, id, {
      comment: `At most ${this.max} run(s) at once`,
      table: this.table,
      key: { pk: tasks.DynamoAttributeValue.fromString(SLOTS_ITEM) },
      // Creates the item on first use; a run that holds a slot already (a retried call) cannot take a second.
      updateExpression: 'ADD #held :one SET #holder = :since',
      conditionExpression: 'attribute_not_exists(#holder) AND (attribute_not_exists(#held) OR #held < :max)',
      expressionAttributeNames: { '#held': 'held', '#holder': sfn.JsonPath.executionId },
      expressionAttributeValues: {
        ':one': tasks.DynamoAttributeValue.fromNumber(1),
        ':max': tasks.DynamoAttributeValue.fromNumber(this.max),
        ':since': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.StartTime')),
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(task, 'dynamoDb');
    return task;
  }

  /**
   * Succeeds when this execution holds a slot already, else fails with ConditionalCheckFailed:
   * asked after `acquire` failed its condition, it tells a retried call whose first attempt took
   * the slot (an internal error after the write) from a run that found every slot held, which
   * would otherwise wait, holding a slot, until it queued too long.
   */
  public held(scope: Construct, id: string): tasks.DynamoUpdateItem {
    const task = new tasks.DynamoUpdateItem(scope, id, {
      comment: 'Whether this run took its slot already (a retried call)',
      table: this.table,
      key: { pk: tasks.DynamoAttributeValue.fromString(SLOTS_ITEM) },
      // Writes the value the holder attribute has already: DynamoDB has no conditional read.
      updateExpression: 'SET #holder = :since',
      conditionExpression: 'attribute_exists(#holder)',
      expressionAttributeNames: { '#holder': sfn.JsonPath.executionId },
      expressionAttributeValues: { ':since': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.StartTime')) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(task, 'dynamoDb');
    return task;
  }

  /**
   * Frees the slot of the execution at `executionPath` (the context's own id by default). Fails
   * with ConditionalCheckFailed when it holds none, so releasing twice never frees a slot twice.
   */
  public release(scope: Construct, id: string, executionPath: string = '$$.Execution.Id'): tasks.DynamoUpdateItem {
    const task = new tasks.DynamoUpdateItem(scope, id, {
      table: this.table,
      key: { pk: tasks.DynamoAttributeValue.fromString(SLOTS_ITEM) },
      updateExpression: 'ADD #held :minusOne REMOVE #holder',
      conditionExpression: 'attribute_exists(#holder)',
      expressionAttributeNames: { '#held': 'held', '#holder': sfn.JsonPath.stringAt(executionPath) },
      expressionAttributeValues: { ':minusOne': tasks.DynamoAttributeValue.fromNumber(-1) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(task, 'dynamoDb');
    return task;
  }

  /** The tasks call DynamoDB with the caller's role; the table's key must let it read and write items. */
  public grantKeyUse(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  }
}
