/**
 * Timing for the benchmarks: a command's wall time (process.hrtime), the CPU time summed over its
 * node processes and the peak resident memory of the largest of them (bench/lib/probe.js), and
 * paired rounds: every case runs once per round, in an order that rotates, so each ratio compares
 * runs made under the same load.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
const PROBE = path.join(__dirname, 'probe.js');

export interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  /** The same, for the app's process alone (not npx, the CDK CLI or tsx's launcher). */
  readonly appCpuMs: number;
  readonly appRssMb: number;
}

/** Launchers, told apart by their script: what remains of a synth is the app. */
const LAUNCHERS = /npm-cli|npx-cli|\/\.bin\/(cdk|tsx|jest)$|aws-cdk\/bin\/cdk|tsx\/dist\/cli/;

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs `command` through the shell; throws with its output when it fails. */
export function measure(command: string, options: RunOptions = {}): Sample {
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-probe-'));
  try {
    const start = process.hrtime.bigint();
    const result = spawnSync('bash', ['-c', command], {
      cwd: options.cwd ?? ROOT,
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 600_000,
      maxBuffer: 256 * 1024 * 1024,
      env: {
        ...process.env,
        ...options.env,
        BENCH_PROBE_DIR: probeDir,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PROBE}`.trim(),
      },
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) {
      throw new Error(`'${command}' failed (${result.status ?? result.signal}):\n${`${result.stdout}\n${result.stderr}`.slice(-4000)}`);
    }
    const records = fs.readdirSync(probeDir).map((f) => JSON.parse(fs.readFileSync(path.join(probeDir, f), 'utf8')));
    const apps = records.filter((r) => !LAUNCHERS.test(r.argv[0] ?? ''));
    return {
      wallMs,
      cpuMs: records.reduce((sum, r) => sum + r.cpuMs, 0),
      peakRssMb: Math.max(0, ...records.map((r) => r.maxRssKb)) / 1024,
      appCpuMs: apps.reduce((sum, r) => sum + r.cpuMs, 0),
      appRssMb: Math.max(0, ...apps.map((r) => r.maxRssKb)) / 1024,
    };
  } finally {
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Case {
  readonly name: string;
  readonly run: () => Sample;
}

/** Every case once per round, the order rotating by one each round; all samples per case. */
export function rounds(count: number, cases: Case[], log: (line: string) => void = () => {}): Map<string, Sample[]> {
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < count; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      const sample = c.run();
      samples.get(c.name)!.push(sample);
      log(`round ${round + 1}/${count} ${c.name}: ${sample.wallMs.toFixed(0)} ms wall, ${sample.cpuMs.toFixed(0)} ms CPU, ${sample.peakRssMb.toFixed(0)} MB (app ${sample.appCpuMs.toFixed(0)} ms CPU, ${sample.appRssMb.toFixed(0)} MB)`);
    }
  }
  return samples;
}

export interface Paired {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly appCpuMs: number;
  readonly appRssMb: number;
  /** Medians of the per-round ratios subject / baseline. */
  readonly wallRatio: number;
  readonly cpuRatio: number;
  readonly rssRatio: number;
  readonly appCpuRatio: number;
  readonly appRssRatio: number;
}

/** Medians of a case's samples, and of its per-round ratios to the baseline's samples of the same rounds. */
export function paired(subject: Sample[], baseline: Sample[]): Paired {
  const ratio = (key: keyof Sample) => median(subject.map((s, i) => s[key] / baseline[i][key]));
  return {
    wallMs: median(subject.map((s) => s.wallMs)),
    cpuMs: median(subject.map((s) => s.cpuMs)),
    peakRssMb: median(subject.map((s) => s.peakRssMb)),
    appCpuMs: median(subject.map((s) => s.appCpuMs)),
    appRssMb: median(subject.map((s) => s.appRssMb)),
    wallRatio: ratio('wallMs'),
    cpuRatio: ratio('cpuMs'),
    rssRatio: ratio('peakRssMb'),
    appCpuRatio: ratio('appCpuMs'),
    appRssRatio: ratio('appRssMb'),
  };
}

/** A markdown table. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export const ms = (v: number) => `${(v / 1000).toFixed(2)} s`;
export const x = (v: number) => `${v.toFixed(2)}x`;
export const mb = (v: number) => `${v.toFixed(0)} MB`;

/** Conditions of a run, for the head of each results fragment. */
export function machine(): string {
  const load = os.loadavg().map((l) => l.toFixed(1)).join(', ');
  return `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), node ${process.version}, load average at the end ${load}, ${new Date().toISOString().slice(0, 16)}Z`;
}

/** Writes bench/results/<name>.md and prints it. */
export function writeResult(name: string, markdown: string): void {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.md`), `${markdown.trim()}\n`);
  process.stdout.write(`\n${markdown.trim()}\n\n`);
}

export function envRounds(fallback: number): number {
  const value = Number(process.env.BENCH_ROUNDS ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_ROUNDS must be a whole number of at least 1, got '${process.env.BENCH_ROUNDS}'`);
  return value;
}
