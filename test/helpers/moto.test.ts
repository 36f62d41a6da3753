/**
 * The answers test/helpers/moto.ts gives where moto 5.2.1 answers differently from AWS (the local run and
 * the promotion test on moto both use them), against a caller that answers as moto does.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeStackResourceOnMoto, MotoCaller, motoEndpointName, MotoServer, queryMoto, startMoto } from './moto';
import { alive } from './processes';

const SUMMARIES = [
  { LogicalResourceId: 'Endpoint', PhysicalResourceId: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/MlopsReference-Endpoint-AB12', ResourceType: 'AWS::SageMaker::Endpoint' },
  { LogicalResourceId: 'Table', PhysicalResourceId: 'runs-table', ResourceType: 'AWS::DynamoDB::Table' },
];

function caller(calls: unknown[][]): MotoCaller {
  return async (service, operation, params) => {
    calls.push([service, operation, params]);
    if (`${service}.${operation}` !== 'cloudformation.ListStackResources') throw new Error(`unexpected ${service}.${operation}`);
    return { StackResourceSummaries: SUMMARIES };
  };
}

test('DescribeStackResource is answered from ListStackResources, with the stack name, as CloudFormation answers it', async () => {
  const calls: unknown[][] = [];
  await expect(describeStackResourceOnMoto(caller(calls), { StackName: 'S', LogicalResourceId: 'Table' })).resolves.toEqual({
    StackResourceDetail: { ...SUMMARIES[1], StackName: 'S' },
  });
  expect(calls).toEqual([['cloudformation', 'ListStackResources', { StackName: 'S' }]]);
});

test('DescribeStackResource of a logical id the stack lacks fails as the SDK integration names it, naming the id', async () => {
  const error = await describeStackResourceOnMoto(caller([]), { StackName: 'S', LogicalResourceId: 'Missing' }).catch((e) => e);
  expect([error.name, error.message]).toEqual(['CloudFormation.CloudFormationException', 'Resource Missing does not exist for stack S']);
});

test('the template\'s endpoint name maps to the name moto gave that endpoint; other names stay as they are', async () => {
  const template = { Resources: { Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'churn' } } } };
  const calls: unknown[][] = [];
  await expect(motoEndpointName(caller(calls), template, 'S', 'churn')).resolves.toBe('MlopsReference-Endpoint-AB12');
  expect(calls).toEqual([['cloudformation', 'ListStackResources', { StackName: 'S' }]]);
  await expect(motoEndpointName(caller(calls), template, 'S', 'other')).resolves.toBe('other');
  expect(calls).toHaveLength(1);
  await expect(motoEndpointName(caller([]), { Resources: { Gone: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'x' } } } }, 'S', 'x')).resolves.toBe('x');
});

describe('startMoto with a Python that has no moto', () => {
  const saved = process.env.MOTO_PYTHON;
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-nomoto-')); });
  afterEach(() => {
    if (saved === undefined) delete process.env.MOTO_PYTHON;
    else process.env.MOTO_PYTHON = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('fails on the first start, saying what to install (only a port taken meanwhile is retried)', async () => {
    // GIVEN a "python" that counts its starts and fails as a Python without moto does
    const python = path.join(dir, 'python3');
    const starts = path.join(dir, 'starts');
    fs.writeFileSync(python, `#!/bin/sh\necho x >> ${starts}\necho "ModuleNotFoundError: No module named 'moto'" >&2\nexit 1\n`, { mode: 0o755 });
    process.env.MOTO_PYTHON = python;
    // THEN
    await expect(startMoto({ timeoutMs: 10_000 })).rejects.toThrow(/has no moto server: install it with {2}python3 -m pip install "moto\[server\]==5\.2\.1"/);
    expect(fs.readFileSync(starts, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  test('a Python that does not exist fails, naming it and what to install', async () => {
    process.env.MOTO_PYTHON = path.join(dir, 'missing-python');
    await expect(startMoto({ timeoutMs: 10_000 })).rejects.toThrow(/could not start the moto server with \S+missing-python \(spawn \S+ ENOENT\): install it with/);
  });
});

describe('queryMoto', () => {
  let moto: MotoServer | undefined;
  beforeAll(async () => { moto = await startMoto(); }, 60_000);
  afterAll(() => moto?.stop());

  /** The pids of this process's children that run the query script. */
  const queryProcesses = () => fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid
        && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('xform_name');
    } catch {
      return false; // gone meanwhile
    }
  }).map(Number);

  test('a call boto3 refuses before sending (a missing parameter, an unknown operation) is that call\'s error; the queries behind it are answered', async () => {
    const [refused, unknown, after] = await Promise.all([
      queryMoto(moto!, [{ service: 's3', operation: 'GetObject', params: { Bucket: 'query-test' } }]),
      queryMoto(moto!, [{ service: 's3', operation: 'NoSuchOperation' }]),
      queryMoto(moto!, [{ service: 's3', operation: 'ListBuckets' }]),
    ]);
    expect(refused[0].error?.code).toBe('ParamValidationError');
    expect(unknown[0].error?.code).toBe('AttributeError');
    expect(after[0].error).toBeUndefined();
    expect(queryProcesses()).toHaveLength(1);
  }, 60_000);

  test('queries at once are answered in order, errors as answers, by one Python process that ends with the server', async () => {
    const [created, missing, listed] = await Promise.all([
      queryMoto(moto!, [{ service: 's3', operation: 'CreateBucket', params: { Bucket: 'query-test' } }]),
      queryMoto(moto!, [{ service: 's3', operation: 'HeadBucket', params: { Bucket: 'no-such-bucket' } }]),
      queryMoto(moto!, [{ service: 's3', operation: 'ListBuckets' }, { service: 's3', operation: 'GetBucketVersioning', params: { Bucket: 'query-test' } }]),
    ]);
    expect(created[0].error).toBeUndefined();
    expect(missing[0].error?.code).toBe('404');
    expect(listed.map((a) => a.error)).toEqual([undefined, undefined]);
    expect(listed[0].result.Buckets.map((b: { Name: string }) => b.Name)).toContain('query-test');
    const pids = queryProcesses();
    expect(pids).toHaveLength(1);
    await moto!.stop();
    // Polled between turns of the event loop, which reaps the killed child.
    for (let i = 0; i < 50 && alive(pids[0]); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pids[0])).toBe(false);
  }, 60_000);
});
