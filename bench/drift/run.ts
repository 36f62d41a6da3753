/**
 * bench/drift: the detector core against a Python + numpy reference doing the same parse-and-bin
 * work, on a generated SageMaker data capture of DRIFT_BENCH_MB megabytes (default 1024) in the
 * temp dir (deleted afterwards). Prints rows per second for both, their ratio and peak memory,
 * and writes bench/results/drift.md (assembled into bench/RESULTS.md by bench/report.ts).
 *
 *   npm run bench:drift                  # 1 GB
 *   DRIFT_BENCH_MB=64 npm run bench:drift  # a quick run
 *
 * The detector runs as the bundled `mlops drift check` (assets/cli/mlops.js): the same
 * accumulator the Lambda handlers run, streaming files instead of S3 bodies. Each side runs as its
 * own process, one after the other, timed from outside; peak memory is the process's maximum
 * resident set size (/usr/bin/time).
 */
import { execFileSync, spawnSync } from 'child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import * as path from 'path';
import { seededRandom as random } from '../../test/helpers/random';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'assets', 'cli', 'mlops.js');
const TARGET_MB = Number(process.env.DRIFT_BENCH_MB ?? 1024);
const FILE_MB = 64;
const TRAIN_ROWS = 100_000;
const NUMERIC = 8;
const PLANS = ['basic', 'pro', 'team', 'enterprise', 'edu', 'trial'];
const REGIONS = ['eu', 'us', 'apac', 'latam'];

/** One input row: 8 numeric features of different shapes (1% missing) and 2 categoricals. */
export function row(rand: () => number, shift: number): string {
  const fields: string[] = [];
  for (let f = 0; f < NUMERIC; f++) {
    if (rand() < 0.01) { fields.push(''); continue; }
    const u = rand();
    const x = f % 3 === 0 ? 50 + 15 * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * rand()) + shift
      : f % 3 === 1 ? -Math.log(1 - u) * (100 + shift) : Math.floor(u * 1000) + shift;
    fields.push(x.toFixed(f % 3 === 2 ? 0 : 3));
  }
  fields.push(PLANS[Math.floor(rand() ** 1.5 * PLANS.length)], REGIONS[Math.floor(rand() * REGIONS.length)]);
  return fields.join(',');
}

export function header(): string {
  return [...Array.from({ length: NUMERIC }, (_, f) => `x${f}`), 'plan', 'region'].join(',');
}

/** Capture files of ~64 MB in hour folders: 80% single-row requests, 20% batches of 5, 0.1% truncated lines. */
export function generateCapture(dir: string, megabytes: number): { bytes: number; lines: number } {
  const rand = random(42);
  let bytes = 0;
  let lines = 0;
  let file = 0;
  const start = Date.parse('2026-12-01T00:00:00Z');
  while (bytes < megabytes * 1024 * 1024) {
    const hour = new Date(start + file * 3_600_000);
    const folder = path.join(dir, 'churn-prod', 'AllTraffic', hour.toISOString().slice(0, 13).replace(/[-T]/g, '/'));
    mkdirSync(folder, { recursive: true });
    const fd = openSync(path.join(folder, `capture-${file}.jsonl`), 'w');
    let fileBytes = 0;
    while (fileBytes < FILE_MB * 1024 * 1024 && bytes + fileBytes < megabytes * 1024 * 1024) {
      const chunk: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const batch = rand() < 0.2 ? 5 : 1;
        const data = Array.from({ length: batch }, () => row(rand, 5)).join('\n');
        const output = Array.from({ length: batch }, () => rand().toFixed(6)).join('\n');
        const time = new Date(hour.getTime() + Math.floor(rand() * 3_600_000)).toISOString();
        const line = JSON.stringify({
          captureData: {
            endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data, encoding: 'CSV' },
            endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: output, encoding: 'CSV' },
          },
          eventMetadata: { eventId: `${file}-${lines}-${i}`, inferenceTime: time },
          eventVersion: '0',
        });
        chunk.push(rand() < 0.001 ? line.slice(0, line.length >> 1) : line);
      }
      const text = chunk.join('\n') + '\n';
      writeSync(fd, text);
      fileBytes += Buffer.byteLength(text);
      lines += chunk.length;
    }
    closeSync(fd);
    bytes += fileBytes;
    file++;
  }
  return { bytes, lines };
}

interface Run { seconds: number; cpuSeconds: number | undefined; peakKb: number | undefined; stdout: string }

/** Runs a command, timed from outside, with its peak RSS from /usr/bin/time where there is one. */
function timed(command: string, args: string[]): Run {
  const hasTime = existsSync('/usr/bin/time');
  const rssFile = path.join(tmpdir(), `drift-bench-rss-${process.pid}`);
  const started = process.hrtime.bigint();
  const result = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, command, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  const measured = hasTime ? readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : undefined;
  if (hasTime) rmSync(rssFile, { force: true });
  return { seconds, cpuSeconds: measured && measured[1] + measured[2], peakKb: measured?.[0], stdout: result.stdout };
}

