/**
 * A promotion whose version an inference component of a SharedEndpoint serves, run from the
 * synthesized definition in aws-local-stepfunctions against fake-serving-account.ts: after
 * CloudFormation finishes, the component must be InService on the model the template names
 * (SageMaker may roll a component's update back to the model it ran before while CloudFormation
 * reports success), and the promotion reads only that component.
 */
import { App, Duration, Size } from 'aws-cdk-lib';
import { templateOf, testStack } from '../helpers/app';
import { allStates, definitionFromTemplate, runStateMachine, RunResult } from '../helpers/asl';
import { nagFindings } from '../helpers/nag';
import { FakeAccountOptions, FakeServingAccount } from './fake-serving-account';
import { MlInstanceType, ModelPromotion, ModelRegistry, ModelVersionParameter, SharedEndpoint } from '../../lib';

const V6 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/6';
const V7 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7';

/** The stack, not synthesized yet (cdk-nag runs only on a first synthesis). */
function construct(componentFirst = false) {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
  const modelVersion = new ModelVersionParameter(stack, 'ChurnModelVersion', { registry });
  const addComponent = () => new SharedEndpoint(stack, 'Shared', { endpointName: 'shared-models', instanceType: MlInstanceType.ML_G5_12XLARGE })
    .addComponent('Churn', { model: modelVersion.modelSource(), inferenceComponentName: 'Churn-Scorer', computeResources: { acceleratorCount: 1, minMemory: Size.gibibytes(16) } });
  const first = componentFirst ? addComponent() : undefined;
  const promotion = new ModelPromotion(stack, 'Promotion', { modelVersion, pollInterval: Duration.minutes(1), rolloutTimeout: Duration.minutes(5) });
  // By default created after the promotion: the promotion finds the component when the template is synthesized.
  const component = first ?? addComponent();
  return { stack, modelVersion, promotion, component };
}

function build(componentFirst = false) {
  const { stack, modelVersion, promotion, component } = construct(componentFirst);
  const template = templateOf(stack);
  return {
    stack, template,
    modelLogicalId: stack.resolve((component.node.findChild('Model') as any).logicalId) as string,
    parameterKey: stack.resolve(modelVersion.parameterKey) as string,
    definition: definitionFromTemplate(template, stack.resolve((promotion.stateMachine.node.defaultChild as any).logicalId)),
  };
}

const built = build();

function account(options: Partial<FakeAccountOptions> = {}): FakeServingAccount {
  return new FakeServingAccount({
    parameterKey: built.parameterKey, served: V6, component: { name: 'Churn-Scorer', modelLogicalId: built.modelLogicalId }, ...options,
  });
}

async function promote(fake: FakeServingAccount, input: object = { modelPackageArn: V7 }): Promise<RunResult> {
  return runStateMachine(built.definition, input, fake.handlers(), { stateMachineName: 'promotion' });
}

