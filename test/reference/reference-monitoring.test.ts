/**
 * The reference stack watches its model: the drift monitor reads the baseline that a run promotes
 * with the model it deploys, and that baseline names the features in the order the endpoint
 * receives them. Proven end to end on this machine: the example preprocess.py splits the sample
 * data set, and the real drift-baseline handler (over a mocked S3) reads the split with the
 * payload the reference pipeline's state machine sends.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { CHURN_FEATURES, MlopsReferenceStack } from '../../bin/reference-stack';
import { handler as baselineHandler } from '../../lambda/drift-baseline';
import { ROOT, testApp } from '../helpers/app';
import { definitionFromTemplate } from '../helpers/asl';

const SAMPLE = path.join(ROOT, 'examples', 'training', 'data', 'sample', 'churn.csv');
const PREPROCESS = path.join(ROOT, 'examples', 'training', 'scripts', 'preprocess.py');

const stack = new MlopsReferenceStack(testApp(), 'MlopsReference', { env: { account: '123456789012', region: 'us-east-1' } });
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, any>;
const pipelineId = Object.keys(resources).find((id) => id.startsWith('PipelineStateMachine') && resources[id].Type === 'AWS::StepFunctions::StateMachine');
const definition = definitionFromTemplate(template, pipelineId);
const payload = definition.States.ComputeBaseline.Parameters;

function sampleHeader(): string[] {
  // preprocess.py strips the names (the sample's lines end in CRLF).
  return fs.readFileSync(SAMPLE, 'utf8').split(/\r?\n/, 1)[0].split(',').map((name) => name.trim());
}

describe('the reference stack\'s baseline and drift monitor', () => {
  test('the baseline names the sample\'s features in its column order, label first as preprocess.py writes the split', () => {
    const header = sampleHeader();
    expect(CHURN_FEATURES).toEqual(header.filter((name) => name !== 'label'));
    expect(payload.columns).toEqual(['label', ...CHURN_FEATURES]);
    expect(payload.schema.features.map((f: any) => f.name)).toEqual(CHURN_FEATURES);
    expect(payload.label).toBe('label');
  });

  test('the monitor reads the served model\'s baseline, the key the run promotes it to', () => {
    expect(stack.pipeline.currentBaselineKey).toBe('churn/baseline/current.json');
    expect(definition.States.PromoteBaseline.Parameters.promote.to.key).toBe('churn/baseline/current.json');
    const withBaseline = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.BASELINE_KEY);
    expect(withBaseline.length).toBeGreaterThan(0);
    const artifacts = Object.keys(resources).find((id) => id.startsWith('DataLakeArtifactsBucket') && resources[id].Type === 'AWS::S3::Bucket');
    for (const fn of withBaseline) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ BASELINE_KEY: 'churn/baseline/current.json', BASELINE_BUCKET: { Ref: artifacts } });
    }
  });

  test('every feature with an alarm is a feature of the baseline', () => {
    expect(stack.monitor.features.map((f) => f.featureName).filter((name) => !CHURN_FEATURES.includes(name))).toEqual([]);
    expect(stack.monitor.features).toHaveLength(3);
  });

  test('outputs name the drift alarm topic and the dashboard', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.DriftAlarmTopicArn.Value).toEqual(stack.resolve(stack.monitor.notificationTopic.topicArn));
    expect(outputs.DashboardName.Value).toEqual(stack.resolve(stack.dashboard.dashboard.dashboardName));
  });
});

describe('the baseline of the sample data set, split by the example preprocess.py', () => {
  const s3 = mockClient(S3Client);
  let work: string;
  const written = new Map<string, string>();

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-reference-baseline-'));
    fs.mkdirSync(path.join(work, 'input'));
    fs.copyFileSync(SAMPLE, path.join(work, 'input', 'churn.csv'));
    const run = spawnSync('python3', [PREPROCESS, '--input-dir', path.join(work, 'input'), '--output-dir', path.join(work, 'output')], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`preprocess.py exited ${run.status}: ${run.stderr}`);
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([fs.readFileSync(path.join(work, 'output', 'train', 'train.csv'))]) }));
    s3.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string }) => {
      written.set(`${input.Bucket}/${input.Key}`, String(input.Body));
      return {};
    });
  });

  afterAll(() => {
    s3.restore();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('reads every row of the header-less split, six numeric features, with the statistics numpy gives', async () => {
    // The event the state machine sends, with the run's keys filled in.
    const event = { ...payload, train: { bucket: 'curated', key: 'churn/runs/r1/train/train.csv' }, output: { bucket: 'artifacts', key: 'churn/runs/r1/baseline/baseline.json' } };
    delete event['key.$'];
    const result = await baselineHandler(event);
    const lines = fs.readFileSync(path.join(work, 'output', 'train', 'train.csv'), 'utf8').trim().split('\n');
    expect(result).toEqual({ baselineUri: 's3://artifacts/churn/runs/r1/baseline/baseline.json', rows: lines.length, features: 6, problems: { columnCount: 0, nonNumeric: 0 } });
    const baseline = JSON.parse(written.get('artifacts/churn/runs/r1/baseline/baseline.json')!);
    expect(baseline.features.map((f: any) => [f.name, f.type])).toEqual(CHURN_FEATURES.map((n) => [n, 'numeric']));

    // preprocess.py's own statistics of the same split (numpy, population std): the two agree.
    const numpy = JSON.parse(fs.readFileSync(path.join(work, 'output', 'baseline', 'statistics.json'), 'utf8'));
    expect(numpy.feature_names).toEqual(CHURN_FEATURES);
    for (const feature of baseline.features) {
      const expected = numpy.features[feature.name];
      expect([feature.name, feature.count, feature.min, feature.max]).toEqual([feature.name, expected.count, expected.min, expected.max]);
      expect(Math.abs(feature.mean - expected.mean)).toBeLessThan(1e-9 * Math.max(1, Math.abs(expected.mean)));
      expect(Math.abs(feature.std - expected.std)).toBeLessThan(1e-9 * Math.max(1, expected.std));
    }
  });
});
