import { spawnSync } from 'child_process';
import * as path from 'path';
import { goneWithin } from './processes';
import { ROOT } from './app';


test('a child spawned to die with its parent ends when the parent is killed with SIGKILL (no exit hook runs)', () => {
  // GIVEN a process that started a long command, in a process group of its own as runCdk does, then was SIGKILLed
  const script = [
    "const { spawnDyingWithParent } = require('./test/helpers/die-with-parent');",
    "const child = spawnDyingWithParent('sleep', ['60'], { stdio: 'ignore', detached: true });",
    'setTimeout(() => { process.stdout.write(String(child.pid)); process.kill(process.pid, \'SIGKILL\'); }, 500);',
  ].join('\n');
  const run = spawnSync(process.execPath, ['-r', path.join(ROOT, 'test', 'helpers', 'swc-register.js'), '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  expect(run.signal).toBe('SIGKILL');
  const pid = Number(run.stdout);
  expect(pid).toBeGreaterThan(0);
  // THEN the command is gone (SIGTERM on the parent's death; allow the kernel a moment)
  expect(goneWithin(pid, 5_000)).toBe(true);
});
