import { IConstruct } from 'constructs';
import { PropsValidator } from './private/errors';
import { acknowledgeFindings, acknowledgeInlinePolicy, acknowledgeWildcards } from './private/nag';

/** A rule id as cdk-nag reports it: the pack's prefix, a dash, the rule (and, for IAM5, the finding in brackets). */
const RULE_ID = /^[A-Za-z][A-Za-z0-9.]*-[A-Za-z0-9]\S*$/;

function checkAcknowledgement(scope: IConstruct, rules: string[], reason: string): void {
  const v = new PropsValidator(scope, 'NagFindingsInvalid');
  v.check(rules.length === 0, "'rules' is empty; name each finding to acknowledge, e.g. 'AwsSolutions-IAM4'");
  for (const rule of rules) {
    v.check(!RULE_ID.test(rule), `'rules' has '${rule}', which is not a rule id as cdk-nag reports it; use the pack's prefix, a dash and the rule, e.g. 'AwsSolutions-IAM5[Action::s3:GetObject*]' or 'NIST.800.53.R5-S3BucketReplicationEnabled'`);
  }
  v.check(reason.trim().length === 0, "'reason' is empty; say why the finding does not apply here, so that a reviewer can check it");
  v.throwIfInvalid();
}

/**
 * The wildcards of one IAM policy that cdk-nag's AwsSolutions-IAM5 rule reports, each by its own finding.
 */
export interface WildcardFindings {
  /**
   * Actions with a wildcard, as the policy writes them, e.g. `s3:GetObject*`.
   *
   * @default - none
   */
  readonly actions?: string[];
  /**
   * Resources with a wildcard, as the policy writes them (tokens are resolved in the construct's
   * stack), e.g. `bucket.arnForObjects('runs/*')`.
   *
   * @default - none
   */
  readonly resources?: string[];
}

/**
 * Acknowledges cdk-nag findings on your own constructs the way this library acknowledges its own:
 * through CDK's validation API (`Validations.of(scope).acknowledge`), which the cdk-nag packs read
 * when they run as validation plugins (`Validations.of(app).addPlugins(new AwsSolutionsChecks(app), ...)`).
 * Each acknowledgement names one finding and carries its reason, so any other finding still fails synth.
 */
export class NagFindings {
  /**
   * Acknowledges `rules` on `scope`, each a rule id as cdk-nag reports it, with its pack's prefix:
   * `AwsSolutions-IAM4`, `NIST.800.53.R5-S3BucketReplicationEnabled`,
   * `AwsSolutions-IAM5[Action::s3:GetObject*]`.
   */
  public static acknowledge(scope: IConstruct, rules: string[], reason: string): void {
    checkAcknowledgement(scope, rules, reason);
    acknowledgeFindings(scope, [{ rules, reason }]);
  }

  /**
   * Acknowledges the AwsSolutions-IAM5 finding of each wildcard action and resource of a policy on
   * `scope` (the policy's `CfnPolicy`, or the role that holds it inline): a wildcard not named here
   * still fails synth.
   */
  public static acknowledgeWildcards(scope: IConstruct, wildcards: WildcardFindings, reason: string): void {
    const named = [...(wildcards.actions ?? []), ...(wildcards.resources ?? [])];
    const v = new PropsValidator(scope, 'NagFindingsInvalid');
    v.check(named.length === 0, "'wildcards' names no action and no resource; list the wildcards of the policy to acknowledge");
    v.check(reason.trim().length === 0, "'reason' is empty; say why the wildcards are needed, so that a reviewer can check them");
    v.throwIfInvalid();
    acknowledgeWildcards(scope, wildcards, reason);
  }

  /**
   * Acknowledges the NIST 800-53, HIPAA and PCI DSS rule against inline policies
   * (`*-IAMNoInlinePolicy`) on `scope`: a role, or the policy CDK generates for it from grants.
   */
  public static acknowledgeInlinePolicy(scope: IConstruct, reason: string): void {
    const v = new PropsValidator(scope, 'NagFindingsInvalid');
    v.check(reason.trim().length === 0, "'reason' is empty; say why the inline policy is right here, so that a reviewer can check it");
    v.throwIfInvalid();
    acknowledgeInlinePolicy(scope, reason);
  }

  private constructor() {}
}
