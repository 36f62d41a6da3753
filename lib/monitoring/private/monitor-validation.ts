import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { IConstruct } from 'constructs';
import { QUALITY_LOWER_IS_WORSE, REGRESSION_METRICS } from './metric-names';
import { checkUnique, PropsValidator } from '../../core/private/errors';
import { checkRetrainCooldown } from '../../core/private/retrain-cooldown';
import { DriftMonitorProps } from '../drift-monitor-props';
import { DriftStatistic, ProblemType, SeverityThresholds } from '../drift-statistics';

/** At most this many alarms in one composite alarm's rule (CloudWatch PutCompositeAlarm). */
export const MAX_COMPOSITE_CHILDREN = 100;
/** At most this many characters in an alarm's name (PutMetricAlarm) and in a composite alarm's rule (PutCompositeAlarm). */
export const MAX_ALARM_NAME_LENGTH = 255;
export const MAX_ALARM_RULE_LENGTH = 10240;
/**
 * Lengths taken for an environment-agnostic stack's ARNs: partition 'aws', the longest region
 * names ('ap-southeast-2'), an account id. (GovCloud's 'aws-us-gov' adds 7 characters an alarm.)
 */
const UNRESOLVED_LENGTH = { partition: 3, region: 14, account: 12 };
/** An alarm's evaluation range: 7 days, or 1 day for periods under an hour (CloudWatch PutMetricAlarm). */
const MAX_EVALUATION_RANGE = Duration.days(7);
const MAX_SHORT_PERIOD_RANGE = Duration.days(1);

/** The interval of a rate schedule ('rate(1 hour)'), or undefined for cron and unresolved schedules. */
export function rateOf(schedule: events.Schedule): Duration | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule.expressionString);
  if (!match) return undefined;
  const n = Number(match[1]);
  return match[2].startsWith('minute') ? Duration.minutes(n) : match[2].startsWith('hour') ? Duration.hours(n) : Duration.days(n);
}

/** Values a resolved monitor works with, checked together. */
export interface ResolvedMonitorSettings {
  readonly monitorName: string;
  readonly window: Duration;
  readonly lag: Duration;
  readonly schedule: events.Schedule;
  readonly period: Duration;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly minRows: number;
  readonly maxConcurrency: number;
  readonly datasetDriftShare: number;
  readonly hasCaptureLocation: boolean;
  /** Named threshold sets with the direction of their statistic. */
  readonly thresholds: Array<{ prop: string; thresholds: SeverityThresholds; lowerIsWorse: boolean }>;
  readonly driftCompositeChildren: number;
}

