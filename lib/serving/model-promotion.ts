import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ModelVersionParameter } from './model-version-parameter';
import { acknowledgePromotionRole, bootstrapDeployRole, buildDeployStates, deployBudget, DeployOutcome, grantPromotion } from './private/deploy-states';
import { allowLogsToUseKey } from '../core/private/log-key';
import { acknowledgeInlinePolicy } from '../core/private/nag';
import { grantPublish } from '../core/private/publish';
import { ModelApprovalStatus } from '../registry/model-registry';

/**
 * How registered models reach the endpoint. Each mode synthesizes a different template, and
 * each says how to roll back.
 *
 * | mode | registered as | what deploys a model | roll back |
 * | --- | --- | --- | --- |
 * | `AUTOMATIC` | Approved | the run that registered it, after the gate | `mlops rollback <endpoint>` (the `ModelPromotion` with `"rollback": true`) |
 * | `MANUAL` | PendingManualApproval | approving it in the registry (a `ModelPromotion`) | the same |
 * | `REGISTER_ONLY` | as `approvalStatus` says | nothing in the stack: `cdk deploy --parameters <parameter>=<model package ARN>` | `cdk deploy` with the older ARN |
 */
export enum PromotionMode {
  /**
   * Every model that passes the gate is registered approved and deployed by the run that
   * trained it; the run waits for the rollout and fails (and notifies) if it is rolled back.
   * Approvals in the registry start nothing (the run already deploys). A `ModelPromotion`
   * without an approval trigger is there for rollbacks: start it with
   * `{"modelPackageArn": "<older version ARN>", "rollback": true}` (what `mlops rollback` does).
   */
  AUTOMATIC = 'AUTOMATIC',
  /**
   * Models are registered pending approval; approving one in the registry deploys it through a
   * `ModelPromotion` (only a version newer than the served one: SageMaker also sends events for
   * versions approved long ago). Roll back by starting the promotion with
   * `{"modelPackageArn": "<older version ARN>", "rollback": true}` (what `mlops rollback` does).
   */
  MANUAL = 'MANUAL',
  /**
   * Runs only register models; neither runs nor approvals change what the endpoint serves.
   * The served version is the stack parameter, set by whoever deploys the stack
   * (`cdk deploy --parameters <parameter>=<model package ARN>`, e.g. a CD pipeline's
   * production stage); roll back by deploying with the older ARN. `MlPipeline` only: a
   * `TrainingPipeline` that only registers has no `deployment`.
   */
  REGISTER_ONLY = 'REGISTER_ONLY',
}

/**
 * How a promotion rolls a model version out.
 */
export interface RolloutOptions {
  /**
   * How long the rollout a promotion starts may take. An update still in `UPDATE_IN_PROGRESS`
   * then is cancelled (CloudFormation rolls it back) and the promotion fails once the rollback
   * ends. Make it longer than the endpoint's deployment: instance start, baking period and waits.
   *
   * @default Duration.hours(2)
   */
  readonly rolloutTimeout?: Duration;

  /**
   * How long a promotion waits for a serving stack that is busy with another update (a
   * `cdk deploy`, another promotion) before it starts its own. A budget of its own: waiting
   * does not shorten the rollout's.
   *
   * @default - the rollout timeout
   */
  readonly stackBusyTimeout?: Duration;

  /**
   * How often the serving stack is checked during a rollout.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * The role CloudFormation updates the serving stack with.
   *
   * @default - the CloudFormation execution role `cdk bootstrap` made for the serving stack
   */
  readonly cloudFormationRole?: iam.IRole;
}

/**
 * How an `MlPipeline` promotes the models its runs register.
 */
export interface PromotionOptions extends RolloutOptions {
  /**
   * How registered models reach the endpoint (see `PromotionMode`).
   *
   * @default PromotionMode.AUTOMATIC
   */
  readonly mode?: PromotionMode;
}

/**
 * Deployment of registered models by a `TrainingPipeline`.
 */
