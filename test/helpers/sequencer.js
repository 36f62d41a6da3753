// Starts the slowest files first: the quality gates (test/quality-gates*.test.ts) and the local
// end-to-end run (test/local-run.test.ts), so they overlap the unit tests in the other worker
// instead of running last and alone; the other files keep jest's own order (failed last time
// first, then by duration).
const Sequencer = require('@jest/test-sequencer').default;

const GATE = /[\\/](quality-gates[^\\/]*|local-run)\.test\.ts$/;

class GatesFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => GATE.test(t.path)), ...sorted.filter((t) => !GATE.test(t.path))];
  }
}

module.exports = GatesFirst;
