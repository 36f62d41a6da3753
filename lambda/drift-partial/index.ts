import { S3Client } from '@aws-sdk/client-s3';
import { BatchItem, partialKey } from '../drift-core/plan';
import { countObjects } from '../drift-core/run';
import { loadBaseline, putJson } from '../drift-core/s3';

const s3 = new S3Client({});

export interface PartialResult {
  readonly batchIndex: number;
  readonly partialKey: string;
  readonly records: number;
  readonly rows: number;
  readonly malformed: number;
}

/**
 * A Distributed Map worker: counts one batch of capture objects on the baseline's bins and writes
 * the partial counts to the work area under a key fixed by the batch index, so a retried or
 * duplicated invocation overwrites the same object. Raw values are not kept: a window that fans
 * out is far larger than the raw limit, and the partials stay small.
 */
export async function handler(item: BatchItem): Promise<PartialResult> {
  if (!item || !Array.isArray(item.keys) || !Number.isInteger(item.batchIndex) || !item.partials || !item.baseline || !item.window
    || (item.untimedElsewhere !== undefined && !(Array.isArray(item.untimedElsewhere)
      && item.untimedElsewhere.every((i) => Number.isInteger(i) && i >= 0 && i < item.keys.length)))) {
    throw new Error(`not a drift batch item: ${JSON.stringify(item)?.slice(0, 300)}`);
  }
  const baseline = await loadBaseline(s3, item.baseline);
  const accumulator = await countObjects(s3, baseline, item.bucket, item.keys, item.window, 0, new Set((item.untimedElsewhere ?? []).map((i) => item.keys[i])));
  const partial = accumulator.toPartial();
  const key = partialKey(item.partials.prefix, item.batchIndex);
  await putJson(s3, { bucket: item.partials.bucket, key }, partial);
  const malformed = Object.values(partial.malformed).reduce((a, b) => a + b, 0);
  return { batchIndex: item.batchIndex, partialKey: key, records: partial.records, rows: partial.rows, malformed };
}
