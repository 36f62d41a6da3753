/**
 * Deploys synthesized stacks with the real CDK CLI to a local moto server (DESIGN.md, "Local proof without
 * AWS"), and asks moto what it created.
 *
 *   let moto: MotoServer;
 *   beforeAll(async () => { moto = await startMoto(); });
 *   afterAll(() => moto?.stop());
 *   test('deploys', async () => {
 *     await deployToMoto(moto, 'npx tsx test/fixtures/moto-app.ts', 'MotoDataLake');
 *     const [stacks] = await queryMoto(moto, [{ service: 'cloudformation', operation: 'DescribeStacks', params: { StackName: 'MotoDataLake' } }]);
 *   });
 *
 * What moto 5.2.1 does with a CloudFormation template (read in moto/cloudformation/parsing.py):
 * - resource types it does not model are skipped with only a Python warning, and the stack still ends
 *   CREATE_COMPLETE (e.g. AWS::S3::BucketPolicy, AWS::Glue::Database, AWS::CloudWatch::Alarm,
 *   AWS::ApplicationAutoScaling::*, AWS::SageMaker::ModelPackageGroup, AWS::SageMaker::MonitoringSchedule,
 *   AWS::CDK::Metadata); `moto.cloudformation.parsing.get_model_map()` lists the ~100 types it models;
 * - AWS::S3::Bucket applies only BucketName, BucketEncryption (without BucketKeyEnabled) and Tags:
 *   versioning, public access block, ownership, logging, lifecycle and notifications are dropped;
 * - a KMS key created by CloudFormation keeps its policy as an object, which makes DescribeKey answer
 *   HTTP 500 (ListKeys and GetKeyRotationStatus work).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { S3Client } from '@aws-sdk/client-s3';
import { ROOT } from './app';
import { DIE_WITH_PARENT, motoPython, spawnDyingWithParent } from './die-with-parent';

/** The account moto answers with for any credentials. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = 'us-east-1';

export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL and SDK clients. */
  readonly endpoint: string;
  readonly port: number;
  /** The server's latest output (its request log and Python tracebacks), for error messages. */
  log(): string;
  /** Stops the server; safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer HTTP. @default 30_000 */
  readonly timeoutMs?: number;
}

/** Every server this process started and has not stopped yet, killed when the process exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/**
 * Starts `moto_server -H 127.0.0.1 -p <free port>` and resolves once it answers HTTP.
 *
 * The server is moto's own `moto.server.main` (what the `moto_server` script runs), started through
 * `python3 -c` so that it can first ask Linux to SIGTERM it when its parent dies (die-with-parent.ts
 * `DIE_WITH_PARENT`): even a jest worker killed with SIGKILL cannot leave it behind. `stop()` (call
 * it in `afterAll`) and an exit hook kill it in the normal cases. Only a port taken meanwhile is
 * retried; a Python without moto fails at once, saying what to install.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let lastError: unknown;
  // Another process may take the free port between our probe and moto's bind: try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, timeoutMs);
    } catch (error) {
      lastError = error;
      if (!(error instanceof MotoPortTaken)) throw error;
    }
  }
  throw lastError;
}

class MotoPortTaken extends Error {}

/** What to do when the Python has no moto (or cannot run). */
const INSTALL_MOTO = 'install it with  python3 -m pip install "moto[server]==5.2.1"  (or point MOTO_PYTHON at a Python that has it)';

const MOTO_LAUNCHER = [DIE_WITH_PARENT, 'import sys', 'from moto.server import main', 'main(sys.argv[1:])'].join('\n');

