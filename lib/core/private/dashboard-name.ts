import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PropsValidator } from './errors';

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

/** An MlPipeline's default dashboard name (a ModelFleet checks its models' names against it). */
export function modelDashboardName(scope: IConstruct, modelName: string): string {
  return regionalDashboardName(scope, modelName);
}

/** CloudWatch's dashboard name: letters, digits, hyphens and underscores, at most 255 characters (PutDashboard). */
const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Records a problem when `name`, a dashboard name of one's own, is not one CloudWatch takes
 * (CDK's Dashboard checks the characters, not the length, which only the deployment would fail on).
 */
export function checkDashboardName(v: PropsValidator, name: string | undefined, example: string): void {
  v.checkResolved([name], () => name !== undefined && !DASHBOARD_NAME.test(name),
    `'dashboardName' ('${name}', ${name?.length} characters) must be 1 to 255 letters, digits, hyphens and underscores (CloudWatch's dashboard names); `
    + `use e.g. '${example}'`);
}