export function validateMonitorProps(scope: IConstruct, props: DriftMonitorProps, s: ResolvedMonitorSettings): void {
  const v = new PropsValidator(scope, 'DriftMonitorInvalid');
  v.checkResolved([s.monitorName], () => !/^[A-Za-z0-9_-]{1,40}$/.test(s.monitorName),
    `'monitorName' ('${s.monitorName}') must be 1 to 40 letters, digits, '-' or '_': it prefixes alarm and state machine names`);
  v.check(!s.hasCaptureLocation,
    "The endpoint has no data capture location: give 'captureLocation' (imported endpoints), or enable 'dataCapture' on the ModelEndpoint");
  checkWholeMinutes(v, 'window', s.window, Duration.minutes(5), MAX_EVALUATION_RANGE,
    'shorter windows hold too few rows to compare distributions');
  checkWholeMinutes(v, 'lag', s.lag, Duration.minutes(0), Duration.days(1), 'capture files land within minutes');
  const rate = rateOf(s.schedule);
  if (rate) {
    v.check(rate.toSeconds() < Duration.minutes(5).toSeconds(),
      `'schedule' (${s.schedule.expressionString}) must run at most every 5 minutes, the shortest window`);
    v.check(rate.toSeconds() > s.window.toSeconds(),
      `'schedule' (${s.schedule.expressionString}) runs less often than the window (${s.window.toHumanString()}) is long, so capture between windows would never be checked; make 'window' at least as long as the rate`);
  }
  v.check(!Number.isInteger(s.evaluationPeriods) || s.evaluationPeriods < 1,
    `'evaluationPeriods' (${s.evaluationPeriods}) must be a whole number of at least 1`);
  v.check(!Number.isInteger(s.datapointsToAlarm) || s.datapointsToAlarm < 1 || s.datapointsToAlarm > s.evaluationPeriods,
    `'datapointsToAlarm' (${s.datapointsToAlarm}) must be a whole number between 1 and 'evaluationPeriods' (${s.evaluationPeriods})`);
  const range = s.period.toSeconds() * s.evaluationPeriods;
  const maxRange = s.period.toSeconds() < 3600 ? MAX_SHORT_PERIOD_RANGE : MAX_EVALUATION_RANGE;
  v.check(range > maxRange.toSeconds(),
    `The alarms would look at ${s.evaluationPeriods} periods of ${s.period.toHumanString()}, longer than CloudWatch's ${maxRange.toHumanString()} for that period; lower 'evaluationPeriods'`);
  v.check(!Number.isInteger(s.minRows) || s.minRows < 1, `'minRows' (${s.minRows}) must be a whole number of at least 1`);
  v.check(!Number.isInteger(s.maxConcurrency) || s.maxConcurrency < 1 || s.maxConcurrency > 10000,
    `'maxConcurrency' (${s.maxConcurrency}) must be a whole number between 1 and 10000`);
  v.check(!(s.datasetDriftShare > 0 && s.datasetDriftShare <= 1), `'datasetDriftShare' (${s.datasetDriftShare}) must be above 0 and at most 1`);
  for (const t of s.thresholds) checkThresholds(v, t.prop, t.thresholds, t.lowerIsWorse);

  const features = props.features ?? [];
  features.forEach((f, i) => v.checkResolved([f.featureName], () => !/^[\x20-\x21\x23-\x7e]{1,200}$/.test(f.featureName) || f.featureName.trim() === '',
    `'features[${i}].featureName' ('${f.featureName}') must be 1 to 200 printable ASCII characters, not only spaces, without '"'`));
  checkUnique(v, 'features', features.map((f) => `${f.featureName} (${f.statistic ?? 'PSI'})`));
  v.check(s.driftCompositeChildren > MAX_COMPOSITE_CHILDREN,
    `The drift composite alarm would combine ${s.driftCompositeChildren} critical alarms; CloudWatch allows ${MAX_COMPOSITE_CHILDREN}: give fewer 'features' critical thresholds (the MaxPSI alarm covers every feature)`);
  checkAlarmNames(scope, v, s, features.map((f) => ({ featureName: f.featureName, statistic: f.statistic ?? DriftStatistic.PSI })));

  if (props.retrain?.cooldown) checkRetrainCooldown(v, 'retrain.cooldown', props.retrain.cooldown);

  const quality = props.quality;
  if (quality) {
    const problem = quality.problemType ?? ProblemType.BINARY_CLASSIFICATION;
    const regression = problem === ProblemType.REGRESSION;
    v.check(quality.alarms.length === 0, "'quality.alarms' is empty: give at least one, e.g. { metric: QualityMetric.AUC, thresholds: { critical: 0.75 } }");
    quality.alarms.forEach((a, i) => {
      v.check(REGRESSION_METRICS.includes(a.metric) !== regression,
        `'quality.alarms[${i}].metric' (${a.metric}) is not published for ${problem} models; use ${regression ? 'RMSE or MAE' : 'AUC, Accuracy, Precision, Recall or F1'}`);
      v.check(a.thresholds.warning === undefined && a.thresholds.critical === undefined,
        `'quality.alarms[${i}].thresholds' is empty: give 'warning', 'critical' or both`);
      checkThresholds(v, `quality.alarms[${i}].thresholds`, a.thresholds, QUALITY_LOWER_IS_WORSE[a.metric]);
    });
    checkUnique(v, 'quality.alarms', quality.alarms.map((a) => a.metric));
    v.check(quality.alarms.length > 0 && quality.alarms.every((a) => a.thresholds.critical === undefined),
      "'quality.alarms' has no 'critical' threshold: the model-quality composite alarm combines the critical alarms, so give at least one");
    const p = quality.probabilityThreshold;
    v.check(p !== undefined && !(p > 0 && p < 1), `'quality.probabilityThreshold' (${p}) must be between 0 and 1`);
    v.check(p !== undefined && problem !== ProblemType.BINARY_CLASSIFICATION,
      `'quality.probabilityThreshold' only applies to ${ProblemType.BINARY_CLASSIFICATION} models, not ${problem}`);
    const lookback = quality.captureLookback;
    v.check(lookback !== undefined && (!Number.isInteger(lookback.toHours({ integral: false })) || lookback.toHours({ integral: false }) < 1),
      `'quality.captureLookback' (${lookback?.toHumanString()}) must be whole hours, at least 1`);
    if (quality.schedule) {
      const qRate = rateOf(quality.schedule);
      v.check(qRate !== undefined && qRate.toSeconds() > s.window.toSeconds(),
        `'quality.schedule' (${quality.schedule.expressionString}) runs less often than the window (${s.window.toHumanString()}) is long; labels between windows would never be checked`);
    }
  }
  v.throwIfInvalid();
}

