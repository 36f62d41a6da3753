import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DriftMonitorProps } from './drift-monitor-props';
import { DriftStatistic, FeatureDriftAlarm, QualityAlarm, QualityMetric, SeverityThresholds } from './drift-statistics';
import { alarmTopic } from './private/alarm-topic';
import { Detector } from './private/detector';
import { DATASET_METRICS, DRIFT_NAMESPACE, MALFORMED_KINDS, DRIFT_STATISTIC_RULES, PSI_DEFAULTS, QUALITY_LOWER_IS_WORSE, QUALITY_NAMESPACE } from './private/metric-names';
import { AlarmSettings, anyOfAlarm, metricAlarm, severityAlarms } from './private/monitor-alarms';
import { rateOf, validateMonitorProps } from './private/monitor-validation';
import { RetrainGate } from './private/retrain-gate';
import { throwUnscoped } from '../core/private/errors';
import { allowLogsToUseKey } from '../core/private/log-key';
import { InferenceDataLocation } from '../serving/inference-data-location';
import { ModelEndpoint } from '../serving/model-endpoint';

/** Names of the composite alarms, after the monitor's name. */
const DRIFT_ALARM = 'model-drifted';
const QUALITY_ALARM = 'model-quality';

/**
 * Watches a deployed model: a scheduled detector compares the endpoint's captured requests
 * with the training baseline and publishes per-feature drift metrics; alarms keyed by severity
 * feed a composite "model drifted" alarm (and one for model quality when ground truth arrives)
 * that notifies a topic and can start retraining, at most once per cooldown.
 */