export interface ModelDeploymentOptions extends RolloutOptions {
  /** The model version parameter of the serving stack (its `ModelEndpoint` serves that version). */
  readonly modelVersion: ModelVersionParameter;

  /**
   * How registered models reach the endpoint: `AUTOMATIC` (the run deploys) or `MANUAL`
   * (approval in the registry deploys). `REGISTER_ONLY` is for `MlPipeline`: a pipeline that
   * only registers leaves `deployment` out.
   *
   * @default PromotionMode.MANUAL
   */
  readonly mode?: PromotionMode;
}

/**
 * Properties of a `ModelPromotion`.
 */
export interface ModelPromotionProps extends RolloutOptions {
  /** The model version parameter of the serving stack; its registry's approvals are promoted. */
  readonly modelVersion: ModelVersionParameter;

  /**
   * Receives a message for every failed promotion.
   *
   * @default - a new topic encrypted with a new customer key
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * How long the promotion state machine's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Approving a version in the registry promotes it. Turn it off where something else deploys
   * new versions (a training run, with `PromotionMode.AUTOMATIC`) and the promotion is there for
   * rollbacks started by hand.
   *
   * @default true
   */
  readonly promoteOnApproval?: boolean;

  /**
   * States run once the requested version serves (its rollout finished, or it already served),
   * e.g. pointing a drift monitor at the version's own baseline. They see the input
   * (`$.modelPackageArn`) and `$.deployment`; if they fail, the promotion notifies and fails
   * while the version keeps serving. Their tasks' permissions go to the promotion's role.
   *
   * @default - none
   */
  readonly whenServed?: sfn.IChainable;

