import { S3Client } from '@aws-sdk/client-s3';
import { CaptureRecord } from '../drift-core/capture';
import { ConfigError, DriftEvent, numberFrom, required } from '../drift-core/config';
import { emfDocument, EmfMetric, QUALITY_NAMESPACE, writeEmf } from '../drift-core/emf';
import {
  binaryLabel, binaryMetrics, classOf, firstPrediction, multiclassMetrics, parseLabel, PROBLEM_TYPES, ProblemType, quickJoinKey, regressionMetrics,
} from '../drift-core/quality';
import { eachLimited, forEachObjectLine, listObjects } from '../drift-core/s3';
import { toNumber } from '../drift-core/values';
import { captureBase, captureFolders, hourPrefixes, mayHoldWindow, resolveWindow } from '../drift-core/window';

const s3 = new S3Client({});

export const QUALITY_MALFORMED_KINDS = ['truncatedJson', 'missingFields', 'badLabel', 'badPrediction', 'duplicateLabel', 'labelsOverLimit'] as const;
type QualityMalformed = typeof QUALITY_MALFORMED_KINDS[number];

export interface QualityReport {
  readonly status: 'ok' | 'tooFewRows' | 'noData';
  readonly endpointName: string;
  readonly variantName: string;
  readonly problemType: ProblemType;
  readonly window: { readonly start: string; readonly end: string };
  readonly labels: number;
  readonly matched: number;
  readonly unmatchedLabels: number;
  readonly minRows: number;
  readonly malformed: Record<string, number>;
  readonly metrics: Record<string, number>;
}

/**
 * Joins the labels written in the window (ground-truth hour folders of [start, end)) with the
 * predictions captured in the lookback before the window's end, and publishes quality metrics.
 * Labels are held in memory for the join (at most MAX_LABELS); captures are streamed.
 */
