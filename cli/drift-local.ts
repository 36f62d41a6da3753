/**
 * The drift detector's core on a developer's machine:
 *   mlops drift baseline <train.csv> [--schema f] [--label c] [--prediction c] [--out f]
 *   mlops drift check <baseline.json> <capture-dir-or-file> [--json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { buildBaseline, parseBaseline } from '../lambda/drift-core/baseline';
import { fileLines } from '../lambda/drift-core/lines';
import { checkLocal } from '../lambda/drift-core/local';
import { DriftReport, FeatureDrift, FeatureSchema, MALFORMED_KINDS } from '../lambda/drift-core/types';

/** Exit status of `drift check --fail-on-drift` when the dataset drifted. */
export const EXIT_DRIFT = 2;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got '${value}'`);
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number of at least 0, got '${value}'`);
  return n;
}

function isoTime(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`expected an ISO 8601 time, got '${value}'`);
  return t;
}

function readSchema(path: string): FeatureSchema {
  let doc: any;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the schema ${path}: ${(e as Error).message}`);
  }
  const ok = Array.isArray(doc?.features) && doc.features.length > 0
    && doc.features.every((f: any) => typeof f?.name === 'string' && (f.type === 'numeric' || f.type === 'categorical'));
  if (!ok) throw new Error(`the schema ${path} needs "features": [{"name": "...", "type": "numeric" | "categorical"}, ...]`);
  return doc as FeatureSchema;
}

const fixed = (n: number | undefined, digits = 4) => (n === undefined ? '-' : n.toFixed(digits));

/** The report as aligned text columns. */
export function formatReport(report: DriftReport): string {
  const rows: string[][] = [['feature', 'type', 'rows', 'missing', 'PSI', 'JS', 'KS', 'Wasserstein', 'chi2 p', 'drifted']];
  const line = (f: FeatureDrift, name = f.name) => rows.push([
    name, f.type, String(f.rows), `${(f.missingRate * 100).toFixed(1)}%`, fixed(f.psi), fixed(f.jensenShannon),
    f.ks === undefined ? '-' : `${fixed(f.ks)}${f.ksExact ? '' : ` (+${fixed(f.ksBound, 3)})`}`,
    f.wasserstein === undefined ? '-' : `${fixed(f.wasserstein)}${f.ksExact ? '' : ` (+${fixed(f.wassersteinBound, 3)})`}`,
    f.chiSquarePValue === undefined ? '-' : f.chiSquarePValue.toExponential(2), f.drifted === undefined ? '-' : f.drifted ? 'yes' : 'no',
  ]);
  report.features.forEach((f) => line(f));
  if (report.prediction) line(report.prediction, `${report.prediction.name} (prediction)`);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
  const status = report.status === 'ok'
    ? `drifted features: ${report.dataset!.drifted} of ${report.dataset!.features} (share ${report.dataset!.driftedShare.toFixed(2)}, dataset drift: ${report.dataset!.datasetDrift ? 'yes' : 'no'})`
    : report.status === 'tooFewRows' ? `too few rows: ${report.rows} (minimum ${report.minRows}), no statistics` : 'no data';
  const malformed = MALFORMED_KINDS.filter((k) => report.malformed[k] > 0).map((k) => `  ${k}: ${report.malformed[k]}`);
  return [
    `records ${report.records}, rows ${report.rows}, files ${report.objects}${report.outsideWindow ? `, outside the window ${report.outsideWindow}` : ''}`,
    '',
    ...table,
    '',
    status,
    `malformed lines: ${report.malformed.total}`,
    ...malformed,
    ...(report.status === 'ok' ? ['(KS and Wasserstein from bins: the exact value is within +bound)'] : []),
  ].join('\n') + '\n';
}

/** Adds `baseline` and `check` to the `drift` command. */
export function localDriftCommands(drift: Command): void {

  drift.command('baseline')
    .description('compute a drift baseline from a training CSV with a header row')
    .argument('<train.csv>', 'training data')
    .option('--schema <file>', 'FeatureSchema JSON: {"features": [{"name", "type": "numeric" | "categorical"}], "label"?, "prediction"?}')
    .option('--label <column>', 'label column, left out of the features')
    .option('--prediction <column>', 'column with the model\'s predictions, kept as the prediction distribution')
    .option('--max-categories <n>', 'categories kept by name per feature, the rest are "other"', positiveInteger)
    .option('--out <file>', 'write the baseline here instead of stdout')
    .action(async (train: string, options: { schema?: string; label?: string; prediction?: string; maxCategories?: number; out?: string }) => {
      const { baseline, problems } = await buildBaseline(() => fileLines(train), {
        schema: options.schema ? readSchema(options.schema) : undefined,
        label: options.label,
        prediction: options.prediction,
        maxCategories: options.maxCategories,
        source: train,
      });
      const text = JSON.stringify(baseline, null, 2) + '\n';
      if (options.out) writeFileSync(options.out, text); else process.stdout.write(text);
      const skipped = problems.columnCount + problems.nonNumeric;
      process.stderr.write(`baseline of ${baseline.rows} rows, ${baseline.features.length} features${options.out ? ` written to ${options.out}` : ''}`
        + `${skipped ? `; skipped: ${problems.columnCount} rows with a wrong column count, ${problems.nonNumeric} non-numeric values` : ''}\n`);
    });

  drift.command('check')
    .description('compare captured data (SageMaker data capture JSON lines) with a baseline')
    .argument('<baseline.json>', 'baseline from `mlops drift baseline`')
    .argument('<capture>', 'a capture file, or a folder read recursively')
    .option('--json', 'print the report as JSON')
    .option('--min-rows <n>', 'fewer rows report "too few rows"', positiveInteger, 100)
    .option('--psi-threshold <x>', 'a feature drifted at this PSI', nonNegative, 0.25)
    .option('--drift-share <x>', 'dataset drift at this share of drifted features', nonNegative, 0.5)
    .option('--start <time>', 'only records with inferenceTime at or after this', isoTime)
    .option('--end <time>', 'only records with inferenceTime before this', isoTime)
    .option('--fail-on-drift', `exit with status ${EXIT_DRIFT} when the dataset drifted`)
    .action(async (baselinePath: string, capture: string, options: {
      json?: boolean; minRows: number; psiThreshold: number; driftShare: number; start?: number; end?: number; failOnDrift?: boolean;
    }) => {
      const baseline = parseBaseline(readFileSync(baselinePath, 'utf8'), baselinePath);
      const window = options.start !== undefined || options.end !== undefined
        ? { startMs: options.start ?? -Infinity, endMs: options.end ?? Infinity }
        : undefined;
      const report = await checkLocal(baseline, capture, { window }, {
        thresholds: { minRows: options.minRows, featureDriftPsi: options.psiThreshold, datasetDriftShare: options.driftShare },
      });
      process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      if (options.failOnDrift && report.dataset?.datasetDrift) process.exitCode = EXIT_DRIFT;
    });
}
