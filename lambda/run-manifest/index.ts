import { ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildManifest, InputListing, ManifestEvent } from './manifest';

/** Inputs beyond this many objects per prefix are summarized as truncated, keeping the manifest small. */
export const MAX_OBJECTS_PER_INPUT = 5000;

const s3 = new S3Client({});

/**
 * Writes the run manifest of one pipeline execution to the artifacts zone and returns its URI.
 */
export async function handler(event: ManifestEvent): Promise<{ manifestUri: string; inputObjects: number; problems: string[] }> {
  const problems: string[] = [];
  const startTime = typeof event.execution?.startTime === 'string' ? new Date(event.execution.startTime) : undefined;
  const asOf = startTime && !isNaN(startTime.getTime()) ? startTime : undefined;
  const listings = await Promise.all((event.inputs ?? []).map((input) => listInputVersions(input.bucket, input.prefix, asOf, problems)));
  const manifest = buildManifest(event, listings, problems);
  await s3.send(new PutObjectCommand({
    Bucket: event.manifestBucket,
    Key: event.manifestKey,
    Body: JSON.stringify(manifest, null, 2),
    ContentType: 'application/json',
  }));
  if (problems.length > 0) console.warn(JSON.stringify({ message: 'run manifest written with problems', problems }));
  return {
    manifestUri: `s3://${event.manifestBucket}/${event.manifestKey}`,
    inputObjects: listings.reduce((n, l) => n + l.objects.length, 0),
    problems,
  };
}

/**
 * The version of every object under a prefix as it was when the run started (`asOf`), so that
 * objects written while the run trained are not taken for its inputs; without `asOf`, the
 * current versions. S3 lists each key's versions and delete markers newest first.
 */
async function listInputVersions(bucket: string, prefix: string, asOf: Date | undefined, problems: string[]): Promise<InputListing> {
  const objects: InputListing['objects'] = [];
  const decided = new Set<string>();
  const existed = (time: Date | undefined) => !asOf || !time || time <= asOf;
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    // The newest delete marker of each key that existed at the start: the object was gone then if it is newer than the version.
    const deletedAt = new Map<string, Date>();
    for (const marker of page.DeleteMarkers ?? []) {
      if (!marker.Key || !marker.LastModified || !existed(marker.LastModified)) continue;
      if (!asOf && !marker.IsLatest) continue;
      const known = deletedAt.get(marker.Key);
      if (!known || marker.LastModified > known) deletedAt.set(marker.Key, marker.LastModified);
    }
    for (const version of page.Versions ?? []) {
      const candidate = asOf ? existed(version.LastModified) : version.IsLatest;
      if (!candidate || (version.Key && decided.has(version.Key))) continue;
      if (!version.Key || !version.VersionId) {
        problems.push(`object version without key or version id skipped under s3://${bucket}/${prefix}`);
        continue;
      }
      decided.add(version.Key);
      const deleted = deletedAt.get(version.Key);
      if (deleted && (!version.LastModified || deleted > version.LastModified)) continue;
      if (objects.length === MAX_OBJECTS_PER_INPUT) {
        return { prefixUri: `s3://${bucket}/${prefix}`, objects, truncated: true };
      }
      objects.push({
        uri: `s3://${bucket}/${version.Key}`,
        versionId: version.VersionId,
        etag: version.ETag,
        size: version.Size,
        lastModified: version.LastModified?.toISOString(),
      });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return { prefixUri: `s3://${bucket}/${prefix}`, objects, truncated: false };
}
