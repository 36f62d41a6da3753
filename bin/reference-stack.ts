import * as path from 'path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import {
  AutoScalingMetric, CapacitySize, DataLake, DeploymentStrategy, DriftMonitor, FeatureSchema, FeatureType,
  InferenceDataLocation, MetricSource, MlInstanceType, MlopsDashboard, MlPipeline, ModelEndpoint, ModelRegistry,
  PromotionMode, QualityMetric, SageMakerImage, TrainingDataLayout, TrainingPipeline,
} from '../lib';
import { acknowledgeFindings, acknowledgeInlinePolicy, acknowledgeWildcards } from '../lib/core/private/nag';

const SCRIPTS = path.join(__dirname, '..', 'examples', 'training', 'scripts');
/** A sample data set made by examples/training/data/make_dataset.py (see the README there). */
const SAMPLE_DATA = path.join(__dirname, '..', 'examples', 'training', 'data', 'sample');
/** Where the pipeline reads its input in the raw zone; a `_SUCCESS` object here starts a run. */
const INPUT_PREFIX = 'churn/';
/**
 * The model's features in the order the endpoint receives them: the sample CSV's columns without
 * the label, which preprocess.py writes label first without a header (built-in XGBoost's CSV).
 * A CSV request to the endpoint is one such row, and the drift detector reads it by position.
 */
export const CHURN_FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];

/**
 * The reference MLOps stack: what `npx cdk deploy` puts into an account, one `MlPipeline`. New
 * data in the lake starts a pipeline that preprocesses it, trains XGBoost on a spot GPU
 * instance, registers the model approved when its validation AUC reaches 0.8, and deploys it
 * in the run (`PromotionMode.AUTOMATIC`) to an autoscaled GPU endpoint with data capture,
 * rolled out by CloudFormation as a canary with automatic rollback. An hourly drift monitor
 * compares the capture with the served model's training data and retrains on drift at most
 * once a day; every failure and alarm notifies one topic. Every run writes a run manifest.
 *
 * The stack uploads a sample data set to the pipeline's input prefix, without the `_SUCCESS`
 * marker, so a first run is one command away (see the README), and its outputs name what the
 * walkthrough uses.
 */
