/**
 * The example scripts that the training pipeline runs on SageMaker, run for real with the Python on
 * this machine under SageMaker's contracts: preprocess.py and evaluate.py as Processing jobs (fixed
 * /opt/ml/processing folders, overridden here by arguments), train.py in script mode (SM_CHANNEL_*,
 * SM_MODEL_DIR, hyperparameters.json with string values, checkpoints for managed spot). The PyTorch
 * source directory has its own file, test/example-scripts-pytorch.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  captured, FEATURES, MALFORMED_ROWS, preparedData, python, PythonRun, readJson, readRows, SCRIPTS, succeed, VALID_ROWS,
} from './helpers/example-scripts';

/** As SageMaker writes /opt/ml/input/config/hyperparameters.json: every value a string, its own settings JSON-encoded. */
const HYPERPARAMETERS = {
  n_estimators: '100', learning_rate: '0.1', max_depth: '5', checkpoint_every: '25',
  sagemaker_program: '"train.py"', sagemaker_region: '"us-east-1"',
};

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
    ({ work, preprocess } = preparedData());
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
});
