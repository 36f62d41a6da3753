/**
 * The detector core: baselines from CSV, capture decoding with every malformed kind, windows,
 * mergeable counts and reports.
 */
import { execFileSync } from 'child_process';
import * as fc from 'fast-check';
import { DriftAccumulator, mergePartials } from '../../lambda/drift-core/accumulator';
import { buildBaseline, parseBaseline } from '../../lambda/drift-core/baseline';
import { driftReport } from '../../lambda/drift-core/report';
import { Baseline, CategoricalBaseline, NumericBaseline } from '../../lambda/drift-core/types';
import { parseDecimal } from '../../lambda/drift-core/values';
import { joinKey } from '../../lambda/drift-core/capture';
import { quickJoinKey } from '../../lambda/drift-core/quality';
import { seededRandom as random } from '../helpers/random';

async function* fromLines(lines: string[]): AsyncGenerator<string> {
  for (const line of lines) yield line;
}

function baselineOf(csv: string, options: Parameters<typeof buildBaseline>[1] = {}) {
  const lines = csv.split('\n');
  return buildBaseline(() => fromLines(lines), { createdAt: '2026-12-01T00:00:00.000Z', ...options });
}

/** A capture record as SageMaker writes it (one JSON line). */
function capture(input: { data: string; encoding?: string; contentType?: string } | undefined,
  output?: { data: string; encoding?: string; contentType?: string }, time = '2026-12-01T10:15:00Z', eventId = 'e1'): string {
  const payload = (p: { data: string; encoding?: string; contentType?: string }, mode: string) => ({
    observedContentType: p.contentType ?? (p.encoding === 'JSON' ? 'application/json' : 'text/csv'), mode, data: p.data, encoding: p.encoding ?? 'CSV',
  });
  return JSON.stringify({
    captureData: {
      ...(input ? { endpointInput: payload(input, 'INPUT') } : {}),
      ...(output ? { endpointOutput: payload(output, 'OUTPUT') } : {}),
    },
    eventMetadata: { eventId, inferenceTime: time },
    eventVersion: '0',
  });
}

/** A training CSV: numeric age (some missing), categorical plan, numeric income, a label and a score column. */
function trainingCsv(rows: number, seed = 1): string {
  const rand = random(seed);
  const out = ['age,plan,income,churn,score'];
  for (let i = 0; i < rows; i++) {
    const age = rand() < 0.05 ? '' : String(18 + Math.floor(rand() * 60));
    const plan = ['basic', 'pro', 'team', 'enterprise'][Math.floor(rand() ** 2 * 4)];
    out.push(`${age},${plan},${(rand() * 1000).toFixed(2)},${rand() < 0.3 ? 1 : 0},${rand().toFixed(3)}`);
  }
  return out.join('\n') + '\n';
}

