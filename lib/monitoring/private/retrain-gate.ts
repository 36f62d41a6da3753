import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { alarmArn, alarmArnPattern } from './alarm-topic';
import { coordinationTable } from '../../core/private/coordination-table';
import { DYNAMODB_CONDITION_FAILED, DYNAMODB_RETRYABLE_ERRORS } from '../../core/private/dynamodb-errors';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';
import { grantPublish } from '../../core/private/publish';
import { stateMachineLogGroup } from '../../core/private/state-machine-logs';

export interface RetrainGateProps {
  readonly monitorName: string;
  readonly endpointName: string;
  /** The names of the alarms whose ALARM state starts retraining. */
  readonly alarmNames: string[];
  readonly stateMachine: sfn.IStateMachine;
  readonly cooldown: Duration;
  readonly encryptionKey: kms.Key;
  readonly notificationTopic: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
}

/** The single item that holds the cooldown: present while its holder execution runs. */
const LOCK_KEY = 'retrain';

/**
 * Starts retraining when an alarm goes to ALARM, at most once per cooldown, without Lambda.
 *
 * An EventBridge rule on the alarms' state changes starts this Standard state machine. It takes
 * a lock (a conditional PutItem of one DynamoDB item naming its own execution), starts the
 * training state machine, waits out the cooldown and releases the lock. While the lock is held
 * further alarms start nothing. A lock whose holder no longer runs (stopped, failed, timed out)
 * is stale: the next alarm checks the holder with DescribeExecution, deletes the lock
 * conditionally and takes it. The run's execution name is a hash of the alarm ARN and its
 * state-change time, so an event EventBridge delivers twice cannot start two runs
 * (StartExecution rejects a name it has seen: ExecutionAlreadyExists).
 */