export class DriftMonitor extends Construct {
  /** The monitor's name, the prefix of its alarms' and state machines' names. */
  public readonly monitorName: string;
  /** The endpoint watched. */
  public readonly endpointName: string;
  /** The variant watched. */
  public readonly variantName: string;
  /** The detector's state machine (drift, and the ground-truth job when configured). */
  public readonly stateMachine: sfn.StateMachine;
  /** The composite alarm "model drifted": any critical drift alarm. */
  public readonly driftAlarm: cloudwatch.CompositeAlarm;
  /** The composite alarm "model quality degraded": any critical quality alarm, when quality is monitored. */
  public readonly qualityAlarm?: cloudwatch.CompositeAlarm;
  /** Every metric alarm of the monitor (warning and critical, and the failed-run alarm). */
  public readonly alarms: cloudwatch.IAlarm[];
  /** Goes off when a detector run fails (and notifies the topic): failed runs publish no drift metrics. */
  public readonly detectorFailedAlarm: cloudwatch.IAlarm;
  /** The topic the composite alarms notify. */
  public readonly notificationTopic: sns.ITopic;
  /** The key that encrypts the monitor's logs, topic and cooldown table. */
  public readonly encryptionKey: kms.IKey;
  /** The state machine that starts retraining with a cooldown, when retraining is on. */
  public readonly retrainStateMachine?: sfn.IStateMachine;
  /** The per-feature alarms, with their statistics and thresholds resolved. */
  public readonly features: FeatureDriftAlarm[];
  /** Thresholds of the `MaxPSI` alarms. */
  public readonly maxFeatureDrift: SeverityThresholds;
  /** Thresholds of the `PredictionPSI` alarms. */
  public readonly predictionDrift: SeverityThresholds;
  /** The share of drifted features at which the dataset has drifted. */
  public readonly datasetDriftShare: number;
  /** The quality alarms' metrics and thresholds (empty without quality monitoring). */
  public readonly qualityMetrics: QualityAlarm[];
  /** The period of the alarms: the schedule's rate, or the window for cron schedules. */
  public readonly period: Duration;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const endpoint = props.endpoint;
    const owned = endpoint instanceof ModelEndpoint ? endpoint : undefined;
    this.monitorName = props.monitorName ?? Names.uniqueResourceName(this, { maxLength: 40, separator: '-' });
    this.endpointName = endpoint.endpointName;
    this.variantName = props.variantName ?? owned?.variantNames[0] ?? 'AllTraffic';
    const capture = props.captureLocation ?? owned?.dataCaptureLocation;
    const window = props.window ?? Duration.hours(1);
    // Rounded down so that a window of seconds reaches validation, which names it.
    const schedule = props.schedule ?? events.Schedule.rate(Duration.minutes(Math.max(1, Math.floor(window.toMinutes({ integral: false })))));
    this.period = rateOf(schedule) ?? window;
    this.maxFeatureDrift = { warning: props.maxFeatureDrift?.warning ?? PSI_DEFAULTS.warning, critical: props.maxFeatureDrift?.critical ?? PSI_DEFAULTS.critical };
    this.predictionDrift = { warning: props.predictionDrift?.warning ?? PSI_DEFAULTS.warning, critical: props.predictionDrift?.critical ?? PSI_DEFAULTS.critical };
    this.datasetDriftShare = props.datasetDriftShare ?? 0.5;
    this.features = (props.features ?? []).map((f) => {
      const statistic = f.statistic ?? DriftStatistic.PSI;
      const rule = DRIFT_STATISTIC_RULES[statistic];
      return { featureName: f.featureName, statistic, thresholds: { warning: f.thresholds?.warning ?? rule.warning, critical: f.thresholds?.critical ?? rule.critical } };
    });
    this.qualityMetrics = props.quality?.alarms ?? [];
    const evaluationPeriods = props.evaluationPeriods ?? 3;
    const datapointsToAlarm = props.datapointsToAlarm ?? Math.min(2, evaluationPeriods);
    const lag = props.lag ?? Duration.minutes(10);
    const minRows = props.minRows ?? 100;
    const maxConcurrency = props.maxConcurrency ?? 10;
    validateMonitorProps(this, props, {
      monitorName: this.monitorName,
      window,
      lag,
      schedule,
      period: this.period,
      evaluationPeriods,
      datapointsToAlarm,
      minRows,
      maxConcurrency,
      datasetDriftShare: this.datasetDriftShare,
      hasCaptureLocation: capture !== undefined,
      thresholds: [
        { prop: 'maxFeatureDrift', thresholds: this.maxFeatureDrift, lowerIsWorse: false },
        { prop: 'predictionDrift', thresholds: this.predictionDrift, lowerIsWorse: false },
        ...this.features.map((f, i) => ({ prop: `features[${i}].thresholds`, thresholds: f.thresholds!, lowerIsWorse: DRIFT_STATISTIC_RULES[f.statistic!].lowerIsWorse })),
      ],
      driftCompositeChildren: this.features.length + 3,
    });

    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the logs, notifications and cooldown table of drift monitor ${this.monitorName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowLogsToUseKey(key);
    this.encryptionKey = key;
    this.notificationTopic = alarmTopic(this, 'Topic', key, `${this.monitorName}-`, props.notificationTopic);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    const detector = new Detector(this, 'Detector', {
      monitorName: this.monitorName,
      endpointName: this.endpointName,
      variantName: this.variantName,
      capture: capture!,
      baseline: props.baseline,
      work: props.workLocation ?? InferenceDataLocation.fromBucket(capture!.bucket, `drift-work/${this.monitorName}/`, capture!.encryptionKey),
      writeReports: props.writeReports ?? true,
      window,
      lag,
      schedule,
      minRows,
      featureDriftPsi: this.maxFeatureDrift.critical!,
      datasetDriftShare: this.datasetDriftShare,
      maxConcurrency,
      quality: props.quality,
      encryptionKey: key,
      logRetention,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
    });
    this.stateMachine = detector.stateMachine;

    const settings: AlarmSettings = {
      prefix: this.monitorName,
      period: this.period,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.IGNORE,
      topic: this.notificationTopic,
      notifyOnWarning: props.notifyOnWarning ?? false,
    };
    const alarms = new Construct(this, 'Alarms');
    const featureSets = this.features.map((f) => severityAlarms(alarms, `Feature-${f.featureName.replace(/\//g, '_')}-${f.statistic}`, settings,
      `feature-${f.featureName}-${f.statistic}`, this.metricFeatureDrift(f.featureName, f.statistic), f.thresholds!,
      DRIFT_STATISTIC_RULES[f.statistic!].lowerIsWorse, `${f.statistic} of feature '${f.featureName}' against the baseline`));
    const maxPsi = severityAlarms(alarms, 'MaxPsi', settings, 'max-psi', this.metricMaxFeatureDrift(), this.maxFeatureDrift, false,
      'Largest PSI over all features against the baseline');
    const prediction = severityAlarms(alarms, 'PredictionPsi', settings, 'prediction-psi', this.metricPredictionDrift(), this.predictionDrift, false,
      'PSI of the model\'s predictions against their distribution on the validation split');
    const share = metricAlarm(alarms, 'DatasetDrift', settings, 'dataset-drift', this.metricDriftedFeatureShare(), this.datasetDriftShare, false,
      `At least ${this.datasetDriftShare * 100}% of the features drifted`, false);
    this.driftAlarm = anyOfAlarm(this, 'DriftAlarm', settings, DRIFT_ALARM,
      [...featureSets.flatMap((s) => s.critical), ...maxPsi.critical, share, ...prediction.critical],
      `Model behind endpoint ${this.endpointName} (${this.variantName}) drifted from its training data`);
    // A run that fails publishes nothing, which the drift alarms ignore: say so instead.
    this.detectorFailedAlarm = metricAlarm(alarms, 'DetectorFailed', { ...settings, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING },
      'detector-failed', this.stateMachine.metricFailed({ period: this.period, statistic: 'Sum' }), 1, false,
      `A drift or model-quality run of monitor ${this.monitorName} failed; see the executions of state machine ${this.monitorName}-drift`, true);
    const all: cloudwatch.IAlarm[] = [...featureSets.flatMap((s) => s.all), ...maxPsi.all, share, ...prediction.all, this.detectorFailedAlarm];

    if (props.quality) {
      const qualityPeriod = (props.quality.schedule && rateOf(props.quality.schedule)) ?? this.period;
      const qualitySettings = { ...settings, period: qualityPeriod };
      const sets = this.qualityMetrics.map((q) => severityAlarms(alarms, `Quality-${q.metric}`, qualitySettings, `quality-${q.metric}`,
        this.metricQuality(q.metric, { period: qualityPeriod }), q.thresholds, QUALITY_LOWER_IS_WORSE[q.metric], `${q.metric} of the model against ground truth`));
      this.qualityAlarm = anyOfAlarm(this, 'QualityAlarm', settings, QUALITY_ALARM, sets.flatMap((s) => s.critical),
        `Model behind endpoint ${this.endpointName} (${this.variantName}) lost quality against ground truth`);
      all.push(...sets.flatMap((s) => s.all));
    }
    this.alarms = all;

    if (props.retrain) {
      const triggers = [`${this.monitorName}-${DRIFT_ALARM}`];
      if (this.qualityAlarm && (props.retrain.onQualityAlarm ?? true)) triggers.push(`${this.monitorName}-${QUALITY_ALARM}`);
      this.retrainStateMachine = new RetrainGate(this, 'Retrain', {
        monitorName: this.monitorName,
        endpointName: this.endpointName,
        alarmNames: triggers,
        stateMachine: props.retrain.stateMachine,
        cooldown: props.retrain.cooldown ?? Duration.hours(24),
        encryptionKey: key,
        notificationTopic: this.notificationTopic,
        logRetention,
      }).stateMachine;
    }
  }

