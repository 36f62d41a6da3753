import { DescribeEndpointCommand, DescribeModelPackageCommand, ListModelPackagesCommand, ListTagsCommand, ModelPackageSummary, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { Command } from 'commander';
import { Clients, UserError } from './aws';
import { awsCommand, CommonOptions, Context, seconds } from './command';
import { json } from './format';
import { runJson } from './progress';
import { isStateMachineArn, stackResources } from './resolve';
import { watch } from './watch';

const PACKAGE_ARN = /^arn:[a-z-]+:sagemaker:[a-z0-9-]+:\d{12}:model-package\/([^/]+)\/(\d+)$/;

/** A model package version's ARN from its ARN or `<group>/<version>`. */
async function packageArn(c: Clients, ref: string): Promise<string> {
  if (PACKAGE_ARN.test(ref)) return ref;
  const m = /^([A-Za-z0-9-]+)\/(\d+)$/.exec(ref);
  if (!m) throw new UserError(`'${ref}' is not a model package version: pass its ARN or <group>/<version> (e.g. churn-models/3).`);
  const found = (await listVersions(c, m[1])).find((p) => p.ModelPackageVersion === Number(m[2]));
  if (!found) throw new UserError(`model package group '${m[1]}' has no version ${m[2]}: \`aws sagemaker list-model-packages --model-package-group-name ${m[1]}\` lists them.`);
  return found.ModelPackageArn!;
}

async function listVersions(c: Clients, group: string, status?: 'Approved'): Promise<ModelPackageSummary[]> {
  const all: ModelPackageSummary[] = [];
  let token: string | undefined;
  do {
    const page = await c.sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelApprovalStatus: status, NextToken: token, MaxResults: 100 }));
    all.push(...(page.ModelPackageSummaryList ?? []));
    token = page.NextToken;
  } while (token);
  return all;
}

interface DecideOptions extends CommonOptions { yes?: boolean; description?: string }

export function registryCommands(mlops: Command, ctx: Context): void {
  const { io } = ctx;
  const decide = (verb: 'approve' | 'reject', status: 'Approved' | 'Rejected', consequence: string) =>
    awsCommand<DecideOptions>(mlops, ctx, `${verb} <model-package>`, `set a model version's approval status to ${status} (${consequence})`,
      async (c, options, ref) => {
        const arn = await packageArn(c, ref);
        const before = await c.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
        const label = `${before.ModelPackageGroupName} version ${before.ModelPackageVersion}`;
        if (before.ModelApprovalStatus === status) {
          if (options.json) io.out(json({ modelPackageArn: arn, approvalStatus: status, changed: false }));
          else io.out(`${label} is already ${status}: nothing changed\n`);
          return;
        }
        await confirmOrRefuse(ctx, options, `${verb === 'approve' ? 'Approve' : 'Reject'} ${label} (now ${before.ModelApprovalStatus})? ${consequence}.`);
        await c.sagemaker.send(new UpdateModelPackageCommand({
          ModelPackageArn: arn, ModelApprovalStatus: status, ApprovalDescription: options.description ?? `${status} with mlops ${verb}`,
        }));
        if (options.json) io.out(json({ modelPackageArn: arn, approvalStatus: status, previousStatus: before.ModelApprovalStatus, changed: true }));
        else io.out(`${label}: ${before.ModelApprovalStatus} -> ${status}\n`);
      })
      .option('--yes', 'do not ask for confirmation (for scripts)')
      .option('--description <text>', 'the approval description SageMaker records');
  decide('approve', 'Approved', 'with PromotionMode.MANUAL the promotion deploys an approved version newer than the served one; with AUTOMATIC approving starts nothing');
  decide('reject', 'Rejected', 'a rejected version is never promoted');

  awsCommand<DecideOptions & { to?: string; promotion?: string; parameter?: string; stack?: string; wait: boolean; interval: number }>(mlops, ctx, 'rollback <endpoint>',
    'serve an older approved model version again, through the serving stack\'s ModelPromotion',
    async (c, options, endpoint) => {
      const plan = await planRollback(c, endpoint, options);
      await confirmOrRefuse(ctx, options, `Roll ${endpoint} back from version ${versionOf(plan.current)} to version ${versionOf(plan.target)} `
        + `(stack ${plan.stackName}, parameter ${plan.parameter})? CloudFormation rolls the endpoint out blue/green.`);
      const started = await c.sfn.send(new StartExecutionCommand({
        stateMachineArn: plan.promotion,
        input: JSON.stringify({ modelPackageArn: plan.target, rollback: true }),
      }));
      if (!options.json) io.err(`promotion started: ${started.executionArn}\n`);
      if (!options.wait) {
        if (options.json) io.out(json({ ...plan, executionArn: started.executionArn }));
        return;
      }
      const { run, detached } = await watch(c, io, started.executionArn!, { intervalMs: options.interval * 1000, json: !!options.json, justStarted: true });
      if (options.json) io.out(json({ ...plan, promotionRun: runJson(run), detached }));
      return run.status === 'SUCCEEDED' || run.status === 'RUNNING' ? 0 : 3;
    })
    .option('--to <version>', 'the version to serve: a number or a model package ARN (default: the newest approved version older than the served one)')
    .option('--promotion <stack-or-state-machine>', 'the ModelPromotion state machine (default: the one in the endpoint\'s stack)')
    .option('--parameter <name>', 'the stack parameter of the served version, when the stack has several')
    .option('--stack <name>', 'the serving stack (default: the endpoint\'s aws:cloudformation:stack-name tag)')
    .option('--yes', 'do not ask for confirmation (for scripts)')
    .option('--no-wait', 'start the promotion and return')
    .option('--interval <seconds>', 'seconds between polls', seconds, 5);
}

