/** Counting a list of capture objects of a window into one accumulator (the single path and each worker). */
import { S3Client } from '@aws-sdk/client-s3';
import { DriftAccumulator } from './accumulator';
import { eachLimited, forEachObjectLine } from './s3';
import { Baseline, Window } from './types';

/** Objects read at once: enough to hide S3's first-byte latency, few enough to keep memory flat. */
export const READ_CONCURRENCY = 4;

/**
 * Counts the objects' records of the window. `untimedElsewhere`: keys whose lines without a time
 * another window counts (see `ownsUntimedLines`); they are outside this one.
 */
export async function countObjects(s3: S3Client, baseline: Baseline, bucket: string, keys: string[], window: Window,
  rawLimit: number, untimedElsewhere: ReadonlySet<string> = new Set()): Promise<DriftAccumulator> {
  const range = { startMs: Date.parse(window.start), endMs: Date.parse(window.end) };
  const accumulator = new DriftAccumulator(baseline, { rawLimit, window: range });
  await eachLimited(keys, READ_CONCURRENCY, async (key) => {
    const source = `s3://${bucket}/${key}`;
    const owns = !untimedElsewhere.has(key);
    const { bytes } = await forEachObjectLine(s3, bucket, key, (line, n) => accumulator.addLine(line, source, n, owns));
    accumulator.addObject(bytes);
  });
  return accumulator;
}
