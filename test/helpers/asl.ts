/**
 * Local proof for the Step Functions state machines our constructs synthesize (DESIGN.md, "What counts as
 * proof"): read the definition CDK wrote into the template, validate it with asl-validator, and run it in
 * aws-local-stepfunctions with every Task answered by a local function.
 *
 *   const definition = definitionFromTemplate(templateOf(stack));
 *   expect(validateAsl(definition)).toEqual([]);
 *   const run = await runStateMachine(definition, { body: 'x' }, {
 *     'aws-sdk:s3:putObject': () => ({ ETag: '"1"' }),
 *     'sns:publish': (input) => ({ MessageId: 'm-1' }),
 *   });
 *   expect(run.status).toBe('SUCCEEDED');
 *
 * Failures the harness itself raises (no handler for a Task, a handler bug, a run that loops or hangs)
 * end the run as FAILED with an error named `Harness.*` that no Retry or Catch of the machine can swallow;
 * so assert on `error`, not only on `status`.
 */
// @ts-expect-error asl-validator 4 ships no type declarations (remove this line if it ever does)
import aslValidator from 'asl-validator';
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { FAKE_ENV, TemplateJson, fakeArn as arn, resolveIntrinsics } from './template-values';

/** The account, region and partition fake values are built from (see ./template-values.ts). */
export { FAKE_ENV };

