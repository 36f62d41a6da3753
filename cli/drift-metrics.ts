/**
 * `mlops drift <endpoint>`: the latest drift and quality metrics the detector published
 * (lambda/drift/CONTRACT.md, "Metrics") beside the thresholds of the monitor's alarms.
 */
import { DescribeAlarmsCommand, DescribeAlarmsForMetricCommand, Dimension, GetMetricDataCommand, ListMetricsCommand, Metric, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { Clients, UserError } from './aws';
import { duration, paint, table, time } from './format';
// The handlers' own names, so the CLI reads what they publish (bundled into the CLI like drift-local's imports).
import { DRIFT_NAMESPACE, QUALITY_NAMESPACE } from '../lambda/drift-core/emf';

/** GetMetricData takes at most 500 queries a call. */
const QUERIES_PER_CALL = 500;

export interface MetricRow {
  readonly namespace: string;
  readonly variant: string;
  /** Empty for dataset and quality metrics. */
  readonly feature: string;
  readonly metric: string;
  readonly value?: number;
  readonly timestamp?: Date;
  readonly warning?: number;
  readonly critical?: number;
  /** `>=` or `<=`: how the alarms compare (lower is worse for p-values and most quality metrics). */
  readonly comparison?: string;
  /** The level the latest value reaches against the thresholds. */
  readonly level: 'critical' | 'warning' | 'ok' | 'no threshold' | 'no data';
  /** The alarms' states, e.g. `critical ALARM`. */
  readonly alarms: string[];
}

const dim = (dims: Dimension[] | undefined, name: string) => dims?.find((d) => d.Name === name)?.Value;
const sameDimensions = (a: Dimension[] = [], b: Dimension[] = []) =>
  a.length === b.length && a.every((d) => dim(b, d.Name!) === d.Value);

async function listMetrics(c: Clients, namespace: string, endpoint: string): Promise<Metric[]> {
  const all: Metric[] = [];
  let token: string | undefined;
  do {
    const page = await c.cloudwatch.send(new ListMetricsCommand({ Namespace: namespace, Dimensions: [{ Name: 'Endpoint', Value: endpoint }], NextToken: token }));
    all.push(...(page.Metrics ?? []));
    token = page.NextToken;
  } while (token);
  // Per-kind malformed-line counts are detail for the dashboard; the total stays.
  return all.filter((m) => !dim(m.Dimensions, 'Kind'));
}

/**
 * The metric a DriftMonitor always alarms on, and its alarm's name after the monitor's name
 * (lib/monitoring/drift-monitor.ts, `<monitorName>-dataset-drift`): the CLI finds the monitors of
 * an endpoint by it.
 */
export const MONITOR_ANCHOR_METRIC = 'DriftedFeatureShare';
export const MONITOR_ANCHOR_SUFFIX = '-dataset-drift';

/**
 * What follows `<monitorName>-` in the name of each metric alarm a DriftMonitor makes
 * (lib/monitoring/drift-monitor.ts): a prefix read alone would also take the alarms of a monitor
 * whose name extends this one's (`churn-v2-...` under `churn-`).
 */
const MONITOR_ALARM_NAME = /^(feature-.+-(warning|critical)|max-psi-(warning|critical)|prediction-psi-(warning|critical)|quality-.+-(warning|critical)|dataset-drift|detector-failed)$/;

/** Whether `alarmName` is one of the metric alarms of the monitor named `monitor`. */
export function isMonitorAlarm(alarmName: string, monitor: string): boolean {
  return alarmName.startsWith(`${monitor}-`) && MONITOR_ALARM_NAME.test(alarmName.slice(monitor.length + 1));
}

/**
 * The names of the monitors watching the endpoint's variants: DescribeAlarmsForMetric on each
 * variant's drifted-feature share returns the alarms on that one metric, whatever the account holds.
 */
async function monitorsOf(c: Clients, endpoint: string, variants: string[]): Promise<string[]> {
  const names = new Set<string>();
  await Promise.all(variants.map(async (variant) => {
    const Dimensions = [{ Name: 'Endpoint', Value: endpoint }, { Name: 'Variant', Value: variant }];
    const found = await c.cloudwatch.send(new DescribeAlarmsForMetricCommand({ Namespace: DRIFT_NAMESPACE, MetricName: MONITOR_ANCHOR_METRIC, Dimensions }));
    for (const a of found.MetricAlarms ?? []) {
      const name = a.AlarmName ?? '';
      if (name.endsWith(MONITOR_ANCHOR_SUFFIX) && name.length > MONITOR_ANCHOR_SUFFIX.length && sameDimensions(a.Dimensions, Dimensions)) {
        names.add(name.slice(0, -MONITOR_ANCHOR_SUFFIX.length));
      }
    }
  }));
  return [...names].sort();
}

/**
 * The metric alarms of the monitors (named `<monitorName>-...`) on the endpoint's metrics:
 * DescribeAlarms by name prefix, so only the monitors' alarms are read, not the account's.
 */
async function monitorAlarms(c: Clients, endpoint: string, monitors: string[]): Promise<MetricAlarm[]> {
  const byName = new Map<string, MetricAlarm>();
  for (const monitor of monitors) {
    let token: string | undefined;
    do {
      // A prefix excludes AlarmNames; AlarmTypes keeps the composite alarms, which have no threshold, out.
      const page = await c.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${monitor}-`, AlarmTypes: ['MetricAlarm'], NextToken: token, MaxRecords: 100 }));
      for (const a of page.MetricAlarms ?? []) if (isMonitorAlarm(a.AlarmName!, monitor)) byName.set(a.AlarmName!, a);
      token = page.NextToken;
    } while (token);
  }
  return [...byName.values()].filter((a) => (a.Namespace === DRIFT_NAMESPACE || a.Namespace === QUALITY_NAMESPACE) && dim(a.Dimensions, 'Endpoint') === endpoint);
}

/** The latest value of each metric within the window (GetMetricData, newest first). */
async function latestValues(c: Clients, metrics: Metric[], start: Date, end: Date, periodSeconds: number): Promise<Map<number, { value: number; at: Date }>> {
  const latest = new Map<number, { value: number; at: Date }>();
  for (let from = 0; from < metrics.length; from += QUERIES_PER_CALL) {
    const batch = metrics.slice(from, from + QUERIES_PER_CALL);
    let token: string | undefined;
    do {
      const page = await c.cloudwatch.send(new GetMetricDataCommand({
        StartTime: start, EndTime: end, ScanBy: 'TimestampDescending', NextToken: token,
        MetricDataQueries: batch.map((m, i) => ({ Id: `m${from + i}`, MetricStat: { Metric: m, Period: periodSeconds, Stat: 'Maximum' }, ReturnData: true })),
      }));
      for (const r of page.MetricDataResults ?? []) {
        const index = Number(r.Id!.slice(1));
        if (!latest.has(index) && r.Values?.length && r.Timestamps?.length) latest.set(index, { value: r.Values[0], at: r.Timestamps[0] });
      }
      token = page.NextToken;
    } while (token);
  }
  return latest;
}

export interface DriftOptions {
  readonly sinceMs: number;
  readonly now: number;
  readonly variant?: string;
  /** The DriftMonitor's `monitorName`; unset, found from the endpoint's alarms. */
  readonly monitor?: string;
  /** Told when no monitor's alarms were found, so no thresholds show. */
  readonly warn?: (text: string) => void;
}

export async function driftRows(c: Clients, endpoint: string, options: DriftOptions): Promise<MetricRow[]> {
  const [drift, quality] = await Promise.all([listMetrics(c, DRIFT_NAMESPACE, endpoint), listMetrics(c, QUALITY_NAMESPACE, endpoint)]);
  const metrics = [...drift, ...quality].filter((m) => !options.variant || dim(m.Dimensions, 'Variant') === options.variant);
  if (!metrics.length) {
    throw new UserError(`no drift or quality metrics for endpoint ${endpoint} in ${DRIFT_NAMESPACE} or ${QUALITY_NAMESPACE}${options.variant ? ` (variant ${options.variant})` : ''}: `
      + 'check the endpoint name and --region; CloudWatch lists a metric once the detector published it (within 2 weeks).');
  }
  const variants = [...new Set(metrics.map((m) => dim(m.Dimensions, 'Variant')).filter((v): v is string => v !== undefined))].sort();
  // The thresholds are extra: without the permission to read alarms, the values show without them.
  const denied = (action: string) => (error: unknown): never[] => {
    if (!/AccessDenied/.test((error as Error)?.name ?? '')) throw error;
    options.warn?.(`not allowed to call ${action} (${(error as Error).message}): no thresholds shown; grant cloudwatch:${action} to show them.\n`);
    return [];
  };
  let readable = true;
  const monitors = options.monitor ? [options.monitor]
    : await monitorsOf(c, endpoint, variants).catch((error) => { readable = false; return denied('DescribeAlarmsForMetric')(error); });
  if (!monitors.length && readable) {
    options.warn?.(`no DriftMonitor alarm '<monitorName>${MONITOR_ANCHOR_SUFFIX}' on ${MONITOR_ANCHOR_METRIC} of endpoint ${endpoint} `
      + `(${variants.join(', ') || 'no variant'}): no thresholds shown; pass the monitor's name with --monitor.\n`);
  }
  const alarms = monitors.length ? await monitorAlarms(c, endpoint, monitors).catch((error) => { readable = false; return denied('DescribeAlarms')(error); }) : [];
  if (options.monitor && !alarms.length && readable) {
    options.warn?.(`no metric alarm named '${options.monitor}-...' on the drift or quality metrics of endpoint ${endpoint}: no thresholds shown; `
      + 'check --monitor (the DriftMonitor\'s monitorName), or leave it out to find the monitor by its alarms.\n');
  }
  // An hour per point: the detector publishes once per window (an hour or longer).
  const latest = await latestValues(c, metrics, new Date(options.now - options.sinceMs), new Date(options.now), 3600);
  const rows = metrics.map((m, i): MetricRow => {
    const own = alarms.filter((a) => a.Namespace === m.Namespace && a.MetricName === m.MetricName && sameDimensions(a.Dimensions, m.Dimensions));
    const severity = (a: MetricAlarm) => (/-critical$/.test(a.AlarmName ?? '') ? 'critical' : /-warning$/.test(a.AlarmName ?? '') ? 'warning' : 'alarm');
    const threshold = (s: string) => own.find((a) => severity(a) === s)?.Threshold;
    const lowerIsWorse = own.some((a) => a.ComparisonOperator?.startsWith('LessThan'));
    const point = latest.get(i);
    const warning = threshold('warning');
    const critical = threshold('critical') ?? threshold('alarm');
    const reaches = (t: number | undefined) => t !== undefined && point !== undefined && (lowerIsWorse ? point.value <= t : point.value >= t);
    return {
      namespace: m.Namespace!,
      variant: dim(m.Dimensions, 'Variant') ?? '',
      feature: dim(m.Dimensions, 'Feature') ?? '',
      metric: m.MetricName!,
      value: point?.value,
      timestamp: point?.at,
      warning,
      critical,
      comparison: own.length ? (lowerIsWorse ? '<=' : '>=') : undefined,
      level: !point ? 'no data' : !own.length ? 'no threshold' : reaches(critical) ? 'critical' : reaches(warning) ? 'warning' : 'ok',
      alarms: own.map((a) => `${severity(a)} ${a.StateValue}`),
    };
  });
  const order = (r: MetricRow) => `${r.namespace === DRIFT_NAMESPACE ? 0 : 1}|${r.variant}|${r.feature ? 1 : 0}|${r.feature}|${r.metric}`;
  return rows.sort((a, b) => order(a).localeCompare(order(b)));
}

export function driftTable(rows: MetricRow[], rich: boolean, now: number): string {
  const p = paint(rich);
  const num = (n: number | undefined) => (n === undefined ? '-' : Number.isInteger(n) ? String(n) : n.toPrecision(4));
  const level = (l: MetricRow['level']) => (l === 'critical' ? p.bad(l) : l === 'warning' ? p.warn(l) : l);
  return table(['variant', 'feature', 'metric', 'latest', 'age', 'warning', 'critical', 'level', 'alarms'], rows.map((r) => [
    r.variant, r.feature || (r.namespace === QUALITY_NAMESPACE ? '(quality)' : '(dataset)'), r.metric, num(r.value),
    r.timestamp ? `${duration(now - r.timestamp.getTime())} ago` : '-',
    r.warning === undefined ? '-' : `${r.comparison} ${num(r.warning)}`, r.critical === undefined ? '-' : `${r.comparison} ${num(r.critical)}`,
    level(r.level), r.alarms.join(', ') || '-',
  ]), rich) + (rows.length ? `${p.dim(`latest values of the last points, as of ${time(new Date(now))}`)}\n` : '');
}
