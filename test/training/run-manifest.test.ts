import { spawnSync } from 'child_process';
import * as path from 'path';
import { ListObjectVersionsCommand, ObjectVersion, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ROOT } from '../helpers/app';
import { motoCall, motoEnv, MotoServer, startMoto } from '../helpers/moto';
import { handler, MAX_OBJECTS_PER_INPUT } from '../../lambda/run-manifest';
import { buildManifest, InputListing, ManifestEvent } from '../../lambda/run-manifest/manifest';

// index.ts creates its S3Client at module load; mocking the class reaches that instance too.
const s3 = mockClient(S3Client);

const MANIFEST_BUCKET = 'lake-artifacts';
const MANIFEST_KEY = 'runs/exec-1/manifest.json';
const EXECUTION = { id: 'arn:aws:states:us-east-1:123456789012:execution:pipeline:exec-1', startTime: '2026-11-27T10:00:00.000Z' };
const MODIFIED = new Date('2026-11-20T08:30:00.000Z');

/** A version as ListObjectVersions returns it. */
function version(key: string, versionId: string, isLatest = true): ObjectVersion {
  return { Key: key, VersionId: versionId, IsLatest: isLatest, ETag: `"etag-${key}-${versionId}"`, Size: 100, LastModified: MODIFIED };
}

/** The manifest entry of a current version made by `version()`. */
function entry(bucket: string, key: string, versionId: string): object {
  return {
    uri: `s3://${bucket}/${key}`,
    versionId,
    etag: `"etag-${key}-${versionId}"`,
    size: 100,
    lastModified: '2026-11-20T08:30:00.000Z',
  };
}

/**
 * Serves ListObjectVersions like S3 from an in-memory list per bucket and prefix: `pageSize`
 * versions a page, resuming after the (KeyMarker, VersionIdMarker) pair of the previous page.
 */
function serveVersions(listings: Record<string, ObjectVersion[]>, pageSize = 1000): void {
  s3.on(ListObjectVersionsCommand).callsFake((input: { Bucket: string; Prefix: string; KeyMarker?: string; VersionIdMarker?: string }) => {
    const all = listings[`${input.Bucket}/${input.Prefix}`];
    if (!all) throw new Error(`unexpected listing of s3://${input.Bucket}/${input.Prefix}`);
    // Malformed fixture versions still need markers: S3 itself always sends both when truncated.
    const keyMarker = (v: ObjectVersion) => v.Key ?? '(no key)';
    const versionMarker = (v: ObjectVersion) => v.VersionId ?? '(no version id)';
    const start = input.KeyMarker === undefined
      ? 0
      : all.findIndex((v) => keyMarker(v) === input.KeyMarker && versionMarker(v) === input.VersionIdMarker) + 1;
    if (input.KeyMarker !== undefined && start === 0) throw new Error(`unknown markers ${input.KeyMarker}/${input.VersionIdMarker}`);
    const page = all.slice(start, start + pageSize);
    const last = page[page.length - 1];
    const truncated = start + pageSize < all.length;
    return {
      Versions: page,
      IsTruncated: truncated,
      NextKeyMarker: truncated ? keyMarker(last) : undefined,
      NextVersionIdMarker: truncated ? versionMarker(last) : undefined,
    };
  });
}

/** A pipeline's event; by default a registered run with its training job, so that it has no problem. */
function event(inputs: ManifestEvent['inputs'], run: Record<string, any> = { outcome: { status: 'REGISTERED' }, training: trainingDescription() }): ManifestEvent {
  return { manifestBucket: MANIFEST_BUCKET, manifestKey: MANIFEST_KEY, inputs, execution: EXECUTION, run };
}

/** The manifest the handler wrote with its one PutObject. */
function writtenManifest(): any {
  const puts = s3.commandCalls(PutObjectCommand);
  expect(puts).toHaveLength(1);
  return JSON.parse(puts[0].args[0].input.Body as string);
}

function listCalls(): Array<{ Bucket?: string; Prefix?: string; KeyMarker?: string; VersionIdMarker?: string }> {
  return s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input);
}

