/** MlPipeline: every override reaches its part, and contradictions fail at synth (shared helpers in helpers/ml-pipeline.ts). */
import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { templateOf, testStack } from './helpers/app';
import { definitionFromTemplate } from './helpers/asl';
import {
  CapacitySize, DataLake, DeploymentStrategy, InferenceDataLocation, MlInstanceType,
  MlPipeline, MlPipelineProps, ModelApprovalStatus, ModelRegistry, PromotionMode, QualityMetric, SageMakerImage, TrainingPipeline,
  TrainingStepOptions,
} from '../lib';
import { PREPROCESS, build, idOf, labels, minimal, ofType, ownBaseline, pipelineDefinition, trainingParameters } from './helpers/ml-pipeline';

describe('MlPipeline overrides', () => {
  test('a shared lake and topic: two models in one stack add no buckets or topics of their own, and keep their names apart', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const key = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Alerts', { masterKey: key, enforceSSL: true });
    const a = new MlPipeline(stack, 'Fraud', minimal({ dataLake: lake, notificationTopic: topic }));
    const b = new MlPipeline(stack, 'Churn', { ...minimal({ dataLake: lake, notificationTopic: topic }), modelName: 'churn' });
    const json = templateOf(stack).toJSON();
    expect(ofType(json, 'AWS::S3::Bucket')).toHaveLength(ofType(templateOf((() => { const s = testStack(); new DataLake(s, 'Lake'); return s; })()).toJSON(), 'AWS::S3::Bucket').length);
    expect(ofType(json, 'AWS::SNS::Topic').map(([id]) => id)).toEqual([idOf(stack, topic)]);
    for (const ml of [a, b]) {
      expect(ml.dataLake).toBe(lake);
      expect(ml.notificationTopic).toBe(topic);
      expect(ml.monitor.notificationTopic).toBe(topic);
    }
    expect(Object.keys(json.Parameters).filter((p) => p.startsWith('ModelVersion')).sort()).toEqual(['ModelVersionChurn', 'ModelVersionFraud']);
    expect(ofType(json, 'AWS::SageMaker::Endpoint').map(([, r]) => r.Properties.EndpointName).sort()).toEqual(['churn', 'fraud']);
    // The given topic admits the alarms and rules that notify it, and its key too.
    const policy = JSON.stringify(ofType(json, 'AWS::SNS::TopicPolicy')[0][1].Properties.PolicyDocument);
    expect(policy).toContain('cloudwatch.amazonaws.com');
    expect(policy).toContain('events.amazonaws.com');
    expect(JSON.stringify(json.Resources[idOf(stack, key)].Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
  });

  test('a registry given is the one the runs register into and the endpoint serves from', () => {
    const built = build((stack) => ({ registry: ModelRegistry.fromModelPackageGroupName(stack, 'Existing', 'fraud-models') }));
    expect(ofType(built.json, 'AWS::SageMaker::ModelPackageGroup')).toEqual([]);
    expect(built.stack.resolve(built.ml.modelVersion.parameterKey)).toBe('ModelVersionFraudModels');
    expect(pipelineDefinition(built).States.RegisterModel.Parameters.ModelPackageGroupName).toBe('fraud-models');
  });

  test('the endpoint\'s variants, capture and rollout', () => {
    const { template } = build((stack) => {
      const lake = new DataLake(stack, 'Lake');
      return {
        dataLake: lake,
        endpoint: {
          variants: [{ instanceType: MlInstanceType.ML_G5_2XLARGE, initialInstanceCount: 2, autoScaling: { minCapacity: 2, maxCapacity: 8 } }],
          dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'capture/fraud/'), samplingPercentage: 25 },
          deployment: { strategy: DeploymentStrategy.canary({ canarySize: CapacitySize.percent(10), waitInterval: Duration.minutes(5) }) },
        },
      };
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 2 })],
      DataCaptureConfig: Match.objectLike({ InitialSamplingPercentage: 25, DestinationS3Uri: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/capture/fraud/']] } }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 8 });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: Match.objectLike({ BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: Match.objectLike({ Type: 'CANARY', WaitIntervalInSeconds: 300 }) }) }),
    });
  });

  test('the endpoint\'s role, key, security groups and network isolation', () => {
    const { json, stack, ml } = build((stack) => ({
      pipeline: { ...minimal().pipeline, vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) },
      endpoint: {
        // An EBS-backed variant: SageMaker takes a volume key only there.
        variants: [{ instanceType: MlInstanceType.ML_M5_XLARGE }],
        role: new iam.Role(stack, 'ServingRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }),
        encryptionKey: new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true }),
        securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'ServingSg', 'sg-0123456789abcdef0')],
        enableNetworkIsolation: true,
      },
    }));
    const id = (path: string) => stack.resolve((stack.node.findChild(path).node.defaultChild as any).logicalId);
    const [, model] = ofType(json, 'AWS::SageMaker::Model')[0];
    expect(model.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [id('ServingRole'), 'Arn'] });
    expect(ml.endpoint.role).toBe(stack.node.findChild('ServingRole'));
    expect(model.Properties.EnableNetworkIsolation).toBe(true);
    expect(model.Properties.VpcConfig.SecurityGroupIds).toEqual(['sg-0123456789abcdef0']);
    const [, config] = ofType(json, 'AWS::SageMaker::EndpointConfig')[0];
    expect(config.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [id('VolumeKey'), 'Arn'] });
    expect(config.Properties.ProductionVariants).toEqual([expect.objectContaining({ InstanceType: 'ml.m5.xlarge' })]);
    // The MlPipeline's own wiring is kept: its name, and capture into the lake for the monitor.
    expect(ofType(json, 'AWS::SageMaker::Endpoint')[0][1].Properties.EndpointName).toBe('fraud');
    expect(JSON.stringify(config.Properties.DataCaptureConfig.DestinationS3Uri)).toContain('/fraud-endpoint/');
  });

  test('asynchronous inference on the endpoint', () => {
    const { template, ml } = build((stack) => ({
      endpoint: { asyncInference: { location: InferenceDataLocation.fromBucket(new s3.Bucket(stack, 'Async'), 'fraud-async/') } },
    }));
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      AsyncInferenceConfig: { OutputConfig: Match.objectLike({ S3OutputPath: Match.anyValue() }) },
    });
    expect(ml.endpoint.asyncInferenceLocations).toBeDefined();
  });

  test('instance types: GPUs by default, CPUs for a CPU-only image (training and serving), the ones given otherwise', () => {
    const metricDefinitions = [{ name: 'validation:auc', regex: 'validation:auc=([0-9\\.]+)' }];
    const sklearn = build({ training: { image: SageMakerImage.sklearn(), script: PREPROCESS, metricDefinitions } });
    expect(trainingParameters(sklearn).ResourceConfig.InstanceType).toBe('ml.m5.xlarge');
    sklearn.template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 })] });
    sklearn.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4 });
    // No paid-for idle GPUs, so no warning about them (the training pipeline's or the endpoint's).
    const warnings = (b: ReturnType<typeof build>) => b.stack.node.findAll().flatMap((c) => c.node.metadata).map((m) => JSON.stringify(m.data)).filter((d) => /idle/i.test(d));
    expect(warnings(sklearn)).toEqual([]);
    // A CPU-only image on the GPUs given still warns.
    expect(warnings(build({ training: { image: SageMakerImage.sklearn(), instanceType: MlInstanceType.ML_G5_XLARGE, script: PREPROCESS, metricDefinitions } })))
      .toEqual(expect.arrayContaining([expect.stringContaining("'training.image' runs on CPU only, so the GPUs of 'ml.g5.xlarge' would be paid for and idle")]));
    const pytorch = build({
      training: { image: SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'), script: PREPROCESS, metricDefinitions },
      pipeline: { ...minimal().pipeline, inferenceImage: SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker') },
    });
    expect(trainingParameters(pytorch).ResourceConfig.InstanceType).toBe('ml.g5.xlarge');
    pytorch.template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g5.xlarge' })] });
    const given = build({ training: { image: SageMakerImage.xgboost('1.7-1'), instanceType: MlInstanceType.ML_P3_2XLARGE, instanceCount: 2 } });
    expect(trainingParameters(given).ResourceConfig).toMatchObject({ InstanceType: 'ml.p3.2xlarge', InstanceCount: 2 });
  });

  test('a TrainingPipeline alone picks no instance type: a JavaScript caller that leaves it out gets a clear error', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    expect(() => new TrainingPipeline(stack, 'Pipeline', { dataLake: lake, training: { image: SageMakerImage.xgboost('1.7-1') } as TrainingStepOptions }))
      .toThrow(/'training.instanceType' is required: a TrainingPipeline picks no instance type for you; give one, e.g. MlInstanceType.ML_G5_XLARGE/);
  });

  test('training on demand, another input prefix, and the rollout budgets of the promotion', () => {
    const built = build({
      training: { image: SageMakerImage.xgboost('1.7-1'), instanceType: MlInstanceType.ML_G5_XLARGE, useSpotInstances: false },
      pipeline: { ...minimal().pipeline, inputPrefix: 'data/fraud/' },
      promotion: { rolloutTimeout: Duration.minutes(30), pollInterval: Duration.minutes(2) },
    });
    const training = trainingParameters(built);
    expect(training.EnableManagedSpotTraining).toBeUndefined();
    built.template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ prefix: 'data/fraud/' }] } }) }) });
    // 30 minutes of 2-minute polls: the run's and the promotion's deploy states both cancel at the 15th.
    const promotion = definitionFromTemplate(built.template, idOf(built.stack, built.ml.promotion!.stateMachine));
    for (const definition of [pipelineDefinition(built), promotion]) {
      expect(definition.States.WaitForRollout.Seconds).toBe(120);
      expect(definition.States.RolloutFinished.Choices.find((c: any) => c.Next === 'CancelRollout').And)
        .toContainEqual({ Variable: '$.deployment.poll.rollout', NumericGreaterThanEquals: 15 });
    }
  });

  test('drift features, thresholds, schedule and model quality', () => {
    const { template, ml } = build((stack) => {
      const lake = new DataLake(stack, 'Lake');
      return {
        dataLake: lake,
        drift: {
          features: [{ featureName: 'amount' }],
          maxFeatureDrift: { warning: 0.2, critical: 0.4 },
          window: Duration.hours(6),
          quality: { groundTruth: InferenceDataLocation.fromDataLake(lake, 'fraud-labels/'), alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.8, critical: 0.7 } }] },
        },
      };
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)', Description: 'Runs the drift job of monitor fraud-monitor' });
    expect(ml.monitor.period).toEqual(Duration.hours(6));
    expect(ml.monitor.maxFeatureDrift).toEqual({ warning: 0.2, critical: 0.4 });
    expect(ml.monitor.features.map((f) => f.featureName)).toEqual(['amount']);
    expect(ml.monitor.qualityAlarm).toBeDefined();
  });

  test('the rest of the monitor\'s options: prediction drift, dataset drift share, alarm evaluation, warnings, rows, lag, variant', () => {
    const { json, ml, stack } = build({
      endpoint: { variants: [{ variantName: 'Blue', instanceType: MlInstanceType.ML_G5_XLARGE }, { variantName: 'Green', instanceType: MlInstanceType.ML_G5_XLARGE }] },
      drift: {
        predictionDrift: { warning: 0.05, critical: 0.15 },
        datasetDriftShare: 0.3,
        evaluationPeriods: 5,
        datapointsToAlarm: 4,
        notifyOnWarning: true,
        minRows: 500,
        lag: Duration.minutes(20),
        variantName: 'Green',
      },
    });
    expect(ml.monitor.predictionDrift).toEqual({ warning: 0.05, critical: 0.15 });
    expect(ml.monitor.datasetDriftShare).toBe(0.3);
    expect(ml.monitor.variantName).toBe('Green');
    const alarms = ofType(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties).filter((a) => String(a.AlarmName).startsWith('fraud-monitor-'));
    const prediction = alarms.filter((a) => a.AlarmName.includes('prediction-psi'));
    expect(prediction.map((a) => a.Threshold).sort()).toEqual([0.05, 0.15]);
    const psi = alarms.filter((a) => a.AlarmName.includes('max-psi'));
    expect(psi.map((a) => [a.EvaluationPeriods, a.DatapointsToAlarm])).toEqual([[5, 4], [5, 4]]);
    // Warnings notify the one topic too (critical alarms notify through the composite alarm).
    expect(prediction.find((a) => a.Threshold === 0.05).AlarmActions).toEqual([{ Ref: idOf(stack, ml.notificationTopic as any) }]);
    const detector = ofType(json, 'AWS::Lambda::Function').map(([, f]) => f.Properties.Environment?.Variables ?? {}).find((v) => v.MIN_ROWS !== undefined);
    expect(detector).toMatchObject({ MIN_ROWS: '500', WINDOW_LAG_MINUTES: '20' });
  });

  test('a cron schedule for the drift checks', () => {
    const { template } = build({ drift: { schedule: events.Schedule.cron({ minute: '0', hour: '3' }), window: Duration.days(1) } });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 * * ? *)', Description: 'Runs the drift job of monitor fraud-monitor' });
  });

  test('retraining: another cooldown, or none at all', () => {
    const six = build({ drift: { retrainCooldown: Duration.hours(6) } });
    const retrain = six.json.Resources[idOf(six.stack, six.ml.monitor.retrainStateMachine as any)];
    expect(JSON.stringify(retrain.Properties.DefinitionString)).toContain(`at most once per ${Duration.hours(6).toHumanString()}`);
    const noQualityRetrain = build((stack) => ({ drift: { quality: labels(stack), retrainOnQualityAlarm: false } }));
    const withQualityRetrain = build((stack) => ({ drift: { quality: labels(stack) } }));
    const ruleAlarms = (b: ReturnType<typeof build>) => ofType(b.json, 'AWS::Events::Rule')
      .filter(([, r]) => r.Properties.EventPattern?.source?.includes('aws.cloudwatch'))
      .flatMap(([, r]) => JSON.stringify(b.stack.resolve(r.Properties.EventPattern.resources)));
    expect(ruleAlarms(withQualityRetrain).join()).toContain('alarm:fraud-monitor-model-quality');
    expect(ruleAlarms(noQualityRetrain).join()).not.toContain('alarm:fraud-monitor-model-quality');
    expect(ruleAlarms(noQualityRetrain).join()).toContain('alarm:fraud-monitor-model-drifted');
    const off = build({ drift: { retrain: false } });
    expect(off.ml.monitor.retrainStateMachine).toBeUndefined();
    expect(ofType(off.json, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern?.source?.includes('aws.cloudwatch'))).toEqual([]);
  });

  test('pipeline.vpc holds the jobs, the endpoint\'s containers and the monitor\'s functions', () => {
    const { json } = build((stack) => ({ pipeline: { ...minimal().pipeline, vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) } }));
    expect(ofType(json, 'AWS::SageMaker::Model')[0][1].Properties.VpcConfig).toBeDefined();
    const functions = ofType(json, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    expect(functions.filter(([, f]) => !f.Properties.VpcConfig).map(([id]) => id)).toEqual([]);
  });

  test('pipeline.removalPolicy reaches every key and log group of the model, but not the lake\'s', () => {
    const { ml, json, stack } = build({ pipeline: { ...minimal().pipeline, removalPolicy: RemovalPolicy.DESTROY } });
    const lakeKey = idOf(stack, ml.dataLake.encryptionKey as any);
    const kept = Object.entries<any>(json.Resources)
      .filter(([id, r]) => ['AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SageMaker::ModelPackageGroup'].includes(r.Type) && id !== lakeKey)
      .filter(([, r]) => r.DeletionPolicy !== 'Delete')
      .map(([id]) => id);
    expect(kept).toEqual([]);
    expect(json.Resources[lakeKey].DeletionPolicy).not.toBe('Delete');
    // The drift monitor's own key is among those that go.
    expect(json.Resources[idOf(stack, ml.monitor.encryptionKey as any)].DeletionPolicy).toBe('Delete');
  });

  test('the dashboard\'s training metrics', () => {
    const { json } = build({ trainingMetricNames: ['train:logloss'] });
    const body = JSON.stringify(ofType(json, 'AWS::CloudWatch::Dashboard')[0][1].Properties.DashboardBody);
    expect(body).toContain('train:logloss');
    expect(body).not.toContain('validation:auc');
  });

  test('dashboardName: dashboards are global to the account, so a model in a second region names its own, e.g. with the region', () => {
    const { template } = build({ dashboardName: 'fraud-eu-west-1' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'fraud-eu-west-1' });
    // The test stack's region is us-east-1.
    build((s) => ({ dashboardName: `fraud-${Stack.of(s).region}` })).template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'fraud-us-east-1' });
  });
});

