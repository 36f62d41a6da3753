/**
 * The `mlops` CLI as users run it: the bundled assets/cli/mlops.js (package.json `bin`, built by
 * scripts/bundle-handlers.mjs in the test setup) as a child process, on temporary files.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/app';

const CLI = path.join(ROOT, 'assets', 'cli', 'mlops.js');
let dir: string;

function mlops(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function capture(data: string, time = '2026-12-01T10:00:00Z'): string {
  return JSON.stringify({
    captureData: { endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data, encoding: 'CSV' } },
    eventMetadata: { eventId: 'e', inferenceTime: time },
    eventVersion: '0',
  });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlops-cli-'));
  const train = ['tenure,plan,churned', ...Array.from({ length: 1000 }, (_, i) => `${i % 48},${['basic', 'pro'][i % 2]},${i % 3 === 0 ? 1 : 0}`)];
  writeFileSync(path.join(dir, 'train.csv'), train.join('\n') + '\n');
  mkdirSync(path.join(dir, 'capture', '2026', '12', '01', '10'), { recursive: true });
  const same = Array.from({ length: 300 }, (_, i) => capture(`${(i * 5) % 48},${['basic', 'pro'][i % 2]}`));
  writeFileSync(path.join(dir, 'capture', '2026', '12', '01', '10', 'a.jsonl'), [...same, '{"captureData":', capture('1,pro,extra')].join('\n') + '\n');
  const shifted = Array.from({ length: 300 }, (_, i) => capture(`${40 + (i % 30)},gold`, '2026-12-01T11:00:00Z'));
  writeFileSync(path.join(dir, 'shifted.jsonl'), shifted.join('\n') + '\n');
  writeFileSync(path.join(dir, 'schema.json'), JSON.stringify({ label: 'churned', features: [{ name: 'plan', type: 'categorical' }, { name: 'tenure', type: 'categorical' }] }));
  expect(mlops('drift', 'baseline', 'train.csv', '--label', 'churned', '--out', 'checked-baseline.json').status).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the bundled CLI is an executable node script', () => {
  expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  expect(statSync(CLI).mode & 0o111).toBe(0o111);
  expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin).toEqual({ mlops: 'assets/cli/mlops.js' });
  // It runs where the package is installed without its dev dependencies: Node's own modules only.
  const required = [...readFileSync(CLI, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  expect(required.length).toBeGreaterThan(0);
  expect(required.filter((m) => !m.startsWith('node:'))).toEqual([]);
});

test('drift baseline writes a versioned baseline without the label column', () => {
  const result = mlops('drift', 'baseline', 'train.csv', '--label', 'churned', '--out', 'baseline.json');
  expect(result).toMatchObject({ status: 0, stdout: '' });
  expect(result.stderr).toBe('baseline of 1000 rows, 2 features written to baseline.json\n');
  const baseline = JSON.parse(readFileSync(path.join(dir, 'baseline.json'), 'utf8'));
  expect(baseline).toMatchObject({ format: 'cdk-mlops/drift-baseline', schemaVersion: 1, label: 'churned', source: 'train.csv' });
  expect(baseline.features.map((f: any) => [f.name, f.type])).toEqual([['tenure', 'numeric'], ['plan', 'categorical']]);
});

test('drift baseline follows a schema and prints to stdout without --out', () => {
  const result = mlops('drift', 'baseline', 'train.csv', '--schema', 'schema.json');
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout).features.map((f: any) => [f.name, f.type])).toEqual([['plan', 'categorical'], ['tenure', 'categorical']]);
});

test('drift check prints a table with the statistics and the malformed-line counts', () => {
  const result = mlops('drift', 'check', 'checked-baseline.json', 'capture');
  expect(result.status).toBe(0);
  const lines = result.stdout.split('\n');
  expect(lines[0]).toBe('records 302, rows 300, files 1');
  expect(lines[2]).toMatch(/^feature\s+type\s+rows\s+missing\s+PSI\s+JS\s+KS\s+Wasserstein\s+chi2 p\s+drifted$/);
  expect(lines[3]).toMatch(/^tenure\s+numeric\s+300\s+0\.0%\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+-\s+no$/);
  expect(lines[4]).toMatch(/^plan\s+categorical\s+300\s+0\.0%/);
  expect(result.stdout).toContain('drifted features: 0 of 2 (share 0.00, dataset drift: no)\nmalformed lines: 2\n  truncatedJson: 1\n  columnCount: 1\n');
});

test('drift check --json prints the detector\'s report; --fail-on-drift exits 2 when the dataset drifted', () => {
  const calm = mlops('drift', 'check', 'checked-baseline.json', 'capture', '--json', '--fail-on-drift');
  expect(calm.status).toBe(0);
  expect(JSON.parse(calm.stdout)).toMatchObject({ schemaVersion: 1, status: 'ok', rows: 300, malformed: { truncatedJson: 1, columnCount: 1, total: 2 } });
  const drifted = mlops('drift', 'check', 'checked-baseline.json', 'shifted.jsonl', '--json', '--fail-on-drift');
  expect(drifted.status).toBe(2);
  const report = JSON.parse(drifted.stdout);
  expect(report.dataset).toEqual({ features: 2, drifted: 2, driftedShare: 1, datasetDrift: true });
  expect(report.malformed.unknownCategory).toBe(300);
});

test('drift check reports too few rows, and --start/--end keep a window of inferenceTime', () => {
  const few = mlops('drift', 'check', 'checked-baseline.json', 'shifted.jsonl', '--min-rows', '500');
  expect(few.stdout).toContain('too few rows: 300 (minimum 500), no statistics');
  const none = JSON.parse(mlops('drift', 'check', 'checked-baseline.json', 'shifted.jsonl', '--json', '--end', '2026-12-01T11:00:00Z').stdout);
  expect(none).toMatchObject({ records: 0, outsideWindow: 300, status: 'noData' });
});

test('fails with status 1 and a message on bad input', () => {
  writeFileSync(path.join(dir, 'bad-schema.json'), '{"features": [{"name": "x", "type": "text"}]}');
  expect(mlops('drift', 'baseline', 'train.csv', '--schema', 'bad-schema.json')).toMatchObject({
    status: 1, stderr: 'mlops: the schema bad-schema.json needs "features": [{"name": "...", "type": "numeric" | "categorical"}, ...]\n',
  });
  expect(mlops('drift', 'check', 'train.csv', 'capture')).toMatchObject({ status: 1, stderr: expect.stringContaining('mlops: train.csv is not JSON') });
  expect(mlops('drift', 'check', 'checked-baseline.json', 'capture', '--min-rows', 'many')).toMatchObject({
    status: 1, stderr: expect.stringContaining("argument 'many' is invalid. expected a whole number of at least 1"),
  });
  expect(mlops('drift', 'baseline', 'missing.csv').stderr).toContain('mlops: ENOENT');
});
