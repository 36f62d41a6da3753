/**
 * Runs a deployed state-machine definition in aws-local-stepfunctions and reports each state as it
 * runs. Unlike test/helpers/asl.ts `runStateMachine` (which returns the event log at the end, and
 * rejects a definition with any field the interpreter ignores), this streams the events, and refuses
 * only when a run ENTERS a state with such a field: the drift detector's Distributed Map (ItemReader)
 * is only entered for windows too large for one invocation, which the local run never makes.
 */
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { allStates, AslDefinition, validateAsl } from '../test/helpers/asl';

/** Answers a Task state: gets its effective input (after InputPath and Parameters). */
export type Handler = (input: any, stateName: string) => Promise<unknown>;

export interface StepRecord {
  readonly name: string;
  readonly type: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  readonly startedAt: number;
  durationMs?: number;
  retries: number;
  error?: string;
  /** The Map or Parallel state this one ran in. */
  readonly parent?: string;
}

export interface MachineRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  readonly steps: StepRecord[];
}

export interface RunMachineOptions {
  readonly executionName: string;
  readonly stateMachineArn: string;
  readonly roleArn?: string;
  /** Called when a state is entered, retried, fails or ends. */
  readonly onStep?: (step: StepRecord, event: 'entered' | 'retried' | 'exited') => void;
  readonly timeoutMs: number;
  /** Stops the run (Ctrl-C). */
  readonly signal?: AbortSignal;
}

const UNSUPPORTED = ['Assign', 'Arguments', 'Output', 'ItemReader', 'ItemBatcher', 'ResultWriter'];

/**
 * What `runMachine` changes in the machine's timing, for the run to print: the Wait states it runs
 * for 0 s and the states whose Retry intervals it makes 0 s (moto answers at once, and a local run
 * should not sit out a 60 s rollout poll). Step Functions waits the Seconds, and IntervalSeconds
 * times BackoffRate per attempt.
 */
export function timingAdaptations(definition: AslDefinition): { waits: string[]; retrying: string[] } {
  const states = allStates(definition);
  return {
    waits: states.filter(([, state]) => state.Type === 'Wait').map(([name]) => name),
    retrying: states.filter(([, state]) => state.Retry).map(([name]) => name),
  };
}

/**
 * Runs `definition` with every Task answered by `resolve(resource)`. Wait states and Retry pauses are
 * skipped (0 ms): see `timingAdaptations`, which says which.
 */
export async function runMachine(definition: AslDefinition, input: unknown, resolve: (resource: string, state: any) => Handler, options: RunMachineOptions): Promise<MachineRun> {
  const errors = validateAsl(definition);
  if (errors.length > 0) throw new Error(`the deployed definition is not valid ASL:\n${errors.join('\n')}`);

  const taskHandlers: Record<string, (input: any) => Promise<any>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  const waitTimeOverrides: Record<string, number> = {};
  const unsupported = new Map<string, string[]>();
  const timing = timingAdaptations(definition);
  for (const name of timing.retrying) retryIntervalOverrides[name] = 0;
  for (const name of timing.waits) waitTimeOverrides[name] = 0;
  for (const [name, state] of allStates(definition)) {
    const fields = UNSUPPORTED.filter((f) => f in state);
    if (fields.length > 0) unsupported.set(name, fields);
    if (state.Type === 'Task') {
      const handler = resolve(state.Resource, state);
      taskHandlers[name] = async (taskInput) => (await handler(taskInput, name)) ?? {};
    }
  }

  const [, partition, , region, account, , machineName] = options.stateMachineArn.split(':');
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers: taskHandlers as any, retryIntervalOverrides, waitTimeOverrides },
    context: {
      Execution: {
        Id: `arn:${partition}:states:${region}:${account}:execution:${machineName}:${options.executionName}`,
        Name: options.executionName,
        RoleArn: options.roleArn ?? `arn:${partition}:iam::${account}:role/${machineName}`,
        RedriveCount: 0,
      },
      StateMachine: { Id: options.stateMachineArn, Name: machineName },
    },
  });

  const steps: StepRecord[] = [];
  const open = new Map<string, StepRecord>();
  let refused: string | undefined;
  const stop = (why: string) => { refused ??= why; execution.abort(); };
  const timer = setTimeout(() => stop(`the run took longer than ${options.timeoutMs} ms`), options.timeoutMs);
  const onAbort = () => stop('interrupted');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const logged = (async () => {
    for await (const event of execution.eventLogs as AsyncIterable<any>) {
      const name: string | undefined = event.state?.name;
      if (!name) continue;
      const key = `${name}#${event.index ?? ''}`;
      if (event.type === 'StateEntered') {
        if (unsupported.has(name)) {
          stop(`state ${name} uses ${unsupported.get(name)!.join(', ')}, which aws-local-stepfunctions ignores: the run would prove nothing`);
        }
        const step: StepRecord = { name, type: event.state.type, status: 'RUNNING', startedAt: event.timestamp, retries: 0, parent: parentOf(definition, name) };
        steps.push(step);
        open.set(key, step);
        options.onStep?.(step, 'entered');
      } else if (event.type === 'StateRetried') {
        const step = open.get(key);
        if (step) { step.retries++; options.onStep?.(step, 'retried'); }
      } else if (event.type === 'StateExited' || event.type === 'StateFailed' || event.type === 'StateCaught') {
        const step = open.get(key);
        if (!step || (step.status !== 'RUNNING')) continue;
        step.status = event.type === 'StateExited' ? 'SUCCEEDED' : event.type === 'StateCaught' ? 'CAUGHT' : 'FAILED';
        if (event.type !== 'StateExited') step.error = [event.Error ?? event.error, event.Cause ?? event.cause].filter(Boolean).join(': ') || undefined;
        step.durationMs = event.timestamp - step.startedAt;
        open.delete(key);
        options.onStep?.(step, 'exited');
      }
    }
  })();

  try {
    const output = await execution.result;
    return { status: 'SUCCEEDED', output, steps };
  } catch (e) {
    if (refused) return { status: 'FAILED', error: 'LocalRun.Refused', cause: refused, steps };
    if (e instanceof ExecutionError) {
      const cause = e.cause as Error;
      return { status: 'FAILED', error: cause?.name ?? 'Error', cause: cause?.message, steps };
    }
    if (e instanceof ExecutionAbortedError) return { status: 'FAILED', error: 'LocalRun.Aborted', steps };
    throw e;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await logged;
  }
}

const parents = new WeakMap<object, Map<string, string>>();
function parentOf(definition: AslDefinition, name: string): string | undefined {
  let map = parents.get(definition);
  if (!map) {
    map = new Map();
    for (const [parent, state] of allStates(definition)) {
      const nested = [...(state.Branches ?? []), ...[state.ItemProcessor ?? state.Iterator].filter(Boolean)];
      for (const child of nested) for (const childName of Object.keys(child.States)) map.set(childName, parent);
    }
    parents.set(definition, map);
  }
  return map.get(name);
}
