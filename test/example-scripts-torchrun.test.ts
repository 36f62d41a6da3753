/**
 * The PyTorch example's source directory (examples/training/scripts/pytorch/) under torchrun, as
 * SageMaker's training toolkit launches it (test/helpers/torch-jobs.ts), run for real with the torch
 * on this machine: two processes on one instance, two instances (two torchruns, the first as
 * master), and two instances that would resume from different checkpoints. On one process:
 * test/example-scripts-pytorch.test.ts.
 */
import * as fs from 'fs';
import { captured, PythonRun } from './helpers/example-scripts';
import { freePort } from './helpers/moto';
import { steps, succeeded, TORCH_TIMEOUT, torchrun, torchWorkspace, TorchWorkspace } from './helpers/torch-jobs';

describe('pytorch/ under torchrun, as the SageMaker PyTorch container runs a source directory', () => {
  let torch: TorchWorkspace;
  let twoProcesses: PythonRun;

  beforeAll(async () => {
    torch = torchWorkspace();
    twoProcesses = succeeded(await torch.job('pt-ddp', torchrun(1, 2, 0, await freePort()), ['--epochs', '8', '--seed', '1']));
  }, 2 * TORCH_TIMEOUT);

  afterAll(() => torch?.remove());

  test('under torchrun, the processes share the epochs: each takes half the batches, rank 0 alone reports', () => {
    expect(twoProcesses.stdout).toMatch(/rank 0\/2 on cpu/);
    expect(twoProcesses.stdout).toMatch(/rank 1\/2 on cpu/);
    // 1400 training rows, 64 a batch: 22 steps on one process (test/example-scripts-pytorch.test.ts), 11 on each of two.
    expect(steps(twoProcesses)).toEqual(Array(8).fill(11));
    expect(captured(twoProcesses.stdout, 'validation:auc')).toHaveLength(1);
    expect(captured(twoProcesses.stdout, 'validation:auc')[0]).toBeGreaterThan(0.85);
  });

  test('across two instances: torchrun on each, the first as master, one model', async () => {
    const port = await freePort();
    const env = { SM_MODEL_DIR: torch.dir('pt-two-hosts', 'model') };
    // A host that fails (e.g. the master cannot bind its port) ends the other's wait for it: the test fails at once, with its output.
    const failed = new AbortController();
    let firstFailure: PythonRun | undefined;
    const hosts = await Promise.all([0, 1].map((node) => torch.job(`pt-host-${node}`, torchrun(2, 1, node, port), ['--epochs', '2'], env, failed.signal)
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
    expect(fs.readdirSync(torch.dir('pt-two-hosts', 'model')).sort()).toEqual(['code', 'model.pt']);
  }, 2 * TORCH_TIMEOUT);

  test('across two instances, one without the checkpoint the other resumes from: every rank ends with the reason, none waits for the others', async () => {
    // GIVEN a checkpoint at epoch 1 on the first instance only
    const withCheckpoint = torch.dir('pt-split', 'host-0-checkpoints');
    succeeded(await torch.job('pt-split-first', [], ['--epochs', '1'], { SM_CHECKPOINT_DIR: withCheckpoint }));
    expect(fs.readdirSync(withCheckpoint)).toEqual(['checkpoint.pt']);
    // WHEN both instances start the job: rank 0 would run 1 more epoch, rank 1 all 2
    const port = await freePort();
    const hosts = await Promise.all([withCheckpoint, torch.dir('pt-split', 'host-1-checkpoints')].map((checkpoints, node) => torch.job(
      `pt-split-${node}`, torchrun(2, 1, node, port), ['--epochs', '2'], { SM_CHECKPOINT_DIR: checkpoints })));
    // THEN both fail at once (not at the timeout), each naming where the ranks resume, and nothing is saved
    for (const [node, host] of hosts.entries()) {
      expect(host.status).not.toBe(0);
      expect(host.stderr).toMatch(new RegExp(`rank ${node} resumes at epoch ${1 - node} .*the ranks resume at epochs 0 to 1: every instance needs the same checkpoint\\.pt`));
      expect(host.stdout).not.toMatch(/^epoch=/m);
    }
    expect(fs.existsSync(torch.dir('pt-split-0', 'model'))).toBe(false);
  }, 2 * TORCH_TIMEOUT);
});
