import { binIndex, coarsen, distinct, fineToCoarse, quantile } from './bins';
import {
  Baseline, BASELINE_SCHEMA_VERSION, CategoricalBaseline, FeatureBaseline, FeatureSchema, FeatureType, NumericBaseline,
} from './types';
import { isMissing, splitCsvLine, toCategory, toNumber } from './values';

export interface BaselineOptions {
  readonly schema?: FeatureSchema;
  /** Label column, excluded from the features (wins over schema.label). */
  readonly label?: string;
  /** Column with the model's predictions, kept as the prediction distribution (wins over schema.prediction). */
  readonly prediction?: string;
  /** Fine bins for KS and Wasserstein (percentiles). @default 100 */
  readonly fineBins?: number;
  /** PSI bins (deciles); must divide fineBins. @default 10 */
  readonly psiBins?: number;
  /** Categories kept by name; the rest share an "other" bucket. @default 50 */
  readonly maxCategories?: number;
  /** Numeric columns with at most this many values keep them all (exact KS and Wasserstein). @default 5000 */
  readonly rawLimit?: number;
  /** Values sampled per numeric column for its quantiles (a seeded reservoir). @default 200000 */
  readonly reservoirSize?: number;
  readonly source?: string;
  /** Fixed creation time (tests). */
  readonly createdAt?: string;
}

/** Distinct categories tracked per column while reading; later ones are counted as "other". */
const MAX_TRACKED_CATEGORIES = 10_000;
const MAX_OTHER_VALUES = 1000;

/** One column's running summary over the first pass. */
class ColumnSummary {
  public count = 0;
  public missing = 0;
  public nonNumeric = 0;
  public numeric = true;
  public min = Infinity;
  public max = -Infinity;
  private mean = 0;
  private m2 = 0;
  private reservoir: Float64Array;
  private seen = 0;
  public readonly categories = new Map<string, number>();
  public untracked = 0;
  public fine: Float64Array | undefined;
  public fineSums: Float64Array | undefined;

  constructor(public readonly name: string, public readonly declared: FeatureType | undefined, reservoirSize: number,
    private readonly random: () => number) {
    this.reservoir = new Float64Array(Math.min(reservoirSize, 1024));
    this.reservoirSize = reservoirSize;
  }

  private readonly reservoirSize: number;

  observe(raw: string): void {
    if (isMissing(raw)) { this.missing++; return; }
    const type = this.declared;
    if (type !== 'numeric') {
      const category = toCategory(raw);
      const known = this.categories.get(category);
      if (known !== undefined) this.categories.set(category, known + 1);
      else if (this.categories.size < MAX_TRACKED_CATEGORIES) this.categories.set(category, 1);
      else this.untracked++;
    }
    if (type === 'categorical') { this.count++; return; }
    const x = this.numeric || type === 'numeric' ? toNumber(raw) : undefined;
    if (x === undefined) {
      if (type === 'numeric') { this.nonNumeric++; return; }
      this.numeric = false;
      this.count++;
      return;
    }
    this.count++;
    if (!this.numeric) return;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
    this.sample(x);
  }

  private sample(x: number): void {
    const n = this.seen++;
    if (n < this.reservoirSize) {
      if (n === this.reservoir.length) {
        const grown = new Float64Array(Math.min(this.reservoirSize, this.reservoir.length * 2));
        grown.set(this.reservoir);
        this.reservoir = grown;
      }
      this.reservoir[n] = x;
    } else {
      const j = Math.floor(this.random() * (n + 1));
      if (j < this.reservoirSize) this.reservoir[j] = x;
    }
  }

  get type(): FeatureType {
    return this.declared ?? (this.numeric && this.count > 0 ? 'numeric' : 'categorical');
  }

  sortedSample(): Float64Array {
    return this.reservoir.slice(0, Math.min(this.seen, this.reservoirSize)).sort();
  }

  get sampled(): boolean {
    return this.seen > this.reservoirSize;
  }

  stats(): { mean: number; std: number } {
    return { mean: this.count > 0 ? this.mean : 0, std: this.count > 0 ? Math.sqrt(this.m2 / this.count) : 0 };
  }
}

