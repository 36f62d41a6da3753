/**
 * The drift handlers against a mocked S3 (aws-sdk-client-mock) holding capture files: the single
 * invocation path, empty windows, the fan-out path (detect -> partial per batch -> merge), retries,
 * missing partials, metrics on stdout (EMF), and the baseline and model-quality jobs.
 */
import { execFileSync } from 'child_process';
import { Readable } from 'stream';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { handler as baselineHandler } from '../../lambda/drift-baseline';
import { buildBaseline } from '../../lambda/drift-core/baseline';
import { BatchItem } from '../../lambda/drift-core/plan';
import { CLOCK_SKEW_MS } from '../../lambda/drift-core/window';
import { DriftReport } from '../../lambda/drift-core/types';
import { handler as detect } from '../../lambda/drift-detect';
import { handler as merge, PartialsMissingError } from '../../lambda/drift-merge';
import { handler as partial } from '../../lambda/drift-partial';
import { handler as quality } from '../../lambda/drift-quality';

const s3 = mockClient(S3Client);
/** The fake bucket contents, by `bucket/key`. */
let objects: Map<string, Buffer>;
/** When S3 received an object (its LastModified), by `bucket/key`; objects without one are listed without it. */
let received: Map<string, Date>;
/** The listing shows only objects received by then (what a run at that time can see); undefined: every object. */
let listedAt: number | undefined;
/** When an object's upload completed, if later than its LastModified (S3 dates an upload when it starts, and lists it when it completes). */
let completed: Map<string, number> = new Map();
let listCalls: string[];

const CAPTURE = 'lake-capture';
const WORK = 'lake-artifacts';
const BASELINE_KEY = 'models/churn/v3/drift-baseline.json';
const PREFIX = 'endpoints/churn';
const BASE = `${PREFIX}/churn-prod/AllTraffic/`;
/** EventBridge's scheduled time; with the default 10-minute lag the window is [08:50, 09:50). */
const TIME = '2026-12-01T10:00:00Z';

/** Serves ListObjectsV2 (2 keys a page, so pagination is exercised), GetObject (7-byte chunks) and PutObject from `objects`. */
function serveS3(): void {
  s3.reset();
  listCalls = [];
  s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string; ContinuationToken?: string }) => {
    if (!input.ContinuationToken) listCalls.push(`${input.Bucket}/${input.Prefix}`);
    const keys = [...objects.keys()].filter((k) => k.startsWith(`${input.Bucket}/${input.Prefix}`))
      .filter((k) => listedAt === undefined || !received.has(k) || (completed.get(k) ?? received.get(k)!.getTime()) <= listedAt).sort()
      .map((k) => k.slice(input.Bucket.length + 1));
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + 2);
    const truncated = start + 2 < keys.length;
    return {
      Contents: page.map((Key) => ({ Key, Size: objects.get(`${input.Bucket}/${Key}`)!.length, LastModified: received.get(`${input.Bucket}/${Key}`) })),
      IsTruncated: truncated,
      NextContinuationToken: truncated ? String(start + 2) : undefined,
    };
  });
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const body = objects.get(`${input.Bucket}/${input.Key}`);
    if (!body) throw new NoSuchKey({ message: `no ${input.Key}`, $metadata: {} });
    const chunks = [];
    for (let i = 0; i < body.length; i += 7) chunks.push(body.subarray(i, i + 7));
    const stream = Readable.from(chunks) as Readable & { transformToString?: () => Promise<string> };
    stream.transformToString = async () => body.toString('utf8');
    return { Body: stream, ContentLength: body.length };
  });
  s3.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string }) => {
    objects.set(`${input.Bucket}/${input.Key}`, Buffer.from(input.Body));
    return {};
  });
}

function record(data: string, time: string, prediction = '0.5', eventId = 'e', inferenceId?: string): string {
  return JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data, encoding: 'CSV' },
      endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: prediction, encoding: 'CSV' },
    },
    eventMetadata: { eventId, ...(inferenceId ? { inferenceId } : {}), inferenceTime: time },
    eventVersion: '0',
  });
}

function put(bucket: string, key: string, lines: string[], receivedAt?: string): void {
  objects.set(`${bucket}/${key}`, Buffer.from(lines.join('\n') + '\n'));
  if (receivedAt) received.set(`${bucket}/${key}`, new Date(receivedAt));
}

