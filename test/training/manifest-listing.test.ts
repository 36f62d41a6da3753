/**
 * The run manifest's input listing against an S3 that pages like the real one: versions and delete
 * markers of a key newest first, keys in UTF-8 order, MaxKeys counting both kinds, the two kinds
 * returned in separate arrays, and a key's entries continuing on the next page. And the time the
 * listing is taken as of: when the preprocessing (or training) job read the data.
 */
import { DeleteMarkerEntry, ListObjectVersionsCommand, ObjectVersion, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lambda/run-manifest';
import { ManifestEvent } from '../../lambda/run-manifest/manifest';

const s3 = mockClient(S3Client);
const BUCKET = 'lake-raw';
const PREFIX = 'churn/';
const EXECUTION_START = '2026-11-27T10:00:00.000Z';

/** What happened to one key, oldest first: a write (a new version) or a delete (a delete marker). */
interface Change { readonly at: string; readonly kind: 'put' | 'delete'; readonly id: string }
type History = Record<string, Change[]>;

/** The entries ListObjectVersions returns for a history: keys in UTF-8 byte order, each key newest first. */
function entriesOf(history: History): Array<{ kind: 'put' | 'delete'; entry: ObjectVersion & DeleteMarkerEntry }> {
  const keys = Object.keys(history).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return keys.flatMap((key) => [...history[key]].reverse().map((change, i) => ({
    kind: change.kind,
    entry: {
      Key: key, VersionId: change.id, IsLatest: i === 0, LastModified: new Date(change.at),
      ...(change.kind === 'put' ? { ETag: `"${change.id}"`, Size: 10 } : {}),
    },
  })));
}

/** Serves a history `pageSize` entries a page, resuming after the (KeyMarker, VersionIdMarker) of the last page. */
function serve(history: History, pageSize: number): void {
  const all = entriesOf(history);
  s3.on(ListObjectVersionsCommand).callsFake((input: { Bucket: string; Prefix: string; KeyMarker?: string; VersionIdMarker?: string }) => {
    expect([input.Bucket, input.Prefix]).toEqual([BUCKET, PREFIX]);
    const start = input.KeyMarker === undefined ? 0
      : all.findIndex((e) => e.entry.Key === input.KeyMarker && e.entry.VersionId === input.VersionIdMarker) + 1;
    if (input.KeyMarker !== undefined && start === 0) throw new Error(`unknown markers ${input.KeyMarker}/${input.VersionIdMarker}`);
    const page = all.slice(start, start + pageSize);
    const truncated = start + pageSize < all.length;
    const last = page[page.length - 1]?.entry;
    return {
      Versions: page.filter((e) => e.kind === 'put').map((e) => e.entry),
      DeleteMarkers: page.filter((e) => e.kind === 'delete').map((e) => e.entry),
      IsTruncated: truncated,
      NextKeyMarker: truncated ? last.Key : undefined,
      NextVersionIdMarker: truncated ? last.VersionId : undefined,
    };
  });
}

/** What the data was at `asOf` by the history itself: each key's last change by then, if a write. */
function truth(history: History, asOf: string): string[] {
  return Object.keys(history).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).flatMap((key) => {
    const last = history[key].filter((c) => c.at <= asOf).pop();
    return last?.kind === 'put' ? [`${key}#${last.id}`] : [];
  });
}

function event(run: Record<string, unknown>, startTime: string = EXECUTION_START): ManifestEvent {
  return {
    manifestBucket: 'lake-artifacts', manifestKey: 'runs/exec-1/manifest.json',
    inputs: [{ bucket: BUCKET, prefix: PREFIX }],
    execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:p:exec-1', startTime },
    run: { outcome: { status: 'REGISTERED' }, training: { TrainingJobName: 't' }, ...run },
  };
}

function written(): any {
  const puts = s3.commandCalls(PutObjectCommand);
  expect(puts).toHaveLength(1);
  return JSON.parse(puts[0].args[0].input.Body as string);
}

