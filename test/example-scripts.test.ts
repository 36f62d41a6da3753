/**
 * The example scripts that the training pipeline runs on SageMaker, run for real with the Python on
 * this machine under SageMaker's contracts: preprocess.py and evaluate.py as Processing jobs (fixed
 * /opt/ml/processing folders, overridden here by arguments), train.py in script mode (SM_CHANNEL_*,
 * SM_MODEL_DIR, hyperparameters.json with string values, checkpoints for managed spot).
 *
 * Every script runs as its own process, and beforeAll starts each as soon as what it reads exists
 * (the failures on bad input at once, the jobs on the preprocessed data side by side with the
 * PyTorch runs): each test then awaits the runs it checks. Sequential, the file took over a minute.
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
/** Scripts run side by side here (see above), so each gets more than it needs alone (a few seconds). */
const PYTHON_TIMEOUT = 120_000;
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

/**
 * Runs python3 (in `cwd`) with only the environment given (no SM_* variables leak in from the shell),
 * killed after `timeout` ms.
 */
function python(args: string[], env: Record<string, string> = {}, timeout = PYTHON_TIMEOUT, cwd?: string): Promise<PythonRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SM_')));
  return started(new Promise((resolve, reject) => {
    const child = spawn('python3', args, { cwd, env: { ...inherited, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (error) => { clearTimeout(timer); reject(new Error(`python3 ${args.join(' ')} did not run: ${error.message}`)); });
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  }));
}

/**
 * A run started now and awaited later, by a test: a failure is that test's, not an unhandled
 * rejection while other tests run.
 */
function started<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Fails with the script's own output when it did not succeed. */
function succeeded(args: string[], run: PythonRun): PythonRun {
  if (run.status !== 0) throw new Error(`python3 ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** Runs a script that must succeed, and fails with its own output when it does not. */
function succeed(args: string[], env: Record<string, string> = {}): Promise<PythonRun> {
  return started(python(args, env).then((run) => succeeded(args, run)));
}

async function requirePythonDependencies(): Promise<void> {
  const check = await python(['-c', 'import numpy, sklearn, joblib']);
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
  /** Runs that only the tests below await, started in beforeAll. */
  let numpyStatistics: Promise<PythonRun>;
  let noLabel: Promise<PythonRun>;
  let spotResume: Promise<{ first: PythonRun; checkpointFiles: string[]; resumed: PythonRun }>;
  let noChannel: Promise<PythonRun>;
  let validationEvaluation: Promise<PythonRun>;
  let noModel: Promise<PythonRun>;
  /** The PyTorch runs (see its describe), started as soon as the preprocessed data exists. */
  let torch: ReturnType<typeof startTorchRuns>;
  const dir = (...parts: string[]) => path.join(work, ...parts);

  /** A training job: its own config, model and output folders, the channels of the preprocessed data. */
  function trainingJob(name: string, hyperparameters: Record<string, string>, args: string[] = [], checkpoints?: string): Promise<PythonRun> {
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

  function evaluate(testDir: string, outputDir: string): Promise<PythonRun> {
    return succeed([path.join(SCRIPTS, 'evaluate.py'),
      '--model-dir', dir('artifact'), '--test-dir', testDir, '--output-dir', outputDir]);
  }

  /** GIVEN a job stopped after 40 of its trees, its checkpoint left behind; WHEN it runs again with the full hyperparameters. */
  async function stoppedAndResumed() {
    const checkpoints = dir('spot', 'checkpoints');
    const first = await trainingJob('spot', { ...HYPERPARAMETERS, n_estimators: '40' }, ['--max_depth', '3'], checkpoints);
    const checkpointFiles = first.status === 0 ? fs.readdirSync(checkpoints) : [];
    const resumed = await trainingJob('spot', HYPERPARAMETERS, ['--max_depth', '3'], checkpoints);
    return { first, checkpointFiles, resumed };
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-scripts-'));
    fs.mkdirSync(dir('raw'));
    // The failures on bad input read nothing that the other runs write: they start at once.
    fs.mkdirSync(dir('unlabelled'));
    fs.writeFileSync(dir('unlabelled', 'data.csv'), 'a,b\n1,2\n');
    noLabel = python([path.join(SCRIPTS, 'preprocess.py'), '--input-dir', dir('unlabelled'), '--output-dir', dir('unused')]);
    noChannel = python([path.join(SCRIPTS, 'train.py')], { SM_CHANNEL_VALIDATION: dir('processed', 'validation'), SM_MODEL_DIR: dir('unused') });
    const dataset = succeed([path.join(EXAMPLE, 'data', 'make_dataset.py'), '--output', dir('raw', 'customers.csv')]);
    await requirePythonDependencies();
    await dataset;
    preprocess = await succeed([path.join(SCRIPTS, 'preprocess.py'),
      '--input-dir', dir('raw'), '--output-dir', dir('processed'),
      '--validation-fraction', '0.15', '--test-fraction', '0.15', '--seed', '7']);
    // Everything below reads the preprocessed data, and nothing that another run writes.
    torch = startTorchRuns(dir);
    // numpy recomputes from the CSV on disk, not from the script's memory.
    numpyStatistics = succeed(['-c', [
      'import json, sys, numpy as np',
      'x = np.loadtxt(sys.argv[1], delimiter=",")[:, 1:]',
      'print(json.dumps({"count": len(x), "mean": x.mean(0).tolist(), "std": x.std(0).tolist(), "min": x.min(0).tolist(), "max": x.max(0).tolist()}))',
    ].join('\n'), dir('processed', 'train', 'train.csv')]);
    spotResume = started(stoppedAndResumed());
    fs.mkdirSync(dir('no-model'));
    noModel = python([path.join(SCRIPTS, 'evaluate.py'), '--model-dir', dir('no-model'), '--test-dir', dir('processed', 'test'), '--output-dir', dir('unused')]);
    // The command line overrides hyperparameters.json, as when SageMaker passes both.
    training = await trainingJob('job', HYPERPARAMETERS, ['--max_depth', '3'], dir('job', 'checkpoints'));
    if (training.status !== 0) throw new Error(`train.py failed:\n${training.stdout}\n${training.stderr}`);
    // SageMaker tars the contents of SM_MODEL_DIR, files at the archive's root.
    fs.mkdirSync(dir('artifact'));
    const tar = spawnSync('tar', ['-czf', dir('artifact', 'model.tar.gz'), '-C', dir('job', 'model'), '.'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    validationEvaluation = evaluate(dir('processed', 'validation'), dir('evaluation-validation'));
    evaluation = await evaluate(dir('processed', 'test'), dir('evaluation'));
  }, 4 * TORCH_TIMEOUT);

  afterAll(async () => {
    // No run may outlive the folder it writes to.
    await Promise.allSettled([noLabel, noChannel, noModel, numpyStatistics, spotResume, validationEvaluation, ...(torch ? torch.all() : [])]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 4 * TORCH_TIMEOUT);

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

    test('writes baseline statistics of the training split that match numpy', async () => {
      const statistics = readJson(dir('processed', 'baseline', 'statistics.json'));
      expect(statistics.feature_names).toEqual(FEATURES);
      const numpy = JSON.parse((await numpyStatistics).stdout);
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

    test('fails with a clear message when the data has no label column', async () => {
      const run = await noLabel;
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

    test('resumes from a checkpoint and ends with the model an uninterrupted run trains', async () => {
      // GIVEN a job stopped after 40 of its trees, its checkpoint left behind
      // WHEN the job runs again with the full hyperparameters and the same checkpoint folder (stoppedAndResumed)
      const { first, checkpointFiles, resumed } = await spotResume;
      expect(first.status).toBe(0);
      expect(first.stdout).toContain('no checkpoint: training from scratch');
      expect(checkpointFiles).toEqual(['checkpoint.joblib']);
      // THEN it continues at tree 41 and ends where the uninterrupted job ended
      expect(resumed.status).toBe(0);
      expect(resumed.stdout).toMatch(/resumed from checkpoint \S+checkpoint\.joblib at 40 of 100 estimators/);
      expect([...resumed.stdout.matchAll(/^estimators=(\d+) /gm)].map((m) => Number(m[1]))).toEqual([65, 90, 100]);
      expect(captured(resumed.stdout, 'validation:auc')).toEqual(captured(training.stdout, 'validation:auc'));
    });

    test('fails with a clear message when a channel is missing', async () => {
      const run = await noChannel;
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

    test('agrees with the validation metric that training reported', async () => {
      const validationAuc = captured(training.stdout, 'validation:auc')[0];
      // On the test split: another sample of the same distribution, so close but not equal.
      expect(Math.abs(readJson(dir('evaluation', 'evaluation.json')).metrics.auc.value - validationAuc)).toBeLessThan(0.05);
      // On the validation split: the same number, so the model survived the tarball unchanged.
      await validationEvaluation;
      expect(readJson(dir('evaluation-validation', 'evaluation.json')).metrics.auc.value).toBeCloseTo(validationAuc, 6);
    });

    test('fails with a clear message when there is no model.tar.gz', async () => {
      const run = await noModel;
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/no model\.tar\.gz in /);
    });
  });

  describe('pytorch/ (a source directory, run with torchrun as the SageMaker PyTorch container does)', () => {
    let single: PythonRun;
    let twoProcesses: PythonRun;

    beforeAll(async () => {
      single = torchSucceeded(await torch.single);
      twoProcesses = torchSucceeded(await torch.twoProcesses);
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
      const hosts = await torch.twoHosts;
      hosts.forEach(torchSucceeded);
      expect(hosts[0].stdout).toMatch(/rank 0\/2 on cpu/);
      expect(hosts[1].stdout).toMatch(/rank 1\/2 on cpu/);
      expect(steps(hosts[0])).toEqual([11, 11]);
      expect(captured(hosts[1].stdout, 'validation:auc')).toEqual([]);
      expect(fs.readdirSync(path.join(work, 'pt-two-hosts', 'model')).sort()).toEqual(['code', 'model.pt']);
    }, 2 * TORCH_TIMEOUT);

    test('saves a model that SageMaker\'s PyTorch inference container serves with the handlers in code/', async () => {
      const model = path.join(work, 'pt-single', 'model');
      expect(fs.readdirSync(path.join(model, 'code')).sort()).toEqual(['churn', 'inference.py']);
      const served = await torch.served;
      const probabilities = served.stdout.trim().split('\n').map(Number);
      expect(probabilities).toHaveLength(5);
      expect(probabilities.every((p) => p > 0 && p < 1)).toBe(true);
    });

    test('resumes from its checkpoint after an interruption', async () => {
      const { first, checkpointFiles, resumed } = await torch.spot;
      torchSucceeded(first);
      expect(steps(first)).toHaveLength(3);
      expect(checkpointFiles).toEqual(['checkpoint.pt']);
      torchSucceeded(resumed);
      expect(resumed.stdout).toMatch(/resumed from checkpoint \S+checkpoint\.pt at epoch 3 of 5/);
      expect([...resumed.stdout.matchAll(/^epoch=(\d+) /gm)].map((m) => Number(m[1]))).toEqual([4, 5]);
    }, 2 * TORCH_TIMEOUT);
  });
});

function torchSucceeded(run: PythonRun): PythonRun {
  if (run.status !== 0) throw new Error(`train.py exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

const steps = (run: PythonRun) => [...run.stdout.matchAll(/^epoch=\d+ steps=(\d+) /gm)].map((m) => Number(m[1]));

/** `count` distinct free ports on 127.0.0.1 (held open together, so no two are the same). */
function freePorts(count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => resolve(server));
  }))).then((servers) => Promise.all(servers.map((server) => new Promise<number>((resolve) => {
    const port = (server.address() as net.AddressInfo).port;
    server.close(() => resolve(port));
  }))));
}

