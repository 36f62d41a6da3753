/**
 * SageMaker processing and training jobs run for real on this machine's CPU, as the `.sync`
 * integrations of Step Functions see them: the start call goes to moto (which validates it and marks
 * the job Completed at once), the job's container work is done here, and then describe is polled
 * until the job is in a terminal status, as Step Functions does.
 *
 * The container is played by a folder: every `/opt/ml/...` path of the job is that path below the
 * job's folder. Inputs are downloaded from moto's S3 into their LocalPath (processing) or
 * `/opt/ml/input/data/<channel>` (training), outputs uploaded where the job's output config says.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../test/helpers/app';
import { AwsOnMoto, stepFunctionsError } from './aws';
import { PYTHON, runProcess } from './python';
import { downloadPrefix, getBytes, parseS3Uri, putBytes, uploadDir } from './s3';

/** The example script that stands in for SageMaker's built-in XGBoost (a scikit-learn GBM, same data contract). */
export const XGBOOST_STAND_IN = path.join(ROOT, 'examples', 'training', 'scripts', 'train.py');
/** Metric lines the example scripts print: `validation:auc=0.912345;` (their metric definitions' regex). */
const METRIC_LINE = /(?:^|\s)([A-Za-z0-9_-]+:[A-Za-z0-9_-]+)=([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?);/g;
const JOB_TIMEOUT_MS = 600_000;

export interface JobLog {
  readonly kind: 'processing' | 'training';
  readonly name: string;
  readonly script: string;
  readonly standIn?: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly metrics: Array<{ MetricName: string; Value: number }>;
  readonly log: string;
}

export class LocalSageMaker {
  readonly jobs: JobLog[] = [];

  constructor(private readonly aws: AwsOnMoto, private readonly workDir: string, private readonly say: (line: string) => void) {}

  private get s3() { return this.aws.client('s3'); }

  private container(name: string): (p: string) => string {
    const root = path.join(this.workDir, 'jobs', name);
    fs.mkdirSync(root, { recursive: true });
    return (p: string) => path.join(root, p.replace(/^\/+/, ''));
  }

  /** `sagemaker:createProcessingJob.sync` */
  async processingJob(input: any): Promise<any> {
    await this.aws.call('sagemaker', 'CreateProcessingJob', input);
    const name: string = input.ProcessingJobName;
    const local = this.container(name);
    const downloaded: string[] = [];
    for (const i of input.ProcessingInputs ?? []) {
      if (!i.S3Input) throw new Error(`processing input ${i.InputName}: only S3Input is supported locally`);
      downloaded.push(...(await downloadPrefix(this.s3, i.S3Input.S3Uri, local(i.S3Input.LocalPath))).map((k) => `${i.InputName}: ${k}`));
    }
    const [program, ...args] = [...(input.AppSpecification.ContainerEntrypoint ?? []), ...(input.AppSpecification.ContainerArguments ?? [])];
    if (!program || !/^python3?$/.test(program) || !args[0]?.endsWith('.py')) {
      throw stepFunctionsError('States.TaskFailed', `processing job ${name}: the local run runs Python script entrypoints only, got ${JSON.stringify(input.AppSpecification)}`);
    }
    const script = local(args[0]);
    const run = await this.runScript(name, script, [...args.slice(1).map((a) => (a.startsWith('/opt/ml/') ? local(a) : a)), ...containerPathFlags(script, local)], {});
    const outputs: string[] = [];
    if (run.code === 0) {
      for (const o of input.ProcessingOutputConfig?.Outputs ?? []) {
        outputs.push(...(await uploadDir(this.s3, local(o.S3Output.LocalPath), o.S3Output.S3Uri)).map((k) => `${o.OutputName}: ${k}`));
      }
    }
    this.jobs.push({ kind: 'processing', name, script: scriptName(script, input), inputs: downloaded, outputs, metrics: [], log: run.log });
    const described = await this.pollUntilDone('DescribeProcessingJob', { ProcessingJobName: name }, 'ProcessingJobStatus');
    if (run.code !== 0) throw jobFailed(described, 'ProcessingJobStatus', run.log);
    return completedJob(described, 'ProcessingJobStatus');
  }

  /** `sagemaker:createTrainingJob.sync` */
  async trainingJob(input: any): Promise<any> {
    await this.aws.call('sagemaker', 'CreateTrainingJob', input);
    const name: string = input.TrainingJobName;
    const local = this.container(name);
    const downloaded: string[] = [];
    const env: NodeJS.ProcessEnv = {
      SM_MODEL_DIR: local('/opt/ml/model'),
      SM_OUTPUT_DATA_DIR: local('/opt/ml/output/data'),
      SM_INPUT_CONFIG_DIR: local('/opt/ml/input/config'),
      SM_TRAINING_ENV: JSON.stringify({ job_name: name, hyperparameters: input.HyperParameters ?? {} }),
    };
    for (const channel of input.InputDataConfig ?? []) {
      const uri = channel.DataSource?.S3DataSource?.S3Uri;
      if (!uri) throw new Error(`training channel ${channel.ChannelName}: only S3DataSource is supported locally`);
      const dir = local(`/opt/ml/input/data/${channel.ChannelName}`);
      downloaded.push(...(await downloadPrefix(this.s3, uri, dir)).map((k) => `${channel.ChannelName}: ${k}`));
      env[`SM_CHANNEL_${channel.ChannelName.toUpperCase()}`] = dir;
    }
    fs.mkdirSync(env.SM_INPUT_CONFIG_DIR!, { recursive: true });
    fs.writeFileSync(path.join(env.SM_INPUT_CONFIG_DIR!, 'hyperparameters.json'), JSON.stringify(input.HyperParameters ?? {}));
    if (input.CheckpointConfig) env.SM_CHECKPOINT_DIR = local(input.CheckpointConfig.LocalPath ?? '/opt/ml/checkpoints');

    const { script, standIn } = await this.trainingScript(input, local);
    if (standIn) this.say(`    ${name}: ${standIn}`);
    const run = await this.runScript(name, script, [], env);
    const metrics = finalMetrics(run.log);
    const outputs: string[] = [];
    if (run.code === 0) {
      // SageMaker tars SM_MODEL_DIR into <S3OutputPath>/<job>/output/model.tar.gz (and the output data dir into output.tar.gz).
      const base = `${input.OutputDataConfig.S3OutputPath.replace(/\/$/, '')}/${name}/output`;
      for (const [dir, file] of [[env.SM_MODEL_DIR!, 'model.tar.gz'], [env.SM_OUTPUT_DATA_DIR!, 'output.tar.gz']]) {
        fs.mkdirSync(dir, { recursive: true });
        const archive = local(`/opt/ml/${file}`);
        const tar = await runProcess('tar', ['-czf', archive, '-C', dir, '.'], { timeoutMs: 60_000 });
        if (tar.code !== 0) throw new Error(`tar of ${dir} failed: ${tar.stderr}`);
        const { bucket, key } = parseS3Uri(`${base}/${file}`);
        await putBytes(this.s3, bucket, key, fs.readFileSync(archive), 'application/x-gzip');
        outputs.push(`s3://${bucket}/${key}`);
      }
    }
    this.jobs.push({ kind: 'training', name, script: path.basename(script), standIn, inputs: downloaded, outputs, metrics, log: run.log });
    const described = await this.pollUntilDone('DescribeTrainingJob', { TrainingJobName: name }, 'TrainingJobStatus');
    if (run.code !== 0) throw jobFailed(described, 'TrainingJobStatus', run.log);
    completedJob(described, 'TrainingJobStatus');
    // moto answers FinalMetricDataList with a placeholder (train:progress=100); SageMaker fills it from the
    // job's log with the algorithm's metric definitions: here, the last value of each metric line the script printed.
    this.say(`    ${name}: FinalMetricDataList is the last value of each metric line the script printed (${metrics.map((m) => m.MetricName).join(', ') || 'none'}), in place of moto's placeholder train:progress=100`);
    const timestamp = new Date().toISOString();
    return { ...described, FinalMetricDataList: metrics.map((m) => ({ ...m, Timestamp: timestamp })) };
  }

  /** The script the job runs: script mode's sagemaker_program, or the example that stands in for a built-in algorithm. */
  private async trainingScript(input: any, local: (p: string) => string): Promise<{ script: string; standIn?: string }> {
    const hp = input.HyperParameters ?? {};
    const program = unquote(hp.sagemaker_program);
    const submit = unquote(hp.sagemaker_submit_directory);
    if (program && submit) {
      const dir = local('/opt/ml/code');
      const archive = local('/opt/ml/sourcedir.tar.gz');
      fs.mkdirSync(dir, { recursive: true });
      const { bucket, key } = parseS3Uri(submit);
      fs.writeFileSync(archive, await getBytes(this.s3, bucket, key));
      const untar = await runProcess('tar', ['-xzf', archive, '-C', dir], { timeoutMs: 60_000 });
      if (untar.code !== 0) throw new Error(`could not unpack ${submit}: ${untar.stderr}`);
      return { script: path.join(dir, program) };
    }
    const image: string = input.AlgorithmSpecification?.TrainingImage ?? '';
    if (/sagemaker-xgboost:/.test(image)) {
      return {
        script: XGBOOST_STAND_IN,
        standIn: `built-in XGBoost (${image.split('/').pop()}) is a container image; examples/training/scripts/train.py (scikit-learn gradient boosting, same CSV channels and metric names) stands in for it`,
      };
    }
    throw stepFunctionsError('States.TaskFailed', `training job ${input.TrainingJobName}: no local stand-in for image ${image}`);
  }

  private async runScript(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; log: string }> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SM_') && !k.startsWith('AWS_')));
    const result = await runProcess(PYTHON, [script, ...args], {
      env: { ...inherited, ...env, PYTHONUNBUFFERED: '1', PYTHONWARNINGS: 'ignore' },
      cwd: path.dirname(script),
      timeoutMs: JOB_TIMEOUT_MS,
    });
    const log = `${result.stdout}${result.stderr}`;
    fs.writeFileSync(path.join(this.workDir, 'jobs', name, 'job.log'), log);
    return { code: result.code, log };
  }

  private async pollUntilDone(operation: string, params: Record<string, string>, statusField: string): Promise<any> {
    let status: string | undefined;
    for (let attempt = 0; attempt < 120; attempt++) {
      const described = await this.aws.call('sagemaker', operation, params);
      status = described[statusField];
      if (['Completed', 'Failed', 'Stopped'].includes(status!)) return described;
      await new Promise((r) => setTimeout(r, 500));
    }
    // Step Functions would wait on (up to the state's TimeoutSeconds): States.Timeout is not what this is.
    throw stepFunctionsError('LocalRun.JobNeverEnded', `${operation} ${JSON.stringify(params)} on moto still answers ${statusField} ${status} after 60 s; moto completes a job at once, so its server log says what went wrong`);
  }
}

