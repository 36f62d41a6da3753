import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { templateOf, testStack } from '../helpers/app';
import { nagFindings } from '../helpers/nag';
import { AUC_METRIC, fullPipelineProps, pipelineDefinition, pipelineStack, SCRIPTS } from '../helpers/pipeline';
import {
  DataLake, GateComparison, MetricSource, MlInstanceType, ModelApprovalStatus, ModelRegistry, S3DataDistribution, SageMakerImage,
  TrainingPipeline, TrainingPipelineProps,
} from '../../lib';

function minimalProps(lake: DataLake, overrides: Partial<TrainingPipelineProps> = {}): TrainingPipelineProps {
  return {
    dataLake: lake,
    pipelineName: 'xgb',
    training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE },
    ...overrides,
  };
}

function statementsOf(stack: Stack, roleId: string): any[] {
  const template = templateOf(stack).toJSON();
  const roleLogicalId = Object.keys(template.Resources).find((id) => id.startsWith(roleId) && template.Resources[id].Type === 'AWS::IAM::Role')!;
  return Object.values(template.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: any) => ref.Ref === roleLogicalId))
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
}

describe('TrainingPipeline resources', () => {
  const { stack, pipeline } = pipelineStack();
  const template = templateOf(stack);

  test('a Standard state machine named after the pipeline, logging ALL with execution data, traced, with a timeout', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'churn',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    expect(pipelineDefinition(template).TimeoutSeconds).toBe(Duration.days(7).toSeconds());
    expect(pipeline.pipelineName).toBe('churn');
  });

  test('logs and notifications are encrypted with a rotating customer key, kept on delete but not after a failed create', () => {
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'RetainExceptOnCreate', Properties: { EnableKeyRotation: true } });
    const logGroup = template.toJSON().Resources[Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('PipelineLogs'))!];
    expect(logGroup).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', Properties: { RetentionInDays: 365, KmsKeyId: expect.anything() } });
    // Under /aws/vendedlogs/ (no entry in the account's CloudWatch Logs resource policy), ended with the stack
    // instance's id, so a group kept after a destroy does not block the next deploy.
    expect(logGroup.Properties.LogGroupName).toEqual({ 'Fn::Join': ['', ['/aws/vendedlogs/states/churn-', {
      'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }],
    }]] });
    for (const [id, resource] of Object.entries(template.toJSON().Resources) as Array<[string, any]>) {
      if (resource.DeletionPolicy === 'Retain') throw new Error(`${id} (${resource.Type}) is retained after a failed create too`);
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    // CloudWatch Logs may use the key only for log groups of this account and region.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'logs.us-east-1.amazonaws.com' },
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*' } },
      })]) },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('creates a retained model registry when none is given', () => {
    template.hasResource('AWS::SageMaker::ModelPackageGroup', { DeletionPolicy: 'RetainExceptOnCreate' });
    expect(pipeline.registry).toBeInstanceOf(ModelRegistry);
  });

  test('one execution role per job, assumable by SageMaker from this account only', () => {
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] } },
    });
    expect(Object.keys(roles).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['PipelineEvaluationRole', 'PipelinePreprocessingRole', 'PipelineTrainingRole']);
    for (const role of Object.values(roles) as any[]) {
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '123456789012' } });
    }
  });

  test('the preprocessing role reads the input prefix and writes only this pipeline\'s runs', () => {
    const text = JSON.stringify(statementsOf(stack, 'PipelinePreprocessingRole'));
    expect(text).toContain('/training-data/*');
    expect(text).toContain('/churn/runs/*');
    expect(text).not.toContain('s3:DeleteObject');
    const wildcard = statementsOf(stack, 'PipelinePreprocessingRole').filter((st) => st.Resource === '*');
    expect(wildcard.map((st) => st.Action)).toEqual(['cloudwatch:PutMetricData']);
  });

  test('the training role reads curated runs and reads/writes artifacts runs, nothing in raw', () => {
    const statements = statementsOf(stack, 'PipelineTrainingRole');
    const text = JSON.stringify(statements);
    expect(text).toContain('LakeCuratedBucket');
    expect(text).toContain('LakeArtifactsBucket');
    expect(text).not.toContain('LakeRawBucket');
    expect(text).not.toContain('s3:DeleteObject');
  });

  test('the state machine passes job roles to SageMaker only, and manages only this pipeline\'s jobs', () => {
    const statements = statementsOf(stack, 'PipelineStateMachineRole');
    const passRole = statements.filter((st) => st.Action === 'iam:PassRole');
    expect(passRole.flatMap((st) => st.Resource).map((r: any) => r['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')).sort())
      .toEqual(['PipelineEvaluationRole', 'PipelinePreprocessingRole', 'PipelineTrainingRole']);
    for (const st of passRole) expect(st.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    const text = JSON.stringify(statements);
    expect(text).toContain(':training-job/churn-*');
    expect(text).toContain(':processing-job/churn-*');
    expect(text).toContain('StepFunctionsGetEventsForSageMakerTrainingJobsRule');
    expect(text).toContain('StepFunctionsGetEventsForSageMakerProcessingJobsRule');
    expect(text).not.toContain('states:ListExecutions');
    expect(text).not.toContain('"sagemaker:*"');
    // The run table: item writes only, on that table only.
    const table = statements.filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    expect(table).toEqual([{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::Join': ['', ['arn:aws:dynamodb:us-east-1:123456789012:table/', { Ref: expect.stringMatching(/^PipelineRunSlotsTable/) }]] } }]);
  });

  test('scripts are uploaded as assets and each job role may read only its own script', () => {
    const text = JSON.stringify(statementsOf(stack, 'PipelineTrainingRole'));
    expect(text).toMatch(/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.gz/);
    expect(text).not.toContain('cdk-hnb659fds-assets-123456789012-us-east-1/*');
  });

  test('new objects under the input prefix start a run with the object and version in the input', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: Match.stringLikeRegexp('^LakeRawBucket') }] }, object: { key: [{ prefix: 'training-data/' }] } },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^PipelineStateMachine') },
        InputTransformer: Match.objectLike({ InputPathsMap: { 'detail-bucket-name': '$.detail.bucket.name', 'detail-object-key': '$.detail.object.key', 'detail-object-version-id': '$.detail.object.version-id' } }),
      })],
    });
  });

  test('the run manifest function runs on the latest Node.js, traced, with no reserved concurrency and its own role', () => {
    // A reservation fails the first deploy in accounts whose concurrency limit is 10.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: Match.absent(),
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineRunManifestRole'), 'Arn'] },
    });
    const managed = Object.values(template.findResources('AWS::IAM::Role')).flatMap((r: any) => r.Properties.ManagedPolicyArns ?? []);
    expect(managed).toEqual([]);
  });

  test('runManifestUri points at the run prefix of the artifacts zone', () => {
    const [, parts] = stack.resolve(pipeline.runManifestUri('exec-1'))['Fn::Join'];
    expect(parts).toEqual(['s3://', { Ref: expect.stringMatching(/^LakeArtifactsBucket/) }, '/churn/runs/exec-1/manifest.json']);
  });
});

