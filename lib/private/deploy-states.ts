import { ArnFormat, CfnParameter, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { PropsValidator } from './errors';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from './nag';
import type { ModelVersionParameter } from '../model-version-parameter';

/** Stack states after which CloudFormation has put the previous template and values back. */
const ROLLED_BACK = ['UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED', 'UPDATE_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED'];

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
 * serves; a rollback means the previous version still serves and the deployment failed. A
 * version that already serves leaves the stack untouched. Results go to `$.deployment`.
 */
export function buildDeployStates(scope: Construct, props: DeployStatesProps, failures: DeployFailureHandling): DeployStates {
  const target = props.modelVersion;
  const stack = target.servingStack;
  const stackArn = servingStackArn(target);
  const describe = (id: string, resultSelector: Record<string, string>, resultPath: string) => {
    const task = new tasks.CallAwsService(scope, id, {
      service: 'cloudformation',
      action: 'describeStacks',
      iamAction: 'cloudformation:DescribeStacks',
      iamResources: [stackArn],
      parameters: { StackName: stack.stackName },
      resultSelector,
      resultPath,
    });
    failures.catchTask(task, 'Deploy');
    return task;
  };

  const served = describe('CheckServedModel', {
    'served.$': `$.Stacks[0].Parameters[?(@.ParameterKey == '${target.parameterKey}')].ParameterValue`,
  }, '$.deployment');
  const done = new sfn.Pass(scope, 'DeploymentDone', { resultPath: sfn.JsonPath.DISCARD });
  const unchanged = new sfn.Pass(scope, 'AlreadyServed', { result: sfn.Result.fromString('UNCHANGED'), resultPath: '$.deployment.outcome' }).next(done);

  const update = new tasks.CallAwsService(scope, 'PromoteModelVersion', {
    comment: `Sets ${target.parameterKey} of ${stack.stackName}; CloudFormation rolls the endpoint out`,
    service: 'cloudformation',
    action: 'updateStack',
    iamAction: 'cloudformation:UpdateStack',
    iamResources: [stackArn],
    parameters: {
      StackName: stack.stackName,
      UsePreviousTemplate: true,
      RoleARN: props.cloudFormationRole.roleArn,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      // Uncached: the synthesizer adds BootstrapVersion to the stack only while it synthesizes.
      Parameters: Lazy.uncachedAny({ produce: () => updateParameters(stack, target.parameterKey, props.packageArnPath) }),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Another update of the stack may be in progress (a cdk deploy): wait for it.
  update.addRetry({ errors: ['CloudFormation.CloudFormationException'], interval: Duration.seconds(60), backoffRate: 1.5, maxAttempts: 5 });
  failures.catchTask(update, 'Deploy');

  const maxPolls = Math.max(1, Math.ceil(props.rolloutTimeout.toSeconds() / props.pollInterval.toSeconds()));
  const startPolling = new sfn.Pass(scope, 'StartRollout', { result: sfn.Result.fromObject({ count: 0 }), resultPath: '$.deployment.poll' });
  const wait = new sfn.Wait(scope, 'WaitForRollout', { time: sfn.WaitTime.duration(props.pollInterval) });
  const check = describe('CheckRollout', { 'status.$': '$.Stacks[0].StackStatus' }, '$.deployment.stack');
  const count = new sfn.Pass(scope, 'CountRolloutPoll', {
    parameters: { 'count.$': 'States.MathAdd($.deployment.poll.count, 1)' },
    resultPath: '$.deployment.poll',
  });
  const deployed = new sfn.Pass(scope, 'Deployed', { result: sfn.Result.fromString('DEPLOYED'), resultPath: '$.deployment.outcome' }).next(done);
  const outcome = new sfn.Choice(scope, 'RolloutFinished')
    .when(sfn.Condition.stringEquals('$.deployment.stack.status', 'UPDATE_COMPLETE'), deployed)
    .when(sfn.Condition.or(...ROLLED_BACK.map((s) => sfn.Condition.stringEquals('$.deployment.stack.status', s))),
      failures.failWith('RolloutRolledBack', 'RolloutRolledBack',
        `CloudFormation rolled ${stack.stackName} back; the previously promoted model keeps serving`))
    .when(sfn.Condition.numberGreaterThanEquals('$.deployment.poll.count', maxPolls),
      failures.failWith('RolloutTimedOut', 'RolloutTimedOut',
        `${stack.stackName} was still updating after ${props.rolloutTimeout.toHumanString()}; check the stack before promoting again`))
    .otherwise(wait);
  sfn.Chain.start(wait).next(check).next(count).next(outcome);

  const alreadyServed = new sfn.Choice(scope, 'NewModelVersion')
    .when(sfn.Condition.and(
      sfn.Condition.isPresent('$.deployment.served[0]'),
      sfn.Condition.stringEqualsJsonPath('$.deployment.served[0]', props.packageArnPath)), unchanged)
    .otherwise(sfn.Chain.start(update).next(startPolling).next(wait));
  return { start: sfn.Chain.start(served).next(alreadyServed), done };
}

/** Every parameter of the serving stack keeps its value, but the model version, which is set. */
function updateParameters(stack: Stack, key: string, packageArnPath: string): unknown[] {
  const keys = stack.node.findAll().filter((c): c is CfnParameter => c instanceof CfnParameter).map((p) => stack.resolve(p.logicalId));
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
  acknowledgeWildcards(role, { actions: ['kms:GenerateDataKey*'] }, 'The action group SNS publish grants use for the failure topic\'s key, on that key only.');
  acknowledgeInlinePolicy(role);
}
