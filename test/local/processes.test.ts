import { spawnSync } from 'child_process';
import * as path from 'path';
import { goneWithin } from '../helpers/processes';
import { ROOT } from '../helpers/app';


describe('the local run\'s child processes', () => {
  test('end with the run, however it exits: they are in their own process groups, which Ctrl-C does not reach', () => {
    // GIVEN a process that started a long command through runProcess, then exits at once (a second Ctrl-C)
    const script = [
      "const { runProcess, children } = require('./local/python');",
      "void runProcess('sleep', ['60']);",
      'setTimeout(() => { process.stdout.write(String([...children][0])); process.exit(130); }, 300);',
    ].join('\n');
    const run = spawnSync(process.execPath, ['-r', path.join(ROOT, 'test', 'helpers', 'swc-register.js'), '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(130);
    const pid = Number(run.stdout);
    expect(pid).toBeGreaterThan(0);
    // THEN the command it started is gone too (SIGKILL is immediate; allow the kernel a moment to reap)
    expect(goneWithin(pid, 5_000)).toBe(true);
  });
});
