import { spawnSync } from 'child_process';
import * as path from 'path';
import { App, CfnParameter, CfnResource, LegacyStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ROOT, templateOf, testStack } from '../helpers/app';
import { nagFindings } from '../helpers/nag';
import { servingPipelineStack } from '../helpers/serving';
import {
  DataLake, MetricSource, MlInstanceType, ModelApprovalStatus, ModelEndpoint, ModelRegistry, ModelVersionParameter, ModelVersionParameterProps, PromotionMode,
  SageMakerImage, TrainingPipelineProps,
} from '../../lib';

function deployingProps(mode: PromotionMode, extra: Partial<TrainingPipelineProps> = {}) {
  return (lake: DataLake, registry: ModelRegistry, modelVersion: ModelVersionParameter): TrainingPipelineProps => ({
    dataLake: lake,
    registry,
    pipelineName: 'churn',
    training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE },
    gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
    deployment: { modelVersion, mode },
    ...extra,
  });
}

/** The registry-driven promotion's state machines (the pipeline has its own, and a backstop). */
function promotionMachines(stack: Stack): string[] {
  return Object.keys(templateOf(stack).findResources('AWS::StepFunctions::StateMachine')).filter((id) => id.startsWith('PipelinePromotionStateMachine'));
}

function statementsOfRole(stack: Stack, rolePrefix: string): any[] {
  const t = templateOf(stack).toJSON();
  const roleId = Object.keys(t.Resources).find((id) => id.startsWith(rolePrefix) && t.Resources[id].Type === 'AWS::IAM::Role');
  return Object.values(t.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: any) => ref.Ref === roleId))
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
}

describe('ModelVersionParameter', () => {
  /** The parameter key in a stack where the parameter sits at `path` (construct ids, outermost first). */
  function keyAt(path: string[], props: Partial<ModelVersionParameterProps> = {}, groupName = 'churn-models'): string {
    const stack = testStack();
    const registry = ModelRegistry.fromModelPackageGroupName(stack, 'Registry', groupName);
    let scope: Construct = stack;
    for (const id of path.slice(0, -1)) scope = new Construct(scope, id);
    const version = new ModelVersionParameter(scope, path[path.length - 1], { registry, ...props });
    const key = stack.resolve(version.parameterKey);
    expect(Object.keys(templateOf(stack).toJSON().Parameters)).toContain(key);
    return key;
  }

  test('its name does not depend on the construct path: moving or renaming it keeps the served version (and the endpoint)', () => {
    const names = [keyAt(['ChurnModelVersion']), keyAt(['Serving', 'Prod', 'Version']), keyAt(['Renamed'])];
    expect(names).toEqual(['ModelVersionChurnModels', 'ModelVersionChurnModels', 'ModelVersionChurnModels']);
  });

  test('parameterName sets the name, e.g. to keep the one an existing deployment uses', () => {
    expect(keyAt(['Serving', 'Version'], { parameterName: 'ChurnModelVersionA1B2C3D4' })).toBe('ChurnModelVersionA1B2C3D4');
  });

  test.each<[string, () => unknown, RegExp]>([
    ['fails on a registry whose name is a deploy-time value, without parameterName', () => {
      const stack = testStack();
      const registry = ModelRegistry.fromModelPackageGroupName(stack, 'Registry', new CfnParameter(stack, 'Group').valueAsString);
      new ModelVersionParameter(stack, 'Version', { registry });
    }, /'parameterName' is needed: the registry's model package group name is a deploy-time value/],
    ['fails on a parameterName that is not a logical id', () => keyAt(['V'], { parameterName: 'model-version' }),
      /'parameterName' \('model-version'\) must be 1 to 255 letters and digits/],
    ['fails on two parameters of one stack with one name', () => {
      const stack = testStack();
      const registry = ModelRegistry.fromModelPackageGroupName(stack, 'Registry', 'churn');
      new ModelVersionParameter(stack, 'Staging', { registry });
      new ModelVersionParameter(stack, 'Production', { registry });
    }, /'parameterName' \('ModelVersionChurn'\) is already the name of another ModelVersionParameter in stack TestStack; give each one its own parameterName/],
  ])('%s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  test('a stack parameter that starts at none, only accepts model package ARNs, and a condition on it', () => {
    const { stack, modelVersion } = servingPipelineStack(deployingProps(PromotionMode.AUTOMATIC));
    const template = templateOf(stack).toJSON();
    const key = stack.resolve(modelVersion.parameterKey);
    expect(template.Parameters[key]).toMatchObject({ Type: 'String', Default: 'none' });
    const pattern = new RegExp(template.Parameters[key].AllowedPattern);
    expect(pattern.test('none')).toBe(true);
    expect(pattern.test('arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/12')).toBe(true);
    expect(pattern.test('arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn')).toBe(false);
    expect(template.Conditions[stack.resolve((modelVersion.hasModel as any).logicalId)]).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: key }, 'none'] }],
    });
  });

  test('serveOnlyWhenPromoted leaves every resource under a construct out until a version is promoted', () => {
    const { stack, modelVersion } = servingPipelineStack(deployingProps(PromotionMode.AUTOMATIC));
    const serving = new Construct(stack, 'Serving');
    new CfnResource(serving, 'A', { type: 'AWS::SNS::Topic' });
    new CfnResource(new Construct(serving, 'Nested'), 'B', { type: 'AWS::SQS::Queue' });
    modelVersion.serveOnlyWhenPromoted(serving);
    const conditionId = stack.resolve((modelVersion.hasModel as any).logicalId);
    const template = templateOf(stack);
    expect(Object.values(template.findResources('AWS::SNS::Topic')).filter((r: any) => r.Condition === conditionId)).toHaveLength(1);
    expect(Object.values(template.findResources('AWS::SQS::Queue')).filter((r: any) => r.Condition === conditionId)).toHaveLength(1);
    // Nothing outside the construct is made conditional.
    expect(Object.values(template.findResources('AWS::StepFunctions::StateMachine')).every((r: any) => r.Condition === undefined)).toBe(true);
  });
});

