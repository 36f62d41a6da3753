/**
 * Model quality from ground truth: labels users write in the format SageMaker Model Monitor reads
 * (`{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"..."},"eventVersion":"0"}`),
 * joined with captured predictions by inference id (else event id). Metrics as scikit-learn defines them.
 */
import { decodePayload, predictions } from './capture';
import { isMissing, toNumber } from './values';

export type ProblemType = 'BinaryClassification' | 'MulticlassClassification' | 'Regression';
export const PROBLEM_TYPES: ProblemType[] = ['BinaryClassification', 'MulticlassClassification', 'Regression'];

export interface LabelRecord {
  readonly groundTruthData?: { readonly data?: unknown; readonly encoding?: string };
  readonly eventMetadata?: { readonly eventId?: string };
}

/** The label of a ground-truth line, or why there is none. */
export function parseLabel(line: string): { id: string; label: string } | { error: 'truncatedJson' | 'missingFields' | 'badLabel' } {
  let record: LabelRecord;
  try {
    record = JSON.parse(line);
  } catch {
    return { error: 'truncatedJson' };
  }
  const id = record?.eventMetadata?.eventId;
  const data = record?.groundTruthData;
  if (typeof id !== 'string' || id.length === 0 || !data || data.data === undefined) return { error: 'missingFields' };
  const decoded = decodePayload({ data: typeof data.data === 'string' ? data.data : JSON.stringify(data.data), encoding: data.encoding ?? 'CSV' });
  const values = predictions(decoded);
  if (!values || values.length !== 1 || isMissing(values[0])) return { error: 'badLabel' };
  return { id, label: String(values[0]).trim() };
}

/** The first prediction of a capture record's output, as text (a batch record's label cannot tell its rows apart). */
export function firstPrediction(output: Parameters<typeof decodePayload>[0] | undefined): string | undefined {
  if (!output) return undefined;
  const values = predictions(decodePayload(output));
  if (!values || values.length === 0 || values[0] === undefined || isMissing(values[0])) return undefined;
  return typeof values[0] === 'string' ? values[0].trim() : String(values[0]);
}

const TRUE_LABELS = new Set(['1', '1.0', 'true', 'yes']);
const FALSE_LABELS = new Set(['0', '0.0', 'false', 'no']);

export function binaryLabel(text: string): 0 | 1 | undefined {
  const t = text.toLowerCase();
  return TRUE_LABELS.has(t) ? 1 : FALSE_LABELS.has(t) ? 0 : undefined;
}

/** Classes compared as numbers when both read as numbers ('1' and '1.0' are one class), else as text. */
export function classOf(text: string): string {
  const n = toNumber(text);
  return n === undefined ? text : String(n);
}

export interface BinaryMetrics {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** NaN when the window's labels have one class only. */
  readonly auc: number;
}

/** Binary classification metrics of scores against 0/1 labels; predicted class = score >= threshold. */
export function binaryMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): BinaryMetrics {
  let tp = 0; let fp = 0; let tn = 0; let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold ? 1 : 0;
    if (predicted === 1) { if (labels[i] === 1) tp++; else fp++; } else if (labels[i] === 1) fn++; else tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  return {
    accuracy: (tp + tn) / labels.length,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    auc: rocAuc(labels, scores),
  };
}

/** Area under the ROC curve: the Mann-Whitney U of the positives' scores, ties at average rank. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) { positives++; rankSum += rank; }
    }
    i = j + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Accuracy and macro-averaged precision, recall and F1 over the classes seen in labels or predictions (zero when undefined). */
export function multiclassMetrics(labels: string[], predicted: string[]): Omit<BinaryMetrics, 'auc'> {
  const classes = [...new Set([...labels, ...predicted])];
  let correct = 0;
  const tp = new Map<string, number>();
  const predictedCount = new Map<string, number>();
  const actualCount = new Map<string, number>();
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === predicted[i]) { correct++; tp.set(labels[i], (tp.get(labels[i]) ?? 0) + 1); }
    predictedCount.set(predicted[i], (predictedCount.get(predicted[i]) ?? 0) + 1);
    actualCount.set(labels[i], (actualCount.get(labels[i]) ?? 0) + 1);
  }
  let p = 0; let r = 0; let f = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const pc = predictedCount.get(c) ?? 0;
    const ac = actualCount.get(c) ?? 0;
    const precision = pc > 0 ? t / pc : 0;
    const recall = ac > 0 ? t / ac : 0;
    p += precision;
    r += recall;
    f += precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  }
  return { accuracy: correct / labels.length, precision: p / classes.length, recall: r / classes.length, f1: f / classes.length };
}

export function regressionMetrics(labels: ArrayLike<number>, predicted: ArrayLike<number>): { rmse: number; mae: number } {
  let se = 0;
  let ae = 0;
  for (let i = 0; i < labels.length; i++) {
    const d = predicted[i] - labels[i];
    se += d * d;
    ae += Math.abs(d);
  }
  return { rmse: Math.sqrt(se / labels.length), mae: ae / labels.length };
}

/**
 * The join key of a capture line read with indexOf, without parsing it: the inferenceId, else the
 * eventId. Those keys appear unescaped only in eventMetadata (inside payload strings their quotes
 * are escaped), so the first match is the record's. Undefined when absent or escaped: parse then.
 */
export function quickJoinKey(line: string): string | undefined {
  for (const name of ['inferenceId', 'eventId']) {
    const compact = line.indexOf(`"${name}":"`);
    if (compact < 0) {
      // Present in another spelling (spaces, a non-string value): leave it to the parser.
      if (line.includes(`"${name}"`)) return undefined;
      continue;
    }
    const start = compact + name.length + 4;
    const end = line.indexOf('"', start);
    if (end < 0) return undefined;
    const value = line.slice(start, end);
    return value.includes('\\') ? undefined : value;
  }
  return undefined;
}
