import { ListObjectVersionsCommand, ListObjectVersionsCommandInput, ListObjectVersionsCommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { InputListing, InputObject } from './manifest';

/** Inputs beyond this many objects per prefix are summarized as truncated, keeping the manifest small. */
export const MAX_OBJECTS_PER_INPUT = 5000;

/** One version or delete marker of a key, as ListObjectVersions returns it. */
interface Entry {
  readonly key?: string;
  readonly versionId?: string;
  readonly lastModified?: Date;
  readonly isLatest: boolean;
  readonly deleteMarker: boolean;
  readonly etag?: string;
  readonly size?: number;
}

/**
 * The version of every object under a prefix as it was at `asOf` (when the job read the data), so
 * that objects written or deleted later are not taken for the run's inputs; without `asOf`, the
 * current versions.
 *
 * S3 lists keys in UTF-8 binary order and each key's versions and delete markers newest first,
 * but returns versions and markers in two separate arrays, and a key's entries may continue on
 * the next page. So a page's entries are merged back into one order, and a key is decided by its
 * first entry that existed at `asOf` whatever page it is on: a version means the object was
 * there, a delete marker that it was not. Entries after the deciding one are older and ignored.
 */
export async function listInputVersions(s3: S3Client, bucket: string, prefix: string, asOf: Date | undefined, problems: string[]): Promise<InputListing> {
  const prefixUri = `s3://${bucket}/${prefix}`;
  const objects: InputObject[] = [];
  const decided = new Set<string>();
  const decides = (entry: Entry) => asOf
    ? !entry.lastModified || entry.lastModified <= asOf
    : entry.isLatest;
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await listPage(s3, { Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }, prefixUri);
    for (const entry of pageEntries(page)) {
      if (entry.key !== undefined && decided.has(entry.key)) continue;
      if (!decides(entry)) continue;
      if (entry.key === undefined || (!entry.deleteMarker && entry.versionId === undefined)) {
        problems.push(`${entry.deleteMarker ? 'delete marker' : 'object version'} without key or version id skipped under ${prefixUri}`);
        // A key whose deciding entry is unreadable is left out rather than listed with an older version.
        if (entry.key !== undefined) decided.add(entry.key);
        continue;
      }
      decided.add(entry.key);
      if (entry.deleteMarker) continue;
      if (objects.length === MAX_OBJECTS_PER_INPUT) return { prefixUri, objects, truncated: true };
      objects.push({
        uri: `s3://${bucket}/${entry.key}`,
        versionId: entry.versionId!,
        etag: entry.etag,
        size: entry.size,
        lastModified: entry.lastModified?.toISOString(),
      });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return { prefixUri, objects, truncated: false };
}

type Page = ListObjectVersionsCommandOutput;

/**
 * One page, through the client's own retries (throttling and 5xx are retried by the SDK). An
 * error that remains names the prefix and the attempts and keeps its name, so the Step Functions
 * error is still e.g. `SlowDown` or `AccessDenied`.
 */
async function listPage(s3: S3Client, input: ListObjectVersionsCommandInput, prefixUri: string): Promise<Page> {
  try {
    return await s3.send(new ListObjectVersionsCommand(input));
  } catch (e) {
    const error = e as Error & { $metadata?: { attempts?: number } };
    const attempts = error.$metadata?.attempts;
    const failure = new Error(`ListObjectVersions of ${prefixUri} failed${attempts ? ` after ${attempts} attempt(s)` : ''}: ${error.message}`);
    failure.name = error.name ?? 'Error';
    throw failure;
  }
}

/** A page's versions and delete markers in S3's own order: keys ascending, each key newest first. */
function pageEntries(page: Page): Entry[] {
  const entries: Entry[] = [
    ...(page.Versions ?? []).map((v) => ({
      key: v.Key, versionId: v.VersionId, lastModified: v.LastModified, isLatest: v.IsLatest === true, deleteMarker: false, etag: v.ETag, size: v.Size,
    })),
    ...(page.DeleteMarkers ?? []).map((m) => ({
      key: m.Key, versionId: m.VersionId, lastModified: m.LastModified, isLatest: m.IsLatest === true, deleteMarker: true,
    })),
  ];
  // Array.prototype.sort is stable: entries S3 sent in one array keep their order on ties.
  return entries.sort((a, b) => compareKeys(a.key, b.key) || newestFirst(a, b));
}

/** S3's key order: UTF-8 bytes, which differs from JavaScript's UTF-16 order above U+FFFF. */
function compareKeys(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Newest first by LastModified; on a tie (whole seconds), the latest entry first, then a delete
 * marker before a version: of two entries of one second, S3 says which is current, and otherwise
 * the object is not claimed as an input it may not have been.
 */
function newestFirst(a: Entry, b: Entry): number {
  const at = a.lastModified?.getTime();
  const bt = b.lastModified?.getTime();
  if (at !== undefined && bt !== undefined && at !== bt) return bt - at;
  if (a.isLatest !== b.isLatest) return a.isLatest ? -1 : 1;
  if (a.deleteMarker !== b.deleteMarker) return a.deleteMarker ? -1 : 1;
  return 0;
}
