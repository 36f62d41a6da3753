/**
 * The task constructs used on their own, in a state machine of the user's.
 */
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { templateOf, testStack } from '../helpers/app';
import { definitionFromTemplate, validateAsl } from '../helpers/asl';
import {
  MlInstanceType, ModelApprovalStatus, ModelRegistry, RegisterModelPackageTask, S3DataDistribution, SageMakerImage,
  SageMakerProcessingTask, SageMakerProcessingTaskProps, SageMakerTrainingTask, SageMakerTrainingTaskProps, TrainingInputMode,
} from '../../lib';

function jobRole(stack: Stack): iam.Role {
  return new iam.Role(stack, 'JobRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
}

function trainingProps(stack: Stack, overrides: Partial<SageMakerTrainingTaskProps> = {}): SageMakerTrainingTaskProps {
  return {
    trainingJobName: sfn.JsonPath.stringAt('$.jobName'),
    role: jobRole(stack),
    image: SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'),
    instanceType: MlInstanceType.ML_G6E_XLARGE,
    channels: [{ channelName: 'train', s3Uri: 's3://my-data/train/' }],
    outputS3Uri: 's3://my-models/',
    ...overrides,
  };
}

function processingProps(stack: Stack, overrides: Partial<SageMakerProcessingTaskProps> = {}): SageMakerProcessingTaskProps {
  return {
    processingJobName: 'features-1',
    role: jobRole(stack),
    image: SageMakerImage.sklearn(),
    instanceType: MlInstanceType.ML_M5_XLARGE,
    processingInputs: [{ inputName: 'raw', s3Uri: 's3://my-data/raw/', localPath: '/opt/ml/processing/input' }],
    ...overrides,
  };
}

/** The one Task state of a state machine made of `task` alone. */
function renderedTask(stack: Stack, task: sfn.TaskStateBase): any {
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(task) });
  const definition = definitionFromTemplate(templateOf(stack));
  expect(validateAsl(definition)).toEqual([]);
  return Object.values(definition.States)[0];
}

