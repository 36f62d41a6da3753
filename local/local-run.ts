/**
 * `npm run local`: the reference stack end to end with no AWS account (docs/LOCAL-RUN.md).
 *
 * moto server on 127.0.0.1 -> `cdk synth` / `cdk bootstrap` / `cdk deploy` of bin/app.ts -> the sample
 * data and its `_SUCCESS` marker into the raw bucket -> the deployed pipeline state machine
 * (DescribeStateMachine) run in aws-local-stepfunctions, its SageMaker jobs run as the example
 * scripts on this CPU, its Lambda functions in this process, every other call on moto -> the model
 * package, the endpoint, the alarms -> the deployed drift detector over generated capture.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../test/helpers/app';
import { AslDefinition } from '../test/helpers/asl';
import { describeDeployedStack, describeStackResourceOnMoto, MotoCaller, motoEndpointName, motoEnv, MotoServer, startMoto, StackResource } from '../test/helpers/moto';
import { AwsOnMoto, pascal } from './aws';
import { Adaptation, deployReference, Template } from './deploy';
import { LocalSageMaker } from './jobs';
import { LocalLambda } from './lambda';
import { children, killDescendants, killGroup, PYTHON, requireMoto, runProcess } from './python';
import { Handler, MachineRun, runMachine, StepRecord, timingAdaptations } from './runner';
import { getBytes, parseS3Uri, putBytes, uploadDir } from './s3';

const SAMPLE_DATA = path.join(ROOT, 'examples', 'training', 'data', 'sample');
/** The feature the generated capture shifts (x1.5), so the drift check has something to find. */
export const SHIFTED_FEATURE = 'monthly_charges';
const CAPTURE_RECORDS = 400;

export interface LocalRunOptions {
  /** Where progress goes, one line at a time. @default console.log */
  readonly log?: (line: string) => void;
  /** Limit for the pipeline run. @default 600_000 */
  readonly pipelineTimeoutMs?: number;
  /** Aborts the run (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface LocalRunResult {
  readonly stackName: string;
  readonly adaptations: Adaptation[];
  readonly pipeline: MachineRun;
  readonly trainingMetrics: Array<{ MetricName: string; Value: number }>;
  readonly modelPackage?: { arn: string; status?: string; approval?: string; modelDataUrl?: string };
  readonly endpoint?: { name: string; templateName?: string; status: string; config?: string };
  readonly alarms: Array<{ name: string; type: string; metric?: string; threshold?: number; comparison?: string }>;
  readonly drift?: { run: MachineRun; report?: any; captureKeys: string[]; shiftedFeature: string };
  readonly timings: Record<string, number>;
  /** Every AWS call made on moto, in order (`service.Operation`), the CDK CLI's and the Lambda functions' SDK calls aside. */
  readonly motoCalls: string[];
}

/** Runs everything, then stops moto and removes the work folder, whatever happened. */
export async function runLocal(options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try { return await work(); } finally { timings[label] = Date.now() - started; }
  };
  const version = await requireMoto();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-local-'));
  let moto: MotoServer | undefined;
  const savedEnv = { ...process.env };
  // Ctrl-C: end what runs now (the CDK CLI, a job's script, moto); the awaited step then fails fast.
  const abort = () => { for (const pid of children) killGroup(pid); killDescendants(); void moto?.stop(); };
  options.signal?.addEventListener('abort', abort, { once: true });
  // A process that exits anyway (a second Ctrl-C) still removes the work folder; moto dies with it (PDEATHSIG).
  const removeWorkDir = () => fs.rmSync(workDir, { recursive: true, force: true });
  process.once('exit', removeWorkDir);
  try {
    moto = await timed('moto', () => startMoto());
    log(`moto ${version} on ${moto.endpoint} (work folder ${workDir})`);
    // The in-process Lambda handlers make their SDK clients from the environment: moto's, with dummy keys.
    const env = motoEnv(moto);
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    for (const [key, value] of Object.entries(env)) if (key.startsWith('AWS_')) process.env[key] = value;
    return await runOn(moto, workDir, log, timed, timings, options);
  } finally {
    options.signal?.removeEventListener('abort', abort);
    for (const pid of children) killGroup(pid);
    await moto?.stop();
    // Only when interrupted: in a normal end every child has exited (and jest's worker may have others).
    if (options.signal?.aborted) killDescendants();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    removeWorkDir();
    process.removeListener('exit', removeWorkDir);
  }
}

