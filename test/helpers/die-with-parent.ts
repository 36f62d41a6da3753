import { ChildProcess, spawn, SpawnOptions } from 'child_process';

/** The Python that has moto (`MOTO_PYTHON`, read at each start): the moto server, the boto3 queries and the launcher below run in it. */
export function motoPython(): string {
  return process.env.MOTO_PYTHON ?? 'python3';
}

/**
 * Python lines that ask Linux to SIGTERM this process when its parent dies (PR_SET_PDEATHSIG, kept
 * across exec): even a jest worker killed with SIGKILL, whose exit hooks never run, cannot leave it
 * behind. Where prctl is missing (not Linux) they do nothing. test/helpers/moto.ts starts the server
 * after them in the same interpreter.
 */
export const DIE_WITH_PARENT = [
  'import ctypes, signal',
  'try:',
  '    ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))',
  'except Exception:',
  '    pass',
].join('\n');

/** Execs the command after `DIE_WITH_PARENT`. */
const LAUNCHER = [DIE_WITH_PARENT, 'import os, sys', 'os.execvp(sys.argv[1], sys.argv[1:])'].join('\n');

/** `spawn(command, args, options)`, the child dying with this process. */
export function spawnDyingWithParent(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(motoPython(), ['-c', LAUNCHER, command, ...args], options);
}
