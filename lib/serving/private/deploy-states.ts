import { ArnFormat, CfnParameter, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import { servedComponents, whenComponentServes } from './served-components';
import { servedEndpoints } from './served-endpoints';
import type { ModelVersionParameter } from '../model-version-parameter';
import { PropsValidator } from '../../core/private/errors';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';
import { sageMakerArn } from '../../core/private/sagemaker-api';

export interface DeployStatesProps {
  readonly modelVersion: ModelVersionParameter;
  /** JSON path of the model package ARN to promote. */
  readonly packageArnPath: string;
  /** The role CloudFormation updates the serving stack with. */
  readonly cloudFormationRole: iam.IRole;
  readonly pollInterval: Duration;
  /** How long a rollout that this deployment started may take before it is cancelled. */
  readonly rolloutTimeout: Duration;
  /**
   * How long a stack that is busy with another update (a `cdk deploy`, another promotion) is
   * waited for before this deployment starts: a budget of its own, not taken from the rollout's.
   *
   * @default - the rollout timeout
   */
  readonly stackBusyTimeout?: Duration;
  /**
   * Promote only versions newer than the one served, unless the input asks for a rollback
   * (`"rollback": true` next to the package ARN): registry events also come for changes of
   * versions approved long ago, and for the same change more than once.
   *
   * @default false
   */
  readonly onlyNewerVersions?: boolean;
}

/** How the caller handles failures: it owns notification and the end of the execution. */
export interface DeployFailureHandling {
  /** Adds a catch (no retry: the caller's failure path) to a task, or to a Parallel that wraps one. */
  catchTask(task: sfn.TaskStateBase | sfn.Parallel, step: string): void;
  /** States that record a failure found without a task error (a rolled-back rollout), then fail. */
  failWith(id: string, error: string, cause: string): sfn.IChainable;
}

export interface DeployStates {
  readonly start: sfn.IChainable;
  /** Where both a deployment and a run with nothing new to serve continue. */
  readonly done: sfn.Pass;
}

/** Outcomes written to `$.deployment.outcome`. */
export const DeployOutcome = {
  /** The version now serves: CloudFormation finished and every endpoint runs the template's configuration. */
  DEPLOYED: 'DEPLOYED',
  /** The version already served (a duplicate event, or a run with nothing new). */
  UNCHANGED: 'UNCHANGED',
  /** Another execution is rolling this version out right now (a duplicate event): it reports the result. */
  IN_PROGRESS: 'IN_PROGRESS',
  /** Not newer than the served version, and no rollback was asked for: nothing changes. */
  NOT_NEWER: 'NOT_NEWER',
  /** CloudFormation or SageMaker rolled the rollout back: the previous version keeps serving. */
  ROLLED_BACK: 'ROLLED_BACK',
} as const;

/** Errors an SDK integration raises for CloudFormation reads that are safe to repeat (throttling surfaces as either name). */
export const CLOUDFORMATION_TRANSIENT_ERRORS = ['CloudFormation.ThrottlingException', 'CloudFormation.CloudFormationException', 'CloudFormation.SdkClientException'];
/** The same for SageMaker reads (DescribeEndpoint's "could not find" and throttling are unmodeled: SageMakerException). */
export const SAGEMAKER_TRANSIENT_ERRORS = ['SageMaker.ThrottlingException', 'SageMaker.SageMakerException', 'SageMaker.SdkClientException'];
/**
 * The error a throttled UpdateStack or CancelUpdateStack is raised as inside its Parallel, so that a Retry can match
 * throttling alone (the integration names it like every other CloudFormation error).
 */
const THROTTLED = 'CloudFormationThrottled';
/**
 * CloudFormation answers a throttled call with code Throttling and message "Rate exceeded"; the
 * integration's cause starts with that message ("Rate exceeded (Service: CloudFormation, Status Code: 400, ...)").
 */
const THROTTLED_CAUSE = '*Rate exceeded*';
/** What a throttled call raises out of `throttleRetried`'s Parallel, also once its backoff is used up. */
const THROTTLE_ERRORS = [THROTTLED, 'CloudFormation.ThrottlingException'];
/** Backoff of a throttled UpdateStack or CancelUpdateStack: 5 s doubling, 5 times (155 s at most); full jitter spreads promotions throttled together. */
const THROTTLE_RETRY = { interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5, jitterStrategy: sfn.JitterType.FULL };
/** Backoff of every read (DescribeStacks, DescribeStackResource, the SageMaker describes): 5 s doubling, 5 times (155 s at most). */
const READ_RETRY = { interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 };
/** How often the check of an endpoint or component that is not InService runs again, at the poll interval. */
const VERIFY_POLLS = 5;
/** What a throttled cancel's error is set to once its backoff was charged to the rollout's poll counter. */
const THROTTLED_CANCEL_CHARGED = 'CancelThrottledCharged';
/** Errors of CancelUpdateStack that say "not now": the update finished meanwhile. */
const CLOUDFORMATION_REJECTIONS = ['CloudFormation.CloudFormationException', 'CloudFormation.ThrottlingException', 'CloudFormation.SdkClientException'];

/**
 * Promotes a model version by updating the serving stack's `ModelVersionParameter` on the
 * previous template, then waits for CloudFormation and checks what really serves.
 *
 * - A stack busy with another update is waited for (its own budget, `stackBusyTimeout`); when
 *   that update is rolling out this very version (a duplicate event), this deployment ends with
 *   `IN_PROGRESS` and leaves the reporting to the one that started it. A version that already
 *   serves leaves the stack untouched (`UNCHANGED`).
 * - UpdateStack rejected because another update started meanwhile goes back to the check; a
 *   second rejection fails the deployment with CloudFormation's error. A lost answer is not
 *   retried (the update may have started): the check finds and watches it. A throttled UpdateStack
 *   (which changed nothing) is sent again with backoff, and counts as no rejection; throttling
 *   that outlasts the backoff fails the deployment as `StackUpdateThrottled`.
 * - The rollout has its own budget (`rolloutTimeout`). At the end of it an update still in
 *   `UPDATE_IN_PROGRESS` is cancelled (CloudFormation can cancel nothing else: cleanup and
 *   rollback states run to their end) and its rollback is waited for; a stack still busy after a
 *   second budget fails as stuck. A cancel throttled through its backoff is sent again at a later
 *   poll, its backoff counted against that second budget.
 * - UPDATE_COMPLETE is not the end: SageMaker may have rolled the endpoint back (a rollback alarm
 *   fired) while CloudFormation reports success. Every endpoint that serves the version must be
 *   InService on the endpoint configuration the template names, and every inference component
 *   that serves it InService on the model the template names; otherwise the outcome is
 *   `ROLLED_BACK`. The endpoint keeps its configuration and the component its model, which
 *   `ModelEndpoint` and `InferenceComponent` never let CloudFormation delete on replacement.
 *
 * Results go to `$.deployment` (`outcome`, `stack.status`).
 */
export function buildDeployStates(scope: Construct, props: DeployStatesProps, failures: DeployFailureHandling): DeployStates {
  const target = props.modelVersion;
  const stack = target.servingStack;
  const stackArn = servingStackArn(target);
  const stackStatus = '$.deployment.stack.status';
  const served = '$.deployment.stack.served[0]';
  const busyTimeout = props.stackBusyTimeout ?? props.rolloutTimeout;
  const polls = (budget: Duration) => Math.max(1, Math.ceil(budget.toSeconds() / props.pollInterval.toSeconds()));
  const maxBusyPolls = polls(busyTimeout);
  const maxRolloutPolls = polls(props.rolloutTimeout);
  new PropsValidator(scope, 'DeploymentInvalidProps')
    .check(props.pollInterval.toSeconds() < 1, `'pollInterval' (${props.pollInterval.toHumanString()}) must be at least 1 second`)
    .check(props.pollInterval.toSeconds() > props.rolloutTimeout.toSeconds(),
      `'pollInterval' (${props.pollInterval.toHumanString()}) must not be longer than 'rolloutTimeout' (${props.rolloutTimeout.toHumanString()})`)
    .throwIfInvalid();

  const stackCall = (id: string, action: string, parameters: Record<string, unknown>, extra: Partial<tasks.CallAwsServiceProps> = {}) =>
    new tasks.CallAwsService(scope, id, {
      service: 'cloudformation',
      action,
      iamAction: `cloudformation:${action.charAt(0).toUpperCase()}${action.slice(1)}`,
      iamResources: [stackArn],
      parameters: { StackName: stack.stackName, ...parameters },
      resultPath: sfn.JsonPath.DISCARD,
      ...extra,
    });
  const describe = (id: string, resultSelector: Record<string, string>) => {
    const task = stackCall(id, 'describeStacks', {}, { resultSelector, resultPath: '$.deployment.stack' });
    // Reading is safe to repeat: a throttled read must not fail a rollout that goes on.
    task.addRetry({ errors: CLOUDFORMATION_TRANSIENT_ERRORS, ...READ_RETRY });
    failures.catchTask(task, 'Deploy');
    return task;
  };
  const outcome = (id: string, value: string) =>
    new sfn.Pass(scope, id, { result: sfn.Result.fromString(value), resultPath: '$.deployment.outcome' });
  const counted = (id: string, counter: 'busy' | 'rollout', next: sfn.IChainable) => {
    const poll: Record<string, string> = { 'busy.$': '$.deployment.poll.busy', 'rollout.$': '$.deployment.poll.rollout', 'cancelled.$': '$.deployment.poll.cancelled' };
    poll[`${counter}.$`] = `States.MathAdd($.deployment.poll.${counter}, 1)`;
    return new sfn.Wait(scope, `WaitFor${id}`, { time: sfn.WaitTime.duration(props.pollInterval) })
      .next(new sfn.Pass(scope, `Count${id}Poll`, { parameters: poll, resultPath: '$.deployment.poll' }))
      .next(next);
  };
  const done = new sfn.Pass(scope, 'DeploymentDone', { resultPath: sfn.JsonPath.DISCARD });

  // Two budgets: waiting for someone else's update, and this deployment's own rollout.
  const startPolling = new sfn.Pass(scope, 'StartRollout', { result: sfn.Result.fromObject({ busy: 0, rollout: 0, cancelled: false }), resultPath: '$.deployment.poll' });
  const checkServed = describe('CheckServedModel', {
    'status.$': '$.Stacks[0].StackStatus',
    'served.$': `$.Stacks[0].Parameters[?(@.ParameterKey == '${target.parameterKey}')].ParameterValue`,
  });

  const rolledBack = (id: string, cause: string) => outcome(`${id}Outcome`, DeployOutcome.ROLLED_BACK).next(failures.failWith(id, id, cause));
  const verify = buildVerification(scope, props, stackArn, done, {
    rolledBack: rolledBack('SageMakerRolledBack',
      `CloudFormation updated ${stack.stackName}, but an endpoint does not run the endpoint configuration the template names: SageMaker rolled it back `
      + '(a rollback alarm fired, or the new fleet failed its health checks); the previously served model keeps serving. '
      + `The stack parameter ${target.parameterKey} still names the new version: promote the version that serves again, with "rollback": true, to make them agree`),
    notInService: failures.failWith('EndpointNotInService', 'EndpointNotInService',
      `An endpoint of ${stack.stackName} was not InService after the rollout; check it in SageMaker before the next promotion`),
    componentRolledBack: rolledBack('ComponentRolledBack',
      `CloudFormation updated ${stack.stackName}, but an inference component does not run the model the template names: SageMaker rolled its update back `
      + '(a rollback alarm fired, or the new copies failed to start); the previously served model keeps serving. '
      + `The stack parameter ${target.parameterKey} still names the new version: promote the version that serves again, with "rollback": true, to make them agree`),
    componentNotInService: failures.failWith('ComponentNotInService', 'ComponentNotInService',
      `An inference component of ${stack.stackName} was not InService after the rollout; check it in SageMaker before the next promotion`),
    failed: failures.failWith('VerificationFailed', 'VerificationFailed',
      `What ${stack.stackName}'s endpoints and inference components serve could not be read after the rollout; check them and the execution's history`),
  });

  // The rollout: from this deployment's UpdateStack to a final stack status.
  const checkRollout = describe('CheckRollout', {
    'status.$': '$.Stacks[0].StackStatus',
    'served.$': `$.Stacks[0].Parameters[?(@.ParameterKey == '${target.parameterKey}')].ParameterValue`,
  });
  const waitForRollout = counted('Rollout', 'rollout', checkRollout);
  const cancel = throttleRetried(scope, 'CancelRollout', 'CloudFormation rolls the cancelled update back to the previous model', stackCall('CancelRolloutRequest', 'cancelUpdateStack', {}));
  // Rejected when the update left UPDATE_IN_PROGRESS meanwhile: nothing to cancel, keep watching (and
  // throttled beyond the backoff, or its answer lost: the next poll sends it again while the update runs;
  // a throttled one's backoff is charged to the second budget, see ChargeThrottledCancel).
  cancel.addCatch(waitForRollout, { errors: [...CLOUDFORMATION_REJECTIONS, THROTTLED], resultPath: '$.deployment.cancelError' });
  failures.catchTask(cancel, 'Deploy');
  cancel.next(new sfn.Pass(scope, 'RecordCancelled', { result: sfn.Result.fromBoolean(true), resultPath: '$.deployment.poll.cancelled' })).next(waitForRollout);
  const cancelled = sfn.Condition.booleanEquals('$.deployment.poll.cancelled', true);
  const rolloutOver = sfn.Condition.numberGreaterThanEquals('$.deployment.poll.rollout', maxRolloutPolls);
  const servesRequested = sfn.Condition.and(sfn.Condition.isPresent(served), sfn.Condition.stringEqualsJsonPath(served, props.packageArnPath));
  // A cancel throttled through its whole backoff waited up to that long, which the poll counter does not see:
  // the next check charges it to the counter as polls (once: the charge marks the error), so that a cancel
  // sent again at every poll cannot stretch the second budget past what deployBudget allows.
  const cancelThrottled = sfn.Condition.and(sfn.Condition.isPresent('$.deployment.cancelError.Error'),
    sfn.Condition.or(...THROTTLE_ERRORS.map((e) => sfn.Condition.stringEquals('$.deployment.cancelError.Error', e))));
  const throttledCancelPolls = Math.ceil(retryWaitSeconds(THROTTLE_RETRY) / props.pollInterval.toSeconds());
  const chargeThrottledCancel = new sfn.Pass(scope, 'ChargeThrottledCancel', {
    parameters: {
      'busy.$': '$.deployment.poll.busy',
      'rollout.$': `States.MathAdd($.deployment.poll.rollout, ${throttledCancelPolls})`,
      'cancelled.$': '$.deployment.poll.cancelled',
    },
    resultPath: '$.deployment.poll',
  });
  const markCharged = new sfn.Pass(scope, 'MarkThrottledCancelCharged', {
    result: sfn.Result.fromObject({ Error: THROTTLED_CANCEL_CHARGED }),
    resultPath: '$.deployment.cancelError',
  });
  chargeThrottledCancel.next(markCharged);
  const rollout = new sfn.Choice(scope, 'RolloutFinished')
    .when(sfn.Condition.and(sfn.Condition.stringEquals(stackStatus, 'UPDATE_COMPLETE'), servesRequested), outcome('Deployed', DeployOutcome.DEPLOYED).next(verify))
    .when(sfn.Condition.stringEquals(stackStatus, 'UPDATE_COMPLETE'), failures.failWith('RolloutSuperseded', 'RolloutSuperseded',
      `${stack.stackName} finished updating, but its parameter ${target.parameterKey} names another version: another update changed it; check which version serves`))
    .when(sfn.Condition.and(sfn.Condition.stringEquals(stackStatus, 'UPDATE_ROLLBACK_COMPLETE'), cancelled),
      outcome('RolloutTimedOutOutcome', DeployOutcome.ROLLED_BACK).next(failures.failWith('RolloutTimedOut', 'RolloutTimedOut',
        `${stack.stackName} was still updating after ${props.rolloutTimeout.toHumanString()}; the update was cancelled and rolled back to the previously promoted model`)))
    .when(sfn.Condition.stringEquals(stackStatus, 'UPDATE_ROLLBACK_COMPLETE'), rolledBack('RolloutRolledBack',
      `CloudFormation rolled ${stack.stackName} back; the previously promoted model keeps serving`))
    .when(sfn.Condition.stringEquals(stackStatus, 'UPDATE_ROLLBACK_FAILED'), failures.failWith('RollbackFailed', 'RollbackFailed',
      `The rollback of ${stack.stackName} failed; the stack needs attention (continue the rollback in CloudFormation) before the next promotion`))
    .when(sfn.Condition.stringEquals(stackStatus, 'UPDATE_FAILED'), failures.failWith('RolloutFailed', 'RolloutFailed',
      `The update of ${stack.stackName} failed and was not rolled back (rollback is disabled for the stack); roll it back in CloudFormation`))
    // Before the stuck check: a charged throttled cancel can end the second budget.
    .when(cancelThrottled, chargeThrottledCancel)
    .when(sfn.Condition.numberGreaterThanEquals('$.deployment.poll.rollout', 2 * maxRolloutPolls), failures.failWith('RolloutStuck', 'RolloutStuck',
      `${stack.stackName} was still updating or rolling back ${(2 * maxRolloutPolls * props.pollInterval.toSeconds() / 60).toFixed(0)} minutes after the promotion started; check the stack`))
    // Only an update in UPDATE_IN_PROGRESS can be cancelled; cleanup and rollback run to their end.
    .when(sfn.Condition.and(rolloutOver, sfn.Condition.not(cancelled), sfn.Condition.stringEquals(stackStatus, 'UPDATE_IN_PROGRESS')), cancel)
    .otherwise(waitForRollout);
  checkRollout.next(rollout);
  // Charged, the same check decides again (the stuck check first).
  markCharged.next(rollout);

  // Throttling is retried with backoff (a throttled request changed nothing); any other rejection is not resent.
  const throttled = failures.failWith('StackUpdateThrottled', 'StackUpdateThrottled',
    `CloudFormation throttled every UpdateStack of ${stack.stackName} (Rate exceeded), ${THROTTLE_RETRY.maxAttempts + 1} times over at most `
    + `${retryWaitSeconds(THROTTLE_RETRY)} seconds; the stack was not changed. Promote again once fewer calls reach CloudFormation in this account and region`);
  const update = (id: string, comment: string) => throttleRetried(scope, id, comment, stackCall(`${id}Request`, 'updateStack', {
    UsePreviousTemplate: true,
    RoleARN: props.cloudFormationRole.roleArn,
    Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    // Uncached: the synthesizer adds BootstrapVersion to the stack only while it synthesizes.
    Parameters: Lazy.uncachedAny({ produce: () => updateParameters(stack, target.parameterKey, props.packageArnPath) }),
  }));
  const promote = update('PromoteModelVersion', `Sets ${target.parameterKey} of ${stack.stackName}; CloudFormation rolls the endpoint out`);
  // The answer was lost: the update may have started. Look, and watch it if it did.
  promote.addCatch(checkServed, { errors: ['CloudFormation.SdkClientException'], resultPath: '$.deployment.updateLost' });
  // Rejected, most likely because another update started since the check: look again, once.
  promote.addCatch(checkServed, { errors: ['CloudFormation.CloudFormationException'], resultPath: '$.deployment.updateError' });
  promote.addCatch(throttled, { errors: THROTTLE_ERRORS, resultPath: '$.deployment.updateError' });
  failures.catchTask(promote, 'Deploy');
  promote.next(waitForRollout);
  const promoteAgain = update('PromoteModelVersionAgain', 'The first UpdateStack was rejected; a second rejection is reported');
  promoteAgain.addCatch(throttled, { errors: THROTTLE_ERRORS, resultPath: '$.deployment.updateError' });
  failures.catchTask(promoteAgain, 'Deploy');
  promoteAgain.next(waitForRollout);
  // Also after a rejection: a newer version may have been promoted meanwhile (two approvals at once).
  const gated = (suffix: string, next: sfn.IChainable) => props.onlyNewerVersions
    ? newerOnly(scope, suffix, props.packageArnPath, next, outcome(`NotNewer${suffix}`, DeployOutcome.NOT_NEWER).next(done))
    : next;
  const newUpdate = gated('', promote);

  const busy = sfn.Condition.stringMatches(stackStatus, '*_IN_PROGRESS');
  const updating = sfn.Condition.stringEquals(stackStatus, 'UPDATE_IN_PROGRESS');
  const lost = sfn.Condition.isPresent('$.deployment.updateLost');
  const decide = new sfn.Choice(scope, 'NewModelVersion')
    // Our UpdateStack's answer was lost and an update of this version runs: it is ours, watch it.
    .when(sfn.Condition.and(updating, servesRequested, lost), waitForRollout)
    // Another execution rolls this version out (a duplicate event): it reports the result.
    .when(sfn.Condition.and(updating, servesRequested), outcome('RolloutInProgress', DeployOutcome.IN_PROGRESS).next(done))
    .when(sfn.Condition.and(busy, sfn.Condition.numberGreaterThanEquals('$.deployment.poll.busy', maxBusyPolls)),
      failures.failWith('StackBusy', 'StackBusy', `${stack.stackName} was updating for ${busyTimeout.toHumanString()}; promote again when it is done`))
    .when(busy, counted('Stack', 'busy', checkServed))
    .when(servesRequested, outcome('AlreadyServed', DeployOutcome.UNCHANGED).next(verify))
    .when(sfn.Condition.or(lost, sfn.Condition.isPresent('$.deployment.updateError')), gated('Again', promoteAgain))
    .otherwise(newUpdate);
  checkServed.next(decide);
  return { start: sfn.Chain.start(startPolling).next(checkServed), done };
}

/**
 * `task` (a CloudFormation call that changes the stack) in a Parallel that sends it again with
 * backoff when throttled, and raises any other error as it came: a throttled request changed
 * nothing, but a rejected one ("No updates are to be performed", a bad parameter, a busy stack)
 * would be rejected again. CloudFormation's throttling (code Throttling) is not in its API model,
 * so the integration raises it as CloudFormationException, like a rejection; only the cause tells
 * them apart, and the branch renames a throttle for the Parallel's Retry.
 */
function throttleRetried(scope: Construct, id: string, comment: string, task: tasks.CallAwsService): sfn.Parallel {
  const rejection = '$.rejection';
  task.addCatch(new sfn.Choice(scope, `${id}Throttled`)
    .when(sfn.Condition.and(sfn.Condition.isPresent(`${rejection}.Cause`), sfn.Condition.isString(`${rejection}.Cause`),
      sfn.Condition.stringMatches(`${rejection}.Cause`, THROTTLED_CAUSE)),
    new sfn.Fail(scope, `${id}RenameThrottle`, { error: THROTTLED, causePath: `${rejection}.Cause` }))
    .otherwise(new sfn.Fail(scope, `${id}Rejected`, { errorPath: `${rejection}.Error`, causePath: `${rejection}.Cause` })),
  { errors: ['CloudFormation.CloudFormationException'], resultPath: rejection });
  const attempt = new sfn.Parallel(scope, id, { comment, resultPath: sfn.JsonPath.DISCARD }).branch(task);
  // A lost answer is not retried: the call may have taken effect (a repeated UpdateStack would find the stack busy with itself).
  attempt.addRetry({ errors: THROTTLE_ERRORS, ...THROTTLE_RETRY });
  return attempt;
}

/**
 * Goes on to `promote` only for a version newer than the served one (or none served, or an
 * explicit `"rollback": true`); else to `notNewer`. Versions are the last part of the ARNs.
 */
function newerOnly(scope: Construct, suffix: string, packageArnPath: string, promote: sfn.IChainable, notNewer: sfn.IChainable): sfn.IChainable {
  const version = (path: string) => `States.StringToJson(States.ArrayGetItem(States.StringSplit(${path}, '/'), 2))`;
  const read = new sfn.Pass(scope, `ReadVersions${suffix}`, {
    parameters: { 'requested.$': version(packageArnPath), 'served.$': version('$.deployment.stack.served[0]') },
    resultPath: '$.deployment.versions',
  });
  read.next(new sfn.Choice(scope, `IsNewerVersion${suffix}`)
    .when(sfn.Condition.numberGreaterThanJsonPath('$.deployment.versions.requested', '$.deployment.versions.served'), promote)
    .otherwise(notNewer));
  const rollback = sfn.Condition.and(sfn.Condition.isPresent('$.rollback'), sfn.Condition.isBoolean('$.rollback'), sfn.Condition.booleanEquals('$.rollback', true));
  const noneServed = sfn.Condition.or(sfn.Condition.isNotPresent('$.deployment.stack.served[0]'), sfn.Condition.stringEquals('$.deployment.stack.served[0]', 'none'));
  // Versioned ARNs only: StringSplit and ArrayGetItem on another shape would be an uncatchable States.Runtime.
  const versioned = (path: string) => sfn.Condition.stringMatches(path, 'arn:*:model-package/*/*');
  return new sfn.Choice(scope, `PromotionAsked${suffix}`)
    .when(rollback, promote)
    .when(noneServed, promote)
    .when(sfn.Condition.and(versioned(packageArnPath), versioned('$.deployment.stack.served[0]')), read)
    // UpdateStack checks the value against the parameter's pattern and reports a bad one.
    .otherwise(promote);
}

interface VerificationExits {
  readonly rolledBack: sfn.IChainable;
  readonly notInService: sfn.IChainable;
  readonly componentRolledBack: sfn.IChainable;
  readonly componentNotInService: sfn.IChainable;
  readonly failed: sfn.IChainable;
}

/**
 * Checks every endpoint that serves the version: InService, and on the endpoint configuration
 * whose physical id the stack holds for the template's resource. Then every inference component
 * that serves it: SageMaker may roll a component's update back (a rollback alarm, copies that fail
 * to start) to the model it ran before, which `InferenceComponent` keeps, so it must be InService
 * on the model whose physical id the stack holds. Then continues at `done`.
 */
function buildVerification(scope: Construct, props: DeployStatesProps, stackArn: string, done: sfn.IChainable, exits: VerificationExits): sfn.IChainable {
  const target = props.modelVersion;
  const stack = target.servingStack;
  const arn = (resource: string, name: string) => sageMakerArn(stack, resource, name);
  // Endpoint and component names are known at synth (the ARNs hold them in lowercase).
  // With none serving the version the (empty) Map never calls these; such names cannot hold '_'.
  const namedArns = (resource: string, names: () => string[], none: string) => Lazy.list({
    produce: () => (names().length > 0 ? names().map((n) => arn(resource, n)) : [arn(resource, none)]),
  });
  const endpoints = () => servedEndpoints(target);
  const components = () => servedComponents(target);
  const checkEndpoints = verifyServed(scope, stackArn, stack, props.pollInterval, {
    kind: 'Endpoint',
    what: 'endpoint',
    list: { id: 'ServingEndpoints', path: '$.deployment.endpoints', map: 'VerifyServingEndpoints' },
    items: () => endpoints().map((e) => ({ endpointName: e.endpointName, configLogicalId: stack.resolve(e.endpointConfig.logicalId) })),
    live: {
      id: 'DescribeServingEndpoint',
      action: 'describeEndpoint',
      iamResources: namedArns('endpoint', () => endpoints().map((e) => e.endpointName), 'no_endpoint_serves_this_version'),
      parameters: { 'EndpointName.$': '$.endpointName' },
      resultSelector: { 'status.$': '$.EndpointStatus', 'config.$': '$.EndpointConfigName' },
    },
    template: { id: 'DescribeTemplateConfig', logicalIdPath: '$.configLogicalId' },
    runsOn: {
      id: 'DescribeServingConfig',
      action: 'describeEndpointConfig',
      // CloudFormation generates endpoint configuration names.
      iamResources: [arn('endpoint-config', '*')],
      parameters: { 'EndpointConfigName.$': '$.live.config' },
      resultPath: '$.liveConfig',
      resultSelector: { 'arn.$': '$.EndpointConfigArn', 'name.$': '$.EndpointConfigName' },
    },
    serves: { choice: 'ServesTemplateConfig', otherwise: 'EndpointRolledBack', error: 'EndpointRolledBack', cause: 'The endpoint runs another endpoint configuration than the template names' },
    notInService: 'EndpointNotInService',
    exits: { rolledBack: exits.rolledBack, notInService: exits.notInService, failed: exits.failed },
  });
  const checkComponents = verifyServed(scope, stackArn, stack, props.pollInterval, {
    kind: 'Component',
    what: 'inference component',
    list: { id: 'ServingComponents', path: '$.deployment.components', map: 'VerifyServingComponents' },
    items: () => components().map((c) => ({ componentName: c.componentName, modelLogicalId: stack.resolve(c.model.logicalId) })),
    live: {
      id: 'DescribeServingComponent',
      action: 'describeInferenceComponent',
      iamResources: namedArns('inference-component', () => components().map((c) => c.componentName), 'no_component_serves_this_version'),
      parameters: { 'InferenceComponentName.$': '$.componentName' },
      resultSelector: { 'status.$': '$.InferenceComponentStatus', 'model.$': '$.Specification.ModelName' },
    },
    template: { id: 'DescribeTemplateModel', logicalIdPath: '$.modelLogicalId' },
    // DescribeInferenceComponent names the model; the stack holds its ARN, whose name SageMaker lowercases.
    runsOn: {
      id: 'DescribeComponentModel',
      action: 'describeModel',
      // CloudFormation generates model names; without a component the Map never calls this, and no model name holds '_'.
      iamResources: Lazy.list({ produce: () => [arn('model', components().length > 0 ? '*' : 'no_component_serves_this_version')] }),
      parameters: { 'ModelName.$': '$.live.model' },
      resultPath: '$.liveModel',
      resultSelector: { 'arn.$': '$.ModelArn', 'name.$': '$.ModelName' },
    },
    serves: { choice: 'ServesTemplateModel', otherwise: 'ComponentOnOtherModel', error: 'ComponentRolledBack', cause: 'The inference component runs another model than the template names' },
    notInService: 'ComponentNotInService',
    exits: { rolledBack: exits.componentRolledBack, notInService: exits.componentNotInService, failed: exits.failed },
  });
  return sfn.Chain.start(checkEndpoints).next(checkComponents).next(done);
}

/** A SageMaker read of the verification. */
interface ServedRead {
  readonly id: string;
  readonly action: string;
  readonly iamResources: string[];
  readonly parameters: Record<string, string>;
  readonly resultSelector: Record<string, string>;
}

/** One kind of resource that serves the version, and what it must run on. */
interface ServedCheck {
  /** First word of the per-item state names: `<kind>InService`, `<kind>ServesVersion`, `<kind>NotReady`. */
  readonly kind: string;
  /** The kind in the causes of its failures. */
  readonly what: string;
  readonly list: { readonly id: string; readonly path: string; readonly map: string };
  readonly items: () => Array<Record<string, unknown>>;
  /** Its status, and the name of what it runs, at `$.live`. */
  readonly live: ServedRead;
  /** The physical id the stack holds for what it should run (the logical id is in the item). */
  readonly template: { readonly id: string; readonly logicalIdPath: string };
  /** What it runs: `arn` and `name` at `resultPath`, one of which is the stack's physical id. */
  readonly runsOn: ServedRead & { readonly resultPath: string };
  readonly serves: { readonly choice: string; readonly otherwise: string; readonly error: string; readonly cause: string };
  readonly notInService: string;
  readonly exits: { readonly rolledBack: sfn.IChainable; readonly notInService: sfn.IChainable; readonly failed: sfn.IChainable };
}

/** The list of the resources of one kind that serve the version, then a check of each: InService, on what the template names. */
function verifyServed(scope: Construct, stackArn: string, stack: Stack, pollInterval: Duration, c: ServedCheck): sfn.Chain {
  const read = (r: ServedRead, resultPath: string) => {
    const task = new tasks.CallAwsService(scope, r.id, {
      service: 'sagemaker',
      action: r.action,
      iamAction: `sagemaker:${r.action[0].toUpperCase()}${r.action.slice(1)}`,
      iamResources: r.iamResources,
      parameters: r.parameters,
      resultSelector: r.resultSelector,
      resultPath,
    });
    task.addRetry({ errors: SAGEMAKER_TRANSIENT_ERRORS, ...READ_RETRY });
    return task;
  };
  const live = read(c.live, '$.live');
  const template = templateResource(scope, c.template.id, stackArn, stack, c.template.logicalIdPath);
  const runsOn = read(c.runsOn, c.runsOn.resultPath);
  // The physical id of an AWS::SageMaker::EndpointConfig or Model is its ARN; a name is accepted too.
  const servesTemplate = sfn.Condition.or(
    sfn.Condition.stringEqualsJsonPath('$.template.physicalId', `${c.runsOn.resultPath}.arn`),
    sfn.Condition.stringEqualsJsonPath('$.template.physicalId', `${c.runsOn.resultPath}.name`));
  const iteration = sfn.Chain.start(live).next(new sfn.Choice(scope, `${c.kind}InService`)
    .when(sfn.Condition.stringEquals('$.live.status', 'InService'), sfn.Chain.start(template).next(runsOn).next(
      new sfn.Choice(scope, c.serves.choice)
        .when(servesTemplate, new sfn.Succeed(scope, `${c.kind}ServesVersion`))
        .otherwise(new sfn.Fail(scope, c.serves.otherwise, { error: c.serves.error, cause: c.serves.cause }))))
    .otherwise(new sfn.Fail(scope, `${c.kind}NotReady`, { error: c.notInService, cause: `The ${c.what} is not InService` })));

  const list = new sfn.Pass(scope, c.list.id, {
    result: sfn.Result.fromArray(Lazy.any({ produce: c.items }, { omitEmptyArray: false }) as unknown as unknown[]),
    resultPath: c.list.path,
  });
  const check = verifyEach(scope, c.list.map, c.list.path, iteration, pollInterval, c.notInService);
  check.addCatch(c.exits.rolledBack, { errors: [c.serves.error], resultPath: '$.error' });
  check.addCatch(c.exits.notInService, { errors: [c.notInService], resultPath: '$.error' });
  check.addCatch(c.exits.failed, { errors: ['States.ALL'], resultPath: '$.error' });
  return sfn.Chain.start(list).next(check);
}

/** One check after another over the items at `itemsPath`; one briefly not InService (autoscaling right after an update) is checked again at the poll interval. */
function verifyEach(scope: Construct, id: string, itemsPath: string, iteration: sfn.IChainable, pollInterval: Duration, notInService: string): sfn.Map {
  const check = new sfn.Map(scope, id, { itemsPath, maxConcurrency: 1, resultPath: sfn.JsonPath.DISCARD });
  check.itemProcessor(iteration);
  check.addRetry({ errors: [notInService], interval: pollInterval, backoffRate: 1, maxAttempts: VERIFY_POLLS });
  return check;
}

/** The physical id the serving stack holds for the resource whose logical id is at `logicalIdPath`. */
function templateResource(scope: Construct, id: string, stackArn: string, stack: Stack, logicalIdPath: string): tasks.CallAwsService {
  const task = new tasks.CallAwsService(scope, id, {
    service: 'cloudformation',
    action: 'describeStackResource',
    iamAction: 'cloudformation:DescribeStackResource',
    iamResources: [stackArn],
    parameters: { 'StackName': stack.stackName, 'LogicalResourceId.$': logicalIdPath },
    resultSelector: { 'physicalId.$': '$.StackResourceDetail.PhysicalResourceId' },
    resultPath: '$.template',
  });
  task.addRetry({ errors: CLOUDFORMATION_TRANSIENT_ERRORS, ...READ_RETRY });
  return task;
}

/** The longest a retry policy waits in all (without jitter, which only shortens the waits). */
function retryWaitSeconds(retry: { interval: Duration; backoffRate: number; maxAttempts: number }): number {
  let total = 0;
  for (let i = 0; i < retry.maxAttempts; i++) total += retry.interval.toSeconds() * retry.backoffRate ** i;
  return total;
}

/** The rollout settings a deployment's length follows from, with the same defaults as `RolloutOptions`. */
export interface DeployBudgetOptions {
  readonly rolloutTimeout?: Duration;
  readonly stackBusyTimeout?: Duration;
  readonly pollInterval?: Duration;
}

/**
 * The longest the deploy states can take when every budget is used: the wait for a busy stack,
 * the rollout, a cancelled rollout's rollback (at most a second rollout budget), the endpoint and
 * component checks (5 polls each) and the retries of the reads and of throttled UpdateStacks.
 * A state machine's timeout must not be shorter.
 */
export function deployBudget(options: DeployBudgetOptions): Duration {
  const rollout = options.rolloutTimeout ?? Duration.hours(2);
  const busy = options.stackBusyTimeout ?? rollout;
  const poll = options.pollInterval ?? Duration.minutes(1);
  // The stack checks and an endpoint's and a component's three reads follow each other, each with its backoff;
  // each of the two UpdateStacks and the cancel may be throttled through its own (a cancel sent again is
  // charged to the second rollout budget).
  const retries = (2 + 3 + 3) * retryWaitSeconds(READ_RETRY) + 3 * retryWaitSeconds(THROTTLE_RETRY);
  // The endpoint and the component checks run again at the poll interval, and a poll rounds each budget up.
  return Duration.seconds(busy.toSeconds() + 2 * rollout.toSeconds() + (2 * VERIFY_POLLS + 1) * poll.toSeconds() + retries);
}

/** Every parameter of the serving stack keeps its value, but the model version, which is set. */
function updateParameters(stack: Stack, key: string, packageArnPath: string): unknown[] {
  // Only the stack's own parameters: nested stacks have theirs.
  const keys = stack.node.findAll().filter((c): c is CfnParameter => c instanceof CfnParameter && Stack.of(c) === stack).map((p) => stack.resolve(p.logicalId));
  return keys.map((k) => k === stack.resolve(key)
    ? { 'ParameterKey': k, 'ParameterValue.$': packageArnPath }
    : { ParameterKey: k, UsePreviousValue: true });
}

/** Lets `grantee` (a state machine) hand the serving stack's update role to CloudFormation, and only to it. */
export function grantPromotion(grantee: iam.IGrantable, cloudFormationRole: iam.IRole): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [cloudFormationRole.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  }));
  // UpdateStack resolves the stack's SSM-typed parameters (CDK's BootstrapVersion) with the caller's permissions.
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ssm:GetParameters'],
    resources: [bootstrapParameters(cloudFormationRole)],
  }));
}