export class RetrainGate extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly table: dynamodb.Table;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RetrainGateProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const machineName = `${props.monitorName}-retrain-gate`;
    this.table = coordinationTable(this, 'Cooldown', props.encryptionKey, 'the retraining cooldown lock');

    const definition = this.definition(props, machineName);
    const logGroup = stateMachineLogGroup(this, 'Logs', { name: machineName, encryptionKey: props.encryptionKey, retention: props.logRetention });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: machineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // The holder waits out the cooldown; a run that outlives it would hold the lock until it is found stale.
      timeout: props.cooldown.plus(Duration.hours(1)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `Starts retraining when monitor ${props.monitorName} alarms, at most once per ${props.cooldown.toHumanString()}`,
    });
    // DynamoDB tasks get table permissions from CDK; the table's key is ours to grant.
    props.encryptionKey.grant(this.stateMachine, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    grantPublish(this.stateMachine, props.notificationTopic);
    const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const alarms = alarmArnPattern(this, `${props.monitorName}-`);
    acknowledgeWildcards(this.stateMachine.role, { resources: [executions, alarms] },
      `The gate reads the state of its own executions (the lock holder) and of this monitor's alarms, named ${props.monitorName}-*.`);
    acknowledgeWildcards(this.stateMachine.role, { resources: ['*'] }, 'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level permissions.');
    acknowledgeInlinePolicy(this.stateMachine.role);

    const role = new iam.Role(this, 'RuleRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
    acknowledgeInlinePolicy(role);
    this.rule = new events.Rule(this, 'AlarmRule', {
      description: `Starts the retraining gate of monitor ${props.monitorName} when its composite alarms go to ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        // From the names, not the alarms' resources: the rule needs no alarm to exist first.
        resources: props.alarmNames.map((name) => alarmArn(this, name)),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine, { role })],
    });
  }

  private definition(props: RetrainGateProps, machineName: string): sfn.IChainable {
    const lockKey = { pk: tasks.DynamoAttributeValue.fromString(LOCK_KEY) };
    const heldBy = (path: string) => ({
      conditionExpression: 'holder = :holder',
      expressionAttributeValues: { ':holder': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(path)) },
    });
    const withRetry = <T extends sfn.TaskStateBase>(task: T): T => {
      task.addRetry({ errors: DYNAMODB_RETRYABLE_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 5 });
      return task;
    };

    const plan = new sfn.Pass(this, 'PlanRetrain', {
      comment: 'The alarm, and a run name derived from it so a duplicate event cannot start a second run',
      parameters: {
        alarm: {
          'name.$': '$.detail.alarmName',
          'arn.$': '$.resources[0]',
          'state.$': '$.detail.state.value',
          'reason.$': '$.detail.state.reason',
          'timestamp.$': '$.detail.state.timestamp',
        },
        'runName.$': "States.Format('drift-{}', States.Hash(States.Format('{}@{}', $.resources[0], $.detail.state.timestamp), 'MD5'))",
      },
    });
    const acquire = withRetry(new tasks.DynamoPutItem(this, 'AcquireCooldown', {
      comment: 'Takes the cooldown lock unless an execution holds it',
      table: this.table,
      item: {
        ...lockKey,
        holder: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
        alarm: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.alarm.name')),
        run: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.runName')),
        acquiredAt: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.StartTime')),
      },
      conditionExpression: 'attribute_not_exists(pk)',
      resultPath: sfn.JsonPath.DISCARD,
    }));
    const read = withRetry(new tasks.DynamoGetItem(this, 'ReadCooldown', {
      table: this.table, key: lockKey, consistentRead: true, resultPath: '$.cooldown',
    }));
    const describeHolder = new tasks.CallAwsService(this, 'DescribeHolder', {
      comment: 'Is the execution that holds the lock still running?',
      service: 'sfn',
      action: 'describeExecution',
      parameters: { ExecutionArn: sfn.JsonPath.stringAt('$.cooldown.Item.holder.S') },
      iamResources: [Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      resultSelector: { 'status.$': '$.Status' },
      resultPath: '$.holder',
    });
    describeHolder.addRetry({ errors: ['Sfn.SfnException', 'Sfn.SdkClientException'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3 });
    const releaseStale = withRetry(new tasks.DynamoDeleteItem(this, 'ReleaseStaleCooldown', {
      comment: 'The holder no longer runs: delete its lock, unless another execution already replaced it',
      table: this.table, key: lockKey, ...heldBy('$.cooldown.Item.holder.S'), resultPath: sfn.JsonPath.DISCARD,
    }));
    const inCooldown = new sfn.Succeed(this, 'InCooldown', { comment: 'A retraining run started within the cooldown; this alarm starts nothing' });

    const describeAlarms = new tasks.CallAwsService(this, 'DescribeAlarmsInAlarm', {
      comment: 'The metric alarms of this monitor in ALARM, for the run input',
      service: 'cloudwatch',
      action: 'describeAlarms',
      // At most 50, to keep the run's input (which the pipeline carries through every state) small.
      parameters: { AlarmNamePrefix: `${props.monitorName}-`, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm'], MaxRecords: 50 },
      iamResources: [alarmArnPattern(this, `${props.monitorName}-`)],
      resultSelector: { 'alarms.$': '$.MetricAlarms' },
      resultPath: '$.described',
    });
    const noAlarms = new sfn.Pass(this, 'NoAlarmDetails', { comment: 'Alarm details are informative: start the run without them', result: sfn.Result.fromObject({ alarms: [] }), resultPath: '$.described' });
    describeAlarms.addCatch(noAlarms, { errors: ['States.ALL'], resultPath: '$.describeError' });
    const summarize = new sfn.Map(this, 'SummarizeAlarms', {
      itemsPath: '$.described.alarms',
      itemSelector: {
        'name.$': '$$.Map.Item.Value.AlarmName',
        'namespace.$': '$$.Map.Item.Value.Namespace',
        'metric.$': '$$.Map.Item.Value.MetricName',
        'dimensions.$': '$$.Map.Item.Value.Dimensions',
        'threshold.$': '$$.Map.Item.Value.Threshold',
        'reason.$': '$$.Map.Item.Value.StateReason',
      },
      resultPath: '$.metrics',
    }).itemProcessor(new sfn.Pass(this, 'AlarmSummary'));
    noAlarms.next(summarize);

    const start = new tasks.StepFunctionsStartExecution(this, 'StartRetraining', {
      stateMachine: props.stateMachine,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      name: sfn.JsonPath.stringAt('$.runName'),
      input: sfn.TaskInput.fromObject({
        trigger: 'drift',
        alarm: sfn.JsonPath.objectAt('$.alarm'),
        metrics: sfn.JsonPath.listAt('$.metrics'),
        monitor: props.monitorName,
        endpoint: props.endpointName,
        retrainGate: sfn.JsonPath.executionId,
      }),
      resultSelector: { 'executionArn.$': '$.ExecutionArn' },
      resultPath: '$.run',
    });
    // A name StartExecution has seen is never retried: it means this event already started its run.
    start.addRetry({ errors: ['StepFunctions.ExecutionAlreadyExistsException'], maxAttempts: 0 });
    start.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3 });

    const wait = new sfn.Wait(this, 'WaitOutCooldown', { time: sfn.WaitTime.duration(props.cooldown) });
    const release = withRetry(new tasks.DynamoDeleteItem(this, 'ReleaseCooldown', {
      table: this.table, key: lockKey, ...heldBy('$$.Execution.Id'), resultPath: sfn.JsonPath.DISCARD,
    }));
    const started = new sfn.Succeed(this, 'RetrainingStarted');
    release.addCatch(started, { errors: [DYNAMODB_CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });

    const releaseDuplicate = withRetry(new tasks.DynamoDeleteItem(this, 'ReleaseAfterDuplicate', {
      comment: 'This event was delivered before and its run started then: release without a second cooldown',
      table: this.table, key: lockKey, ...heldBy('$$.Execution.Id'), resultPath: sfn.JsonPath.DISCARD,
    }));
    const alreadyStarted = new sfn.Succeed(this, 'AlreadyStarted');
    releaseDuplicate.addCatch(alreadyStarted, { errors: [DYNAMODB_CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });

    const notify = new tasks.SnsPublish(this, 'NotifyRetrainingNotStarted', {
      topic: props.notificationTopic,
      subject: `Drift monitor ${props.monitorName}: retraining not started`,
      message: sfn.TaskInput.fromObject({
        monitor: props.monitorName,
        alarm: sfn.JsonPath.objectAt('$.alarm'),
        error: sfn.JsonPath.objectAt('$.error'),
        execution: sfn.JsonPath.executionId,
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failed = new sfn.Fail(this, 'RetrainingNotStarted', { error: 'RetrainingNotStarted', cause: 'See the notification and the execution history' });
    notify.addCatch(failed, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    const releaseAfterFailure = withRetry(new tasks.DynamoDeleteItem(this, 'ReleaseAfterFailure', {
      comment: 'No run started: the next alarm may try again',
      table: this.table, key: lockKey, ...heldBy('$$.Execution.Id'), resultPath: sfn.JsonPath.DISCARD,
    }));
    releaseAfterFailure.addCatch(notify, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });

    acquire.addCatch(read, { errors: [DYNAMODB_CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });
    acquire.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.error' });
    read.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.error' });
    describeHolder.addCatch(releaseStale, { errors: ['Sfn.ExecutionDoesNotExistException'], resultPath: sfn.JsonPath.DISCARD });
    describeHolder.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.error' });
    releaseStale.addCatch(acquire, { errors: [DYNAMODB_CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });
    releaseStale.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.error' });
    start.addCatch(releaseDuplicate, { errors: ['StepFunctions.ExecutionAlreadyExistsException'], resultPath: sfn.JsonPath.DISCARD });
    start.addCatch(releaseAfterFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    releaseAfterFailure.next(notify);
    notify.next(failed);
    releaseStale.next(acquire);
    releaseDuplicate.next(alreadyStarted);

    read.next(new sfn.Choice(this, 'LockStillHeld')
      .when(sfn.Condition.isPresent('$.cooldown.Item.holder.S'), describeHolder)
      .otherwise(acquire));
    describeHolder.next(new sfn.Choice(this, 'HolderRunning')
      .when(sfn.Condition.stringEquals('$.holder.status', 'RUNNING'), inCooldown)
      .otherwise(releaseStale));
    acquire.next(describeAlarms);
    describeAlarms.next(summarize);
    summarize.next(start);
    start.next(wait);
    wait.next(release);
    release.next(started);
    return plan.next(acquire);
  }
}