describe('run-manifest handler', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({ ETag: '"manifest"' });
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());

  test('lists the version of each object as of the run start: later versions and deleted objects are left out', async () => {
    const at = (iso: string) => new Date(iso);
    s3.on(ListObjectVersionsCommand).resolves({
      IsTruncated: false,
      Versions: [
        { ...version('churn/a.csv', 'a3'), LastModified: at('2026-11-27T11:00:00Z') }, // written while the run trained
        { ...version('churn/a.csv', 'a2', false), LastModified: at('2026-11-26T00:00:00Z') },
        { ...version('churn/a.csv', 'a1', false), LastModified: at('2026-11-25T00:00:00Z') },
        { ...version('churn/b.csv', 'b1'), LastModified: at('2026-11-20T08:30:00Z') },
        { ...version('churn/c.csv', 'c1', false), LastModified: at('2026-11-20T00:00:00Z') },
        { ...version('churn/d.csv', 'd1'), LastModified: at('2026-11-27T10:30:00Z') }, // new after the start
      ],
      DeleteMarkers: [{ Key: 'churn/c.csv', VersionId: 'c-del', IsLatest: true, LastModified: at('2026-11-21T00:00:00Z') }],
    });
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]));
    expect(writtenManifest().inputs[0].objects.map((o: any) => `${o.uri}#${o.versionId}`)).toEqual([
      's3://lake-raw/churn/a.csv#a2', 's3://lake-raw/churn/b.csv#b1',
    ]);
    expect(result.inputObjects).toBe(2);
  });

  test('without a start time, lists the current version of each object', async () => {
    serveVersions({
      'lake-raw/churn/': [
        version('churn/a.csv', 'a2'),
        version('churn/a.csv', 'a1', false),
        version('churn/b.csv', 'b1'),
        version('churn/c.csv', 'c3', false), // c.csv was deleted: its latest is a delete marker
      ],
    });
    const run = { outcome: { status: 'REGISTERED' }, training: trainingDescription({ TrainingStartTime: undefined }) };
    const result = await handler({ ...event([{ bucket: 'lake-raw', prefix: 'churn/' }], run), execution: { id: EXECUTION.id } });
    expect(writtenManifest().inputs).toEqual([{
      prefixUri: 's3://lake-raw/churn/',
      objects: [entry('lake-raw', 'churn/a.csv', 'a2'), entry('lake-raw', 'churn/b.csv', 'b1')],
      truncated: false,
    }]);
    expect(result).toEqual({ manifestUri: `s3://${MANIFEST_BUCKET}/${MANIFEST_KEY}`, inputObjects: 2, problems: [] });
    expect(listCalls()).toEqual([{ Bucket: 'lake-raw', Prefix: 'churn/', KeyMarker: undefined, VersionIdMarker: undefined }]);
  });

  test('follows KeyMarker and VersionIdMarker across pages until the listing is complete', async () => {
    const versions = Array.from({ length: 7 }, (_, i) => version(`churn/part-${i}.csv`, `v${i}`));
    serveVersions({ 'lake-raw/churn/': versions }, 3);
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]));
    expect(listCalls()).toEqual([
      { Bucket: 'lake-raw', Prefix: 'churn/', KeyMarker: undefined, VersionIdMarker: undefined },
      { Bucket: 'lake-raw', Prefix: 'churn/', KeyMarker: 'churn/part-2.csv', VersionIdMarker: 'v2' },
      { Bucket: 'lake-raw', Prefix: 'churn/', KeyMarker: 'churn/part-5.csv', VersionIdMarker: 'v5' },
    ]);
    expect(writtenManifest().inputs[0].objects.map((o: any) => o.versionId)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    expect(result.inputObjects).toBe(7);
  });

  test('a version and its older versions split across a page boundary: only the latest is kept', async () => {
    serveVersions({
      'lake-raw/churn/': [version('churn/a.csv', 'a3'), version('churn/a.csv', 'a2', false), version('churn/a.csv', 'a1', false), version('churn/b.csv', 'b1')],
    }, 2);
    await handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]));
    expect(writtenManifest().inputs[0].objects.map((o: any) => `${o.uri}#${o.versionId}`))
      .toEqual(['s3://lake-raw/churn/a.csv#a3', 's3://lake-raw/churn/b.csv#b1']);
    expect(listCalls()).toHaveLength(2);
  });

  test('stops when S3 says the listing is not truncated, whatever markers it sends', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [version('churn/a.csv', 'a1')], IsTruncated: false, NextKeyMarker: 'churn/a.csv', NextVersionIdMarker: 'a1',
    });
    await handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]));
    expect(listCalls()).toHaveLength(1);
  });

  test('an empty prefix lists as no objects, not truncated', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'empty/' }]));
    expect(writtenManifest().inputs).toEqual([{ prefixUri: 's3://lake-raw/empty/', objects: [], truncated: false }]);
    expect(result.inputObjects).toBe(0);
  });

  test('skips versions without a key or version id, counts each in problems, and lists the rest', async () => {
    serveVersions({
      'lake-raw/churn/': [
        version('churn/a.csv', 'a1'),
        { IsLatest: true, VersionId: 'orphan' },
        version('churn/b.csv', 'b1'),
        { Key: 'churn/unversioned.csv', IsLatest: true },
        version('churn/c.csv', 'c1'),
      ],
    }, 2);
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]));
    const problem = 'object version without key or version id skipped under s3://lake-raw/churn/';
    expect(result.problems).toEqual([problem, problem]);
    const manifest = writtenManifest();
    expect(manifest.problems).toEqual(result.problems);
    expect(manifest.inputs[0].objects.map((o: any) => o.versionId)).toEqual(['a1', 'b1', 'c1']);
    expect(result.inputObjects).toBe(3);
  });

  test('a malformed version that is not current is ignored without a problem', async () => {
    serveVersions({ 'lake-raw/churn/': [version('churn/a.csv', 'a1'), { Key: 'churn/a.csv', IsLatest: false }] });
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]));
    expect(result.problems).toEqual([]);
  });

  test('logs a warning with the problems when there are any, and none otherwise', async () => {
    serveVersions({ 'lake-raw/bad/': [{ IsLatest: true }], 'lake-raw/good/': [version('good/a.csv', 'a1')] });
    await handler(event([{ bucket: 'lake-raw', prefix: 'good/' }]));
    expect(warn).not.toHaveBeenCalled();
    await handler(event([{ bucket: 'lake-raw', prefix: 'bad/' }]));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.parse(warn.mock.calls[0][0])).toEqual({
      message: 'run manifest written with problems',
      problems: ['object version without key or version id skipped under s3://lake-raw/bad/'],
    });
  });

  test(`keeps the first MAX_OBJECTS_PER_INPUT (${MAX_OBJECTS_PER_INPUT}) objects, marks the input truncated and stops listing`, async () => {
    const versions = Array.from({ length: MAX_OBJECTS_PER_INPUT + 1500 }, (_, i) => version(`big/${String(i).padStart(5, '0')}`, `v${i}`));
    serveVersions({ 'lake-raw/big/': versions });
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'big/' }]));
    const [listing] = writtenManifest().inputs;
    expect(listing.truncated).toBe(true);
    expect(listing.objects).toHaveLength(MAX_OBJECTS_PER_INPUT);
    expect(listing.objects[MAX_OBJECTS_PER_INPUT - 1].versionId).toBe(`v${MAX_OBJECTS_PER_INPUT - 1}`);
    expect(result.inputObjects).toBe(MAX_OBJECTS_PER_INPUT);
    // 1000 versions a page: the page holding object MAX_OBJECTS_PER_INPUT + 1 is the last one read.
    expect(listCalls()).toHaveLength(Math.floor(MAX_OBJECTS_PER_INPUT / 1000) + 1);
  });

  test('exactly MAX_OBJECTS_PER_INPUT current objects are not truncated', async () => {
    const versions = Array.from({ length: MAX_OBJECTS_PER_INPUT }, (_, i) => version(`big/${String(i).padStart(5, '0')}`, `v${i}`));
    // Older versions after the last current one must not count towards the limit.
    versions.push(version(`big/${String(MAX_OBJECTS_PER_INPUT - 1).padStart(5, '0')}`, 'old', false));
    serveVersions({ 'lake-raw/big/': versions });
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'big/' }]));
    const [listing] = writtenManifest().inputs;
    expect(listing.truncated).toBe(false);
    expect(result.inputObjects).toBe(MAX_OBJECTS_PER_INPUT);
  });

  test('the limit is per input: a second input is listed in full', async () => {
    const big = Array.from({ length: MAX_OBJECTS_PER_INPUT + 1 }, (_, i) => version(`big/${i}`, `v${i}`));
    serveVersions({ 'lake-raw/big/': big, 'lake-curated/small/': [version('small/a', 'a1'), version('small/b', 'b1')] });
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'big/' }, { bucket: 'lake-curated', prefix: 'small/' }]));
    expect(writtenManifest().inputs.map((l: any) => [l.prefixUri, l.objects.length, l.truncated])).toEqual([
      ['s3://lake-raw/big/', MAX_OBJECTS_PER_INPUT, true],
      ['s3://lake-curated/small/', 2, false],
    ]);
    expect(result.inputObjects).toBe(MAX_OBJECTS_PER_INPUT + 2);
  });

  test('lists every input in its own bucket and prefix, in the order given', async () => {
    serveVersions({
      'lake-raw/churn/2026-11/': [version('churn/2026-11/a.csv', 'r1')],
      'lake-curated/runs/exec-1/': [version('runs/exec-1/test.csv', 't2'), version('runs/exec-1/train.csv', 't1')],
    });
    const result = await handler(event([
      { bucket: 'lake-raw', prefix: 'churn/2026-11/' },
      { bucket: 'lake-curated', prefix: 'runs/exec-1/' },
    ]));
    expect(writtenManifest().inputs).toEqual([
      { prefixUri: 's3://lake-raw/churn/2026-11/', objects: [entry('lake-raw', 'churn/2026-11/a.csv', 'r1')], truncated: false },
      {
        prefixUri: 's3://lake-curated/runs/exec-1/',
        objects: [entry('lake-curated', 'runs/exec-1/test.csv', 't2'), entry('lake-curated', 'runs/exec-1/train.csv', 't1')],
        truncated: false,
      },
    ]);
    expect(result.inputObjects).toBe(3);
  });

  test('writes the manifest as JSON to the manifest bucket and key, and returns its URI', async () => {
    serveVersions({ 'lake-raw/churn/': [version('churn/a.csv', 'a1')] });
    const run = {
      outcome: { status: 'REJECTED' }, training: trainingDescription(), gate: { passed: false, metric: 'validation:auc', value: 0.61, threshold: 0.8 },
    };
    const result = await handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }], run));
    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0].args[0].input;
    expect([input.Bucket, input.Key, input.ContentType]).toEqual([MANIFEST_BUCKET, MANIFEST_KEY, 'application/json']);
    expect(writtenManifest()).toMatchObject({ schemaVersion: 1, execution: EXECUTION, outcome: 'REJECTED', gate: run.gate });
    expect(result.manifestUri).toBe('s3://lake-artifacts/runs/exec-1/manifest.json');
  });

  test('the manifest written is what buildManifest makes of the event and the listings', async () => {
    serveVersions({ 'lake-raw/churn/': [version('churn/a.csv', 'a1')] });
    const ev = event([{ bucket: 'lake-raw', prefix: 'churn/' }], { outcome: { status: 'REGISTERED' }, training: trainingDescription() });
    await handler(ev);
    const listings: InputListing[] = [{
      prefixUri: 's3://lake-raw/churn/', objects: [entry('lake-raw', 'churn/a.csv', 'a1') as any], truncated: false,
    }];
    expect(writtenManifest()).toEqual(JSON.parse(JSON.stringify(buildManifest(ev, listings, []))));
  });

  test('with no inputs, lists nothing and still writes the manifest', async () => {
    const result = await handler({ ...event([]), inputs: undefined as any });
    expect(listCalls()).toEqual([]);
    expect(writtenManifest().inputs).toEqual([]);
    expect(result.inputObjects).toBe(0);
  });

  test('a failed listing fails the handler, and no manifest is written', async () => {
    s3.on(ListObjectVersionsCommand).rejects(new Error('AccessDenied'));
    await expect(handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]))).rejects.toThrow('AccessDenied');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('a failed write fails the handler', async () => {
    serveVersions({ 'lake-raw/churn/': [version('churn/a.csv', 'a1')] });
    s3.on(PutObjectCommand).rejects(new Error('KMS.AccessDenied'));
    await expect(handler(event([{ bucket: 'lake-raw', prefix: 'churn/' }]))).rejects.toThrow('KMS.AccessDenied');
  });

});