async function startOn(port: number, timeoutMs: number): Promise<MotoServer> {
  const python = motoPython();
  const child = spawn(python, ['-c', MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONWARNINGS: 'default', PYTHONUNBUFFERED: '1' },
  });
  running.add(child);
  let output = '';
  const append = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000); };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running.delete(child); resolve(); }));
  let spawnError: Error | undefined;
  child.once('error', (error) => { spawnError = error; });

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    stopQuerier(endpoint);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(endpoint))) {
    if (spawnError) throw new Error(`could not start the moto server with ${python} (${spawnError.message}): ${INSTALL_MOTO}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(child);
      const message = `moto_server on port ${port} exited (${child.exitCode ?? child.signalCode}):\n${output}`;
      if (/Address already in use|is in use by another program/.test(output)) throw new MotoPortTaken(message);
      if (/No module named '(moto|flask|werkzeug)/.test(output)) throw new Error(`${message}\n${python} has no moto server: ${INSTALL_MOTO}`);
      throw new Error(message);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server on port ${port} did not answer within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(200);
  }
  return { endpoint, port, log: () => output, stop };
}

/** A TCP port on 127.0.0.1 that nothing listens on now (another process may take it before it is used). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(`${endpoint}/moto-api/`, (response) => { response.resume(); resolve(true); });
    request.setTimeout(1_000, () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The environment of a CDK CLI (or SDK) pointed at moto: moto's endpoint for every service, dummy
 * credentials, no profile or config file of this machine, no telemetry, notices or version checks.
 */
export function motoEnv(moto: MotoServer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  const empty = path.join(os.tmpdir(), 'cdk-mlops-moto-no-aws-config');
  // The unit-test setup turns CDK's CloudFormation validator off for speed; keep that for the app.
  if (process.env.CDK_VALIDATION !== undefined) env.CDK_VALIDATION = process.env.CDK_VALIDATION;
  return {
    ...env,
    AWS_ENDPOINT_URL: moto.endpoint,
    // The CLI builds the TemplateURL it hands CloudFormation from this S3 endpoint (nothing connects to
    // it). moto's CloudFormation reads the template from its own S3 and takes the bucket from the path
    // only when the URL holds 'localhost' (else from the host name): so localhost, not 127.0.0.1.
    AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION: `http://localhost:${moto.port}`,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_REGION: MOTO_REGION,
    AWS_CONFIG_FILE: empty,
    AWS_SHARED_CREDENTIALS_FILE: empty,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DEFAULT_ACCOUNT: MOTO_ACCOUNT,
    CDK_DEFAULT_REGION: MOTO_REGION,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CI: 'true',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    // The SDK's notice that Node 20 support ends is noise in every error message.
    NODE_NO_WARNINGS: '1',
  };
}

export interface CdkResult {
  readonly output: string;
  readonly durationMs: number;
}

/**
 * Runs the CDK CLI of node_modules (`npx cdk` without npx's lookup) against moto, in the repository root
 * (so cdk.json's feature flags apply) and throws with its whole output when it fails or runs too long.
 */
