import { Duration } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { MlInstanceType } from './core/instance-type';
import { IDataLake } from './lake/data-lake';
import { DriftBaseline } from './monitoring/drift-baseline';
import { DriftMonitorOptions } from './monitoring/drift-monitor-props';
import { IModelRegistry } from './registry/model-registry';
import { DataCaptureOptions } from './serving/data-capture';
import { ModelEndpointOptions } from './serving/model-endpoint-props';
import { PromotionOptions } from './serving/model-promotion';
import { ProductionVariant } from './serving/production-variant';
import { TrainingStepBaseOptions } from './training/step-options';
import { TrainingPipelineOptions } from './training/training-pipeline-props';

/**
 * The training step of an `MlPipeline`: a `TrainingPipeline`'s, with a GPU on spot capacity by default.
 */
export interface MlPipelineTrainingOptions extends TrainingStepBaseOptions {
  /**
   * The instance type.
   *
   * @default MlInstanceType.ML_G5_XLARGE, or MlInstanceType.ML_M5_XLARGE for an image that runs
   * on CPU only (`SageMakerImage.sklearn()`), whose GPUs would be paid for and idle
   */
  readonly instanceType?: MlInstanceType;

  /**
   * Train on managed spot capacity, with checkpoints in the artifacts zone so an interrupted job
   * resumes; `maxWaitTime` bounds the wait for capacity.
   *
   * @default true
   */
  readonly useSpotInstances?: boolean;
}

/**
 * The endpoint of an `MlPipeline`: what a `ModelEndpoint` takes, except what the MlPipeline
 * wires itself (the model, which is the promoted version, the name, which is `modelName`, and
 * the network, which is `pipeline.vpc`).
 */
export interface MlPipelineEndpointOptions extends ModelEndpointOptions {
  /**
   * The production variants; their models are the promoted version.
   *
   * @default - one variant of 1 ml.g5.xlarge instance (ml.m5.xlarge for a serving image that runs on
   * CPU only), autoscaled from 1 to 4 instances on invocations per instance
   */
  readonly variants?: ProductionVariant[];

  /**
   * Capture of the endpoint's requests and responses, which the drift monitor reads.
   *
   * @default - every request and response, under `<modelName>-endpoint/` of the lake's capture zone
   */
  readonly dataCapture?: DataCaptureOptions;
}

/**
 * The drift monitor of an `MlPipeline`: what a `DriftMonitor` takes, except what the MlPipeline
 * wires itself (the endpoint and its capture, the name `<modelName>-monitor`, the notification
 * topic, the log retention and the network of `pipeline`), with retraining as a switch.
 */
export interface MlPipelineDriftOptions extends DriftMonitorOptions {
  /**
   * The baseline the drift monitor compares the captured requests with.
   *
   * @default - the served version's own baseline (`TrainingPipeline.currentBaselineKey`): a run
   * that deploys its model (AUTOMATIC) and every promotion (an approval in MANUAL, a rollback in
   * either) copy the version's baseline there. Needed with `REGISTER_ONLY`, and when the runs
   * compute no baseline.
   */
  readonly baseline?: DriftBaseline;

  /**
   * Drift (and degraded quality, with `quality`) starts a training run.
   *
   * @default true
   */
  readonly retrain?: boolean;

  /**
   * After a retraining start, further alarms start nothing for this long. Between 1 minute and 364 days.
   *
   * @default Duration.hours(24)
   */
  readonly retrainCooldown?: Duration;

  /**
   * The model-quality composite alarm starts retraining too (with `quality`).
   *
   * @default true
   */
  readonly retrainOnQualityAlarm?: boolean;
}

/**
 * Properties of an `MlPipeline`: one model's whole loop. Only `modelName` and `training` are
 * required; every other part has an opinionated default that a prop overrides.
 */
export interface MlPipelineProps {
  /**
   * The model's name: it names the training pipeline (state machine and job prefixes), the
   * model package group, the endpoint, the drift monitor (`<modelName>-monitor`) and the
   * dashboard (`<modelName>-<region>`), and prefixes the model's data in the lake (`<modelName>/` in the raw zone,
   * `<modelName>-endpoint/` in the capture zone). 1 to 24 lowercase letters, digits and
   * hyphens, starting and ending with a letter or digit (SageMaker's name pattern, within the
   * length that job names leave). These names are unique per account and region; the
   * dashboard's is unique per account, so it carries the region (see `dashboardName`).
   */
  readonly modelName: string;

  /**
   * Name of the model's CloudWatch dashboard. Dashboards are global to the account, unlike the
   * other names of the model: a name of your own needs the region in it if the model deploys to
   * more than one region of the account (else the second region's stack fails on the name and
   * CloudFormation rolls it back), e.g. `` `churn-${Stack.of(this).region}` ``. Up to 255
   * letters, digits, hyphens and underscores.
   *
   * @default - `<modelName>-<region>`, e.g. `churn-us-east-1`
   */
  readonly dashboardName?: string;

  /**
   * The training step: the image, and what else a `TrainingPipeline`'s training step takes.
   * Unlike a `TrainingPipeline`, an `MlPipeline` trains on a GPU (ml.g5.xlarge) on managed spot
   * capacity with checkpoints unless `instanceType` and `useSpotInstances` say otherwise.
   */
  readonly training: MlPipelineTrainingOptions;

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
   * @default - a new `DataLake`; for a model of a `ModelFleet` (`FleetModelProps`, which inherits
   * this doc), the fleet's lake
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
   * @default - the training pipeline's new topic, encrypted with a customer managed key; for a
   * model of a `ModelFleet` (`FleetModelProps`, which inherits this doc), the fleet's topic
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
   * The endpoint: variants, capture, rollout, role, key, asynchronous inference, security groups
   * (in `pipeline.vpc`) and network isolation.
   *
   * @default - one ml.g5.xlarge variant (ml.m5.xlarge for a CPU-only serving image) autoscaled from 1 to 4 instances, capturing every request
   * and response into the lake, rolled out blue/green with `ModelEndpoint`'s rollback alarms
   */
  readonly endpoint?: MlPipelineEndpointOptions;

  /**
   * The drift (and model-quality) monitor: baseline, features, thresholds, window, schedule,
   * alarm evaluation, quality, retraining.
   *
   * @default - hourly checks of the served version's baseline with `DriftMonitor`'s thresholds,
   * retraining on drift at most once a day
   */
  readonly drift?: MlPipelineDriftOptions;

  /**
   * Training metrics the dashboard shows, e.g. `['validation:auc', 'train:auc']`.
   *
   * @default - the gate's metric when the gate reads the training job, else none
   */
  readonly trainingMetricNames?: string[];
}
