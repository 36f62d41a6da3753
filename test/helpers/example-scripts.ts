/**
 * Running the example scripts (examples/training/) with the Python on this machine: shared by the
 * scikit-learn scripts' test (test/example-scripts.test.ts) and the PyTorch source directory's
 * (test/helpers/torch-jobs.ts), which all train on the dataset that make_dataset.py and preprocess.py write.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './app';

export const EXAMPLE = path.join(ROOT, 'examples', 'training');
export const SCRIPTS = path.join(EXAMPLE, 'scripts');
const PYTHON_TIMEOUT = 30_000;
/** What make_dataset.py writes with its defaults: 2000 valid rows and one malformed row of each of 10 kinds. */
export const VALID_ROWS = 2000;
export const MALFORMED_ROWS = 10;
export const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];
/** The regexes of the training job's metric definitions. */
const METRIC_REGEXES = {
  'validation:auc': /validation:auc=([0-9.]+)/g,
  'validation:accuracy': /validation:accuracy=([0-9.]+)/g,
  'train:loss': /train:loss=([0-9.]+)/g,
};

export interface PythonRun { status: number | null; stdout: string; stderr: string }

/** The environment without SM_* variables, so none leak in from the shell. */
export function withoutSageMakerVariables(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SM_')));
}

/** Runs python3 with only the environment given (no SM_* variables leak in from the shell). */
export function python(args: string[], env: Record<string, string> = {}): PythonRun {
  const result = spawnSync('python3', args, {
    encoding: 'utf8', timeout: PYTHON_TIMEOUT, env: { ...withoutSageMakerVariables(), ...env },
  });
  if (result.error) throw new Error(`python3 ${args.join(' ')} did not run: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a script that must succeed, and fails with its own output when it does not. */
export function succeed(args: string[], env: Record<string, string> = {}): PythonRun {
  const run = python(args, env);
  if (run.status !== 0) throw new Error(`python3 ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

export function requirePythonDependencies(): void {
  const check = python(['-c', 'import numpy, sklearn, joblib']);
  if (check.status !== 0) {
    throw new Error(`the example scripts' Python packages are missing; run scripts/ensure-python-deps.sh (npm test runs it first):\n${check.stderr}`);
  }
}

/** Every value of a metric that the metric definition's regex captures in a log. */
export function captured(log: string, metric: keyof typeof METRIC_REGEXES): number[] {
  return [...log.matchAll(METRIC_REGEXES[metric])].map((match) => Number(match[1]));
}

export function readRows(file: string): number[][] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(',').map(Number));
}

export function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A work folder with make_dataset.py's data under raw/ and preprocess.py's splits under processed/. */
export function preparedData(): { work: string; preprocess: PythonRun } {
  requirePythonDependencies();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-scripts-'));
  fs.mkdirSync(path.join(work, 'raw'));
  succeed([path.join(EXAMPLE, 'data', 'make_dataset.py'), '--output', path.join(work, 'raw', 'customers.csv')]);
  const preprocess = succeed([path.join(SCRIPTS, 'preprocess.py'),
    '--input-dir', path.join(work, 'raw'), '--output-dir', path.join(work, 'processed'),
    '--validation-fraction', '0.15', '--test-fraction', '0.15', '--seed', '7']);
  return { work, preprocess };
}
