/** S3 access of the handlers: listing a window's capture objects and streaming their lines. */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseBaseline } from './baseline';
import { forEachLine } from './lines';
import { Baseline } from './types';

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** When S3 received the object (epoch milliseconds), when the listing says. */
  readonly lastModified?: number;
}

/** Every object under the prefixes (paginated), empty objects left out; in key order per prefix. */
export async function listObjects(s3: S3Client, bucket: string, prefixes: string[]): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key && !o.Key.endsWith('/') && (o.Size ?? 0) > 0) {
          const modified = o.LastModified ? new Date(o.LastModified).getTime() : NaN;
          out.push({ key: o.Key, size: o.Size ?? 0, ...(Number.isFinite(modified) ? { lastModified: modified } : {}) });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return out;
}

/**
 * Calls onLine for every line of an object, streaming its body. A body that fails mid-stream
 * throws (lines already counted cannot be told apart), so the invocation fails and is retried whole.
 */
export async function forEachObjectLine(s3: S3Client, bucket: string, key: string, onLine: (line: string, n: number) => void): Promise<{ lines: number; bytes: number }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!response.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  const lines = await forEachLine(response.Body as AsyncIterable<Uint8Array>, onLine);
  return { lines, bytes: response.ContentLength ?? 0 };
}

export async function getText(s3: S3Client, location: S3Location): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  if (!response.Body) throw new Error(`s3://${location.bucket}/${location.key} has no body`);
  return response.Body.transformToString('utf8');
}

export async function putJson(s3: S3Client, location: S3Location, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({
    Bucket: location.bucket,
    Key: location.key,
    Body: JSON.stringify(value),
    ContentType: 'application/json',
  }));
}

export async function loadBaseline(s3: S3Client, location: S3Location): Promise<Baseline> {
  return parseBaseline(await getText(s3, location), `s3://${location.bucket}/${location.key}`);
}

/** Runs tasks with at most `limit` in flight, in order of the list. */
export async function eachLimited<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