describe('TrainingPipeline options', () => {
  test('a schedule starts runs too', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, { schedule: events.Schedule.rate(Duration.days(7)) }));
    // The scheduled time goes into the input: it is the run's start key, so a schedule event delivered twice starts one run.
    templateOf(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(7 days)',
      Targets: [Match.objectLike({ InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"trigger":"schedule","time":<time>}' } })],
    });
  });

  test('triggerOnNewData: false leaves only manual starts', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, { triggerOnNewData: false }));
    const rules = Object.values(templateOf(stack).findResources('AWS::Events::Rule')) as any[];
    // Only the backstop's rules, which react to ended executions.
    expect(rules.map((r) => r.Properties.EventPattern.source)).toEqual([['aws.states'], ['aws.states']]);
  });

  test('triggerKeySuffix starts one run per data set marker', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, { triggerKeySuffix: '_SUCCESS' }));
    templateOf(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ wildcard: 'training-data/*_SUCCESS' }] } }) }),
    });
  });

  test('maxConcurrentRuns sets how many runs may hold a slot, and the poll interval how often a waiting run tries again', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, { maxConcurrentRuns: 3, concurrencyPollInterval: Duration.minutes(1) }));
    const states = pipelineDefinition(templateOf(stack)).States;
    expect(states.AcquireRunSlot.Parameters).toMatchObject({
      Key: { pk: { S: 'slots' } },
      UpdateExpression: 'ADD #held :one SET #holder = :since',
      ConditionExpression: 'attribute_not_exists(#holder) AND (attribute_not_exists(#held) OR #held < :max)',
      ExpressionAttributeNames: { '#held': 'held', '#holder.$': '$$.Execution.Id' },
      ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: '3' } },
    });
    expect(states.WaitForSlot.Seconds).toBe(60);
    expect(states.ReleaseRunSlot.Parameters).toMatchObject({
      UpdateExpression: 'ADD #held :minusOne REMOVE #holder',
      ConditionExpression: 'attribute_exists(#holder)',
      ExpressionAttributeNames: { '#held': 'held', '#holder.$': '$$.Execution.Id' },
    });
  });

  test('approvalStatus APPROVED registers models approved', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, { approvalStatus: ModelApprovalStatus.APPROVED }));
    const definition = pipelineDefinition(templateOf(stack));
    expect(definition.States.RegisterModel.Parameters.ModelApprovalStatus).toBe('Approved');
  });

  test('an existing registry is used and no new one is created', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const registry = ModelRegistry.fromModelPackageGroupName(stack, 'Registry', 'shared-models');
    const pipeline = new TrainingPipeline(stack, 'Pipeline', minimalProps(lake, { registry }));
    const template = templateOf(stack);
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 0);
    expect(pipelineDefinition(template).States.RegisterModel.Parameters.ModelPackageGroupName).toBe('shared-models');
    expect(pipeline.registry).toBe(registry);
  });

  test('a notificationTopic given receives the failures instead of a topic of its own, and admits alarms and rules', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const key = new kms.Key(stack, 'AlertsKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Alerts', { masterKey: key, enforceSSL: true });
    const pipeline = new TrainingPipeline(stack, 'Pipeline', minimalProps(lake, { notificationTopic: topic }));
    const template = templateOf(stack);
    const topicId = stack.resolve((topic.node.defaultChild as any).logicalId);
    expect(pipeline.failureTopic).toBe(topic);
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toEqual([topicId]);
    const machine = template.toJSON().Resources[stack.resolve((pipeline.stateMachine.node.defaultChild as any).logicalId)];
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain(JSON.stringify({ Ref: topicId }));
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' }),
      ]) },
    });
    const keyPolicy = JSON.stringify(template.toJSON().Resources[stack.resolve((key.node.defaultChild as any).logicalId)].Properties.KeyPolicy);
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    expect(keyPolicy).toContain('events.amazonaws.com');
  });

  test('an imported notificationTopic, whose policy the pipeline cannot change, warns what it must allow', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, { notificationTopic: sns.Topic.fromTopicArn(lake, 'Imported', 'arn:aws:sns:us-east-1:123456789012:alerts') }));
    Annotations.fromStack(stack).hasWarning('/TestStack/Pipeline', Match.stringLikeRegexp("cannot change the policies of 'notificationTopic'.*allow cloudwatch.amazonaws.com sns:Publish"));
    // Imported by ARN, the topic may be encrypted with a key the pipeline cannot see: the warning names the key's permissions too.
    Annotations.fromStack(stack).hasWarning('/TestStack/Pipeline', Match.stringLikeRegexp(
      'allow cloudwatch.amazonaws.com sns:Publish from this account \\(and, if the topic is encrypted, kms:Decrypt and kms:GenerateDataKey\\* on its key\\)'));
  });

  test('a built-in algorithm needs no metric definitions for a gate on its own metrics', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, {
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE },
      gate: { metricName: 'validation:auc', threshold: 0.8 },
    }));
    const states = pipelineDefinition(templateOf(stack)).States;
    expect(states.ExtractGateMetric.Parameters).toEqual({ 'values.$': "$.training.FinalMetricDataList[?(@.MetricName == 'validation:auc')].Value" });
  });

  test('without a gate every trained model is registered', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake));
    const definition = pipelineDefinition(templateOf(stack));
    expect(definition.States.MetricGate).toBeUndefined();
    expect(definition.States.Train.Next).toBe('RegisterModel');
  });

  test.each([
    [GateComparison.GREATER_THAN_OR_EQUAL, 'NumericGreaterThanEquals'],
    [GateComparison.GREATER_THAN, 'NumericGreaterThan'],
    [GateComparison.LESS_THAN_OR_EQUAL, 'NumericLessThanEquals'],
    [GateComparison.LESS_THAN, 'NumericLessThan'],
  ])('gate comparison %s renders %s', (comparison, operator) => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, { gate: { metricName: 'validation:auc', threshold: 0.5, comparison } }));
    const choices = pipelineDefinition(templateOf(stack)).States.MetricGate.Choices;
    expect(choices[2]).toEqual({ Variable: '$.gate.values[0]', [operator]: 0.5, Next: 'GatePassed' });
  });

  test('multi-instance GPU training gives every instance all the data unless sharded, and encrypts traffic between instances', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, {
      training: { image: SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'), instanceType: MlInstanceType.ML_P4D_24XLARGE, instanceCount: 4, script: path.join(SCRIPTS, 'train.py') },
      inferenceImage: SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'),
    }));
    const train = pipelineDefinition(templateOf(stack)).States.Train.Parameters;
    expect(train.ResourceConfig).toMatchObject({ InstanceCount: 4, InstanceType: 'ml.p4d.24xlarge' });
    expect(train.EnableInterContainerTrafficEncryption).toBe(true);
    expect(train.InputDataConfig.map((c: any) => [c.ChannelName, c.DataSource.S3DataSource.S3DataDistributionType])).toEqual([
      ['train', 'FullyReplicated'], ['validation', 'FullyReplicated'], ['code', 'FullyReplicated'],
    ]);
    expect(train.AlgorithmSpecification.TrainingImage).toBe('763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');
  });

  test('sharding the training channel is the user\'s choice', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, {
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_M5_XLARGE, instanceCount: 2, distribution: S3DataDistribution.SHARDED_BY_S3_KEY },
    }));
    const train = pipelineDefinition(templateOf(stack)).States.Train.Parameters;
    expect(train.InputDataConfig[0].DataSource.S3DataSource.S3DataDistributionType).toBe('ShardedByS3Key');
  });

  test('every job writes its outputs with the lake\'s key, not aws/s3', () => {
    const { stack } = pipelineStack((lake) => fullPipelineProps(lake));
    const states = pipelineDefinition(templateOf(stack)).States;
    const lakeKey = expect.stringMatching(/^arn:aws:kms:us-east-1:123456789012:key\/LakeKey/);
    expect(states.Train.Parameters.OutputDataConfig.KmsKeyId).toEqual(lakeKey);
    expect(states.Preprocess.Parameters.ProcessingOutputConfig.KmsKeyId).toEqual(lakeKey);
    expect(states.Evaluate.Parameters.ProcessingOutputConfig.KmsKeyId).toEqual(lakeKey);
  });

  test('jobs run in a VPC with a security group, and the manifest function too', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const lake = new DataLake(stack, 'Lake');
    new TrainingPipeline(stack, 'Pipeline', fullPipelineProps(lake, { vpc }));
    const template = templateOf(stack);
    const states = pipelineDefinition(template).States;
    const train = states.Train.Parameters;
    expect(train.VpcConfig.Subnets).toHaveLength(2);
    expect(train.VpcConfig.SecurityGroupIds).toHaveLength(1);
    // Preprocessing and evaluation read the lake too: they run in the VPC as well.
    for (const step of ['Preprocess', 'Evaluate']) {
      expect(states[step].Parameters.NetworkConfig.VpcConfig.Subnets).toEqual(train.VpcConfig.Subnets);
      expect(states[step].Parameters.NetworkConfig.VpcConfig.SecurityGroupIds).toHaveLength(1);
    }
    // Each group admits its own members (distributed jobs, inter-container traffic encryption).
    expect(Object.keys(template.findResources('AWS::EC2::SecurityGroupIngress'))).toHaveLength(3);
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }) });
  });

  test('warns when a CPU-only image is put on GPU instances', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, {
      training: { image: SageMakerImage.sklearn(), instanceType: MlInstanceType.ML_G5_XLARGE, script: path.join(SCRIPTS, 'train.py') },
    }));
    Annotations.fromStack(stack).hasWarning('/TestStack/Pipeline', Match.stringLikeRegexp("runs on CPU only.*'ml.g5.xlarge'"));
  });

  test('postRegistration states run after a model is registered, before the manifest', () => {
    const { stack } = pipelineStack((lake) => minimalProps(lake, {
      postRegistration: new sfn.Pass(lake.stack, 'Deploy', { comment: 'deployment hook' }),
    }));
    const states = pipelineDefinition(templateOf(stack)).States;
    expect(states.RecordRegistered.Next).toBe('Deploy');
    expect(states.Deploy.Next).toBe('WriteRunManifest');
  });
});

