/**
 * Assembles bench/RESULTS.md from every fragment in bench/results/*.md (bench/results/drift.md
 * included when present), in a fixed order, then any others by name.
 */
import * as fs from 'fs';
import * as path from 'path';

const DIR = path.join(__dirname, 'results');
const ORDER = ['summary', 'synth', 'scale', 'handlers', 'drift', 'tests', 'temp-dirs'];

export function assembleReport(): string {
  const names = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)) : [];
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const body = names.map((n) => fs.readFileSync(path.join(DIR, `${n}.md`), 'utf8').trim()).join('\n\n');
  const out = path.join(__dirname, 'RESULTS.md');
  fs.writeFileSync(out, `# Benchmark results

Written by \`npm run bench\` (bench/report.ts) from the fragments in bench/results/; each section says how its figures were taken.

${body}
`);
  return out;
}

if (require.main === module) process.stdout.write(`wrote ${assembleReport()}\n`);