describe('MlPipeline validation', () => {
  test.each<[string, (stack: Stack) => Partial<MlPipelineProps>, RegExp]>([
    ['fails on a model name with capitals', () => ({ modelName: 'Fraud' }),
      /'modelName' \('Fraud'\) must be 1 to 24 lowercase letters, digits and hyphens, starting and ending with a letter or digit \(SageMaker's name pattern.*use e.g. 'churn'/],
    ['fails on a model name longer than 24 characters', () => ({ modelName: 'a'.repeat(25) }), /'modelName' \('a{25}'\) must be 1 to 24/],
    ['fails on a model name ending in a hyphen', () => ({ modelName: 'fraud-' }), /'modelName' \('fraud-'\) must be/],
    ['fails on a dashboard name CloudWatch rejects', () => ({ dashboardName: 'fraud dashboard' }),
      /'dashboardName' \('fraud dashboard', 15 characters\) must be 1 to 255 letters, digits, hyphens and underscores.*use e.g. 'fraud-eu-west-1'/],
    ['fails on a dashboard name longer than 255 characters', () => ({ dashboardName: 'd'.repeat(256) }), /'dashboardName' \('d{256}', 256 characters\) must be 1 to 255/],
    ['fails on a model name known only at deploy time', (stack) => ({ modelName: new CfnParameter(stack, 'Name').valueAsString }), /'modelName' must be known at synth/],
    ['fails on a registry whose name is a deploy-time value', (stack) => ({ registry: ModelRegistry.fromModelPackageGroupName(stack, 'R', new CfnParameter(stack, 'Group').valueAsString) }),
      /'registry' must have a model package group name known at synth/],
    ['fails on AUTOMATIC with models registered pending', () => ({ pipeline: { ...minimal().pipeline, approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL } }),
      /'pipeline.approvalStatus' \(PendingManualApproval\) contradicts 'promotion.mode' \(AUTOMATIC\).*use PromotionMode.MANUAL/],
    ['fails on MANUAL with models registered approved', () => ({ promotion: { mode: PromotionMode.MANUAL }, pipeline: { ...minimal().pipeline, approvalStatus: ModelApprovalStatus.APPROVED } }),
      /'pipeline.approvalStatus' \(Approved\) contradicts 'promotion.mode' \(MANUAL\).*use PromotionMode.AUTOMATIC/],
    ['fails on rollout settings in REGISTER_ONLY, which never promotes', (stack) => ({ ...ownBaseline(stack), promotion: { mode: PromotionMode.REGISTER_ONLY, rolloutTimeout: Duration.hours(1) } }),
      /'promotion.rolloutTimeout' has no effect with 'promotion.mode' \(REGISTER_ONLY\), which never promotes; remove it/],
    ['fails on REGISTER_ONLY without a drift baseline', () => ({ promotion: { mode: PromotionMode.REGISTER_ONLY } }),
      /'drift.baseline' is needed with 'promotion.mode' \(REGISTER_ONLY\): nothing in the stack promotes a version, so nothing promotes its baseline/],
    ['fails on MANUAL when the runs compute no baseline', () => ({ promotion: { mode: PromotionMode.MANUAL }, pipeline: { gate: minimal().pipeline!.gate } }),
      /'drift.baseline' is needed: the runs of pipeline 'fraud' compute no drift baseline/],
    ['fails on a cooldown the retraining gate cannot wait out, by the name the user gave it', () => ({ drift: { retrainCooldown: Duration.days(400) } }),
      /'drift.retrainCooldown' \(400 days\) must be whole seconds between 1 minute and 364 days/],
    ['fails on a cooldown without retraining', () => ({ drift: { retrain: false, retrainCooldown: Duration.hours(1) } }),
      /'drift.retrainCooldown' \(1 hour\) has no effect with 'drift.retrain: false'; remove one of them/],
    ['fails on retraining on the quality alarm without retraining', (stack) => ({ drift: { retrain: false, retrainOnQualityAlarm: true, quality: labels(stack) } }),
      /'drift.retrainOnQualityAlarm' \(true\) has no effect with 'drift.retrain: false'; remove one of them/],
    ['fails on retraining on the quality alarm without quality monitoring', () => ({ drift: { retrainOnQualityAlarm: false } }),
      /'drift.retrainOnQualityAlarm' \(false\) has no effect without 'drift.quality', which creates the model-quality alarm/],
    ['fails on a GPU-only training image on the CPU instance type given', () => ({
      training: { image: SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'), instanceType: MlInstanceType.ML_M5_XLARGE, script: PREPROCESS },
      pipeline: { ...minimal().pipeline, inferenceImage: SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker') },
    }), /'training.image' needs an NVIDIA GPU \(a -gpu- image\) but 'training.instanceType' \(ml.m5.xlarge\) has none/],
    ['fails on a training instance type that SageMaker accepts for endpoints only', () => ({ training: { image: SageMakerImage.xgboost('1.7-1'), instanceType: MlInstanceType.ML_INF2_XLARGE } }),
      /'instanceType' \(ml.inf2.xlarge\) cannot run training jobs: SageMaker accepts it for endpoints/],
    ['fails on endpoint security groups without a VPC to put them in', (stack) => ({ endpoint: { securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0123456789abcdef0')] } }),
      /'endpoint.securityGroups' has no effect without 'pipeline.vpc', the VPC that holds the endpoint's containers/],
    ['fails on a drift option the monitor rejects, named as the monitor names it', () => ({ drift: { minRows: 0 } }),
      /'minRows' \(0\) must be a whole number of at least 1/],
    ['fails on AUTOMATIC when the runs compute no baseline', () => ({ pipeline: { gate: minimal().pipeline!.gate } }),
      /'drift.baseline' is needed: the runs of pipeline 'fraud' compute no drift baseline/],
  ])('%s', (_name, extra, message) => {
    expect(() => build(extra)).toThrow(message);
  });

  test('reports several problems at once', () => {
    expect(() => build({ modelName: 'Fraud', drift: { retrain: false, retrainCooldown: Duration.hours(1) }, promotion: { mode: PromotionMode.REGISTER_ONLY } }))
      .toThrow(/3 problems:\n- 'modelName' \('Fraud'\)[\s\S]*'drift.baseline' is needed[\s\S]*'drift.retrainCooldown'/);
  });
});
