/**
 * The example scripts that the training pipeline runs on SageMaker, run for real with the Python on
 * this machine under SageMaker's contracts: preprocess.py and evaluate.py as Processing jobs (fixed
 * /opt/ml/processing folders, overridden here by arguments), train.py in script mode (SM_CHANNEL_*,
 * SM_MODEL_DIR, hyperparameters.json with string values, checkpoints for managed spot).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './helpers/app';
import { packSourceDirectory } from '../lib/training/tasks/private/source-archive';

const EXAMPLE = path.join(ROOT, 'examples', 'training');
const SCRIPTS = path.join(EXAMPLE, 'scripts');
const PYTHON_TIMEOUT = 30_000;
/** The PyTorch example's source directory, as the pipeline packs it for `training.sourceDirectory`. */
const PYTORCH = path.join(SCRIPTS, 'pytorch');
/**
 * torchrun starts Python processes that each import torch: slower than the scikit-learn scripts,
 * and four of them share two cores in the two-host test (120 s was not enough on a loaded machine).
 */
const TORCH_TIMEOUT = 300_000;
/** What make_dataset.py writes with its defaults: 2000 valid rows and one malformed row of each of 10 kinds. */
const VALID_ROWS = 2000;
const MALFORMED_ROWS = 10;
const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];
/** As SageMaker writes /opt/ml/input/config/hyperparameters.json: every value a string, its own settings JSON-encoded. */
const HYPERPARAMETERS = {
  n_estimators: '100', learning_rate: '0.1', max_depth: '5', checkpoint_every: '25',
  sagemaker_program: '"train.py"', sagemaker_region: '"us-east-1"',
};
/** The regexes of the training job's metric definitions. */
const METRIC_REGEXES = {
  'validation:auc': /validation:auc=([0-9.]+)/g,
  'validation:accuracy': /validation:accuracy=([0-9.]+)/g,
  'train:loss': /train:loss=([0-9.]+)/g,
};

interface PythonRun { status: number | null; stdout: string; stderr: string }

