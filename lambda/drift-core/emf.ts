/**
 * CloudWatch embedded metric format (EMF): one JSON document per log line, from which CloudWatch
 * Logs extracts the metrics, so no handler calls PutMetricData. Written with process.stdout.write,
 * not console.log: in Lambda, console.log prefixes the line (time, request id, level) or wraps it
 * in JSON when the function logs as JSON, and CloudWatch would then not read the document.
 */
import { DriftReport, FeatureDrift, MALFORMED_KINDS } from './types';

export const DRIFT_NAMESPACE = 'CdkMlops/Drift';
export const QUALITY_NAMESPACE = 'CdkMlops/ModelQuality';
/** The spec allows at most 100 metrics per directive. */
const MAX_METRICS_PER_DOCUMENT = 100;

export interface EmfMetric {
  readonly name: string;
  readonly value: number;
  readonly unit?: 'None' | 'Count';
}

/** One EMF document (a log line) with one dimension set; metrics without a finite value are left out. */
export function emfDocument(namespace: string, dimensions: Record<string, string>, metrics: EmfMetric[], timestamp: number): string[] {
  const finite = metrics.filter((m) => Number.isFinite(m.value));
  const lines: string[] = [];
  for (let i = 0; i < finite.length; i += MAX_METRICS_PER_DOCUMENT) {
    const chunk = finite.slice(i, i + MAX_METRICS_PER_DOCUMENT);
    const doc: Record<string, unknown> = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [{
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: chunk.map((m) => ({ Name: m.name, Unit: m.unit ?? 'None' })),
        }],
      },
      ...dimensions,
    };
    for (const m of chunk) doc[m.name] = m.value;
    lines.push(JSON.stringify(doc));
  }
  return lines;
}

/** The EMF lines of a drift report: per feature, per endpoint variant, and per malformed kind. */
export function driftMetrics(report: DriftReport, endpoint: string, variant: string, namespace = DRIFT_NAMESPACE, timestamp = Date.now()): string[] {
  const base = { Endpoint: endpoint, Variant: variant };
  const lines: string[] = [];
  const ok = report.status === 'ok';
  if (ok) {
    for (const f of report.features) lines.push(...emfDocument(namespace, { ...base, Feature: f.name }, featureMetrics(f), timestamp));
  }
  const summary: EmfMetric[] = [
    { name: 'Records', value: report.records, unit: 'Count' },
    { name: 'Rows', value: report.rows, unit: 'Count' },
    { name: 'MalformedLines', value: report.malformed.total ?? 0, unit: 'Count' },
    { name: 'TooFewRows', value: report.status === 'ok' ? 0 : 1 },
  ];
  if (ok) {
    summary.push(
      { name: 'MaxPSI', value: max(report.features.map((f) => f.psi)) },
      { name: 'MaxJensenShannon', value: max(report.features.map((f) => f.jensenShannon)) },
      { name: 'DriftedFeatureShare', value: report.dataset?.driftedShare ?? NaN },
      { name: 'DatasetDrift', value: report.dataset ? (report.dataset.datasetDrift ? 1 : 0) : NaN },
    );
    if (report.prediction) {
      summary.push({ name: 'PredictionPSI', value: report.prediction.psi ?? NaN });
      summary.push({ name: 'PredictionJensenShannon', value: report.prediction.jensenShannon ?? NaN });
    }
  }
  lines.push(...emfDocument(namespace, base, summary, timestamp));
  for (const kind of MALFORMED_KINDS) {
    lines.push(...emfDocument(namespace, { ...base, Kind: kind }, [{ name: 'MalformedLines', value: report.malformed[kind] ?? 0, unit: 'Count' }], timestamp));
  }
  return lines;
}

function featureMetrics(f: FeatureDrift): EmfMetric[] {
  const metrics: EmfMetric[] = [
    { name: 'PSI', value: f.psi ?? NaN },
    { name: 'JensenShannon', value: f.jensenShannon ?? NaN },
    { name: 'MissingRateChange', value: f.missingRateChange },
  ];
  if (f.type === 'numeric') {
    metrics.push({ name: 'KolmogorovSmirnov', value: f.ks ?? NaN }, { name: 'Wasserstein', value: f.wasserstein ?? NaN });
  } else {
    metrics.push({ name: 'ChiSquare', value: f.chiSquare ?? NaN }, { name: 'ChiSquarePValue', value: f.chiSquarePValue ?? NaN });
  }
  return metrics;
}

function max(values: (number | undefined)[]): number {
  const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return finite.length > 0 ? Math.max(...finite) : NaN;
}

/** Writes EMF lines to stdout, each as one log event. */
export function writeEmf(lines: string[]): void {
  for (const line of lines) process.stdout.write(line + '\n');
}
