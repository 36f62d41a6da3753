/**
 * `npm run package` (scripts/package.mjs) on a copy of the project compiled afresh with jsii, as
 * `npm run compile` does: the compile is the jsii gate's (test/helpers/gates.ts compiles once per
 * run and gives each file its own copy), so this file adds pacmak's npm pack and code generation,
 * and the wheel.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { ROOT } from './helpers/app';
import { compiledProject, copyOfCompiled } from './helpers/gates';

const LIMIT = 240_000;
let project: string;
let dist: string;
let assembly: any;
let packed: string;

function run(command: string, args: string[], cwd: string, timeout = LIMIT, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1', ...env } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  const compiled = await compiledProject();
  if (compiled.status !== 0) throw new Error(`jsii did not compile the library, so there is nothing to package (the jsii gate, test/quality-gates-jsii.test.ts, says why):\n${compiled.output}`);
  project = copyOfCompiled(compiled, 'cdk-mlops-package-');
  dist = path.join(project, 'dist');
  // The copy holds the bundled assets; npm pack's `prepare` would bundle again from sources it lacks.
  packed = run(process.execPath, [path.join(ROOT, 'scripts', 'package.mjs'), '--project', project, '--outdir', dist], project, LIMIT, { npm_config_ignore_scripts: 'true' });
  assembly = JSON.parse(readFileSync(path.join(project, '.jsii'), 'utf8'));
}, LIMIT * 2);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

const version = () => JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

test('npm tarball and Python wheel are built; Java, .NET and Go are generated code with the reason', () => {
  expect(existsSync(path.join(dist, 'js', `cdk-mlops@${version()}.jsii.tgz`))).toBe(true);
  expect(readdirSync(path.join(dist, 'python'))).toEqual([`cdk_mlops-${version()}-py3-none-any.whl`]);
  expect(existsSync(path.join(dist, 'java', 'pom.xml'))).toBe(true);
  expect(existsSync(path.join(dist, 'java', 'src', 'main', 'java', 'io', 'github', 'cdkmlops', 'DataLake.java'))).toBe(true);
  expect(existsSync(path.join(dist, 'dotnet', 'CdkMlops', 'CdkMlops.csproj'))).toBe(true);
  expect(readFileSync(path.join(dist, 'go', 'cdkmlops', 'go.mod'), 'utf8')).toContain('module github.com/cdk-mlops/cdk-mlops-go/cdkmlops');
  const summary = readFileSync(path.join(dist, 'PACKAGES.md'), 'utf8');
  expect(summary).toMatch(/\| js \| built \| js\/cdk-mlops@.*\.jsii\.tgz \|/);
  expect(summary).toMatch(/\| python \| built \| python\/cdk_mlops-.*\.whl \|/);
  expect(summary).toMatch(/\| (java|dotnet|go) \| (built|code only) \| .+ \|/);
  expect(packed).toMatch(/npm tarball \d+ KiB, wheel \d+ KiB/);
});

test('the Python package names every public type of the .jsii assembly, under its module name', () => {
  const script = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'print("\\n".join(z.namelist()))',
    'print("----")',
    'print(z.read("cdk_mlops/__init__.py").decode())',
    'print("----")',
    'print(z.read([n for n in z.namelist() if n.endswith("METADATA")][0]).decode())',
  ].join('\n');
  const wheel = path.join(dist, 'python', readdirSync(path.join(dist, 'python'))[0]);
  const [names, init, metadata] = run(process.env.PYTHON ?? 'python3', ['-c', script, wheel], project).split('----\n');
  expect(names.split('\n')).toEqual(expect.arrayContaining(['cdk_mlops/__init__.py', 'cdk_mlops/py.typed', expect.stringMatching(/^cdk_mlops\/_jsii\/cdk-mlops@.*\.jsii\.tgz$/)]));
  const classes = new Set([...init.matchAll(/^class (\w+)\b/gm)].map((m) => m[1]));
  const publicTypes = Object.values(assembly.types).map((t: any) => t.name as string);
  expect(publicTypes.length).toBeGreaterThan(50);
  expect(publicTypes.filter((name) => !classes.has(name))).toEqual([]);
  expect(init).toContain('"DataLake"');
  // Construct Hub's Python discovery reads the AWS CDK framework classifiers.
  expect(metadata).toContain('Classifier: Framework :: AWS CDK :: 2');
  expect(metadata).toContain('Classifier: Development Status :: 4 - Beta');
  expect(metadata).toMatch(/Requires-Dist: aws-cdk-lib<3\.0\.0,>=2\.\d+\.0/);
});

test('npm pack holds only what a user needs: compiled code, bundled assets, the assembly and docs', () => {
  // The copy has the sources (lib/) and gets one file of each other kind the repository holds.
  const decoys = ['test/x.test.ts', 'test/fixtures/data.csv', 'lambda/drift-detect/index.ts', 'cli/mlops.ts', 'bin/app.ts', 'examples/x.ts',
    'bench/run.ts', 'scripts/x.mjs', 'reports/x.md', 'docs/ARCHITECTURE.md', '.scratch/notes.md', '.ci/run', 'rosetta/default.ts-fixture', 'coverage/lcov.info'];
  for (const decoy of decoys) {
    mkdirSync(path.dirname(path.join(project, decoy)), { recursive: true });
    writeFileSync(path.join(project, decoy), 'decoy\n');
  }
  const out = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], project, 60_000);
  const [pack] = JSON.parse(out.slice(out.indexOf('[')));
  const files: string[] = pack.files.map((f: { path: string }) => f.path);
  expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'API.md', '.jsii', 'build/index.js', 'build/index.d.ts', 'assets/cli/mlops.js']));
  expect(files.filter((f) => /^assets\/lambda\/[^/]+\/index\.js$/.test(f)).length).toBeGreaterThan(0);
  const unwanted = files.filter((f) => /^(test|lib|lambda|cli|bin|examples|bench|scripts|reports|docs|rosetta|coverage|\.scratch|\.ci)\//.test(f)
    || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) || /\.test\./.test(f) || /\.map$/.test(f));
  expect(unwanted).toEqual([]);
  // The size a user downloads (reported to the issue): well under a few MB.
  expect(pack.size).toBeLessThan(3 * 1024 * 1024);
});

test('a compiled file without its source in lib/ stops the packaging, naming the file and the fix', () => {
  writeFileSync(path.join(project, 'build', 'renamed-module.js'), 'exports.x = 1;\n');
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'package.mjs'), '--project', project, '--outdir', path.join(project, 'dist-stale')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('build/ holds 1 compiled file(s) without a source in lib/ (build/renamed-module.js): rebuild with `rm -rf build && npm run build` before packaging.');
    expect(existsSync(path.join(project, 'dist-stale'))).toBe(false);
  } finally {
    rmSync(path.join(project, 'build', 'renamed-module.js'));
  }
});