/** Runs python3 with only the environment given (no SM_* variables leak in from the shell). */
function python(args: string[], env: Record<string, string> = {}): PythonRun {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SM_')));
  const result = spawnSync('python3', args, {
    encoding: 'utf8', timeout: PYTHON_TIMEOUT, env: { ...inherited, ...env },
  });
  if (result.error) throw new Error(`python3 ${args.join(' ')} did not run: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a script that must succeed, and fails with its own output when it does not. */
function succeed(args: string[], env: Record<string, string> = {}): PythonRun {
  const run = python(args, env);
  if (run.status !== 0) throw new Error(`python3 ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

function requirePythonDependencies(): void {
  const check = python(['-c', 'import numpy, sklearn, joblib']);
  if (check.status !== 0) {
    throw new Error(`the example scripts' Python packages are missing; run scripts/ensure-python-deps.sh (npm test runs it first):\n${check.stderr}`);
  }
}

/** Every value of a metric that the metric definition's regex captures in a log. */
function captured(log: string, metric: keyof typeof METRIC_REGEXES): number[] {
  return [...log.matchAll(METRIC_REGEXES[metric])].map((match) => Number(match[1]));
}

function readRows(file: string): number[][] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(',').map(Number));
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

describe('example training scripts', () => {
  let work: string;
  let preprocess: PythonRun;
  let training: PythonRun;
  let evaluation: PythonRun;
  const dir = (...parts: string[]) => path.join(work, ...parts);

  /** A training job: its own config, model and output folders, the channels of the preprocessed data. */
  function trainingJob(name: string, hyperparameters: Record<string, string>, args: string[] = [], checkpoints?: string): PythonRun {
    fs.mkdirSync(dir(name, 'config'), { recursive: true });
    fs.writeFileSync(dir(name, 'config', 'hyperparameters.json'), JSON.stringify(hyperparameters));
    return python([path.join(SCRIPTS, 'train.py'), ...args], {
      SM_CHANNEL_TRAIN: dir('processed', 'train'),
      SM_CHANNEL_VALIDATION: dir('processed', 'validation'),
      SM_MODEL_DIR: dir(name, 'model'),
      SM_OUTPUT_DATA_DIR: dir(name, 'output'),
      SM_INPUT_CONFIG_DIR: dir(name, 'config'),
      ...(checkpoints ? { SM_CHECKPOINT_DIR: checkpoints } : {}),
    });
  }

  function evaluate(testDir: string, outputDir: string): PythonRun {
    return succeed([path.join(SCRIPTS, 'evaluate.py'),
      '--model-dir', dir('artifact'), '--test-dir', testDir, '--output-dir', outputDir]);
  }

  beforeAll(() => {
    requirePythonDependencies();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-scripts-'));
    fs.mkdirSync(dir('raw'));
    succeed([path.join(EXAMPLE, 'data', 'make_dataset.py'), '--output', dir('raw', 'customers.csv')]);
    preprocess = succeed([path.join(SCRIPTS, 'preprocess.py'),
      '--input-dir', dir('raw'), '--output-dir', dir('processed'),
      '--validation-fraction', '0.15', '--test-fraction', '0.15', '--seed', '7']);
    // The command line overrides hyperparameters.json, as when SageMaker passes both.
    training = trainingJob('job', HYPERPARAMETERS, ['--max_depth', '3'], dir('job', 'checkpoints'));
    if (training.status !== 0) throw new Error(`train.py failed:\n${training.stdout}\n${training.stderr}`);
    // SageMaker tars the contents of SM_MODEL_DIR, files at the archive's root.
    fs.mkdirSync(dir('artifact'));
    const tar = spawnSync('tar', ['-czf', dir('artifact', 'model.tar.gz'), '-C', dir('job', 'model'), '.'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    evaluation = evaluate(dir('processed', 'test'), dir('evaluation'));
  }, 120_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  describe('preprocess.py', () => {
    test('counts and reports the malformed rows instead of crashing', () => {
      expect(preprocess.stdout).toContain(`malformed_rows=${MALFORMED_ROWS} valid_rows=${VALID_ROWS}`);
    });

    test('writes stratified train/validation/test splits, label first and no header', () => {
      const splits = {
        train: readRows(dir('processed', 'train', 'train.csv')),
        validation: readRows(dir('processed', 'validation', 'validation.csv')),
        test: readRows(dir('processed', 'test', 'test.csv')),
      };
      expect(Object.fromEntries(Object.entries(splits).map(([name, rows]) => [name, rows.length])))
        .toEqual({ train: 1400, validation: 300, test: 300 });
      const all = Object.values(splits).flat();
      // No header and no malformed value survive: every cell is a finite number, the first one a 0/1 label.
      expect(all.every((row) => row.length === FEATURES.length + 1 && row.every(Number.isFinite))).toBe(true);
      expect(all.every(([label]) => label === 0 || label === 1)).toBe(true);
      const positiveRate = (rows: number[][]) => rows.filter(([label]) => label === 1).length / rows.length;
      for (const rows of Object.values(splits)) expect(Math.abs(positiveRate(rows) - positiveRate(all))).toBeLessThan(0.01);
    });

    test('writes baseline statistics of the training split that match numpy', () => {
      const statistics = readJson(dir('processed', 'baseline', 'statistics.json'));
      expect(statistics.feature_names).toEqual(FEATURES);
      // numpy recomputes from the CSV on disk, not from the script's memory.
      const numpy = JSON.parse(succeed(['-c', [
        'import json, sys, numpy as np',
        'x = np.loadtxt(sys.argv[1], delimiter=",")[:, 1:]',
        'print(json.dumps({"count": len(x), "mean": x.mean(0).tolist(), "std": x.std(0).tolist(), "min": x.min(0).tolist(), "max": x.max(0).tolist()}))',
      ].join('\n'), dir('processed', 'train', 'train.csv')]).stdout);
      const train = readRows(dir('processed', 'train', 'train.csv'));
      FEATURES.forEach((name, i) => {
        const feature = statistics.features[name];
        expect(feature.count).toBe(numpy.count);
        for (const stat of ['mean', 'std', 'min', 'max']) expect(feature[stat]).toBeCloseTo(numpy[stat][i], 9);
        // The histogram, recounted here: bins are [edge, next edge), the last one closed.
        const edges: number[] = feature.histogram.bin_edges;
        const counts = edges.slice(1).map((upper, bin) => train.filter((row) => row[i + 1] >= edges[bin]
          && (row[i + 1] < upper || (bin === edges.length - 2 && row[i + 1] === upper))).length);
        expect(feature.histogram.counts).toEqual(counts);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(train.length);
      });
    });

    test('fails with a clear message when the data has no label column', () => {
      fs.mkdirSync(dir('unlabelled'));
      fs.writeFileSync(dir('unlabelled', 'data.csv'), 'a,b\n1,2\n');
      const run = python([path.join(SCRIPTS, 'preprocess.py'), '--input-dir', dir('unlabelled'), '--output-dir', dir('unused')]);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/no 'label' column/);
    });
  });

  describe('train.py', () => {
    test('reads hyperparameters.json strings as typed values, and the command line overrides them', () => {
      const line = training.stdout.split('\n').find((l) => l.startsWith('hyperparameters: '));
      expect(JSON.parse(line!.slice('hyperparameters: '.length))).toEqual({
        n_estimators: 100, learning_rate: 0.1, max_depth: 3, checkpoint_every: 25, subsample: 1, random_state: 0,
      });
    });

    test('saves the model into SM_MODEL_DIR', () => {
      expect(fs.readdirSync(dir('job', 'model'))).toEqual(['model.joblib']);
    });

    test('prints metric lines that the metric definitions capture, with a learned AUC', () => {
      for (const metric of ['validation:auc', 'validation:accuracy'] as const) {
        expect(training.stdout).toMatch(new RegExp(`^${metric}=[0-9]+\\.[0-9]+;$`, 'm'));
        expect(captured(training.stdout, metric)).toHaveLength(1);
      }
      const auc = captured(training.stdout, 'validation:auc')[0];
      expect(auc).toBeGreaterThan(0.85);
      expect(auc).toBeLessThan(1);
      expect(captured(training.stdout, 'validation:accuracy')[0]).toBeGreaterThan(0.75);
      // One loss per checkpoint step, then the final one; boosting lowers the training loss at each step.
      const losses = captured(training.stdout, 'train:loss');
      expect(losses).toHaveLength(5);
      expect(losses.slice(0, 4)).toEqual([...losses.slice(0, 4)].sort((a, b) => b - a));
      expect(losses[4]).toBe(losses[3]);
    });

    test('writes metrics.json into SM_OUTPUT_DATA_DIR with the printed values', () => {
      const metrics = readJson(dir('job', 'output', 'metrics.json')).metrics;
      expect(metrics['validation:auc'].value).toBeCloseTo(captured(training.stdout, 'validation:auc')[0], 6);
      expect(metrics['validation:accuracy'].value).toBeCloseTo(captured(training.stdout, 'validation:accuracy')[0], 6);
    });

    test('resumes from a checkpoint and ends with the model an uninterrupted run trains', () => {
      const checkpoints = dir('spot', 'checkpoints');
      // GIVEN a job stopped after 40 of its trees, its checkpoint left behind
      const first = trainingJob('spot', { ...HYPERPARAMETERS, n_estimators: '40' }, ['--max_depth', '3'], checkpoints);
      expect(first.status).toBe(0);
      expect(first.stdout).toContain('no checkpoint: training from scratch');
      expect(fs.readdirSync(checkpoints)).toEqual(['checkpoint.joblib']);
      // WHEN the job runs again with the full hyperparameters and the same checkpoint folder
      const resumed = trainingJob('spot', HYPERPARAMETERS, ['--max_depth', '3'], checkpoints);
      // THEN it continues at tree 41 and ends where the uninterrupted job ended
      expect(resumed.status).toBe(0);
      expect(resumed.stdout).toMatch(/resumed from checkpoint \S+checkpoint\.joblib at 40 of 100 estimators/);
      expect([...resumed.stdout.matchAll(/^estimators=(\d+) /gm)].map((m) => Number(m[1]))).toEqual([65, 90, 100]);
      expect(captured(resumed.stdout, 'validation:auc')).toEqual(captured(training.stdout, 'validation:auc'));
    });

    test('fails with a clear message when a channel is missing', () => {
      const run = python([path.join(SCRIPTS, 'train.py')], { SM_CHANNEL_VALIDATION: dir('processed', 'validation'), SM_MODEL_DIR: dir('unused') });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/channel 'train' is missing: set SM_CHANNEL_TRAIN/);
    });
  });

  describe('evaluate.py', () => {
    test('writes evaluation.json in the model-quality layout that the quality gate reads', () => {
      const report = readJson(dir('evaluation', 'evaluation.json'));
      const auc = report.metrics.auc.value;
      expect(auc).toBeGreaterThanOrEqual(0);
      expect(auc).toBeLessThanOrEqual(1);
      expect(report.metrics.accuracy.value).toBeGreaterThan(0.75);
      expect(report.binary_classification_metrics.auc).toEqual({ value: auc, standard_deviation: expect.any(Number) });
      expect(report.binary_classification_metrics.auc.standard_deviation).toBeGreaterThan(0);
      expect(report.binary_classification_metrics.auc.standard_deviation).toBeLessThan(0.05);
      const matrix = report.binary_classification_metrics.confusion_matrix;
      expect(matrix['0']['0'] + matrix['0']['1'] + matrix['1']['0'] + matrix['1']['1']).toBe(300);
      expect(evaluation.stdout).toMatch(/test:auc=[0-9.]+;/);
    });

    test('agrees with the validation metric that training reported', () => {
      const validationAuc = captured(training.stdout, 'validation:auc')[0];
      // On the test split: another sample of the same distribution, so close but not equal.
      expect(Math.abs(readJson(dir('evaluation', 'evaluation.json')).metrics.auc.value - validationAuc)).toBeLessThan(0.05);
      // On the validation split: the same number, so the model survived the tarball unchanged.
      evaluate(dir('processed', 'validation'), dir('evaluation-validation'));
      expect(readJson(dir('evaluation-validation', 'evaluation.json')).metrics.auc.value).toBeCloseTo(validationAuc, 6);
    });

    test('fails with a clear message when there is no model.tar.gz', () => {
      fs.mkdirSync(dir('no-model'));
      const run = python([path.join(SCRIPTS, 'evaluate.py'), '--model-dir', dir('no-model'), '--test-dir', dir('processed', 'test'), '--output-dir', dir('unused')]);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/no model\.tar\.gz in /);
    });
  });
  describe('pytorch/ (a source directory, run with torchrun as the SageMaker PyTorch container does)', () => {
    let code: string;
    let single: PythonRun;
    let twoProcesses: PythonRun;

    /** Runs the unpacked entry point like the training toolkit: in the code folder, hyperparameters as arguments. */
    /** `stop`, when it fires, kills the run (a host whose peer failed would wait for it until the timeout). */
    function torchJob(name: string, launcher: string[], args: string[], env: Record<string, string> = {}, stop?: AbortSignal): Promise<PythonRun> {
      return new Promise((resolve, reject) => {
        const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SM_')));
        const child = spawn('python3', [...launcher, 'train.py', ...args], {
          cwd: code,
          env: {
            ...inherited, OMP_NUM_THREADS: '1',
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
  });
});
