/**
 * Each bundled Lambda handler (assets/lambda/<name>/index.js, scripts/bundle-handlers.mjs): its
 * size, and its module init (require, with the clients it constructs at module scope) in a fresh
 * node process, against an empty handler in the same round.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { envRounds, machine, median, ROOT, table, writeResult } from './lib/measure';

const PROBE = path.join(__dirname, 'lib', 'init-probe.js');
const EMPTY = path.join(__dirname, 'fixtures', 'empty-handler.js');
const S3_ONLY = path.join(__dirname, 'fixtures', 's3-client-handler.js');
const S3_ONLY_IMPORT = path.join(__dirname, 'fixtures', 's3-client-handler.ts');

function initMs(file: string): { initMs: number; processMs: number } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [PROBE, file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const processMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`init of ${file} failed:\n${result.stderr}`);
  return { initMs: Number(result.stdout.trim()), processMs };
}

export function benchHandlers(): void {
  const count = envRounds(15);
  const dir = path.join(ROOT, 'assets', 'lambda');
  const handlers = fs.readdirSync(dir).filter((name) => fs.existsSync(path.join(dir, name, 'index.js'))).sort();
  // What the handlers share, two ways: the S3 client bundled as the handlers are, and required from
  // node_modules as the copy the Lambda runtime ships would be.
  const bundled = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-bundle-'));
  bundleAsHandler(S3_ONLY_IMPORT, path.join(bundled, 's3.js'));
  const subjects: Array<[string, string]> = [
    ['empty handler (floor)', EMPTY],
    ['S3 client only, the runtime\'s SDK', S3_ONLY],
    ['S3 client only, bundled', path.join(bundled, 's3.js')],
    ...handlers.map((name) => [name, path.join(dir, name, 'index.js')] as [string, string]),
  ];
  const init = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
  const whole = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
  for (let round = 0; round < count; round++) {
    for (let i = 0; i < subjects.length; i++) {
      const [name, file] = subjects[(i + round) % subjects.length];
      const m = initMs(file);
      init.get(name)!.push(m.initMs);
      whole.get(name)!.push(m.processMs);
    }
    process.stderr.write(`handlers round ${round + 1}/${count}\n`);
  }
  const floor = init.get('empty handler (floor)')!;
  const floorProcess = whole.get('empty handler (floor)')!;
  const rows = subjects.map(([name, file]) => {
    const bytes = fs.readFileSync(file);
    const own = init.get(name)!;
    const proc = whole.get(name)!;
    const over = median(own.map((v, i) => v - floor[i]));
    const processRatio = median(proc.map((v, i) => v / floorProcess[i]));
    return [name, `${(bytes.length / 1024).toFixed(1)} KB`, `${(gzipSync(bytes).length / 1024).toFixed(1)} KB`,
      `${median(own).toFixed(1)} ms`, `+${over.toFixed(1)} ms`, `${median(proc).toFixed(0)} ms`, `${processRatio.toFixed(2)}x`,
      handlers.includes(name) ? (over <= 30 ? 'yes' : 'no') : ''];
  });
  fs.rmSync(bundled, { recursive: true, force: true });
  writeResult('handlers', `## Lambda handlers: bundle size and module init

\`npm run bench:handlers\`: each handler bundled by scripts/bundle-handlers.mjs with the options of scripts/handler-bundle.mjs (the AWS SDK's ES modules bundled in and tree-shaken, @aws-sdk/client-s3 ${sdkVersion()}; the credential providers Lambda never reaches left out); "the runtime's SDK" requires the same client from node_modules, as a handler that leaves the SDK to the Lambda runtime would. Init is \`require(handler)\` timed inside a fresh node process (module scope, with the S3 client each handler constructs there), medians of ${count} paired rounds; "over floor" is the median of the per-round differences to an empty handler; "process" is the whole node process, start to exit, and its ratio to the empty handler's. Target: init under +30 ms over an empty module. ${machine()}.

${table(['handler', 'bundle', 'gzip', 'init', 'over floor', 'process', 'process ratio', 'under +30 ms'], rows)}
`);
}

/** Bundles `entry` with exactly the options the handlers are bundled with (an ES module, so through node). */
function bundleAsHandler(entry: string, outfile: string): void {
  const script = [
    "import { build } from 'esbuild';",
    "import { handlerBuildOptions } from './scripts/handler-bundle.mjs';",
    "await build(handlerBuildOptions(process.argv[1], process.argv[2], './tsconfig.dev.json'));",
  ].join('\n');
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, entry, outfile], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bundling ${entry} failed:\n${result.stderr}`);
}

function sdkVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@aws-sdk', 'client-s3', 'package.json'), 'utf8')).version;
}

if (require.main === module) benchHandlers();