export async function runCdk(moto: MotoServer, args: string[], timeoutMs = 180_000, env: NodeJS.ProcessEnv = {}): Promise<CdkResult> {
  const cli = require.resolve('aws-cdk/bin/cdk', { paths: [ROOT] });
  const started = Date.now();
  // Its own process group, so a timeout also ends the app the CLI started; it dies with this process.
  const child = spawnDyingWithParent(process.execPath, [cli, ...args, '--no-notices'], {
    cwd: ROOT,
    env: { ...motoEnv(moto), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const append = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-200_000); };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
  }, timeoutMs);
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
  }).finally(() => clearTimeout(timer));
  const result = { output, durationMs: Date.now() - started };
  if (timedOut || code !== 0) {
    const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code}`;
    throw new Error(`cdk ${args.join(' ')} ${why}:\n${output.slice(-12_000)}\n--- moto log (tail) ---\n${moto.log().slice(-4_000)}`);
  }
  return result;
}

const bootstrapped = new WeakSet<MotoServer>();

/** `cdk bootstrap aws://123456789012/us-east-1` on moto, once per server. */
export async function bootstrapMoto(moto: MotoServer, appCommand: string, timeoutMs = 120_000): Promise<CdkResult | undefined> {
  if (bootstrapped.has(moto)) return undefined;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-moto-bootstrap-'));
  try {
    const result = await runCdk(moto, [
      'bootstrap', `aws://${MOTO_ACCOUNT}/${MOTO_REGION}`,
      // A fresh moto has no previous CDKToolkit stack; this keeps a rerun on a reused server clean.
      '--no-previous-parameters',
      '--app', appCommand, '--output', outdir,
    ], timeoutMs);
    bootstrapped.add(moto);
    return result;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export interface DeployToMotoOptions {
  /** Limit for the deploy (the bootstrap, when needed, has its own 120 s). @default 180_000 */
  readonly timeoutMs?: number;
  /** Extra environment for the CLI and the app, e.g. values the app reads. */
  readonly env?: NodeJS.ProcessEnv;
  /** More CLI arguments, e.g. `['--context', 'key=value']`. */
  readonly extraArgs?: string[];
}

export interface DeployResult {
  readonly bootstrap?: CdkResult;
  readonly deploy: CdkResult;
}

/**
 * Bootstraps moto (first time only) and runs
 * `cdk deploy <stackName> --require-approval never --method=direct --previous-parameters=false`
 * with `--app "<appCommand>"` and a fresh `--output` folder (removed after a successful deploy, kept
 * and named in the error otherwise). moto cannot execute change sets, hence `--method=direct`.
 */
export async function deployToMoto(moto: MotoServer, appCommand: string, stackName: string, options: DeployToMotoOptions = {}): Promise<DeployResult> {
  const bootstrap = await bootstrapMoto(moto, appCommand);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-moto-deploy-'));
  let deploy: CdkResult;
  try {
    deploy = await runCdk(moto, [
      'deploy', stackName,
      '--require-approval', 'never', '--method=direct', '--previous-parameters=false',
      '--app', appCommand, '--output', outdir,
      ...(options.extraArgs ?? []),
    ], options.timeoutMs ?? 180_000, options.env);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n(cloud assembly kept in ${outdir})`);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return { bootstrap, deploy };
}

/** An S3 client of the AWS SDK v3 pointed at moto. */
export function motoS3Client(moto: MotoServer): S3Client {
  return new S3Client({
    endpoint: moto.endpoint,
    region: MOTO_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

export interface MotoCall {
  /** boto3 service name, e.g. 'cloudformation', 's3', 'kms'. */
  readonly service: string;
  /** API operation name, e.g. 'DescribeStacks'. */
  readonly operation: string;
  readonly params?: Record<string, unknown>;
}

export interface MotoAnswer {
  /** The response without ResponseMetadata; dates as strings, streams as text. */
  readonly result?: any;
  /** Set instead of `result` when the call failed. */
  readonly error?: { readonly code: string; readonly message: string };
}

const QUERY_SCRIPT = `${DIE_WITH_PARENT}
import json, sys
import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, region = sys.argv[1], sys.argv[2]
clients = {}
def client(service):
    if service not in clients:
        clients[service] = boto3.client(service, endpoint_url=endpoint, region_name=region,
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
    return clients[service]
def plain(value):
    if hasattr(value, "read"):
        return value.read().decode("utf-8", "replace")
    return str(value)
for line in sys.stdin:
    answers = []
    for call in json.loads(line):
        try:
            result = getattr(client(call["service"]), xform_name(call["operation"]))(**call.get("params", {}))
            result.pop("ResponseMetadata", None)
            answers.append({"result": result})
        except ClientError as error:
            answers.append({"error": {"code": str(error.response.get("Error", {}).get("Code")), "message": str(error)}})
        except Exception as error:
            # A bad parameter or operation fails its own call, not the process the other queries share.
            answers.append({"error": {"code": type(error).__name__, "message": str(error)}})
    sys.stdout.write(json.dumps(answers, default=plain) + "\\n")
    sys.stdout.flush()
`;

/** One boto3 process per moto server, answering a line of calls with a line of answers. */
interface Querier {
  readonly child: ChildProcess;
  stderr: string;
}

const queriers = new Map<string, Querier>();
/** Per server, the previous query's end: queries take turns on the process's stdin and stdout. */
const turns = new Map<string, Promise<unknown>>();

function querier(moto: MotoServer): Querier {
  const existing = queriers.get(moto.endpoint);
  if (existing && existing.child.exitCode === null && existing.child.signalCode === null) return existing;
  const child = spawn(motoPython(), ['-c', QUERY_SCRIPT, moto.endpoint, MOTO_REGION], {
    env: { ...motoEnv(moto), PYTHONWARNINGS: 'ignore' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // Idle, it keeps no process alive (a query in flight does, by its timer); the server's stop ends it.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
  // A write to a process that died fails here; the query fails by the exit or its timer instead.
  child.stdin!.on('error', () => undefined);
  const created: Querier = { child, stderr: '' };
  child.stderr!.on('data', (chunk: Buffer) => { created.stderr = (created.stderr + chunk.toString()).slice(-6_000); });
  queriers.set(moto.endpoint, created);
  return created;
}

/** Ends the boto3 process of the server at `endpoint`, if it has one. */
function stopQuerier(endpoint: string): void {
  queriers.get(endpoint)?.child.kill('SIGKILL');
  queriers.delete(endpoint);
  turns.delete(endpoint);
}

/** Sends one line of calls to the process and reads its one line of answers. */
function ask(moto: MotoServer, q: Querier, calls: MotoCall[], timeoutMs: number): Promise<MotoAnswer[]> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (why: string) => {
      done();
      q.child.kill('SIGKILL');
      // The next query starts a process of its own instead of finding this dying one.
      if (queriers.get(moto.endpoint) === q) queriers.delete(moto.endpoint);
      reject(new Error(`boto3 query of moto failed (${why}): ${calls.map((c) => `${c.service}.${c.operation}`).join(', ')}\n${q.stderr}`));
    };
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.endsWith('\n')) return;
      let answers: MotoAnswer[];
      try {
        answers = JSON.parse(stdout);
      } catch {
        fail(`an answer that is not JSON: ${stdout.slice(0, 500)}`);
        return;
      }
      done();
      resolve(answers);
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited ${code ?? signal}`);
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      q.child.stdout!.off('data', onData);
      q.child.off('exit', onExit);
    };
    q.child.stdout!.on('data', onData);
    q.child.once('exit', onExit);
    // It may have ended while this query waited for its turn.
    if (q.child.exitCode !== null || q.child.signalCode !== null) {
      fail(`exited ${q.child.exitCode ?? q.child.signalCode}`);
      return;
    }
    q.child.stdin!.write(`${JSON.stringify(calls)}\n`);
  });
}

