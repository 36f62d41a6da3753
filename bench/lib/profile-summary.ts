/**
 * Where a synth's CPU goes, from a `node --cpu-prof` profile of the app: every sample is put in the
 * first category (in the order of CATEGORIES) that some frame of its stack belongs to, so CDK work
 * our constructs call counts as "our constructs", and a require counts as module loading whoever
 * makes it: aws-cdk-lib loads most modules on first use, and whichever of cdk-nag or our constructs
 * comes first would otherwise be charged with loading what both use (cdk-nag, in an app that has
 * no constructs of its own). Then the files with the most self time.
 *
 *   npx cdk synth --app "node --cpu-prof --cpu-prof-dir=/tmp/prof -r ./test/helpers/swc-register.js bin/app.ts" --quiet
 *   npx tsx bench/lib/profile-summary.ts /tmp/prof/<file>.cpuprofile [baseline.cpuprofile]
 */
import * as fs from 'fs';
import * as path from 'path';

interface CallFrame { readonly functionName: string; readonly url: string }
interface ProfileNode { readonly id: number; readonly callFrame: CallFrame; readonly children?: number[] }
interface Profile { readonly nodes: ProfileNode[]; readonly samples: number[]; readonly timeDeltas: number[] }

const ROOT = path.resolve(__dirname, '..', '..');

/** A frame's file, relative to the repository (node_modules/<package>/... kept). */
function fileOf(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  return url.startsWith(ROOT) ? path.relative(ROOT, url) : url;
}

type Matcher = (file: string, frame: CallFrame) => boolean;

/** In order: the first that matches a frame of the stack (leaf to root) wins. */
const CATEGORIES: Array<[string, Matcher]> = [
  ['validator (CDK built-in, WASM)', (f) => f.startsWith('wasm://') || f.includes('cloudformation-validate')],
  ['swc transpile (register hook)', (f) => f.includes('@swc/core')],
  // aws-cdk-lib requires most of its modules lazily, on first use: those count here too.
  ['module loading (require)', (f, c) => f === 'node:internal/modules/helpers' && c.functionName === 'require'],
  ['cdk-nag (its rules)', (f) => f.includes('node_modules/cdk-nag/')],
  ['asset staging and hashing', (f) => /aws-cdk-lib\/core\/lib\/(asset-staging|fs\/)/.test(f)],
  ['our constructs (lib/, bin/, bench/fixtures)', (f) => /^(lib|bin|bench\/fixtures)\//.test(f)],
  ['CDK synthesis (app.synth)', (f) => f.includes('aws-cdk-lib/core/lib/private/synthesis')],
  ['module loading (other)', (f) => f.startsWith('node:internal/modules')],
];

export interface Summary {
  readonly totalMs: number;
  readonly categories: Map<string, number>;
  readonly files: Map<string, number>;
}

export function summarize(profile: Profile): Summary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const categories = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    total += us;
    const leaf = nodes.get(id)!;
    const leafFile = fileOf(leaf.callFrame) || `(${leaf.callFrame.functionName})`;
    files.set(leafFile, (files.get(leafFile) ?? 0) + us / 1000);
    let category = 'other (node, GC, idle)';
    for (const [name, matches] of CATEGORIES) {
      let cursor: number | undefined = id;
      let found = false;
      while (cursor !== undefined && !found) {
        const frame = nodes.get(cursor)!.callFrame;
        found = matches(fileOf(frame), frame);
        cursor = parent.get(cursor);
      }
      if (found) { category = name; break; }
    }
    categories.set(category, (categories.get(category) ?? 0) + us / 1000);
  }
  return { totalMs: total / 1000, categories, files };
}

function read(file: string): Summary {
  return summarize(JSON.parse(fs.readFileSync(file, 'utf8')));
}

function print(subject: Summary, baseline?: Summary): void {
  const row = (name: string, value: number, base?: number) =>
    `${value.toFixed(0).padStart(7)} ms${base === undefined ? '' : `${(value - base).toFixed(0).padStart(7)} ms over baseline`}  ${name}`;
  process.stdout.write(`${row('total', subject.totalMs, baseline?.totalMs)}\n\nby category (stack-inclusive, first match):\n`);
  const names = new Set([...subject.categories.keys(), ...(baseline?.categories.keys() ?? [])]);
  for (const name of [...names].sort((a, b) => (subject.categories.get(b) ?? 0) - (subject.categories.get(a) ?? 0))) {
    process.stdout.write(`${row(name, subject.categories.get(name) ?? 0, baseline ? baseline.categories.get(name) ?? 0 : undefined)}\n`);
  }
  process.stdout.write('\nfiles with the most self time:\n');
  for (const [file, msSelf] of [...subject.files].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    process.stdout.write(`${row(file, msSelf, baseline ? baseline.files.get(file) ?? 0 : undefined)}\n`);
  }
}

if (require.main === module) {
  const [subject, baseline] = process.argv.slice(2);
  if (!subject) throw new Error('usage: profile-summary.ts <profile.cpuprofile> [baseline.cpuprofile]');
  print(read(subject), baseline ? read(baseline) : undefined);
}
