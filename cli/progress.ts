/**
 * A run's progress, computed from Step Functions' execution history and SageMaker's description
 * of the training job, and drawn as a block of text. Pure: no AWS calls here.
 */
import type { DescribeExecutionCommandOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import type { DescribeTrainingJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { duration, Paint, time } from './format';

export interface StepProgress {
  readonly name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  /** When the state was last entered: durations are of the last visit. */
  startedAt: Date;
  endedAt?: Date;
  /** Entries of the state (loops and waits enter a state again). */
  visits: number;
  /** Task attempts after the first (Step Functions retries). */
  retries: number;
  error?: string;
}

export interface TrainingProgress {
  readonly jobName: string;
  readonly status?: string;
  readonly secondaryStatus?: string;
  readonly transitions: { status: string; startedAt?: Date; endedAt?: Date; message?: string }[];
  readonly metrics: { name: string; value: number; at?: Date }[];
  readonly failureReason?: string;
  readonly billableSeconds?: number;
  /** Why CloudWatch's live metrics could not be read (the error's name). */
  readonly metricsUnavailable?: string;
}

export interface RunProgress {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startedAt?: Date;
  readonly stoppedAt?: Date;
  readonly steps: StepProgress[];
  /** The last training job the run created (SageMaker CreateTrainingJob task). */
  readonly trainingJobName?: string;
  readonly training?: TrainingProgress;
  /** `s3://<artifacts>/<pipeline>/runs/<execution>/manifest.json`, from the PlanRun state's output. */
  readonly manifestUri?: string;
  /** The pipeline's own outcome (`$.outcome.status`): a run whose model the gate rejected still SUCCEEDED. */
  readonly outcome?: string;
  /** The step the outcome names (where a run failed). */
  readonly outcomeStep?: string;
  /** The model version the run registered (`$.registration.ModelPackageArn`). */
  readonly modelPackageArn?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
}

export const FINISHED = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

const parse = (text: string | undefined): any => {
  if (!text) return undefined;
  try { return JSON.parse(text); } catch { return undefined; }
};

/** The manifest's location from a state's output that holds the run's plan (see PlanRun). */
function manifestFrom(output: any): string | undefined {
  const plan = output?.plan;
  if (typeof plan?.manifestKey !== 'string') return undefined;
  const bucket = [plan.modelUri, plan.evaluationUri, plan.checkpointUri]
    .map((uri) => (typeof uri === 'string' ? /^s3:\/\/([^/]+)\//.exec(uri)?.[1] : undefined)).find((b) => b);
  return bucket ? `s3://${bucket}/${plan.manifestKey}` : undefined;
}

const ENTERED = /StateEntered$/;
const EXITED = /StateExited$/;
const FAILED = /^(Task|Activity|LambdaFunction)(Failed|TimedOut|StartFailed|SubmitFailed|ScheduleFailed)$|^MapRunFailed$/;

/** Steps in the order they were first entered, with their status, from the history (oldest first). */
export function progressOf(execution: DescribeExecutionCommandOutput, events: HistoryEvent[]): Omit<RunProgress, 'training'> {
  const steps: StepProgress[] = [];
  const byEvent = new Map<number, StepProgress>();
  const open = new Map<string, StepProgress>();
  let trainingJobName: string | undefined;
  const finalOutput = parse(execution.output);
  let manifestUri = manifestFrom(finalOutput);
  let modelPackageArn: string | undefined = finalOutput?.registration?.ModelPackageArn;
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp ?? new Date(0);
    if (ENTERED.test(type)) {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      let step = steps.find((s) => s.name === name);
      if (step) {
        step.visits++;
        step.startedAt = at;
        step.status = 'RUNNING';
        step.endedAt = undefined;
        step.error = undefined;
      } else {
        step = { name, status: 'RUNNING', startedAt: at, visits: 1, retries: 0 };
        steps.push(step);
      }
      open.set(name, step);
      byEvent.set(event.id!, step);
      continue;
    }
    // Other events point (previousEventId) at the event before them: their state is that event's.
    const step = event.previousEventId !== undefined ? byEvent.get(event.previousEventId) : undefined;
    if (step && event.id !== undefined) byEvent.set(event.id, step);
    if (EXITED.test(type)) {
      const name = event.stateExitedEventDetails?.name ?? '?';
      const exited = open.get(name) ?? step;
      if (exited) {
        exited.endedAt = at;
        exited.status = exited.error ? 'CAUGHT' : 'SUCCEEDED';
        open.delete(name);
      }
      const output = parse(event.stateExitedEventDetails?.output);
      manifestUri = manifestFrom(output) ?? manifestUri;
      modelPackageArn = output?.registration?.ModelPackageArn ?? modelPackageArn;
    } else if (type === 'TaskScheduled') {
      const details = event.taskScheduledEventDetails;
      if (step && step.error) { step.retries++; step.error = undefined; step.status = 'RUNNING'; }
      if (details?.resourceType === 'sagemaker' && /^createTrainingJob/.test(details.resource ?? '')) {
        trainingJobName = parse(details.parameters)?.TrainingJobName ?? trainingJobName;
      }
    } else if (FAILED.test(type) && step) {
      const d: any = event.taskFailedEventDetails ?? event.taskTimedOutEventDetails ?? event.taskStartFailedEventDetails
        ?? event.taskSubmitFailedEventDetails ?? event.lambdaFunctionFailedEventDetails ?? event.activityFailedEventDetails ?? {};
      step.error = [d.error, d.cause].filter(Boolean).join(': ') || type;
      step.status = 'FAILED';
      step.endedAt = at;
    }
  }
  const finished = FINISHED.includes(execution.status ?? '');
  if (finished) {
    // States still open when the execution ended (a Fail state, a stop) ended with it.
    for (const step of open.values()) {
      if (step.status === 'RUNNING') {
        step.status = execution.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
        step.endedAt = execution.stopDate;
      }
    }
  }
  return {
    executionArn: execution.executionArn!,
    name: execution.name ?? execution.executionArn!.split(':').pop()!,
    status: execution.status ?? 'UNKNOWN',
    startedAt: execution.startDate,
    stoppedAt: execution.stopDate,
    steps,
    trainingJobName,
    manifestUri,
    outcome: typeof finalOutput?.outcome?.status === 'string' ? finalOutput.outcome.status : undefined,
    outcomeStep: typeof finalOutput?.outcome?.step === 'string' ? finalOutput.outcome.step : undefined,
    modelPackageArn,
    error: execution.error,
    cause: execution.cause,
    output: finalOutput,
  };
}

export function trainingOf(job: DescribeTrainingJobCommandOutput): TrainingProgress {
  return {
    jobName: job.TrainingJobName!,
    status: job.TrainingJobStatus,
    secondaryStatus: job.SecondaryStatus,
    transitions: (job.SecondaryStatusTransitions ?? []).map((t) => ({ status: t.Status!, startedAt: t.StartTime, endedAt: t.EndTime, message: t.StatusMessage })),
    metrics: (job.FinalMetricDataList ?? []).map((m) => ({ name: m.MetricName!, value: m.Value!, at: m.Timestamp })),
    failureReason: job.FailureReason,
    billableSeconds: job.BillableTimeInSeconds,
  };
}

/**
 * The run as lines. `live` adds the time running steps have taken so far (a redrawn display);
 * without it each line stays the same until its state changes (a log).
 */
export function render(run: RunProgress, p: Paint, now: number, live: boolean): string {
  const lines: string[] = [];
  const elapsed = (from?: Date, to?: Date) => duration(from ? (to?.getTime() ?? now) - from.getTime() : undefined);
  const done = FINISHED.includes(run.status);
  lines.push(`${p.bold(run.name)}  ${p.status(run.status)}${done || live ? `  ${elapsed(run.startedAt, run.stoppedAt)}` : ''}  ${p.dim(`started ${time(run.startedAt)}`)}`);
  const width = Math.max(4, ...run.steps.map((s) => s.name.length));
  for (const s of run.steps) {
    const running = s.status === 'RUNNING';
    const took = running ? (live ? elapsed(s.startedAt) : '') : elapsed(s.startedAt, s.endedAt);
    const extra = [s.visits > 1 ? `${s.visits} visits` : '', s.retries ? `${s.retries} retries` : '', s.error ? p.dim(s.error.slice(0, 200)) : ''].filter(Boolean).join(', ');
    lines.push(`  ${s.name.padEnd(width)}  ${p.status(s.status.padEnd(9))} ${took.padStart(6)}${extra ? `  ${extra}` : ''}`.trimEnd());
  }
  const t = run.training;
  if (t) {
    lines.push('', `training job ${t.jobName}  ${p.status(t.status ?? '?')}${t.secondaryStatus ? ` / ${t.secondaryStatus}` : ''}`);
    for (const tr of t.transitions) {
      const open = !tr.endedAt && !FINISHED.includes((t.status ?? '').toUpperCase()) && t.status !== 'Completed' && t.status !== 'Failed' && t.status !== 'Stopped';
      const took = open ? (live ? elapsed(tr.startedAt) : '') : elapsed(tr.startedAt, tr.endedAt);
      lines.push(`  ${tr.status.padEnd(12)} ${took.padStart(6)}  ${p.dim(tr.message ?? '')}`.trimEnd());
    }
    if (t.metrics.length) {
      lines.push(`  metrics: ${t.metrics.map((m) => `${m.name}=${Number.isInteger(m.value) ? m.value : m.value.toPrecision(4)}`).join('  ')}`);
    }
    if (t.metricsUnavailable) lines.push(p.dim(`  live metrics from CloudWatch unavailable (${t.metricsUnavailable})`));
    if (t.failureReason) lines.push(`  failure: ${t.failureReason}`);
  }
  if (done) {
    lines.push('');
    if (run.outcome) lines.push(`outcome: ${run.outcome === 'REJECTED' ? p.warn(run.outcome) : p.status(run.outcome)}${run.outcomeStep ? ` (${run.outcomeStep})` : ''}`);
    if (run.modelPackageArn) lines.push(`model package: ${run.modelPackageArn}`);
    if (run.error || run.cause) lines.push(`error: ${[run.error, run.cause].filter(Boolean).join(': ')}`);
    lines.push(`run manifest: ${run.manifestUri ?? '(none: the run stopped before it planned its outputs)'}`);
  }
  return lines.join('\n');
}

/** The run for `--json`. */
export function runJson(run: RunProgress): Record<string, unknown> {
  return { ...run, steps: run.steps.map((s) => ({ ...s })) };
}
