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
import { alive } from './processes';

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
    // Sorted: the examples gate's parts take every n-th, the same on every machine.
    .sort()
    .map((dir) => `examples/${dir}/app.ts`),
];

/** The app command of cdk.json (bin/app.ts swapped for `app`), so the gates synthesize as `npx cdk synth` does. */
export function appCommand(app: string): string {
  const command: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).app;
  return command.replace('bin/app.ts', app);
}

export function run(command: string, args: string[], timeout = SLOW, cwd = ROOT) {
  const result = spawnSync(command, args, {
    cwd, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CDK_VALIDATION: 'true', JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, error: result.error };
}

/**
 * The command `name` (by default the package's own) of a package of node_modules, run with this node:
 * `npx <name>` without npx's lookup and its second node process (~0.3 s of CPU each).
 */
export function runTool(pkg: string, args: string[], cwd = ROOT, name = pkg) {
  const manifest = require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
  const { bin } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  const script = typeof bin === 'string' ? bin : bin[name];
  if (!script) throw new Error(`${pkg} has no command ${name}`);
  return run(process.execPath, [path.join(path.dirname(manifest), script), ...args], SLOW, cwd);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startJsiiCompile } = require('./global-setup') as { startJsiiCompile(tmp: string): { dir: string; pid: string; result: string } };

export interface CompiledProject {
  /** jsii's exit status; the assembly is complete only when it is 0. */
  readonly status: number | null;
  readonly output: string;
  /** A copy of the project with jsii's outputs (.jsii, build/); never written to after the compile, see `copyOfCompiled`. */
  readonly dir: string;
}

/**
 * The library compiled by jsii as `npm run compile` does (`jsii --fail-on-warnings`), once per jest
 * run, in a copy of the project under the run's temporary root: the jsii gate and the packaging test
 * both need the assembly, and jsii takes ~20 s of CPU. globalSetup starts it in the background
 * (test/helpers/global-setup.js) when the run includes either file; this starts it otherwise, and
 * waits for its result. Compiling a copy also keeps the repository's own .jsii and build/ (which
 * `npm run build` and anyone running jsii by hand write) out of the tests.
 */
export async function compiledProject(): Promise<CompiledProject> {
  const paths = startJsiiCompile(os.tmpdir());
  const deadline = Date.now() + SLOW;
  while (!fs.existsSync(paths.result)) {
    const pid = Number(fs.existsSync(paths.pid) ? fs.readFileSync(paths.pid, 'utf8') : 0);
    // The result may have landed between the two checks.
    if (pid && !alive(pid) && !fs.existsSync(paths.result)) throw new Error(`the jsii compile (process ${pid}) ended without a result in ${paths.result}`);
    if (Date.now() > deadline) throw new Error(`jsii did not finish compiling the library within ${SLOW} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const { status, output } = JSON.parse(fs.readFileSync(paths.result, 'utf8'));
  return { status, output, dir: paths.dir };
}

/** A fresh copy of the compiled project for one file to write into (rosetta's tablet, decoys, dist/). */
export function copyOfCompiled(compiled: CompiledProject, prefix: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const entry of fs.readdirSync(compiled.dir)) {
    if (entry !== 'node_modules') fs.cpSync(path.join(compiled.dir, entry), path.join(copy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

/** Fails when cfn-lint is missing, so that no lint gate passes silently without it. */
export function expectCfnLintInstalled(): void {
  const version = run('cfn-lint', ['--version']);
  if (version.error || version.status !== 0) {
    throw new Error(`cfn-lint is not installed here (${version.error?.message ?? version.output}); install it with 'pip install cfn-lint'`);
  }
  expect(version.output).toMatch(/cfn-lint \d+\.\d+/);
}

export interface Synthesized {
  readonly app: string;
  readonly status: number | null;
  readonly output: string;
  /** Every template the app wrote, nested stage assemblies included. */
  readonly templates: string[];
}

/** Synthesizes `app` through the CDK CLI (every cdk-nag pack the app adds, CDK's validator on). */
export function synthesize(app: string): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-lint-'));
  const synth = runTool('aws-cdk', ['synth', '--app', appCommand(app), '--output', outdir, '--quiet'], ROOT, 'cdk');
  if (synth.status !== 0) return { app, status: synth.status, output: synth.output, templates: [] };
  // A CDK Pipelines app writes each stage's stacks into a nested assembly-<stage> folder.
  const dirs = [outdir, ...fs.readdirSync(outdir).filter((d) => d.startsWith('assembly-')).map((d) => path.join(outdir, d))];
  const templates = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.template.json')).map((f) => path.join(d, f)));
  return { app, status: synth.status, output: synth.output, templates };
}

export interface CfnLintRun {
  readonly status: number | null;
  readonly output: string;
  readonly templates: string[];
}

/** cfn-lint on many templates in one process (its start-up, ~1.5 s of CPU, paid once); see `cfnLintFindings`. */
export function cfnLint(templates: string[]): CfnLintRun {
  const lint = run('cfn-lint', ['--format', 'parseable', ...templates]);
  return { status: lint.status, output: lint.output.trim(), templates };
}

/**
 * What a cfn-lint run reports about `templates`: its findings on them (parseable lines start with the
 * template's path), and every line that names no template of the run (a crash or a usage error
 * concerns them all), or its status when it failed without a word.
 */
export function cfnLintFindings(lint: CfnLintRun, templates: string[]): string {
  const lines = lint.output.split('\n').filter((line) => line.trim());
  const names = (line: string, template: string) => line.startsWith(`${template}:`);
  const findings = lines.filter((line) => templates.some((t) => names(line, t)) || !lint.templates.some((t) => names(line, t)));
  if (lint.status !== 0 && lines.length === 0) findings.push(`cfn-lint exited ${lint.status} and printed nothing`);
  return findings.join('\n');
}

/** Synthesizes `app` through the CDK CLI (every cdk-nag pack the app adds, CDK's validator on) and runs cfn-lint on every template. */
export function expectSynthAndCfnLintClean(app: string): void {
  expectSynthesizedAndCfnLintClean(synthesize(app));
}

/** The synth succeeded and wrote templates, and cfn-lint (`lint`, by default a run on these templates alone) found nothing in them. */
export function expectSynthesizedAndCfnLintClean(synth: Synthesized, lint = cfnLint(synth.templates)): void {
  if (synth.status !== 0) throw new Error(`cdk synth of ${synth.app} failed:\n${synth.output}`);
  expect(synth.templates.length).toBeGreaterThan(0);
  if (lint.templates === synth.templates) {
    expect({ status: lint.status, findings: lint.output }).toEqual({ status: 0, findings: '' });
  } else {
    expect({ findings: cfnLintFindings(lint, synth.templates) }).toEqual({ findings: '' });
  }
}

/**
 * The examples gate, split into `parts` files (test/quality-gates-examples-<part + 1>.test.ts) so
 * that jest's two workers share it and no file is long: part `part` (from 0) takes every
 * `parts`-th example. Each example goes through the CLI, then one cfn-lint runs over all the
 * part's templates, and each test reads its own findings.
 */
export function describeExamplesGate(part: number, parts: number): void {
  const examples = APPS.filter((app) => app.startsWith('examples/')).filter((_app, i) => i % parts === part);
  describe('cfn-lint', () => {
    let synthesized: Map<string, Synthesized>;
    let lint: CfnLintRun;
    beforeAll(() => {
      synthesized = new Map(examples.map((app) => [app, synthesize(app)]));
      lint = cfnLint([...synthesized.values()].flatMap((synth) => synth.templates));
    }, SLOW * (examples.length + 1));

    test('takes its share of the examples, and a file runs each share', () => {
      expect(examples.length).toBeGreaterThan(0);
      const files = Array.from({ length: parts }, (_p, i) => path.join(ROOT, 'test', `quality-gates-examples-${i + 1}.test.ts`));
      expect(files.filter((file) => !fs.existsSync(file))).toEqual([]);
    });

    test.each(examples)('passes on every template that %s synthesizes', (app) => {
      expectSynthesizedAndCfnLintClean(synthesized.get(app)!, lint);
    });
  });
}