describe('TrainingPipeline passes every cdk-nag pack', () => {
  test.each<[string, (lake: DataLake) => TrainingPipelineProps]>([
    ['with every step', fullPipelineProps],
    ['with training only, on spot GPUs', (lake) => minimalProps(lake, { training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_2XLARGE, useSpotInstances: true }, gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB } })],
  ])('%s', (_name, props) => {
    const { stack } = pipelineStack(props);
    expect(nagFindings(stack.node.root as any)).toEqual([]);
  });
});

describe('TrainingPipeline rejects bad input at synth', () => {
  const script = path.join(SCRIPTS, 'train.py');
  test.each<[string, (lake: DataLake) => TrainingPipelineProps, RegExp]>([
    ['fails on a pipeline name too long for job names', (lake) => minimalProps(lake, { pipelineName: 'a-very-long-pipeline-name-x' }),
      /'pipelineName' \('a-very-long-pipeline-name-x'\) must be 1 to 24 lowercase letters/],
    ['fails on a pipeline name with underscores', (lake) => minimalProps(lake, { pipelineName: 'churn_model' }), /'pipelineName' \('churn_model'\)/],
    ['fails on an input prefix without a trailing slash', (lake) => minimalProps(lake, { inputPrefix: 'data' }), /'inputPrefix' \('data'\) must be a key prefix ending in '\/'/],
    ['fails on zero concurrent runs', (lake) => minimalProps(lake, { maxConcurrentRuns: 0 }), /'maxConcurrentRuns' \(0\) must be a whole number from 1 to 1000/],
    ['fails on a trigger suffix without the trigger', (lake) => minimalProps(lake, { triggerOnNewData: false, triggerKeySuffix: '_SUCCESS' }), /'triggerKeySuffix' \('_SUCCESS'\) has no effect/],
    ['fails on a gate metric the training job does not define', (lake) => minimalProps(lake, {
      training: { image: SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'), instanceType: MlInstanceType.ML_G5_XLARGE, script, metricDefinitions: [AUC_METRIC] },
      gate: { metricName: 'validation:f1', threshold: 0.5 },
    }),
      /'gate.metricName' \('validation:f1'\) is not among 'training.metricDefinitions' \('validation:auc'\)/],
    ['fails on a report gate without an evaluation step', (lake) => minimalProps(lake, { gate: { metricName: 'auc', threshold: 0.5, source: MetricSource.EVALUATION_REPORT } }),
      /'gate.source' \(EVALUATION_REPORT\) needs an 'evaluation' step/],
    ['fails on a report metric name that is not a plain key', (lake) => fullPipelineProps(lake, { gate: { metricName: 'test:auc', threshold: 0.5 } }),
      /'gate.metricName' \('test:auc'\) must be a plain key of the evaluation report/],
    ['fails on a threshold that is not a finite number', (lake) => minimalProps(lake, { gate: { metricName: 'validation:auc', threshold: NaN } }), /'gate.threshold' \(NaN\) must be a finite number/],
    ['fails on a source directory without a script', (lake) => minimalProps(lake, {
      training: { image: SageMakerImage.sklearn(), instanceType: MlInstanceType.ML_M5_XLARGE, sourceDirectory: SCRIPTS },
    }), /'training.sourceDirectory' \('.*'\) needs 'training.script'/],
    ['fails on spot training that may not wait longer than it runs', (lake) => minimalProps(lake, {
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE, useSpotInstances: true, maxRuntime: Duration.hours(2), maxWaitTime: Duration.hours(1) },
    }), /'maxWaitTime' \(1 hour\) must be longer than 'maxRuntime' \(2 hours\) for spot training/],
    ['fails on a max wait time without spot', (lake) => minimalProps(lake, {
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE, maxWaitTime: Duration.hours(3) },
    }), /'maxWaitTime' \(3 hours\) only applies to spot training/],
    ['fails on metric definitions for a built-in algorithm', (lake) => minimalProps(lake, {
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE, metricDefinitions: [AUC_METRIC] },
    }), /'training.metricDefinitions' cannot be given for a SageMaker built-in algorithm/],
    ['fails on zero training instances', (lake) => minimalProps(lake, {
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE, instanceCount: 0 },
    }), /'instanceCount' \(0\) must be a whole number from 1 to 100/],
    ['fails on a training run longer than SageMaker allows', (lake) => minimalProps(lake, {
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE, maxRuntime: Duration.days(30) },
    }), /'maxRuntime' \(30 days\) must be whole seconds from 1 second to 28 days/],
  ])('%s', (_name, props, message) => {
    expect(() => pipelineStack(props)).toThrow(message);
  });

  test('fails on an unknown instance type string before anything is built', () => {
    expect(() => MlInstanceType.of('g5.xlarge')).toThrow(/'instanceType' \('g5.xlarge'\) is not a SageMaker ML instance type; use the form 'ml.<family>.<size>'/);
  });

  test('fails with every pipeline problem listed at once', () => {
    expect(() => pipelineStack((lake) => minimalProps(lake, { pipelineName: 'bad_name', inputPrefix: '/abs/', maxConcurrentRuns: -1 })))
      .toThrow(/3 problems:\n- 'pipelineName'.*\n- 'inputPrefix'.*\n- 'maxConcurrentRuns'/);
  });
});
