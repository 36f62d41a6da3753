import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildBaseline, BaselineOptions, parseBaseline } from '../drift-core/baseline';
import { lines } from '../drift-core/lines';
import { getText, putJson, S3Location } from '../drift-core/s3';
import { FeatureSchema } from '../drift-core/types';
import { isMissing, splitCsvLine, toNumber } from '../drift-core/values';

const s3 = new S3Client({});

export interface BaselineEvent {
  /** The training split: a CSV with a header row, or without one when `columns` names them. */
  readonly train: S3Location;
  /**
   * The names of a header-less CSV's columns, in order (e.g. the label first, as SageMaker's
   * built-in XGBoost reads it); they are read as its header row.
   */
  readonly columns?: string[];
  /** Where the baseline JSON goes (next to the model artifact). */
  readonly output: S3Location;
  readonly schema?: FeatureSchema;
  readonly label?: string;
  readonly prediction?: string;
  readonly maxCategories?: number;
}

/** Makes a run's baseline the served model's: the pipeline's step after a deployment. */
export interface PromoteEvent {
  readonly promote: { readonly from: S3Location; readonly to: S3Location };
}

/**
 * Copies a baseline to the key the drift monitor reads, after checking that it is one. A GET and
 * a PUT rather than CopyObject: CopySource must be URL-encoded, and execution names (part of the
 * run's key) may hold '+' and other characters that S3 would decode otherwise. The PUT carries no
 * encryption headers, so the object takes the bucket's default encryption (the lake's key).
 */
export async function promote(event: PromoteEvent): Promise<{ currentUri: string; sourceUri: string }> {
  const { from, to } = event.promote ?? ({} as PromoteEvent['promote']);
  if (!from?.bucket || !from.key || !to?.bucket || !to.key) {
    throw new Error('"promote" needs "from": {"bucket", "key"} and "to": {"bucket", "key"}');
  }
  const sourceUri = `s3://${from.bucket}/${from.key}`;
  const text = await getText(s3, from);
  parseBaseline(text, sourceUri);
  await s3.send(new PutObjectCommand({ Bucket: to.bucket, Key: to.key, Body: text, ContentType: 'application/json' }));
  return { currentUri: `s3://${to.bucket}/${to.key}`, sourceUri };
}

/** A `BaselineEvent` computes a baseline; a `PromoteEvent` makes one the served model's. */
export async function handler(event: BaselineEvent | PromoteEvent): Promise<unknown> {
  if ('promote' in (event ?? {})) return promote(event as PromoteEvent);
  return compute(event as BaselineEvent);
}

/**
 * Computes the drift baseline of a training CSV with the detector's own code and writes it to S3.
 * The CSV is streamed twice (two GETs: types and quantiles first, then the fixed bins), so memory
 * stays bounded; time grows with the file (see bench/RESULTS.md for the rate).
 */
async function compute(event: BaselineEvent): Promise<{ baselineUri: string; rows: number; features: number; problems: { columnCount: number; nonNumeric: number } }> {
  if (!event?.train?.bucket || !event.train.key || !event.output?.bucket || !event.output.key) {
    throw new Error('the event needs "train": {"bucket", "key"} and "output": {"bucket", "key"}');
  }
  const columns = event.columns;
  if (columns !== undefined && (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c.length === 0))) {
    throw new Error('"columns" must be a non-empty list of column names');
  }
  const source = `s3://${event.train.bucket}/${event.train.key}`;
  const read = async function* () {
    const response = await s3.send(new GetObjectCommand({ Bucket: event.train.bucket, Key: event.train.key }));
    if (!response.Body) throw new Error(`${source} has no body`);
    if (columns) yield columns.map(csvField).join(',');
    let first = true;
    for await (const line of lines(response.Body as AsyncIterable<Uint8Array>)) {
      if (first && line.trim().length > 0) {
        first = false;
        if (!columns && looksLikeData(line)) {
          throw new Error(`the first line of ${source} is all numbers, so it is data, not a header row: `
            + 'give the baseline a FeatureSchema that names the columns (TrainingDataLayout.LABEL_FIRST_NO_HEADER for label-first splits without a header)');
        }
        if (columns && sameNames(line, columns)) {
          throw new Error(`the first line of ${source} names the columns, but the schema says the split has no header row: use TrainingDataLayout.HEADER_ROW`);
        }
      }
      yield line;
    }
  };
  const options: BaselineOptions = {
    schema: event.schema,
    label: event.label,
    prediction: event.prediction,
    maxCategories: event.maxCategories,
    source,
  };
  const { baseline, problems } = await buildBaseline(read, options);
  // A schema that does not fit the split skips most rows: a baseline of the few left would mislead the detector.
  if (baseline.rows === 0 || problems.columnCount > baseline.rows) {
    throw new Error(`${source}: ${problems.columnCount} rows have another number of columns than its header (or the schema's columns) names `
      + `and only ${baseline.rows} fit; make the baseline's FeatureSchema (names, label, layout) match the split`);
  }
  await putJson(s3, event.output, baseline);
  if (problems.columnCount + problems.nonNumeric > 0) console.warn(JSON.stringify({ message: 'training rows or values skipped', problems }));
  return { baselineUri: `s3://${event.output.bucket}/${event.output.key}`, rows: baseline.rows, features: baseline.features.length, problems };
}

/** A name as a CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(name: string): string {
  return /[",\r\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

/** A header row names columns: one whose every field is a number (or empty) is a data row. */
function looksLikeData(line: string): boolean {
  const fields = splitCsvLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  return fields.some((f) => !isMissing(f.trim())) && fields.every((f) => isMissing(f.trim()) || toNumber(f.trim()) !== undefined);
}

/** Whether a line is a header row naming exactly these columns. */
function sameNames(line: string, columns: string[]): boolean {
  const fields = splitCsvLine(line.endsWith('\r') ? line.slice(0, -1) : line).map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f).trim());
  return fields.length === columns.length && fields.every((f, i) => f === columns[i]);
}