export class MlopsReferenceStack extends Stack {
  public readonly ml: MlPipeline;
  public readonly dataLake: DataLake;
  public readonly pipeline: TrainingPipeline;
  public readonly endpoint: ModelEndpoint;
  public readonly registry: ModelRegistry;
  public readonly monitor: DriftMonitor;
  public readonly dashboard: MlopsDashboard;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'cdk-mlops reference stack: data lake, GPU training pipeline, model registry and GPU endpoint',
      ...props,
    });
    this.dataLake = new DataLake(this, 'DataLake', { glueDatabaseName: 'mlops_curated' });
    // Named, so the served-version parameter keeps its name; a named group outlives `cdk destroy`
    // and must be deleted or renamed before this stack is deployed again (README). Its own
    // description: a group's description cannot change without replacing it.
    this.registry = new ModelRegistry(this, 'Registry', { modelPackageGroupName: 'churn', description: 'Churn models' });

    // 'Default': the parts keep the logical ids they had when this stack wired them by hand.
    this.ml = new MlPipeline(this, 'Default', {
      modelName: 'churn',
      dataLake: this.dataLake,
      registry: this.registry,
      training: {
        image: SageMakerImage.xgboost('1.7-1'),
        instanceType: MlInstanceType.ML_G5_XLARGE,
        maxRuntime: Duration.hours(2),
        hyperparameters: {
          objective: 'binary:logistic',
          eval_metric: 'auc',
          num_round: '200',
          max_depth: '5',
          tree_method: 'gpu_hist',
        },
      },
      pipeline: {
        inputPrefix: INPUT_PREFIX,
        // One run per uploaded data set: the uploader writes churn/_SUCCESS last.
        triggerKeySuffix: '_SUCCESS',
        preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
        gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
        // The drift baseline of each run's train split, named by the features the endpoint receives.
        baseline: {
          schema: FeatureSchema.of(CHURN_FEATURES.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
            { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
        },
      },
      // Models that pass the gate are registered approved and rolled out by the run.
      promotion: { mode: PromotionMode.AUTOMATIC },
      endpoint: {
        variants: [{
          instanceType: MlInstanceType.ML_G5_XLARGE,
          initialInstanceCount: 2,
          autoScaling: { minCapacity: 2, maxCapacity: 6, metric: AutoScalingMetric.invocationsPerInstance(200) },
        }],
        dataCapture: { location: InferenceDataLocation.fromDataLake(this.dataLake, 'churn-endpoint/'), samplingPercentage: 20 },
        deployment: { strategy: DeploymentStrategy.canary({ canarySize: CapacitySize.percent(50), waitInterval: Duration.minutes(10) }) },
      },
      // Hourly drift of the served model against its own training data (the baseline a run
      // promotes with its model), model quality from labels under churn-labels/, and retraining
      // on drift at most once a day. Until the first run deploys a model there is no baseline,
      // and the detector's failure alarm says so.
      drift: {
        features: [{ featureName: 'monthly_charges' }, { featureName: 'tenure_months' }, { featureName: 'support_calls' }],
        quality: {
          groundTruth: InferenceDataLocation.fromDataLake(this.dataLake, 'churn-labels/'),
          alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.8, critical: 0.75 } }],
        },
        retrainCooldown: Duration.hours(24),
      },
      trainingMetricNames: ['validation:auc', 'train:auc'],
    });
    this.pipeline = this.ml.pipeline;
    this.endpoint = this.ml.endpoint;
    this.monitor = this.ml.monitor;
    this.dashboard = this.ml.dashboard;

    this.uploadSampleData();
    this.addOutputs();
  }

  /**
   * The sample data set, under the input prefix, with no start marker: uploading it starts nothing.
   * BucketDeployment's own grants include deleting anything in the bucket; its role here gets
   * only what the upload needs: read the asset, list and add objects under the prefix, the key.
   */
  private uploadSampleData(): void {
    const lake = this.dataLake;
    const asset = new s3assets.Asset(this, 'SampleDataAsset', { path: SAMPLE_DATA });
    const logGroup = new logs.LogGroup(this, 'SampleDataLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'SampleDataRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Uploads the sample data set to the raw zone',
    });
    const prefixObjects = lake.rawBucket.arnForObjects(`${INPUT_PREFIX}*`);
    // A log group's ARN ends in ':*', which covers its streams.
    const logStreams = logGroup.logGroupArn;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)] }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [lake.rawBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${INPUT_PREFIX}*`] } },
    }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [prefixObjects] }));
    // GenerateDataKey for each upload, Decrypt for multipart uploads (the CLI splits files over 8 MB).
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [lake.encryptionKey.keyArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logStreams] }));
    acknowledgeWildcards(role.node.findChild('DefaultPolicy'), { resources: [prefixObjects, logStreams] },
      'The upload writes new objects under the input prefix (names known only from the data set) and log streams the function names itself.');
    acknowledgeInlinePolicy(role.node.findChild('DefaultPolicy'));

    const upload = new s3deploy.BucketDeployment(this, 'SampleData', {
      sources: [s3deploy.Source.bucket(asset.bucket, asset.s3ObjectKey)],
      destinationBucket: lake.rawBucket,
      destinationKeyPrefix: INPUT_PREFIX,
      serverSideEncryption: s3deploy.ServerSideEncryption.AWS_KMS,
      serverSideEncryptionAwsKmsKeyId: lake.encryptionKey.keyId,
      // Objects that users add under the prefix stay, and so does the sample when the stack goes.
      prune: false,
      retainOnDelete: true,
      logGroup,
      // The grants BucketDeployment adds itself (read, write and delete the whole bucket) are dropped.
      role: role.withoutPolicyUpdates(),
    });
    // Last: a first create that fails rolls back with the raw bucket still empty, so
    // CloudFormation can remove it (it cannot delete a bucket that holds objects).
    upload.node.addDependency(this.pipeline, this.registry);
    const handler = this.node.findAll().find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      acknowledgeFindings(handler, [
        { rules: ['AwsSolutions-L1'], reason: 'aws-cdk-lib\'s BucketDeployment picks the handler\'s runtime and updates it with the library.' },
        {
          rules: ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ'],
          reason: 'CloudFormation invokes the handler once per deployment and fails the deployment when no answer comes: a dead-letter queue would hold nothing anyone acts on.',
        },
        {
          rules: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
          reason: 'The handler talks only to S3 and CloudFormation\'s response URL over TLS; the reference stack has no VPC.',
        },
        {
          rules: ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
          reason: 'One invocation per deployment; reserved concurrency can fail a first deploy in accounts with the default limit of 10.',
        },
      ]);
    }
    acknowledgeFindings(logGroup, [{
      rules: ['NIST.800.53.R5-CloudWatchLogGroupEncrypted', 'HIPAA.Security-CloudWatchLogGroupEncrypted', 'PCI.DSS.321-CloudWatchLogGroupEncrypted'],
      reason: 'The log holds only the AWS CLI\'s listing of the sample files it copied, no data; CloudWatch Logs encrypts it at rest. It is deleted with the stack.',
    }]);
  }

  private addOutputs(): void {
    new CfnOutput(this, 'RawBucketName', { value: this.dataLake.rawBucket.bucketName, description: `Raw zone; the pipeline reads s3://<bucket>/${INPUT_PREFIX} and starts on ${INPUT_PREFIX}_SUCCESS` });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn, description: 'The training pipeline' });
    new CfnOutput(this, 'FailureTopicArn', { value: this.pipeline.failureTopic.topicArn, description: 'Failed runs, failed promotions and the drift alarms are published here' });
    new CfnOutput(this, 'PromotionStateMachineArn', { value: this.ml.promotion!.stateMachine.stateMachineArn, description: 'Rolls back: start it with {"modelPackageArn": "<older version ARN>", "rollback": true} (mlops rollback)' });
    new CfnOutput(this, 'ModelPackageGroupName', { value: this.registry.modelPackageGroupName, description: 'The model registry' });
    new CfnOutput(this, 'DriftAlarmTopicArn', { value: this.monitor.notificationTopic.topicArn, description: 'The drift and model-quality alarms notify this topic (the failure topic)' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName, description: 'CloudWatch dashboard of the model' });
    new CfnOutput(this, 'EndpointName', { value: this.endpoint.endpointName, description: `Exists once a model is promoted (parameter ${this.ml.modelVersion.parameterKey})` });
  }
}