  /**
   * The key that encrypts the promotion's logs (and its topic, when it creates one). Its key
   * policy must let CloudWatch Logs of the account use it (the service principal
   * `logs.<region>.amazonaws.com`), as the key the promotion creates does; else creating the
   * log group fails at deploy.
   *
   * @default - a new customer managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Registry-driven promotion: approving a model version in the registry deploys it (unless
 * `promoteOnApproval` is off), and starting it by hand rolls back. A state
 * machine, started by the registry's approval events, sets the serving stack's model version
 * and waits for CloudFormation's rollout; a rollback keeps the previous version serving and
 * notifies `failureTopic`.
 *
 * SageMaker sends an event for every change of an approved version (and may send one change
 * more than once), so a promotion is idempotent: a version that serves, or that another
 * execution is rolling out, changes nothing, and only a version newer than the served one is
 * promoted. CloudFormation runs one stack update at a time, so promotions to one stack are
 * serialized. To go back to an older version, start the state machine with
 * `{"modelPackageArn": "<older version ARN>", "rollback": true}`.
 */
export class ModelPromotion extends Construct {
  /** The state machine that promotes one approved version. */
  public readonly stateMachine: sfn.StateMachine;
  /** Receives a message for every failed promotion. */
  public readonly failureTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: ModelPromotionProps) {
    super(scope, id);
    const target = props.modelVersion;
    const key = props.encryptionKey ?? this.createKey();
    this.failureTopic = props.notificationTopic ?? new sns.Topic(this, 'FailureTopic', { masterKey: key, enforceSSL: true });

    const notify = new tasks.SnsPublish(this, 'NotifyFailure', {
      topic: this.failureTopic,
      subject: `Promotion of a model to ${target.servingStack.stackName} failed`,
      message: sfn.TaskInput.fromObject({
        'execution': sfn.JsonPath.stringAt('$$.Execution.Id'),
        'model-package': sfn.JsonPath.stringAt('$.modelPackageArn'),
        'error': sfn.JsonPath.stringAt('$.error.Error'),
        'cause': sfn.JsonPath.stringAt('$.error.Cause'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    }).next(new sfn.Fail(this, 'PromotionFailed', { error: 'PromotionFailed', cause: 'See the failure notification' }));
    const cloudFormationRole = props.cloudFormationRole ?? bootstrapDeployRole(this, target.servingStack);
    const rolloutTimeout = props.rolloutTimeout ?? Duration.hours(2);
    const stackBusyTimeout = props.stackBusyTimeout ?? rolloutTimeout;
    const pollInterval = props.pollInterval ?? Duration.minutes(1);
    const deploy = buildDeployStates(this, {
      modelVersion: target,
      packageArnPath: '$.modelPackageArn',
      cloudFormationRole,
      pollInterval,
      rolloutTimeout,
      stackBusyTimeout,
      onlyNewerVersions: true,
    }, {
      catchTask: (task) => { task.addCatch(notify, { resultPath: '$.error' }); },
      failWith: (stateId, error, cause) => new sfn.Pass(this, stateId, { result: sfn.Result.fromObject({ Error: error, Cause: cause }), resultPath: '$.error' }).next(notify),
    });
    const promoted = new sfn.Succeed(this, 'Promoted');
    if (props.whenServed) {
      // One catch for whatever the caller's states do: the failure is reported like the rollout's.
      const after = new sfn.Parallel(this, 'WhenServed', { resultPath: sfn.JsonPath.DISCARD, comment: 'The caller\'s states, once the version serves' })
        .branch(props.whenServed);
      after.addCatch(notify, { resultPath: '$.error' });
      const serves = sfn.Condition.and(sfn.Condition.isPresent('$.deployment.outcome'), sfn.Condition.or(
        sfn.Condition.stringEquals('$.deployment.outcome', DeployOutcome.DEPLOYED),
        sfn.Condition.stringEquals('$.deployment.outcome', DeployOutcome.UNCHANGED)));
      deploy.done.next(new sfn.Choice(this, 'VersionServes').when(serves, after.next(promoted)).otherwise(promoted));
    } else {
      deploy.done.next(promoted);
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Started by hand (a rollback) with other input, the states below could not even report it.
    const start = new sfn.Choice(this, 'ValidInput')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.modelPackageArn'), sfn.Condition.isString('$.modelPackageArn')), deploy.start)
      .otherwise(new sfn.Fail(this, 'InvalidInput', {
        error: 'InvalidInput',
        cause: 'Start a promotion with {"modelPackageArn": "<model package version ARN>"}, and "rollback": true to promote an older version',
      }));
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      // A backstop behind the deployment's own budgets, never shorter than they are.
      timeout: deployBudget({ rolloutTimeout, stackBusyTimeout, pollInterval }).plus(Duration.hours(1)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // Covers the topic's key too, whichever topic (and key) it is.
    grantPublish(this.stateMachine, this.failureTopic);
    grantPromotion(this.stateMachine, cloudFormationRole);
    acknowledgePromotionRole(this.stateMachine.role, target);

    if (props.promoteOnApproval === false) return;
    new events.Rule(this, 'OnApproval', {
      description: `Promotes models approved in ${target.registry.modelPackageGroupName}`,
      eventPattern: approvedVersions(target.registry.approvalEventPattern([ModelApprovalStatus.APPROVED])),
      targets: [new targets.SfnStateMachine(this.stateMachine, {
        input: events.RuleTargetInput.fromObject({ modelPackageArn: events.EventField.fromPath('$.detail.ModelPackageArn') }),
        role: acknowledgedRole(this, 'TriggerRole', 'events.amazonaws.com'),
      })],
    });
  }

  /** A key of its own; a key given is the caller's, who lets CloudWatch Logs use it. */
  private createKey(): kms.IKey {
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts logs and notifications of the promotion ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowLogsToUseKey(key);
    return key;
  }
}

/** Only versions whose package is complete: a package being deleted still reports Approved. */
function approvedVersions(pattern: events.EventPattern): events.EventPattern {
  return { ...pattern, detail: { ...pattern.detail, ModelPackageStatus: ['Completed'] } };
}

function acknowledgedRole(scope: Construct, id: string, service: string): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal(service) });
  acknowledgeInlinePolicy(role);
  return role;
}
