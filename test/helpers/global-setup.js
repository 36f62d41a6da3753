// Handlers are bundled at `npm ci` (prepare); bundle again so tests never see a stale asset.
// Then every temporary file of the run goes under one root that globalTeardown deletes.
// When the run includes the jsii gate or the packaging test, jsii starts compiling the library in
// the background now, so that its ~20 s overlap the first test files (startJsiiCompile below).
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { createRoot } = require('./temp-root');

const ROOT = path.join(__dirname, '..', '..');
const NEEDS_JSII = ['quality-gates-jsii.test.ts', 'package.test.ts'].map((file) => path.join(__dirname, '..', file));
/** What jsii, jsii-rosetta, jsii-docgen and the packaging read from the project (jsii compiles lib/ only). */
const PROJECT_FILES = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'API.md', 'lib', 'assets', 'rosetta'];
/** Runs jsii in the copy and writes its status and output to result.json, renamed into place when complete. */
const COMPILER = `
const { spawnSync } = require('child_process');
const fs = require('fs');
const [jsii, dir, result] = process.argv.slice(1);
const r = spawnSync(process.execPath, [jsii, '--fail-on-warnings'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 240000 });
const output = (r.error ? r.error.message + '\\n' : '') + r.stdout + '\\n' + r.stderr;
fs.writeFileSync(result + '.tmp', JSON.stringify({ status: r.status, output }));
fs.renameSync(result + '.tmp', result);
`;

/** Where the run's compile lives: the copy (project/), the lock folder with the compiler's pid, result.json. */
function jsiiPaths(tmp) {
  const base = path.join(tmp, 'cdk-mlops-jsii');
  return { base, dir: path.join(base, 'project'), lock: path.join(base, 'lock'), pid: path.join(base, 'lock', 'pid'), result: path.join(base, 'result.json') };
}

/**
 * Starts `jsii --fail-on-warnings` (as `npm run compile`) on a copy of the project under `tmp`, in
 * its own process group, unless this run already started it (the lock folder decides, across jest
 * workers too). test/helpers/gates.ts waits for its result; globalTeardown stops it if it still runs.
 */
function startJsiiCompile(tmp) {
  const paths = jsiiPaths(tmp);
  fs.mkdirSync(paths.base, { recursive: true });
  try {
    fs.mkdirSync(paths.lock);
  } catch (error) {
    if (error.code === 'EEXIST') return paths;
    throw error;
  }
  try {
    fs.mkdirSync(paths.dir);
    for (const entry of PROJECT_FILES) fs.cpSync(path.join(ROOT, entry), path.join(paths.dir, entry), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(paths.dir, 'node_modules'));
    const jsii = require.resolve('jsii/bin/jsii', { paths: [ROOT] });
    const child = spawn(process.execPath, ['-e', COMPILER, jsii, paths.dir, paths.result], {
      detached: true, stdio: 'ignore', env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
    });
    fs.writeFileSync(paths.pid, String(child.pid));
    child.unref();
  } catch (error) {
    fs.writeFileSync(paths.result, JSON.stringify({ status: null, output: `could not start jsii on a copy of the project in ${paths.dir}: ${error.stack}` }));
  }
  return paths;
}

/** Kills the compiler and jsii (its process group) if they still run. */
function stopJsiiCompile(tmp) {
  const paths = jsiiPaths(tmp);
  if (!fs.existsSync(paths.pid) || fs.existsSync(paths.result)) return;
  try {
    process.kill(-Number(fs.readFileSync(paths.pid, 'utf8')), 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Whether this run may include a file that needs the assembly (its roots and path patterns; a narrower -t still compiles). */
function mayNeedJsii(globalConfig, projectConfig) {
  const patterns = globalConfig?.testPathPatterns?.toExecutor?.({ rootDir: globalConfig.rootDir });
  const roots = projectConfig?.roots ?? [ROOT];
  return NEEDS_JSII.some((file) => roots.some((root) => file.startsWith(`${root}${path.sep}`)) && (!patterns || patterns.isMatch(file)));
}

function globalSetup(globalConfig, projectConfig) {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handlers.mjs')], { stdio: 'inherit' });
  const root = createRoot();
  if (mayNeedJsii(globalConfig, projectConfig)) startJsiiCompile(root);
}

module.exports = globalSetup;
module.exports.jsiiPaths = jsiiPaths;
module.exports.mayNeedJsii = mayNeedJsii;
module.exports.startJsiiCompile = startJsiiCompile;
module.exports.stopJsiiCompile = stopJsiiCompile;