describe('a promotion checks the inference components that serve the version', () => {
  test('a component that runs the model the template names is DEPLOYED: its model is read by the name the component reports', async () => {
    const fake = account();
    const result = await promote(fake);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.deployment.outcome).toBe('DEPLOYED');
    expect(result.visited).toContain('ComponentServesVersion');
    const input = (action: string) => fake.calls.filter((c) => c.action === action).map((c) => c.input);
    expect(input('describeInferenceComponent')).toEqual([{ InferenceComponentName: 'Churn-Scorer' }]);
    expect(input('describeStackResource')).toEqual([{ StackName: 'TestStack', LogicalResourceId: built.modelLogicalId }]);
    expect(input('describeModel')).toEqual([{ ModelName: 'Model-7Cd' }]);
    // A shared endpoint serves no model of its own: no endpoint is checked.
    expect(input('describeEndpoint')).toEqual([]);
    expect(fake.published).toEqual([]);
  });

  test('SageMaker rolled the component back to the previous model while CloudFormation reports UPDATE_COMPLETE: ROLLED_BACK, with a notice', async () => {
    const fake = account({ plan: 'component-rollback' });
    const result = await promote(fake);
    expect(fake.status).toBe('UPDATE_COMPLETE');
    expect(result.status).toBe('FAILED');
    expect(result.visited).toEqual(expect.arrayContaining(['ComponentOnOtherModel', 'ComponentRolledBackOutcome']));
    expect(result.visited).not.toContain('Promoted');
    expect(fake.published).toEqual([expect.objectContaining({
      'model-package': V7, 'error': 'ComponentRolledBack', 'cause': expect.stringContaining('an inference component does not run the model the template names'),
    })]);
  });

  test('a version that already serves is UNCHANGED only after the component is checked, and a rolled-back component is found then too', async () => {
    const serves = account({ served: V7 });
    const unchanged = await promote(serves);
    expect({ status: unchanged.status, outcome: unchanged.output.deployment.outcome, updates: serves.updates }).toEqual({ status: 'SUCCEEDED', outcome: 'UNCHANGED', updates: [] });
    expect(unchanged.visited).toContain('ComponentServesVersion');
    const drifted = account({ served: V7 });
    drifted.componentVersion = V6;
    const result = await promote(drifted);
    expect(result.status).toBe('FAILED');
    expect(drifted.published).toEqual([expect.objectContaining({ error: 'ComponentRolledBack' })]);
  });

  test('a component briefly Updating is checked again at the poll interval; one that stays Failed fails as ComponentNotInService', async () => {
    const settling = account({ componentStatuses: ['Updating', 'Updating', 'InService'] });
    const settled = await promote(settling);
    expect(settled.status).toBe('SUCCEEDED');
    expect(settling.calls.filter((c) => c.action === 'describeInferenceComponent')).toHaveLength(3);
    const failed = account({ componentStatuses: ['Failed'] });
    const result = await promote(failed);
    expect(result.status).toBe('FAILED');
    // The first check and 5 more at the poll interval.
    expect(failed.calls.filter((c) => c.action === 'describeInferenceComponent')).toHaveLength(6);
    expect(failed.published).toEqual([expect.objectContaining({ error: 'ComponentNotInService', cause: expect.stringContaining('An inference component of TestStack was not InService') })]);
  });

  test('a component that cannot be read fails as VerificationFailed, after retrying SageMaker\'s unmodeled errors', async () => {
    const fake = account({ component: { name: 'another-component', modelLogicalId: built.modelLogicalId } });
    const result = await promote(fake);
    expect(result.status).toBe('FAILED');
    expect(fake.calls.filter((c) => c.action === 'describeInferenceComponent')).toHaveLength(6);
    expect(fake.published).toEqual([expect.objectContaining({ error: 'VerificationFailed' })]);
  });
});

describe('the permissions and policy of the component check', () => {
  const states = Object.fromEntries(allStates(built.definition));

  test('it reads only the component that serves the version (DescribeInferenceComponent on its ARN), and the models CloudFormation names', () => {
    const statements = Object.values(built.template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const resources = (action: string) => statements.filter((st: any) => st.Action === action).map((st: any) => built.stack.resolve(st.Resource));
    expect(resources('sagemaker:DescribeInferenceComponent')).toEqual(['arn:aws:sagemaker:us-east-1:123456789012:inference-component/churn-scorer']);
    expect(resources('sagemaker:DescribeModel')).toEqual(['arn:aws:sagemaker:us-east-1:123456789012:model/*']);
    expect(nagFindings(construct().stack.node.root as App)).toEqual([]);
  });

  test('a component created before the promotion is checked and acknowledged as well', () => {
    const early = build(true);
    expect(early.definition.States.ServingComponents.Result).toEqual([{ componentName: 'Churn-Scorer', modelLogicalId: early.modelLogicalId }]);
    const statements = Object.values(early.template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((st: any) => st.Action === 'sagemaker:DescribeInferenceComponent').map((st: any) => early.stack.resolve(st.Resource)))
      .toEqual(['arn:aws:sagemaker:us-east-1:123456789012:inference-component/churn-scorer']);
    expect(nagFindings(construct(true).stack.node.root as App)).toEqual([]);
  });

  test('the component\'s reads retry throttling and unmodeled errors, and an Updating component is checked again 5 times', () => {
    const sageMaker = [{ ErrorEquals: ['SageMaker.ThrottlingException', 'SageMaker.SageMakerException', 'SageMaker.SdkClientException'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5 }];
    expect([states.DescribeServingComponent.Retry, states.DescribeComponentModel.Retry]).toEqual([sageMaker, sageMaker]);
    expect(states.DescribeTemplateModel.Retry).toEqual([{
      ErrorEquals: ['CloudFormation.ThrottlingException', 'CloudFormation.CloudFormationException', 'CloudFormation.SdkClientException'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5,
    }]);
    expect(states.VerifyServingComponents.Retry).toEqual([{ ErrorEquals: ['ComponentNotInService'], IntervalSeconds: 60, BackoffRate: 1, MaxAttempts: 5 }]);
  });
});