describe('baseline', () => {
  test('infers numeric and categorical features, leaves out the label and keeps the prediction apart', async () => {
    const { baseline } = await baselineOf(trainingCsv(500), { label: 'churn', prediction: 'score' });
    expect(baseline.features.map((f) => [f.name, f.type])).toEqual([['age', 'numeric'], ['plan', 'categorical'], ['income', 'numeric']]);
    expect(baseline.label).toBe('churn');
    expect(baseline.prediction).toMatchObject({ name: 'score', type: 'numeric' });
    expect(baseline).toMatchObject({ format: 'cdk-mlops/drift-baseline', schemaVersion: 1, rows: 500, settings: { fineBins: 100, psiBins: 10, maxCategories: 50, rawLimit: 5000 } });
  });

  test('edges, counts, moments and missing rates equal numpy on the same column', async () => {
    const csv = trainingCsv(3000, 2);
    const { baseline } = await baselineOf(csv, { label: 'churn', rawLimit: 100 });
    const columns = csv.trim().split('\n').slice(1).map((l) => l.split(','));
    const expected = JSON.parse(execFileSync('python3', ['-c', `
import json, sys
import numpy as np
c = json.load(sys.stdin)
out = {}
for name, raw in c.items():
    present = np.array([float(v) for v in raw if v != ''])
    e = np.unique(np.quantile(present, [k / 100 for k in range(1, 100)]))
    d = np.unique(np.quantile(present, [k / 10 for k in range(1, 10)]))
    out[name] = {'edges': e.tolist(), 'counts': np.bincount(np.searchsorted(e, present, side='left'), minlength=len(e) + 1).tolist(),
      'psiCounts': np.bincount(np.searchsorted(d, present, side='left'), minlength=len(d) + 1).tolist(),
      'mean': float(present.mean()), 'std': float(present.std()), 'min': float(present.min()), 'max': float(present.max()),
      'missingRate': 1 - len(present) / len(raw)}
print(json.dumps(out))`], { input: JSON.stringify({ age: columns.map((c) => c[0]), income: columns.map((c) => c[2]) }) }).toString());
    for (const name of ['age', 'income']) {
      const f = baseline.features.find((x) => x.name === name) as NumericBaseline;
      const e = expected[name];
      expect(f.edges.length).toBe(e.edges.length);
      f.edges.forEach((x, i) => expect(Math.abs(x - e.edges[i])).toBeLessThan(1e-9));
      expect(f.counts).toEqual(e.counts);
      expect(f.psiCounts).toEqual(e.psiCounts);
      expect(Math.abs(f.mean - e.mean)).toBeLessThan(1e-9);
      expect(Math.abs(f.std - e.std)).toBeLessThan(1e-9);
      expect([f.min, f.max]).toEqual([e.min, e.max]);
      expect(Math.abs(f.missingRate - e.missingRate)).toBeLessThan(1e-12);
      expect(f.values).toBeUndefined();
    }
  });

  test('categories past the cap share an "other" bucket, most frequent first', async () => {
    const csv = ['color', ...'aaaaabbbbcccdde'.split('')].join('\n');
    const { baseline } = await baselineOf(csv, { maxCategories: 2 });
    const f = baseline.features[0] as CategoricalBaseline;
    expect(f).toMatchObject({ type: 'categorical', categories: ['a', 'b'], counts: [5, 4, 6], otherValues: ['c', 'd', 'e'], otherValuesComplete: true });
  });

  test('a schema fixes order and types; a numeric column with text counts the text as a problem', async () => {
    const csv = 'zip,amount,y\n10115,3.5,1\n20095,x,0\n10115,4.5,1\n';
    const { baseline, problems } = await baselineOf(csv, {
      schema: { label: 'y', features: [{ name: 'amount', type: 'numeric' }, { name: 'zip', type: 'categorical' }] },
    });
    expect(baseline.features.map((f) => [f.name, f.type, f.count])).toEqual([['amount', 'numeric', 2], ['zip', 'categorical', 3]]);
    expect(problems).toEqual({ columnCount: 0, nonNumeric: 1 });
  });

  test('rows with a wrong column count are skipped and counted', async () => {
    const { baseline, problems } = await baselineOf('a,b\n1,2\n3\n4,5,6\n7,8\n');
    expect(baseline.rows).toBe(2);
    expect(problems.columnCount).toBe(2);
  });

  test('a sampled reservoir still counts every row into the bins', async () => {
    const { baseline } = await baselineOf(trainingCsv(5000, 3), { label: 'churn', reservoirSize: 500 });
    const income = baseline.features[2] as NumericBaseline;
    expect(income.counts.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(income.edges.length).toBe(99);
  });

  test('small columns keep their sorted values for exact KS and Wasserstein', async () => {
    const { baseline } = await baselineOf('x\n3\n1\n2\n');
    expect((baseline.features[0] as NumericBaseline).values).toEqual([1, 2, 3]);
  });

  test('fails on an empty CSV, an unknown label, schema features missing from the header, or bad PSI bins', async () => {
    await expect(baselineOf('')).rejects.toThrow(/empty: expected a header row/);
    await expect(baselineOf('a,b\n1,2\n', { label: 'target' })).rejects.toThrow(/label column 'target' is not in the CSV header \(a, b\)/);
    await expect(baselineOf('a,b\n1,2\n', { schema: { features: [{ name: 'c', type: 'numeric' }] } })).rejects.toThrow(/schema features missing from the CSV header: c/);
    await expect(baselineOf('a\n1\n', { psiBins: 7 })).rejects.toThrow(/psiBins \(7\) must be an integer of at least 2 that divides fineBins \(100\)/);
  });

  test('fails on a header with unnamed or repeated columns; a byte order mark is not part of the first name', async () => {
    await expect(baselineOf('a,,b,a,b\n1,2,3,4,5\n')).rejects.toThrow(/must name every column once .*: column\(s\) 2 have no name; repeated: a, b/);
    const { baseline } = await baselineOf('\uFEFFage,plan\n3,x\n');
    expect(baseline.features.map((f) => f.name)).toEqual(['age', 'plan']);
  });

  test('fails to read a document that is not a baseline of this version, naming the fix', () => {
    expect(() => parseBaseline('{"format":"cdk-mlops/drift-baseline","schemaVersion":2,"features":[{}]}', 'b.json')).toThrow(/b.json has schemaVersion 2; this detector reads 1: rebuild the baseline/);
    expect(() => parseBaseline('{}', 'b.json')).toThrow(/not a cdk-mlops drift baseline/);
    expect(() => parseBaseline('{', 'b.json')).toThrow(/b.json is not JSON/);
  });
});

describe('capture decoding', () => {
  let baseline: Baseline;
  beforeAll(async () => {
    baseline = (await baselineOf(trainingCsv(2000, 4), { label: 'churn', prediction: 'score' })).baseline;
  });

  function run(lines: string[], window?: { startMs: number; endMs: number }) {
    const accumulator = new DriftAccumulator(baseline, { window });
    lines.forEach((line, i) => accumulator.addLine(line, 'capture.jsonl', i + 1));
    return accumulator.toPartial();
  }

  test('counts every malformed kind, keeps samples, and goes on with the good rows', () => {
    const lines = [
      capture({ data: '30,pro,100.5' }, { data: '0.7' }),
      '{"captureData":{"endpointInput":{"data":"30,pro',
      JSON.stringify({ eventMetadata: { eventId: 'x', inferenceTime: '2026-12-01T10:00:00Z' } }),
      capture({ data: Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x10]).toString('base64'), encoding: 'BASE64', contentType: 'image/jpeg' }),
      capture({ data: '' }),
      capture({ data: '30,pro' }),
      capture({ data: 'thirty,pro,100' }),
      capture({ data: '30,platinum,100' }),
      capture({ data: '31,basic,5' }, { data: '{"unexpected":true}', encoding: 'JSON' }),
    ];
    const partial = run(lines);
    expect(partial.malformed).toEqual({
      truncatedJson: 1, missingFields: 1, undecodablePayload: 1, emptyPayload: 1, columnCount: 1, nonNumeric: 1, unknownCategory: 1, badPrediction: 1,
    });
    expect(partial.records).toBe(9);
    // Rows: the good one, 'thirty' (a row with one bad value), 'platinum' (unknown category) and the bad-prediction one.
    expect(partial.rows).toBe(4);
    expect(partial.samples.truncatedJson).toEqual([{ source: 'capture.jsonl', line: 2, sample: lines[1] }]);
    expect(partial.features[0]).toMatchObject({ type: 'numeric', nonNumeric: 1 });
    expect(partial.features[1]).toMatchObject({ type: 'categorical', unknown: 1 });
  });

  test('a CSV batch in one request is one row per line; JSON objects, instances, arrays and JSON Lines are rows too', () => {
    const partial = run([
      capture({ data: '30,pro,1\n40,team,2\r\n50,basic,3\n' }, { data: '0.1\n0.2\n0.3' }),
      capture({ data: JSON.stringify({ age: 22, plan: 'pro', income: 9 }), encoding: 'JSON' }, { data: '{"predictions":[{"score":0.4}]}', encoding: 'JSON' }),
      capture({ data: JSON.stringify({ instances: [[1, 'pro', 2], { features: [3, 'team', 4] }] }), encoding: 'JSON' }, { data: '[0.5, 0.6]', encoding: 'JSON' }),
      capture({ data: '{"age":5,"plan":"pro","income":1}\n{"age":6,"plan":"pro"}', encoding: 'JSON', contentType: 'application/jsonlines' }),
      capture({ data: Buffer.from('60,enterprise,7').toString('base64'), encoding: 'BASE64', contentType: 'text/csv' }),
      capture({ data: Buffer.from('{"age":70,"plan":"basic","income":8}').toString('base64'), encoding: 'BASE64', contentType: 'application/json' }),
    ]);
    expect(partial.rows).toBe(10);
    expect(Object.values(partial.malformed).every((n) => n === 0)).toBe(true);
    const total = (i: number) => partial.features[i].counts.reduce((a, b) => a + b, 0);
    expect([total(0), total(1), total(2)]).toEqual([10, 10, 9]);
    // The JSON Lines row without income counts as missing there.
    expect(partial.features[2].missing).toBe(1);
    expect(partial.prediction!.counts.reduce((a, b) => a + b, 0)).toBe(6);
  });

  test('a window keeps records whose inferenceTime is in [start, end) and counts the others apart', () => {
    const window = { startMs: Date.parse('2026-12-01T10:00:00Z'), endMs: Date.parse('2026-12-01T11:00:00Z') };
    const partial = run([
      capture({ data: '30,pro,1' }, undefined, '2026-12-01T09:59:59.999Z'),
      capture({ data: '30,pro,1' }, undefined, '2026-12-01T10:00:00Z'),
      capture({ data: '30,pro,1' }, undefined, '2026-12-01T10:59:59Z'),
      capture({ data: '30,pro,1' }, undefined, '2026-12-01T11:00:00Z'),
      capture({ data: '30,pro,1' }, undefined, 'not a time'),
    ], window);
    expect(partial).toMatchObject({ records: 3, rows: 2, outsideWindow: 2 });
    expect(partial.malformed.missingFields).toBe(1);
  });

  test('too few rows reports no statistics; no records reports no data', () => {
    const few = driftReport(baseline, run([capture({ data: '30,pro,1' })]), { thresholds: { minRows: 2 } });
    expect(few).toMatchObject({ status: 'tooFewRows', rows: 1, minRows: 2 });
    expect(few.features[0].psi).toBeUndefined();
    expect(few.dataset).toBeUndefined();
    expect(driftReport(baseline, run([])).status).toBe('noData');
  });

  test('a window like the baseline has no drift; a shifted one drifts, with the prediction too', () => {
    const rand = random(5);
    const same: string[] = [];
    const shifted: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const plan = ['basic', 'pro', 'team', 'enterprise'][Math.floor(rand() ** 2 * 4)];
      same.push(capture({ data: `${18 + Math.floor(rand() * 60)},${plan},${(rand() * 1000).toFixed(2)}` }, { data: rand().toFixed(3) }));
      shifted.push(capture({ data: `${50 + Math.floor(rand() * 40)},enterprise,${(rand() * 1000).toFixed(2)}` }, { data: (rand() ** 3).toFixed(3) }));
    }
    const calm = driftReport(baseline, run(same));
    expect(calm.status).toBe('ok');
    expect(calm.features.every((f) => f.psi! < 0.1)).toBe(true);
    expect(calm.dataset).toEqual({ features: 3, drifted: 0, driftedShare: 0, datasetDrift: false });
    const drifted = driftReport(baseline, run(shifted));
    expect(drifted.features.map((f) => f.drifted)).toEqual([true, true, false]);
    expect(drifted.dataset).toMatchObject({ drifted: 2, datasetDrift: true });
    expect(drifted.prediction!.psi).toBeGreaterThan(0.25);
    expect(drifted.features[1].chiSquarePValue).toBeLessThan(1e-6);
  });

  test('merging partial counts of any split of the lines gives the counts of reading them at once (property)', () => {
    const rand = random(6);
    const lines = Array.from({ length: 300 }, (_, i) => i % 37 === 0
      ? '{"truncated'
      : capture({ data: `${Math.floor(rand() * 90)},${['basic', 'pro', 'gold'][i % 3]},${(rand() * 2000).toFixed(1)}` }, { data: rand().toFixed(2) }));
    const whole = run(lines);
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: lines.length }), { maxLength: 6 }), (cuts) => {
      const bounds = [0, ...cuts.sort((a, b) => a - b), lines.length];
      const parts = bounds.slice(1).map((end, i) => run(lines.slice(bounds[i], end)));
      const merged = mergePartials(baseline, parts.reverse());
      expect(merged.records).toBe(whole.records);
      expect(merged.malformed).toEqual(whole.malformed);
      merged.features.forEach((f, i) => {
        expect(f.counts).toEqual(whole.features[i].counts);
        expect(f.missing).toBe(whole.features[i].missing);
      });
      expect(driftReport(baseline, merged).features.map((f) => f.psi)).toEqual(driftReport(baseline, whole).features.map((f) => f.psi));
    }), { numRuns: 40, seed: 12 });
  });

  test('small windows on a small baseline use the raw values (exact); beyond the raw limit, the bins with a bound', async () => {
    const small = (await baselineOf('x\n' + Array.from({ length: 300 }, (_, i) => String(i % 97)).join('\n'))).baseline;
    const lines = Array.from({ length: 200 }, (_, i) => capture({ data: String((i * 7) % 120) }));
    const exact = new DriftAccumulator(small, { rawLimit: 500 });
    const binned = new DriftAccumulator(small, { rawLimit: 100 });
    lines.forEach((l, i) => { exact.addLine(l, 'c', i); binned.addLine(l, 'c', i); });
    const e = driftReport(small, exact.toPartial()).features[0];
    const b = driftReport(small, binned.toPartial()).features[0];
    expect(e).toMatchObject({ ksExact: true, ksBound: 0, wassersteinBound: 0 });
    expect(b.ksExact).toBe(false);
    expect(e.ks!).toBeGreaterThanOrEqual(b.ks! - 1e-12);
    expect(e.ks!).toBeLessThanOrEqual(b.ks! + b.ksBound! + 1e-12);
    expect(e.wasserstein!).toBeGreaterThanOrEqual(b.wasserstein! - 1e-9);
    expect(e.wasserstein!).toBeLessThanOrEqual(b.wasserstein! + b.wassersteinBound! + 1e-9);
  });
});

