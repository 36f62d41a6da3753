/**
 * The registry-driven promotion, run from the synthesized definition in aws-local-stepfunctions
 * against an SDK-like account (fake-serving-account.ts) that answers as CloudFormation and
 * SageMaker do: rolled-back rollouts (by CloudFormation, and by SageMaker behind CloudFormation's
 * back), busy stacks, cancellation, throttling, and duplicate events. The harness runs every Wait
 * and Retry at 0 ms, so the retry and timeout policy is read from the definition and checked too.
 */
import { App, Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { templateOf, testStack } from '../helpers/app';
import { AslDefinition, allStates, definitionFromTemplate, namedError, runStateMachine, RunResult } from '../helpers/asl';
import { nagFindings } from '../helpers/nag';
import { FakeAccountOptions, FakeServingAccount } from './fake-serving-account';
import { deployBudget } from '../../lib/serving/private/deploy-states';
import { MlInstanceType, ModelEndpoint, ModelPromotion, ModelRegistry, ModelVersionParameter } from '../../lib';

const V5 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/5';
const V6 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/6';
const V7 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7';
const V8 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/8';
const POLL = Duration.minutes(1);
const ROLLOUT = Duration.minutes(5);
const BUSY = Duration.minutes(10);

/** The stack, not synthesized yet (cdk-nag runs only on a first synthesis). */
function construct(withEndpoint = true) {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
  const modelVersion = new ModelVersionParameter(stack, 'ChurnModelVersion', { registry });
  const promotion = new ModelPromotion(stack, 'Promotion', { modelVersion, pollInterval: POLL, rolloutTimeout: ROLLOUT, stackBusyTimeout: BUSY });
  if (withEndpoint) {
    // Created after the promotion: the promotion finds it when the template is synthesized.
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      endpointName: 'churn',
      model: modelVersion.modelSource(),
      variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE, initialInstanceCount: 1 }],
    });
    modelVersion.serveOnlyWhenPromoted(endpoint);
  }
  return { stack, modelVersion, promotion };
}

function build(withEndpoint = true) {
  const { stack, modelVersion, promotion } = construct(withEndpoint);
  const template = templateOf(stack);
  const machineId = stack.resolve((promotion.stateMachine.node.defaultChild as any).logicalId);
  const configId = Object.keys(template.findResources('AWS::SageMaker::EndpointConfig'))[0];
  return {
    stack, template, configId,
    parameterKey: stack.resolve(modelVersion.parameterKey) as string,
    definition: definitionFromTemplate(template, machineId),
  };
}

const built = build();

function account(options: Partial<FakeAccountOptions> = {}): FakeServingAccount {
  return new FakeServingAccount({
    parameterKey: built.parameterKey, served: V6, configLogicalId: built.configId,
    allowedPattern: built.template.toJSON().Parameters[built.parameterKey].AllowedPattern, ...options,
  });
}

async function promote(fake: FakeServingAccount, input: object = { modelPackageArn: V7 }, definition: AslDefinition = built.definition): Promise<RunResult> {
  return runStateMachine(definition, input, fake.handlers(), { stateMachineName: 'promotion' });
}

function outcomeOf(result: RunResult): string | undefined {
  return result.output?.deployment?.outcome;
}

/** The seconds a run would take in Step Functions: every Wait, and every retry's longest backoff (jitter only shortens it). */
function simulatedSeconds(result: RunResult, definition: AslDefinition = built.definition): number {
  const states = Object.fromEntries(allStates(definition));
  return result.events.reduce((sum, e: any) => {
    if (e.type === 'StateEntered' && states[e.state.name]?.Type === 'Wait') return sum + states[e.state.name].Seconds;
    if (e.type === 'StateRetried') return sum + e.retry.retrier.IntervalSeconds * (e.retry.retrier.BackoffRate ?? 2) ** (e.retry.attempt - 1);
    return sum;
  }, 0);
}