/**
 * The critical alarms' names fit CloudWatch's 255 characters, and the drift composite alarm's rule
 * (CDK writes `(ALARM("<alarm ARN>") OR ...)`) its 10240, both checked at deploy time otherwise.
 */
function checkAlarmNames(scope: IConstruct, v: PropsValidator, s: ResolvedMonitorSettings, features: Array<{ featureName: string; statistic: string }>): void {
  if (Token.isUnresolved(s.monitorName) || features.some((f) => Token.isUnresolved(f.featureName))) return;
  const featureAlarms = features.map((f) => `${s.monitorName}-feature-${f.featureName}-${f.statistic}-critical`);
  featureAlarms.forEach((name, i) => v.check(name.length > MAX_ALARM_NAME_LENGTH,
    `'features[${i}]' would name its alarm '${name}' (${name.length} characters); CloudWatch allows ${MAX_ALARM_NAME_LENGTH}: give a 'monitorName' shorter by ${name.length - MAX_ALARM_NAME_LENGTH} characters`));
  const critical = [...featureAlarms, ...['max-psi-critical', 'dataset-drift', 'prediction-psi-critical'].map((n) => `${s.monitorName}-${n}`)];
  if (critical.length > MAX_COMPOSITE_CHILDREN) return;
  const stack = Stack.of(scope);
  const known = (value: string, unresolved: number) => (Token.isUnresolved(value) ? unresolved : value.length);
  const arnPrefix = 'arn::cloudwatch:::alarm:'.length + known(stack.partition, UNRESOLVED_LENGTH.partition)
    + known(stack.region, UNRESOLVED_LENGTH.region) + known(stack.account, UNRESOLVED_LENGTH.account);
  const rule = '()'.length + critical.reduce((n, name) => n + 'ALARM("")'.length + arnPrefix + name.length, 0) + ' OR '.length * (critical.length - 1);
  v.check(rule > MAX_ALARM_RULE_LENGTH,
    `The drift composite alarm's rule would be ${rule} characters (ALARM("<ARN>") for each of its ${critical.length} critical alarms${Token.isUnresolved(stack.region) ? ', taking the longest region name for this environment-agnostic stack' : ''}); `
    + `CloudWatch allows ${MAX_ALARM_RULE_LENGTH}: give fewer 'features' (the MaxPSI alarm covers every feature), or a shorter 'monitorName'`);
}

function checkWholeMinutes(v: PropsValidator, prop: string, d: Duration, min: Duration, max: Duration, why: string): void {
  if (Token.isUnresolved(d)) return;
  const minutes = d.toMinutes({ integral: false });
  v.check(!Number.isInteger(minutes) || d.toSeconds() < min.toSeconds() || d.toSeconds() > max.toSeconds(),
    `'${prop}' (${d.toHumanString()}) must be whole minutes between ${min.toHumanString()} and ${max.toHumanString()}${min.toSeconds() > 0 ? ` (${why})` : ''}`);
}

/** Warning before critical in the direction things get worse, both at least 0. */
function checkThresholds(v: PropsValidator, prop: string, t: SeverityThresholds, lowerIsWorse: boolean): void {
  for (const severity of ['warning', 'critical'] as const) {
    const value = t[severity];
    v.check(value !== undefined && !(Number.isFinite(value) && value >= 0), `'${prop}.${severity}' (${value}) must be a number of at least 0`);
  }
  if (t.warning === undefined || t.critical === undefined) return;
  v.check(lowerIsWorse ? t.warning <= t.critical : t.warning >= t.critical,
    `'${prop}' (warning ${t.warning}, critical ${t.critical}): lower values are ${lowerIsWorse ? 'worse' : 'better'} here, so the warning threshold must be ${lowerIsWorse ? 'above' : 'below'} the critical one`);
}
