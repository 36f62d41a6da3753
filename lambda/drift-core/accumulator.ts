import { binIndex } from './bins';
import { CaptureRecord, decodePayload, inferenceTimeMs, jsonRows, predictions } from './capture';
import { Baseline, CategoricalBaseline, FeatureBaseline, MALFORMED_KINDS, MalformedKind, MalformedSample, NumericBaseline } from './types';
import { isBlank, isMissing, parseDecimal, splitCsvLine, toCategory, toNumber } from './values';

export const PARTIAL_FORMAT = 'cdk-mlops/drift-partial';
/** Samples kept per malformed kind, and their length. */
export const SAMPLES_PER_KIND = 3;
export const SAMPLE_CHARS = 200;

/** Counts of one feature over part of a window, on the baseline's fixed bins (JSON-serializable). */
export interface NumericCounts {
  readonly type: 'numeric';
  /** Rows per fine bin of the baseline. */
  counts: number[];
  /** Sum of the values per fine bin. */
  sums: number[];
  missing: number;
  nonNumeric: number;
  min: number | null;
  max: number | null;
  /** The values themselves while there are at most rawLimit of them; null once dropped. */
  raw: number[] | null;
}

export interface CategoricalCounts {
  readonly type: 'categorical';
  /** Rows per baseline category, plus "other" last. */
  counts: number[];
  missing: number;
  unknown: number;
}

export type FeatureCounts = NumericCounts | CategoricalCounts;

/** Mergeable partial counts of a window: what a Distributed Map worker returns and the reducer adds up. */
export interface PartialCounts {
  readonly format: typeof PARTIAL_FORMAT;
  records: number;
  rows: number;
  outsideWindow: number;
  objects: number;
  bytes: number;
  malformed: Record<MalformedKind, number>;
  samples: Partial<Record<MalformedKind, MalformedSample[]>>;
  features: FeatureCounts[];
  prediction?: FeatureCounts;
}

export interface AccumulatorOptions {
  /** Raw values kept per numeric feature (exact KS and Wasserstein on small windows). @default 5000 */
  readonly rawLimit?: number;
  /** Keep only records with an inferenceTime in [start, end) (epoch milliseconds). @default - every record */
  readonly window?: { readonly startMs: number; readonly endMs: number };
}

/** Per-feature lookup state: the counts plus what makes adding a value cheap. */
interface Slot {
  readonly counts: FeatureCounts;
  readonly edges?: number[];
  readonly index?: Map<string, number>;
  readonly other?: Set<string>;
  readonly otherComplete?: boolean;
  readonly bins: Float64Array;
  readonly sums?: Float64Array;
}

export function emptyPartial(baseline: Baseline, rawLimit = 5000): PartialCounts {
  const blank = (f: FeatureBaseline): FeatureCounts => f.type === 'numeric'
    ? { type: 'numeric', counts: new Array(f.edges.length + 1).fill(0), sums: new Array(f.edges.length + 1).fill(0), missing: 0, nonNumeric: 0, min: null, max: null, raw: rawLimit > 0 ? [] : null }
    : { type: 'categorical', counts: new Array(f.categories.length + 1).fill(0), missing: 0, unknown: 0 };
  return {
    format: PARTIAL_FORMAT,
    records: 0,
    rows: 0,
    outsideWindow: 0,
    objects: 0,
    bytes: 0,
    malformed: Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])) as Record<MalformedKind, number>,
    samples: {},
    features: baseline.features.map(blank),
    ...(baseline.prediction ? { prediction: blank(baseline.prediction) } : {}),
  };
}

/**
 * Counts captured records into the baseline's bins, one line at a time: memory does not grow with
 * the number of lines (bins are fixed; raw values and malformed samples are capped).
 */
export class DriftAccumulator {
  private readonly partial: PartialCounts;
  private readonly slots: Slot[];
  private readonly predictionSlot?: Slot;
  private readonly names: Map<string, number>;
  private readonly rawLimit: number;
  /** Start and end of each field of the CSV row being read. */
  private readonly bounds: Int32Array;
  private readonly window?: { readonly startMs: number; readonly endMs: number };