/** A small seeded generator (mulberry32), so the same file always gives the same baseline. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BaselineResult {
  readonly baseline: Baseline;
  /** Rows skipped for a wrong column count, and numeric values that were not numbers, while reading. */
  readonly problems: { readonly columnCount: number; readonly nonNumeric: number };
}

/**
 * Builds a baseline from a CSV with a header row, reading it twice (`lines` is called once per
 * pass): the first pass infers types, counts categories, keeps moments and a reservoir sample per
 * numeric column for the quantile edges; the second counts every row into the fixed bins. Memory
 * is bounded by the reservoir and category caps, whatever the file's size.
 */
export async function buildBaseline(lines: () => AsyncIterable<string>, options: BaselineOptions = {}): Promise<BaselineResult> {
  const fineBins = options.fineBins ?? 100;
  const psiBins = options.psiBins ?? 10;
  const maxCategories = options.maxCategories ?? 50;
  const rawLimit = options.rawLimit ?? 5000;
  if (!Number.isInteger(fineBins) || !Number.isInteger(psiBins) || psiBins < 2 || fineBins % psiBins !== 0) {
    throw new Error(`psiBins (${psiBins}) must be an integer of at least 2 that divides fineBins (${fineBins})`);
  }
  const random = seededRandom(0x5eed);
  let header: string[] | undefined;
  let columns: ColumnSummary[] = [];
  let rows = 0;
  let columnCount = 0;
  for await (const line of lines()) {
    if (line.trim().length === 0) continue;
    const fields = splitCsvLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (!header) {
      // Spreadsheet exports start with a byte order mark; it is not part of the first name.
      header = fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f).trim());
      const unnamed = header.map((name, i) => (name.length === 0 ? i + 1 : 0)).filter((i) => i > 0);
      const repeated = header.filter((name, i) => header!.indexOf(name) !== i);
      if (unnamed.length > 0 || repeated.length > 0) {
        throw new Error(`the CSV header must name every column once (metrics are published per name): ${[
          ...(unnamed.length ? [`column(s) ${unnamed.join(', ')} have no name`] : []),
          ...(repeated.length ? [`repeated: ${[...new Set(repeated)].join(', ')}`] : []),
        ].join('; ')}`);
      }
      columns = header.map((name) => new ColumnSummary(name, declaredType(name, options), options.reservoirSize ?? 200_000, random));
      continue;
    }
    if (fields.length !== header.length) { columnCount++; continue; }
    rows++;
    for (let i = 0; i < fields.length; i++) columns[i].observe(fields[i]);
  }
  if (!header) throw new Error('the training CSV is empty: expected a header row and data rows');
  const label = options.label ?? options.schema?.label;
  const predictionColumn = options.prediction ?? options.schema?.prediction;
  for (const [what, name] of [['label', label], ['prediction', predictionColumn]] as const) {
    if (name !== undefined && !header.includes(name)) {
      throw new Error(`the ${what} column '${name}' is not in the CSV header (${header.join(', ')})`);
    }
  }
  const featureNames = options.schema
    ? options.schema.features.map((f) => f.name)
    : header.filter((name) => name !== label && name !== predictionColumn);
  const missingNames = featureNames.filter((name) => !header!.includes(name));
  if (missingNames.length > 0) {
    throw new Error(`schema features missing from the CSV header: ${missingNames.join(', ')} (header: ${header.join(', ')})`);
  }
  const byName = new Map(columns.map((c, i) => [c.name, i]));
  const chosen = [...featureNames, ...(predictionColumn ? [predictionColumn] : [])].map((name) => byName.get(name)!);

  // Second pass: fine bin counts of the numeric columns, exact whatever the reservoir sampled.
  const edges = new Map<number, number[]>();
  for (const index of chosen) {
    const column = columns[index];
    if (column.type !== 'numeric' || column.count === 0) continue;
    const sample = column.sortedSample();
    const fine = [];
    for (let k = 1; k < fineBins; k++) fine.push(quantile(sample, k / fineBins));
    edges.set(index, fine);
    column.fine = new Float64Array(distinct(fine).length + 1);
    column.fineSums = new Float64Array(column.fine.length);
  }
  if (edges.size > 0) {
    let seenHeader = false;
    const distinctEdges = new Map([...edges].map(([i, e]) => [i, distinct(e)]));
    for await (const line of lines()) {
      if (line.trim().length === 0) continue;
      if (!seenHeader) { seenHeader = true; continue; }
      const fields = splitCsvLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (fields.length !== header.length) continue;
      for (const [index, e] of distinctEdges) {
        const raw = fields[index];
        if (isMissing(raw)) continue;
        const x = toNumber(raw);
        if (x === undefined) continue;
        const bin = binIndex(e, x);
        columns[index].fine![bin]++;
        columns[index].fineSums![bin] += x;
      }
    }
  }

  const summarize = (index: number): FeatureBaseline => {
    const column = columns[index];
    return column.type === 'numeric' && column.count > 0
      ? numericBaseline(column, edges.get(index)!, fineBins / psiBins, rawLimit)
      : categoricalBaseline(column, maxCategories);
  };
  const baseline: Baseline = {
    format: 'cdk-mlops/drift-baseline',
    schemaVersion: BASELINE_SCHEMA_VERSION,
    createdAt: options.createdAt ?? new Date().toISOString(),
    ...(options.source ? { source: options.source } : {}),
    rows,
    ...(label ? { label } : {}),
    features: featureNames.map((name) => summarize(byName.get(name)!)),
    ...(predictionColumn ? { prediction: summarize(byName.get(predictionColumn)!) } : {}),
    settings: { fineBins, psiBins, maxCategories, rawLimit },
  };
  const nonNumeric = chosen.reduce((n, i) => n + columns[i].nonNumeric, 0);
  return { baseline, problems: { columnCount, nonNumeric } };
}

