import { ArnFormat, CfnParameter, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import type { ModelVersionParameter } from '../model-version-parameter';
import { PropsValidator } from '../../core/private/errors';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';

export interface DeployStatesProps {
  readonly modelVersion: ModelVersionParameter;
  /** JSON path of the model package ARN to promote. */
  readonly packageArnPath: string;
  /** The role CloudFormation updates the serving stack with. */
  readonly cloudFormationRole: iam.IRole;
  readonly pollInterval: Duration;
  readonly rolloutTimeout: Duration;
}

/** How the caller handles failures: it owns notification and the end of the execution. */
export interface DeployFailureHandling {
  /** Adds retries and a catch to a task. */
  catchTask(task: sfn.TaskStateBase, step: string): void;
  /** States that record a failure found without a task error (a rolled-back rollout), then fail. */
  failWith(id: string, error: string, cause: string): sfn.IChainable;
}

export interface DeployStates {
  readonly start: sfn.IChainable;
  /** Where both a deployment and a run with nothing new to serve continue. */
  readonly done: sfn.Pass;
}

/**
 * Promotes a model version by updating the serving stack's `ModelVersionParameter` on the
 * previous template, then waits for CloudFormation: UPDATE_COMPLETE means the new version
 * serves; a rollback means the previous version still serves and the deployment failed; a
 * rollout still running at the timeout is cancelled (CloudFormation then rolls it back). A stack
 * that is updating already is waited for first, within the same timeout, and a version that
 * already serves leaves the stack untouched. Results go to `$.deployment`.
 */
export function buildDeployStates(scope: Construct, props: DeployStatesProps, failures: DeployFailureHandling): DeployStates {
  const target = props.modelVersion;
  const stack = target.servingStack;
  const stackArn = servingStackArn(target);
  const stackStatus = '$.deployment.stack.status';
  const stackCall = (id: string, action: string, parameters: Record<string, unknown>, extra: Partial<tasks.CallAwsServiceProps> = {}) => {
    const task = new tasks.CallAwsService(scope, id, {
      service: 'cloudformation',
      action,
      iamAction: `cloudformation:${action.charAt(0).toUpperCase()}${action.slice(1)}`,
      iamResources: [stackArn],
      parameters: { StackName: stack.stackName, ...parameters },
      resultPath: sfn.JsonPath.DISCARD,
      ...extra,
    });
    failures.catchTask(task, 'Deploy');
    return task;
  };
  const describe = (id: string, resultSelector: Record<string, string>) => {
    const task = stackCall(id, 'describeStacks', {}, { resultSelector, resultPath: '$.deployment.stack' });
    // Reading is safe to repeat: a throttled read must not fail a rollout that goes on.
    task.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 4 });
    return task;
  };

  const maxPolls = Math.max(1, Math.ceil(props.rolloutTimeout.toSeconds() / props.pollInterval.toSeconds()));
  // One budget for waiting on a busy stack and for the rollout.
  const startPolling = new sfn.Pass(scope, 'StartRollout', { result: sfn.Result.fromObject({ count: 0 }), resultPath: '$.deployment.poll' });
  const waitThen = (id: string, next: sfn.IChainable) => new sfn.Wait(scope, `WaitFor${id}`, { time: sfn.WaitTime.duration(props.pollInterval) })
    .next(new sfn.Pass(scope, `Count${id}Poll`, { parameters: { 'count.$': 'States.MathAdd($.deployment.poll.count, 1)' }, resultPath: '$.deployment.poll' }))
    .next(next);
  const outOfTime = sfn.Condition.numberGreaterThanEquals('$.deployment.poll.count', maxPolls);
  const done = new sfn.Pass(scope, 'DeploymentDone', { resultPath: sfn.JsonPath.DISCARD });
  const outcomeIs = (id: string, outcome: string) => new sfn.Pass(scope, id, { result: sfn.Result.fromString(outcome), resultPath: '$.deployment.outcome' }).next(done);

  const served = describe('CheckServedModel', {
    'status.$': '$.Stacks[0].StackStatus',
    'served.$': `$.Stacks[0].Parameters[?(@.ParameterKey == '${target.parameterKey}')].ParameterValue`,
  });
  const update = stackCall('PromoteModelVersion', 'updateStack', {
    UsePreviousTemplate: true,
    RoleARN: props.cloudFormationRole.roleArn,
    Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    // Uncached: the synthesizer adds BootstrapVersion to the stack only while it synthesizes.
    Parameters: Lazy.uncachedAny({ produce: () => updateParameters(stack, target.parameterKey, props.packageArnPath) }),
  }, { comment: `Sets ${target.parameterKey} of ${stack.stackName}; CloudFormation rolls the endpoint out` });

  const check = describe('CheckRollout', { 'status.$': '$.Stacks[0].StackStatus' });
  const waitForRollout = waitThen('Rollout', check);
  const cancel = stackCall('CancelRollout', 'cancelUpdateStack', {}, { comment: 'CloudFormation rolls the cancelled update back to the previous model' })
    .next(failures.failWith('RolloutTimedOut', 'RolloutTimedOut',
      `${stack.stackName} was still updating after ${props.rolloutTimeout.toHumanString()}; the update was cancelled and rolls back to the previously promoted model`));
  const rollout = new sfn.Choice(scope, 'RolloutFinished')
    .when(sfn.Condition.stringEquals(stackStatus, 'UPDATE_COMPLETE'), outcomeIs('Deployed', 'DEPLOYED'))
    .when(sfn.Condition.stringEquals(stackStatus, 'UPDATE_ROLLBACK_COMPLETE'), failures.failWith('RolloutRolledBack', 'RolloutRolledBack',
      `CloudFormation rolled ${stack.stackName} back; the previously promoted model keeps serving`))
    .when(sfn.Condition.stringEquals(stackStatus, 'UPDATE_ROLLBACK_FAILED'), failures.failWith('RollbackFailed', 'RollbackFailed',
      `The rollback of ${stack.stackName} failed; the stack needs attention (continue the rollback in CloudFormation) before the next promotion`))
    .when(outOfTime, cancel)
    .otherwise(waitForRollout);
  check.next(rollout);

  const decide = new sfn.Choice(scope, 'NewModelVersion')
    .when(sfn.Condition.and(sfn.Condition.stringMatches(stackStatus, '*_IN_PROGRESS'), outOfTime),
      failures.failWith('StackBusy', 'StackBusy', `${stack.stackName} was updating for ${props.rolloutTimeout.toHumanString()}; promote again when it is done`))
    .when(sfn.Condition.stringMatches(stackStatus, '*_IN_PROGRESS'), waitThen('Stack', served))
    .when(sfn.Condition.and(
      sfn.Condition.isPresent('$.deployment.stack.served[0]'),
      sfn.Condition.stringEqualsJsonPath('$.deployment.stack.served[0]', props.packageArnPath)), outcomeIs('AlreadyServed', 'UNCHANGED'))
    .otherwise(sfn.Chain.start(update).next(waitForRollout));
  served.next(decide);
  return { start: sfn.Chain.start(startPolling).next(served), done };
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
  acknowledgeInlinePolicy(role);
}

/** The SSM parameters `cdk bootstrap` writes, read when CloudFormation resolves BootstrapVersion. */
function bootstrapParameters(scope: IConstruct): string {
  return Stack.of(scope).formatArn({ service: 'ssm', resource: 'parameter', resourceName: 'cdk-bootstrap/*' });
}
