import { goneWithin, runParent } from '../helpers/processes';

describe('the local run\'s child processes', () => {
  test('end with the run, however it exits: they are in their own process groups, which Ctrl-C does not reach', () => {
    // GIVEN a process that started a long command through runProcess, then exits at once (a second Ctrl-C)
    const run = runParent([
      "const { runProcess, children } = require('./local/python');",
      "void runProcess('sleep', ['60']);",
      'setTimeout(() => { process.stdout.write(String([...children][0])); process.exit(130); }, 300);',
    ]);
    expect(run.status).toBe(130);
    expect(run.childPid).toBeGreaterThan(0);
    // THEN the command it started is gone too (SIGKILL is immediate; allow the kernel a moment to reap)
    expect(goneWithin(run.childPid, 5_000)).toBe(true);
  });
});
