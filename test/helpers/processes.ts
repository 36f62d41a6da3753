import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT } from './app';

/** Whether a process of this pid exists (signal 0 checks without signalling; EPERM: it exists, another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits up to `timeoutMs` for the process to be gone and says whether it is; one that is not is
 * killed, so that a failing test leaves nothing behind.
 */
export function goneWithin(pid: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
  if (!alive(pid)) return true;
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
  return false;
}

/**
 * Runs the lines of `script` in a fresh node in the repository root (TypeScript through
 * swc-register.js, within 30 s): a parent that starts a child, prints the child's pid, then ends as
 * the script says. Returns how the parent ended and the pid, for `goneWithin`.
 */
export function runParent(script: string[]): { status: number | null; signal: NodeJS.Signals | null; childPid: number } {
  const run = spawnSync(process.execPath, ['-r', path.join(ROOT, 'test', 'helpers', 'swc-register.js'), '-e', script.join('\n')], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, signal: run.signal, childPid: Number(run.stdout) };
}
