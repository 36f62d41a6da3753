// `npm run package`: the npm tarball and the packages of the other jsii languages, from the
// compiled assembly (.jsii; `npm run build` first). Offline here, so:
//   js      jsii-pacmak's npm pack                        -> <outdir>/js/cdk-mlops@<v>.jsii.tgz
//   python  pacmak --code-only, then a wheel from the locally installed build/setuptools
//           (pacmak's own build pins setuptools and build from PyPI)  -> <outdir>/python/*.whl
//   java    generated code; built only where Maven resolves its plugins and the jsii runtime
//           (`mvn --offline package`), else the code is the artifact  -> <outdir>/java
//   dotnet  generated code; built only where the dotnet SDK is installed -> <outdir>/dotnet
//   go      generated code (pacmak's go build runs `go mod tidy` on the network) -> <outdir>/go
// <outdir>/PACKAGES.md says what was built and what is code only, and why.
//   node scripts/package.mjs [--project <dir>] [--outdir <dir>]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? resolve(args[args.indexOf(name) + 1]) : fallback);
const project = flag('--project', resolve(new URL('..', import.meta.url).pathname));
const outdir = flag('--outdir', join(project, 'dist'));
const pacmak = createRequire(join(project, 'package.json')).resolve('jsii-pacmak/bin/jsii-pacmak');

if (!existsSync(join(project, '.jsii'))) {
  console.error(`no .jsii in ${project}: compile the assembly first (npm run build, or npm run compile)`);
  process.exit(1);
}

// Compiled files whose source is gone (a renamed module) would ship in the tarball: refuse them.
function staleCompiled(dir = join(project, 'build'), rel = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return staleCompiled(join(dir, entry.name), path);
    const source = path.replace(/\.d\.ts$|\.js$/, '.ts');
    return /\.(js|d\.ts)$/.test(path) && !existsSync(join(project, 'lib', source)) ? [`build/${path}`] : [];
  });
}
const stale = staleCompiled();
if (stale.length) {
  console.error(`build/ holds ${stale.length} compiled file(s) without a source in lib/ (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}): `
    + 'rebuild with `rm -rf build && npm run build` before packaging.');
  process.exit(1);
}

function sh(command, argv, options = {}) {
  const r = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' }, ...options });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}
const has = (command) => sh('sh', ['-c', `command -v ${command}`]).ok;
/** The first error line of a tool's output, without colour codes. */
const firstError = (text) => {
  const lines = text.replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.replace(/^#STDOUT> /, '').trim());
  const line = lines.find((l) => /ERROR|error/.test(l) && /resolv|Could not|Unable|not found/i.test(l)) ?? lines.filter(Boolean).pop() ?? '';
  return line.replace(/\s*\(?https?:\/\/\S+/g, '').slice(0, 240);
};
const report = [];

rmSync(outdir, { recursive: true, force: true });
const src = join(outdir, '.src');

// js: the tarball npm publishes (pacmak runs npm pack).
const js = sh(process.execPath, [pacmak, '--targets', 'js', '--outdir', outdir, '--no-npmignore'], { cwd: project });
if (!js.ok) { console.error(js.output); process.exit(1); }
report.push(['js', 'built', readdirSync(join(outdir, 'js')).map((f) => `js/${f}`).join(', ')]);

// Code of the other languages, each in <outdir>/.src/<language>.
const code = sh(process.execPath, [pacmak, '--code-only', '--targets', 'python', 'java', 'dotnet', 'go', '--outdir', src, '--no-npmignore'], { cwd: project });
if (!code.ok) { console.error(code.output); process.exit(1); }

// python: a wheel with what this machine has.
mkdirSync(join(outdir, 'python'), { recursive: true });
const python = process.env.PYTHON ?? 'python3';
const wheel = sh(python, ['-c', 'import build'], { cwd: outdir }).ok
  ? sh(python, ['-m', 'build', '--wheel', '--no-isolation', '--skip-dependency-check', '--outdir', join(outdir, 'python'), '.'], { cwd: join(src, 'python') })
  : sh(python, ['-m', 'pip', 'wheel', '--no-build-isolation', '--no-deps', '--wheel-dir', join(outdir, 'python'), '.'], { cwd: join(src, 'python') });
if (!wheel.ok) { console.error(`the Python wheel did not build:\n${wheel.output}`); process.exit(1); }
report.push(['python', 'built', readdirSync(join(outdir, 'python')).filter((f) => f.endsWith('.whl')).map((f) => `python/${f}`).join(', ')]);

// java, dotnet, go: build where the toolchain works offline, else ship the code with the reason.
function codeOnly(language, why) {
  cpSync(join(src, language), join(outdir, language), { recursive: true });
  report.push([language, 'code only', why]);
}
if (has('mvn')) {
  const mvn = sh('mvn', ['--offline', '--batch-mode', '--quiet', 'package', '-DskipTests'], { cwd: join(src, 'java'), timeout: 180_000 });
  if (mvn.ok) {
    cpSync(join(src, 'java', 'target'), join(outdir, 'java'), { recursive: true });
    report.push(['java', 'built', 'java/*.jar']);
  } else {
    codeOnly('java', `Maven is installed but cannot resolve the jsii runtime and aws-cdk-lib offline: ${firstError(mvn.output)}`);
  }
} else {
  codeOnly('java', 'no Maven on this machine');
}
if (has('dotnet')) {
  const dotnet = sh('dotnet', ['pack', '-c', 'Release', '-o', join(outdir, 'dotnet')], { cwd: join(src, 'dotnet'), timeout: 180_000 });
  if (dotnet.ok) report.push(['dotnet', 'built', 'dotnet/*.nupkg']);
  else codeOnly('dotnet', `the dotnet SDK cannot restore the packages offline: ${firstError(dotnet.output)}`);
} else {
  codeOnly('dotnet', 'no dotnet SDK on this machine');
}
codeOnly('go', has('go') ? 'Go modules are published as source; `go mod tidy` needs the network' : 'no Go toolchain on this machine; Go modules are published as source');

rmSync(src, { recursive: true, force: true });
const table = ['| language | result | artifacts / why |', '| --- | --- | --- |', ...report.map((r) => `| ${r.join(' | ')} |`)].join('\n');
writeFileSync(join(outdir, 'PACKAGES.md'), `# Packages of ${project}\n\n${table}\n`);
const size = (f) => `${(statSync(f).size / 1024).toFixed(0)} KiB`;
console.log(table);
console.log(`npm tarball ${size(join(outdir, report[0][2]))}, wheel ${size(join(outdir, report[1][2]))}`);