  constructor(private readonly baseline: Baseline, options: AccumulatorOptions = {}) {
    this.rawLimit = options.rawLimit ?? 5000;
    this.window = options.window;
    this.partial = emptyPartial(baseline, this.rawLimit);
    this.slots = baseline.features.map((f, i) => slot(f, this.partial.features[i]));
    if (baseline.prediction) this.predictionSlot = slot(baseline.prediction, this.partial.prediction!);
    this.names = new Map(baseline.features.map((f, i) => [f.name, i]));
    this.bounds = new Int32Array(2 * baseline.features.length);
  }

  /**
   * Adds one line of a capture file; `source` and `lineNumber` only label malformed samples. In a
   * windowed run a record counts when its inferenceTime is in the window; a line with no time to
   * place it by (not JSON, or no readable inferenceTime) counts only in the window that `ownsUntimed`
   * its file (see `ownsUntimedLines`), since the files near an hour boundary are read by two windows.
   */
  addLine(line: string, source: string, lineNumber: number, ownsUntimed = true): void {
    if (isBlank(line)) return;
    this.partial.records++;
    // V8's JSON.parse is as fast as any scanner written in JavaScript (measured): parse it all.
    let record: CaptureRecord;
    try {
      record = JSON.parse(line);
    } catch {
      if (ownsUntimed) this.malformed('truncatedJson', source, lineNumber, line); else this.outside();
      return;
    }
    if (this.window) {
      // A record is in the window its own inferenceTime says, whichever hour folder holds its file.
      const time = inferenceTimeMs(record);
      if (time === undefined) {
        if (ownsUntimed) this.malformed('missingFields', source, lineNumber, line); else this.outside();
        return;
      }
      if (time < this.window.startMs || time >= this.window.endMs) {
        this.outside();
        return;
      }
    }
    const input = record?.captureData?.endpointInput;
    const output = record?.captureData?.endpointOutput;
    if (!input && !output) {
      this.malformed('missingFields', source, lineNumber, line);
      return;
    }
    if (input && input.encoding === 'CSV' && typeof input.data === 'string') this.addCsvText(input.data, source, lineNumber, line);
    else if (input) this.addInput(decodePayload(input), source, lineNumber, line);
    if (output && this.predictionSlot) this.addOutput(decodePayload(output), source, lineNumber, line);
  }

