/**
 * The PyTorch example's source directory (examples/training/scripts/pytorch/) on one process, run for
 * real with the torch on this machine as SageMaker's training toolkit runs it (test/helpers/torch-jobs.ts):
 * what the archive holds, the metrics it prints, resuming from a checkpoint, and the model served
 * with the handlers in code/ as SageMaker's PyTorch inference container serves it. Under torchrun:
 * test/example-scripts-torchrun.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { packSourceDirectory } from '../lib/training/tasks/private/source-archive';
import { captured, PythonRun, succeed } from './helpers/example-scripts';
import { PYTORCH, steps, succeeded, TORCH_TIMEOUT, torchWorkspace, TorchWorkspace } from './helpers/torch-jobs';

describe('pytorch/ on one process, as the SageMaker PyTorch container runs a source directory', () => {
  let torch: TorchWorkspace;
  let single: PythonRun;

  beforeAll(async () => {
    torch = torchWorkspace();
    single = succeeded(await torch.job('pt-single', [], ['--epochs', '8', '--seed', '1']));
  }, 2 * TORCH_TIMEOUT);

  afterAll(() => torch?.remove());

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
    // 1400 training rows, 64 a batch.
    expect(steps(single)).toEqual(Array(8).fill(22));
  });

  test('saves a model that SageMaker\'s PyTorch inference container serves with the handlers in code/', () => {
    const model = torch.dir('pt-single', 'model');
    expect(fs.readdirSync(path.join(model, 'code')).sort()).toEqual(['churn', 'inference.py']);
    const rows = fs.readFileSync(torch.dir('processed', 'validation', 'validation.csv'), 'utf8').trim().split('\n').slice(0, 5);
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
    const checkpoints = torch.dir('pt-spot', 'checkpoints');
    const first = succeeded(await torch.job('pt-spot', [], ['--epochs', '3'], { SM_CHECKPOINT_DIR: checkpoints }));
    expect(steps(first)).toHaveLength(3);
    expect(fs.readdirSync(checkpoints)).toEqual(['checkpoint.pt']);
    const resumed = succeeded(await torch.job('pt-spot', [], ['--epochs', '5'], { SM_CHECKPOINT_DIR: checkpoints }));
    expect(resumed.stdout).toMatch(/resumed from checkpoint \S+checkpoint\.pt at epoch 3 of 5/);
    expect([...resumed.stdout.matchAll(/^epoch=(\d+) /gm)].map((m) => Number(m[1]))).toEqual([4, 5]);
  }, 2 * TORCH_TIMEOUT);
});
