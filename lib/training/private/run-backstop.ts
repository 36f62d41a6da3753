import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { addRetries } from './retry-policies';
import { CONDITION_FAILED, RunSlots } from './run-slots';
import { stateMachineLogGroup } from '../../core/private/state-machine-logs';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';
import { grantPublish } from '../../core/private/publish';

export interface RunBackstopProps {
  readonly pipelineName: string;
  /** The ARN of the pipeline's state machine (built from its name: the rules and the cleanup need it before it exists). */
  readonly stateMachineArn: string;
  readonly topic: sns.ITopic;
  readonly slots: RunSlots;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** The role EventBridge starts the cleanup with. */
  readonly eventsRole: iam.IRole;
  /** Errors the pipeline's own failure path ends with, after it has notified and freed its slot. */
  readonly notifiedErrors: string[];
}

/**
 * What catches the runs that ended outside the pipeline's own failure path: a run that timed
 * out or was stopped, or that failed with an error no Catch can take (States.Runtime,
 * States.DataLimitExceeded) or after a failed notification. Step Functions reports each on
 * EventBridge; a rule notifies the topic of timeouts and stops directly, and a small cleanup
 * state machine frees the run's slot and notifies of failures the run did not report itself.
 */
export class RunBackstop extends Construct {
  public readonly cleanup: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RunBackstopProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states', resource: 'execution', resourceName: `${props.pipelineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const release = props.slots.release(this, 'ReleaseSlot', '$.execution');
    const describe = new tasks.CallAwsService(this, 'DescribeRun', {
      service: 'sfn',
      action: 'describeExecution',
      iamAction: 'states:DescribeExecution',
      iamResources: [executions],
      // Without the run's input and output, which may each be as large as a state may be.
      parameters: { ExecutionArn: sfn.JsonPath.stringAt('$.execution'), IncludedData: 'METADATA_ONLY' },
      resultSelector: { 'status.$': '$.Status', 'details.$': '$' },
      resultPath: '$.run',
    });
    addRetries(describe, 'sfnSdk');
    // DescribeExecution names the error of a failed execution (a Choice checked it is there); otherwise only the status is known.
    const notify = this.failureNotice('NotifyRunFailed', props, { status: sfn.JsonPath.stringAt('$.run.status'), error: sfn.JsonPath.stringAt('$.run.details.Error') });
    const notifyUnknown = this.failureNotice('NotifyRunFailedUnknown', props, { status: sfn.JsonPath.stringAt('$.status') });
    const failed = new sfn.Fail(this, 'CleanupFailed', { error: 'RunCleanupFailed', cause: 'The slot of an ended run could not be freed, or its failure not reported' });
    const done = new sfn.Succeed(this, 'Done');
    // A run that freed its slot itself (or never took one) leaves nothing to free.
    release.addCatch(describe, { errors: [CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });
    for (const task of [release, describe, notify, notifyUnknown]) task.addCatch(failed, { resultPath: '$.error' });

    const reported = sfn.Condition.or(...props.notifiedErrors.map((e) => sfn.Condition.stringEquals('$.run.details.Error', e)));
    const decide = new sfn.Choice(this, 'RunReported')
      // Timeouts and stops reach the topic straight from EventBridge.
      .when(sfn.Condition.not(sfn.Condition.stringEquals('$.status', 'FAILED')), done)
      .when(sfn.Condition.not(sfn.Condition.isPresent('$.run.details.Error')), notifyUnknown.next(done))
      .when(reported, done)
      .otherwise(notify.next(done));

    this.cleanup = new sfn.StateMachine(this, 'Cleanup', {
      comment: `Frees the run slot of an ended ${props.pipelineName} run and reports failures it did not report`,
      definitionBody: sfn.DefinitionBody.fromChainable(sfn.Chain.start(release).next(describe).next(decide)),
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs: {
        destination: stateMachineLogGroup(this, 'Logs', { name: `${props.pipelineName}-cleanup`, encryptionKey: props.encryptionKey, retention: props.logRetention }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    grantPublish(this.cleanup, props.topic);
    props.slots.grantKeyUse(this.cleanup);
    acknowledgeWildcards(this.cleanup.role, { resources: [executions] }, `Reads only executions of ${props.pipelineName}, named by each run.`);
    acknowledgeWildcards(this.cleanup.role, { resources: ['*'] }, 'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level permissions.');
    acknowledgeInlinePolicy(this.cleanup.role);

    const ended = (statuses: string[]) => ({
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [props.stateMachineArn], status: statuses },
    });
    new events.Rule(this, 'RunEnded', {
      description: `Frees the slot of ${props.pipelineName} runs that failed, timed out or were stopped`,
      eventPattern: ended(['FAILED', 'TIMED_OUT', 'ABORTED']),
      targets: [new targets.SfnStateMachine(this.cleanup, {
        role: props.eventsRole,
        input: events.RuleTargetInput.fromObject({
          execution: events.EventField.fromPath('$.detail.executionArn'),
          status: events.EventField.fromPath('$.detail.status'),
        }),
      })],
    });
    new events.Rule(this, 'RunStopped', {
      description: `Notifies of ${props.pipelineName} runs that timed out or were stopped`,
      eventPattern: ended(['TIMED_OUT', 'ABORTED']),
      targets: [topicTarget(props.topic, events.RuleTargetInput.fromObject({
        pipeline: props.pipelineName,
        execution: events.EventField.fromPath('$.detail.executionArn'),
        status: events.EventField.fromPath('$.detail.status'),
        note: 'The run timed out or was stopped; its slot is freed by the cleanup state machine.',
      }))],
    });
  }

  /** A notice that a run ended outside its own failure handling, retried like every SNS publish. */
  private failureNotice(id: string, props: RunBackstopProps, fields: Record<string, string>): tasks.SnsPublish {
    const notice = new tasks.SnsPublish(this, id, {
      topic: props.topic,
      subject: `Training pipeline ${props.pipelineName} failed`,
      message: sfn.TaskInput.fromObject({
        pipeline: props.pipelineName,
        execution: sfn.JsonPath.stringAt('$.execution'),
        ...fields,
        note: 'The run ended outside its own failure handling; see the execution history.',
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(notice, 'sns');
    return notice;
  }
}

/**
 * Publishes to the topic with the topic's own policy (which admits EventBridge rules of this
 * account only): CDK's SnsTopic target would add an unconditional statement for EventBridge.
 */
function topicTarget(topic: sns.ITopic, input: events.RuleTargetInput): events.IRuleTarget {
  return { bind: () => ({ arn: topic.topicArn, input, targetResource: topic }) };
}