  /** A CSV payload's rows, found with indexOf rather than split (the hot path of the detector). */
  private addCsvText(text: string, source: string, lineNumber: number, line: string): void {
    let start = 0;
    let rows = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      if (stop > start && (text.charCodeAt(start) > 32 || !isBlank(text.slice(start, stop)))) {
        rows++;
        this.addCsvRow(text, start, stop, source, lineNumber, line);
      }
      start = end + 1;
    }
    if (rows === 0) this.malformed('emptyPayload', source, lineNumber, line);
  }

  private addCsvRow(text: string, start: number, end: number, source: string, lineNumber: number, line: string): void {
    const width = this.slots.length;
    const quote = text.indexOf('"', start);
    if (quote >= 0 && quote < end) {
      const fields = splitCsvLine(text.slice(start, end));
      if (fields.length !== width) return this.malformed('columnCount', source, lineNumber, line);
      this.partial.rows++;
      for (let i = 0; i < width; i++) this.addValue(this.slots[i], fields[i], source, lineNumber, line);
      return;
    }
    // One pass finds the field boundaries (and stops at a row too wide); a second adds the values.
    const bounds = this.bounds;
    let columns = 0;
    let from = start;
    for (;;) {
      let to = text.indexOf(',', from);
      if (to < 0 || to > end) to = end;
      if (columns === width) return this.malformed('columnCount', source, lineNumber, line);
      bounds[2 * columns] = from;
      bounds[2 * columns + 1] = to;
      columns++;
      if (to === end) break;
      from = to + 1;
    }
    if (columns !== width) return this.malformed('columnCount', source, lineNumber, line);
    this.partial.rows++;
    for (let i = 0; i < width; i++) {
      const a = bounds[2 * i];
      const b = bounds[2 * i + 1];
      const s = this.slots[i];
      const x = s.counts.type === 'numeric' && b > a ? parseDecimal(text, a, b) : NaN;
      if (x === x) this.addNumber(s, x); // not NaN: a plain decimal, read without a substring
      else this.addValue(s, text.slice(a, b), source, lineNumber, line);
    }
  }

  private addInput(decoded: ReturnType<typeof decodePayload>, source: string, lineNumber: number, line: string): void {
    if (decoded.kind === 'error') {
      this.malformed(decoded.error, source, lineNumber, line);
      return;
    }
    const width = this.slots.length;
    if (decoded.kind === 'csv') {
      if (decoded.lines.length === 0) this.malformed('emptyPayload', source, lineNumber, line);
      for (const text of decoded.lines) {
        const fields = splitCsvLine(text);
        if (fields.length !== width) {
          this.malformed('columnCount', source, lineNumber, line);
          continue;
        }
        this.partial.rows++;
        for (let i = 0; i < width; i++) this.addValue(this.slots[i], fields[i], source, lineNumber, line);
      }
      return;
    }
    const rows = jsonRows(decoded.value);
    if (rows === undefined) {
      this.malformed('undecodablePayload', source, lineNumber, line);
      return;
    }
    if (rows.length === 0) this.malformed('emptyPayload', source, lineNumber, line);
    for (const row of rows) {
      if (Array.isArray(row)) {
        if (row.length !== width) {
          this.malformed('columnCount', source, lineNumber, line);
          continue;
        }
        this.partial.rows++;
        for (let i = 0; i < width; i++) this.addValue(this.slots[i], row[i], source, lineNumber, line);
      } else if (row && typeof row === 'object') {
        const values = row as Record<string, unknown>;
        const keys = Object.keys(values);
        if (!keys.some((k) => this.names.has(k))) {
          this.malformed('missingFields', source, lineNumber, line);
          continue;
        }
        this.partial.rows++;
        // Absent features are missing values; unknown keys are ignored (requests often carry ids).
        for (let i = 0; i < width; i++) this.addValue(this.slots[i], values[this.baseline.features[i].name], source, lineNumber, line);
      } else {
        this.malformed('columnCount', source, lineNumber, line);
      }
    }
  }

  private addOutput(decoded: ReturnType<typeof decodePayload>, source: string, lineNumber: number, line: string): void {
    const values = predictions(decoded);
    if (values === undefined || values.length === 0) {
      this.malformed('badPrediction', source, lineNumber, line);
      return;
    }
    for (const value of values) {
      if (value === undefined) this.malformed('badPrediction', source, lineNumber, line);
      else this.addValue(this.predictionSlot!, value, source, lineNumber, line);
    }
  }

  private addValue(s: Slot, value: unknown, source: string, lineNumber: number, line: string): void {
    const c = s.counts;
    if (isMissing(value)) {
      c.missing++;
      return;
    }
    if (c.type === 'numeric') {
      const x = toNumber(value);
      if (x === undefined) {
        c.nonNumeric++;
        this.malformed('nonNumeric', source, lineNumber, line);
        return;
      }
      this.addNumber(s, x);
      return;
    }
    const category = toCategory(value);
    const i = s.index!.get(category);
    if (i !== undefined) {
      s.bins[i]++;
      return;
    }
    s.bins[s.bins.length - 1]++;
    if (s.otherComplete && !s.other!.has(category)) {
      c.unknown++;
      this.malformed('unknownCategory', source, lineNumber, line);
    }
  }

  private addNumber(s: Slot, x: number): void {
    const c = s.counts as NumericCounts;
    const bin = binIndex(s.edges!, x);
    s.bins[bin]++;
    s.sums![bin] += x;
    if (c.min === null || x < c.min) c.min = x;
    if (c.max === null || x > c.max) c.max = x;
    if (c.raw !== null) {
      if (c.raw.length < this.rawLimit) c.raw.push(x); else c.raw = null;
    }
  }

  /** A line of another window: not one of this window's records. */
  private outside(): void {
    this.partial.records--;
    this.partial.outsideWindow++;
  }

  private malformed(kind: MalformedKind, source: string, lineNumber: number, line: string): void {
    this.partial.malformed[kind]++;
    const samples = (this.partial.samples[kind] ??= []);
    if (samples.length < SAMPLES_PER_KIND) samples.push({ source, line: lineNumber, sample: line.slice(0, SAMPLE_CHARS) });
  }

  /** Records that an object was read, for the report's object and byte counts. */
  addObject(bytes: number): void {
    this.partial.objects++;
    this.partial.bytes += bytes;
  }

  /** The counts so far, as plain JSON data. */
  toPartial(): PartialCounts {
    const copy = (s: Slot) => {
      s.counts.counts = Array.from(s.bins);
      if (s.counts.type === 'numeric') s.counts.sums = Array.from(s.sums!);
    };
    this.slots.forEach(copy);
    if (this.predictionSlot) copy(this.predictionSlot);
    return this.partial;
  }
}

