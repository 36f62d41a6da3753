import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { addNagPacks } from '../../examples/nag-packs';

interface Violation {
  readonly ruleName: string;
  readonly description?: string;
  readonly violatingConstructs: Array<{ readonly constructPath: string }>;
}

/**
 * Synthesizes `app` with every cdk-nag pack and CDK's CloudFormation validator, and returns
 * every unacknowledged finding as `rule at path: message` (an empty list when clean).
 */
export function nagFindings(app: App): string[] {
  addNagPacks(app);
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'true';
  try {
    // Forced: an app that a test synthesized already (Template.fromStack does) would return that
    // assembly and run no pack at all.
    app.synth({ force: true });
    return [];
  } catch (error) {
    const reportFile = path.join(app.outdir, 'validation-report.json');
    if (!fs.existsSync(reportFile)) throw error;
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    return report.pluginReports.flatMap((plugin: { violations: Violation[] }) =>
      plugin.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}: ${v.description ?? ''}`)));
  } finally {
    process.env.CDK_VALIDATION = previous;
  }
}

/** Fails with every finding listed when any cdk-nag pack reports one. */
export function expectNagClean(app: App): void {
  expect(nagFindings(app)).toEqual([]);
}
