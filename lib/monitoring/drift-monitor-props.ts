import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DriftBaseline } from './drift-baseline';
import { FeatureDriftAlarm, ProblemType, QualityAlarm, SeverityThresholds } from './drift-statistics';
import { InferenceDataLocation } from '../serving/inference-data-location';
import { IModelEndpoint } from '../serving/model-endpoint';

/**
 * Retraining when the model drifts: the composite alarm starts a state machine (usually a
 * `TrainingPipeline`'s) through EventBridge, at most once per cooldown.
 */
export interface RetrainOptions {
  /**
   * The state machine to start, e.g. `pipeline.stateMachine`. Its input is
   * `{ trigger: 'drift', alarm: { name, arn, state, reason, timestamp }, metrics: [...], monitor, endpoint, retrainGate }`,
   * where `metrics` lists up to 50 metric alarms in ALARM whose names start with the monitor's
   * name (`{ name, namespace, metric, dimensions, threshold, reason }`; the reason holds the values).
   */
  readonly stateMachine: sfn.IStateMachine;

  /**
   * After a start, further alarms start nothing for this long, so an alarm storm cannot start a
   * run storm. Between 1 minute and 364 days (the gate waits it out in one execution, which may run at most a year).
   *
   * @default Duration.hours(24)
   */
  readonly cooldown?: Duration;

  /**
   * The model-quality composite alarm also starts retraining (when `quality` is set).
   *
   * @default true
   */
  readonly onQualityAlarm?: boolean;
}

/**
 * Model quality from ground truth: users write labels under a prefix keyed by each request's
 * `inferenceId` (or `eventId`), and a scheduled job joins them with the captured predictions.
 */
export interface ModelQualityOptions {
  /**
   * Where users write labels, as `<prefix>yyyy/mm/dd/hh/<file>.jsonl` (the hour the labels were
   * collected), one `{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"..."},"eventVersion":"0"}` a line.
   */
  readonly groundTruth: InferenceDataLocation;

  /**
   * The alarms, one per metric (classification metrics for classifiers, RMSE and MAE for regression).
   */
  readonly alarms: QualityAlarm[];

  /**
   * The kind of model.
   *
   * @default ProblemType.BINARY_CLASSIFICATION
   */
  readonly problemType?: ProblemType;

  /**
   * Binary classifiers: a predicted probability at least this much is the positive class.
   *
   * @default 0.5
   */
  readonly probabilityThreshold?: number;

  /**
   * How far back captured predictions are searched for the labels of a window.
   *
   * @default Duration.hours(24)
   */
  readonly captureLookback?: Duration;

  /**
   * When the quality job runs.
   *
   * @default - the drift detector's schedule
   */
  readonly schedule?: events.Schedule;
}

/**
 * What a `DriftMonitor` checks and how its alarms judge it, apart from the endpoint, the baseline
 * and the wiring (topic, retraining, names, network) that a composing construct such as
 * `MlPipeline` owns: `MlPipelineProps.drift` takes these.
 */
export interface DriftMonitorOptions {
  /**
   * The production variant whose capture is checked.
   *
   * @default - the endpoint's first variant ('AllTraffic' for imported endpoints)
   */
  readonly variantName?: string;

  /**
   * Length of the window of captured data each run reads. Whole minutes, at least 5.
   *
   * @default Duration.hours(1)
   */
  readonly window?: Duration;

  /**
   * When the detector runs. A rate schedule must not be longer than the window (capture between
   * windows would go unchecked); its rate is the period of the alarms, else the window is.
   *
   * @default - every `window`
   */
  readonly schedule?: events.Schedule;

  /**
   * A window ends this long before the run starts, so that late capture files have landed.
   * The detector also reads the capture folders up to `lag` after the window's end and before
   * its start, and keeps records by their own inferenceTime. Whole minutes.
   *
   * @default Duration.minutes(10)
   */
  readonly lag?: Duration;

  /**
   * A window with fewer rows reports "too few rows" and no statistics (alarms then keep their state).
   *
   * @default 100
   */
  readonly minRows?: number;