function listed(): string[] {
  return written().inputs[0].objects.map((o: any) => `${o.uri.replace(`s3://${BUCKET}/`, '')}#${o.versionId}`);
}

/** Times relative to the execution start (10:00), in minutes. */
const at = (minutes: number) => new Date(Date.parse(EXECUTION_START) + minutes * 60_000).toISOString();
const put = (minutes: number, id: string): Change => ({ at: at(minutes), kind: 'put', id });
const del = (minutes: number, id: string): Change => ({ at: at(minutes), kind: 'delete', id });

/** Every case of a key's history around the read time (10:20 here). */
const HISTORY: History = {
  'churn/deleted-before.csv': [put(-60, 'a1'), del(-30, 'a-del')], // gone when read
  'churn/deleted-after.csv': [put(-60, 'b1'), del(40, 'b-del')], // there when read
  'churn/recreated.csv': [put(-60, 'c1'), del(-30, 'c-del'), put(10, 'c2')], // re-created before the read
  'churn/recreated-late.csv': [put(-60, 'd1'), del(-30, 'd-del'), put(30, 'd2')], // gone when read, back later
  'churn/overwritten.csv': [put(-60, 'e1'), put(-20, 'e2'), put(25, 'e3')],
  'churn/new-after.csv': [put(30, 'f1')],
  'churn/many-markers.csv': [put(-90, 'g1'), del(-80, 'g-del1'), del(-70, 'g-del2'), put(-60, 'g2'), del(-50, 'g-del3')],
  'churn/plain.csv': [put(-60, 'h1')],
};

// The handler warns with its problems; they are asserted on its result instead.
beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe('run-manifest listing across pages', () => {
  beforeEach(() => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
  });

  test.each([1, 2, 3, 1000])('with %i entries a page, lists exactly what was there when the preprocessing job read it', async (pageSize) => {
    serve(HISTORY, pageSize);
    await handler(event({ preprocessing: { ProcessingJobName: 'p', ProcessingStartTime: Date.parse(at(20)) / 1000 } }));
    expect(listed()).toEqual(truth(HISTORY, at(20)));
    // The case the fix is for: the marker on one page, the version it hides on the next.
    expect(listed()).not.toContain('churn/deleted-before.csv#a1');
    expect(listed()).toEqual(expect.arrayContaining(['churn/deleted-after.csv#b1', 'churn/recreated.csv#c2', 'churn/overwritten.csv#e2']));
  });

  test.each([1, 2])('with %i entries a page and no time known, lists the current versions', async (pageSize) => {
    serve(HISTORY, pageSize);
    await handler({ ...event({}), execution: { id: 'exec-1' } });
    expect(listed()).toEqual(truth(HISTORY, '9999'));
    expect(written().inputsAsOf).toEqual({ source: 'current versions' });
  });

  test('a delete marker alone on the first page hides the version on the second', async () => {
    const history: History = { 'churn/a.csv': [put(-60, 'a1'), del(-30, 'a-del')] };
    serve(history, 1);
    await handler(event({}));
    expect(listed()).toEqual([]);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(2);
  });

  test('a version and a delete marker of the same second: the one S3 marks latest decides', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      IsTruncated: false,
      Versions: [
        { Key: 'churn/a.csv', VersionId: 'a1', IsLatest: false, LastModified: new Date(at(-10)) },
        { Key: 'churn/b.csv', VersionId: 'b2', IsLatest: true, LastModified: new Date(at(-10)) },
      ],
      DeleteMarkers: [
        { Key: 'churn/a.csv', VersionId: 'a-del', IsLatest: true, LastModified: new Date(at(-10)) },
        { Key: 'churn/b.csv', VersionId: 'b-del', IsLatest: false, LastModified: new Date(at(-10)) },
      ],
    });
    await handler(event({}));
    expect(listed()).toEqual(['churn/b.csv#b2']);
  });

  test('keeps S3\'s key order (UTF-8 bytes), not JavaScript\'s (UTF-16), when merging a page', async () => {
    const history: History = { 'churn/\uFFFD.csv': [put(-60, 'x1')], 'churn/\u{1F600}.csv': [put(-60, 'y1'), del(-30, 'y-del')], 'churn/z.csv': [put(-60, 'z1')] };
    serve(history, 1000);
    await handler(event({}));
    expect(listed()).toEqual(['churn/z.csv#z1', 'churn/\uFFFD.csv#x1']);
  });

  test('a delete marker without a key is counted in problems and the rest is listed', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      IsTruncated: false,
      Versions: [{ Key: 'churn/a.csv', VersionId: 'a1', IsLatest: true, LastModified: new Date(at(-10)) }],
      DeleteMarkers: [{ VersionId: 'orphan', IsLatest: true, LastModified: new Date(at(-10)) }],
    });
    const result = await handler(event({}));
    expect(listed()).toEqual(['churn/a.csv#a1']);
    expect(result.problems).toEqual(['delete marker without key or version id skipped under s3://lake-raw/churn/']);
  });
});

