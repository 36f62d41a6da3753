import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { FeatureSchema } from './feature-schema';
import { S3DataDistribution } from './tasks/job-options';
import { DistributedTraining, MetricDefinition } from './tasks/training-job';
import { MlInstanceType } from '../core/instance-type';
import { SageMakerImage } from '../core/sagemaker-image';

/**
 * A processing step of the pipeline (preprocessing or evaluation): one Python script run in a
 * SageMaker processing container.
 */
export interface ProcessingStepOptions {
  /** Path of the local Python script; it is uploaded with the stack's assets. */
  readonly script: string;

  /**
   * The container image.
   *
   * @default SageMakerImage.sklearn()
   */
  readonly image?: SageMakerImage;

  /**
   * The instance type.
   *
   * @default MlInstanceType.ML_M5_XLARGE
   */
  readonly instanceType?: MlInstanceType;

  /**
   * Number of instances.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Arguments passed to the script.
   *
   * @default - none
   */
  readonly arguments?: string[];

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * The job is stopped after this long.
   *
   * @default Duration.hours(2)
   */
  readonly maxRuntime?: Duration;

  /**
   * Size of each instance's ML storage volume.
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * Security groups of the step's jobs when the pipeline has a `vpc` (1 to 5). With several
   * instances they must admit traffic from their own members.
   *
   * @default - a security group created for the step, admitting all traffic from its own members
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * What a training step takes besides its instance type and capacity, whose defaults differ
 * between a `TrainingPipeline` (`TrainingStepOptions`: both given, on-demand) and an
 * `MlPipeline` (`MlPipelineTrainingOptions`: a GPU, on spot).
 */
export interface TrainingStepBaseOptions {
  /** The training image, e.g. `SageMakerImage.xgboost()` or a PyTorch Deep Learning Container. */
  readonly image: SageMakerImage;

  /**
   * Number of instances; more than one trains on several instances (distributed).
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * A local Python script run in script mode by framework images (scikit-learn, PyTorch,
   * Hugging Face): it is uploaded with the stack's assets and set as `sagemaker_program`. With
   * `sourceDirectory`, the script's path inside that directory, e.g. 'train.py'.
   *
   * @default - the image's own training program (built-in algorithms such as XGBoost)
   */
  readonly script?: string;

  /**
   * A local directory uploaded with `script` for real projects: helper modules, and a
   * requirements.txt that the framework container pip-installs before training. Packed at synth
   * into a tar.gz with fixed times, so an unchanged directory keeps the asset unchanged.
   *
   * @default - `script` alone
   */
  readonly sourceDirectory?: string;

  /**
   * Run `script` distributed, e.g. `DistributedTraining.torchrun()`: torchrun across the GPUs of
   * each instance and across `instanceCount` instances.
   *
   * @default - one process per instance
   */
  readonly distributed?: DistributedTraining;

  /**
   * Hyperparameters, passed to the container as strings.
   *
   * @default - none
   */
  readonly hyperparameters?: Record<string, string>;

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * Metrics SageMaker parses from the training logs; a gate on the training job needs its metric here.
   *
   * @default - none
   */
  readonly metricDefinitions?: MetricDefinition[];

  /**
   * The job is stopped after this long.
   *
   * @default Duration.hours(24)
   */
  readonly maxRuntime?: Duration;

  /**
   * With spot: how long to wait for capacity plus the training time; must exceed `maxRuntime`.
   *
   * @default - twice `maxRuntime`, at most 28 days
   */
  readonly maxWaitTime?: Duration;

  /**
   * Sync `/opt/ml/checkpoints` to the run's prefix in the artifacts zone.
   *
   * @default - true with spot training, else false
   */
  readonly checkpoints?: boolean;

  /**
   * Size of each instance's ML storage volume.
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * MIME type of the training data.
   *
   * @default 'text/csv'
   */
  readonly contentType?: string;

  /**
   * How the training data is spread over several instances. Every instance gets all of it by
   * default; `SHARDED_BY_S3_KEY` gives each about 1/N of the objects, for data-parallel training
   * over many files, and needs at least as many objects under `train/` as instances (an instance
   * with no object has no data). Validation data is always fully replicated.
   *
   * @default S3DataDistribution.FULLY_REPLICATED
   */
  readonly distribution?: S3DataDistribution;

  /**
   * Isolate the training containers from the network. A `script` still arrives (as an input
   * channel), but a `sourceDirectory`'s requirements.txt cannot be pip-installed.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;

  /**
   * Security groups of the training job when the pipeline has a `vpc` (1 to 5). With several
   * instances they must admit traffic from their own members.
   *
   * @default - a security group created for the training job, admitting all traffic from its own members
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The training step of a `TrainingPipeline`.
 */
export interface TrainingStepOptions extends TrainingStepBaseOptions {
  /** The instance type, e.g. `MlInstanceType.ML_G5_XLARGE`. */
  readonly instanceType: MlInstanceType;

  /**
   * Train on managed spot capacity, with checkpoints in the artifacts zone so an interrupted job resumes.
   *
   * @default false
   */
  readonly useSpotInstances?: boolean;
}

/**
 * The drift baseline step: after preprocessing, before training, a Lambda function computes the
 * drift baseline of the training split with the drift detector's own code (same parser, same
 * bins) and writes it to `<artifacts>/<pipelineName>/runs/<execution>/baseline/baseline.json`.
 * Its location goes into the run manifest and the model package; a run that deploys its model
 * copies it to `TrainingPipeline.currentBaselineKey`, which a `DriftMonitor` reads.
 */
export interface BaselineStepOptions {
  /**
   * Compute the baseline. A run whose baseline fails (e.g. a header-less split without a schema
   * that names its columns) fails before training starts.
   *
   * @default - true when the pipeline has a preprocessing step (the split it reads is the run's own),
   * except for a SageMaker built-in algorithm without a `schema`: its CSV has no header row to name
   * the features (synth warns)
   */
  readonly enabled?: boolean;

  /**
   * Names, types and order of the features, and the label column.
   *
   * @default FeatureSchema.infer(): names from the split's header row, types from the values, no label
   */
  readonly schema?: FeatureSchema;

  /**
   * The object of the training split that the baseline reads: under the run's `train/` output of
   * the curated zone with preprocessing, else under `<inputPrefix>train/` of the raw zone.
   *
   * @default 'train.csv'
   */
  readonly trainingFileName?: string;

  /**
   * Categories kept by name per categorical feature; the rest share an "other" bucket.
   *
   * @default 50
   */
  readonly maxCategories?: number;

  /**
   * How long the baseline function may run (at most 15 minutes, Lambda's limit). It streams the
   * split twice; the drift core parses about 90 MB per CPU-second (bench/RESULTS.md).
   *
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
}
