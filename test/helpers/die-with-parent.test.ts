import { goneWithin, runParent } from './processes';

test('a child spawned to die with its parent ends when the parent is killed with SIGKILL (no exit hook runs)', () => {
  // GIVEN a process that started a long command, in a process group of its own as runCdk does, then was SIGKILLed
  const run = runParent([
    "const { spawnDyingWithParent } = require('./test/helpers/die-with-parent');",
    "const child = spawnDyingWithParent('sleep', ['60'], { stdio: 'ignore', detached: true });",
    'setTimeout(() => { process.stdout.write(String(child.pid)); process.kill(process.pid, \'SIGKILL\'); }, 500);',
  ]);
  expect(run.signal).toBe('SIGKILL');
  expect(run.childPid).toBeGreaterThan(0);
  // THEN the command is gone (SIGTERM on the parent's death; allow the kernel a moment)
  expect(goneWithin(run.childPid, 5_000)).toBe(true);
});