describe('a promotion checks what serves after CloudFormation finishes (item 13)', () => {
  test('a rollout that CloudFormation and SageMaker finish is DEPLOYED: the endpoint runs the configuration the template names', async () => {
    const fake = account();
    const result = await promote(fake);
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('DEPLOYED');
    expect(fake.updates).toHaveLength(1);
    expect(fake.calls.map((c) => c.action)).toEqual(expect.arrayContaining(['describeEndpoint', 'describeStackResource', 'describeEndpointConfig']));
    // No inference component serves the version.
    expect(fake.calls.map((c) => c.action)).not.toContain('describeInferenceComponent');
    expect(fake.calls.find((c) => c.action === 'describeStackResource')!.input).toEqual({ StackName: 'TestStack', LogicalResourceId: built.configId });
    expect(fake.calls.find((c) => c.action === 'describeEndpoint')!.input).toEqual({ EndpointName: 'churn' });
    expect(result.visited).toContain('EndpointServesVersion');
    expect(fake.published).toEqual([]);
  });

  test('SageMaker rolled the endpoint back while CloudFormation reports UPDATE_COMPLETE: ROLLED_BACK, a failure notice, nothing deleted', async () => {
    const fake = account({ plan: 'sagemaker-rollback' });
    const result = await promote(fake);
    expect(fake.status).toBe('UPDATE_COMPLETE');
    expect(result.status).toBe('FAILED');
    expect(result.visited).toContain('SageMakerRolledBackOutcome');
    expect(fake.published).toEqual([expect.objectContaining({ 'model-package': V7, 'error': 'SageMakerRolledBack', 'cause': expect.stringContaining('previously served model keeps serving') })]);
    // The promotion only reads and updates the stack; it deletes nothing.
    expect(fake.calls.map((c) => c.action).filter((a) => /delete/i.test(a))).toEqual([]);
  });

  test('the replaced endpoint configuration and model are kept, so a configuration SageMaker rolled back to still exists', () => {
    for (const type of ['AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Model']) {
      const [resource] = Object.values(built.template.findResources(type)) as any[];
      expect({ type, replace: resource.UpdateReplacePolicy, delete: resource.DeletionPolicy }).toEqual({ type, replace: 'Retain', delete: 'Delete' });
    }
  });

  test('a rollout that CloudFormation rolled back is ROLLED_BACK: the previous version keeps serving', async () => {
    const fake = account({ plan: 'cloudformation-rollback' });
    const result = await promote(fake);
    expect(result.status).toBe('FAILED');
    expect(fake.parameterValue).toBe(V6);
    expect(result.visited).toContain('RolloutRolledBackOutcome');
    expect(fake.published).toEqual([expect.objectContaining({ error: 'RolloutRolledBack' })]);
  });

  test('an UPDATE_COMPLETE whose parameter names another version (another update changed it) is not reported as deployed', async () => {
    const fake = account({ rolloutPolls: 1 });
    const handlers = fake.handlers();
    const describe = handlers['aws-sdk:cloudformation:describeStacks'];
    handlers['aws-sdk:cloudformation:describeStacks'] = (input, state) => {
      const answer = describe(input, state) as any;
      if (state === 'CheckRollout') answer.Stacks[0].Parameters[1].ParameterValue = V5;
      return answer;
    };
    const result = await runStateMachine(built.definition, { modelPackageArn: V7 }, handlers, { stateMachineName: 'promotion' });
    expect(result.status).toBe('FAILED');
    expect(result.visited).not.toContain('Deployed');
    expect(fake.published).toEqual([expect.objectContaining({ error: 'RolloutSuperseded' })]);
  });

  test('without an endpoint that serves the version, nothing is checked after UPDATE_COMPLETE', async () => {
    const bare = build(false);
    const fake = new FakeServingAccount({ parameterKey: bare.parameterKey, served: V6 });
    const result = await promote(fake, { modelPackageArn: V7 }, bare.definition);
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('DEPLOYED');
    expect(fake.calls.map((c) => c.action)).not.toContain('describeEndpoint');
  });
});