// The asset bundles its own copy of the SDK, which the mock above cannot reach: it runs against moto.
describe('the bundled asset that the stack deploys', () => {
  let moto: MotoServer;

  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);

  afterAll(() => moto?.stop());

  test('lists the versions current at the run start and writes the manifest, with the SDK it bundles', async () => {
    // GIVEN a versioned bucket with two versions of one object, and one deleted object
    const call = (operation: string, params: Record<string, unknown>) => motoCall(moto, 's3', operation, params);
    for (const bucket of ['lake-raw', MANIFEST_BUCKET]) await call('create_bucket', { Bucket: bucket });
    await call('put_bucket_versioning', { Bucket: 'lake-raw', VersioningConfiguration: { Status: 'Enabled' } });
    await call('put_object', { Bucket: 'lake-raw', Key: 'churn/a.csv', Body: 'old' });
    const current = await call('put_object', { Bucket: 'lake-raw', Key: 'churn/a.csv', Body: 'new' });
    await call('put_object', { Bucket: 'lake-raw', Key: 'churn/gone.csv', Body: 'x' });
    await call('delete_object', { Bucket: 'lake-raw', Key: 'churn/gone.csv' });
    const startedAfterwards = Math.floor(Date.now() / 1000) + 3600;
    const input = event([{ bucket: 'lake-raw', prefix: 'churn/' }], { outcome: { status: 'REGISTERED' }, training: trainingDescription({ TrainingStartTime: startedAfterwards }) });

    // WHEN the asset runs in a node process of its own, with Lambda's environment pointed at moto
    const script = 'require(process.argv[1]).handler(JSON.parse(process.argv[2])).then((r) => process.stdout.write(JSON.stringify(r)))';
    const run = spawnSync(process.execPath, ['-e', script, path.join(ROOT, 'assets', 'lambda', 'run-manifest', 'index.js'), JSON.stringify(input)],
      { env: motoEnv(moto), encoding: 'utf8', timeout: 30_000 });

    // THEN it wrote the manifest of the current version only
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ manifestUri: `s3://${MANIFEST_BUCKET}/${MANIFEST_KEY}`, inputObjects: 1, problems: [] });
    const written = await call('get_object', { Bucket: MANIFEST_BUCKET, Key: MANIFEST_KEY });
    const manifest = JSON.parse(written.Body);
    expect(manifest.inputs[0].objects).toEqual([expect.objectContaining({ uri: 's3://lake-raw/churn/a.csv', versionId: current.VersionId, size: 3 })]);
  }, 60_000);

  test('without credentials in the environment, the providers it leaves out pass to the next, and the chain ends with the SDK\'s own error', () => {
    const noCredentials = motoEnv(moto);
    delete noCredentials.AWS_ACCESS_KEY_ID;
    delete noCredentials.AWS_SECRET_ACCESS_KEY;
    const script = 'require(process.argv[1]).handler(JSON.parse(process.argv[2])).catch((e) => { process.stdout.write(e.message); process.exitCode = 1; })';
    const run = spawnSync(process.execPath, ['-e', script, path.join(ROOT, 'assets', 'lambda', 'run-manifest', 'index.js'), JSON.stringify(event([{ bucket: 'lake-raw', prefix: 'churn/' }]))],
      { env: noCredentials, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('Could not load credentials from any providers');
  }, 60_000);
});