  /**
   * A per-feature drift statistic (Maximum over the period; Minimum for p-values).
   *
   * @param driftStatistic the statistic (default DriftStatistic.PSI)
   */
  public metricFeatureDrift(featureName: string, driftStatistic: DriftStatistic = DriftStatistic.PSI, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.driftMetric(driftStatistic, DRIFT_STATISTIC_RULES[driftStatistic].lowerIsWorse ? 'Minimum' : 'Maximum', props, { Feature: featureName });
  }

  /** The largest PSI over all features of a run (Maximum). */
  public metricMaxFeatureDrift(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.driftMetric(DATASET_METRICS.maxPsi, 'Maximum', props);
  }

  /** The share of features that drifted, 0 to 1 (Maximum). */
  public metricDriftedFeatureShare(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.driftMetric(DATASET_METRICS.driftedShare, 'Maximum', props);
  }

  /** The PSI of the model's predictions (Maximum). */
  public metricPredictionDrift(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.driftMetric(DATASET_METRICS.predictionPsi, 'Maximum', props);
  }

  /** Rows of captured data checked (Sum). */
  public metricRows(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.driftMetric(DATASET_METRICS.rows, 'Sum', props);
  }

  /** Capture records read (Sum). */
  public metricRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.driftMetric(DATASET_METRICS.records, 'Sum', props);
  }

  /**
   * Malformed capture lines (Sum), of every kind or of one.
   *
   * @param kind one of truncatedJson, missingFields, undecodablePayload, emptyPayload, columnCount, nonNumeric, unknownCategory, badPrediction (default: all kinds)
   */
  public metricMalformedLines(kind?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (kind !== undefined && !MALFORMED_KINDS.includes(kind)) {
      throwUnscoped('MalformedKindUnknown', `'kind' ('${kind}') is not a malformed-line kind the detector counts; use one of ${MALFORMED_KINDS.join(', ')}`);
    }
    return this.driftMetric(DATASET_METRICS.malformedLines, 'Sum', props, kind ? { Kind: kind } : {});
  }

  /** Runs whose window had too few rows or none, so no statistics (Sum of 0/1). */
  public metricTooFewRows(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.driftMetric(DATASET_METRICS.tooFewRows, 'Sum', props);
  }

  /** A model-quality metric from ground truth (Minimum for classification metrics, Maximum for errors). */
  public metricQuality(metric: QualityMetric, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      period: this.period,
      statistic: QUALITY_LOWER_IS_WORSE[metric] ? 'Minimum' : 'Maximum',
      ...props,
      namespace: QUALITY_NAMESPACE,
      metricName: metric,
      dimensionsMap: { Endpoint: this.endpointName, Variant: this.variantName, ...props?.dimensionsMap },
    });
  }

  private driftMetric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions, dimensions: Record<string, string> = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      period: this.period,
      statistic,
      ...props,
      namespace: DRIFT_NAMESPACE,
      metricName,
      dimensionsMap: { Endpoint: this.endpointName, Variant: this.variantName, ...dimensions, ...props?.dimensionsMap },
    });
  }
}
