import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** What a default name leaves for `-<region>`: region names are at most 14 characters today, and may grow. */
export const REGION_SUFFIX_LENGTH = 21;

/**
 * A default dashboard name: `base` and the stack's region. CloudWatch dashboards are global to the
 * account, unlike every other name of a stack, so without the region the same stack deployed to a
 * second region of the account fails on its dashboard (and CloudFormation rolls the stack back).
 */
export function regionalDashboardName(scope: IConstruct, base: string): string {
  return `${base}-${Stack.of(scope).region}`;
}
