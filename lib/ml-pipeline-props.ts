import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IDataLake } from './lake/data-lake';
import { DriftBaseline } from './monitoring/drift-baseline';
import { ModelQualityOptions } from './monitoring/drift-monitor-props';
import { FeatureDriftAlarm, SeverityThresholds } from './monitoring/drift-statistics';
import { IModelRegistry } from './registry/model-registry';
import { DataCaptureOptions } from './serving/data-capture';
import { EndpointDeploymentOptions } from './serving/deployment-strategy';
import { PromotionOptions } from './serving/model-promotion';
import { ProductionVariant } from './serving/production-variant';
import { TrainingStepOptions } from './training/step-options';
import { TrainingPipelineOptions } from './training/training-pipeline-props';

/**
 * Properties of an `MlPipeline`: one model's whole loop. Only `modelName` and `training` are
 * required; every other part has an opinionated default that a prop overrides.
 */
export interface MlPipelineProps {
  /**
   * The model's name: it names the training pipeline (state machine and job prefixes), the
   * model package group, the endpoint, the drift monitor (`<modelName>-monitor`) and the
   * dashboard, and prefixes the model's data in the lake (`<modelName>/` in the raw zone,
   * `<modelName>-endpoint/` in the capture zone). 1 to 24 lowercase letters, digits and
   * hyphens, starting and ending with a letter or digit (SageMaker's name pattern, within the
   * length that job names leave). These names are unique per account and region.
   */
  readonly modelName: string;

  /**
   * The training step: image, instance type and what else `TrainingStepOptions` takes. Unlike a
   * `TrainingPipeline`, an `MlPipeline` trains on managed spot capacity with checkpoints unless
   * `useSpotInstances: false` says otherwise.
   */
  readonly training: TrainingStepOptions;

  /**
   * Everything else of the training pipeline: preprocessing, evaluation, gate, baseline,
   * triggers, schedule, limits, notifications, VPC. Its `removalPolicy` also covers the
   * registry, keys and log groups the MlPipeline creates for the endpoint and the monitor, never
   * the data lake (give a lake of your own for that). Its `vpc` and `vpcSubnets` hold the
   * endpoint's containers and the drift monitor's functions too.
   *
   * @default - `TrainingPipelineOptions`' defaults, except `inputPrefix`: `<modelName>/`
   */
  readonly pipeline?: TrainingPipelineOptions;

  /**
   * The data lake the model's data, artifacts and capture live in; several models may share one.
   *
   * @default - a new `DataLake`
   */
  readonly dataLake?: IDataLake;

  /**
   * The registry the runs register models in, and the endpoint serves from.
   *
   * @default - a new `ModelRegistry` whose model package group is named `modelName`
   */
  readonly registry?: IModelRegistry;

  /**
   * The one topic that failed runs, failed promotions and the drift and model-quality alarms
   * notify. A topic of this app gets the statements that let CloudWatch alarms and EventBridge
   * rules publish (and its key); an imported one must allow them already.
   *
   * @default - the training pipeline's new topic, encrypted with a customer managed key
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * How registered models reach the endpoint, and how a promotion rolls out. The registry,
   * the served-version parameter, the endpoint's model location and the deployment all follow
   * from it, so they cannot disagree.
   *
   * @default - PromotionMode.AUTOMATIC with `RolloutOptions`' defaults
   */
  readonly promotion?: PromotionOptions;

  /**
   * The endpoint's production variants; their models are the promoted version.
   *
   * @default - one GPU variant: ml.g5.xlarge, 1 instance, autoscaled from 1 to 4 instances on invocations per instance
   */
  readonly variants?: ProductionVariant[];

  /**
   * Capture of the endpoint's requests and responses, which the drift monitor reads.
   *
   * @default - every request and response, under `<modelName>-endpoint/` of the lake's capture zone
   */
  readonly dataCapture?: DataCaptureOptions;

  /**
   * How an endpoint update rolls out, and the alarms that roll it back.
   *
   * @default - `ModelEndpoint`'s default: blue/green, all at once, with the default rollback alarms
   */
  readonly endpointDeployment?: EndpointDeploymentOptions;

  /**
   * The baseline the drift monitor compares the captured requests with.
   *
   * @default - the served version's own baseline (`TrainingPipeline.currentBaselineKey`): a run
   * that deploys its model (AUTOMATIC) and every promotion (an approval in MANUAL, a rollback in
   * either) copy the version's baseline there. Needed with `REGISTER_ONLY`, and when the runs
   * compute no baseline.
   */
  readonly driftBaseline?: DriftBaseline;

  /**
   * Per-feature drift alarms.
   *
   * @default - none: the dataset-level alarms (largest feature drift, share of drifted features, prediction drift) only
   */
  readonly driftFeatures?: FeatureDriftAlarm[];

  /**
   * Thresholds of the largest per-feature PSI.
   *
   * @default - `DriftMonitor`'s: { warning: 0.1, critical: 0.25 }
   */
  readonly maxFeatureDrift?: SeverityThresholds;

  /**
   * How much capture each drift check reads (the last window before it runs).
   *
   * @default Duration.hours(1)
   */
  readonly driftWindow?: Duration;

  /**
   * When the drift detector runs, e.g. a cron expression; it must not run less often than the
   * window is long.
   *
   * @default - every `driftWindow` (hourly)
   */
  readonly driftSchedule?: events.Schedule;

  /**
   * Model quality from ground truth labels.
   *
   * @default - no quality monitoring
   */
  readonly quality?: ModelQualityOptions;

  /**
   * Drift (and degraded quality, with `quality`) starts a training run.
   *
   * @default true
   */
  readonly retrainOnDrift?: boolean;

  /**
   * After a retraining start, further alarms start nothing for this long.
   *
   * @default Duration.hours(24)
   */
  readonly retrainCooldown?: Duration;

  /**
   * Training metrics the dashboard shows, e.g. `['validation:auc', 'train:auc']`.
   *
   * @default - the gate's metric when the gate reads the training job, else none
   */
  readonly trainingMetricNames?: string[];
}