function main(): void {
  if (!Number.isFinite(TARGET_MB) || TARGET_MB <= 0) throw new Error(`DRIFT_BENCH_MB must be a positive number of megabytes, got ${process.env.DRIFT_BENCH_MB}`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handlers.mjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(path.join(tmpdir(), 'drift-bench-'));
  try {
    const rand = random(7);
    const train = [header(), ...Array.from({ length: TRAIN_ROWS }, () => row(rand, 0))];
    writeFileSync(path.join(dir, 'train.csv'), train.join('\n') + '\n');
    execFileSync(process.execPath, [CLI, 'drift', 'baseline', path.join(dir, 'train.csv'), '--out', path.join(dir, 'baseline.json')], { stdio: 'inherit' });
    const generating = Date.now();
    const capture = path.join(dir, 'capture');
    const { bytes, lines } = generateCapture(capture, TARGET_MB);
    console.log(`generated ${(bytes / 2 ** 20).toFixed(0)} MB of capture, ${lines} lines, in ${((Date.now() - generating) / 1000).toFixed(1)} s`);

    const detector = timed(process.execPath, [CLI, 'drift', 'check', path.join(dir, 'baseline.json'), capture, '--json']);
    const report = JSON.parse(detector.stdout);
    const python = timed('python3', [path.join(__dirname, 'reference.py'), path.join(dir, 'baseline.json'), capture]);
    const reference = JSON.parse(python.stdout);
    // Both did the same work: the same rows, and the same PSI of the first feature from their own bins.
    if (reference.rows !== report.rows) throw new Error(`rows differ: detector ${report.rows}, reference ${reference.rows}`);
    const psiGap = Math.abs(reference.firstPsi - report.features[0].psi);
    if (psiGap > 1e-9) throw new Error(`PSI of ${reference.firstFeature} differs by ${psiGap}`);

    const rate = (r: Run) => report.rows / r.seconds;
    const cpuRate = (r: Run) => (r.cpuSeconds ? report.rows / r.cpuSeconds : NaN);
    const ratio = rate(detector) / rate(python);
    const cpuRatio = cpuRate(detector) / cpuRate(python);
    const mb = (kb?: number) => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(0)} MB`);
    const rows = [
      ['', 'wall s', 'rows/s (wall)', 'MB/s (wall)', 'CPU s', 'rows/s (CPU)', 'peak RSS'],
      ...([['detector (node)', detector], ['python + numpy', python]] as const).map(([name, r]) => [
        name, r.seconds.toFixed(1), Math.round(rate(r)).toLocaleString('en-US'), (bytes / 2 ** 20 / r.seconds).toFixed(1),
        r.cpuSeconds?.toFixed(1) ?? 'n/a', Math.round(cpuRate(r)).toLocaleString('en-US'), mb(r.peakKb),
      ]),
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const table = rows.map((r) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    table.splice(1, 0, `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
    const rateOk = ratio >= 2;
    const memoryOk = detector.peakKb !== undefined && detector.peakKb < 256 * 1024;
    const summary = [
      `capture: ${(bytes / 2 ** 20).toFixed(0)} MB, ${lines.toLocaleString('en-US')} lines, ${report.rows.toLocaleString('en-US')} rows `
        + `(${NUMERIC} numeric + 2 categorical features, 20% batch requests of 5 rows, 0.1% truncated lines: ${report.malformed.truncatedJson} counted by both)`,
      `ratio: ${ratio.toFixed(2)}x the reference's rows/s on wall time, ${cpuRatio.toFixed(2)}x on CPU time `
        + `(target >= 2x: ${rateOk ? 'met' : 'NOT met'} on wall time, the one-process-at-a-time measure; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores at the end); `
        + `detector peak memory ${mb(detector.peakKb)} (target < 256 MB: ${memoryOk ? 'met' : 'NOT met'})`,
      `cross-check: same rows; PSI of ${reference.firstFeature} from each side's own bins agrees to ${psiGap.toExponential(1)}`,
    ];
    console.log(['', ...table, '', ...summary].join('\n'));
    writeResults(table, summary, TARGET_MB);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the drift fragment bench/results/drift.md and assembles bench/RESULTS.md from all
 * fragments with bench/report.ts (the shared report of every benchmark).
 */
function writeResults(table: string[], summary: string[], megabytes: number): void {
  const cpu = cpus();
  const fragment = [
    '## Drift detector',
    '',
    `\`npm run bench:drift\` (DRIFT_BENCH_MB=${megabytes}): the bundled \`mlops drift check\` (the detector core the Lambda handlers run) and`,
    'bench/drift/reference.py (Python + numpy) stream the same generated SageMaker capture, one after the other: decode each JSON',
    'line, split CSV batches, parse numbers, bin them on the baseline\'s fine edges (numpy.searchsorted per 100k rows on the',
    'Python side) and count categories. Wall and CPU time of each process from outside, peak memory its maximum resident set',
    `(/usr/bin/time). On a machine shared with other work CPU time is the steadier figure. ${cpu.length} CPUs (${cpu[0]?.model.trim()}),`,
    `node ${process.version}, load average at the end ${loadavg().map((l) => l.toFixed(1)).join(', ')}, ${new Date().toISOString().slice(0, 16)}Z.`,
    '',
    ...table,
    '',
    ...summary.map((line) => `- ${line}`),
  ].join('\n');
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'drift.md'), fragment + '\n');
  const report = path.join(ROOT, 'bench', 'report.ts');
  if (existsSync(report)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { assembleReport } = require(report) as { assembleReport: () => string };
    console.log(`wrote ${assembleReport()}`);
  }
}

if (require.main === module) main();
