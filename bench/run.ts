/**
 * `npm run bench [-- synth scale handlers tests]`: runs the named benchmarks (all of them by
 * default, bench/drift has its own script), each writing bench/results/<name>.md and printing its
 * table, then assembles bench/RESULTS.md (bench/report.ts). BENCH_ROUNDS sets the rounds.
 */
import { benchHandlers } from './handlers';
import { assembleReport } from './report';
import { benchScale } from './scale';
import { benchSynth } from './synth';
import { benchTests } from './tests';

const BENCHES: Record<string, () => void> = { synth: benchSynth, scale: benchScale, handlers: benchHandlers, tests: benchTests };

const names = process.argv.slice(2);
const unknown = names.filter((n) => !BENCHES[n]);
if (unknown.length) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}: choose from ${Object.keys(BENCHES).join(', ')}`);
for (const name of names.length ? names : Object.keys(BENCHES)) BENCHES[name]();
assembleReport();