// aws-local-stepfunctions 3 targets Node 22 and calls Promise.withResolvers (Node 22+) in every Task; this
// machine runs Node 20. The library only calls it while running, so defining it here, before any run, is enough.
if (typeof (Promise as any).withResolvers !== 'function') {
  (Promise as any).withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

/** A state-machine definition (Amazon States Language), typed loosely so tests can look into any state. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, any>;
  readonly [field: string]: any;
}

// ---------------------------------------------------------------------------------------------------------
// Reading the definition out of a template
// ---------------------------------------------------------------------------------------------------------

/**
 * The definition of a state machine in a synthesized template (a `Template` from aws-cdk-lib/assertions, or
 * its JSON): the only AWS::StepFunctions::StateMachine, or the one with `logicalId`. Every Ref and Fn::GetAtt
 * in it becomes a deterministic fake value (see `fakeRef` / `fakeGetAtt`), and DefinitionSubstitutions are
 * applied as CloudFormation would, so what runs is exactly what CDK synthesized.
 */
export function definitionFromTemplate(template: { toJSON(): object } | object, logicalId?: string): AslDefinition {
  const json: TemplateJson = typeof (template as any).toJSON === 'function' ? (template as any).toJSON() : template;
  const machines = Object.entries(json.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  const ids = machines.map(([id]) => id);
  const found = logicalId === undefined ? (machines.length === 1 ? machines[0] : undefined) : machines.find(([id]) => id === logicalId);
  if (!found) {
    throw new Error(logicalId === undefined
      ? `Expected exactly one AWS::StepFunctions::StateMachine, found ${ids.length}: [${ids.join(', ')}]; pass its logical id`
      : `No AWS::StepFunctions::StateMachine with logical id ${logicalId}; there are: [${ids.join(', ')}]`);
  }
  const props = found[1].Properties ?? {};
  const substitutions = resolveIntrinsics(props.DefinitionSubstitutions ?? {}, json) as Record<string, unknown>;
  const substitute = (text: string) =>
    text.replace(/\$\{([^}]+)\}/g, (placeholder, name: string) => (name in substitutions ? String(substitutions[name]) : placeholder));

  if (props.DefinitionString !== undefined) {
    const text = resolveIntrinsics(props.DefinitionString, json);
    if (typeof text !== 'string') throw new Error(`DefinitionString of ${found[0]} did not resolve to a string`);
    // CloudFormation substitutes into the raw string, before it is parsed as JSON.
    return JSON.parse(substitute(text));
  }
  if (props.Definition !== undefined) {
    return mapStrings(resolveIntrinsics(props.Definition, json), substitute) as AslDefinition;
  }
  throw new Error(`${found[0]} has neither DefinitionString nor Definition (DefinitionS3Location is not supported here)`);
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------

export interface ValidateOptions {
  /** Check every JSONPath and payload template (default true). */
  readonly checkPaths?: boolean;
  /** Check that every Task Resource is an ARN (default true): catches an unresolved `<Id>.<Attr>` fake. */
  readonly checkArn?: boolean;
}

type AslValidator = (definition: object, options?: ValidateOptions) => { isValid: boolean; errorsText(separator?: string): string };

/**
 * The errors asl-validator 4 finds in a definition, one a line; empty when valid. The validator replaces its
 * options instead of merging them with the defaults (`{ checkPaths: false }` also turns checkArn off), and it
 * writes `QueryLanguage` into every state it checks: so both defaults are spelled out, and it gets a copy.
 */
export function validateAsl(definition: object, options: ValidateOptions = {}): string[] {
  const result = (aslValidator as AslValidator)(structuredClone(definition), { checkPaths: true, checkArn: true, ...options });
  return result.isValid ? [] : result.errorsText('\n').split('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------------------

/** Answers a Task state in place of the service: gets the state's effective input (after InputPath and Parameters). */
export type TaskHandler = (input: any, stateName: string) => unknown;

/**
 * Handlers by Task `Resource`: the full ARN, or its end after a ':' (`lambda:invoke`, `sns:publish`,
 * `aws-sdk:s3:putObject`, `sagemaker:createTrainingJob.sync`). Ends only match whole, so `lambda:invoke` does
 * not answer `lambda:invoke.waitForTaskToken` nor `createTrainingJob` answer `createTrainingJob.sync`: a test
 * proves which integration pattern a construct chose. The longest matching key wins.
 */
export type TaskHandlers = Record<string, TaskHandler>;

export interface RunOptions {
  /** `$$.Execution.Name` (default 'test-execution'). */
  readonly executionName?: string;
  /** `$$.StateMachine.Name` and the name in the execution and machine ARNs (default 'TestStateMachine'). */
  readonly stateMachineName?: string;
  /** Extra or replacement fields for the context object (`$$`), merged over the defaults one level deep. */
  readonly context?: Record<string, any>;
  /** Abort the run after this many milliseconds (default 20 000). */
  readonly timeoutMs?: number;
  /**
   * Abort the run after this many state entries (default 5 000). Needed besides the timeout: with Wait and
   * Retry pauses at 0 ms, a machine that loops through synchronous handlers never yields to the timer queue.
   */
  readonly maxStateEntries?: number;
}

export interface RunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** Names of the states entered, in order (nested Parallel and Map states included); a retry is not a new entry. */
  readonly visited: string[];
  /** Every Task call, in order, retries and unanswered ones included. */
  readonly calls: Array<{ state: string; resource: string; input: any }>;
  /** The interpreter's raw event log (StateEntered, StateRetried, StateCaught, ...), for finer assertions. */
  readonly events: RunEvent[];
}

type Execution = ReturnType<StateMachine['run']>;
export type RunEvent = Execution['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** An Error with a given name, as a handler throws it so that Retry and Catch see that name (e.g. 'States.TaskFailed'). */
export function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** An error of the harness itself: ends the run, and no Retry or Catch in the machine can match it. */
class HarnessError extends Error {
  // aws-local-stepfunctions reads these two (its RuntimeError's getters) and takes a missing one as true.
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Errors that mean the handler (test code) is broken, not that the service failed: never hand them to Catch. */
const JS_BUG_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError']);

const checkedDefinitions = new Set<string>();

/**
 * Runs a definition in aws-local-stepfunctions with every Task (nested ones too) answered by `handlers`, all
 * Retry and Wait pauses at 0 ms, and a context object whose Execution and StateMachine fields are set.
 * The definition must pass `validateAsl` (checked here, with the project's asl-validator; the interpreter's own
 * bundled copy, 3.16, is turned off so only one validator version decides).
 */
export async function runStateMachine(definition: AslDefinition, input: unknown, handlers: TaskHandlers, options: RunOptions = {}): Promise<RunResult> {
  // asl-validator compiles its schemas on every call (~150 ms): check each distinct definition once.
  const text = JSON.stringify(definition);
  if (!checkedDefinitions.has(text)) {
    const errors = validateAsl(definition);
    if (errors.length > 0) throw new Error(`Invalid state machine definition:\n${errors.join('\n')}`);
    rejectUnsupported(definition);
    checkedDefinitions.add(text);
  }

  const calls: RunResult['calls'] = [];
  const cancels = new Set<(reason: Error) => void>();
  const taskResourceLocalHandlers: Record<string, (input: any) => Promise<unknown>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  const waitTimeOverrides: Record<string, number> = {};
  for (const [stateName, state] of allStates(definition)) {
    if (state.Retry) retryIntervalOverrides[stateName] = 0;
    if (state.Type === 'Wait') waitTimeOverrides[stateName] = 0;
    if (state.Type !== 'Task') continue;
    const resource: string = state.Resource;
    const handler = findHandler(resource, handlers);
    taskResourceLocalHandlers[stateName] = async (taskInput) => {
      calls.push({ state: stateName, resource, input: structuredClone(taskInput) });
      if (!handler) {
        throw new HarnessError('Harness.NoHandler',
          `No handler for Task state '${stateName}' (Resource ${resource}); handlers: [${Object.keys(handlers).join(', ')}]`);
      }
      // A stopped run must also end the calls still waiting: the interpreter's 60 s Task timer would keep jest alive.
      let cancel!: (reason: Error) => void;
      const cancelled = new Promise<never>((_, reject) => { cancel = reject; });
      cancels.add(cancel);
      try {
        const answer = Promise.resolve().then(() => handler(structuredClone(taskInput), stateName));
        // Services answer with an object; a handler that returns nothing stands for an empty response.
        return (await Promise.race([answer, cancelled])) ?? {};
      } catch (e) {
        if (!(e instanceof Error)) throw namedError('Error', String(e));
        if (JS_BUG_ERRORS.has(e.name)) {
          throw new HarnessError('Harness.HandlerBug', `Handler for '${stateName}' threw ${e.name}: ${e.message}`);
        }
        // A failed expect() inside a handler must fail the test, not be caught by the machine's Catch.
        if ('matcherResult' in e) throw new HarnessError('Harness.AssertionFailed', `An expectation in the handler for '${stateName}' failed: ${e.message}`);
        throw e; // the interpreter matches Retry/Catch on e.name and uses e.message as the Cause
      } finally {
        cancels.delete(cancel);
      }
    };
  }

  const stateMachineName = options.stateMachineName ?? 'TestStateMachine';
  const executionName = options.executionName ?? 'test-execution';
  const base = {
    Execution: {
      Id: arn('states', `execution:${stateMachineName}:${executionName}`),
      Name: executionName,
      RoleArn: arn('iam', `role/${stateMachineName}Role`, ''),
      // An execution that was never redriven; a test of a redrive passes { Execution: { RedriveCount: 1 } }.
      RedriveCount: 0,
      // The interpreter overwrites StartTime (and Input) with its own values.
    },
    StateMachine: { Id: arn('states', `stateMachine:${stateMachineName}`), Name: stateMachineName },
  };
  const context: Record<string, any> = { ...base, ...options.context };
  for (const key of Object.keys(base) as Array<keyof typeof base>) context[key] = { ...base[key], ...options.context?.[key] };

  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as any, retryIntervalOverrides, waitTimeOverrides },
    context,
  });

  let stopped: HarnessError | undefined;
  const stop = (error: HarnessError) => {
    stopped ??= error;
    execution.abort();
    cancels.forEach((cancel) => cancel(error));
  };
  const timeoutMs = options.timeoutMs ?? 20_000;
  const timer = setTimeout(() => stop(new HarnessError('Harness.Timeout', `The run took longer than ${timeoutMs} ms`)), timeoutMs);

  const events: RunEvent[] = [];
  const maxEntries = options.maxStateEntries ?? 5_000;
  let entries = 0;
  const logged = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      if (event.type === 'StateEntered' && ++entries > maxEntries) {
        stop(new HarnessError('Harness.TooManyStates', `The run entered more than ${maxEntries} states; does it loop?`));
      }
    }
  })();

  let result: Omit<RunResult, 'visited' | 'calls' | 'events'>;
  try {
    result = { status: 'SUCCEEDED', output: await execution.result };
  } catch (e) {
    const failure = stopped ?? (e instanceof ExecutionError ? (e.cause as Error) : undefined);
    if (!failure && !(e instanceof ExecutionAbortedError)) throw e;
    result = { status: 'FAILED', error: failure?.name ?? 'Harness.Aborted', cause: failure?.message };
  } finally {
    clearTimeout(timer);
  }
  await logged;
  const visited = events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
  return { ...result, visited, calls, events };
}

