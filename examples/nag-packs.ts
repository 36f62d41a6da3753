/** What every example app does last (first, for CDK Pipelines): runs every cdk-nag pack at synth. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';

/**
 * Adds AWS Solutions, NIST 800-53 rev 5, HIPAA Security and PCI DSS 3.2.1 to `app`'s validations:
 * an unacknowledged finding of any of them fails `cdk synth`.
 */
export function addNagPacks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
    new PCIDSS321Checks(app),
  );
}
