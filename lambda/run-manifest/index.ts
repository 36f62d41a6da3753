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
  const listings = await Promise.all((event.inputs ?? []).map((input) => listCurrentVersions(input.bucket, input.prefix, problems)));
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

/** The current version of every object under a prefix, so the run's inputs can be fetched again exactly. */
async function listCurrentVersions(bucket: string, prefix: string, problems: string[]): Promise<InputListing> {
  const objects: InputListing['objects'] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const version of page.Versions ?? []) {
      if (!version.IsLatest) continue;
      if (!version.Key || !version.VersionId) {
        problems.push(`object version without key or version id skipped under s3://${bucket}/${prefix}`);
        continue;
      }
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
