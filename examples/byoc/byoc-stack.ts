import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { Construct } from 'constructs';
import {
  AutoScalingMetric, FeatureSchema, FeatureType, MetricDefinition, MetricSource, MlInstanceType, MlPipeline, SageMakerImage,
  TrainingDataLayout,
} from '../../lib';

/** The container: a Dockerfile with `train` and `serve` programs (see container/program). */
export const CONTAINER = path.join(__dirname, 'container');
const SCRIPTS = path.join(__dirname, '..', 'training', 'scripts');
const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];

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
 * stack's assets, trains (`train`) and serves (`serve`) the model. An `MlPipeline` wires the rest:
 * its runs preprocess with the scikit-learn image, train in the image, register models whose
 * validation AUC reaches 0.8 approved, and deploy them in the run to a CPU endpoint that runs the
 * same image (the serving image is the training image unless `pipeline.inferenceImage` says
 * otherwise); a drift monitor watches the endpoint.
 */
export class ByocStack extends Stack {
  public readonly image: SageMakerImage;
  /** The model's loop: lake, registry, served version, endpoint, training pipeline, drift monitor, dashboard. */
  public readonly ml: MlPipeline;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'cdk-mlops example: a bring-your-own-container image that trains and serves', ...props });
    // Built by `cdk deploy` (Docker there); synth only stages the folder as an asset. For x86
    // instances (ml.m5 here), also when `cdk deploy` runs on an ARM machine.
    this.image = SageMakerImage.fromAsset(CONTAINER, { platform: ecrAssets.Platform.LINUX_AMD64 });
    // The image is in this stack's asset repository: the job role and the endpoint's execution role may pull it.
    this.ml = new MlPipeline(this, 'Churn', {
      modelName: 'churn-byoc',
      training: {
        image: this.image,
        // numpy on CPU: a GPU instance (MlPipeline's default for an image it cannot tell) would idle.
        instanceType: MlInstanceType.ML_M5_XLARGE,
        hyperparameters: { epochs: '300', learning_rate: '0.1', l2: '0.001' },
        metricDefinitions: METRIC_DEFINITIONS,
        maxRuntime: Duration.hours(1),
        // On spot (MlPipeline's default): an interrupted job runs `train` again, seconds of work.
      },
      pipeline: {
        inputPrefix: 'churn/',
        triggerKeySuffix: '_SUCCESS',
        preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
        gate: { metricName: 'validation:auc', threshold: GATE_THRESHOLD, source: MetricSource.TRAINING_JOB },
        baseline: {
          schema: FeatureSchema.of(FEATURES.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
            { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
        },
      },
      endpoint: {
        variants: [{
          instanceType: MlInstanceType.ML_M5_LARGE,
          initialInstanceCount: 1,
          autoScaling: { minCapacity: 1, maxCapacity: 3, metric: AutoScalingMetric.invocationsPerInstance(1000) },
        }],
      },
    });
  }
}