function declaredType(name: string, options: BaselineOptions): FeatureType | undefined {
  const schema = options.schema;
  if (!schema) return undefined;
  if (name === (options.prediction ?? schema.prediction)) return schema.predictionType;
  return schema.features.find((f) => f.name === name)?.type;
}

function numericBaseline(column: ColumnSummary, fine: number[], step: number, rawLimit: number): NumericBaseline {
  const edges = distinct(fine);
  const psiEdges = distinct(fine.filter((_, k) => (k + 1) % step === 0));
  const counts = Array.from(column.fine!);
  const { mean, std } = column.stats();
  const total = column.count + column.missing;
  return {
    name: column.name,
    type: 'numeric',
    count: column.count,
    missing: column.missing,
    missingRate: total > 0 ? column.missing / total : 0,
    min: column.min,
    max: column.max,
    mean,
    std,
    edges,
    counts,
    sums: Array.from(column.fineSums!),
    psiEdges,
    psiCounts: coarsen(counts, fineToCoarse(edges, psiEdges), psiEdges.length + 1),
    ...(column.count <= rawLimit && !column.sampled ? { values: Array.from(column.sortedSample()) } : {}),
  };
}

function categoricalBaseline(column: ColumnSummary, maxCategories: number): CategoricalBaseline {
  const ranked = [...column.categories].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = ranked.slice(0, maxCategories);
  const rest = ranked.slice(maxCategories);
  const total = column.count + column.missing;
  return {
    name: column.name,
    type: 'categorical',
    count: column.count,
    missing: column.missing,
    missingRate: total > 0 ? column.missing / total : 0,
    categories: kept.map(([c]) => c),
    counts: [...kept.map(([, n]) => n), rest.reduce((n, [, c]) => n + c, 0) + column.untracked],
    otherValues: rest.slice(0, MAX_OTHER_VALUES).map(([c]) => c),
    otherValuesComplete: rest.length <= MAX_OTHER_VALUES && column.untracked === 0,
  };
}

/** Reads and checks a baseline JSON document. */
export function parseBaseline(text: string, source = 'baseline'): Baseline {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not JSON: ${(e as Error).message}`);
  }
  if (doc?.format !== 'cdk-mlops/drift-baseline') throw new Error(`${source} is not a cdk-mlops drift baseline (format '${doc?.format}')`);
  if (doc.schemaVersion !== BASELINE_SCHEMA_VERSION) {
    throw new Error(`${source} has schemaVersion ${doc.schemaVersion}; this detector reads ${BASELINE_SCHEMA_VERSION}: rebuild the baseline`);
  }
  if (!Array.isArray(doc.features) || doc.features.length === 0) throw new Error(`${source} has no features`);
  return doc as Baseline;
}
