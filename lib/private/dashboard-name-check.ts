import { PropsValidator } from '../core/private/errors';

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