/** The states of a definition and of every Parallel branch and Map item processor in it, by name. */
export function allStates(definition: { States: Record<string, any> }): Array<[string, any]> {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = [...(state.Branches ?? []), ...[state.ItemProcessor ?? state.Iterator].filter(Boolean)];
    return [[name, state] as [string, any], ...nested.flatMap(allStates)];
  });
}

/** Fields aws-local-stepfunctions 3.0.0 does not implement and would silently ignore, so a run would prove nothing. */
function rejectUnsupported(definition: AslDefinition): void {
  const found = [['(top level)', definition] as [string, any], ...allStates(definition)].flatMap(([name, state]) => {
    const fields = ['Assign', 'Arguments', 'Output', 'ItemReader', 'ItemBatcher', 'ResultWriter'].filter((f) => f in state);
    if (state.QueryLanguage === 'JSONata') fields.push('QueryLanguage JSONata');
    return fields.map((f) => `${f} in '${name}'`);
  });
  if (found.length > 0) throw new Error(`aws-local-stepfunctions 3.0.0 would ignore: ${found.join('; ')}`);
}

function findHandler(resource: string, handlers: TaskHandlers): TaskHandler | undefined {
  if (Object.prototype.hasOwnProperty.call(handlers, resource)) return handlers[resource];
  const key = Object.keys(handlers)
    .filter((k) => resource.endsWith(`:${k}`))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined ? undefined : handlers[key];
}