/**
 * Calls moto through boto3 (installed with moto), for services whose JavaScript SDK client this
 * project does not install: `calls` answered in order, by one Python process per server that
 * starts with the first query and ends when the server stops (a Python start and boto3's import
 * cost ~0.3 s of CPU, which a start per query paid again for each).
 */
export async function queryMoto(moto: MotoServer, calls: MotoCall[], timeoutMs = 30_000): Promise<MotoAnswer[]> {
  // The process is looked up at the query's turn: one that failed meanwhile is replaced.
  const answer = (turns.get(moto.endpoint) ?? Promise.resolve()).then(() => ask(moto, querier(moto), calls, timeoutMs));
  turns.set(moto.endpoint, answer.catch(() => undefined));
  return answer;
}

/** Like `queryMoto` for one call, returning its result and throwing its error. */
export async function motoCall(moto: MotoServer, service: string, operation: string, params: Record<string, unknown> = {}): Promise<any> {
  const [answer] = await queryMoto(moto, [{ service, operation, params }]);
  if (answer.error) throw new Error(`${service}.${operation} on moto: ${answer.error.message}`);
  return answer.result;
}

/** The result of a query, failing with moto's error message. */
export function motoResult(answer: MotoAnswer, what: string): any {
  if (answer.error) throw new Error(`${what} on moto failed: ${answer.error.message}`);
  return answer.result;
}

/** A resource of a deployed stack, as ListStackResources reports it. */
export interface StackResource {
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceStatus: string;
}