/** A DescribeTrainingJob result, as the `.sync` integration returns it. */
function trainingDescription(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    TrainingJobName: 'churn-exec-1',
    TrainingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-exec-1',
    TrainingJobStatus: 'Completed',
    SecondaryStatus: 'Completed',
    SecondaryStatusTransitions: [{ Status: 'Starting', StartTime: 1795773600, StatusMessage: 'Preparing the instances' }],
    CreationTime: 1795773600,
    TrainingStartTime: 1795773700,
    TrainingEndTime: 1795774600,
    LastModifiedTime: 1795774700,
    TrainingTimeInSeconds: 900,
    BillableTimeInSeconds: 450,
    ProfilingStatus: 'Disabled',
    WarmPoolStatus: { Status: 'Terminated' },
    ModelArtifacts: { S3ModelArtifacts: 's3://lake-artifacts/runs/exec-1/model/churn-exec-1/output/model.tar.gz' },
    FinalMetricDataList: [
      { MetricName: 'validation:auc', Value: 0.91, Timestamp: 1795774600 },
      { MetricName: 'train:auc', Value: 0.95, Timestamp: 1795774600 },
    ],
    AlgorithmSpecification: {
      TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      TrainingInputMode: 'File',
      EnableSageMakerMetricsTimeSeries: false,
    },
    RoleArn: 'arn:aws:iam::123456789012:role/TrainingRole',
    HyperParameters: { objective: 'binary:logistic', num_round: '200' },
    InputDataConfig: [
      { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://lake-curated/runs/exec-1/train/' } }, ContentType: 'text/csv' },
      { ChannelName: 'validation', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://lake-curated/runs/exec-1/validation/' } } },
    ],
    OutputDataConfig: { S3OutputPath: 's3://lake-artifacts/runs/exec-1/model/', KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k' },
    ResourceConfig: { InstanceType: 'ml.g5.xlarge', InstanceCount: 2, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
    EnableManagedSpotTraining: true,
    CheckpointConfig: { S3Uri: 's3://lake-artifacts/runs/exec-1/checkpoints/' },
    VpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1', 'subnet-2'] },
    EnableNetworkIsolation: true,
    EnableInterContainerTrafficEncryption: true,
    Environment: { LOG_LEVEL: 'info' },
    RetryStrategy: { MaximumRetryAttempts: 2 },
    ...overrides,
  };
}

function preprocessingDescription(): Record<string, any> {
  return {
    ProcessingJobName: 'churn-prep-exec-1',
    ProcessingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:processing-job/churn-prep-exec-1',
    ProcessingJobStatus: 'Completed',
    AppSpecification: {
      ImageUri: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
      ContainerEntrypoint: ['python3', '/opt/ml/processing/code/preprocess.py'],
      ContainerArguments: ['--test-fraction', '0.2'],
    },
    ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 } },
    ProcessingOutputConfig: {
      Outputs: [
        { OutputName: 'train', S3Output: { S3Uri: 's3://lake-curated/runs/exec-1/train/', LocalPath: '/opt/ml/processing/train', S3UploadMode: 'EndOfJob' } },
        { OutputName: 'validation', S3Output: { S3Uri: 's3://lake-curated/runs/exec-1/validation/', LocalPath: '/opt/ml/processing/validation', S3UploadMode: 'EndOfJob' } },
      ],
    },
  };
}

const LISTINGS: InputListing[] = [{
  prefixUri: 's3://lake-raw/churn/',
  objects: [{ uri: 's3://lake-raw/churn/a.csv', versionId: 'a1', etag: '"e"', size: 10, lastModified: '2026-11-20T08:30:00.000Z' }],
  truncated: false,
}];

/** Every field of CreateTrainingJob that DescribeTrainingJob returns in `trainingDescription()`. */
const CREATE_FIELDS_IN_DESCRIPTION = [
  'AlgorithmSpecification', 'RoleArn', 'HyperParameters', 'InputDataConfig', 'OutputDataConfig', 'ResourceConfig',
  'StoppingCondition', 'EnableManagedSpotTraining', 'CheckpointConfig', 'VpcConfig', 'EnableNetworkIsolation',
  'EnableInterContainerTrafficEncryption', 'Environment', 'RetryStrategy',
];

describe('buildManifest for a registered run', () => {
  const run = {
    outcome: { status: 'REGISTERED' },
    preprocessing: preprocessingDescription(),
    training: trainingDescription(),
    evaluation: { ProcessingJobName: 'churn-eval-exec-1', ProcessingJobStatus: 'Completed' },
    evaluationReport: { metrics: { 'validation:auc': { value: 0.91 } } },
    gate: { passed: true, metric: 'validation:auc', value: 0.91, threshold: 0.8 },
    registration: { ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/3' },
  };
  const problems: string[] = [];
  const manifest: any = buildManifest(event([], run), LISTINGS, problems);

  test('records the execution, the outcome, the gate and the inputs', () => {
    expect(manifest.schemaVersion).toBe(1);
    expect(manifest.execution).toEqual(EXECUTION);
    expect(manifest.outcome).toBe('REGISTERED');
    expect(manifest.failure).toBeUndefined();
    expect(manifest.gate).toEqual(run.gate);
    expect(manifest.inputs).toEqual(LISTINGS);
  });

  test('summarizes the preprocessing job: image, arguments, resources and outputs', () => {
    expect(manifest.preprocessing).toEqual({
      jobName: 'churn-prep-exec-1',
      jobArn: 'arn:aws:sagemaker:us-east-1:123456789012:processing-job/churn-prep-exec-1',
      imageUri: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
      arguments: ['--test-fraction', '0.2'],
      instanceType: 'ml.m5.xlarge',
      instanceCount: 1,
      outputs: [
        { name: 'train', uri: 's3://lake-curated/runs/exec-1/train/' },
        { name: 'validation', uri: 's3://lake-curated/runs/exec-1/validation/' },
      ],
    });
  });

  test('summarizes the training job: image, resources, spot, hyperparameters, channels, metrics, model and billing', () => {
    expect(manifest.training).toEqual({
      jobName: 'churn-exec-1',
      jobArn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-exec-1',
      imageUri: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      instanceType: 'ml.g5.xlarge',
      instanceCount: 2,
      spot: true,
      startTime: 1795773700,
      outputKmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
      hyperparameters: { objective: 'binary:logistic', num_round: '200' },
      channels: [
        { name: 'train', uri: 's3://lake-curated/runs/exec-1/train/' },
        { name: 'validation', uri: 's3://lake-curated/runs/exec-1/validation/' },
      ],
      metrics: { 'validation:auc': 0.91, 'train:auc': 0.95 },
      modelArtifact: 's3://lake-artifacts/runs/exec-1/model/churn-exec-1/output/model.tar.gz',
      billableSeconds: 450,
    });
  });

  test('records the evaluation job with its report, and the model package', () => {
    expect(manifest.evaluation).toEqual({ jobName: 'churn-eval-exec-1', report: run.evaluationReport });
    expect(manifest.modelPackageArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/3');
  });

  test('reports no problem, in the very list it was given', () => {
    expect(manifest.problems).toEqual([]);
    expect(manifest.problems).toBe(problems);
  });

  test('survives JSON: what is written is what was built', () => {
    expect(JSON.parse(JSON.stringify(manifest))).toEqual(manifest);
  });
});

describe('buildManifest drift baseline', () => {
  const base = { outcome: { status: 'REGISTERED' }, training: trainingDescription() };
  const baseline = {
    uri: 's3://lake-artifacts/churn/runs/exec-1/baseline/baseline.json', rows: 1200, features: 6, problems: { columnCount: 2, nonNumeric: 0 },
  };

  test('records the baseline of the training split: URI, rows, features and the rows it skipped', () => {
    const problems: string[] = [];
    const manifest: any = buildManifest(event([], { ...base, baseline }), [], problems);
    expect(manifest.baseline).toEqual({ uri: baseline.uri, rows: 1200, features: 6, skipped: { columnCount: 2, nonNumeric: 0 }, currentUri: undefined });
    expect(problems).toEqual([]);
  });

  test('records where the monitor reads it once the run\'s model serves', () => {
    const current = { ...baseline, current: { uri: 's3://lake-artifacts/churn/baseline/current.json' } };
    const manifest: any = buildManifest(event([], { ...base, baseline: current }), [], []);
    expect(manifest.baseline.currentUri).toBe('s3://lake-artifacts/churn/baseline/current.json');
  });

  test('has no baseline when the pipeline computes none or the run failed before it', () => {
    const manifest: any = buildManifest(event([], base), [], []);
    expect(manifest.baseline).toBeUndefined();
    expect('baseline' in JSON.parse(JSON.stringify(manifest))).toBe(false);
  });

  test('a baseline field without a URI is a problem, not a crash', () => {
    const problems: string[] = [];
    const manifest: any = buildManifest(event([], { ...base, baseline: { rows: 3 } }), [], problems);
    expect(manifest.baseline).toBeUndefined();
    expect(problems).toEqual(['run field \'baseline\' has no uri: {"rows":3}']);
  });
});

describe('buildManifest rerun request', () => {
  test('holds exactly the CreateTrainingJob fields present in the description, unchanged', () => {
    const description = trainingDescription();
    const request = (buildManifest(event([], { training: description }), [], []) as any).rerun.createTrainingJobRequest;
    expect(Object.keys(request).sort()).toEqual([...CREATE_FIELDS_IN_DESCRIPTION].sort());
    for (const field of CREATE_FIELDS_IN_DESCRIPTION) expect([field, request[field]]).toEqual([field, description[field]]);
  });

  test('holds none of the fields that only describe the finished job', () => {
    const request = (buildManifest(event([], { training: trainingDescription() }), [], []) as any).rerun.createTrainingJobRequest;
    for (const field of [
      'TrainingJobName', 'TrainingJobArn', 'TrainingJobStatus', 'SecondaryStatus', 'SecondaryStatusTransitions',
      'CreationTime', 'TrainingStartTime', 'TrainingEndTime', 'LastModifiedTime', 'TrainingTimeInSeconds',
      'BillableTimeInSeconds', 'ModelArtifacts', 'FinalMetricDataList', 'ProfilingStatus', 'WarmPoolStatus',
    ]) {
      expect(request).not.toHaveProperty(field);
    }
  });

  test('leaves out the fields the description does not have, rather than setting them to undefined', () => {
    const minimal = {
      TrainingJobName: 'j', TrainingJobStatus: 'Completed',
      AlgorithmSpecification: { TrainingImage: 'i', TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::123456789012:role/R',
      OutputDataConfig: { S3OutputPath: 's3://b/p/' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    };
    const request = (buildManifest(event([], { training: minimal }), [], []) as any).rerun.createTrainingJobRequest;
    expect(Object.keys(request).sort()).toEqual(['AlgorithmSpecification', 'OutputDataConfig', 'ResourceConfig', 'RoleArn', 'StoppingCondition']);
  });

  test('keeps a false flag: EnableManagedSpotTraining false is a setting, not an absence', () => {
    const request = (buildManifest(event([], { training: trainingDescription({ EnableManagedSpotTraining: false }) }), [], []) as any)
      .rerun.createTrainingJobRequest;
    expect(request.EnableManagedSpotTraining).toBe(false);
  });

  // DescribeTrainingJob returns these, and CreateTrainingJob takes them back as they are.
  test('keeps the Debugger, profiler, TensorBoard and experiment settings of the description', () => {
    const extra = {
      DebugHookConfig: { S3OutputPath: 's3://lake-artifacts/runs/exec-1/debug/' },
      DebugRuleConfigurations: [{ RuleConfigurationName: 'LossNotDecreasing', RuleEvaluatorImage: 'img' }],
      ProfilerConfig: { S3OutputPath: 's3://lake-artifacts/runs/exec-1/profiler/', DisableProfiler: false },
      ProfilerRuleConfigurations: [{ RuleConfigurationName: 'ProfilerReport', RuleEvaluatorImage: 'img' }],
      TensorBoardOutputConfig: { S3OutputPath: 's3://lake-artifacts/runs/exec-1/tensorboard/' },
      ExperimentConfig: { ExperimentName: 'churn', TrialName: 'exec-1' },
    };
    const request = (buildManifest(event([], { training: trainingDescription(extra) }), [], []) as any).rerun.createTrainingJobRequest;
    expect(request).toMatchObject(extra);
  });
});

describe('buildManifest for a rejected run', () => {
  const run = {
    outcome: { status: 'REJECTED' },
    preprocessing: preprocessingDescription(),
    training: trainingDescription(),
    evaluation: { ProcessingJobName: 'churn-eval-exec-1' },
    evaluationReport: { metrics: { 'validation:auc': { value: 0.61 } } },
    gate: { passed: false, metric: 'validation:auc', value: 0.61, threshold: 0.8 },
  };
  const manifest: any = buildManifest(event([], run), LISTINGS, []);

  test('records the outcome and the gate that rejected it, with no failure and no model package', () => {
    expect(manifest.outcome).toBe('REJECTED');
    expect(manifest.gate).toEqual({ passed: false, metric: 'validation:auc', value: 0.61, threshold: 0.8 });
    expect(manifest.failure).toBeUndefined();
    expect(manifest.modelPackageArn).toBeUndefined();
  });

  test('still records the training job and a rerun request, so the rejected model can be reproduced', () => {
    expect(manifest.training.jobName).toBe('churn-exec-1');
    expect(manifest.training.metrics).toEqual({ 'validation:auc': 0.91, 'train:auc': 0.95 });
    expect(manifest.rerun.createTrainingJobRequest.InputDataConfig).toEqual(run.training.InputDataConfig);
    expect(manifest.evaluation.report).toEqual(run.evaluationReport);
    expect(manifest.problems).toEqual([]);
  });
});

describe('buildManifest for a failed run', () => {
  test('records the failing step with the error and its cause', () => {
    const manifest: any = buildManifest(event([], {
      outcome: { status: 'FAILED', step: 'Evaluate' },
      error: { Error: 'SageMaker.AmazonSageMakerException', Cause: 'ResourceLimitExceeded: ml.g5.xlarge' },
      preprocessing: preprocessingDescription(),
      training: trainingDescription(),
    }), LISTINGS, []);
    expect(manifest.outcome).toBe('FAILED');
    expect(manifest.failure).toEqual({
      step: 'Evaluate', error: 'SageMaker.AmazonSageMakerException', cause: 'ResourceLimitExceeded: ml.g5.xlarge',
    });
    expect(manifest.training.jobName).toBe('churn-exec-1');
    expect(manifest.evaluation).toBeUndefined();
    expect(manifest.modelPackageArn).toBeUndefined();
  });

  test('a run that failed before training has no training summary and no rerun, and says so in problems', () => {
    const problems: string[] = [];
    const manifest: any = buildManifest(event([], {
      outcome: { status: 'FAILED', step: 'Preprocess' },
      error: { Error: 'States.TaskFailed', Cause: 'AlgorithmError' },
    }), LISTINGS, problems);
    expect(manifest.failure).toEqual({ step: 'Preprocess', error: 'States.TaskFailed', cause: 'AlgorithmError' });
    expect(manifest.training).toBeUndefined();
    expect(manifest.rerun).toBeUndefined();
    expect(manifest.preprocessing).toBeUndefined();
    expect(problems).toEqual(['run has no training result']);
    expect(manifest.inputs).toEqual(LISTINGS);
  });

  test('a failed run without an error object still records the step', () => {
    const manifest: any = buildManifest(event([], { outcome: { status: 'FAILED', step: 'Train' } }), [], []);
    expect(manifest.failure).toEqual({ step: 'Train', error: undefined, cause: undefined });
  });

  test('only a FAILED outcome records a failure', () => {
    const manifest: any = buildManifest(event([], {
      outcome: { status: 'REJECTED', step: 'Gate' }, error: { Error: 'x', Cause: 'y' }, training: trainingDescription(),
    }), [], []);
    expect(manifest.failure).toBeUndefined();
  });
});

describe('buildManifest with incomplete or malformed run data', () => {
  test('skips malformed metrics, keeps the good ones, and reports each skipped one', () => {
    const problems: string[] = [];
    const manifest: any = buildManifest(event([], {
      training: trainingDescription({
        FinalMetricDataList: [
          { MetricName: 'validation:auc', Value: 0.91 },
          { MetricName: 'validation:logloss' },
          { Value: 0.2 },
          { MetricName: 'train:auc', Value: '0.95' },
          null,
          'validation:error=0.1',
          { MetricName: 'validation:error', Value: 0.1 },
        ],
      }),
    }), [], problems);
    expect(manifest.training.metrics).toEqual({ 'validation:auc': 0.91, 'validation:error': 0.1 });
    expect(problems).toHaveLength(5);
    expect(problems.every((p) => p.startsWith('malformed metric skipped: '))).toBe(true);
    expect(problems[0]).toContain('validation:logloss');
    expect(problems[2]).toContain('"0.95"');
  });

  test('a very long malformed metric is cut in the report', () => {
    const problems: string[] = [];
    buildManifest(event([], { training: trainingDescription({ FinalMetricDataList: [{ MetricName: 'x'.repeat(500) }] }) }), [], problems);
    expect(problems).toHaveLength(1);
    expect(problems[0].length).toBeLessThan(200);
  });

  test('a training job without metrics has an empty metric map and no problem', () => {
    const problems: string[] = [];
    const manifest: any = buildManifest(event([], { training: trainingDescription({ FinalMetricDataList: undefined }) }), [], problems);
    expect(manifest.training.metrics).toEqual({});
    expect(problems).toEqual([]);
  });

  test('defaults: no spot flag is on-demand, no hyperparameters is {}, no channels is []', () => {
    const manifest: any = buildManifest(event([], {
      training: trainingDescription({ EnableManagedSpotTraining: undefined, HyperParameters: undefined, InputDataConfig: undefined }),
    }), [], []);
    expect(manifest.training).toMatchObject({ spot: false, hyperparameters: {}, channels: [] });
  });

  test.each([
    ['a string', 'churn-exec-1'],
    ['an array', [{ TrainingJobName: 'churn-exec-1' }]],
    ['a number', 42],
  ])('a training result that is %s is reported, not summarized', (_what, value) => {
    const problems: string[] = [];
    const manifest: any = buildManifest(event([], { training: value }), [], problems);
    expect(manifest.training).toBeUndefined();
    expect(manifest.rerun).toBeUndefined();
    expect(problems).toEqual([`run field 'training' is not an object: ${JSON.stringify(value)}`]);
  });

  test('a preprocessing result that is not an object is reported too; a missing one is not a problem', () => {
    const problems: string[] = [];
    const manifest: any = buildManifest(event([], { training: trainingDescription(), preprocessing: 'oops' }), [], problems);
    expect(manifest.preprocessing).toBeUndefined();
    expect(problems).toEqual(['run field \'preprocessing\' is not an object: "oops"']);
    const clean: string[] = [];
    buildManifest(event([], { training: trainingDescription() }), [], clean);
    expect(clean).toEqual([]);
  });

  test('a run without outcome is UNKNOWN', () => {
    const manifest: any = buildManifest(event([], { training: trainingDescription() }), [], []);
    expect(manifest.outcome).toBe('UNKNOWN');
  });

  test('an event without run data is reported as a run without training', () => {
    const problems: string[] = [];
    const manifest: any = buildManifest({ ...event([]), run: undefined as any }, [], problems);
    expect(manifest.outcome).toBe('UNKNOWN');
    expect(problems).toEqual(['run has no training result']);
  });

  test('keeps the problems it was given, such as those of the listing, before its own', () => {
    const problems = ['object version without key or version id skipped under s3://lake-raw/churn/'];
    const manifest: any = buildManifest(event([], {}), [], problems);
    expect(manifest.problems).toEqual([
      'object version without key or version id skipped under s3://lake-raw/churn/',
      'run has no training result',
    ]);
  });
});