describe('fast paths', () => {
  test('parseDecimal reads a number exactly as +text does, or declines with NaN (property)', () => {
    const decimal = fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{0,20}$/), fc.constantFrom('', '.'), fc.stringMatching(/^[0-9]{0,25}$/))
      .map(([sign, int, dot, frac]) => `${sign}${int}${dot}${frac}`);
    const anything = fc.oneof(decimal, fc.string(), fc.double().map(String), fc.constantFrom('1e5', ' 3', '0x1f', '.', '-', 'Infinity', '1.5.2'));
    fc.assert(fc.property(anything, fc.string({ maxLength: 3 }), (text, pad) => {
      const line = `${pad}${text}${pad}`;
      const x = parseDecimal(line, pad.length, pad.length + text.length);
      if (Number.isNaN(x)) return true;
      return Object.is(x, +text);
    }), { numRuns: 5000, seed: 13 });
    expect(parseDecimal('a,-12.50,b', 2, 8)).toBe(-12.5);
    expect(parseDecimal('1e5', 0, 3)).toBeNaN();
    expect(parseDecimal('12345678901234567890', 0, 20)).toBeNaN();
  });

  test('CSV rows with quoted fields take the general path and count the same', async () => {
    const { baseline } = await baselineOf('name,score\n"Smith, J",1\nLee,2\n"O""Neil",3\n');
    const accumulator = new DriftAccumulator(baseline);
    accumulator.addLine(capture({ data: '"Smith, J",1\nLee,2.5\n"O""Neil",x\n"a,b,c' }), 'c', 1);
    const partial = accumulator.toPartial();
    expect(partial.rows).toBe(3);
    expect(partial.malformed).toMatchObject({ columnCount: 1, nonNumeric: 1, unknownCategory: 0 });
    expect((partial.features[0] as any).counts).toEqual([1, 1, 1, 0]);
  });
});

test('the quick join key of a capture line is the parsed one, or undefined (then the line is parsed)', () => {
  const lines = [
    capture({ data: '1,2' }, undefined, '2026-12-01T10:00:00Z', 'ev-1'),
    JSON.stringify({ captureData: { endpointInput: { data: '{"eventId":"fake"}', encoding: 'JSON' } }, eventMetadata: { eventId: 'ev-2', inferenceId: 'inf-2' } }),
    JSON.stringify({ eventMetadata: { inferenceId: 'inf-3', eventId: 'ev-3' } }),
    '{"eventMetadata": {"inferenceId": "inf-4", "eventId":"ev-4"}}',
    JSON.stringify({ eventMetadata: { eventId: 'with "quote"' } }),
    JSON.stringify({ captureData: {} }),
  ];
  const quick = lines.map(quickJoinKey);
  expect(quick).toEqual(['ev-1', 'inf-2', 'inf-3', undefined, undefined, undefined]);
  const known = lines.filter((_, i) => quick[i] !== undefined);
  expect(known.map((l) => joinKey(JSON.parse(l)))).toEqual(quick.filter((k) => k !== undefined));
});
