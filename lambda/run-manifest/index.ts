import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { listInputVersions, MAX_OBJECTS_PER_INPUT } from './listing';
import { buildManifest, inputsAsOf, ManifestEvent } from './manifest';

export { MAX_OBJECTS_PER_INPUT };

/**
 * The SDK retries throttling (S3's 503 SlowDown) and 5xx errors with backoff; more attempts than
 * its default of 3 ride out a burst of runs listing the same prefix.
 */
export const S3_MAX_ATTEMPTS = 6;

const s3 = new S3Client({ maxAttempts: S3_MAX_ATTEMPTS });

/**
 * Writes the run manifest of one pipeline execution to the artifacts zone and returns its URI.
 */
export async function handler(event: ManifestEvent): Promise<{ manifestUri: string; inputObjects: number; problems: string[] }> {
  const problems: string[] = [];
  const asOf = inputsAsOf(event, problems);
  const time = asOf.time ? new Date(asOf.time) : undefined;
  const listings = await Promise.all((event.inputs ?? []).map((input) => listInputVersions(s3, input.bucket, input.prefix, time, problems)));
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