/** A stack as moto's CloudFormation holds it after a deploy. */
export interface DeployedStack {
  readonly status: string;
  /** The stack's outputs, by OutputKey. */
  readonly outputs: Record<string, string>;
  /** The resources moto created (skipped ones, which it lists without a logical id, are left out). */
  readonly resources: StackResource[];
  /** The template CloudFormation received. */
  readonly template: { Resources: Record<string, { Type: string; Properties?: any; DependsOn?: string[] }> };
  /** Types in the template that moto did not create: it skips the types it does not model, silently. */
  readonly skippedTypes: string[];
}

/** Reads a deployed stack's status, resources and template from moto, failing with moto's error message. */
export async function describeDeployedStack(moto: MotoServer, stackName: string): Promise<DeployedStack> {
  const operations = ['DescribeStacks', 'ListStackResources', 'GetTemplate'];
  const answers = await queryMoto(moto, operations.map((operation) => ({ service: 'cloudformation', operation, params: { StackName: stackName } })));
  const [stack, list, body] = answers.map((answer, i) => motoResult(answer, operations[i]));
  const resources: StackResource[] = list.StackResourceSummaries.filter((r: StackResource) => r.LogicalResourceId);
  const template = typeof body.TemplateBody === 'string' ? JSON.parse(body.TemplateBody) : body.TemplateBody;
  const createdIds = new Set(resources.map((r) => r.LogicalResourceId));
  const skippedTypes = [...new Set(Object.entries(template.Resources as DeployedStack['template']['Resources'])
    .filter(([id]) => !createdIds.has(id)).map(([, r]) => r.Type))];
  const outputs = Object.fromEntries((stack.Stacks[0].Outputs ?? []).map((o: { OutputKey: string; OutputValue: string }) => [o.OutputKey, o.OutputValue]));
  return { status: stack.Stacks[0].StackStatus, outputs, resources, template, skippedTypes };
}

/**
 * One call on moto by service and operation (`'cloudformation', 'ListStackResources'`), answered as
 * plain JSON: `motoCall` bound to a server, or the local run's `AwsOnMoto.call`.
 */
export type MotoCaller = (service: string, operation: string, params: Record<string, unknown>) => Promise<any>;

/**
 * `DescribeStackResource` as CloudFormation answers it. moto 5.2.1's fails on a stack with resource
 * types it skipped (alarms, scalable targets); ListStackResources holds the same record, physical id
 * included. A logical id the stack lacks throws `CloudFormation.CloudFormationException`, the name
 * Step Functions' SDK integration gives the service's error.
 */
export async function describeStackResourceOnMoto(call: MotoCaller, input: { StackName: string; LogicalResourceId: string }): Promise<{ StackResourceDetail: any }> {
  const list = await call('cloudformation', 'ListStackResources', { StackName: input.StackName });
  const found = list.StackResourceSummaries.find((r: any) => r.LogicalResourceId === input.LogicalResourceId);
  if (!found) {
    const error = new Error(`Resource ${input.LogicalResourceId} does not exist for stack ${input.StackName}`);
    error.name = 'CloudFormation.CloudFormationException';
    throw error;
  }
  return { StackResourceDetail: { ...found, StackName: input.StackName } };
}

/**
 * The name moto gave the endpoint that `template` names `name`. moto 5.2.1 ignores EndpointName and
 * names a stack's endpoint `<stack>-<logicalId>-<random>`; a name no endpoint of the template has, or
 * one moto did not create, comes back unchanged.
 */
export async function motoEndpointName(call: MotoCaller, template: { Resources: Record<string, { Type: string; Properties?: any }> }, stackName: string, name: string): Promise<string> {
  const logicalId = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::SageMaker::Endpoint' && r.Properties?.EndpointName === name)?.[0];
  if (!logicalId) return name;
  const list = await call('cloudformation', 'ListStackResources', { StackName: stackName });
  const physical: string | undefined = list.StackResourceSummaries.find((r: any) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
  return physical ? physical.split('/').pop()! : name;
}
