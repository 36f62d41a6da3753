/** Moving files between moto's S3 and local folders, as SageMaker moves a job's inputs and outputs. */
import * as fs from 'fs';
import * as path from 'path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/** Every object under the prefix of `uri` (S3Prefix semantics), written below `dir` by the key after the prefix. */
export async function downloadPrefix(s3: S3Client, uri: string, dir: string): Promise<string[]> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key && !object.Key.endsWith('/')) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  for (const key of keys) {
    // A prefix that is a whole key (a script) lands as its file name, as SageMaker does.
    const relative = key === prefix ? path.basename(key) : key.slice(prefix.length).replace(/^\//, '');
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, await getBytes(s3, bucket, key));
  }
  return keys;
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

export async function putBytes(s3: S3Client, bucket: string, key: string, body: Buffer | string, contentType?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

/** Every file below `dir`, uploaded under the prefix of `uri`; returns the keys. */
export async function uploadDir(s3: S3Client, dir: string, uri: string): Promise<string[]> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  const root = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const keys: string[] = [];
  for (const file of filesBelow(dir)) {
    const key = root + path.relative(dir, file).split(path.sep).join('/');
    await putBytes(s3, bucket, key, fs.readFileSync(file));
    keys.push(key);
  }
  return keys;
}

export function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesBelow(full) : entry.isFile() ? [full] : [];
  });
}
