/**
 * The deployed Lambda functions, run in this process: moto runs Lambda only in Docker. The code is
 * the zip the deploy uploaded (the function's Code in the deployed template, read from moto's S3),
 * the environment what GetFunctionConfiguration answers, and the SDK inside points at moto (the
 * run's AWS_ENDPOINT_URL). One invocation at a time, since the environment is the process's.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { AwsOnMoto, stepFunctionsError } from './aws';
import { runProcess } from './python';
import { getBytes } from './s3';
import type { Template } from './deploy';

export interface Invocation {
  readonly functionName: string;
  readonly logicalId: string;
  readonly durationMs: number;
  readonly error?: string;
  /** What the function logged (CloudWatch Logs would hold it; its EMF lines become metrics there). */
  readonly logLines: string[];
}

export class LocalLambda {
  readonly invocations: Invocation[] = [];
  private readonly loaded = new Map<string, { handler: (event: unknown, context: unknown) => Promise<unknown>; env: Record<string, string>; logicalId: string }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly aws: AwsOnMoto,
    private readonly template: Template,
    /** Logical id -> physical id (the function name) of the deployed stack. */
    private readonly physicalIds: Map<string, string>,
    private readonly workDir: string,
  ) {}

  /** Invokes the function named by an ARN or name with `event`; errors as Step Functions' Lambda task reports them. */
  invoke(functionArnOrName: string, event: unknown): Promise<any> {
    const next = this.queue.then(() => this.invokeNow(functionArnOrName, event));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async invokeNow(functionArnOrName: string, event: unknown): Promise<any> {
    const name = functionArnOrName.split(':function:').pop()!.split(':')[0];
    const fn = await this.load(name);
    const saved = { ...process.env };
    Object.assign(process.env, fn.env, { AWS_LAMBDA_FUNCTION_NAME: name });
    const started = Date.now();
    // The function's console goes where Lambda sends it, its log: kept with the invocation, not printed.
    const logLines: string[] = [];
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const savedConsole = consoleMethods.map((m) => console[m]);
    for (const m of consoleMethods) console[m] = (...args: unknown[]) => { logLines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')); };
    // Embedded-metric lines are written to stdout directly.
    const savedWrite = process.stdout.write;
    process.stdout.write = ((chunk: any) => { logLines.push(...String(chunk).split('\n').filter(Boolean)); return true; }) as typeof process.stdout.write;
    try {
      const result = await fn.handler(structuredClone(event), { functionName: name, awsRequestId: `local-${started}`, getRemainingTimeInMillis: () => 900_000 });
      this.invocations.push({ functionName: name, logicalId: fn.logicalId, durationMs: Date.now() - started, logLines });
      return JSON.parse(JSON.stringify(result ?? null));
    } catch (e: any) {
      this.invocations.push({ functionName: name, logicalId: fn.logicalId, durationMs: Date.now() - started, error: `${e?.name}: ${e?.message}`, logLines });
      // A function error reaches the machine under the error's name (its errorType), as with Lambda.
      throw stepFunctionsError(e?.name ?? 'Error', JSON.stringify({ errorType: e?.name, errorMessage: e?.message }));
    } finally {
      consoleMethods.forEach((m, i) => { console[m] = savedConsole[i]; });
      process.stdout.write = savedWrite;
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }

  private async load(name: string) {
    const cached = this.loaded.get(name);
    if (cached) return cached;
    const logicalId = [...this.physicalIds].find(([, physical]) => physical === name)?.[0];
    const resource = logicalId ? this.template.Resources[logicalId] : undefined;
    if (!logicalId || resource?.Type !== 'AWS::Lambda::Function') throw new Error(`function ${name} is not in the deployed stack`);
    const config = await this.aws.call('lambda', 'GetFunctionConfiguration', { FunctionName: name });
    const code = resource.Properties.Code;
    const bucket = resolveSub(code.S3Bucket);
    const key = resolveSub(code.S3Key);
    if (!bucket || !key) throw new Error(`function ${name}: the local run reads code from S3 only, got ${JSON.stringify(code)}`);
    const dir = path.join(this.workDir, 'lambda', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'code.zip'), await getBytes(this.aws.client('s3'), bucket, key));
    const unzip = await runProcess('unzip', ['-q', '-o', 'code.zip'], { cwd: dir, timeoutMs: 60_000 });
    if (unzip.code !== 0) throw new Error(`could not unzip the code of ${name}: ${unzip.stderr}`);
    const [file, exported] = splitHandler(config.Handler ?? 'index.handler');
    const env: Record<string, string> = config.Environment?.Variables ?? {};
    const saved = { ...process.env };
    Object.assign(process.env, env);
    let module: any;
    try {
      // Module scope runs with the function's environment too (clients are made there).
      // The deployed bundle, loaded from where its zip was unpacked (its own module scope, this process).
      module = createRequire(__filename)(path.join(dir, file));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    const handler = module[exported];
    if (typeof handler !== 'function') throw new Error(`function ${name}: ${config.Handler} is not a function in its code`);
    const entry = { handler, env, logicalId };
    this.loaded.set(name, entry);
    return entry;
  }
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  return [`${handler.slice(0, dot)}.js`, handler.slice(dot + 1)];
}

/** A code location as the deployed template holds it: a string, or a Fn::Sub of the account and region. */
function resolveSub(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const sub = (value as any)?.['Fn::Sub'];
  if (typeof sub !== 'string') return undefined;
  return sub.replace(/\$\{AWS::AccountId\}/g, '123456789012').replace(/\$\{AWS::Region\}/g, 'us-east-1').replace(/\$\{AWS::Partition\}/g, 'aws');
}