/** `n` records in the given minute range of an hour folder, values drawn from a simple pattern. */
function captureFile(hour: string, fromMinute: number, n: number, shift = 0): string[] {
  return Array.from({ length: n }, (_, i) => {
    const minute = fromMinute + (i % 9);
    const time = `${hour}:${String(minute).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;
    return record(`${20 + ((i * 7) % 50) + shift},${['basic', 'pro', 'team'][i % 3]},${(i * 13) % 1000}`, time, String((i % 10) / 10), `ev-${hour}-${i}`);
  });
}

let stdout: string[];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const train = ['age,plan,income,score', ...Array.from({ length: 3000 }, (_, i) => `${20 + ((i * 11) % 50)},${['basic', 'pro', 'team'][i % 3]},${(i * 17) % 1000},${(i % 10) / 10}`)];
  const { baseline } = await buildBaseline(async function* () { yield* train; }, { prediction: 'score', createdAt: '2026-12-01T00:00:00Z' });
  baselineJson = JSON.stringify(baseline);
});
let baselineJson: string;

beforeEach(() => {
  env = { ...process.env };
  Object.assign(process.env, {
    ENDPOINT_NAME: 'churn-prod',
    CAPTURE_BUCKET: CAPTURE,
    CAPTURE_PREFIX: PREFIX,
    BASELINE_BUCKET: WORK,
    BASELINE_KEY,
    WORK_BUCKET: WORK,
    WORK_PREFIX: 'monitoring/churn/',
    MIN_ROWS: '50',
  });
  objects = new Map([[`${WORK}/${BASELINE_KEY}`, Buffer.from(baselineJson)]]);
  received = new Map();
  completed = new Map();
  listedAt = undefined;
  serveS3();
  stdout = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { stdout.push(String(chunk)); return true; });
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  process.env = env;
  jest.restoreAllMocks();
});

/** The EMF documents written to stdout. */
function emf(): any[] {
  return stdout.join('').trim().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

function metric(docs: any[], name: string, dimensions: Record<string, string>): number | undefined {
  const doc = docs.find((d) => d[name] !== undefined && Object.entries(dimensions).every(([k, v]) => d[k] === v)
    && d._aws.CloudWatchMetrics[0].Dimensions[0].length === Object.keys(dimensions).length);
  return doc?.[name];
}

describe('drift-detect, one invocation', () => {
  test('reads the hour folders of the window, keeps its records, and publishes metrics as EMF', async () => {
    // GIVEN capture files in the 08 and 09 hour folders, some records outside [08:50, 09:50), and every malformed kind
    put(CAPTURE, `${BASE}2026/12/01/08/a.jsonl`, captureFile('2026-12-01T08', 45, 90));
    put(CAPTURE, `${BASE}2026/12/01/09/b.jsonl`, [...captureFile('2026-12-01T09', 0, 60), '{"captureData":{"endpointInput"', record('1,pro', '2026-12-01T09:10:00Z')]);
    put(CAPTURE, `${BASE}2026/12/01/09/c.jsonl`, captureFile('2026-12-01T09', 49, 20));
    // AND a file of the 10 folder with the last record of the window (captured at 09:49:59.999, written after 10:00)
    put(CAPTURE, `${BASE}2026/12/01/10/late.jsonl`, [...captureFile('2026-12-01T10', 0, 10), record('33,pro,500', '2026-12-01T09:49:59.999Z')]);
    put(CAPTURE, `${BASE}2026/12/01/07/old.jsonl`, captureFile('2026-12-01T07', 0, 10));
    put(CAPTURE, `${BASE}2026/12/01/11/next.jsonl`, captureFile('2026-12-01T11', 0, 10));
    // WHEN the scheduled run starts
    const result = await detect({ time: TIME });
    // THEN the window is [08:50, 09:50), read from the folders of 08:40 (start - lag) to 10:00 (end + lag)
    expect(listCalls).toEqual([`${CAPTURE}/${BASE}2026/12/01/08/`, `${CAPTURE}/${BASE}2026/12/01/09/`, `${CAPTURE}/${BASE}2026/12/01/10/`]);
    expect(result.mode).toBe('complete');
    const report = (result as { report: DriftReport }).report;
    expect(report.window).toEqual({ start: '2026-12-01T08:50:00.000Z', end: '2026-12-01T09:50:00.000Z' });
    // Folder 08 minutes 45..53: the 50..53 ones are in; folder 09: all of b (0..8), c's 49 only.
    const in08 = captureFile('2026-12-01T08', 45, 90).filter((_, i) => 45 + (i % 9) >= 50).length;
    const in09c = captureFile('2026-12-01T09', 49, 20).filter((_, i) => 49 + (i % 9) < 50).length;
    expect(report.rows).toBe(in08 + 60 + in09c + 1);
    expect(report.outsideWindow).toBe(90 - in08 + 20 - in09c + 10);
    expect(report.objects).toBe(4);
    expect(report.malformed).toMatchObject({ truncatedJson: 1, columnCount: 1, total: 2 });
    expect(report.status).toBe('ok');
    // AND the metrics are EMF documents with the endpoint, variant and feature dimensions, timestamped at the window end
    const docs = emf();
    expect(docs.every((d) => d._aws.CloudWatchMetrics[0].Namespace === 'CdkMlops/Drift' && d._aws.Timestamp === Date.parse('2026-12-01T09:50:00Z'))).toBe(true);
    const age = report.features.find((f) => f.name === 'age')!;
    expect(metric(docs, 'PSI', { Endpoint: 'churn-prod', Variant: 'AllTraffic', Feature: 'age' })).toBe(age.psi);
    expect(metric(docs, 'KolmogorovSmirnov', { Endpoint: 'churn-prod', Variant: 'AllTraffic', Feature: 'age' })).toBe(age.ks);
    expect(metric(docs, 'ChiSquarePValue', { Endpoint: 'churn-prod', Variant: 'AllTraffic', Feature: 'plan' })).toBe(report.features[1].chiSquarePValue);
    expect(metric(docs, 'Rows', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(report.rows);
    expect(metric(docs, 'MaxPSI', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(Math.max(...report.features.map((f) => f.psi!)));
    expect(metric(docs, 'PredictionPSI', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(report.prediction!.psi);
    expect(metric(docs, 'MalformedLines', { Endpoint: 'churn-prod', Variant: 'AllTraffic', Kind: 'truncatedJson' })).toBe(1);
    expect(metric(docs, 'MalformedLines', { Endpoint: 'churn-prod', Variant: 'AllTraffic', Kind: 'emptyPayload' })).toBe(0);
    expect(metric(docs, 'TooFewRows', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(0);
    // AND the malformed lines are logged with a sample
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining('"truncatedJson":[{"source":"s3://lake-capture/endpoints/churn/churn-prod/AllTraffic/2026/12/01/09/b.jsonl","line":61'));
  });

  test('an empty window reports no data, still publishes row counts, and writes nothing', async () => {
    const result = await detect({ time: TIME });
    expect(result).toMatchObject({ mode: 'complete', report: { status: 'noData', rows: 0, records: 0, objects: 0 } });
    const docs = emf();
    expect(metric(docs, 'Rows', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(0);
    expect(metric(docs, 'TooFewRows', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(1);
    expect(docs.some((d) => d.PSI !== undefined)).toBe(false);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('fewer rows than MIN_ROWS reports too few rows and no statistics', async () => {
    put(CAPTURE, `${BASE}2026/12/01/09/b.jsonl`, captureFile('2026-12-01T09', 0, 49));
    const result = await detect({ time: TIME }) as { report: DriftReport };
    expect(result.report).toMatchObject({ status: 'tooFewRows', rows: 49, minRows: 50 });
    expect(result.report.features.every((f) => f.psi === undefined)).toBe(true);
    expect(metric(emf(), 'TooFewRows', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(1);
  });

  test('writes the report object when REPORT_PREFIX is set; events override the window and variant', async () => {
    process.env.REPORT_PREFIX = 'monitoring/churn/reports/';
    put(CAPTURE, `${PREFIX}/churn-prod/Canary/2026/12/01/05/a.jsonl`, captureFile('2026-12-01T05', 0, 60));
    const result = await detect({ windowEnd: '2026-12-01T06:00:00Z', windowMinutes: 120, variantName: 'Canary' }) as { report: DriftReport };
    expect(listCalls).toEqual(['03', '04', '05', '06'].map((h) => `${CAPTURE}/${PREFIX}/churn-prod/Canary/2026/12/01/${h}/`));
    expect(result.report.rows).toBe(60);
    const stored = JSON.parse(objects.get(`${WORK}/monitoring/churn/reports/churn-prod/Canary/2026-12-01T06-00-00.000Z.json`)!.toString());
    expect(stored).toEqual(result.report);
  });

  test('fails without a baseline location, naming what to set; a baseline of another version fails the run', async () => {
    delete process.env.BASELINE_KEY;
    await expect(detect({ time: TIME })).rejects.toThrow(/no baseline: set BASELINE_BUCKET and BASELINE_KEY or pass "baseline"/);
    process.env.BASELINE_KEY = BASELINE_KEY;
    objects.set(`${WORK}/${BASELINE_KEY}`, Buffer.from('{"format":"cdk-mlops/drift-baseline","schemaVersion":9,"features":[{}]}'));
    await expect(detect({ time: TIME })).rejects.toThrow(/schemaVersion 9; this detector reads 1/);
    process.env.WINDOW_MINUTES = 'sixty';
    await expect(detect({ time: TIME })).rejects.toThrow(/WINDOW_MINUTES must be a number of at least 1, got 'sixty'/);
  });
});

describe('drift-detect near hour boundaries', () => {
  /** The keys drift-detect read (GetObject) from the capture bucket. */
  const readKeys = () => s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input).filter((i) => i.Bucket === CAPTURE).map((i) => i.Key!.slice(BASE.length));
  const rowsOf = async (event: object) => ((await detect(event)) as { report: DriftReport }).report;

  test('a record captured at 10:59:59 in a file of the 11 folder counts in 10:00-11:00, not in 11:00-12:00', async () => {
    // GIVEN the file SageMaker wrote at 11:01 with the requests of 10:59:59 and 11:00:00
    put(CAPTURE, `${BASE}2026/12/01/11/01-00-000-a.jsonl`, [record('30,pro,1', '2026-12-01T10:59:59Z'), record('31,pro,1', '2026-12-01T11:00:00Z')], '2026-12-01T11:01:00Z');
    // WHEN the windows on either side of 11:00 are checked
    const before = await rowsOf({ windowEnd: '2026-12-01T11:00:00Z' });
    const after = await rowsOf({ windowEnd: '2026-12-01T12:00:00Z' });
    // THEN each record counts once, in the window its inferenceTime is in
    expect([before.rows, before.outsideWindow, before.objects]).toEqual([1, 1, 1]);
    expect([after.rows, after.outsideWindow, after.objects]).toEqual([1, 1, 1]);
    expect(listCalls.slice(0, 3)).toEqual(['09', '10', '11'].map((h) => `${CAPTURE}/${BASE}2026/12/01/${h}/`));
  });

  test('the scheduled run finds the late file of its window\'s last minutes, delivered in the next hour', async () => {
    // GIVEN records of 10:30 in the 10 folder, and of 10:58 in a file S3 received at 11:07 in the 11 folder
    put(CAPTURE, `${BASE}2026/12/01/10/30-00-000-a.jsonl`, captureFile('2026-12-01T10', 30, 40), '2026-12-01T10:40:00Z');
    put(CAPTURE, `${BASE}2026/12/01/11/05-00-000-b.jsonl`, captureFile('2026-12-01T10', 58, 2), '2026-12-01T11:07:00Z');
    // WHEN the hourly schedule starts the run at 11:10 (window [10:00, 11:00), lag 10 minutes), seeing what S3 received by then
    listedAt = Date.parse('2026-12-01T11:10:00Z');
    const report = await rowsOf({ time: '2026-12-01T11:10:00Z' });
    // THEN the late file's records are in
    expect(report.window).toEqual({ start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T11:00:00.000Z' });
    expect([report.rows, report.objects]).toEqual([42, 2]);
  });

  test('a file named for an earlier hour is read only when S3 received it after the window started (less 5 minutes)', async () => {
    // GIVEN a file of the 10 folder received at 11:00:40 holding a request of 11:00:20, and older files of that folder
    put(CAPTURE, `${BASE}2026/12/01/10/59-50-000-edge.jsonl`, [record('30,pro,1', '2026-12-01T10:59:50Z'), record('31,pro,1', '2026-12-01T11:00:20Z')], '2026-12-01T11:00:40Z');
    put(CAPTURE, `${BASE}2026/12/01/10/54-00-000-skew.jsonl`, [record('32,pro,1', '2026-12-01T10:55:00Z')], '2026-12-01T10:55:30Z');
    put(CAPTURE, `${BASE}2026/12/01/10/20-00-000-old.jsonl`, [record('33,pro,1', '2026-12-01T10:20:00Z')], '2026-12-01T10:21:00Z');
    // WHEN the window [11:00, 12:00) is checked
    const report = await rowsOf({ windowEnd: '2026-12-01T12:00:00Z' });
    // THEN the request of 11:00:20 counts; the file received at 10:21 is not even read
    expect([report.rows, report.outsideWindow]).toEqual([1, 2]);
    expect(readKeys().sort()).toEqual(['2026/12/01/10/54-00-000-skew.jsonl', '2026/12/01/10/59-50-000-edge.jsonl']);
    // AND the window before counts the request of 10:59:50 and the one of 10:55
    expect((await rowsOf({ windowEnd: '2026-12-01T11:00:00Z' })).rows).toBe(3);
  });

  test('an object S3 dates before the window by less than the lag (a multipart upload, dated at its initiation) is read', async () => {
    // GIVEN a file whose upload was initiated at 10:52 and completed at 11:02, with requests of 10:58 and 11:01
    put(CAPTURE, `${BASE}2026/12/01/11/02-00-000-multipart.jsonl`, [record('30,pro,1', '2026-12-01T10:58:00Z'), record('31,pro,1', '2026-12-01T11:01:00Z')], '2026-12-01T10:52:00Z');
    // WHEN the window [11:00, 12:00) is checked (lag 10 minutes)
    const report = await rowsOf({ windowEnd: '2026-12-01T12:00:00Z' });
    // THEN the request of 11:01 counts
    expect([report.rows, report.outsideWindow, report.objects]).toEqual([1, 1, 1]);
  });

  test('a record without a readable inferenceTime is counted as malformed and sampled; the run goes on', async () => {
    const noTime = JSON.stringify({ captureData: { endpointInput: { mode: 'INPUT', data: '30,pro,1', encoding: 'CSV' } }, eventMetadata: { eventId: 'x' } });
    put(CAPTURE, `${BASE}2026/12/01/09/a.jsonl`, [record('30,pro,1', '2026-12-01T09:10:00Z'), noTime, record('31,pro,1', 'yesterday'), record('32,pro,1', '2026-12-01'), record('33,pro,1', '2026-12-01T09:11:00Z')]);
    const report = await rowsOf({ time: TIME });
    expect(report).toMatchObject({ rows: 2, records: 5, malformed: { missingFields: 3, total: 3 } });
    expect(report.malformedSamples.missingFields.map((m) => m.line)).toEqual([2, 3, 4]);
  });

  test('lines without a time count once: in the first scheduled run that can see their file', async () => {
    // GIVEN a file S3 received at 11:04 in the 11 folder: a record of 10:59, one not JSON, one without inferenceTime
    const noTime = JSON.stringify({ captureData: { endpointInput: { mode: 'INPUT', data: '30,pro,1', encoding: 'CSV' } }, eventMetadata: { eventId: 'x' } });
    put(CAPTURE, `${BASE}2026/12/01/11/03-00-000-a.jsonl`, [record('30,pro,1', '2026-12-01T10:59:00Z'), '{"captureData":', noTime], '2026-12-01T11:04:00Z');
    // WHEN the runs of 11:10 and 12:10 check [10:00, 11:00) and [11:00, 12:00)
    const before = await rowsOf({ time: '2026-12-01T11:10:00Z' });
    const after = await rowsOf({ time: '2026-12-01T12:10:00Z' });
    // THEN the run of 11:10, the first to see the file, counts the two malformed lines; the next one counts them outside
    expect(before).toMatchObject({ rows: 1, records: 3, outsideWindow: 0, malformed: { truncatedJson: 1, missingFields: 1, total: 2 } });
    expect(after).toMatchObject({ rows: 0, records: 0, outsideWindow: 3, malformed: { total: 0 } });
  });

  test('adjacent windows count every line once, a record in the window of its inferenceTime, however files straddle the hours, on both paths (property)', async () => {
    const MINUTE = 60_000;
    const origin = Date.parse('2026-12-01T08:00:00Z');
    /** The report of a run, through the fan-out (each batch's worker, then the merge) when detect plans one. */
    const check = async (event: object): Promise<DriftReport> => {
      const planned = await detect(event);
      if (planned.mode === 'complete') return planned.report;
      const items: BatchItem[] = JSON.parse(objects.get(`${WORK}/${planned.items.key}`)!.toString());
      for (const item of items) await partial(item);
      return (await merge(planned)).report;
    };
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(20, 30, 45, 60, 90),
      // Lag 0 too: the run starts at the window's end and lists the end's hour folder.
      fc.integer({ min: 0, max: 30 }),
      fc.boolean(),
      fc.array(fc.record({
        // When SageMaker wrote the file (S3 received it then): near one of the hours after 08:00; and how long it buffered.
        hour: fc.integer({ min: 0, max: 6 }),
        offset: fc.integer({ min: -20 * MINUTE, max: 20 * MINUTE }),
        buffered: fc.integer({ min: 0, max: 1000 }),
        // Whether the hour folder is the file's write hour or its first record's.
        namedForFirst: fc.boolean(),
        // How long its upload took after S3 dated it (per mille of what the lag and the clock slack leave the file).
        uploading: fc.integer({ min: 0, max: 1000 }),
        times: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 4 }),
        // Lines with no time to place them by: not JSON.
        untimed: fc.integer({ min: 0, max: 2 }),
      }), { maxLength: 12 }),
      async (windowMinutes, lagMinutes, fanOut, files) => {
        objects = new Map([[`${WORK}/${BASELINE_KEY}`, Buffer.from(baselineJson)]]);
        received = new Map();
        completed = new Map();
        Object.assign(process.env, { WINDOW_MINUTES: String(windowMinutes), WINDOW_LAG_MINUTES: String(lagMinutes) });
        if (fanOut) Object.assign(process.env, { SINGLE_INVOCATION_MAX_OBJECTS: '1', BATCH_MAX_OBJECTS: '2' });
        else delete process.env.SINGLE_INVOCATION_MAX_OBJECTS;
        const times: number[] = [];
        const untimed: { written: number; lines: number }[] = [];
        files.forEach((f, i) => {
          // The file holds records of the `buffered` share (per mille) of the lag before it was written.
          const written = origin + f.hour * 60 * MINUTE + f.offset;
          const first = written - Math.floor((f.buffered * lagMinutes * MINUTE) / 1000);
          // The upload completes within the clock slack, and its records are listed within the lag (later ones are late data).
          const slack = Math.min(CLOCK_SKEW_MS, lagMinutes * MINUTE - (written - first));
          const recordTimes = f.times.map((t) => first + Math.floor((t * (written - first)) / 1000));
          times.push(...recordTimes);
          untimed.push({ written, lines: f.untimed });
          const folder = new Date(f.namedForFirst ? first : written).toISOString().slice(0, 13).replace(/-/g, '/').replace('T', '/');
          const lines = [...recordTimes.map((t) => record('30,pro,1', new Date(t).toISOString())), ...Array.from({ length: f.untimed }, () => '{"captureData":')];
          put(CAPTURE, `${BASE}${folder}/f-${i}.jsonl`, lines, new Date(written).toISOString());
          completed.set(`${CAPTURE}/${BASE}${folder}/f-${i}.jsonl`, written + Math.floor((f.uploading * Math.max(0, slack)) / 1000));
        });
        // Each window's run starts on schedule (end + lag) and sees what S3 has received by then.
        const lag = lagMinutes * MINUTE;
        for (let end = origin + windowMinutes * MINUTE; end <= origin + 7 * 60 * MINUTE; end += windowMinutes * MINUTE) {
          const start = end - windowMinutes * MINUTE;
          listedAt = end + lag;
          const report = await check({ time: new Date(listedAt).toISOString() });
          expect(report.window).toEqual({ start: new Date(start).toISOString(), end: new Date(end).toISOString() });
          expect(report.rows).toBe(times.filter((t) => t >= start && t < end).length);
          const owned = lag - CLOCK_SKEW_MS;
          expect(report.malformed.truncatedJson).toBe(untimed.filter((u) => u.written > start + owned && u.written <= end + owned).reduce((n, u) => n + u.lines, 0));
        }
      },
    ), { numRuns: 60, seed: 11 });
  });
});

describe('drift-detect fan-out -> drift-partial -> drift-merge', () => {
  function manyFiles(): void {
    for (let f = 0; f < 7; f++) put(CAPTURE, `${BASE}2026/12/01/09/part-${f}.jsonl`, [...captureFile('2026-12-01T09', f, 40, f), ...(f === 3 ? ['{"bad'] : [])]);
    put(CAPTURE, `${BASE}2026/12/01/08/early.jsonl`, captureFile('2026-12-01T08', 50, 30));
  }

  test('a window too large for one invocation fans out, and the merged report equals the one-invocation counts', async () => {
    manyFiles();
    // GIVEN the one-invocation report for reference
    const single = (await detect({ time: TIME }) as { report: DriftReport }).report;
    stdout.length = 0;
    // WHEN the limits make the same window fan out in batches of 3 objects
    Object.assign(process.env, { SINGLE_INVOCATION_MAX_OBJECTS: '5', BATCH_MAX_OBJECTS: '3' });
    const planned = await detect({ time: TIME });
    // THEN detect writes the item list for the Distributed Map and returns its location
    expect(planned).toMatchObject({
      mode: 'fanout',
      runId: 'churn-prod/AllTraffic/2026-12-01T09-50-00.000Z',
      batchCount: 3,
      objectCount: 8,
      items: { bucket: WORK, key: 'monitoring/churn/churn-prod/AllTraffic/2026-12-01T09-50-00.000Z/items.json' },
      partials: { bucket: WORK, prefix: 'monitoring/churn/churn-prod/AllTraffic/2026-12-01T09-50-00.000Z/partials/' },
    });
    expect(emf()).toEqual([]);
    if (planned.mode !== 'fanout') throw new Error('expected a fan-out');
    const items: BatchItem[] = JSON.parse(objects.get(`${WORK}/${planned.items.key}`)!.toString());
    expect(items.map((i) => i.keys.length)).toEqual([3, 3, 2]);
    expect(items.flatMap((i) => i.keys)).toHaveLength(8);
    // AND each worker writes its partial (one twice, as a retried Map iteration would)
    const results = [];
    for (const item of [...items, items[1]]) results.push(await partial(JSON.parse(JSON.stringify(item))));
    expect(results[0]).toMatchObject({ batchIndex: 0, partialKey: `${planned.partials.prefix}000000.json` });
    // AND the merge publishes the same counts as one invocation
    const merged = (await merge(planned)).report;
    expect(merged).toMatchObject({ rows: single.rows, records: single.records, objects: 8, bytes: single.bytes, outsideWindow: single.outsideWindow, malformed: single.malformed });
    merged.features.forEach((f, i) => {
      expect(f.psi).toBeCloseTo(single.features[i].psi!, 12);
      expect(f.jensenShannon).toBeCloseTo(single.features[i].jensenShannon!, 12);
    });
    expect(merged.dataset).toEqual(single.dataset);
    expect(metric(emf(), 'Rows', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(single.rows);
  });

  test('the merge fails with PartialsMissingError while a batch has no partial yet', async () => {
    manyFiles();
    Object.assign(process.env, { SINGLE_INVOCATION_MAX_OBJECTS: '5', BATCH_MAX_OBJECTS: '3' });
    const planned = await detect({ time: TIME });
    if (planned.mode !== 'fanout') throw new Error('expected a fan-out');
    const items: BatchItem[] = JSON.parse(objects.get(`${WORK}/${planned.items.key}`)!.toString());
    await partial(items[0]);
    await partial(items[2]);
    const failure = merge(planned);
    await expect(failure).rejects.toBeInstanceOf(PartialsMissingError);
    await expect(merge(planned)).rejects.toThrow(/1 of 3 partial counts missing under s3:\/\/lake-artifacts\/monitoring\/churn\/.*\/partials\/ \(batches 1\)/);
  });

  test('a window over the byte limit fans out too, and a fan-out needs a work bucket', async () => {
    manyFiles();
    process.env.SINGLE_INVOCATION_MAX_BYTES = '1000';
    expect((await detect({ time: TIME })).mode).toBe('fanout');
    delete process.env.WORK_BUCKET;
    await expect(detect({ time: TIME })).rejects.toThrow(/needs a fan-out but WORK_BUCKET is not set/);
  });

  test('a batch whose every object\'s untimed lines another window counts stays under Step Functions\' 256 KiB input', async () => {
    // GIVEN 500 objects (a full batch) with 450-character keys, all received by 10:10 (start + lag of [10:00, 11:00))
    const name = (i: number) => `${BASE}2026/12/01/10/${String(i).padStart(4, '0')}-${'x'.repeat(450 - BASE.length - 25)}.jsonl`;
    for (let i = 0; i < 500; i++) put(CAPTURE, name(i), [record('30,pro,1', '2026-12-01T10:03:00Z'), '{"captureData":'], '2026-12-01T10:04:00Z');
    process.env.SINGLE_INVOCATION_MAX_OBJECTS = '100';
    const planned = await detect({ windowEnd: '2026-12-01T11:00:00Z' });
    if (planned.mode !== 'fanout') throw new Error('expected a fan-out');
    const items: BatchItem[] = JSON.parse(objects.get(`${WORK}/${planned.items.key}`)!.toString());
    // THEN the one item names each key once: a child execution's input is at most 256 KiB
    expect(items).toHaveLength(1);
    expect(items[0].keys.map((k) => k.length)).toEqual(Array(500).fill(450));
    expect(Buffer.byteLength(JSON.stringify(items[0]))).toBeLessThan(256 * 1024);
    // AND the worker still counts the records and leaves the untimed lines to the window before
    const result = await partial(items[0]);
    expect(result).toMatchObject({ records: 500, rows: 500, malformed: 0 });
    // AND an item whose positions are not in its keys is refused
    await expect(partial({ ...items[0], untimedElsewhere: [500] })).rejects.toThrow(/not a drift batch item/);
  });

  test('a batch of long keys is cut before its item outgrows Step Functions\' 256 KiB input', async () => {
    // GIVEN 500 objects (BATCH_MAX_OBJECTS) with 700-character keys, as a 512-character capture prefix gives
    const name = (i: number) => `${BASE}2026/12/01/09/${String(i).padStart(4, '0')}-${'y'.repeat(700 - BASE.length - 25)}.jsonl`;
    for (let i = 0; i < 500; i++) put(CAPTURE, name(i), [record('30,pro,1', '2026-12-01T09:10:00Z')]);
    process.env.SINGLE_INVOCATION_MAX_OBJECTS = '100';
    const planned = await detect({ time: TIME });
    if (planned.mode !== 'fanout') throw new Error('expected a fan-out');
    const items: BatchItem[] = JSON.parse(objects.get(`${WORK}/${planned.items.key}`)!.toString());
    // THEN every key is in one batch, and every item fits a child execution's input
    expect(items.flatMap((i) => i.keys)).toEqual(Array.from({ length: 500 }, (_, i) => name(i)));
    expect(items.length).toBeGreaterThan(1);
    for (const item of items) expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(256 * 1024);
  });

  test('the worker and the merge refuse events that are not theirs', async () => {
    await expect(partial({} as BatchItem)).rejects.toThrow(/not a drift batch item/);
    const item = { runId: 'r', batchIndex: 0, bucket: CAPTURE, keys: [], window: { start: 'a', end: 'b' }, baseline: { bucket: WORK, key: BASELINE_KEY }, partials: { bucket: WORK, prefix: 'p/' } };
    await expect(partial({ ...item, untimedElsewhere: 'k' } as unknown as BatchItem)).rejects.toThrow(/not a drift batch item/);
    await expect(merge({ mode: 'complete' } as any)).rejects.toThrow(/not a drift-detect fanout result/);
  });
});

describe('drift-baseline', () => {
  test('computes the baseline of a training CSV in S3 and writes it next to the model', async () => {
    objects.set(`${WORK}/data/train.csv`, Buffer.from('age,plan,churn\n30,pro,1\n40,basic,0\n50,pro,1\n'));
    const result = await baselineHandler({ train: { bucket: WORK, key: 'data/train.csv' }, output: { bucket: WORK, key: 'models/v4/drift-baseline.json' }, label: 'churn' });
    expect(result).toEqual({ baselineUri: `s3://${WORK}/models/v4/drift-baseline.json`, rows: 3, features: 2, problems: { columnCount: 0, nonNumeric: 0 } });
    const written = JSON.parse(objects.get(`${WORK}/models/v4/drift-baseline.json`)!.toString());
    expect(written).toMatchObject({ format: 'cdk-mlops/drift-baseline', label: 'churn', source: `s3://${WORK}/data/train.csv`, features: [{ name: 'age' }, { name: 'plan' }] });
    await expect(baselineHandler({} as any)).rejects.toThrow(/needs "train"/);
  });
});

