/**
 * Training jobs of the PyTorch example's source directory (examples/training/scripts/pytorch/) on
 * this machine: packed as the pipeline packs `training.sourceDirectory`, unpacked as SageMaker's
 * training toolkit unpacks it, and run in the code folder with the channels of the prepared data.
 * Shared by test/example-scripts-pytorch.test.ts (one process) and
 * test/example-scripts-torchrun.test.ts (torchrun, one and two instances).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { preparedData, python, PythonRun, SCRIPTS, withoutSageMakerVariables } from './example-scripts';
import { packSourceDirectory } from '../../lib/training/tasks/private/source-archive';

export const PYTORCH = path.join(SCRIPTS, 'pytorch');
/**
 * torchrun starts Python processes that each import torch: slower than the scikit-learn scripts,
 * and four of them share two cores in the two-host test (120 s was not enough on a loaded machine).
 */
export const TORCH_TIMEOUT = 300_000;

export interface TorchWorkspace {
  /** The work folder: the prepared data under processed/, each job's folders under its name. */
  readonly work: string;
  /** A path under the work folder. */
  dir(...parts: string[]): string;
  /**
   * Runs the unpacked entry point like the training toolkit: in the code folder, hyperparameters as
   * arguments. `stop`, when it fires, kills the run (a host whose peer failed would wait for it until the timeout).
   */
  job(name: string, launcher: string[], args: string[], env?: Record<string, string>, stop?: AbortSignal): Promise<PythonRun>;
  /** Removes the work folder. */
  remove(): void;
}

/** The prepared data and the source directory, packed and unpacked into opt-ml-code/. */
export function torchWorkspace(): TorchWorkspace {
  const { work } = preparedData();
  const dir = (...parts: string[]) => path.join(work, ...parts);
  fs.writeFileSync(dir('sourcedir.tar.gz'), packSourceDirectory(PYTORCH).bytes);
  const code = dir('opt-ml-code');
  // The same Python first checks that torch imports (exit status 3 when it does not): one torch import less.
  const unpack = python(['-c', [
    'import sys, tarfile',
    'try:',
    '    import torch',
    'except ImportError as error:',
    '    print(error, file=sys.stderr)',
    '    sys.exit(3)',
    'assert tarfile.is_tarfile(sys.argv[1])',
    'with tarfile.open(name=sys.argv[1], mode="r:gz") as t:',
    '    t.extractall(path=sys.argv[2], filter="data")',
  ].join('\n'), dir('sourcedir.tar.gz'), code]);
  if (unpack.status === 3) {
    throw new Error(`torch is missing: pip install -r examples/training/scripts/requirements-pytorch.txt (the CPU build is enough):\n${unpack.stderr}`);
  }
  if (unpack.status !== 0) throw new Error(`unpacking sourcedir.tar.gz failed (${unpack.status}):\n${unpack.stdout}\n${unpack.stderr}`);

  const job = (name: string, launcher: string[], args: string[], env: Record<string, string> = {}, stop?: AbortSignal) => new Promise<PythonRun>((resolve, reject) => {
    const child = spawn('python3', [...launcher, 'train.py', ...args], {
      cwd: code,
      env: {
        ...withoutSageMakerVariables(), OMP_NUM_THREADS: '1',
        SM_CHANNEL_TRAIN: dir('processed', 'train'), SM_CHANNEL_VALIDATION: dir('processed', 'validation'), SM_MODEL_DIR: dir(name, 'model'), ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), TORCH_TIMEOUT);
    stop?.addEventListener('abort', () => child.kill('SIGKILL'));
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
  return { work, dir, job, remove: () => fs.rmSync(work, { recursive: true, force: true }) };
}

/** torchrun's options as the toolkit builds them for `hosts` instances (torch_distributed.py). */
export function torchrun(hosts: number, processesPerHost: number, nodeRank: number, port: number): string[] {
  const multinode = hosts > 1 ? ['--master_addr', '127.0.0.1', '--master_port', String(port), '--node_rank', String(nodeRank)] : ['--master_port', String(port)];
  return ['-m', 'torch.distributed.run', '--nnodes', String(hosts), '--nproc_per_node', String(processesPerHost), ...multinode];
}

export function succeeded(run: PythonRun): PythonRun {
  if (run.status !== 0) throw new Error(`train.py exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** The steps of each epoch that a run printed. */
export const steps = (run: PythonRun) => [...run.stdout.matchAll(/^epoch=\d+ steps=(\d+) /gm)].map((m) => Number(m[1]));
