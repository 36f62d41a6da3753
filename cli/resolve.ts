import { DescribeStacksCommand, ListStackResourcesCommand, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { Clients, UserError } from './aws';

const STATE_MACHINE = 'AWS::StepFunctions::StateMachine';
/** State machines a TrainingPipeline creates beside its own: promotion and the backstop's cleanup. */
const NOT_THE_PIPELINE = /Promotion|Backstop|Cleanup|Detector|RetrainGate/;

export const isStateMachineArn = (s: string) => /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(s);
export const isExecutionArn = (s: string) => /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(s);

/** The state machine's ARN of an execution ARN. */
export function stateMachineOf(executionArn: string): string {
  return executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
}

/** All resources of a stack (ListStackResources pages; DescribeStackResources stops at 100). */
export async function stackResources(c: Clients, stackName: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  let token: string | undefined;
  do {
    const page = await c.cloudformation.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
    all.push(...(page.StackResourceSummaries ?? []));
    token = page.NextToken;
  } while (token);
  return all;
}

/**
 * A pipeline's state machine ARN from a state machine ARN, a stack name (its `StateMachineArn`
 * output, else its one state machine whose logical id names a pipeline) or a state machine name.
 */
export async function resolvePipeline(c: Clients, target: string): Promise<string> {
  if (isStateMachineArn(target)) return target;
  let stack;
  try {
    stack = (await c.cloudformation.send(new DescribeStacksCommand({ StackName: target }))).Stacks?.[0];
  } catch (error) {
    if (!((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message))) throw error;
  }
  if (!stack) {
    const named = await stateMachineNamed(c, target);
    if (named) return named;
    throw new UserError(`no stack and no state machine named '${target}' in this region: `
      + 'pass a stack name, a state machine name or ARN, and check --region.');
  }
  const output = stack.Outputs?.find((o) => o.OutputKey === 'StateMachineArn' || /PipelineStateMachineArn$/.test(o.OutputKey ?? ''));
  if (output?.OutputValue) return output.OutputValue;
  const machines = (await stackResources(c, target)).filter((r) => r.ResourceType === STATE_MACHINE && r.PhysicalResourceId);
  const pipelines = machines.filter((r) => /Pipeline/.test(r.LogicalResourceId ?? '') && !NOT_THE_PIPELINE.test(r.LogicalResourceId ?? ''));
  const candidates = pipelines.length ? pipelines : machines;
  if (candidates.length === 1) return candidates[0].PhysicalResourceId!;
  if (!candidates.length) throw new UserError(`stack '${target}' has no state machine: name the pipeline's stack, or its state machine ARN.`);
  throw new UserError(`stack '${target}' has ${candidates.length} pipeline state machines (${candidates.map((r) => r.LogicalResourceId).join(', ')}): `
    + 'pass the state machine ARN of the one you mean, or add a StateMachineArn output to the stack.');
}

async function stateMachineNamed(c: Clients, name: string): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const page = await c.sfn.send(new ListStateMachinesCommand({ nextToken: token }));
    const found = page.stateMachines?.find((m) => m.name === name);
    if (found) return found.stateMachineArn;
    token = page.nextToken;
  } while (token);
  return undefined;
}

/** An execution ARN from an ARN, or a name with `--pipeline`. */
export async function resolveExecution(c: Clients, execution: string, pipeline?: string): Promise<string> {
  if (isExecutionArn(execution)) return execution;
  if (!pipeline) throw new UserError(`'${execution}' is not an execution ARN: pass the ARN (\`mlops runs\` lists them), or the name with --pipeline <stack-or-state-machine>.`);
  const machine = await resolvePipeline(c, pipeline);
  return `${machine.replace(':stateMachine:', ':execution:')}:${execution}`;
}