describe('busy stacks, timeouts and cancellation (item 14)', () => {
  test('waiting for a busy stack does not use up the rollout budget: 8 busy polls, then a rollout of 4', async () => {
    // One budget of 5 polls for both would fail this promotion.
    const fake = account({ busyPolls: 8, rolloutPolls: 4 });
    const result = await promote(fake);
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('DEPLOYED');
    expect(result.visited.filter((s) => s === 'WaitForStack')).toHaveLength(8);
    expect(fake.cancels).toEqual([]);
  });

  test('a stack busy for longer than stackBusyTimeout fails without an update', async () => {
    const fake = account({ busyPolls: 50 });
    const result = await promote(fake);
    expect(result.status).toBe('FAILED');
    expect(fake.updates).toEqual([]);
    expect(result.visited.filter((s) => s === 'WaitForStack')).toHaveLength(10);
    expect(fake.published).toEqual([expect.objectContaining({ error: 'StackBusy' })]);
  });

  test('a rollout in UPDATE_IN_PROGRESS at the rollout timeout is cancelled once, and the promotion fails after the rollback', async () => {
    const fake = account({ plan: 'hang' });
    const result = await promote(fake);
    expect(result.status).toBe('FAILED');
    expect(fake.cancels).toEqual(['TestStack']);
    expect(fake.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(fake.published).toEqual([expect.objectContaining({ error: 'RolloutTimedOut' })]);
  });

  test('a CancelUpdateStack throttled beyond every backoff is sent again, but each backoff counts against the second budget: stuck within it', async () => {
    const fake = account({ plan: 'hang', throttle: { cancelUpdateStack: 1000 } });
    const result = await promote(fake);
    expect(result.status).toBe('FAILED');
    expect(fake.published).toEqual([expect.objectContaining({ error: 'RolloutStuck' })]);
    // Cancelled at poll 5 (6 calls over 155 s, charged as 3 polls of 1 minute), again at poll 9, stuck at poll 13.
    expect(fake.calls.filter((c) => c.action === 'cancelUpdateStack')).toHaveLength(12);
    expect(result.visited.filter((s) => s === 'ChargeThrottledCancel')).toHaveLength(2);
    // Past the two rollout budgets by at most one cancel's backoff and a poll, as deployBudget counts it
    // (a cancel sent with its whole backoff at every poll took 10 polls + 5 x 155 s = 1,375 s).
    const backoff = [...Array(5).keys()].reduce((sum, i) => sum + 5 * 2 ** i, 0);
    expect(simulatedSeconds(result)).toBeLessThanOrEqual(2 * ROLLOUT.toSeconds() + backoff + POLL.toSeconds());
  });

  test('a throttled CancelUpdateStack (CloudFormationException, Rate exceeded) is sent again with backoff, and the rollout is still cancelled in time', async () => {
    const fake = account({ plan: 'hang', throttle: { cancelUpdateStack: 2 } });
    const result = await promote(fake);
    expect(fake.calls.filter((c) => c.action === 'cancelUpdateStack')).toHaveLength(3);
    // Sent again within the same poll, with backoff: the rollback keeps its whole budget.
    expect(result.visited.filter((s) => s === 'CancelRollout')).toHaveLength(1);
    expect(fake.cancels).toEqual(['TestStack']);
    expect(result.status).toBe('FAILED');
    expect(fake.published).toEqual([expect.objectContaining({ error: 'RolloutTimedOut' })]);
  });

  test('a rollout still cleaning up at the rollout timeout is never cancelled (CloudFormation allows it only in UPDATE_IN_PROGRESS)', async () => {
    const fake = account({ rolloutPolls: 4, cleanupPolls: 3 });
    const result = await promote(fake);
    expect(fake.calls.filter((c) => c.action === 'cancelUpdateStack')).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('DEPLOYED');
  });

  test('a cancel that arrives after the update left UPDATE_IN_PROGRESS is rejected, and the rollout is watched to its end', async () => {
    const fake = account({ rolloutPolls: 5 });
    const handlers = fake.handlers();
    const cancel = handlers['aws-sdk:cloudformation:cancelUpdateStack'];
    // The update moves on between the last DescribeStacks and the CancelUpdateStack.
    handlers['aws-sdk:cloudformation:cancelUpdateStack'] = (input, state) => {
      fake.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
      fake.liveVersion = V7;
      return cancel(input, state);
    };
    const result = await runStateMachine(built.definition, { modelPackageArn: V7 }, handlers, { stateMachineName: 'promotion' });
    expect(fake.cancels).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('DEPLOYED');
  });

  test('throttled reads are retried: DescribeStacks throttled 4 times still promotes', async () => {
    const fake = account({ throttle: { describeStacks: 4 } });
    const result = await promote(fake);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.filter((e: any) => e.type === 'StateRetried').length).toBeGreaterThanOrEqual(4);
  });

  test('throttling named CloudFormation.ThrottlingException is retried too, on every SageMaker read as well', async () => {
    const fake = account({ throttle: { describeStacks: 2 }, throttleError: 'CloudFormation.ThrottlingException' });
    expect((await promote(fake)).status).toBe('SUCCEEDED');
    const sageMaker = account({ throttle: { describeEndpoint: 3, describeEndpointConfig: 3 }, throttleError: 'SageMaker.SageMakerException' });
    expect((await promote(sageMaker)).status).toBe('SUCCEEDED');
  });

  test('more throttling than MaxAttempts fails the promotion with a notice, and no update', async () => {
    const fake = account({ throttle: { describeStacks: 6 } });
    const result = await promote(fake);
    expect(result.status).toBe('FAILED');
    expect(fake.updates).toEqual([]);
    expect(fake.published).toEqual([expect.objectContaining({ error: 'CloudFormation.CloudFormationException' })]);
  });
});

