/**
 * The PyTorch example's source directory (examples/training/scripts/pytorch/), packed as the
 * pipeline packs `training.sourceDirectory`, unpacked as SageMaker's training toolkit unpacks it, and
 * run for real with the torch on this machine: on one process, under torchrun with two processes,
 * across two "instances" (two torchruns, the first as master), resuming from a checkpoint, and
 * served with the handlers in code/ as SageMaker's PyTorch inference container serves it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { packSourceDirectory } from '../lib/training/tasks/private/source-archive';
import { captured, preparedData, python, PythonRun, SCRIPTS, succeed, withoutSageMakerVariables } from './helpers/example-scripts';

const PYTORCH = path.join(SCRIPTS, 'pytorch');
/**
 * torchrun starts Python processes that each import torch: slower than the scikit-learn scripts,
 * and four of them share two cores in the two-host test (120 s was not enough on a loaded machine).
 */
const TORCH_TIMEOUT = 300_000;

describe('pytorch/ (a source directory, run with torchrun as the SageMaker PyTorch container does)', () => {
  let work: string;
  const dir = (...parts: string[]) => path.join(work, ...parts);
  let code: string;
  let single: PythonRun;
  let twoProcesses: PythonRun;

  /**
   * Runs the unpacked entry point like the training toolkit: in the code folder, hyperparameters as
   * arguments. `stop`, when it fires, kills the run (a host whose peer failed would wait for it until the timeout).
   */
  function torchJob(name: string, launcher: string[], args: string[], env: Record<string, string> = {}, stop?: AbortSignal): Promise<PythonRun> {
    return new Promise((resolve, reject) => {
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
  }

  function freePort(): Promise<number> {
    return new Promise((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(port));
      });
    });
  }

  /** torchrun's options as the toolkit builds them for `hosts` instances (torch_distributed.py). */
  function torchrun(hosts: number, processesPerHost: number, nodeRank: number, port: number): string[] {
    const multinode = hosts > 1 ? ['--master_addr', '127.0.0.1', '--master_port', String(port), '--node_rank', String(nodeRank)] : ['--master_port', String(port)];
    return ['-m', 'torch.distributed.run', '--nnodes', String(hosts), '--nproc_per_node', String(processesPerHost), ...multinode];
  }

  function succeeded(run: PythonRun): PythonRun {
    if (run.status !== 0) throw new Error(`train.py exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    return run;
  }

  const steps = (run: PythonRun) => [...run.stdout.matchAll(/^epoch=\d+ steps=(\d+) /gm)].map((m) => Number(m[1]));

  beforeAll(async () => {
    ({ work } = preparedData());
    // GIVEN the source directory packed as the pipeline packs it, unpacked as the toolkit unpacks it
    fs.writeFileSync(dir('sourcedir.tar.gz'), packSourceDirectory(PYTORCH).bytes);
    code = dir('opt-ml-code');
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
    single = succeeded(await torchJob('pt-single', [], ['--epochs', '8', '--seed', '1']));
    twoProcesses = succeeded(await torchJob('pt-ddp', torchrun(1, 2, 0, await freePort()), ['--epochs', '8', '--seed', '1']));
  }, 4 * TORCH_TIMEOUT);

  test('the archive holds the entry point, its helper package, requirements.txt and the serving handlers, no caches', () => {
    expect(packSourceDirectory(PYTORCH).files).toEqual([
      'churn/__init__.py', 'churn/data.py', 'churn/metrics.py', 'churn/model.py', 'inference.py', 'requirements.txt', 'train.py',
    ]);
  });

  test('trains on one process and prints the metrics its definitions capture, with a learned AUC', () => {
    expect(single.stdout).toContain('rank 0/1 on cpu');
    const auc = captured(single.stdout, 'validation:auc');
    expect(auc).toHaveLength(1);
    expect(auc[0]).toBeGreaterThan(0.85);
    expect(auc[0]).toBeLessThan(1);
    expect(captured(single.stdout, 'train:loss')).toHaveLength(8);
  });

  test('under torchrun, the processes share the epochs: each takes half the batches, rank 0 alone reports', () => {
    expect(twoProcesses.stdout).toMatch(/rank 0\/2 on cpu/);
    expect(twoProcesses.stdout).toMatch(/rank 1\/2 on cpu/);
    // 1400 training rows, 64 a batch: 22 steps on one process, 11 on each of two.
    expect(steps(single)).toEqual(Array(8).fill(22));
    expect(steps(twoProcesses)).toEqual(Array(8).fill(11));
    expect(captured(twoProcesses.stdout, 'validation:auc')).toHaveLength(1);
    expect(captured(twoProcesses.stdout, 'validation:auc')[0]).toBeGreaterThan(0.85);
  });

  test('across two instances: torchrun on each, the first as master, one model', async () => {
    const port = await freePort();
    const env = { SM_MODEL_DIR: dir('pt-two-hosts', 'model') };
    // A host that fails (e.g. the master cannot bind its port) ends the other's wait for it: the test fails at once, with its output.
    const failed = new AbortController();
    let firstFailure: PythonRun | undefined;
    const hosts = await Promise.all([0, 1].map((node) => torchJob(`pt-host-${node}`, torchrun(2, 1, node, port), ['--epochs', '2'], env, failed.signal)
      .then((run) => {
        if (run.status !== 0 && !failed.signal.aborted) {
          firstFailure = run;
          failed.abort();
        }
        return run;
      })));
    if (firstFailure) succeeded(firstFailure);
    hosts.forEach(succeeded);
    expect(hosts[0].stdout).toMatch(/rank 0\/2 on cpu/);
    expect(hosts[1].stdout).toMatch(/rank 1\/2 on cpu/);
    expect(steps(hosts[0])).toEqual([11, 11]);
    expect(captured(hosts[1].stdout, 'validation:auc')).toEqual([]);
    expect(fs.readdirSync(dir('pt-two-hosts', 'model')).sort()).toEqual(['code', 'model.pt']);
  }, 2 * TORCH_TIMEOUT);

  test('saves a model that SageMaker\'s PyTorch inference container serves with the handlers in code/', () => {
    const model = dir('pt-single', 'model');
    expect(fs.readdirSync(path.join(model, 'code')).sort()).toEqual(['churn', 'inference.py']);
    const rows = fs.readFileSync(dir('processed', 'validation', 'validation.csv'), 'utf8').trim().split('\n').slice(0, 5);
    const served = succeed(['-c', [
      'import sys; sys.path.insert(0, sys.argv[1] + "/code")',
      'import inference',
      'model = inference.model_fn(sys.argv[1])',
      // The inference toolkit labels a response with the request's Accept (application/json by default) unless output_fn names its type.
      'body, content_type = inference.output_fn(inference.predict_fn(inference.input_fn(sys.argv[2].encode(), "text/csv"), model), "application/json")',
      'print(content_type)',
      'print(body, end="")',
    ].join('\n'), model, rows.map((r) => r.split(',').slice(1).join(',')).join('\n')]);
    const [contentType, ...lines] = served.stdout.trim().split('\n');
    expect(contentType).toBe('text/csv');
    const probabilities = lines.map(Number);
    expect(probabilities).toHaveLength(5);
    expect(probabilities.every((p) => p > 0 && p < 1)).toBe(true);
  });

  test('resumes from its checkpoint after an interruption', async () => {
    const checkpoints = dir('pt-spot', 'checkpoints');
    const first = succeeded(await torchJob('pt-spot', [], ['--epochs', '3'], { SM_CHECKPOINT_DIR: checkpoints }));
    expect(steps(first)).toHaveLength(3);
    expect(fs.readdirSync(checkpoints)).toEqual(['checkpoint.pt']);
    const resumed = succeeded(await torchJob('pt-spot', [], ['--epochs', '5'], { SM_CHECKPOINT_DIR: checkpoints }));
    expect(resumed.stdout).toMatch(/resumed from checkpoint \S+checkpoint\.pt at epoch 3 of 5/);
    expect([...resumed.stdout.matchAll(/^epoch=(\d+) /gm)].map((m) => Number(m[1]))).toEqual([4, 5]);
  }, 2 * TORCH_TIMEOUT);

  test('across two instances, one without the checkpoint the other resumes from: every rank ends with the reason, none waits for the others', async () => {
    // GIVEN a checkpoint at epoch 1 on the first instance only
    const withCheckpoint = dir('pt-split', 'host-0-checkpoints');
    succeeded(await torchJob('pt-split-first', [], ['--epochs', '1'], { SM_CHECKPOINT_DIR: withCheckpoint }));
    expect(fs.readdirSync(withCheckpoint)).toEqual(['checkpoint.pt']);
    // WHEN both instances start the job: rank 0 would run 1 more epoch, rank 1 all 2
    const port = await freePort();
    const hosts = await Promise.all([withCheckpoint, dir('pt-split', 'host-1-checkpoints')].map((checkpoints, node) => torchJob(
      `pt-split-${node}`, torchrun(2, 1, node, port), ['--epochs', '2'], { SM_CHECKPOINT_DIR: checkpoints })));
    // THEN both fail at once (not at the timeout), each naming where the ranks resume, and nothing is saved
    for (const [node, host] of hosts.entries()) {
      expect(host.status).not.toBe(0);
      expect(host.stderr).toMatch(new RegExp(`rank ${node} resumes at epoch ${1 - node} .*the ranks resume at epochs 0 to 1: every instance needs the same checkpoint\\.pt`));
      expect(host.stdout).not.toMatch(/^epoch=/m);
    }
    expect(fs.existsSync(dir('pt-split-0', 'model'))).toBe(false);
  }, 2 * TORCH_TIMEOUT);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });
});