describe('run-manifest inputs as of the read', () => {
  const history: History = {
    'churn/before-run.csv': [put(-10, 'a1')],
    'churn/during-queue.csv': [put(15, 'b1')], // after the execution started, before the job read
    'churn/during-job.csv': [put(45, 'c1')], // after the job read
  };

  beforeEach(() => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    serve(history, 2);
  });

  test('with preprocessing: as of ProcessingStartTime (epoch seconds), not the execution start', async () => {
    await handler(event({ preprocessing: { ProcessingStartTime: Date.parse(at(30)) / 1000 }, training: { TrainingStartTime: Date.parse(at(90)) / 1000 } }));
    expect(listed()).toEqual(['churn/before-run.csv#a1', 'churn/during-queue.csv#b1']);
    expect(written().inputsAsOf).toEqual({ time: at(30), source: 'preprocessing job start' });
  });

  test('without preprocessing: as of TrainingStartTime, in epoch milliseconds too', async () => {
    await handler(event({ training: { TrainingJobName: 't', TrainingStartTime: Date.parse(at(30)) } }));
    expect(listed()).toEqual(['churn/before-run.csv#a1', 'churn/during-queue.csv#b1']);
    expect(written().inputsAsOf).toEqual({ time: at(30), source: 'training job start' });
  });

  test('an ISO start time is taken as it is', async () => {
    await handler(event({ training: { TrainingJobName: 't', TrainingStartTime: at(50) } }));
    expect(listed()).toEqual(['churn/before-run.csv#a1', 'churn/during-job.csv#c1', 'churn/during-queue.csv#b1']);
  });

  test('a run that failed before its job started is listed as of the execution start', async () => {
    const result = await handler(event({ outcome: { status: 'FAILED', step: 'Preprocess' }, training: undefined }));
    expect(listed()).toEqual(['churn/before-run.csv#a1']);
    expect(written().inputsAsOf).toEqual({ time: EXECUTION_START, source: 'execution start' });
    expect(result.problems).toEqual(['run has no training result']);
  });

  test('a start time that is not a time is reported, and the execution start is used', async () => {
    const result = await handler(event({ preprocessing: { ProcessingStartTime: 'yesterday' } }));
    expect(listed()).toEqual(['churn/before-run.csv#a1']);
    expect(result.problems).toEqual(['ProcessingStartTime "yesterday" is not a time; inputs are listed as of the execution start']);
  });
});

describe('run-manifest error reporting', () => {
  beforeEach(() => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
  });

  test('an error the SDK gave up on names the prefix and the attempts, and keeps its name for Step Functions', async () => {
    const throttled = Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { attempts: 6 } });
    s3.on(ListObjectVersionsCommand).rejects(throttled);
    const failure = handler(event({}));
    await expect(failure).rejects.toThrow('ListObjectVersions of s3://lake-raw/churn/ failed after 6 attempt(s): Please reduce your request rate.');
    await expect(failure).rejects.toMatchObject({ name: 'SlowDown' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('a failure on a later page fails the listing: no manifest with half an input', async () => {
    serve({ 'churn/a.csv': [put(-10, 'a1')], 'churn/b.csv': [put(-10, 'b1')] }, 1);
    s3.on(ListObjectVersionsCommand, { KeyMarker: 'churn/a.csv' }).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(handler(event({}))).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