describe('a throttled UpdateStack (CloudFormation raises it as CloudFormationException, "Rate exceeded")', () => {
  const updateCalls = (fake: FakeServingAccount) => fake.calls.filter((c) => c.action === 'updateStack').length;

  test('three throttles in a row are sent again with backoff and promote, without using up the one rejection', async () => {
    for (const throttleError of ['CloudFormation.CloudFormationException', 'CloudFormation.ThrottlingException']) {
      const fake = account({ throttle: { updateStack: 3 }, throttleError });
      const result = await promote(fake);
      expect({ throttleError, status: result.status, outcome: outcomeOf(result), sent: updateCalls(fake), updates: fake.updates.length, published: fake.published })
        .toEqual({ throttleError, status: 'SUCCEEDED', outcome: 'DEPLOYED', sent: 4, updates: 1, published: [] });
      expect(result.visited).not.toContain('PromoteModelVersionAgain');
      expect(result.visited.filter((s) => s === 'CheckServedModel')).toHaveLength(1);
    }
  });

  test('the second UpdateStack, after a rejection, retries throttling too', async () => {
    const fake = account({ rolloutPolls: 2 });
    const handlers = fake.handlers();
    const update = handlers['aws-sdk:cloudformation:updateStack'];
    let sent = 0;
    handlers['aws-sdk:cloudformation:updateStack'] = (input, state) => {
      sent++;
      // A cdk deploy starts between our check and our first UpdateStack; then two throttles.
      if (sent === 1) {
        fake.status = 'UPDATE_IN_PROGRESS';
        setStatusAfter(fake, 2, 'UPDATE_COMPLETE');
      }
      if (sent === 2 || sent === 3) throw namedError('CloudFormation.CloudFormationException', 'Rate exceeded (Service: CloudFormation, Status Code: 400, Request ID: 1)');
      return update(input, state);
    };
    const result = await runStateMachine(built.definition, { modelPackageArn: V7 }, handlers, { stateMachineName: 'promotion' });
    expect({ status: result.status, outcome: outcomeOf(result), sent, updates: fake.updates.length }).toEqual({ status: 'SUCCEEDED', outcome: 'DEPLOYED', sent: 4, updates: 1 });
    expect(result.visited).toContain('PromoteModelVersionAgain');
  });

  test('a validation error is not resent, also after throttles: one re-check, one second UpdateStack, CloudFormation\'s error reported', async () => {
    const fake = account({ served: V7, throttle: { updateStack: 2 } });
    const result = await promote(fake, { modelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn' });
    expect(result.status).toBe('FAILED');
    // 2 throttled, then the rejected one and the one sent after the re-check.
    expect(updateCalls(fake)).toBe(4);
    expect(fake.published).toEqual([expect.objectContaining({ error: 'CloudFormation.CloudFormationException', cause: expect.stringContaining('must match pattern') })]);
  });

  test('"No updates are to be performed" is not resent either: the re-check finds the version served', async () => {
    const fake = account({ served: V6 });
    const handlers = fake.handlers();
    const describe = handlers['aws-sdk:cloudformation:describeStacks'];
    let checks = 0;
    // The first check still sees V6; another execution has set V7 by the time our UpdateStack arrives.
    handlers['aws-sdk:cloudformation:describeStacks'] = (input, state) => {
      const answer = describe(input, state) as any;
      if (checks++ === 0) (fake as any).parameter = V7;
      return answer;
    };
    const result = await runStateMachine(built.definition, { modelPackageArn: V7 }, handlers, { stateMachineName: 'promotion' });
    expect(updateCalls(fake)).toBe(1);
    expect({ status: result.status, outcome: outcomeOf(result) }).toEqual({ status: 'SUCCEEDED', outcome: 'UNCHANGED' });
  });

  test('throttling beyond the backoff (1 + 5 attempts) fails as StackUpdateThrottled, with nothing changed', async () => {
    const fake = account({ throttle: { updateStack: 50 } });
    const result = await promote(fake);
    expect(result.status).toBe('FAILED');
    expect(updateCalls(fake)).toBe(6);
    expect(fake.updates).toEqual([]);
    expect(result.visited).not.toContain('PromoteModelVersionAgain');
    expect(fake.published).toEqual([expect.objectContaining({
      'model-package': V7, 'error': 'StackUpdateThrottled', 'cause': expect.stringMatching(/^CloudFormation throttled every UpdateStack of TestStack \(Rate exceeded\), 6 times over at most 155 seconds; the stack was not changed/),
    })]);
  });
});

describe('duplicate and stale registry events (item 15)', () => {
  test('two events for one approval at once: one update, no failure notice, the duplicate ends as IN_PROGRESS or UNCHANGED', async () => {
    const fake = account({ rolloutPolls: 3 });
    const [a, b] = await Promise.all([promote(fake), promote(fake)]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(fake.updates).toHaveLength(1);
    expect([outcomeOf(a), outcomeOf(b)].sort()).toEqual(['DEPLOYED', expect.stringMatching(/^(IN_PROGRESS|UNCHANGED)$/)]);
    expect(fake.published).toEqual([]);
  });

  test('two events for an approval that rolls back: one rollout, one failure notice', async () => {
    const fake = account({ rolloutPolls: 3, plan: 'cloudformation-rollback' });
    const results = await Promise.all([promote(fake), promote(fake)]);
    expect(fake.updates).toHaveLength(1);
    expect(fake.published).toHaveLength(1);
    expect(results.map((r) => r.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
  });

  test('two approvals of different versions at once: the newer one serves in the end, whichever UpdateStack wins', async () => {
    for (const order of [[V8, V7], [V7, V8]]) {
      const fake = account({ rolloutPolls: 3 });
      const results = await Promise.all(order.map((arn) => promote(fake, { modelPackageArn: arn })));
      expect({ order, statuses: results.map((r) => r.status), served: fake.parameterValue, published: fake.published })
        .toEqual({ order, statuses: ['SUCCEEDED', 'SUCCEEDED'], served: V8, published: [] });
    }
  });

  test('an event for the version that serves is a no-op Succeed (UNCHANGED), after checking the endpoint', async () => {
    const fake = account({ served: V7 });
    const result = await promote(fake);
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('UNCHANGED');
    expect(fake.updates).toEqual([]);
    expect(result.visited).toContain('EndpointServesVersion');
  });

  test('an event for an older approved version (its metadata changed) does not roll the endpoint back', async () => {
    const fake = account({ served: V7 });
    const result = await promote(fake, { modelPackageArn: V5 });
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('NOT_NEWER');
    expect(fake.updates).toEqual([]);
  });

  test('an explicit rollback request promotes an older version', async () => {
    const fake = account({ served: V7 });
    const result = await promote(fake, { modelPackageArn: V5, rollback: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('DEPLOYED');
    expect(fake.parameterValue).toBe(V5);
  });

  test('the first promotion ever (none served) promotes', async () => {
    const fake = account({ served: 'none' });
    const result = await promote(fake, { modelPackageArn: V5 });
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.parameterValue).toBe(V5);
  });

  test('a request with an unversioned ARN is not compared by version: UpdateStack checks it against the parameter\'s pattern', async () => {
    const fake = account({ served: V7 });
    const result = await promote(fake, { modelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn' });
    expect(result.visited).not.toContain('ReadVersions');
    expect(result.status).toBe('FAILED');
    expect(fake.calls.filter((c) => c.action === 'updateStack')).toHaveLength(2);
    expect(fake.published).toEqual([expect.objectContaining({ error: 'CloudFormation.CloudFormationException', cause: expect.stringContaining('must match pattern') })]);
  });

  test('a hand-started promotion without a package ARN fails at once, naming the input it needs', async () => {
    const result = await promote(account(), { ModelPackageArn: V7 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('"modelPackageArn"');
  });

  test('an UpdateStack rejected because another update started meanwhile waits for it, then promotes', async () => {
    const fake = account({ rolloutPolls: 2 });
    const handlers = fake.handlers();
    const update = handlers['aws-sdk:cloudformation:updateStack'];
    let first = true;
    handlers['aws-sdk:cloudformation:updateStack'] = (input, state) => {
      if (first) {
        first = false;
        // A cdk deploy starts between our DescribeStacks and our UpdateStack.
        fake.status = 'UPDATE_IN_PROGRESS';
        setStatusAfter(fake, 2, 'UPDATE_COMPLETE');
      }
      return update(input, state);
    };
    const result = await runStateMachine(built.definition, { modelPackageArn: V7 }, handlers, { stateMachineName: 'promotion' });
    expect(result.status).toBe('SUCCEEDED');
    expect(outcomeOf(result)).toBe('DEPLOYED');
    expect(fake.updates).toHaveLength(1);
    expect(result.visited).toContain('PromoteModelVersionAgain');
  });

  test('the rule starts promotions only for approved, complete packages of the registry', () => {
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        'detail': { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Approved'], ModelPackageStatus: ['Completed'] },
      },
    });
  });
});

/** A busy stack that a cdk deploy updates: `polls` more DescribeStacks, then `status`. */
function setStatusAfter(fake: FakeServingAccount, polls: number, status: string): void {
  (fake as any).phases = [{ status: 'UPDATE_IN_PROGRESS', polls: polls - 1 }, { status, polls: 0 }];
}

describe('the promotion\'s permissions', () => {
  test('it reads only the endpoint that serves the version, and passes every cdk-nag pack', () => {
    const { stack } = build();
    const statements = Object.values(templateOf(stack).findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const resources = (action: string) => statements.filter((st: any) => st.Action === action).map((st: any) => stack.resolve(st.Resource));
    expect(resources('sagemaker:DescribeEndpoint')).toEqual(['arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn']);
    // No inference component serves the version: its reads name nothing that can exist (no model/* wildcard).
    expect([resources('sagemaker:DescribeInferenceComponent'), resources('sagemaker:DescribeModel')]).toEqual([
      ['arn:aws:sagemaker:us-east-1:123456789012:inference-component/no_component_serves_this_version'],
      ['arn:aws:sagemaker:us-east-1:123456789012:model/no_component_serves_this_version'],
    ]);
    expect(nagFindings(construct().stack.node.root as App)).toEqual([]);
  });
});

describe('the retry and timeout policy of the synthesized promotion', () => {
  const states = Object.fromEntries(allStates(built.definition));
  const retriers = (name: string) => states[name].Retry as Array<{ ErrorEquals: string[]; IntervalSeconds: number; BackoffRate: number; MaxAttempts: number }>;

  test('CloudFormation reads retry throttling, under both names the integration may raise, 5 times from 5 s doubling', () => {
    for (const name of ['CheckServedModel', 'CheckRollout', 'DescribeTemplateConfig']) {
      expect({ name, retry: retriers(name) }).toEqual({ name, retry: [{
        ErrorEquals: ['CloudFormation.ThrottlingException', 'CloudFormation.CloudFormationException', 'CloudFormation.SdkClientException'],
        IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5,
      }] });
    }
  });

  test('SageMaker reads retry throttling and unmodeled errors, 5 times from 5 s doubling', () => {
    for (const name of ['DescribeServingEndpoint', 'DescribeServingConfig']) {
      expect({ name, retry: retriers(name) }).toEqual({ name, retry: [{
        ErrorEquals: ['SageMaker.ThrottlingException', 'SageMaker.SageMakerException', 'SageMaker.SdkClientException'],
        IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5,
      }] });
    }
  });

  test('UpdateStack and CancelUpdateStack are retried only when throttled, with backoff: a lost answer is looked up, a rejection checked again, never resent', () => {
    const throttle = ['CloudFormationThrottled', 'CloudFormation.ThrottlingException'];
    for (const name of ['PromoteModelVersion', 'PromoteModelVersionAgain', 'CancelRollout']) {
      expect({ name, retry: retriers(name) }).toEqual({ name, retry: [{ ErrorEquals: throttle, IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5, JitterStrategy: 'FULL' }] });
      // The request itself is never retried: its Parallel retries only what the branch renamed as throttling.
      expect({ name, retry: states[`${name}Request`].Retry, catches: states[`${name}Request`].Catch })
        .toEqual({ name, retry: undefined, catches: [{ ErrorEquals: ['CloudFormation.CloudFormationException'], ResultPath: '$.rejection', Next: `${name}Throttled` }] });
    }
    expect(states.PromoteModelVersion.Catch.slice(0, 3)).toEqual([
      { ErrorEquals: ['CloudFormation.SdkClientException'], ResultPath: '$.deployment.updateLost', Next: 'CheckServedModel' },
      { ErrorEquals: ['CloudFormation.CloudFormationException'], ResultPath: '$.deployment.updateError', Next: 'CheckServedModel' },
      { ErrorEquals: throttle, ResultPath: '$.deployment.updateError', Next: 'StackUpdateThrottled' },
    ]);
    expect(states.PromoteModelVersionAgain.Catch[0]).toEqual({ ErrorEquals: throttle, ResultPath: '$.deployment.updateError', Next: 'StackUpdateThrottled' });
    // A cancel that is rejected, lost or throttled beyond the backoff is sent again at the next poll while the update runs.
    expect(states.CancelRollout.Catch[0]).toEqual({
      ErrorEquals: ['CloudFormation.CloudFormationException', 'CloudFormation.ThrottlingException', 'CloudFormation.SdkClientException', 'CloudFormationThrottled'],
      ResultPath: '$.deployment.cancelError', Next: 'WaitForRollout',
    });
  });

  test('CancelRollout is reached only from UPDATE_IN_PROGRESS, once, at the rollout budget (5 polls of 1 minute)', () => {
    const rules = states.RolloutFinished.Choices.filter((c: any) => c.Next === 'CancelRollout');
    expect(rules).toEqual([{
      And: [
        { Variable: '$.deployment.poll.rollout', NumericGreaterThanEquals: 5 },
        { Not: { Variable: '$.deployment.poll.cancelled', BooleanEquals: true } },
        { Variable: '$.deployment.stack.status', StringEquals: 'UPDATE_IN_PROGRESS' },
      ],
      Next: 'CancelRollout',
    }]);
    expect(states.WaitForRollout.Seconds).toBe(60);
  });

  test('the busy wait has its own counter and budget (10 polls of 1 minute)', () => {
    const busy = states.NewModelVersion.Choices.find((c: any) => c.Next === 'StackBusy');
    expect(busy.And).toContainEqual({ Variable: '$.deployment.poll.busy', NumericGreaterThanEquals: 10 });
    expect(states.CountStackPoll.Parameters['busy.$']).toBe('States.MathAdd($.deployment.poll.busy, 1)');
    expect(states.CountRolloutPoll.Parameters['rollout.$']).toBe('States.MathAdd($.deployment.poll.rollout, 1)');
    expect(states.WaitForStack.Seconds).toBe(60);
  });

  test('an endpoint briefly not InService is checked again at the poll interval, 5 times', () => {
    expect(retriers('VerifyServingEndpoints')).toEqual([{ ErrorEquals: ['EndpointNotInService'], IntervalSeconds: 60, BackoffRate: 1, MaxAttempts: 5 }]);
  });

  test('the state machine times out only after every budget it waits through', () => {
    // Busy wait, rollout, a cancelled rollout's rollback, 5 endpoint and 5 component checks, and the retries
    // (5 s doubling, 5 times) of the 2 stack checks, the 3 reads of an endpoint and of a component, and 2 throttled UpdateStacks.
    const retries = [...Array(5).keys()].reduce((sum, i) => sum + 5 * 2 ** i, 0);
    const budgets = BUSY.toSeconds() + 2 * ROLLOUT.toSeconds() + 10 * POLL.toSeconds() + 10 * retries;
    expect(built.definition.TimeoutSeconds).toBeGreaterThan(budgets);
    expect(built.definition.TimeoutSeconds).toBe(deployBudget({ rolloutTimeout: ROLLOUT, stackBusyTimeout: BUSY, pollInterval: POLL }).toSeconds() + 3600);
  });
});


describe('a promotion for rollbacks only, with a key and follow-up states of its caller', () => {
  function custom() {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const modelVersion = new ModelVersionParameter(stack, 'ChurnModelVersion', { registry });
    const encryptionKey = new kms.Key(stack, 'CallerKey', { enableKeyRotation: true });
    const followUp = new sfn.Pass(stack, 'RecordServed', { result: sfn.Result.fromString('recorded'), resultPath: '$.followUp' });
    const promotion = new ModelPromotion(stack, 'Promotion', { modelVersion, promoteOnApproval: false, encryptionKey, whenServed: followUp, pollInterval: POLL, rolloutTimeout: ROLLOUT });
    const template = templateOf(stack);
    return { stack, template, encryptionKey, definition: definitionFromTemplate(template, stack.resolve((promotion.stateMachine.node.defaultChild as any).logicalId)) };
  }
  const { stack, template, encryptionKey, definition } = custom();

  test('promoteOnApproval: false leaves out the approval rule; the caller\'s key encrypts the logs and no key is made', () => {
    expect(template.findResources('AWS::Events::Rule')).toEqual({});
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([stack.resolve((encryptionKey.node.defaultChild as any).logicalId)]);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [stack.resolve((encryptionKey.node.defaultChild as any).logicalId), 'Arn'] } });
  });

  test('whenServed runs once the version serves, not when nothing changed for a stale event', async () => {
    const deployed = await promote(account({ served: V6 }), { modelPackageArn: V7 }, definition);
    expect(deployed.status).toBe('SUCCEEDED');
    expect(deployed.visited).toEqual(expect.arrayContaining(['VersionServes', 'WhenServed', 'RecordServed', 'Promoted']));
    const stale = await promote(account({ served: V7 }), { modelPackageArn: V6 }, definition);
    expect(stale.status).toBe('SUCCEEDED');
    expect(stale.visited).not.toContain('RecordServed');
  });

  test('whenServed also runs when the version already serves, and after a rollback started by hand', async () => {
    const already = await promote(account({ served: V7 }), { modelPackageArn: V7 }, definition);
    expect(already.status).toBe('SUCCEEDED');
    expect(already.visited).toEqual(expect.arrayContaining(['AlreadyServed', 'WhenServed', 'RecordServed', 'Promoted']));
    const rolledBackByHand = await promote(account({ served: V7 }), { modelPackageArn: V6, rollback: true }, definition);
    expect(rolledBackByHand.status).toBe('SUCCEEDED');
    expect(rolledBackByHand.visited).toEqual(expect.arrayContaining(['Deployed', 'WhenServed', 'RecordServed', 'Promoted']));
  });

  test('a failure in whenServed notifies and fails the promotion', async () => {
    const failing = JSON.parse(JSON.stringify(definition));
    failing.States.WhenServed.Branches[0].States.RecordServed = { Type: 'Fail', Error: 'CallerFailed', Cause: 'the follow-up failed' };
    const fake = account({ served: V6 });
    const result = await promote(fake, { modelPackageArn: V7 }, failing);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailed');
    expect(fake.published).toEqual([expect.objectContaining({ 'model-package': V7, 'error': 'CallerFailed' })]);
  });
});
