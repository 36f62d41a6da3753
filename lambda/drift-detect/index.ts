import { S3Client } from '@aws-sdk/client-s3';
import { DriftEvent, driftConfig, requireBaseline, requireCapture } from '../drift-core/config';
import { batches, BatchItem, fitsOneInvocation } from '../drift-core/plan';
import { publishReport, reportForState } from '../drift-core/publish';
import { driftReport } from '../drift-core/report';
import { countObjects } from '../drift-core/run';
import { listObjects, loadBaseline, putJson, S3Location } from '../drift-core/s3';
import { DriftReport, Window } from '../drift-core/types';
import { captureBase, captureFolders, mayHoldWindow, ownsUntimedLines, resolveWindow, runId } from '../drift-core/window';

/** Raw values kept per feature on the single path (exact KS and Wasserstein on windows this small). */
export const RAW_LIMIT = 5000;

const s3 = new S3Client({});

export type DetectResult =
  | { readonly mode: 'complete'; readonly report: DriftReport }
  | {
    readonly mode: 'fanout';
    readonly runId: string;
    readonly endpointName: string;
    readonly variantName: string;
    readonly window: Window;
    readonly baseline: S3Location;
    readonly items: S3Location;
    readonly batchCount: number;
    readonly objectCount: number;
    readonly bytes: number;
    readonly partials: { readonly bucket: string; readonly prefix: string };
  };

/**
 * Plans a drift window over an endpoint variant's capture: counts it here when it is small
 * (SINGLE_INVOCATION_MAX_OBJECTS / _BYTES), else writes the batches for a Distributed Map.
 */
export async function handler(event: DriftEvent = {}): Promise<DetectResult> {
  const config = driftConfig(event);
  const baselineLocation = requireBaseline(config);
  requireCapture(config);
  const resolved = resolveWindow(event, config.windowMinutes, config.lagMinutes);
  const window = { start: resolved.start.toISOString(), end: resolved.end.toISOString() };
  const prefixes = captureFolders(captureBase(config.capturePrefix, config.endpointName, config.variantName), resolved, config.lagMinutes);
  // Read first, so a missing or unreadable baseline fails the run before any work is planned.
  const baseline = await loadBaseline(s3, baselineLocation);
  const objects = (await listObjects(s3, config.captureBucket, prefixes)).filter((o) => mayHoldWindow(o, resolved, config.lagMinutes));
  const untimedElsewhere = new Set(objects.filter((o) => !ownsUntimedLines(o, resolved, config.lagMinutes)).map((o) => o.key));
  const context = { endpointName: config.endpointName, variantName: config.variantName, window, thresholds: config.thresholds };

  if (fitsOneInvocation(objects, config.singleMaxObjects, config.singleMaxBytes)) {
    const accumulator = await countObjects(s3, baseline, config.captureBucket, objects.map((o) => o.key), window, RAW_LIMIT, untimedElsewhere);
    const report = driftReport(baseline, accumulator.toPartial(), context);
    await publishReport(s3, config, report, resolved.end.getTime());
    return { mode: 'complete', report: reportForState(report) };
  }

  if (!config.workBucket) throw new Error('the window needs a fan-out but WORK_BUCKET is not set');
  const id = runId(config.endpointName, config.variantName, resolved);
  const partials = { bucket: config.workBucket, prefix: `${config.workPrefix}${id}/partials/` };
  const items: BatchItem[] = batches(objects, config.batchMaxObjects, config.batchMaxBytes).map((batch, batchIndex) => ({
    runId: id,
    batchIndex,
    bucket: config.captureBucket,
    keys: batch.map((o) => o.key),
    ...elsewhereOf(batch.flatMap((o, i) => (untimedElsewhere.has(o.key) ? [i] : []))),
    window,
    endpointName: config.endpointName,
    variantName: config.variantName,
    baseline: baselineLocation,
    partials,
  }));
  const itemsLocation = { bucket: config.workBucket, key: `${config.workPrefix}${id}/items.json` };
  await putJson(s3, itemsLocation, items);
  console.log(JSON.stringify({ message: 'drift window fans out', runId: id, objects: objects.length, batches: items.length }));
  return {
    mode: 'fanout',
    runId: id,
    endpointName: config.endpointName,
    variantName: config.variantName,
    window,
    baseline: baselineLocation,
    items: itemsLocation,
    batchCount: items.length,
    objectCount: objects.length,
    bytes: objects.reduce((n, o) => n + o.size, 0),
    partials,
  };
}

function elsewhereOf(positions: number[]): { untimedElsewhere?: number[] } {
  return positions.length > 0 ? { untimedElsewhere: positions } : {};
}
