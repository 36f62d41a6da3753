/**
 * A CDK app for test/training/pipeline-moto.test.ts: a data lake and a training pipeline (one run
 * at a time, a short queue, an imported registry), deployed with the real CDK CLI to a local moto server
 * (`npx cdk deploy --app "npx tsx test/training/pipeline-moto-app.ts"`).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { DataLake, MetricSource, MlInstanceType, ModelRegistry, SageMakerImage, TrainingPipeline } from '../../lib';

const app = new App();
const stack = new Stack(app, process.env.MOTO_STACK_NAME ?? 'MotoPipeline', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
const lake = new DataLake(stack, 'Lake', { bucketNamePrefix: process.env.MOTO_BUCKET_PREFIX ?? 'moto-pipeline-test' });
new TrainingPipeline(stack, 'Pipeline', {
  dataLake: lake,
  pipelineName: 'mototrain',
  // moto skips AWS::SageMaker::ModelPackageGroup, so nothing may reference one: the group is imported.
  registry: ModelRegistry.fromModelPackageGroupName(stack, 'Registry', 'mototrain-models'),
  training: { image: SageMakerImage.xgboost('1.7-1'), instanceType: MlInstanceType.ML_M5_XLARGE },
  gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
  maxConcurrentRuns: 1,
  concurrencyPollInterval: Duration.minutes(10),
  maxQueueTime: Duration.minutes(30),
  notificationEmails: ['ml-team@example.com'],
});
app.synth();