/**
 * The role CloudFormation deploys the serving stack with: the one `cdk bootstrap` made for the
 * stack's synthesizer (the same role `cdk deploy` uses), so a promotion can change nothing a
 * deploy could not.
 */
export function bootstrapDeployRole(scope: Construct, stack: Stack): iam.IRole {
  const synthesizer = stack.synthesizer as { cloudFormationExecutionRoleArn?: string };
  const arn = synthesizer.cloudFormationExecutionRoleArn;
  new PropsValidator(scope, 'DeploymentInvalidProps').check(!arn,
    `'cloudFormationRole' is needed: the serving stack ${stack.node.path} uses a synthesizer without a CloudFormation execution role; `
    + 'pass the role CloudFormation should update the stack with').throwIfInvalid();
  // The synthesizer's ARN holds ${AWS::AccountId}-style placeholders for the deploy-time account and region.
  const resolved = arn!.replace(/\$\{AWS::Partition\}/g, stack.partition).replace(/\$\{AWS::AccountId\}/g, stack.account).replace(/\$\{AWS::Region\}/g, stack.region);
  return iam.Role.fromRoleArn(scope, 'CloudFormationRole', resolved, { mutable: false });
}

/** The serving stack's ARN pattern: stack ARNs end in an id generated at creation. */
export function servingStackArn(target: ModelVersionParameter): string {
  const stack = target.servingStack;
  return stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/** The wildcards a promotion needs: the serving stack's ARN ends in a generated id. */
export function acknowledgePromotionRole(role: iam.IRole, target: ModelVersionParameter): void {
  acknowledgeWildcards(role, { resources: [servingStackArn(target)] },
    `CloudFormation stack ARNs end in an id generated at creation; the grant is limited to the stack ${target.servingStack.stackName}.`);
  acknowledgeWildcards(role, { resources: ['*'] }, 'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level permissions.');
  acknowledgeWildcards(role, { resources: [bootstrapParameters(role)] },
    'UpdateStack reads the CDK bootstrap version parameter, whose qualifier the synthesizer chooses, with the caller\'s permissions.');
  acknowledgeWildcards(role, { resources: [sageMakerArn(target.servingStack, 'endpoint-config', '*')] },
    'After a rollout the promotion reads (DescribeEndpointConfig only) the configuration an endpoint runs on, whose name CloudFormation generates.');
  // Only where a component serves the version: without one the grant names no model.
  whenComponentServes(target, () => acknowledgeWildcards(role, { resources: [sageMakerArn(target.servingStack, 'model', '*')] },
    'After a rollout the promotion reads (DescribeModel only) the model an inference component runs, whose name CloudFormation generates.'));
  acknowledgeInlinePolicy(role);
}

/** The SSM parameters `cdk bootstrap` writes, read when CloudFormation resolves BootstrapVersion. */
function bootstrapParameters(scope: IConstruct): string {
  return Stack.of(scope).formatArn({ service: 'ssm', resource: 'parameter', resourceName: 'cdk-bootstrap/*' });
}
