import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AutoScalingMetric, CapacitySize, DataLake, DataZone, PromotionMode, DeploymentStrategy, InferenceDataLocation, MetricSource,
  MlInstanceType, ModelEndpoint, ModelRegistry, ModelVersionParameter, SageMakerImage, TrainingPipeline,
} from '../lib';

const SCRIPTS = path.join(__dirname, '..', 'examples', 'training', 'scripts');

/**
 * The reference MLOps stack: what `npx cdk deploy` puts into an account. New data in the lake
 * starts a pipeline that preprocesses it, trains XGBoost on a spot GPU instance, registers the
 * model when its validation AUC reaches 0.8, and promotes it to an autoscaled GPU endpoint with
 * data capture, rolled out by CloudFormation as a canary with automatic rollback. Every run
 * writes a run manifest. Each capability the library gains is wired in here.
 */
export class MlopsReferenceStack extends Stack {
  public readonly dataLake: DataLake;
  public readonly pipeline: TrainingPipeline;
  public readonly endpoint: ModelEndpoint;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'cdk-mlops reference stack: data lake, GPU training pipeline, model registry and GPU endpoint',
      ...props,
    });
    this.dataLake = new DataLake(this, 'DataLake', { glueDatabaseName: 'mlops_curated' });
    const registry = new ModelRegistry(this, 'Registry', { modelPackageGroupName: 'churn', description: 'Churn models' });

    // The version the endpoint serves: 'none' until the pipeline promotes its first model.
    const modelVersion = new ModelVersionParameter(this, 'ChurnModelVersion', { registry });
    this.endpoint = new ModelEndpoint(this, 'Endpoint', {
      endpointName: 'churn',
      model: modelVersion.modelSource({
        modelDataLocation: InferenceDataLocation.fromDataLake(this.dataLake, 'churn/runs/', DataZone.ARTIFACTS),
      }),
      variants: [{
        instanceType: MlInstanceType.ML_G5_XLARGE,
        initialInstanceCount: 2,
        autoScaling: { minCapacity: 2, maxCapacity: 6, metric: AutoScalingMetric.invocationsPerInstance(200) },
      }],
      dataCapture: { location: InferenceDataLocation.fromDataLake(this.dataLake, 'churn-endpoint/'), samplingPercentage: 20 },
      deployment: { strategy: DeploymentStrategy.canary({ canarySize: CapacitySize.percent(50), waitInterval: Duration.minutes(10) }) },
    });
    modelVersion.serveOnlyWhenPromoted(this.endpoint);

    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      dataLake: this.dataLake,
      registry,
      pipelineName: 'churn',
      inputPrefix: 'churn/',
      // One run per uploaded data set: the uploader writes churn/_SUCCESS last.
      triggerKeySuffix: '_SUCCESS',
      preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
      training: {
        image: SageMakerImage.xgboost('1.7-1'),
        instanceType: MlInstanceType.ML_G5_XLARGE,
        useSpotInstances: true,
        maxRuntime: Duration.hours(2),
        hyperparameters: {
          objective: 'binary:logistic',
          eval_metric: 'auc',
          num_round: '200',
          max_depth: '5',
          tree_method: 'gpu_hist',
        },
      },
      gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
      // Models that pass the gate are registered approved and rolled out by the run.
      deployment: { modelVersion, mode: PromotionMode.ALWAYS },
    });
  }
}