describe('TrainingPipeline deployment', () => {
  test('AUTOMATIC: the run may update only the serving stack, and pass the CDK deploy role only to CloudFormation', () => {
    const { stack } = servingPipelineStack(deployingProps(PromotionMode.AUTOMATIC));
    const statements = statementsOfRole(stack, 'PipelineStateMachineRole');
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: ['cloudformation:CancelUpdateStack', 'cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:UpdateStack'],
        Resource: 'arn:aws:cloudformation:us-east-1:123456789012:stack/TestStack/*',
      }),
      // Checks what endpoints serve after a rollout: read-only.
      expect.objectContaining({ Action: 'sagemaker:DescribeEndpointConfig', Resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/*' }),
      expect.objectContaining({ Action: 'ssm:GetParameters', Resource: 'arn:aws:ssm:us-east-1:123456789012:parameter/cdk-bootstrap/*' }),
      expect.objectContaining({
        Action: 'iam:PassRole',
        Resource: 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1',
        Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    ]));
  });

  test('AUTOMATIC: models are registered approved, and a promotion for rollbacks that approvals do not start', () => {
    const { stack, pipeline } = servingPipelineStack(deployingProps(PromotionMode.AUTOMATIC));
    const template = templateOf(stack);
    expect(promotionMachines(stack)).toHaveLength(1);
    expect(pipeline.promotion).toBeDefined();
    expect(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['SageMaker Model Package State Change'] } } })).toEqual({});
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"ModelApprovalStatus\\":\\"Approved\\"');
    expect(definition).not.toContain('PendingManualApproval');
  });

  test('MANUAL: models are registered pending, the run deploys nothing, approvals in the registry start the promotion', () => {
    const { stack, pipeline } = servingPipelineStack(deployingProps(PromotionMode.MANUAL));
    const template = templateOf(stack);
    expect(promotionMachines(stack)).toHaveLength(1);
    expect(pipeline.promotion).toBeDefined();
    expect(statementsOfRole(stack, 'PipelineStateMachineRole').filter((st) => JSON.stringify(st.Action).includes('cloudformation:UpdateStack'))).toEqual([]);
    expect(JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'))).toContain('PendingManualApproval');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        'detail': { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Approved'], ModelPackageStatus: ['Completed'] },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^PipelinePromotionStateMachine') },
        InputTransformer: { InputPathsMap: { 'detail-ModelPackageArn': '$.detail.ModelPackageArn' }, InputTemplate: '{"modelPackageArn":<detail-ModelPackageArn>}' },
      })],
    });
  });

  test('MANUAL is the default mode', () => {
    const { stack } = servingPipelineStack((lake, registry, modelVersion) => ({ ...deployingProps(PromotionMode.MANUAL)(lake, registry, modelVersion), deployment: { modelVersion } }));
    expect(JSON.stringify(templateOf(stack).findResources('AWS::StepFunctions::StateMachine'))).toContain('PendingManualApproval');
    expect(statementsOfRole(stack, 'PipelineStateMachineRole').filter((st) => JSON.stringify(st.Action).includes('cloudformation:UpdateStack'))).toEqual([]);
  });

  test('the two modes synthesize different templates, and an explicit approval status that agrees with the mode changes nothing', () => {
    const template = (mode: PromotionMode, extra: Partial<TrainingPipelineProps> = {}) => JSON.stringify(templateOf(servingPipelineStack(deployingProps(mode, extra)).stack).toJSON());
    const automatic = template(PromotionMode.AUTOMATIC);
    const manual = template(PromotionMode.MANUAL);
    expect(automatic).not.toEqual(manual);
    expect(template(PromotionMode.AUTOMATIC, { approvalStatus: ModelApprovalStatus.APPROVED })).toEqual(automatic);
    expect(template(PromotionMode.MANUAL, { approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL })).toEqual(manual);
  });

  test('an explicit CloudFormation role is used instead of the CDK bootstrap role', () => {
    const { stack } = servingPipelineStack((lake, registry, modelVersion) => ({
      ...deployingProps(PromotionMode.AUTOMATIC)(lake, registry, modelVersion),
      deployment: { modelVersion, mode: PromotionMode.AUTOMATIC, cloudFormationRole: iam.Role.fromRoleName(lake, 'Deployer', 'ml-deployer') },
    }));
    const passRole = statementsOfRole(stack, 'PipelineStateMachineRole').find((s) => s.Action === 'iam:PassRole' && s.Condition?.StringEquals?.['iam:PassedToService'] === 'cloudformation.amazonaws.com');
    expect(JSON.stringify(passRole.Resource)).toContain(':role/ml-deployer');
  });

  test.each([PromotionMode.AUTOMATIC, PromotionMode.MANUAL])('passes every cdk-nag pack (%s)', (mode) => {
    const { stack } = servingPipelineStack(deployingProps(mode));
    expect(nagFindings(stack.node.root as App)).toEqual([]);
  });

  test.each<[string, (lake: DataLake, registry: ModelRegistry, modelVersion: ModelVersionParameter) => TrainingPipelineProps, RegExp]>([
    ['fails on AUTOMATIC with models pending approval', deployingProps(PromotionMode.AUTOMATIC, { approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL }),
      /'approvalStatus' \(PendingManualApproval\) contradicts 'deployment.mode' \(AUTOMATIC\), which registers every model that passes the gate approved and deploys it in the run; leave out approvalStatus, or use PromotionMode.MANUAL/],
    ['fails on MANUAL with models registered approved', deployingProps(PromotionMode.MANUAL, { approvalStatus: ModelApprovalStatus.APPROVED }),
      /'approvalStatus' \(Approved\) contradicts 'deployment.mode' \(MANUAL\), which registers models pending approval and deploys those a person approves; leave out approvalStatus, or use PromotionMode.AUTOMATIC/],
    ['fails on MANUAL with models registered rejected', deployingProps(PromotionMode.MANUAL, { approvalStatus: ModelApprovalStatus.REJECTED }),
      /'approvalStatus' \(Rejected\) contradicts 'deployment.mode' \(MANUAL\)/],
    ['fails on REGISTER_ONLY, which a pipeline expresses by leaving deployment out', deployingProps(PromotionMode.REGISTER_ONLY),
      /'deployment.mode' \(REGISTER_ONLY\) deploys nothing from the pipeline or the registry; leave out 'deployment'/],
    ['fails on a deployment without the shared registry', (lake, registry, modelVersion) => ({ ...deployingProps(PromotionMode.AUTOMATIC)(lake, registry, modelVersion), registry: undefined }),
      /'deployment' needs 'registry'/],
    ['fails on a deployment into another registry than the pipeline\'s', (lake, registry, modelVersion) => ({
      ...deployingProps(PromotionMode.AUTOMATIC)(lake, registry, modelVersion),
      registry: ModelRegistry.fromModelPackageGroupName(lake, 'Other', 'fraud'),
    }), /'deployment.modelVersion' serves registry 'churn' but the pipeline registers into 'fraud'/],
  ])('%s', (_name, props, message) => {
    expect(() => servingPipelineStack(props)).toThrow(message);
  });

  test('fails on a serving stack without a CloudFormation execution role and no role given', () => {
    const app = new App();
    const stack = new Stack(app, 'Legacy', { synthesizer: new LegacyStackSynthesizer(), env: { account: '123456789012', region: 'us-east-1' } });
    const lake = new DataLake(stack, 'Lake');
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const modelVersion = new ModelVersionParameter(stack, 'Version', { registry });
    expect(() => servingPipelineStackIn(stack, deployingProps(PromotionMode.AUTOMATIC)(lake, registry, modelVersion)))
      .toThrow(/'cloudFormationRole' is needed: the serving stack Legacy uses a synthesizer without a CloudFormation execution role/);
  });
});

function servingPipelineStackIn(stack: Stack, props: TrainingPipelineProps) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { TrainingPipeline } = require('../../lib');
  return new TrainingPipeline(stack, 'Pipeline', props);
}

describe('promotion permissions', () => {
  test('a promotion that notifies on the pipeline topic may use that topic\'s key', () => {
    const { stack, pipeline } = servingPipelineStack(deployingProps(PromotionMode.MANUAL));
    const topicKey = stack.resolve((pipeline.failureTopic.masterKey!.node.defaultChild as any).logicalId);
    const statements = statementsOfRole(stack, 'PipelinePromotionStateMachineRole');
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^PipelineFailureTopic/) } }),
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [topicKey, 'Arn'] } }),
    ]));
  });
});

describe('an endpoint that serves the promoted version', () => {
  test('is conditional, while grants on it from elsewhere stay valid (cfn-lint finds no reference to a conditional resource)', () => {
    const { stack, modelVersion } = servingPipelineStack(deployingProps(PromotionMode.AUTOMATIC));
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      endpointName: 'churn',
      model: modelVersion.modelSource(),
      variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE, initialInstanceCount: 1 }],
    });
    modelVersion.serveOnlyWhenPromoted(endpoint);
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    endpoint.grantInvoke(caller);
    const template = templateOf(stack);
    const conditionId = stack.resolve((modelVersion.hasModel as any).logicalId);
    for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint']) {
      expect(Object.values(template.findResources(type)).map((r: any) => r.Condition)).toEqual([conditionId]);
    }
    const outdir = (stack.node.root as App).synth().directory;
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', path.join(outdir, 'TestStack.template.json')], { encoding: 'utf8', cwd: ROOT });
    if (lint.error) throw lint.error;
    expect({ status: lint.status, findings: `${lint.stdout}${lint.stderr}`.trim() }).toEqual({ status: 0, findings: '' });
  });
});
