/**
 * `npm test` wall time, and each test file's own time from jest's --json report (the time its
 * worker spent on it; two workers run files side by side, so the files' times sum to about twice
 * the wall time); and `npm run build`, run in a copy of the repository's tracked files in the temp
 * dir (it rewrites API.md and .jsii), with node_modules linked.
 *
 *   npm run bench:tests                                  # the whole suite, once
 *   BENCH_TEST_FILES="test/a.test.ts test/b.test.ts" npm run bench:tests
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { machine, ms, ROOT, table, writeResult } from './lib/measure';

/** Files over this many seconds miss the issue's target. */
const FILE_TARGET_S = 20;

interface FileResult {
  readonly name: string;
  readonly runtimeMs: number;
  readonly status: string;
  readonly tests: number;
  /** The file's slowest tests, `name (seconds)`. */
  readonly slowest: string;
}

/**
 * CPU seconds (user + system) of this process's finished children and theirs, from /proc/self/stat
 * (cutime, cstime): what a run cost, whatever else loads the machine. Undefined off Linux.
 */
function childrenCpuSeconds(): number | undefined {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // After the command: state is field 3, cutime and cstime are fields 16 and 17.
    return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / ticks;
  } catch {
    return undefined;
  }
}

function runJest(files: string[], options: string[] = []): { wallMs: number; cpuS?: number; files: FileResult[]; passed: number; failed: number } {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-jest-')), 'report.json');
  const cpuBefore = childrenCpuSeconds();
  const start = process.hrtime.bigint();
  const result = spawnSync('npx', ['jest', '--json', `--outputFile=${report}`, ...options, ...files], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuAfter = childrenCpuSeconds();
  const cpuS = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  if (!fs.existsSync(report)) throw new Error(`jest wrote no report (${result.status}):\n${result.stderr.slice(-4000)}`);
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  fs.rmSync(path.dirname(report), { recursive: true, force: true });
  return {
    wallMs,
    cpuS,
    passed: json.numPassedTests,
    failed: json.numFailedTests,
    files: json.testResults.map((r: { name: string; status: string; startTime: number; endTime: number; assertionResults: Array<{ title: string; duration?: number }> }) => ({
      name: path.relative(ROOT, r.name),
      runtimeMs: r.endTime - r.startTime,
      status: r.status,
      tests: r.assertionResults.length,
      slowest: [...r.assertionResults].sort((a, b) => (b.duration ?? 0) - (a.duration ?? 0)).slice(0, 3)
        .map((a) => `${a.title.slice(0, 60)} (${((a.duration ?? 0) / 1000).toFixed(1)} s)`).join('; '),
    })).sort((a: FileResult, b: FileResult) => b.runtimeMs - a.runtimeMs),
  };
}

/** The files git would commit, or outside a git checkout every file but the ignored outputs. */
function sourceFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0').filter(Boolean);
  } catch {
    const skip = new Set(['node_modules', 'build', 'dist', 'assets', 'cdk.out', '.jsii', 'tsconfig.json', '.git']);
    const walk = (dir: string): string[] => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })
      .filter((e) => !skip.has(e.name))
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    return walk('');
  }
}

function timeBuild(): number {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-build-'));
  try {
    for (const file of sourceFiles()) {
      if (!fs.existsSync(path.join(ROOT, file))) continue;
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const start = process.hrtime.bigint();
    const result = spawnSync('npm', ['run', 'build'], { cwd: copy, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`npm run build failed in the copy:\n${`${result.stdout}\n${result.stderr}`.slice(-4000)}`);
    return wallMs;
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

export function benchTests(): void {
  const files = (process.env.BENCH_TEST_FILES ?? '').split(/\s+/).filter(Boolean);
  const buildMs = process.env.BENCH_SKIP_BUILD === '1' ? undefined : timeBuild();
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(', ');
  const run = runJest(files);
  const slow = run.files.filter((f) => f.runtimeMs > FILE_TARGET_S * 1000);
  // In the suite a file's time includes waiting for the CPU the other worker holds: each slow file
  // again, alone (--runInBand), for its own time and CPU.
  const alone = slow.map((f) => {
    const single = runJest([f.name], ['--runInBand', '--runTestsByPath']);
    return { name: f.name, suiteMs: f.runtimeMs, aloneMs: single.files[0]?.runtimeMs ?? single.wallMs, cpuS: single.cpuS, status: single.files[0]?.status ?? 'no report' };
  });
  const slowAlone = alone.filter((a) => a.aloneMs > FILE_TARGET_S * 1000);
  const rows = run.files.map((f) => [f.name, f.tests, f.status, ms(f.runtimeMs), f.runtimeMs > FILE_TARGET_S * 1000 ? `over ${FILE_TARGET_S} s` : '', f.slowest.replace(/\|/g, '/')]);
  writeResult('tests', `## Tests and build

\`npm run bench:tests\`: \`npx jest${files.length ? ` ${files.join(' ')}` : ''}\` (jest.config.js: ${os.cpus().length} CPUs, two workers), one run, ${machine()}; load average at the start ${loadAtStart}.

- jest wall time: **${ms(run.wallMs)}** (${run.passed} passed, ${run.failed} failed, ${run.files.length} files)
${run.cpuS === undefined ? '' : `- CPU time of jest and every process it started (user + system): **${run.cpuS.toFixed(1)} s**, i.e. ${(run.cpuS / os.cpus().length).toFixed(1)} s of wall on ${os.cpus().length} idle cores at best (other load on the machine stretches the wall time, not this)\n`}- files over ${FILE_TARGET_S} s: ${slow.length ? slow.map((f) => `${f.name} (${ms(f.runtimeMs)})`).join(', ') : 'none'}
${buildMs === undefined ? '' : `- \`npm run build\` (bundle, jsii, rosetta, docgen) in a copy of the working tree: **${ms(buildMs)}**\n`}
Each file's time is from its start to its end in its worker, so it includes waiting for the CPU that the other worker (and anything else on the machine) holds.
${alone.length ? `
The files over ${FILE_TARGET_S} s in the suite, each run again alone (\`npx jest --runInBand <file>\`, one after another): its time from start to end, and the CPU of the whole jest process and what it started. Over ${FILE_TARGET_S} s alone: ${slowAlone.length ? slowAlone.map((a) => `${a.name} (${ms(a.aloneMs)})`).join(', ') : 'none'}.

${table(['test file', 'in the suite', 'alone', 'CPU alone', 'status'], alone.map((a) => [a.name, ms(a.suiteMs), ms(a.aloneMs), a.cpuS === undefined ? '' : `${a.cpuS.toFixed(1)} s`, a.status]))}
` : ''}
${table(['test file', 'tests', 'status', 'time', 'target', 'slowest tests'], rows)}
`);
}

if (require.main === module) benchTests();
