import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import {
  AutoScalingMetric, DataLake, DataZone, FeatureSchema, FeatureType, InferenceDataLocation, MetricDefinition, MetricSource, MlInstanceType,
  ModelEndpoint, ModelRegistry, ModelVersionParameter, PromotionMode, SageMakerImage, TrainingDataLayout, TrainingPipeline,
} from '../../lib';

/** The container: a Dockerfile with `train` and `serve` programs (see container/program). */
export const CONTAINER = path.join(__dirname, 'container');
const SCRIPTS = path.join(__dirname, '..', 'training', 'scripts');
const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];
const PIPELINE_NAME = 'churn-byoc';

/** What `train` prints on stdout, as SageMaker reads it from the job's logs. */
export const METRIC_DEFINITIONS: MetricDefinition[] = [
  { name: 'validation:auc', regex: 'validation:auc=([0-9\\.]+)' },
  { name: 'validation:accuracy', regex: 'validation:accuracy=([0-9\\.]+)' },
  { name: 'train:loss', regex: 'train:loss=([0-9\\.]+)' },
];

/** The gate a model must pass to be registered (and, here, deployed). */
export const GATE_THRESHOLD = 0.8;

/**
 * Bring your own container: one image, built from container/Dockerfile and published with the
 * stack's assets, trains (`train`) and serves (`serve`) the model. The pipeline preprocesses with
 * the scikit-learn image, trains in the image, registers models whose validation AUC reaches 0.8
 * approved, and deploys them in the run to a CPU endpoint that runs the same image.
 */
export class ByocStack extends Stack {
  public readonly image: SageMakerImage;
  public readonly pipeline: TrainingPipeline;
  public readonly endpoint: ModelEndpoint;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'cdk-mlops example: a bring-your-own-container image that trains and serves', ...props });
    // Built by `cdk deploy` (Docker there); synth only stages the folder as an asset. For x86
    // instances (ml.m5 here), also when `cdk deploy` runs on an ARM machine.
    this.image = SageMakerImage.fromAsset(CONTAINER, { platform: ecrAssets.Platform.LINUX_AMD64 });
    const lake = new DataLake(this, 'Lake');
    const registry = new ModelRegistry(this, 'Registry', { modelPackageGroupName: PIPELINE_NAME, description: 'Churn models of a custom container' });
    const modelVersion = new ModelVersionParameter(this, 'ModelVersion', { registry });

    this.endpoint = new ModelEndpoint(this, 'Endpoint', {
      endpointName: PIPELINE_NAME,
      model: modelVersion.modelSource({
        modelDataLocation: InferenceDataLocation.fromDataLake(lake, `${PIPELINE_NAME}/runs/`, DataZone.ARTIFACTS),
        // The image is in this stack's asset repository: the execution role may pull it.
        image: this.image,
      }),
      variants: [{
        instanceType: MlInstanceType.ML_M5_LARGE,
        initialInstanceCount: 1,
        autoScaling: { minCapacity: 1, maxCapacity: 3, metric: AutoScalingMetric.invocationsPerInstance(1000) },
      }],
      dataCapture: { location: InferenceDataLocation.fromDataLake(lake, `${PIPELINE_NAME}-endpoint/`), samplingPercentage: 10 },
    });
    modelVersion.serveOnlyWhenPromoted(this.endpoint);

    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      dataLake: lake,
      registry,
      pipelineName: PIPELINE_NAME,
      inputPrefix: 'churn/',
      triggerKeySuffix: '_SUCCESS',
      preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
      training: {
        image: this.image,
        instanceType: MlInstanceType.ML_M5_XLARGE,
        hyperparameters: { epochs: '300', learning_rate: '0.1', l2: '0.001' },
        metricDefinitions: METRIC_DEFINITIONS,
        maxRuntime: Duration.hours(1),
      },
      gate: { metricName: 'validation:auc', threshold: GATE_THRESHOLD, source: MetricSource.TRAINING_JOB },
      baseline: {
        schema: FeatureSchema.of(FEATURES.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
          { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
      },
      // The image serves what it trains (the default inference image is the training image).
      deployment: { modelVersion, mode: PromotionMode.AUTOMATIC },
    });
  }
}