export async function handler(event: DriftEvent = {}): Promise<QualityReport> {
  const env = process.env;
  const endpointName = event.endpointName ?? required(env, 'ENDPOINT_NAME');
  const variantName = event.variantName ?? env.VARIANT_NAME ?? 'AllTraffic';
  const problemType = (env.PROBLEM_TYPE || 'BinaryClassification') as ProblemType;
  if (!PROBLEM_TYPES.includes(problemType)) throw new ConfigError(`PROBLEM_TYPE must be one of ${PROBLEM_TYPES.join(', ')}, got '${problemType}'`);
  const threshold = numberFrom(env, 'PROBABILITY_THRESHOLD', 0.5);
  const lookbackHours = numberFrom(env, 'CAPTURE_LOOKBACK_HOURS', 24, 1);
  const maxLabels = numberFrom(env, 'MAX_LABELS', 1_000_000, 1);
  const minRows = numberFrom(env, 'MIN_ROWS', 100, 1);
  const namespace = env.METRIC_NAMESPACE || QUALITY_NAMESPACE;
  const captureBucket = required(env, 'CAPTURE_BUCKET');
  const labelBucket = required(env, 'GROUND_TRUTH_BUCKET');
  const labelPrefix = required(env, 'GROUND_TRUTH_PREFIX');
  const lagMinutes = numberFrom(env, 'WINDOW_LAG_MINUTES', 10);
  const window = resolveWindow(event, numberFrom(env, 'WINDOW_MINUTES', 60, 1), lagMinutes);

  const malformed = Object.fromEntries(QUALITY_MALFORMED_KINDS.map((k) => [k, 0])) as Record<QualityMalformed, number>;
  const samples: { kind: string; source: string; line: number; sample: string }[] = [];
  const bad = (kind: QualityMalformed, source: string, line: number, text: string) => {
    malformed[kind]++;
    if (samples.length < 10) samples.push({ kind, source, line, sample: text.slice(0, 200) });
  };

  // Labels of the window, by join key.
  const labels = new Map<string, string>();
  const labelRoot = labelPrefix.endsWith('/') ? labelPrefix : `${labelPrefix}/`;
  const labelObjects = await listObjects(s3, labelBucket, hourPrefixes(labelRoot, window));
  await eachLimited(labelObjects, 4, async (o) => {
    const source = `s3://${labelBucket}/${o.key}`;
    await forEachObjectLine(s3, labelBucket, o.key, (line, n) => {
      if (line.trim().length === 0) return;
      const parsed = parseLabel(line);
      if ('error' in parsed) return bad(parsed.error, source, n, line);
      if (labels.has(parsed.id)) return bad('duplicateLabel', source, n, line);
      if (labels.size >= maxLabels) return bad('labelsOverLimit', source, n, line);
      labels.set(parsed.id, parsed.label);
    });
  });

  const labelCount = labels.size;
  // Predictions captured in the lookback, joined as they stream by.
  const pairs: { label: string; prediction: string }[] = [];
  const captureWindow = { start: new Date(window.end.getTime() - lookbackHours * 3_600_000), end: window.end };
  // The capture folders as drift reads them: a prediction of the lookback's last minutes is filed in the next hour.
  const captureObjects = labels.size === 0 ? [] : (await listObjects(s3, captureBucket,
    captureFolders(captureBase(env.CAPTURE_PREFIX ?? '', endpointName, variantName), captureWindow, lagMinutes)))
    .filter((o) => mayHoldWindow(o, captureWindow, lagMinutes));
  await eachLimited(captureObjects, 4, async (o) => {
    const source = `s3://${captureBucket}/${o.key}`;
    await forEachObjectLine(s3, captureBucket, o.key, (line, n) => {
      if (line.trim().length === 0) return;
      // Most captured records have no label yet: skip them without parsing.
      const quick = quickJoinKey(line);
      if (quick !== undefined && !labels.has(quick)) return;
      let record: CaptureRecord;
      try {
        record = JSON.parse(line);
      } catch {
        return; // Drift counts the capture's malformed lines; here only the joined ones matter.
      }
      const key = record?.eventMetadata?.inferenceId ?? record?.eventMetadata?.eventId;
      const label = key === undefined ? undefined : labels.get(key);
      if (label === undefined) return;
      labels.delete(key!);
      const prediction = firstPrediction(record.captureData?.endpointOutput);
      if (prediction === undefined) return bad('badPrediction', source, n, line);
      pairs.push({ label, prediction });
    });
  });

  const metrics = qualityMetrics(problemType, pairs, threshold, (kind) => bad(kind, 'join', 0, ''));
  const matched = metrics.count;
  const status = labelCount === 0 ? 'noData' : matched < minRows ? 'tooFewRows' : 'ok';
  const report: QualityReport = {
    status,
    endpointName,
    variantName,
    problemType,
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    labels: labelCount,
    matched,
    unmatchedLabels: labels.size,
    minRows,
    malformed: { ...malformed, total: Object.values(malformed).reduce((a, b) => a + b, 0) },
    metrics: status === 'ok' ? metrics.values : {},
  };
  const emf: EmfMetric[] = [
    { name: 'MatchedLabels', value: matched, unit: 'Count' },
    { name: 'UnmatchedLabels', value: labels.size, unit: 'Count' },
    { name: 'MalformedLines', value: report.malformed.total, unit: 'Count' },
    { name: 'TooFewRows', value: status === 'ok' ? 0 : 1 },
    ...Object.entries(report.metrics).map(([name, value]) => ({ name: METRIC_NAMES[name], value })),
  ];
  writeEmf(emfDocument(namespace, { Endpoint: endpointName, Variant: variantName }, emf, window.end.getTime()));
  if (samples.length > 0) console.warn(JSON.stringify({ message: 'malformed ground truth or predictions counted and skipped', malformed: report.malformed, samples }));
  return report;
}

const METRIC_NAMES: Record<string, string> = {
  accuracy: 'Accuracy', precision: 'Precision', recall: 'Recall', f1: 'F1', auc: 'AUC', rmse: 'RMSE', mae: 'MAE',
};

/** The metrics of the joined pairs; pairs whose label or prediction does not fit the problem type are counted and left out. */
function qualityMetrics(problemType: ProblemType, pairs: { label: string; prediction: string }[], threshold: number,
  bad: (kind: 'badLabel' | 'badPrediction') => void): { count: number; values: Record<string, number> } {
  if (problemType === 'MulticlassClassification') {
    if (pairs.length === 0) return { count: 0, values: {} };
    const m = multiclassMetrics(pairs.map((p) => classOf(p.label)), pairs.map((p) => classOf(p.prediction)));
    return { count: pairs.length, values: { ...m } };
  }
  const y: number[] = [];
  const s: number[] = [];
  for (const p of pairs) {
    const label = problemType === 'BinaryClassification' ? binaryLabel(p.label) : toNumber(p.label);
    const score = toNumber(p.prediction);
    if (label === undefined) { bad('badLabel'); continue; }
    if (score === undefined) { bad('badPrediction'); continue; }
    y.push(label);
    s.push(score);
  }
  if (y.length === 0) return { count: 0, values: {} };
  if (problemType === 'Regression') return { count: y.length, values: regressionMetrics(y, s) };
  const m = binaryMetrics(y, s, threshold);
  const values: Record<string, number> = { accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1 };
  if (Number.isFinite(m.auc)) values.auc = m.auc;
  return { count: y.length, values };
}