/**
 * `--<name> <job folder>/<default>` for each flag of the script whose default is a container path
 * (`add_argument("--input-dir", default="/opt/ml/processing/input")`): the script sees its usual paths.
 */
export function containerPathFlags(script: string, local: (p: string) => string): string[] {
  const source = fs.readFileSync(script, 'utf8');
  const flags: string[] = [];
  const pattern = /add_argument\(\s*["'](--[\w-]+)["'][^)]*?default\s*=\s*["'](\/opt\/ml\/[^"']*)["']/g;
  for (const [, flag, value] of source.matchAll(pattern)) flags.push(flag, local(value));
  return flags;
}

/** The last value of each `name:metric=value;` the script printed, in first-seen order. */
export function finalMetrics(log: string): Array<{ MetricName: string; Value: number }> {
  const last = new Map<string, number>();
  for (const [, name, value] of log.matchAll(METRIC_LINE)) last.set(name, Number(value));
  return [...last].map(([MetricName, Value]) => ({ MetricName, Value }));
}

/**
 * A `.sync` job's describe answer at its terminal status, as the task's result: Step Functions ends the
 * task successfully only on Completed; on Failed or Stopped it fails it with States.TaskFailed and the
 * describe answer as the Cause (the FailureReason says why).
 */
export function completedJob(described: any, statusField: string): any {
  if (described[statusField] === 'Completed') return described;
  throw stepFunctionsError('States.TaskFailed', JSON.stringify(described));
}

function jobFailed(described: any, statusField: string, log: string): Error {
  const tail = log.trim().split('\n').slice(-5).join('\n');
  // moto cannot be told that a job failed; the task fails as Step Functions fails a .sync task on a Failed job.
  return stepFunctionsError('States.TaskFailed', JSON.stringify({ ...described, [statusField]: 'Failed', FailureReason: `AlgorithmError: ${tail}` }));
}

/** The example script a job's code asset is (CDK names the asset by its hash), else the file's name. */
function scriptName(script: string, input: any): string {
  const examples = path.join(ROOT, 'examples', 'training', 'scripts');
  const body = fs.readFileSync(script);
  const example = fs.readdirSync(examples).find((f) => f.endsWith('.py') && fs.readFileSync(path.join(examples, f)).equals(body));
  const code = (input.ProcessingInputs ?? []).find((i: any) => i.InputName === 'code')?.S3Input?.S3Uri;
  return example ? `examples/training/scripts/${example}` : code ?? path.basename(script);
}

function unquote(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try { const parsed = JSON.parse(value); return typeof parsed === 'string' ? parsed : value; } catch { return value; }
}
