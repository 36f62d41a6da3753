// Starts the quality gates (test/quality-gates*.test.ts, the slowest files) first, slowest first,
// so they overlap the unit tests in the other worker instead of running last and alone; the other
// files keep jest's own order (failed last time first, then by duration).
const Sequencer = require('@jest/test-sequencer').default;

const GATE = /[\\/]quality-gates[^\\/]*\.test\.ts$/;

class GatesFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => GATE.test(t.path)), ...sorted.filter((t) => !GATE.test(t.path))];
  }
}

module.exports = GatesFirst;
