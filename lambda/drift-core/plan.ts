/** Whether a window runs in one invocation, and its fan-out batches when it does not. */
import { ListedObject, S3Location } from './s3';

export interface BatchItem {
  readonly runId: string;
  readonly batchIndex: number;
  readonly bucket: string;
  readonly keys: string[];
  /**
   * Positions in `keys` of the objects whose lines without a time another window counts (absent:
   * none). Positions, not the keys again: the item is a child execution's input, which Step
   * Functions caps at 256 KiB, and a batch of the objects near the window's start can be all such objects.
   */
  readonly untimedElsewhere?: number[];
  readonly window: { readonly start: string; readonly end: string };
  readonly endpointName: string;
  readonly variantName: string;
  readonly baseline: S3Location;
  readonly partials: { readonly bucket: string; readonly prefix: string };
}

export function fitsOneInvocation(objects: ListedObject[], maxObjects: number, maxBytes: number): boolean {
  return objects.length <= maxObjects && objects.reduce((n, o) => n + o.size, 0) <= maxBytes;
}

/**
 * The most bytes of keys one batch item carries (each as JSON, with its comma and its position in
 * `untimedElsewhere`): the item is a child execution's input, which Step Functions caps at 256 KiB,
 * and capture keys can be long (a DestinationS3Uri has up to 512 characters). The rest of an item
 * (names, window, locations) takes a few KiB.
 */
export const BATCH_MAX_KEY_BYTES = 240 * 1024;

/**
 * Consecutive objects packed into batches of at most maxObjects and maxBytes (an object larger
 * than maxBytes gets its own), and at most BATCH_MAX_KEY_BYTES of keys.
 */
export function batches(objects: ListedObject[], maxObjects: number, maxBytes: number): ListedObject[][] {
  const out: ListedObject[][] = [];
  let current: ListedObject[] = [];
  let bytes = 0;
  let keyBytes = 0;
  for (const o of objects) {
    const keyCost = Buffer.byteLength(JSON.stringify(o.key)) + 6;
    if (current.length > 0 && (current.length >= maxObjects || bytes + o.size > maxBytes || keyBytes + keyCost > BATCH_MAX_KEY_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
      keyBytes = 0;
    }
    current.push(o);
    bytes += o.size;
    keyBytes += keyCost;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function partialKey(prefix: string, batchIndex: number): string {
  return `${prefix}${String(batchIndex).padStart(6, '0')}.json`;
}