describe('drift-quality', () => {
  /** Labels in the ground-truth hour folder of the window, joined to captures of the last hours by inference id or event id. */
  function groundTruth(n: number, labelOf: (i: number) => string, scoreOf: (i: number) => string): void {
    const captures = Array.from({ length: n }, (_, i) => record('30,pro,1', '2026-12-01T07:30:00Z', scoreOf(i), `event-${i}`, i % 2 ? `inf-${i}` : undefined));
    put(CAPTURE, `${BASE}2026/12/01/07/a.jsonl`, captures);
    const labels = Array.from({ length: n }, (_, i) => JSON.stringify({ groundTruthData: { data: labelOf(i), encoding: 'CSV' }, eventMetadata: { eventId: i % 2 ? `inf-${i}` : `event-${i}` }, eventVersion: '0' }));
    put('lake-labels', 'labels/churn/2026/12/01/09/l.jsonl', [...labels, '{"groundTruthData":', JSON.stringify({ groundTruthData: { data: '1' }, eventMetadata: { eventId: 'nobody' } })]);
    Object.assign(process.env, { GROUND_TRUTH_BUCKET: 'lake-labels', GROUND_TRUTH_PREFIX: 'labels/churn/', MIN_ROWS: '10' });
  }

  function sklearn(problem: string, labels: unknown[], scores: unknown[]): Record<string, number> {
    return JSON.parse(execFileSync('python3', ['-c', `
import json, sys
from sklearn import metrics as m
c = json.load(sys.stdin); y, s = c['y'], c['s']
if c['p'] == 'binary':
    p = [1 if v >= 0.5 else 0 for v in s]
    out = {'accuracy': m.accuracy_score(y, p), 'precision': m.precision_score(y, p, zero_division=0), 'recall': m.recall_score(y, p, zero_division=0), 'f1': m.f1_score(y, p, zero_division=0), 'auc': m.roc_auc_score(y, s)}
elif c['p'] == 'multi':
    out = {'accuracy': m.accuracy_score(y, s), 'precision': m.precision_score(y, s, average='macro', zero_division=0), 'recall': m.recall_score(y, s, average='macro', zero_division=0), 'f1': m.f1_score(y, s, average='macro', zero_division=0)}
else:
    out = {'rmse': m.mean_squared_error(y, s) ** 0.5, 'mae': m.mean_absolute_error(y, s)}
print(json.dumps(out))`], { input: JSON.stringify({ p: problem, y: labels, s: scores }) }).toString());
  }

  test('binary classification: accuracy, precision, recall, F1 and AUC equal scikit-learn on the joined pairs', async () => {
    const label = (i: number) => String((i * 7) % 3 === 0 ? 1 : 0);
    const score = (i: number) => String(((i * 37) % 100) / 100);
    groundTruth(80, label, score);
    const report = await quality({ time: TIME });
    expect(report).toMatchObject({ status: 'ok', labels: 81, matched: 80, unmatchedLabels: 1, malformed: { truncatedJson: 1, total: 1 } });
    const expected = sklearn('binary', Array.from({ length: 80 }, (_, i) => Number(label(i))), Array.from({ length: 80 }, (_, i) => Number(score(i))));
    for (const [k, v] of Object.entries(expected)) expect(Math.abs(report.metrics[k] - v)).toBeLessThan(1e-12);
    const docs = emf();
    expect(docs[0]._aws.CloudWatchMetrics[0].Namespace).toBe('CdkMlops/ModelQuality');
    expect(metric(docs, 'AUC', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(report.metrics.auc);
    expect(metric(docs, 'UnmatchedLabels', { Endpoint: 'churn-prod', Variant: 'AllTraffic' })).toBe(1);
  });

  test('multiclass and regression metrics equal scikit-learn too', async () => {
    groundTruth(60, (i) => String(i % 3), (i) => String((i * 5) % 4 === 3 ? 0 : (i * 5) % 4));
    process.env.PROBLEM_TYPE = 'MulticlassClassification';
    const multi = await quality({ time: TIME });
    const m = sklearn('multi', Array.from({ length: 60 }, (_, i) => String(i % 3)), Array.from({ length: 60 }, (_, i) => String((i * 5) % 4 === 3 ? 0 : (i * 5) % 4)));
    for (const [k, v] of Object.entries(m)) expect(Math.abs(multi.metrics[k] - v)).toBeLessThan(1e-12);

    objects.clear();
    objects.set(`${WORK}/${BASELINE_KEY}`, Buffer.from(baselineJson));
    groundTruth(40, (i) => String(i * 1.5), (i) => String(i * 1.5 + ((i % 5) - 2)));
    process.env.PROBLEM_TYPE = 'Regression';
    const regression = await quality({ time: TIME });
    const r = sklearn('regression', Array.from({ length: 40 }, (_, i) => i * 1.5), Array.from({ length: 40 }, (_, i) => i * 1.5 + ((i % 5) - 2)));
    expect(Math.abs(regression.metrics.rmse - r.rmse)).toBeLessThan(1e-12);
    expect(Math.abs(regression.metrics.mae - r.mae)).toBeLessThan(1e-12);
  });

  test('joins predictions of the lookback\'s last minutes filed in the next hour\'s folder, not files received before the lookback', async () => {
    // GIVEN the labels of the window [08:50, 09:50), and their predictions captured at 09:49:59 in a file of the 10 folder
    groundTruth(20, () => '1', () => '0.9');
    objects.delete(`${CAPTURE}/${BASE}2026/12/01/07/a.jsonl`);
    const captures = Array.from({ length: 20 }, (_, i) => record('30,pro,1', '2026-12-01T09:49:59Z', '0.9', `event-${i}`, i % 2 ? `inf-${i}` : undefined));
    put(CAPTURE, `${BASE}2026/12/01/10/00-00-000-a.jsonl`, captures, '2026-12-01T10:00:30Z');
    // AND a file of the lookback's first folder that S3 received before the lookback began
    put(CAPTURE, `${BASE}2026/11/30/09/10-00-000-old.jsonl`, captures, '2026-11-30T09:10:30Z');
    const report = await quality({ time: TIME });
    expect(report).toMatchObject({ status: 'ok', labels: 21, matched: 20 });
    expect(listCalls).toContain(`${CAPTURE}/${BASE}2026/12/01/10/`);
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain(`${BASE}2026/11/30/09/10-00-000-old.jsonl`);
  });

  test('too few joined labels reports too few rows; no labels reports no data; a bad problem type fails', async () => {
    groundTruth(5, () => '1', () => '0.9');
    expect(await quality({ time: TIME })).toMatchObject({ status: 'tooFewRows', matched: 5, metrics: {} });
    objects.clear();
    expect(await quality({ time: TIME })).toMatchObject({ status: 'noData', labels: 0 });
    process.env.PROBLEM_TYPE = 'Ranking';
    await expect(quality({ time: TIME })).rejects.toThrow(/PROBLEM_TYPE must be one of BinaryClassification, MulticlassClassification, Regression, got 'Ranking'/);
  });
});

describe('reports returned into the state machine', () => {
  test('a report too large for a Step Functions state comes back without its per-feature entries', async () => {
    // GIVEN a baseline with 800 features
    const names = Array.from({ length: 800 }, (_, i) => `feature_with_a_long_name_${i}`);
    const train = [names.join(','), ...Array.from({ length: 200 }, (_, r) => names.map((_, i) => String((r * (i + 1)) % 97)).join(','))];
    const { baseline } = await buildBaseline(async function* () { yield* train; }, { createdAt: '2026-12-01T00:00:00Z' });
    objects.set(`${WORK}/${BASELINE_KEY}`, Buffer.from(JSON.stringify(baseline)));
    put(CAPTURE, `${BASE}2026/12/01/09/wide.jsonl`, Array.from({ length: 60 }, (_, r) => record(names.map((_, i) => String((r * i) % 89)).join(','), '2026-12-01T09:30:00Z')));
    // WHEN the window is checked
    const result = await detect({ time: TIME }) as { report: DriftReport & { featuresOmitted?: number } };
    // THEN the returned report fits a state, and the metrics still cover every feature
    expect(JSON.stringify(result).length).toBeLessThan(256 * 1024);
    expect(result.report).toMatchObject({ status: 'ok', rows: 60, features: [], featuresOmitted: 800, dataset: { features: 800 } });
    expect(emf().filter((d) => d.Feature !== undefined && d.PSI !== undefined)).toHaveLength(800);
  });
});