/** torchrun's options as the toolkit builds them for `hosts` instances (torch_distributed.py). */
function torchrun(hosts: number, processesPerHost: number, nodeRank: number, port: number): string[] {
  const multinode = hosts > 1 ? ['--master_addr', '127.0.0.1', '--master_port', String(port), '--node_rank', String(nodeRank)] : ['--master_port', String(port)];
  return ['-m', 'torch.distributed.run', '--nnodes', String(hosts), '--nproc_per_node', String(processesPerHost), ...multinode];
}

/**
 * The PyTorch example's runs, started together on the preprocessed data under `dir()`: the source
 * directory packed as the pipeline packs it and unpacked as the toolkit unpacks it, then one process,
 * two processes under torchrun, two instances, the served model, and a run resumed from its checkpoint.
 */
function startTorchRuns(dir: (...parts: string[]) => string) {
  const code = dir('opt-ml-code');
  /** Runs the unpacked entry point like the training toolkit: in the code folder, hyperparameters as arguments. */
  const torchJob = (name: string, launcher: string[], args: string[], env: Record<string, string> = {}) => python([...launcher, 'train.py', ...args], {
    OMP_NUM_THREADS: '1',
    SM_CHANNEL_TRAIN: dir('processed', 'train'), SM_CHANNEL_VALIDATION: dir('processed', 'validation'), SM_MODEL_DIR: dir(name, 'model'), ...env,
  }, TORCH_TIMEOUT, code);

  const unpacked = started((async () => {
    // GIVEN the source directory packed as the pipeline packs it, unpacked as the toolkit unpacks it
    fs.writeFileSync(dir('sourcedir.tar.gz'), packSourceDirectory(PYTORCH).bytes);
    // The same Python first checks that torch imports (exit status 3 when it does not).
    const unpack = await python(['-c', [
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
    succeeded(['(unpack sourcedir.tar.gz)'], unpack);
    return freePorts(2);
  })());
  const then = <T>(run: (ports: number[]) => Promise<T>) => started(unpacked.then(run));

  const single = then(() => torchJob('pt-single', [], ['--epochs', '8', '--seed', '1']));
  const twoProcesses = then(([port]) => torchJob('pt-ddp', torchrun(1, 2, 0, port), ['--epochs', '8', '--seed', '1']));
  const twoHosts = then(([, port]) => {
    const env = { SM_MODEL_DIR: dir('pt-two-hosts', 'model') };
    return Promise.all([0, 1].map((node) => torchJob(`pt-host-${node}`, torchrun(2, 1, node, port), ['--epochs', '2'], env)));
  });
  const served = started(single.then((run) => {
    torchSucceeded(run);
    const model = dir('pt-single', 'model');
    const rows = fs.readFileSync(dir('processed', 'validation', 'validation.csv'), 'utf8').trim().split('\n').slice(0, 5);
    return succeed(['-c', [
      'import sys; sys.path.insert(0, sys.argv[1] + "/code")',
      'import inference',
      'model = inference.model_fn(sys.argv[1])',
      'print(inference.output_fn(inference.predict_fn(inference.input_fn(sys.argv[2].encode(), "text/csv"), model), "text/csv"), end="")',
    ].join('\n'), model, rows.map((r) => r.split(',').slice(1).join(',')).join('\n')]);
  }));
  const spot = then(async () => {
    const checkpoints = dir('pt-spot', 'checkpoints');
    const first = await torchJob('pt-spot', [], ['--epochs', '3'], { SM_CHECKPOINT_DIR: checkpoints });
    const checkpointFiles = first.status === 0 ? fs.readdirSync(checkpoints) : [];
    const resumed = await torchJob('pt-spot', [], ['--epochs', '5'], { SM_CHECKPOINT_DIR: checkpoints });
    return { first, checkpointFiles, resumed };
  });
  return { single, twoProcesses, twoHosts, served, spot, all: () => [unpacked, single, twoProcesses, twoHosts, served, spot] };
}