const versionOf = (arn: string) => PACKAGE_ARN.exec(arn)?.[2] ?? arn;

async function confirmOrRefuse(ctx: Context, options: DecideOptions, question: string): Promise<void> {
  if (options.yes) return;
  if (!ctx.io.interactive) throw new UserError(`${question}\nNot confirmed: no terminal to ask on. Pass --yes to confirm in a script.`);
  if (!(await ctx.io.confirm(`${question} [y/N] `))) throw new UserError('not confirmed: nothing changed.');
}

export interface RollbackPlan {
  readonly endpoint: string;
  readonly stackName: string;
  readonly parameter: string;
  readonly current: string;
  readonly target: string;
  readonly promotion: string;
}

/**
 * What a rollback changes. The served version is the serving stack's ModelVersion parameter, set
 * only by the ModelPromotion state machine; its documented way back is to start it with
 * `{"modelPackageArn": <older>, "rollback": true}` (approving an older version changes nothing:
 * promotions move forward only, and a hand-made UpdateStack would bypass its serialization,
 * rollout checks and failure notifications).
 */
export async function planRollback(c: Clients, endpoint: string, options: { to?: string; promotion?: string; parameter?: string; stack?: string }): Promise<RollbackPlan> {
  const stackName = options.stack ?? await servingStack(c, endpoint);
  const stack = (await c.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0];
  const versions = (stack.Parameters ?? []).filter((p) => (options.parameter ? p.ParameterKey === options.parameter : PACKAGE_ARN.test(p.ParameterValue ?? '')));
  if (versions.length !== 1) {
    throw new UserError(versions.length
      ? `stack ${stackName} has ${versions.length} model version parameters (${versions.map((p) => p.ParameterKey).join(', ')}): name one with --parameter.`
      : `stack ${stackName} has no parameter${options.parameter ? ` ${options.parameter}` : ''} holding a served model package version: nothing to roll back from.`);
  }
  const current = versions[0].ParameterValue!;
  const [, group, served] = PACKAGE_ARN.exec(current) ?? [];
  if (!group) throw new UserError(`parameter ${versions[0].ParameterKey} of ${stackName} is '${current}': no version is served, nothing to roll back from.`);
  let target: string;
  if (options.to) {
    target = /^\d+$/.test(options.to) ? current.replace(/\/\d+$/, `/${options.to}`) : options.to;
    if (!PACKAGE_ARN.test(target) || PACKAGE_ARN.exec(target)![1] !== group) {
      throw new UserError(`--to ${options.to}: expected a version number or a model package ARN of group ${group}.`);
    }
    if (target === current) throw new UserError(`version ${served} already serves ${endpoint}.`);
    const status = (await c.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: target }))).ModelApprovalStatus;
    if (status !== 'Approved') throw new UserError(`version ${versionOf(target)} is ${status}: only an approved version is served. Approve it first (mlops approve ${target}).`);
  } else {
    const older = (await listVersions(c, group, 'Approved'))
      .filter((p) => (p.ModelPackageVersion ?? 0) < Number(served))
      .sort((a, b) => (b.ModelPackageVersion ?? 0) - (a.ModelPackageVersion ?? 0));
    if (!older.length) throw new UserError(`no approved version of ${group} is older than the served version ${served}: name one with --to.`);
    target = older[0].ModelPackageArn!;
  }
  return { endpoint, stackName, parameter: versions[0].ParameterKey!, current, target, promotion: await promotionMachine(c, stackName, options.promotion) };
}

/** The stack that created the endpoint, from the stack-level tag CloudFormation adds to the resources it tags. */
async function servingStack(c: Clients, endpoint: string): Promise<string> {
  const described = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
  const tags = (await c.sagemaker.send(new ListTagsCommand({ ResourceArn: described.EndpointArn! }))).Tags ?? [];
  const stackName = tags.find((t) => t.Key === 'aws:cloudformation:stack-name')?.Value;
  if (!stackName) {
    throw new UserError(`endpoint ${endpoint} has no aws:cloudformation:stack-name tag: name its serving stack with --stack `
      + '(mlops rollback works on endpoints served by a ModelVersionParameter).');
  }
  return stackName;
}

async function promotionMachine(c: Clients, stackName: string, given?: string): Promise<string> {
  if (given && isStateMachineArn(given)) return given;
  const where = given ?? stackName;
  const found = (await stackResources(c, where))
    .filter((r) => r.ResourceType === 'AWS::StepFunctions::StateMachine' && /Promotion/.test(r.LogicalResourceId ?? ''));
  if (found.length === 1) return found[0].PhysicalResourceId!;
  throw new UserError(found.length
    ? `stack ${where} has ${found.length} promotion state machines (${found.map((r) => r.LogicalResourceId).join(', ')}): name one with --promotion <arn>.`
    : `no ModelPromotion state machine in stack ${where}: name the one that promotes this registry with --promotion <stack-or-state-machine-arn>.`);
}
