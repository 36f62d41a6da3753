import { Validations } from 'aws-cdk-lib';
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
