import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Findings of one reason: rule ids as cdk-nag names them, e.g. 'AwsSolutions-IAM5[Action::s3:GetObject*]'. */
export interface NagAcknowledgement {
  readonly rules: string[];
  readonly reason: string;
}

/**
 * Acknowledges cdk-nag findings on one construct through CDK's own validation API,
 * so the library needs no runtime dependency on cdk-nag.
 */
export function acknowledgeFindings(scope: IConstruct, acknowledgements: NagAcknowledgement[]): void {
  for (const { rules, reason } of acknowledgements) {
    for (const rule of rules) {
      const pack = rule.slice(0, rule.indexOf('-'));
      Validations.of(scope).acknowledge({ id: `${pack}::${rule}`, reason });
    }
  }
}

/** The action groups that CDK's S3 and KMS grants use; cdk-nag reports each as a wildcard. */
export const GRANT_ACTION_GROUPS = ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:Abort*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];

/**
 * Acknowledges the AwsSolutions-IAM5 findings of deliberate wildcards on one construct: each
 * action and each resource is acknowledged by its own finding id, so a new wildcard still fails.
 */
export function acknowledgeWildcards(scope: IConstruct, wildcards: { actions?: string[]; resources?: string[] }, reason: string): void {
  const stack = Stack.of(scope);
  const ids = [
    ...(wildcards.actions ?? []).map((action) => `Action::${action}`),
    ...(wildcards.resources ?? []).map((resource) => `Resource::${flatten(stack.resolve(resource))}`),
  ];
  acknowledgeFindings(scope, [{ rules: ids.map((id) => `AwsSolutions-IAM5[${id}]`), reason }]);
}

/** The NIST, HIPAA and PCI rules against inline policies. */
export const INLINE_POLICY_RULES = ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy', 'PCI.DSS.321-IAMNoInlinePolicy'];

/** Acknowledges the NIST, HIPAA and PCI rule against inline policies on one role (or policy). */
export function acknowledgeInlinePolicy(role: IConstruct,
  reason = 'The policy belongs to this one role and is generated from least-privilege grants; a managed policy would grant the same.'): void {
  acknowledgeFindings(role, [{ rules: INLINE_POLICY_RULES, reason }]);
}

/**
 * Renders a resolved CloudFormation value the way cdk-nag names it in finding ids (its
 * flattenCfnReference): intrinsics are flattened part by part, so a Fn::Sub, or an import of a
 * joined name, gets the same id as in cdk-nag's finding.
 */
function flatten(value: any): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  if (value?.['Fn::Sub']) return flatten(value['Fn::Sub']);
  if (value?.['Fn::GetAtt']) return `<${flatten(value['Fn::GetAtt'][0])}.${flatten(value['Fn::GetAtt'][1])}>`;
  // A value imported from another stack: cdk-nag names it by the export's name.
  if (value?.['Fn::ImportValue']) return flatten(value['Fn::ImportValue']);
  if (value?.Ref) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(value);
}