describe('SageMakerTrainingTask', () => {
  test('renders a .sync CreateTrainingJob with spot, checkpoints, KMS, environment and metrics', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const state = renderedTask(stack, new SageMakerTrainingTask(stack, 'Train', trainingProps(stack, {
      instanceCount: 2,
      volumeSize: Size.gibibytes(100),
      volumeEncryptionKey: key,
      outputEncryptionKey: key,
      maxRuntime: Duration.hours(4),
      useSpotInstances: true,
      maxWaitTime: Duration.hours(8),
      checkpointS3Uri: 's3://my-models/checkpoints/',
      environment: { NCCL_DEBUG: 'WARN' },
      hyperparameters: { epochs: '10' },
      metricDefinitions: [{ name: 'val:loss', regex: 'val_loss=([0-9\\.]+)' }],
      channels: [
        { channelName: 'train', s3Uri: 's3://my-data/train/', inputMode: TrainingInputMode.FAST_FILE, distribution: S3DataDistribution.SHARDED_BY_S3_KEY },
        { channelName: 'validation', s3Uri: 's3://my-data/validation/', contentType: 'text/csv' },
      ],
    })));
    expect(state.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    expect(state.Parameters).toMatchObject({
      'TrainingJobName.$': '$.jobName',
      'AlgorithmSpecification': { TrainingImage: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker', TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'val:loss', Regex: 'val_loss=([0-9\\.]+)' }] },
      'ResourceConfig': { InstanceCount: 2, InstanceType: 'ml.g6e.xlarge', VolumeSizeInGB: 100, VolumeKmsKeyId: expect.stringContaining(':key/') },
      'StoppingCondition': { MaxRuntimeInSeconds: 14400, MaxWaitTimeInSeconds: 28800 },
      'EnableManagedSpotTraining': true,
      'CheckpointConfig': { S3Uri: 's3://my-models/checkpoints/', LocalPath: '/opt/ml/checkpoints' },
      'EnableInterContainerTrafficEncryption': true,
      'Environment': { NCCL_DEBUG: 'WARN' },
      'HyperParameters': { epochs: '10' },
      'OutputDataConfig': { S3OutputPath: 's3://my-models/', KmsKeyId: expect.stringContaining(':key/') },
    });
    expect(state.Parameters.InputDataConfig[0]).toEqual({
      ChannelName: 'train', InputMode: 'FastFile',
      DataSource: { S3DataSource: { S3Uri: 's3://my-data/train/', S3DataType: 'S3Prefix', S3DataDistributionType: 'ShardedByS3Key' } },
    });
  });

  test('grants the state machine its jobs, the managed sync rule and PassRole to SageMaker only', () => {
    const stack = testStack();
    renderedTask(stack, new SageMakerTrainingTask(stack, 'Train', trainingProps(stack, { jobNamePrefix: 'nightly-' })));
    const statements = Object.values(templateOf(stack).findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: ['sagemaker:AddTags', 'sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
        Resource: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/nightly-*',
      }),
      expect.objectContaining({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
      expect.objectContaining({
        Action: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'],
        Resource: 'arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule',
      }),
    ]));
  });

  test('REQUEST_RESPONSE starts the job without waiting and needs no events rule', () => {
    const stack = testStack();
    const state = renderedTask(stack, new SageMakerTrainingTask(stack, 'Train', trainingProps(stack, { integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE })));
    expect(state.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob');
    expect(JSON.stringify(templateOf(stack).toJSON())).not.toContain('StepFunctionsGetEventsForSageMaker');
  });

  test.each<[string, Partial<SageMakerTrainingTaskProps>, RegExp]>([
    ['fails on spot without a wait longer than the runtime', { useSpotInstances: true, maxRuntime: Duration.hours(3), maxWaitTime: Duration.hours(3) },
      /'maxWaitTime' \(3 hours\) must be longer than 'maxRuntime' \(3 hours\) for spot training; use e.g. Duration.seconds\(21600\)/],
    ['fails on a checkpoint folder without a checkpoint location', { checkpointLocalPath: '/opt/ml/ckpt' }, /'checkpointLocalPath' \('\/opt\/ml\/ckpt'\) needs 'checkpointS3Uri'/],
    ['fails on no channels', { channels: [] }, /'channels' is empty: a training job needs at least one channel/],
    ['fails on repeated channel names', { channels: [{ channelName: 'train', s3Uri: 's3://a/' }, { channelName: 'train', s3Uri: 's3://b/' }] }, /'channels' repeats the name\(s\) 'train'/],
    ['fails on a metric regex without a capture group', { metricDefinitions: [{ name: 'loss', regex: 'loss=[0-9.]+' }] }, /regex of 'loss' \('loss=\[0-9.\]\+'\) has no capture group/],
    ['fails on a metric regex that is not a regular expression', { metricDefinitions: [{ name: 'loss', regex: 'loss=([0-9' }] }, /regex of 'loss' \('loss=\(\[0-9'\) is not a valid regular expression/],
    ['fails on a volume of a fraction of a GiB', { volumeSize: Size.mebibytes(1536) }, /'volumeSize' \(1.5 GiB\) must be a whole number of GiB from 1 to 16384/],
    ['fails on a hyperparameter value over 2500 characters', { hyperparameters: { config: 'x'.repeat(2501) } }, /'hyperparameters' entry 'config' is too long/],
    ['fails on clear-text traffic between instances', { instanceCount: 2, enableInterContainerTrafficEncryption: false }, /'enableInterContainerTrafficEncryption' \(false\) leaves the traffic between the 2 instances in clear text/],
    ['fails on an unsupported integration pattern', { integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN }, /'integrationPattern' \(WAIT_FOR_TASK_TOKEN\) is not supported for training jobs/],
    ['fails on a job name prefix with spaces', { jobNamePrefix: 'my jobs' }, /'jobNamePrefix' \('my jobs'\) must be 1 to 63 letters, digits and hyphens/],
    ['fails on metric definitions for a built-in algorithm', { image: SageMakerImage.xgboost(), metricDefinitions: [{ name: 'auc', regex: 'auc=([0-9.]+)' }] },
      /'metricDefinitions' \('auc'\) cannot be given for a SageMaker built-in algorithm/],
  ])('%s', (_name, overrides, message) => {
    const stack = testStack();
    expect(() => new SageMakerTrainingTask(stack, 'Train', trainingProps(stack, overrides))).toThrow(message);
  });
});

describe('SageMakerProcessingTask', () => {
  test('renders a .sync CreateProcessingJob with inputs, outputs, entrypoint and network isolation', () => {
    const stack = testStack();
    const state = renderedTask(stack, new SageMakerProcessingTask(stack, 'Features', processingProps(stack, {
      processingOutputs: [{ outputName: 'features', s3Uri: sfn.JsonPath.stringAt('$.out'), localPath: '/opt/ml/processing/output' }],
      containerEntrypoint: ['python3', '/opt/ml/processing/input/code/features.py'],
      containerArguments: ['--days', '30'],
      enableNetworkIsolation: true,
      maxRuntime: Duration.minutes(30),
    })));
    expect(state.Resource).toBe('arn:aws:states:::sagemaker:createProcessingJob.sync');
    expect(state.Parameters).toMatchObject({
      ProcessingJobName: 'features-1',
      AppSpecification: { ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/features.py'], ContainerArguments: ['--days', '30'] },
      ProcessingInputs: [{ InputName: 'raw', S3Input: { S3Uri: 's3://my-data/raw/', LocalPath: '/opt/ml/processing/input', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' } }],
      ProcessingOutputConfig: { Outputs: [{ OutputName: 'features', S3Output: { 'S3Uri.$': '$.out', 'LocalPath': '/opt/ml/processing/output', 'S3UploadMode': 'EndOfJob' } }] },
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
      StoppingCondition: { MaxRuntimeInSeconds: 1800 },
      NetworkConfig: { EnableNetworkIsolation: true },
    });
  });

  test.each<[string, Partial<SageMakerProcessingTaskProps>, RegExp]>([
    ['fails on a processing step without inputs', { processingInputs: [] }, /'processingInputs' is empty: a processing job needs at least one input/],
    ['fails on repeated output names', {
      processingOutputs: [{ outputName: 'o', s3Uri: 's3://a/', localPath: '/opt/ml/processing/a' }, { outputName: 'o', s3Uri: 's3://b/', localPath: '/opt/ml/processing/b' }],
    }, /'processingOutputs' repeats the name\(s\) 'o'/],
    ['fails on 101 instances', { instanceCount: 101 }, /'instanceCount' \(101\) must be a whole number from 1 to 100/],
    ['fails on a runtime of part of a second', { maxRuntime: Duration.millis(1500) }, /'maxRuntime' \(1 second 500 millis\) must be whole seconds/],
    ['fails on a processing job longer than 9 days', { maxRuntime: Duration.days(10) }, /'maxRuntime' \(10 days\) must be whole seconds from 1 second to 9 days/],
  ])('%s', (_name, overrides, message) => {
    const stack = testStack();
    expect(() => new SageMakerProcessingTask(stack, 'Features', processingProps(stack, overrides))).toThrow(message);
  });
});

describe('RegisterModelPackageTask', () => {
  test('registers a model version through the AWS SDK integration with metrics and metadata', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const state = renderedTask(stack, new RegisterModelPackageTask(stack, 'Register', {
      registry,
      inferenceImage: SageMakerImage.xgboost('1.7-1'),
      modelDataUrl: sfn.JsonPath.stringAt('$.model'),
      approvalStatus: ModelApprovalStatus.APPROVED,
      modelQualityReportUri: 's3://reports/evaluation.json',
      inferenceInstanceTypes: [MlInstanceType.ML_G5_XLARGE],
      customerMetadata: { source: sfn.JsonPath.stringAt('$$.Execution.Id') },
    }));
    expect(state.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:createModelPackage');
    expect(state.Parameters).toEqual({
      ModelPackageGroupName: 'churn',
      ModelApprovalStatus: 'Approved',
      InferenceSpecification: {
        Containers: [{ 'Image': '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', 'ModelDataUrl.$': '$.model' }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
        SupportedRealtimeInferenceInstanceTypes: ['ml.g5.xlarge'],
      },
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://reports/evaluation.json' } } },
      CustomerMetadataProperties: { 'source.$': '$$.Execution.Id' },
    });
    const statements = Object.values(templateOf(stack).findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([expect.objectContaining({
      Action: 'sagemaker:CreateModelPackage',
      Resource: ['arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/*', { 'Fn::GetAtt': [expect.stringMatching(/^Registry/), 'ModelPackageGroupArn'] }],
    })]);
  });

  test('grants nothing on an ECR repository of yours: the serving endpoint\'s role pulls the image', () => {
    const stack = testStack();
    const repository = new ecr.Repository(stack, 'Repo');
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    renderedTask(stack, new RegisterModelPackageTask(stack, 'Register', {
      registry, inferenceImage: SageMakerImage.fromEcrRepository(repository, 'v1'), modelDataUrl: 's3://models/model.tar.gz',
    }));
    const repo = Object.values(templateOf(stack).findResources('AWS::ECR::Repository'))[0] as any;
    expect(repo.Properties?.RepositoryPolicyText).toBeUndefined();
    expect(JSON.stringify(templateOf(stack).toJSON())).not.toContain('ecr:BatchGetImage');
  });
});