type Timed = <T>(label: string, work: () => Promise<T>) => Promise<T>;

async function runOn(moto: MotoServer, workDir: string, log: (line: string) => void, timed: Timed, timings: Record<string, number>, options: LocalRunOptions): Promise<LocalRunResult> {
  const aws = new AwsOnMoto(moto);
  const check = () => { if (options.signal?.aborted) throw new Error('interrupted'); };

  log('\n== Deploy (the CDK CLI, to moto)');
  const deployed = await timed('deploy', () => deployReference(moto, workDir, log));
  log(`deployed ${deployed.stackName}: synth ${(deployed.synthMs / 1000).toFixed(1)} s, bootstrap + deploy ${(deployed.deployMs / 1000).toFixed(1)} s`);
  check();
  const stack = await describeDeployedStack(moto, deployed.stackName);
  if (stack.status !== 'CREATE_COMPLETE') throw new Error(`the stack is ${stack.status} on moto`);
  const outputs = stack.outputs;
  for (const name of ['RawBucketName', 'StateMachineArn', 'ModelPackageGroupName', 'EndpointName']) {
    if (!outputs[name]) throw new Error(`the deployed stack has no ${name} output (it has ${Object.keys(outputs).join(', ')})`);
  }
  const physical = new Map(stack.resources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
  await standInsForSkipped(aws, deployed.template, stack.resources, log);

  log('\n== Sample data');
  const upload = await timed('upload', () => uploadSample(aws, deployed.removed, outputs.RawBucketName, log));

  check();
  const sagemaker = new LocalSageMaker(aws, workDir, log);
  const lambda = new LocalLambda(aws, stack.template as Template, physical, workDir);
  const handlers = taskHandlers(aws, sagemaker, lambda, stack, deployed.stackName, log);

  log(`\n== Pipeline ${outputs.StateMachineArn.split(':').pop()} (the deployed definition, in aws-local-stepfunctions)`);
  const machine = await aws.call('sfn', 'DescribeStateMachine', { stateMachineArn: outputs.StateMachineArn });
  const definition: AslDefinition = JSON.parse(machine.definition);
  const trigger = await eventInput(aws, outputs.StateMachineArn, upload.event);
  log(`input (the deployed rule's InputTransformer over the S3 "Object Created" event): ${JSON.stringify(trigger)}`);
  logTiming(definition, log);
  const pipeline = await timed('pipeline', () => runMachine(definition, trigger, handlers, {
    executionName: `local-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    stateMachineArn: outputs.StateMachineArn,
    roleArn: machine.roleArn,
    timeoutMs: options.pipelineTimeoutMs ?? 600_000,
    signal: options.signal,
    onStep: printStep(log),
  }));
  log(`pipeline ${pipeline.status}${pipeline.error ? ` (${pipeline.error}: ${String(pipeline.cause).slice(0, 400)})` : ''} in ${(timings.pipeline / 1000).toFixed(1)} s`);
  if (pipeline.status !== 'SUCCEEDED') explainFailure(pipeline, sagemaker, lambda, log);
  const training = sagemaker.jobs.find((j) => j.kind === 'training');
  for (const job of sagemaker.jobs) {
    log(`  job ${job.name} (${job.kind}, ${job.script}): ${job.inputs.length} inputs, ${job.outputs.length} outputs${job.metrics.length ? `, metrics ${job.metrics.map((m) => `${m.MetricName}=${m.Value}`).join(' ')}` : ''}`);
    const ignored = /ignoring unknown hyperparameters: (.*)/.exec(job.log)?.[1];
    if (ignored) log(`    the stand-in ignored the hyperparameters it does not have: ${ignored}`);
  }
  const gate = pipeline.output?.gate;
  if (gate) log(`  gate: ${gate.metric} ${gate.value} ${gate.comparison} ${gate.threshold}: ${gate.passed ? 'passed' : 'failed'} (the value the script printed, in the describe answer)`);
  if (pipeline.output?.manifest?.manifestUri) log(`  run manifest: ${pipeline.output.manifest.manifestUri}`);

  check();
  log('\n== Result');
  const modelPackage = await describePackage(aws, outputs.ModelPackageGroupName, pipeline.output?.registration?.ModelPackageArn, log);
  const endpoint = await describeEndpoint(aws, stack.template as Template, deployed.stackName, outputs.EndpointName, log);
  const alarms = listAlarms(stack.template as Template, log);

  let drift: LocalRunResult['drift'];
  if (pipeline.status === 'SUCCEEDED' && endpoint?.status === 'InService') {
    log('\n== Drift check (the deployed detector, over generated capture)');
    drift = await timed('drift', () => driftCheck(aws, lambda, handlers, stack.template as Template, physical, pipeline.output, training, workDir, log, options.signal));
  }
  const counts = new Map<string, number>();
  for (const call of aws.calls) counts.set(call.split('.')[0], (counts.get(call.split('.')[0]) ?? 0) + 1);
  log(`\nmoto answered ${aws.calls.length} calls of the run: ${[...counts].map(([service, n]) => `${service} ${n}`).join(', ')} (besides the CDK CLI's and the functions' own)`);
  return { stackName: deployed.stackName, adaptations: deployed.adaptations, pipeline, trainingMetrics: training?.metrics ?? [], modelPackage, endpoint, alarms, drift, timings, motoCalls: [...aws.calls] };
}

/** Where a failed run went wrong: the failed or caught steps, and the end of the last job's log. */
function explainFailure(run: MachineRun, sagemaker: LocalSageMaker, lambda: LocalLambda, log: (line: string) => void): void {
  for (const step of run.steps.filter((s) => s.status === 'FAILED' || s.status === 'CAUGHT')) {
    // A failed .sync job's Cause is the whole describe answer: its FailureReason says why.
    const cause = /^States\.TaskFailed: (\{.*\})$/s.exec(step.error ?? '')?.[1];
    let reason: string | undefined;
    try { reason = cause ? JSON.parse(cause).FailureReason : undefined; } catch { /* not JSON */ }
    log(`  ${step.status} ${step.name}: ${reason ? `States.TaskFailed, FailureReason: ${reason}` : step.error ?? '(caught)'}`);
  }
  const job = sagemaker.jobs.at(-1);
  if (job) log(`  last job ${job.name}, log tail:\n${job.log.trim().split('\n').slice(-15).map((l) => `    | ${l}`).join('\n')}`);
  const failed = lambda.invocations.filter((i) => i.error);
  for (const i of failed) log(`  function ${i.logicalId} failed: ${i.error}`);
}

/**
 * What moto's CloudFormation skipped and the run needs, made through moto's own APIs from the template's
 * properties: the model package group (SageMaker API), S3 versioning (moto drops VersioningConfiguration).
 */
async function standInsForSkipped(aws: AwsOnMoto, template: Template, resources: StackResource[], log: (line: string) => void): Promise<void> {
  const created = new Set(resources.map((r) => r.LogicalResourceId));
  const versioned: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::SageMaker::ModelPackageGroup' && !created.has(id)) {
      const name = resource.Properties.ModelPackageGroupName;
      await aws.call('sagemaker', 'CreateModelPackageGroup', { ModelPackageGroupName: name, ModelPackageGroupDescription: resource.Properties.ModelPackageGroupDescription });
      log(`moto skipped ${id} (${resource.Type}): created model package group '${name}' with SageMaker's API`);
    }
    if (resource.Type === 'AWS::S3::Bucket' && resource.Properties?.VersioningConfiguration?.Status === 'Enabled') {
      const bucket = resources.find((r) => r.LogicalResourceId === id)?.PhysicalResourceId;
      if (bucket) {
        await aws.call('s3', 'PutBucketVersioning', { Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } });
        versioned.push(bucket);
      }
    }
  }
  if (versioned.length > 0) log(`moto drops S3 versioning from templates: versioning turned on with S3's API for the buckets whose template enables it: ${versioned.join(', ')}`);
}

/**
 * The sample data under the prefix the stack's BucketDeployment copies it to (that custom resource
 * cannot run on moto), then the `_SUCCESS` marker, last, as the README's first run does.
 */
async function uploadSample(aws: AwsOnMoto, removed: Template['Resources'], bucket: string, log: (line: string) => void) {
  const deployment = Object.values(removed).find((r) => r.Type === 'Custom::CDKBucketDeployment');
  const prefix: string = deployment?.Properties?.DestinationBucketKeyPrefix ?? 'churn/';
  const s3 = aws.client('s3');
  const keys = await uploadDir(s3, SAMPLE_DATA, `s3://${bucket}/${prefix}`);
  const marker = `${prefix}_SUCCESS`;
  const put = await aws.call('s3', 'PutObject', { Bucket: bucket, Key: marker, Body: new Uint8Array(0), ContentLength: 0 });
  log(`uploaded ${keys.map((k) => `s3://${bucket}/${k}`).join(', ')} and s3://${bucket}/${marker} (version ${put.VersionId ?? 'none'})`);
  // The event S3 sends EventBridge for the marker (Amazon S3 User Guide, "EventBridge event message structure").
  const event = {
    'version': '0', 'id': randomUUID(), 'source': 'aws.s3', 'detail-type': 'Object Created', 'time': new Date().toISOString(),
    'region': 'us-east-1', 'account': '123456789012',
    'detail': { 'version': '0', 'bucket': { name: bucket }, 'object': { 'key': marker, 'size': 0, 'etag': put.ETag?.replace(/"/g, ''), 'version-id': put.VersionId }, 'reason': 'PutObject' },
  };
  return { keys, marker, event };
}

/** The input EventBridge gives `machineArn` for `event`: the deployed rule's target and InputTransformer (from moto). */
async function eventInput(aws: AwsOnMoto, machineArn: string, event: any): Promise<unknown> {
  const rules = await aws.call('eventbridge', 'ListRuleNamesByTarget', { TargetArn: machineArn });
  for (const rule of rules.RuleNames ?? []) {
    const described = await aws.call('eventbridge', 'DescribeRule', { Name: rule });
    const pattern = JSON.parse(described.EventPattern ?? '{}');
    if (!(pattern.source ?? []).includes(event.source)) continue;
    const targets = await aws.call('eventbridge', 'ListTargetsByRule', { Rule: rule });
    const target = targets.Targets.find((t: any) => t.Arn === machineArn);
    return target?.InputTransformer ? transform(target.InputTransformer, event) : target?.Input ? JSON.parse(target.Input) : event;
  }
  throw new Error(`no EventBridge rule on moto starts ${machineArn} for ${event.source} events`);
}

/** EventBridge's InputTransformer: `<name>` in the template becomes the JSON of the path's value. */
export function transform(transformer: { InputPathsMap?: Record<string, string>; InputTemplate: string }, event: any): unknown {
  const values = Object.fromEntries(Object.entries(transformer.InputPathsMap ?? {}).map(([name, p]) => [name, p.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce((v: any, k) => v?.[k], event)]));
  const text = transformer.InputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (whole, name: string) => (name in values ? JSON.stringify(values[name] ?? null) : whole));
  return JSON.parse(text);
}

/**
 * The handler of each Task Resource. Optimized integrations as Step Functions runs them; `aws-sdk:*`
 * as the SDK command of that name. Where moto answers differently from AWS, the handler says how.
 */
function taskHandlers(aws: AwsOnMoto, sagemaker: LocalSageMaker, lambda: LocalLambda, stack: { resources: StackResource[]; template: any }, stackName: string, log: (line: string) => void) {
  const call: MotoCaller = (service, operation, params) => aws.call(service, operation, params);
  // Each answer that is not moto's own is said once, the first time a state gets it.
  const said = new Set<string>();
  const sayOnce = (note: string) => { if (!said.has(note)) { said.add(note); log(`    (${note})`); } };
  return (resource: string): Handler => {
    const optimized = /^arn:aws:states:::([a-z0-9-]+):([A-Za-z]+)(\.sync|\.waitForTaskToken)?$/.exec(resource);
    const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9-]+):([A-Za-z0-9]+)$/.exec(resource);
    if (/^arn:aws:lambda:[^:]+:\d+:function:/.test(resource)) return (input) => lambda.invoke(resource, input);
    if (optimized) {
      const [, service, action, pattern] = optimized;
      if (service === 'sagemaker' && action === 'createProcessingJob' && pattern === '.sync') return (input) => sagemaker.processingJob(input);
      if (service === 'sagemaker' && action === 'createTrainingJob' && pattern === '.sync') return (input) => sagemaker.trainingJob(input);
      if (service === 'lambda' && action === 'invoke' && !pattern) {
        return async (input) => ({ StatusCode: 200, Payload: await lambda.invoke(input.FunctionName, input.Payload) });
      }
      if (service === 'sns' && action === 'publish' && !pattern) {
        // Step Functions serializes an object Message to JSON.
        return (input) => aws.call('sns', 'Publish', { ...input, Message: typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message) });
      }
      if (service === 'dynamodb' && !pattern) return (input) => aws.call('dynamodb', pascal(action), input);
    }
    if (sdk) {
      const [, service, action] = sdk;
      const operation = pascal(action);
      // moto answers these two differently from AWS: test/helpers/moto.ts says how, and answers as AWS does.
      if (service === 'cloudformation' && operation === 'DescribeStackResource') {
        return (input) => {
          sayOnce('cloudformation:describeStackResource answered from ListStackResources: moto\'s fails on a stack with skipped resource types');
          return describeStackResourceOnMoto(call, input);
        };
      }
      if (service === 'sagemaker' && operation === 'DescribeEndpoint') {
        return async (input) => {
          const motoName = await motoEndpointName(call, stack.template, stackName, input.EndpointName);
          if (motoName !== input.EndpointName) sayOnce(`sagemaker:describeEndpoint of ${input.EndpointName} asks moto for ${motoName}: moto ignores the template's EndpointName`);
          return aws.call('sagemaker', 'DescribeEndpoint', { EndpointName: motoName });
        };
      }
      return (input) => aws.call(service, operation, input);
    }
    return async () => { throw new Error(`the local run has no integration for Task Resource ${resource}`); };
  };
}

/** Says how the run's timing differs from Step Functions' (runner.ts `timingAdaptations`), before it starts. */
export function logTiming(definition: AslDefinition, log: (line: string) => void): void {
  const { waits, retrying } = timingAdaptations(definition);
  if (waits.length > 0) log(`  0 s locally: the Wait states ${waits.join(', ')} (Step Functions waits their Seconds; moto answers at once)`);
  if (retrying.length > 0) log(`  0 s locally: the Retry intervals of ${retrying.join(', ')} (Step Functions waits IntervalSeconds x BackoffRate each attempt)`);
}

function printStep(log: (line: string) => void) {
  return (step: StepRecord, event: 'entered' | 'retried' | 'exited') => {
    const indent = step.parent ? '    ' : '  ';
    if (event === 'entered' && step.type === 'Task') log(`${indent}${step.name} ...`);
    if (event === 'retried') log(`${indent}${step.name} retried (${step.retries}) at once: the Retry interval is 0 s locally`);
    if (event === 'exited') {
      const seconds = ((step.durationMs ?? 0) / 1000).toFixed(1);
      const waited = step.type === 'Wait' ? '  (0 s locally)' : '';
      log(`${indent}${step.name.padEnd(28)} ${step.type.padEnd(7)} ${step.status.padEnd(9)} ${seconds.padStart(6)} s${waited}${step.error ? `  ${step.error.slice(0, 200)}` : ''}`);
    }
  };
}

async function describePackage(aws: AwsOnMoto, group: string, arn: string | undefined, log: (line: string) => void) {
  const listed = await aws.call('sagemaker', 'ListModelPackages', { ModelPackageGroupName: group });
  log(`model package group ${group}: ${listed.ModelPackageSummaryList?.length ?? 0} version(s)`);
  if (!arn) { log('model package: none registered'); return undefined; }
  if (!(listed.ModelPackageSummaryList ?? []).some((p: any) => p.ModelPackageArn === arn)) throw new Error(`${arn} is not in model package group ${group}`);
  const described = await aws.call('sagemaker', 'DescribeModelPackage', { ModelPackageName: arn });
  const result = {
    arn,
    status: described.ModelPackageStatus,
    approval: described.ModelApprovalStatus,
    modelDataUrl: described.InferenceSpecification?.Containers?.[0]?.ModelDataUrl,
  };
  log(`model package: ${arn} (${result.status}, ${result.approval}), model ${result.modelDataUrl}`);
  return result;
}

async function describeEndpoint(aws: AwsOnMoto, template: Template, stackName: string, name: string, log: (line: string) => void) {
  const motoName = await motoEndpointName((service, operation, params) => aws.call(service, operation, params), template, stackName, name);
  try {
    const described = await aws.call('sagemaker', 'DescribeEndpoint', { EndpointName: motoName });
    log(`endpoint: ${name}${motoName !== name ? ` (moto's name ${motoName})` : ''} ${described.EndpointStatus}, configuration ${described.EndpointConfigName}`);
    return { name: motoName, templateName: name, status: described.EndpointStatus as string, config: described.EndpointConfigName as string };
  } catch (e) {
    log(`endpoint: ${name} does not exist (${(e as Error).message})`);
    return undefined;
  }
}

/** The alarms of the template: moto's CloudFormation skips AWS::CloudWatch::Alarm, so none exist on moto. */
function listAlarms(template: Template, log: (line: string) => void) {
  const alarms = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
    .map(([id, r]) => ({
      name: typeof r.Properties?.AlarmName === 'string' ? r.Properties.AlarmName : id,
      type: r.Type.split('::').pop()!,
      metric: r.Properties?.MetricName ?? (r.Properties?.Metrics ? 'metric math' : undefined),
      threshold: r.Properties?.Threshold,
      comparison: r.Properties?.ComparisonOperator,
    }));
  log(`alarms (${alarms.length}, from the deployed template: moto's CloudFormation skips AWS::CloudWatch::Alarm and ::CompositeAlarm, so none exist on moto):`);
  for (const a of alarms) log(`  ${a.name} [${a.type}]${a.metric ? ` ${a.metric}` : ''}${a.comparison ? ` ${a.comparison} ${a.threshold}` : ''}`);
  return alarms;
}

/**
 * Capture in SageMaker's JSONL format under the detector's capture prefix (rows of the run's own test
 * split, `monthly_charges` x1.5, with the trained model's predictions), then the deployed drift machine
 * run as its hourly schedule starts it.
 */
async function driftCheck(aws: AwsOnMoto, lambda: LocalLambda, handlers: (resource: string) => Handler, template: Template, physical: Map<string, string>, pipelineOutput: any, training: { name: string } | undefined, workDir: string, log: (line: string) => void, signal?: AbortSignal) {
  const rule = Object.values(template.Resources).find((r) => r.Type === 'AWS::Events::Rule' && r.Properties?.ScheduleExpression
    && /"job":"drift"/.test(r.Properties.Targets?.[0]?.InputTransformer?.InputTemplate ?? ''));
  if (!rule) throw new Error('the stack has no scheduled drift job (an AWS::Events::Rule whose input is {"job":"drift",...})');
  const machineLogicalId = rule.Properties.Targets[0].Arn.Ref;
  const machineArn = physical.get(machineLogicalId)!;
  const machine = await aws.call('sfn', 'DescribeStateMachine', { stateMachineArn: machineArn });
  const definition: AslDefinition = JSON.parse(machine.definition);
  // The detector's settings: the environment of the deployed functions the machine calls.
  const functions = Object.values(definition.States).map((s: any) => s.Resource).filter((r) => /:function:/.test(r ?? ''));
  let config: Record<string, string> | undefined;
  for (const fn of functions) {
    const c = await aws.call('lambda', 'GetFunctionConfiguration', { FunctionName: fn.split(':function:')[1] });
    if (c.Environment?.Variables?.CAPTURE_BUCKET) { config = c.Environment.Variables; break; }
  }
  if (!config) throw new Error('no function of the drift machine has CAPTURE_BUCKET in its environment');

  const now = new Date();
  const lag = Number(config.WINDOW_LAG_MINUTES ?? 10);
  const windowMinutes = Number(config.WINDOW_MINUTES ?? 60);
  const end = Math.floor((now.getTime() - lag * 60_000) / 60_000) * 60_000;
  const at = new Date(end - Math.floor(windowMinutes / 2) * 60_000);
  const records = await captureRecords(aws, pipelineOutput, training, workDir, at);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const prefix = config.CAPTURE_PREFIX ? (config.CAPTURE_PREFIX.endsWith('/') ? config.CAPTURE_PREFIX : `${config.CAPTURE_PREFIX}/`) : '';
  const folder = `${prefix}${config.ENDPOINT_NAME}/${config.VARIANT_NAME ?? 'AllTraffic'}/${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${pad(at.getUTCHours())}/`;
  const captureKeys: string[] = [];
  const s3 = aws.client('s3');
  for (let part = 0; part < 2; part++) {
    // SageMaker's capture object names: <mm>-<ss>-<mmm>-<uuid>.jsonl in the hour folder.
    const key = `${folder}${pad(at.getUTCMinutes())}-${pad(at.getUTCSeconds() + part)}-${pad(at.getUTCMilliseconds(), 3)}-${randomUUID()}.jsonl`;
    const half = records.slice(part * records.length / 2, (part + 1) * records.length / 2);
    await putBytes(s3, config.CAPTURE_BUCKET, key, `${half.join('\n')}\n`, 'application/jsonlines');
    captureKeys.push(key);
  }
  log(`capture: ${records.length} records (${SHIFTED_FEATURE} x1.5) in s3://${config.CAPTURE_BUCKET}/${folder}`);

  const input = transform(rule.Properties.Targets[0].InputTransformer, { time: now.toISOString() });
  logTiming(definition, log);
  const invocationsBefore = lambda.invocations.length;
  const run = await runMachine(definition, input, handlers, {
    executionName: `local-drift-${now.getTime()}`,
    stateMachineArn: machineArn,
    roleArn: machine.roleArn,
    timeoutMs: 120_000,
    signal,
    onStep: printStep(log),
  });
  const emf = lambda.invocations.slice(invocationsBefore).flatMap((i) => i.logLines).filter((l) => l.includes('"CloudWatchMetrics"')).length;
  const report = run.output?.report;
  log(`the detector logged ${emf} CloudWatch embedded-metric lines (CloudWatch Logs turns them into the metrics the alarms watch; moto has no such step)`);
  log(`drift check ${run.status}${run.error ? ` (${run.error}: ${run.cause})` : ''}: status ${report?.status}, ${report?.rows} rows, dataset drift ${report?.dataset?.datasetDrift} (${report?.dataset?.drifted}/${report?.dataset?.features} features)`);
  for (const f of report?.features ?? []) {
    log(`  ${f.name.padEnd(18)} psi ${fmt(f.psi)}  ks ${fmt(f.ks)}  wasserstein ${fmt(f.wasserstein)}  js ${fmt(f.jensenShannon)}  missing ${fmt(f.missingRate)}  ${f.drifted ? 'DRIFTED' : 'ok'}`);
  }
  if (report?.prediction) log(`  ${'prediction'.padEnd(18)} psi ${fmt(report.prediction.psi)}  ks ${fmt(report.prediction.ks)}`);
  return { run, report, captureKeys, shiftedFeature: SHIFTED_FEATURE };
}

function fmt(value: number | undefined): string {
  return value === undefined ? '   -  ' : value.toFixed(4);
}

/** JSONL capture records of the run's test split (label dropped), shifted, with the trained model's scores. */
async function captureRecords(aws: AwsOnMoto, pipelineOutput: any, training: { name: string } | undefined, workDir: string, at: Date): Promise<string[]> {
  const { bucket, key } = parseS3Uri(pipelineOutput.plan.testUri);
  const listed = await aws.call('s3', 'ListObjectsV2', { Bucket: bucket, Prefix: key });
  const testKey = listed.Contents?.find((o: any) => o.Key.endsWith('.csv'))?.Key;
  if (!testKey) throw new Error(`no test split under ${pipelineOutput.plan.testUri}`);
  const rows = (await getBytes(aws.client('s3'), bucket, testKey)).toString('utf8').trim().split('\n').map((l) => l.split(',').slice(1));
  // preprocess.py writes the sample's columns in order, label first: the features are the header without it.
  const header = fs.readFileSync(path.join(SAMPLE_DATA, fs.readdirSync(SAMPLE_DATA).find((f) => f.endsWith('.csv'))!), 'utf8').split('\n')[0].trim().split(',');
  const shifted = header.filter((c) => c !== 'label').indexOf(SHIFTED_FEATURE);
  if (shifted < 0) throw new Error(`the sample has no ${SHIFTED_FEATURE} column to shift`);
  const inputs = Array.from({ length: CAPTURE_RECORDS }, (_, i) => {
    const row = [...rows[i % rows.length]];
    row[shifted] = (Number(row[shifted]) * 1.5).toFixed(2);
    return row.join(',');
  });
  const scores = await predict(training ? path.join(workDir, 'jobs', training.name, 'opt', 'ml', 'model') : undefined, inputs);
  return inputs.map((data, i) => JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data, encoding: 'CSV' },
      endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: scores[i], encoding: 'CSV' },
    },
    eventMetadata: { eventId: randomUUID(), inferenceTime: new Date(at.getTime() + i * 10).toISOString() },
    eventVersion: '0',
  }));
}

/** The trained model's scores for CSV rows (train.py's model_fn loads it, as the serving container would). */
async function predict(modelDir: string | undefined, rows: string[]): Promise<string[]> {
  if (!modelDir) throw new Error('no trained model to score the capture with');
  const code = [
    'import sys, numpy as np',
    `sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'examples', 'training', 'scripts'))})`,
    'from train import model_fn',
    'model = model_fn(sys.argv[1])',
    'x = np.loadtxt(sys.stdin, delimiter=",", ndmin=2)',
    'print("\\n".join(f"{p:.6f}" for p in model.predict_proba(x)[:, 1]))',
  ].join('\n');
  const result = await runProcess(PYTHON, ['-c', code, modelDir], { input: rows.join('\n'), timeoutMs: 120_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  if (result.code !== 0) throw new Error(`scoring the capture failed:\n${result.stderr.slice(-2000)}`);
  return result.stdout.trim().split('\n');
}
