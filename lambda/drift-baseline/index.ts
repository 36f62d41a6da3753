import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildBaseline, BaselineOptions } from '../drift-core/baseline';
import { lines } from '../drift-core/lines';
import { putJson, S3Location } from '../drift-core/s3';
import { FeatureSchema } from '../drift-core/types';

const s3 = new S3Client({});

export interface BaselineEvent {
  /** The training split, a CSV with a header row. */
  readonly train: S3Location;
  /** Where the baseline JSON goes (next to the model artifact). */
  readonly output: S3Location;
  readonly schema?: FeatureSchema;
  readonly label?: string;
  readonly prediction?: string;
  readonly maxCategories?: number;
}

/**
 * Computes the drift baseline of a training CSV with the detector's own code and writes it to S3.
 * The CSV is streamed twice (two GETs: types and quantiles first, then the fixed bins), so memory
 * stays bounded; time grows with the file (see bench/RESULTS.md for the rate).
 */
export async function handler(event: BaselineEvent): Promise<{ baselineUri: string; rows: number; features: number; problems: { columnCount: number; nonNumeric: number } }> {
  if (!event?.train?.bucket || !event.train.key || !event.output?.bucket || !event.output.key) {
    throw new Error('the event needs "train": {"bucket", "key"} and "output": {"bucket", "key"}');
  }
  const read = async function* () {
    const response = await s3.send(new GetObjectCommand({ Bucket: event.train.bucket, Key: event.train.key }));
    if (!response.Body) throw new Error(`s3://${event.train.bucket}/${event.train.key} has no body`);
    yield* lines(response.Body as AsyncIterable<Uint8Array>);
  };
  const options: BaselineOptions = {
    schema: event.schema,
    label: event.label,
    prediction: event.prediction,
    maxCategories: event.maxCategories,
    source: `s3://${event.train.bucket}/${event.train.key}`,
  };
  const { baseline, problems } = await buildBaseline(read, options);
  await putJson(s3, event.output, baseline);
  if (problems.columnCount + problems.nonNumeric > 0) console.warn(JSON.stringify({ message: 'training rows or values skipped', problems }));
  return { baselineUri: `s3://${event.output.bucket}/${event.output.key}`, rows: baseline.rows, features: baseline.features.length, problems };
}
