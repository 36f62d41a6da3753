/**
 * Assembles bench/RESULTS.md from every fragment in bench/results/*.md (bench/results/drift.md
 * included when present), in a fixed order, then any others by name. Without a drift fragment,
 * the drift section that bench/drift/run.ts writes into RESULTS.md (between its markers) is kept.
 */
import * as fs from 'fs';
import * as path from 'path';

const DIR = path.join(__dirname, 'results');
const ORDER = ['summary', 'synth', 'scale', 'handlers', 'drift', 'tests', 'temp-dirs'];
const DRIFT_START = '<!-- drift:start -->';
const DRIFT_END = '<!-- drift:end -->';

/** The drift section bench/drift/run.ts wrote into `file`, markers included, if any. */
function driftSection(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(DRIFT_START);
  const end = text.indexOf(DRIFT_END);
  return start >= 0 && end > start ? text.slice(start, end + DRIFT_END.length) : undefined;
}

export function assembleReport(): string {
  const out = path.join(__dirname, 'RESULTS.md');
  const fragments = new Map<string, string>();
  for (const f of fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((name) => name.endsWith('.md')) : []) {
    fragments.set(f.slice(0, -3), fs.readFileSync(path.join(DIR, f), 'utf8').trim());
  }
  const drift = driftSection(out);
  if (!fragments.has('drift') && drift) fragments.set('drift', drift);
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  const names = [...fragments.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const body = names.map((n) => fragments.get(n)).join('\n\n');
  fs.writeFileSync(out, `# Benchmark results

Written by \`npm run bench\` (bench/report.ts) from the fragments in bench/results/; each section says how its figures were taken.

${body}
`);
  return out;
}

if (require.main === module) process.stdout.write(`wrote ${assembleReport()}\n`);