function slot(f: FeatureBaseline, counts: FeatureCounts): Slot {
  const bins = new Float64Array(counts.counts.length);
  if (f.type === 'numeric') return { counts, edges: (f as NumericBaseline).edges, bins, sums: new Float64Array(bins.length) };
  const c = f as CategoricalBaseline;
  return {
    counts,
    bins,
    index: new Map(c.categories.map((name, i) => [name, i])),
    other: new Set(c.otherValues),
    otherComplete: c.otherValuesComplete,
  };
}

/** Adds partial counts on the same baseline (associative and commutative: any fan-out order gives the same result). */
export function mergePartials(baseline: Baseline, parts: PartialCounts[], rawLimit = 5000): PartialCounts {
  const total = emptyPartial(baseline, rawLimit);
  for (const part of parts) {
    if (part.format !== PARTIAL_FORMAT || part.features.length !== total.features.length) {
      throw new Error(`partial counts do not match the baseline (${part.features?.length} features, expected ${total.features.length})`);
    }
    total.records += part.records;
    total.rows += part.rows;
    total.outsideWindow += part.outsideWindow;
    total.objects += part.objects;
    total.bytes += part.bytes;
    for (const kind of MALFORMED_KINDS) {
      total.malformed[kind] += part.malformed[kind] ?? 0;
      const samples = part.samples[kind] ?? [];
      if (samples.length > 0) {
        const kept = (total.samples[kind] ??= []);
        kept.push(...samples.slice(0, SAMPLES_PER_KIND - kept.length));
      }
    }
    part.features.forEach((f, i) => mergeFeature(total.features[i], f, rawLimit));
    if (total.prediction && part.prediction) mergeFeature(total.prediction, part.prediction, rawLimit);
  }
  return total;
}

function mergeFeature(into: FeatureCounts, from: FeatureCounts, rawLimit: number): void {
  if (into.type !== from.type || into.counts.length !== from.counts.length) {
    throw new Error(`partial counts have ${from.counts.length} ${from.type} bins where the baseline has ${into.counts.length} ${into.type} bins`);
  }
  for (let i = 0; i < into.counts.length; i++) into.counts[i] += from.counts[i];
  into.missing += from.missing;
  if (into.type === 'numeric' && from.type === 'numeric') {
    for (let i = 0; i < into.sums.length; i++) into.sums[i] += from.sums[i];
    into.nonNumeric += from.nonNumeric;
    if (from.min !== null && (into.min === null || from.min < into.min)) into.min = from.min;
    if (from.max !== null && (into.max === null || from.max > into.max)) into.max = from.max;
    into.raw = into.raw !== null && from.raw !== null && into.raw.length + from.raw.length <= rawLimit
      ? into.raw.concat(from.raw)
      : null;
  } else if (into.type === 'categorical' && from.type === 'categorical') {
    into.unknown += from.unknown;
  }
}
