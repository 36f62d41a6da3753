/**
 * What the quality-gate files (test/quality-gates*.test.ts) share: a runner for the tools they
 * call, with CDK's validator on, and the apps that must synthesize cleanly. The gates are split
 * into files so jest's two workers run them side by side, and test/helpers/sequencer.js starts them
 * first, so the slowest work overlaps the unit tests instead of running last and alone.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './app';

export const SLOW = 240_000;

/**
 * Where the gates keep what a later run can reuse (tsc's build info, eslint's results per file):
 * both tools redo whatever changed, so a cached run reports what a fresh one would. A clean clone
 * starts without it.
 */
export const CACHE = path.join(ROOT, 'node_modules', '.cache', 'cdk-mlops');

/** The reference app and every example with an app.ts. */
export const APPS = [
  'bin/app.ts',
  ...fs.readdirSync(path.join(ROOT, 'examples'))
    .filter((dir) => fs.existsSync(path.join(ROOT, 'examples', dir, 'app.ts')))
    .map((dir) => `examples/${dir}/app.ts`),
];

/** The app command of cdk.json (bin/app.ts swapped for `app`), so the gates synthesize as `npx cdk synth` does. */
export function appCommand(app: string): string {
  const command: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).app;
  return command.replace('bin/app.ts', app);
}

export function run(command: string, args: string[], timeout = SLOW) {
  const result = spawnSync(command, args, {
    cwd: ROOT, encoding: 'utf8', timeout,
    env: { ...process.env, CDK_VALIDATION: 'true' },
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, error: result.error };
}

/** Fails when cfn-lint is missing, so that no lint gate passes silently without it. */
export function expectCfnLintInstalled(): void {
  const version = run('cfn-lint', ['--version']);
  if (version.error || version.status !== 0) {
    throw new Error(`cfn-lint is not installed here (${version.error?.message ?? version.output}); install it with 'pip install cfn-lint'`);
  }
  expect(version.output).toMatch(/cfn-lint \d+\.\d+/);
}

/** Synthesizes `app` through the CDK CLI (every cdk-nag pack the app adds, CDK's validator on) and runs cfn-lint on every template. */
export function expectSynthAndCfnLintClean(app: string): void {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-lint-'));
  const synth = run('npx', ['cdk', 'synth', '--app', appCommand(app), '--output', outdir, '--quiet']);
  if (synth.status !== 0) throw new Error(`cdk synth of ${app} failed:\n${synth.output}`);
  // A CDK Pipelines app writes each stage's stacks into a nested assembly-<stage> folder.
  const dirs = [outdir, ...fs.readdirSync(outdir).filter((d) => d.startsWith('assembly-')).map((d) => path.join(outdir, d))];
  const templates = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.template.json')).map((f) => path.join(d, f)));
  expect(templates.length).toBeGreaterThan(0);
  const lint = run('cfn-lint', ['--format', 'parseable', ...templates]);
  expect({ status: lint.status, findings: lint.output.trim() }).toEqual({ status: 0, findings: '' });
}
