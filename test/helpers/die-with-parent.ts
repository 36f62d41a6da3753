import { ChildProcess, spawn, SpawnOptions } from 'child_process';

/**
 * Execs the command after asking Linux to SIGTERM it when its parent dies (PR_SET_PDEATHSIG, kept
 * across exec): even a jest worker killed with SIGKILL, whose exit hooks never run, cannot leave it
 * behind. Where prctl is missing (not Linux) the command runs as it is.
 */
const LAUNCHER = [
  'import ctypes, os, signal, sys',
  'try:',
  '    ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))',
  'except Exception:',
  '    pass',
  'os.execvp(sys.argv[1], sys.argv[1:])',
].join('\n');

/** `spawn(command, args, options)`, the child dying with this process. */
export function spawnDyingWithParent(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(process.env.MOTO_PYTHON ?? 'python3', ['-c', LAUNCHER, command, ...args], options);
}
