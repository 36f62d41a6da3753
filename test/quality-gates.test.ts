/**
 * Gates that no unit test can replace: the reference app and every example synthesize through
 * the real CDK CLI (with every cdk-nag pack in the reference app) and pass cfn-lint, and jsii
 * accepts the public API so that every jsii language can use it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './helpers/app';

const SLOW = 240_000;
const APPS = [
  'bin/app.ts',
  ...fs.readdirSync(path.join(ROOT, 'examples'))
    .filter((dir) => fs.existsSync(path.join(ROOT, 'examples', dir, 'app.ts')))
    .map((dir) => `examples/${dir}/app.ts`),
];

function run(command: string, args: string[], timeout = SLOW) {
  const result = spawnSync(command, args, {
    cwd: ROOT, encoding: 'utf8', timeout,
    env: { ...process.env, CDK_VALIDATION: 'true' },
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, error: result.error };
}

describe('cfn-lint', () => {
  test('is installed (the gate must not pass silently without it)', () => {
    const version = run('cfn-lint', ['--version']);
    if (version.error || version.status !== 0) {
      throw new Error(`cfn-lint is not installed here (${version.error?.message ?? version.output}); install it with 'pip install cfn-lint'`);
    }
    expect(version.output).toMatch(/cfn-lint \d+\.\d+/);
  });

  test.each(APPS)('passes on every template that %s synthesizes', (app) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-lint-'));
    const synth = run('npx', ['cdk', 'synth', '--app', `npx tsx ${app}`, '--output', outdir, '--quiet']);
    if (synth.status !== 0) throw new Error(`cdk synth of ${app} failed:\n${synth.output}`);
    const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')).map((f) => path.join(outdir, f));
    expect(templates.length).toBeGreaterThan(0);
    const lint = run('cfn-lint', ['--format', 'parseable', ...templates]);
    expect({ status: lint.status, findings: lint.output.trim() }).toEqual({ status: 0, findings: '' });
  }, SLOW);
});

describe('jsii', () => {
  test('compiles the public API into a .jsii assembly, and the README examples against it', () => {
    const compile = run('npx', ['jsii', '--fail-on-warnings']);
    if (compile.status !== 0) throw new Error(`jsii rejected the public API:\n${compile.output}`);
    const assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
    expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining(['cdk-mlops.DataLake', 'cdk-mlops.IDataLake', 'cdk-mlops.DataZone']));
    expect(Object.keys(assembly.targets)).toEqual(expect.arrayContaining(['python', 'java', 'dotnet', 'go']));

    // Every README example compiles against the assembly (with rosetta/default.ts-fixture), so it translates to every language.
    const rosetta = run('npx', ['jsii-rosetta', 'extract', '--strict', '.jsii']);
    if (rosetta.status !== 0) throw new Error(`a README example does not compile:\n${rosetta.output}`);
  }, SLOW);
});

describe('source hygiene', () => {
  test('eslint passes (including the ban on literal arn:aws: partitions)', () => {
    const lint = run('npx', ['eslint', '--no-error-on-unmatched-pattern', 'lib', 'bin', 'lambda', 'test', 'examples', 'scripts']);
    expect({ status: lint.status, findings: lint.output.trim() }).toEqual({ status: 0, findings: '' });
  }, SLOW);

  test('TypeScript type-checks the library, app, handlers, tests and examples', () => {
    const typecheck = run('npx', ['tsc', '-p', 'tsconfig.dev.json']);
    expect({ status: typecheck.status, errors: typecheck.output.trim() }).toEqual({ status: 0, errors: '' });
  }, SLOW);
});
