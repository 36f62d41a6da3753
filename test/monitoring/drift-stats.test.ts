/**
 * The detector's statistics against numpy and scipy run by the Python here, on the same data:
 * bin-based statistics to 1e-9 on the same bin counts, KS and Wasserstein exactly on raw samples
 * and within the reported bound when computed from bins.
 */
import { execFileSync } from 'child_process';
import * as fc from 'fast-check';
import { binIndex, coarsen, fineToCoarse, quantile } from '../../lambda/drift-core/bins';
import {
  chiSquare, chiSquareSurvival, jensenShannon, ksBinned, ksExact, psi, wassersteinBinned, wassersteinExact,
} from '../../lambda/drift-core/stats';
import { seededRandom as random } from '../helpers/random';

/**
 * numpy/scipy's answers, from one Python process for the whole file (importing scipy takes a second
 * or two): each test registers its snippet and cases when the file loads (`python(body, cases)`), and
 * reads what its snippet printed, as JSON, once beforeAll has run them all.
 */
const snippets: { body: string; cases: unknown }[] = [];
let answers: string[] | undefined;

function python(body: string, cases: unknown): () => any {
  const index = snippets.push({ body, cases }) - 1;
  return () => {
    if (!answers) throw new Error('the Python snippets have not run (beforeAll)');
    return JSON.parse(answers[index]);
  };
}

/** Runs every snippet with its own `cases` in one interpreter, each with a fresh namespace, and returns what each printed. */
function runSnippets(): string[] {
  const driver = `import contextlib, io, json, sys
import numpy as np
from scipy import stats
from scipy.spatial import distance
printed = []
for job in json.load(sys.stdin):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(job['body'], {'json': json, 'np': np, 'stats': stats, 'distance': distance, 'cases': job['cases']})
    printed.append(out.getvalue())
json.dump(printed, sys.stdout)`;
  return JSON.parse(execFileSync('python3', ['-c', driver], { input: JSON.stringify(snippets), maxBuffer: 256 << 20 }).toString());
}

beforeAll(() => { answers = runSnippets(); }, 120_000);

function normal(rand: () => number, mean = 0, sd = 1): number {
  return mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Bin-count pairs: random sizes and counts, including empty bins on either side. */
function countPairs(n: number, seed: number): { p: number[]; q: number[] }[] {
  const rand = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const bins = 2 + Math.floor(rand() * 20);
    const draw = () => Array.from({ length: bins }, () => (rand() < 0.15 ? 0 : Math.floor(rand() * (i % 2 ? 50 : 100_000))));
    const p = draw();
    const q = draw();
    p[0] += 1;
    q[bins - 1] += 1;
    return { p, q };
  });
}

const NUMPY_BINNED = `
eps = 0.0001
def filled(c):
    c = np.asarray(c, dtype=float)
    p = c / c.sum()
    p[p == 0] = eps
    return p
out = []
for case in cases:
    p, q = filled(case['p']), filled(case['q'])
    psi = float(np.sum((q - p) * np.log(q / p)))
    js = float(distance.jensenshannon(p, q))
    obs = np.asarray(case['q'], dtype=float)
    exp = p / p.sum() * obs.sum()
    chi = stats.chisquare(obs, f_exp=exp)
    out.append({'psi': psi, 'js': js, 'chi': float(chi.statistic), 'pvalue': float(chi.pvalue)})
print(json.dumps(out))
`;

