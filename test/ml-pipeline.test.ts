/**
 * MlPipeline: one model's loop from one props object. Its defaults, wiring that cannot disagree,
 * and the promotion modes' distinct templates and rollback path (run in the ASL interpreter).
 * Overrides and validation are in ml-pipeline-overrides.test.ts; shared helpers in helpers/ml-pipeline.ts.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { allStates, definitionFromTemplate, namedError, runStateMachine, validateAsl } from './helpers/asl';
import { FakeServingAccount } from './serving/fake-serving-account';
import { DataLake, MlInstanceType, ModelApprovalStatus, PromotionMode, SageMakerImage } from '../lib';
import { V6, V7, approvalRules, build, idOf, minimal, nagFindingsOf, ofType, ownBaseline, pipelineDefinition, trainingParameters } from './helpers/ml-pipeline';

describe('MlPipeline defaults', () => {
  const built = build();
  const { stack, ml, template, json } = built;

  test('a new lake, a registry named after the model, and the served-version parameter named after the registry', () => {
    expect(ml.dataLake).toBeInstanceOf(DataLake);
    expect(ofType(json, 'AWS::S3::Bucket').length).toBeGreaterThanOrEqual(4);
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'fraud' });
    expect(stack.resolve(ml.modelVersion.parameterKey)).toBe('ModelVersionFraud');
    expect(json.Parameters.ModelVersionFraud).toMatchObject({ Default: 'none' });
    expect(ml.modelVersion.registry).toBe(ml.registry);
    expect(ml.pipeline.registry).toBe(ml.registry);
  });

  test('the pipeline is named after the model, reads <modelName>/ of the raw zone, and trains on a spot GPU with checkpoints', () => {
    expect(ml.pipeline.pipelineName).toBe('fraud');
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'fraud' });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ prefix: 'fraud/' }] } }) }) });
    const training = trainingParameters(built);
    expect(training.ResourceConfig).toMatchObject({ InstanceType: 'ml.g5.xlarge', InstanceCount: 1 });
    expect(training.EnableManagedSpotTraining).toBe(true);
    expect(training.CheckpointConfig).toBeDefined();
    expect(training.StoppingCondition.MaxWaitTimeInSeconds).toBeGreaterThan(training.StoppingCondition.MaxRuntimeInSeconds);
  });

  test('AUTOMATIC: models are registered approved and deployed in the run; the promotion is there for rollbacks only', () => {
    expect(ml.promotionMode).toBe(PromotionMode.AUTOMATIC);
    const definition = pipelineDefinition(built);
    expect(definition.States.RegisterModel.Parameters.ModelApprovalStatus).toBe('Approved');
    expect(definition.States.PromoteModelVersion).toBeDefined();
    expect(ml.promotion).toBe(ml.pipeline.promotion);
    expect(ml.promotion).toBeDefined();
    expect(approvalRules(json)).toEqual([]);
  });

  test('a GPU endpoint named after the model, autoscaled from 1 to 4, capturing every request under <modelName>-endpoint/', () => {
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'fraud' });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1 })],
      DataCaptureConfig: Match.objectLike({
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: idOf(stack, ml.dataLake.captureBucket) }, '/fraud-endpoint/']] },
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4, ResourceId: 'endpoint/fraud/variant/AllTraffic' });
    // Nothing runs before a first version is promoted.
    const condition = stack.resolve((ml.modelVersion.hasModel as any).logicalId);
    for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint']) {
      expect(ofType(json, type).map(([, r]) => r.Condition)).toEqual([condition]);
    }
  });

  test('an hourly drift monitor named after the model, on the served model\'s baseline, that retrains with a one-day cooldown', () => {
    expect(ml.monitor.monitorName).toBe('fraud-monitor');
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', Description: 'Runs the drift job of monitor fraud-monitor' });
    expect(ml.pipeline.currentBaselineKey).toBe('fraud/baseline/current.json');
    const retrain = ofType(json, 'AWS::StepFunctions::StateMachine').find(([id]) => id === idOf(stack, ml.monitor.retrainStateMachine as any));
    expect(JSON.stringify(retrain![1].Properties.DefinitionString)).toContain(`at most once per ${Duration.hours(24).toHumanString()}`);
  });

  test('one topic: failed runs, failed promotions and every alarm notify the pipeline\'s encrypted topic', () => {
    const topics = ofType(json, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId, topic] = topics[0];
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    expect(ml.notificationTopic).toBe(ml.pipeline.failureTopic);
    expect(ml.monitor.notificationTopic).toBe(ml.notificationTopic);
    expect(ml.promotion!.failureTopic).toBe(ml.notificationTopic);
    const actions = [...ofType(json, 'AWS::CloudWatch::CompositeAlarm'), ...ofType(json, 'AWS::CloudWatch::Alarm')]
      .flatMap(([, r]) => r.Properties.AlarmActions ?? []);
    expect(actions.length).toBeGreaterThan(0);
    // Rollback alarms of the endpoint have no actions; every action there is is the one topic.
    expect(new Set(actions.map((a: any) => a.Ref))).toEqual(new Set([topicId]));
  });

  test('a dashboard named after the model and the region (dashboards are global to the account), with the gate\'s metric', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'fraud-us-east-1' });
    const body = JSON.stringify(ofType(json, 'AWS::CloudWatch::Dashboard')[0][1].Properties.DashboardBody);
    expect(body).toContain('validation:auc');
  });

  test('the endpoint reads models where the pipeline writes them: one location, from the pipeline', () => {
    expect(ml.pipeline.modelDataLocation.keyPrefix).toBe('fraud/runs/');
    const roleId = idOf(stack, ml.endpoint.role as any);
    const policies = ofType(json, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    const reads = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement).filter((st: any) => JSON.stringify(st.Action).includes('s3:GetObject'));
    expect(JSON.stringify(reads)).toContain('/fraud/runs/*');
  });

  test('the endpoint may pull a serving image from the user\'s own ECR repository, the inference image or else the training one', () => {
    const pulls = (built: ReturnType<typeof build>) => {
      const roleId = idOf(built.stack, built.ml.endpoint.role as any);
      return ofType(built.json, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement).filter((st: any) => JSON.stringify(st.Action).includes('ecr:BatchGetImage'))
        .map((st: any) => JSON.stringify(built.stack.resolve(st.Resource)));
    };
    const repo = (s: Stack, name: string) => SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(s, name, name), 'v1');
    const metricDefinitions = [{ name: 'validation:auc', regex: 'validation:auc=([0-9\\.]+)' }];
    const ownImage = (s: Stack) => ({ image: repo(s, 'trainer'), instanceType: MlInstanceType.ML_G5_XLARGE, metricDefinitions });
    expect(pulls(build((s) => ({ training: ownImage(s) }))).join()).toContain('repository/trainer');
    const withInference = build((s) => ({
      training: ownImage(s),
      pipeline: { ...minimal().pipeline, inferenceImage: repo(s, 'server') },
    }));
    expect(pulls(withInference).join()).toContain('repository/server');
    expect(pulls(withInference).join()).not.toContain('repository/trainer');
  });

  test('passes every cdk-nag pack', () => {
    expect(nagFindingsOf(() => ({}))).toEqual([]);
  });
});


describe('MlPipeline promotion modes', () => {
  const automatic = build(ownBaseline);
  const manual = build({ promotion: { mode: PromotionMode.MANUAL } });
  const registerOnly = build((stack) => ({ ...ownBaseline(stack), promotion: { mode: PromotionMode.REGISTER_ONLY } }));
  const updatesStack = (b: ReturnType<typeof build>) => ofType(b.json, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('cloudformation:UpdateStack'))
    .flatMap(([, p]) => p.Properties.Roles.map((r: any) => r.Ref as string));

  test('each mode synthesizes its own template', () => {
    const texts = [automatic, manual, registerOnly].map((b) => JSON.stringify(b.json));
    expect(new Set(texts).size).toBe(3);
  });

  test('AUTOMATIC: the run and the promotion may update the stack; no approval trigger', () => {
    expect(updatesStack(automatic).sort()).toEqual([
      idOf(automatic.stack, automatic.ml.pipeline.stateMachine.role as any), idOf(automatic.stack, automatic.ml.promotion!.stateMachine.role as any),
    ].sort());
    expect(approvalRules(automatic.json)).toEqual([]);
    expect(automatic.ml.monitor).toBeDefined();
  });

  test('MANUAL: models registered pending, only the promotion may update the stack, and approvals start it', () => {
    const definition = pipelineDefinition(manual);
    expect(definition.States.RegisterModel.Parameters.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(definition.States.PromoteModelVersion).toBeUndefined();
    expect(updatesStack(manual)).toEqual([idOf(manual.stack, manual.ml.promotion!.stateMachine.role as any)]);
    const rules = approvalRules(manual.json);
    expect(rules).toHaveLength(1);
    expect(rules[0][1].Properties.Targets[0].Arn).toEqual({ Ref: idOf(manual.stack, manual.ml.promotion!.stateMachine) });
    // No run deploys: the promotion keeps the monitor's baseline that of the version it served.
    expect(manual.ml.pipeline.currentBaselineKey).toBe('fraud/baseline/current.json');
    const promotion = definitionFromTemplate(manual.template, idOf(manual.stack, manual.ml.promotion!.stateMachine));
    expect(allStates(promotion).map(([name]) => name)).toEqual(expect.arrayContaining(['WhenServed', 'DescribeServedVersion', 'PromoteServedBaseline']));
  });

  test('REGISTER_ONLY: nothing may update the stack, no promotion, the endpoint still serves the parameter', () => {
    expect(registerOnly.ml.promotion).toBeUndefined();
    expect(updatesStack(registerOnly)).toEqual([]);
    expect(approvalRules(registerOnly.json)).toEqual([]);
    expect(pipelineDefinition(registerOnly).States.RegisterModel.Parameters.ModelApprovalStatus).toBe('PendingManualApproval');
    registerOnly.template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'fraud' });
    expect(registerOnly.json.Parameters.ModelVersionFraud).toBeDefined();
  });

  test('REGISTER_ONLY registers with the approval status given, e.g. approved for a CD pipeline that deploys them', () => {
    const approved = build((stack) => ({
      ...ownBaseline(stack), promotion: { mode: PromotionMode.REGISTER_ONLY },
      pipeline: { ...minimal().pipeline, approvalStatus: ModelApprovalStatus.APPROVED },
    }));
    expect(pipelineDefinition(approved).States.RegisterModel.Parameters.ModelApprovalStatus).toBe('Approved');
  });

  /** Runs a deploying mode's promotion against a fake account, with the registry's answer about the version and the baseline copies recorded. */
  async function promote(b: ReturnType<typeof build>, input: object, metadata: Record<string, string> | undefined, copyFails = false) {
    const definition = definitionFromTemplate(b.template, idOf(b.stack, b.ml.promotion!.stateMachine));
    expect(validateAsl(definition)).toEqual([]);
    const parameterKey = b.stack.resolve(b.ml.modelVersion.parameterKey);
    const configLogicalId = ofType(b.json, 'AWS::SageMaker::EndpointConfig')[0][0];
    const fake = new FakeServingAccount({ parameterKey, served: V7, endpointName: 'fraud', configLogicalId, allowedPattern: b.json.Parameters[parameterKey].AllowedPattern });
    const copies: any[] = [];
    const copyState = allStates(definition).find(([name]) => name === 'PromoteServedBaseline')![1];
    const result = await runStateMachine(definition, input, {
      ...fake.handlers(),
      'aws-sdk:sagemaker:describeModelPackage': (request) => ({ ModelPackageArn: request.ModelPackageName, ModelApprovalStatus: 'Approved', ...(metadata ? { CustomerMetadataProperties: metadata } : {}) }),
      [copyState.Resource]: (event) => {
        if (copyFails) throw namedError('Error', 'NoSuchKey: The specified key does not exist.');
        copies.push(event.promote);
        return { currentUri: `s3://artifacts/${event.promote.to.key}`, sourceUri: `s3://artifacts/${event.promote.from.key}` };
      },
    }, { stateMachineName: 'promotion' });
    return { result, fake, copies };
  }
  const ranBy = (execution: string) => ({ 'pipeline': 'fraud', 'execution': `arn:aws:states:us-east-1:123456789012:execution:fraud:${execution}`, 'drift-baseline': 's3://x' });

  test.each<[string, ReturnType<typeof build>]>([['AUTOMATIC', automatic], ['MANUAL', manual]])('%s: a rollback serves the older version again, and its baseline becomes the monitor\'s (ASL interpreter)', async (_mode, b) => {
    const { result, fake, copies } = await promote(b, { modelPackageArn: V6, rollback: true }, ranBy('run+6'));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.parameterValue).toBe(V6);
    expect(fake.updates).toHaveLength(1);
    expect(result.visited).toEqual(expect.arrayContaining(['EndpointServesVersion', 'DescribeServedVersion', 'PromoteServedBaseline', 'Promoted']));
    expect(copies).toEqual([{
      from: { bucket: expect.any(String), key: 'fraud/runs/run+6/baseline/baseline.json' },
      to: { bucket: expect.any(String), key: 'fraud/baseline/current.json' },
    }]);
  });

  test('MANUAL: an approval deploys the newer version and promotes its baseline', async () => {
    const V8 = V7.replace(/7$/, '8');
    const { result, fake, copies } = await promote(manual, { modelPackageArn: V8 }, ranBy('run-8'));
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.parameterValue).toBe(V8);
    expect(copies.map((c) => c.from.key)).toEqual(['fraud/runs/run-8/baseline/baseline.json']);
  });

  test('a version this pipeline did not register keeps the monitor\'s baseline', async () => {
    for (const metadata of [undefined, { pipeline: 'other', execution: 'arn:aws:states:us-east-1:123456789012:execution:other:run-1' }, { pipeline: 'fraud', execution: 'by hand' }]) {
      const { result, copies } = await promote(manual, { modelPackageArn: V6, rollback: true }, metadata);
      expect(result.status).toBe('SUCCEEDED');
      expect(result.visited).toContain('KeepMonitorBaseline');
      expect(copies).toEqual([]);
    }
  });

  test('a baseline that cannot be copied fails the promotion and notifies; the version serves', async () => {
    const { result, fake } = await promote(manual, { modelPackageArn: V6, rollback: true }, ranBy('run-6'), true);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailed');
    expect(fake.parameterValue).toBe(V6);
    expect(fake.published).toEqual([expect.objectContaining({ 'model-package': V6 })]);
  });

  test('passes every cdk-nag pack (MANUAL)', () => {
    expect(nagFindingsOf(() => ({ promotion: { mode: PromotionMode.MANUAL } }))).toEqual([]);
  });

  test('passes every cdk-nag pack (REGISTER_ONLY)', () => {
    expect(nagFindingsOf((stack) => ({ ...ownBaseline(stack), promotion: { mode: PromotionMode.REGISTER_ONLY } }))).toEqual([]);
  });
});
