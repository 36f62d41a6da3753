import { GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { Clients } from './aws';
import { ExecutionHistory } from './execution-history';
import { paint } from './format';
import { Io } from './io';
import { FINISHED, progressOf, render, RunProgress, TrainingProgress, trainingOf } from './progress';

const TRAINING_DONE = ['Completed', 'Failed', 'Stopped'];
/** SageMaker publishes the algorithm's metrics (its MetricDefinitions) here, per host, while the job runs. */
const TRAINING_NAMESPACE = '/aws/sagemaker/TrainingJobs';
/** Instance metrics share the namespace and the Host dimension; the display shows the algorithm's. */
const INSTANCE_METRICS = new Set(['CPUUtilization', 'MemoryUtilization', 'DiskUtilization', 'GPUUtilization', 'GPUMemoryUtilization', 'CPUReservation', 'MemoryReservation', 'GPUReservation']);

/**
 * The latest value of each algorithm metric of the job's first host, from CloudWatch: during
 * training DescribeTrainingJob's FinalMetricDataList may lag or stay empty. A failure here (no
 * cloudwatch:ListMetrics, throttling) leaves the metrics SageMaker reported and says why.
 */
async function liveMetrics(c: Clients, training: TrainingProgress, since: Date, now: number): Promise<TrainingProgress> {
  const Dimensions = [{ Name: 'Host', Value: `${training.jobName}/algo-1` }];
  try {
    const listed = await c.cloudwatch.send(new ListMetricsCommand({ Namespace: TRAINING_NAMESPACE, Dimensions }));
    const metrics = (listed?.Metrics ?? []).filter((m) => m.MetricName && !INSTANCE_METRICS.has(m.MetricName)).slice(0, 500);
    if (!metrics.length) return training;
    const data = await c.cloudwatch.send(new GetMetricDataCommand({
      StartTime: since, EndTime: new Date(now), ScanBy: 'TimestampDescending',
      MetricDataQueries: metrics.map((m, i) => ({ Id: `m${i}`, MetricStat: { Metric: m, Period: 60, Stat: 'Average' }, ReturnData: true })),
    }));
    const merged = new Map(training.metrics.map((m) => [m.name, m]));
    for (const r of data?.MetricDataResults ?? []) {
      const name = metrics[Number(r.Id!.slice(1))].MetricName!;
      if (!r.Values?.length || !r.Timestamps?.length) continue;
      const known = merged.get(name);
      if (!known?.at || known.at < r.Timestamps[0]) merged.set(name, { name, value: r.Values[0], at: r.Timestamps[0] });
    }
    return { ...training, metrics: [...merged.values()] };
  } catch (error) {
    return { ...training, metricsUnavailable: (error as Error).name || 'Error' };
  }
}

/**
 * One look at a run: the execution, its history and its training job. A watch passes the same
 * `history` at each poll, which then reads only the events added since.
 */
export async function snapshot(c: Clients, executionArn: string, now: number, previous?: TrainingProgress,
  history = new ExecutionHistory(c.sfn, executionArn)): Promise<RunProgress> {
  const execution = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const run = progressOf(execution, await history.read());
  let training: TrainingProgress | undefined;
  if (run.trainingJobName) {
    // A finished job does not change: described once more only when it is a new job.
    if (previous?.jobName === run.trainingJobName && TRAINING_DONE.includes(previous.status ?? '')) {
      training = previous;
    } else {
      try {
        const job = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: run.trainingJobName }));
        training = trainingOf(job);
        if (training.status === 'InProgress') training = await liveMetrics(c, training, job.TrainingStartTime ?? job.CreationTime ?? run.startedAt ?? new Date(0), now);
      } catch (error) {
        // Scheduled, not yet created (or the caller may not read SageMaker): the steps still show.
        if ((error as Error).name !== 'ResourceNotFound' && (error as Error).name !== 'ValidationException') throw error;
      }
    }
  }
  return { ...run, training };
}

export interface WatchResult {
  readonly run: RunProgress;
  /** Ctrl-C ended the watch; the run goes on. */
  readonly detached: boolean;
}

/**
 * Polls a run until it finishes or the user presses Ctrl-C, which only stops watching: the
 * execution is not stopped (`aws stepfunctions stop-execution` does that).
 */
/** Looks at a just-started execution this often, at most, before DescribeExecution knows it. */
export const NEW_EXECUTION_ATTEMPTS = 5;

export async function watch(c: Clients, io: Io, executionArn: string, options: { intervalMs: number; json: boolean; justStarted?: boolean }): Promise<WatchResult> {
  const p = paint(io.color);
  const display = options.json ? undefined : io.live();
  let detached = false;
  let wake: (() => void) | undefined;
  const release = io.onInterrupt(() => { detached = true; wake?.(); });
  let run: RunProgress | undefined;
  const history = new ExecutionHistory(c.sfn, executionArn);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        run = await snapshot(c, executionArn, io.now(), run?.training, history);
      } catch (error) {
        // DescribeExecution is eventually consistent: right after StartExecution it may not know the execution yet.
        const unknownYet = options.justStarted && !run && (error as Error).name === 'ExecutionDoesNotExist' && attempt < NEW_EXECUTION_ATTEMPTS;
        if (!unknownYet) throw error;
        await io.sleep(Math.min(options.intervalMs, 2_000));
        continue;
      }
      display?.update(render(run, p, io.now(), io.redraw));
      if (FINISHED.includes(run.status) || detached) break;
      await Promise.race([io.sleep(options.intervalMs), new Promise<void>((resolve) => { wake = resolve; })]);
      if (detached) break;
    }
  } finally {
    release();
    display?.done();
  }
  if (detached && !options.json) {
    io.err(`\ndetached: ${run.name} goes on (${run.status}). Re-attach with: mlops watch ${executionArn}\n`);
  }
  return { run, detached };
}