describe('bin-based statistics', () => {
  // GIVEN 200 pairs of bin counts, some bins empty
  const binnedCases = countPairs(200, 7);
  const numpyBinned = python(NUMPY_BINNED, binnedCases);
  const survivalCases: { x: number; df: number }[] = [];
  for (const df of [1, 2, 3, 5, 9, 10, 49, 50, 200]) for (const x of [0.01, 0.5, 1, 3, df, 2 * df, 5 * df + 20, 400]) survivalCases.push({ x, df });
  const scipySurvival = python('print(json.dumps([float(stats.chi2.sf(c["x"], c["df"])) for c in cases]))', survivalCases);

  test('PSI, Jensen-Shannon and chi-square equal numpy/scipy to 1e-9 on the same bin counts', () => {
    const cases = binnedCases;
    // WHEN both compute the statistics
    const expected = numpyBinned();
    // THEN they agree
    cases.forEach(({ p, q }, i) => {
      expect(Math.abs(psi(p, q) - expected[i].psi)).toBeLessThan(1e-9);
      expect(Math.abs(jensenShannon(p, q) - expected[i].js)).toBeLessThan(1e-9);
      const chi = chiSquare(p, q);
      expect(Math.abs(chi.statistic - expected[i].chi)).toBeLessThan(1e-9 * Math.max(1, expected[i].chi));
      expect(Math.abs(chi.pValue - expected[i].pvalue)).toBeLessThan(1e-9);
    });
  });

  test('the chi-square survival function equals scipy.stats.chi2.sf across statistics and degrees of freedom', () => {
    const expected = scipySurvival();
    expect(expected).toHaveLength(survivalCases.length);
    survivalCases.forEach(({ x, df }, i) => expect(Math.abs(chiSquareSurvival(x, df) - expected[i])).toBeLessThan(1e-9));
  });

  test('identical distributions have no drift, and PSI grows with a shift', () => {
    expect(psi([10, 20, 30], [20, 40, 60])).toBeCloseTo(0, 12);
    expect(jensenShannon([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 7);
    expect(chiSquare([10, 20, 30], [10, 20, 30]).pValue).toBeCloseTo(1, 12);
    expect(psi([50, 50], [60, 40])).toBeLessThan(psi([50, 50], [80, 20]));
  });

  test('the statistics are symmetric where they should be (property)', () => {
    const counts = fc.array(fc.nat({ max: 1000 }), { minLength: 2, maxLength: 12 });
    fc.assert(fc.property(counts, counts, (a, b) => {
      const n = Math.min(a.length, b.length);
      const p = a.slice(0, n);
      const q = b.slice(0, n);
      p[0]++;
      q[0]++;
      expect(Math.abs(psi(p, q) - psi(q, p))).toBeLessThan(1e-9);
      expect(Math.abs(jensenShannon(p, q) - jensenShannon(q, p))).toBeLessThan(1e-12);
      expect(jensenShannon(p, q)).toBeLessThanOrEqual(Math.sqrt(Math.log(2)) + 1e-12);
    }), { numRuns: 200, seed: 11 });
  });
});

describe('KS and Wasserstein', () => {
  /** Two samples per case: normal baseline, shifted or scaled window; some with ties (rounded). */
  function samplePairs(seed: number, sizes: [number, number][], ties = false): { a: number[]; b: number[] }[] {
    const rand = random(seed);
    return sizes.map(([n1, n2], i) => {
      const round = ties ? (x: number) => Math.round(x * 4) / 4 : (x: number) => x;
      const a = Array.from({ length: n1 }, () => round(normal(rand)));
      const b = Array.from({ length: n2 }, () => round(normal(rand, (i % 4) * 0.3, 1 + (i % 2) * 0.5)));
      return { a: a.sort((x, y) => x - y), b: b.sort((x, y) => x - y) };
    });
  }

  const SCIPY_RAW = `print(json.dumps([{'ks': float(stats.ks_2samp(c['a'], c['b']).statistic),
  'w': float(stats.wasserstein_distance(c['a'], c['b'])), 'std': float(np.std(c['a']))} for c in cases]))`;

  const rawCases = [
    ...samplePairs(3, [[1, 1], [5, 3], [50, 80], [500, 200], [2000, 1500], [3, 700], [1000, 1000], [37, 41]]),
    ...samplePairs(4, [[40, 30], [500, 700], [2000, 100]], true),
  ];
  const scipyRaw = python(SCIPY_RAW, rawCases);
  // Large continuous samples, and samples with ties, to be binned on the baseline's percentile edges.
  const continuousCases = samplePairs(5, [[20_000, 5000], [10_000, 10_000], [6000, 30_000], [20_000, 2000], [15_000, 7000], [8000, 8000]]);
  const scipyContinuous = python(SCIPY_RAW, continuousCases);
  const tiedCases = samplePairs(6, [[20_000, 5000], [10_000, 3000], [5000, 20_000]], true);
  const scipyTied = python(SCIPY_RAW, tiedCases);

  test('on raw samples they equal scipy.stats.ks_2samp and wasserstein_distance', () => {
    const cases = rawCases;
    const expected = scipyRaw();
    cases.forEach(({ a, b }, i) => {
      expect(Math.abs(ksExact(a, b) - expected[i].ks)).toBeLessThan(1e-12);
      expect(Math.abs(wassersteinExact(a, b) - expected[i].w)).toBeLessThan(1e-9);
    });
  });

  /** The KS and Wasserstein of two samples from bins on the first one's percentile edges, as the detector computes them. */
  function binned({ a, b }: { a: number[]; b: number[] }) {
    const edges = [...new Set(Array.from({ length: 99 }, (_, k) => quantile(a, (k + 1) / 100)))];
    const bin = (values: number[]) => {
      const counts = new Array(edges.length + 1).fill(0);
      const sums = new Array(edges.length + 1).fill(0);
      for (const x of values) {
        counts[binIndex(edges, x)]++;
        sums[binIndex(edges, x)] += x;
      }
      return { counts, sums };
    };
    const ca = bin(a);
    const cb = bin(b);
    return {
      ks: ksBinned(ca.counts, cb.counts),
      w: wassersteinBinned(edges, ca.counts, ca.sums, cb.counts, cb.sums, Math.min(a[0], b[0]), Math.max(a[a.length - 1], b[b.length - 1])),
    };
  }

  test('from percentile bins of continuous data, scipy\'s values on the raw samples lie within small reported bounds', () => {
    // GIVEN large continuous samples binned on the baseline's percentile edges
    const cases = continuousCases;
    const expected = scipyContinuous();
    cases.forEach((c, i) => {
      // WHEN the statistics come from the bins
      const { ks, w } = binned(c);
      // THEN the exact values are inside the bounds, and the bounds are small
      expect(expected[i].ks).toBeGreaterThanOrEqual(ks.statistic - 1e-12);
      expect(expected[i].ks).toBeLessThanOrEqual(ks.statistic + ks.bound + 1e-12);
      expect(expected[i].w).toBeGreaterThanOrEqual(w.distance - 1e-9);
      expect(expected[i].w).toBeLessThanOrEqual(w.distance + w.bound + 1e-9);
      expect(ks.bound).toBeLessThan(0.05);
      expect((expected[i].w - w.distance) / expected[i].std).toBeLessThan(0.01);
    });
  });

  test('from percentile bins of data with ties, scipy\'s values still lie within the (wider) bounds', () => {
    const cases = tiedCases;
    const expected = scipyTied();
    cases.forEach((c, i) => {
      const { ks, w } = binned(c);
      expect(expected[i].ks).toBeGreaterThanOrEqual(ks.statistic - 1e-12);
      expect(expected[i].ks).toBeLessThanOrEqual(ks.statistic + ks.bound + 1e-12);
      expect(expected[i].w).toBeGreaterThanOrEqual(w.distance - 1e-9);
      expect(expected[i].w).toBeLessThanOrEqual(w.distance + w.bound + 1e-9);
    });
  });

  test('binned KS is exact when every value sits on an edge (discrete features)', () => {
    const a = [0, 0, 1, 1, 1, 2, 2, 2, 2, 3];
    const b = [0, 1, 1, 2, 3, 3, 3, 3];
    const edges = [0, 1, 2, 3];
    const bin = (v: number[]) => { const c = [0, 0, 0, 0, 0]; v.forEach((x) => c[binIndex(edges, x)]++); return c; };
    expect(ksBinned(bin(a), bin(b)).statistic).toBeCloseTo(ksExact(a, b), 12);
  });
});

describe('bins', () => {
  const rand = random(9);
  const values = Array.from({ length: 1234 }, () => Math.round(normal(rand, 10, 3) * 100) / 100).sort((x, y) => x - y);
  const qs = Array.from({ length: 99 }, (_, k) => (k + 1) / 100);
  const probes = [...values.slice(0, 50), -100, 100, 10, 10.5];
  const numpyEdges = python(`c = cases
e = np.quantile(np.asarray(c['values']), c['qs'])
print(json.dumps({'edges': e.tolist(), 'idx': np.searchsorted(e, c['probes'], side='left').tolist()}))`, { values, qs, probes });

  test('edges are numpy.quantile (linear) and bin indexes are numpy.searchsorted (left)', () => {
    const expected = numpyEdges();
    const edges = qs.map((q) => quantile(values, q));
    edges.forEach((e, i) => expect(Math.abs(e - expected.edges[i])).toBeLessThan(1e-9));
    probes.forEach((x, i) => expect(binIndex(expected.edges, x)).toBe(expected.idx[i]));
  });

  test('fine bins sum into the PSI bins they lie in', () => {
    const fine = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const coarse = [3, 6, 9];
    const map = fineToCoarse(fine, coarse);
    expect(Array.from(map)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
    expect(coarsen([1, 1, 1, 1, 1, 1, 1, 1, 1, 5], map, 4)).toEqual([3, 3, 3, 5]);
  });
});
