import { S3Client } from '@aws-sdk/client-s3';
import { mergePartials, PartialCounts } from '../drift-core/accumulator';
import { driftConfig } from '../drift-core/config';
import { partialKey } from '../drift-core/plan';
import { publishReport, reportForState } from '../drift-core/publish';
import { driftReport } from '../drift-core/report';
import { eachLimited, getText, listObjects, loadBaseline } from '../drift-core/s3';
import { DriftReport } from '../drift-core/types';
import type { DetectResult } from '../drift-detect';

const s3 = new S3Client({});

/** Some batches of the window have no partial counts (yet): retry, or look for a failed worker. */
export class PartialsMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartialsMissingError';
  }
}

type FanoutResult = Extract<DetectResult, { mode: 'fanout' }>;

/** Merges a fanned-out window's partial counts, computes its drift report and publishes its metrics. */
export async function handler(event: FanoutResult): Promise<{ mode: 'complete'; report: DriftReport }> {
  if (event?.mode !== 'fanout' || !Number.isInteger(event.batchCount) || !event.partials) {
    throw new Error(`not a drift-detect fanout result: ${JSON.stringify(event)?.slice(0, 300)}`);
  }
  const config = driftConfig({ endpointName: event.endpointName, variantName: event.variantName, baseline: event.baseline });
  const baseline = await loadBaseline(s3, event.baseline);
  // Listed first: without s3:ListBucket a missing key reads as AccessDenied, not NoSuchKey, and a
  // listing tells every missing batch at once. S3 lists a new object as soon as its PUT returns.
  const present = new Set((await listObjects(s3, event.partials.bucket, [event.partials.prefix])).map((o) => o.key));
  const keys = Array.from({ length: event.batchCount }, (_, i) => partialKey(event.partials.prefix, i));
  const missing = keys.map((key, i) => (present.has(key) ? -1 : i)).filter((i) => i >= 0);
  if (missing.length > 0) {
    throw new PartialsMissingError(`${missing.length} of ${event.batchCount} partial counts missing under s3://${event.partials.bucket}/${event.partials.prefix} (batches ${missing.slice(0, 10).join(', ')})`);
  }
  let total = mergePartials(baseline, [], 0);
  await eachLimited(keys, 8, async (key) => {
    const part: PartialCounts = JSON.parse(await getText(s3, { bucket: event.partials.bucket, key }));
    // Merged one at a time, so memory holds the running total and the partials being read.
    total = mergePartials(baseline, [total, part], 0);
  });
  const report = driftReport(baseline, total, {
    endpointName: event.endpointName,
    variantName: event.variantName,
    window: event.window,
    thresholds: config.thresholds,
  });
  await publishReport(s3, config, report, Date.parse(event.window.end));
  return { mode: 'complete', report: reportForState(report) };
}
