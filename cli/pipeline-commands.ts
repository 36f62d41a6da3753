import { readFileSync } from 'node:fs';
import { ExecutionListItem, ListExecutionsCommand, ListStateMachinesCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import { Clients, UserError } from './aws';
import { awsCommand, CommonOptions, Context, count, seconds } from './command';
import { duration, json, paint, table, time } from './format';
import { FINISHED, render, runJson } from './progress';
import { resolveExecution, resolvePipeline } from './resolve';
import { snapshot, watch } from './watch';

/** Exit status of `run`, `watch` and `status` when the run failed, timed out or was aborted. */
export const EXIT_RUN_FAILED = 3;

const exitFor = (status: string) => (status === 'SUCCEEDED' || !FINISHED.includes(status) ? 0 : EXIT_RUN_FAILED);

function readInput(file: string | undefined): string {
  if (!file) return '{}';
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the input ${file}: ${(e as Error).message}`);
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UserError(`the input ${file} is not JSON (${(e as Error).message}): the execution's input must be a JSON document`);
  }
  return text;
}

interface WatchOptions extends CommonOptions { interval: number }

export function pipelineCommands(mlops: Command, ctx: Context): void {
  const { io } = ctx;

  awsCommand<WatchOptions & { input?: string; name?: string; wait: boolean }>(mlops, ctx, 'run <stack-or-state-machine>',
    'start a pipeline run and show its steps, training job and result as they happen (Ctrl-C detaches, the run goes on)',
    async (c, options, target) => {
      const input = readInput(options.input);
      const stateMachineArn = await resolvePipeline(c, target);
      const started = await c.sfn.send(new StartExecutionCommand({ stateMachineArn, input, name: options.name }));
      if (!options.json) io.err(`started ${started.executionArn}\n`);
      if (!options.wait) {
        if (options.json) io.out(json({ executionArn: started.executionArn, startDate: started.startDate }));
        return;
      }
      const { run, detached } = await watch(c, io, started.executionArn!, { intervalMs: options.interval * 1000, json: !!options.json, justStarted: true });
      if (options.json) io.out(json({ ...runJson(run), detached }));
      return exitFor(run.status);
    })
    .option('--input <file>', 'the execution input, a JSON file (- for stdin)', undefined)
    .option('--name <name>', 'the execution name (default: a new UUID); the run\'s S3 prefix and job names derive from it')
    .option('--interval <seconds>', 'seconds between polls', seconds, 5)
    .option('--no-wait', 'start the run and return');

  awsCommand<WatchOptions & { pipeline?: string }>(mlops, ctx, 'watch <execution>',
    'follow a run until it ends (Ctrl-C detaches again)',
    async (c, options, execution) => {
      const arn = await resolveExecution(c, execution, options.pipeline);
      const { run, detached } = await watch(c, io, arn, { intervalMs: options.interval * 1000, json: !!options.json });
      if (options.json) io.out(json({ ...runJson(run), detached }));
      return exitFor(run.status);
    })
    .option('--pipeline <stack-or-state-machine>', 'the pipeline, when <execution> is a name rather than an ARN')
    .option('--interval <seconds>', 'seconds between polls', seconds, 5);

  awsCommand<CommonOptions & { pipeline?: string }>(mlops, ctx, 'status <execution>',
    'a run\'s steps, training job, result and run manifest, once',
    async (c, options, execution) => {
      const run = await snapshot(c, await resolveExecution(c, execution, options.pipeline), io.now());
      io.out(options.json ? json(runJson(run)) : render(run, paint(io.color), io.now(), false) + '\n');
      return exitFor(run.status);
    })
    .option('--pipeline <stack-or-state-machine>', 'the pipeline, when <execution> is a name rather than an ARN');

  awsCommand<CommonOptions & { pipeline?: string; limit: number; status?: string }>(mlops, ctx, 'runs',
    'recent runs, newest first',
    async (c, options) => {
      const machines = options.pipeline ? [await resolvePipeline(c, options.pipeline)] : await allStateMachines(c);
      const lists = await inBatches(machines, LIST_CONCURRENCY, (arn) => recentExecutions(c, arn, options.limit, options.status));
      const runs = lists.flat().sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0)).slice(0, options.limit);
      if (options.json) {
        io.out(json(runs.map((r) => ({
          name: r.name, executionArn: r.executionArn, pipeline: r.stateMachineArn, status: r.status, startDate: r.startDate, stopDate: r.stopDate,
        }))));
        return;
      }
      if (!runs.length) {
        io.out(`no runs${options.pipeline ? ` of ${options.pipeline}` : ''}${options.status ? ` with status ${options.status}` : ''}\n`);
        return;
      }
      const p = paint(io.color);
      io.out(table(['run', 'pipeline', 'status', 'started', 'duration'], runs.map((r) => [
        r.name ?? '', r.stateMachineArn?.split(':').pop() ?? '', p.status(r.status ?? ''), time(r.startDate),
        duration((r.stopDate?.getTime() ?? io.now()) - (r.startDate?.getTime() ?? io.now())),
      ]), io.color));
    })
    .option('--pipeline <stack-or-state-machine>', 'only this pipeline\'s runs (default: every state machine of the region)')
    .option('--status <status>', 'only runs with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE)')
    .option('--limit <n>', 'how many runs', count, 20);
}

/** ListExecutions calls in flight at once: Step Functions' API quotas are per account and shared with everything else. */
const LIST_CONCURRENCY = 5;

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...await Promise.all(items.slice(i, i + size).map(fn)));
  return results;
}

async function allStateMachines(c: Clients): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await c.sfn.send(new ListStateMachinesCommand({ nextToken: token }));
    arns.push(...(page.stateMachines ?? []).filter((m) => m.type !== 'EXPRESS').map((m) => m.stateMachineArn!));
    token = page.nextToken;
  } while (token);
  return arns;
}

async function recentExecutions(c: Clients, stateMachineArn: string, limit: number, status?: string): Promise<ExecutionListItem[]> {
  try {
    const page = await c.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: Math.min(limit, 1000), statusFilter: status as any }));
    return page.executions ?? [];
  } catch (error) {
    // Express workflows have no execution list.
    if ((error as Error).name === 'StateMachineTypeNotSupported') return [];
    throw error;
  }
}

