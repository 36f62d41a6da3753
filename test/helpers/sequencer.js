// Starts the slowest files first: the quality gates (test/quality-gates*.test.ts) and the local
// end-to-end run (test/local-run.test.ts) and the 100-model fleet (test/model-fleet-scale.test.ts), so they overlap the unit tests in the other worker
// instead of running last and alone; the other files keep jest's own order (failed last time
// first, then by duration). The two files that read the jsii assembly (the jsii gate and
// test/package.test.ts) come right after the other gates: globalSetup compiles it in the
// background meanwhile (test/helpers/global-setup.js), so they find it done instead of waiting.
const Sequencer = require('@jest/test-sequencer').default;

const GATE = /[\\/](quality-gates[^\\/]*|local-run|model-fleet-scale)\.test\.ts$/;
const READS_ASSEMBLY = /[\\/](quality-gates-jsii|package)\.test\.ts$/;

class GatesFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const rank = (t) => (READS_ASSEMBLY.test(t.path) ? 1 : GATE.test(t.path) ? 0 : 2);
    return [0, 1, 2].flatMap((r) => sorted.filter((t) => rank(t) === r));
  }
}

module.exports = GatesFirst;
