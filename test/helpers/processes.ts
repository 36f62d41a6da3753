import { spawnSync } from 'child_process';

/** Whether a process of this pid exists (signal 0 checks without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
  process.kill(pid, 'SIGKILL');
  return false;
}
