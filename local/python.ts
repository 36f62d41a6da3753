/** Python for the local run: moto's own modules (for what moto supports) and the example scripts. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import { motoPython } from '../test/helpers/die-with-parent';

/** The Python that has moto (the same one test/helpers/moto.ts starts the server with). */
export const PYTHON = motoPython();

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end (killing it after `timeoutMs`), with its output collected. Its own process
 * group, so a timeout or `kill()` also ends what it started; every such child is also in `children`,
 * so an interrupted run can end them.
 */
export const children = new Set<number>();
// In their own process groups, the children miss the terminal's Ctrl-C: however this process ends
// (a second Ctrl-C exits at once), it ends them.
process.once('exit', () => { for (const pid of children) killGroup(pid); });
export function runProcess(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-50_000); });
    if (child.pid) children.add(child.pid);
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs} ms)`;
      killGroup(child.pid);
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => { clearTimeout(timer); reject(new Error(`could not run ${command}: ${error.message}`)); });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (child.pid) children.delete(child.pid);
      resolve({ code, stdout, stderr });
    });
    if (child.stdin) {
      // A command that exits without reading all of its input must not crash this process (EPIPE).
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** Runs a Python snippet that prints one JSON value, and returns it. */
export async function pythonJson(code: string): Promise<any> {
  const result = await runProcess(PYTHON, ['-c', code], { env: { ...process.env, PYTHONWARNINGS: 'ignore' }, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`${PYTHON} failed (${result.code}):\n${result.stderr.slice(-4_000)}`);
  return JSON.parse(result.stdout);
}

/** Fails with what to install when the Python has no moto (or no server extras). */
export async function requireMoto(python = motoPython()): Promise<string> {
  const result = await runProcess(python, ['-c', 'import moto, moto.server, flask, boto3; print(moto.__version__)'], { timeoutMs: 60_000 }).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
  if (result.code !== 0) {
    throw new Error([
      `The local run needs Python's moto server, and ${python} has none:`,
      `  ${result.stderr.trim().split('\n').slice(-1)[0]}`,
      'Install it with:  python3 -m pip install "moto[server]==5.2.1"',
      '(or point MOTO_PYTHON at a Python that has it).',
    ].join('\n'));
  }
  return result.stdout.trim();
}

/**
 * Kills every process below this one (Linux /proc): the CDK CLI that test/helpers/moto.ts starts and
 * its app, the example scripts, unzip/tar. Only this process's own descendants, by id.
 */
export function killDescendants(root = process.pid): number[] {
  let entries: string[];
  try { entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)); } catch { return []; }
  const parentOf = new Map<number, number>();
  for (const entry of entries) {
    try {
      // Fields after the command name, which is in parentheses and may hold spaces.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone meanwhile */ }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parentOf) if (parent === pid) { found.push(child); walk(child); }
  };
  walk(root);
  for (const pid of found) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
  return found;
}