  /**
   * Per-feature alarms (a warning and a critical alarm per entry). Features without an entry
   * are still covered by the dataset-level alarms.
   *
   * @default - no per-feature alarms
   */
  readonly features?: FeatureDriftAlarm[];

  /**
   * Thresholds of the alarms on the largest PSI over all features (metric `MaxPSI`), which cover
   * every feature of the baseline whether listed in `features` or not.
   *
   * @default { warning: 0.1, critical: 0.25 }
   */
  readonly maxFeatureDrift?: SeverityThresholds;

  /**
   * The dataset has drifted when at least this share of its features drifted (PSI at least the
   * critical `maxFeatureDrift` threshold). Between 0 and 1.
   *
   * @default 0.5
   */
  readonly datasetDriftShare?: number;

  /**
   * Thresholds of the alarms on the PSI of the model's predictions (metric `PredictionPSI`,
   * published when the baseline holds a prediction distribution).
   *
   * @default { warning: 0.1, critical: 0.25 }
   */
  readonly predictionDrift?: SeverityThresholds;

  /**
   * Number of runs each alarm looks at.
   *
   * @default 3
   */
  readonly evaluationPeriods?: number;

  /**
   * Number of those runs that must breach for an alarm to go off, so one noisy window does not.
   *
   * @default 2
   */
  readonly datapointsToAlarm?: number;

  /**
   * What alarms do when a run publishes no value (no traffic, or too few rows).
   *
   * @default TreatMissingData.IGNORE - a window without enough rows says nothing about drift, so alarms keep their state
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;

  /**
   * Warning alarms notify the topic too.
   *
   * @default false - only the composite alarms notify
   */
  readonly notifyOnWarning?: boolean;

  /**
   * Model quality from ground truth, with its own alarms and composite alarm.
   *
   * @default - no quality monitoring
   */
  readonly quality?: ModelQualityOptions;

  /**
   * Where the detector writes its work files (fan-out item lists, partial counts) and reports.
   * Safe to expire after a few days with a lifecycle rule.
   *
   * @default - 'drift-work/<monitorName>/' in the capture bucket
   */
  readonly workLocation?: InferenceDataLocation;

  /**
   * Write each run's report (statistics, malformed-line samples) under `<workLocation>reports/`.
   *
   * @default true
   */
  readonly writeReports?: boolean;

  /**
   * Capture batches processed at once when a large window fans out.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;
}

/**
 * Properties of a `DriftMonitor`.
 */
export interface DriftMonitorProps extends DriftMonitorOptions {
  /** The endpoint whose captured requests are checked. */
  readonly endpoint: IModelEndpoint;

  /** The baseline the captured data is compared with. */
  readonly baseline: DriftBaseline;

  /**
   * Where the endpoint writes captured data (its `DestinationS3Uri`).
   *
   * @default - the endpoint's `dataCaptureLocation` (required for imported endpoints)
   */
  readonly captureLocation?: InferenceDataLocation;

  /**
   * Name of the monitor: prefix of its alarms' and state machines' names. Letters, digits,
   * '-' and '_', at most 40 characters. Choose one that no other alarm name of the account and
   * region starts with (e.g. not the endpoint's name, which prefixes its rollback alarms): the
   * alarms with this prefix may notify the monitor's topic and describe why retraining started.
   *
   * @default - derived from the construct path
   */
  readonly monitorName?: string;

  /**
   * The topic the composite alarms notify (on ALARM and on OK). CloudWatch must be allowed to
   * publish to it and to use its KMS key: the monitor adds both statements where it can.
   *
   * @default - a new topic, encrypted with the monitor's key
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * Start retraining when the model drifts.
   *
   * @default - alarms notify only
   */
  readonly retrain?: RetrainOptions;

  /**
   * Retention of the detector's and state machines' logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Run the detector's functions in this VPC (it needs S3 access, e.g. a gateway endpoint).
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc`.
   *
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}
