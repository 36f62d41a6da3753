/**
 * Drift statistics on bin counts (mergeable) and, where both samples are small enough to keep,
 * on raw values. Formulas and their sources are in README.md; test/monitoring/drift-stats.test.ts
 * checks them against numpy and scipy.
 */

/** Empty bins get this proportion, as Evidently does, so that PSI and JS stay finite. */
export const EMPTY_BIN_PROPORTION = 0.0001;

/** Proportions of counts with empty bins set to EMPTY_BIN_PROPORTION (not renormalized). */
export function proportions(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const out = new Array<number>(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const p = total > 0 ? counts[i] / total : 0;
    out[i] = p === 0 ? EMPTY_BIN_PROPORTION : p;
  }
  return out;
}

/** Population stability index: sum over bins of (q - p) * ln(q / p), p the baseline, q the window. */
export function psi(baseline: ArrayLike<number>, window: ArrayLike<number>): number {
  const p = proportions(baseline);
  const q = proportions(window);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (q[i] - p[i]) * Math.log(q[i] / p[i]);
  return sum;
}

/**
 * Jensen-Shannon distance (natural log, so within [0, sqrt(ln 2)]): the square root of the mean of
 * KL(p || m) and KL(q || m), m = (p + q) / 2, on the proportions renormalized to sum 1, as
 * scipy.spatial.distance.jensenshannon does.
 */
export function jensenShannon(baseline: ArrayLike<number>, window: ArrayLike<number>): number {
  const p = normalize(proportions(baseline));
  const q = normalize(proportions(window));
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    kl += p[i] * Math.log(p[i] / m) + q[i] * Math.log(q[i] / m);
  }
  return Math.sqrt(Math.max(0, kl / 2));
}

function normalize(values: number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => v / total);
}

/**
 * Pearson's chi-square statistic of the window's counts against the baseline's proportions
 * (empty baseline bins at EMPTY_BIN_PROPORTION, renormalized so expected counts sum to the window's),
 * with its p-value for bins - 1 degrees of freedom.
 */
export function chiSquare(baseline: ArrayLike<number>, window: ArrayLike<number>): { statistic: number; pValue: number } {
  const p = normalize(proportions(baseline));
  let n = 0;
  for (let i = 0; i < window.length; i++) n += window[i];
  let statistic = 0;
  for (let i = 0; i < p.length; i++) {
    const expected = n * p[i];
    statistic += (window[i] - expected) ** 2 / expected;
  }
  const df = p.length - 1;
  return { statistic, pValue: df > 0 ? chiSquareSurvival(statistic, df) : 1 };
}

/** P(X > x) for X chi-square with df degrees of freedom: the regularized upper incomplete gamma Q(df/2, x/2). */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** Regularized upper incomplete gamma, by series for x < a + 1 and Lentz's continued fraction otherwise. */
function gammaQ(a: number, x: number): number {
  const lnPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-15). */
function logGamma(x: number): number {
  const g = 7;
  const coef = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = coef[0];
  for (let i = 1; i < g + 2; i++) s += coef[i] / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/**
 * Two-sample KS statistic from counts on shared bins (edges[i-1] < x <= edges[i]): the largest
 * difference of the two empirical CDFs at the edges, which is a lower bound of the statistic on the
 * raw values. `bound` is how much larger the raw statistic can be: inside a bin each CDF stays
 * between its values at the bin's edges, so the difference there is at most
 * max(F1(right) - F2(left), F2(right) - F1(left)).
 */
export function ksBinned(baseline: ArrayLike<number>, window: ArrayLike<number>): { statistic: number; bound: number } {
  const n1 = sum(baseline);
  const n2 = sum(window);
  let f1 = 0;
  let f2 = 0;
  let atEdges = 0;
  let inside = 0;
  for (let i = 0; i < baseline.length; i++) {
    const left1 = f1;
    const left2 = f2;
    f1 += baseline[i] / n1;
    f2 += window[i] / n2;
    if (i < baseline.length - 1) atEdges = Math.max(atEdges, Math.abs(f1 - f2));
    inside = Math.max(inside, Math.min(f1, 1) - left2, Math.min(f2, 1) - left1);
  }
  return { statistic: atEdges, bound: Math.max(0, inside - atEdges) };
}

/** Two-sample KS statistic on sorted raw samples (scipy.stats.ks_2samp's statistic). */
export function ksExact(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] <= b[j] ? a[i] : b[j];
    while (i < a.length && a[i] <= x) i++;
    while (j < b.length && b[j] <= x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

/** Wasserstein-1 distance of sorted raw samples: the integral of |F1 - F2| (scipy.stats.wasserstein_distance). */
export function wassersteinExact(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let i = 0;
  let j = 0;
  let total = 0;
  let x = Math.min(a[0], b[0]);
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    total += Math.abs(i / a.length - j / b.length) * (next - x);
    x = next;
    while (i < a.length && a[i] <= x) i++;
    while (j < b.length && b[j] <= x) j++;
  }
  return total;
}

/**
 * Wasserstein-1 distance (the integral of |F1 - F2|) from counts and value sums on shared bins;
 * the open outer bins are closed at the smaller minimum and the larger maximum of the two samples.
 * Over a bin (l, r], integration by parts makes the integral of a CDF exact from the bin's sum:
 * r F(r) - l F(l) - sum / n. So the integral D of F1 - F2 over each bin is exact, and the returned
 * distance adds |D| per bin: exact where F1 - F2 keeps its sign inside each bin, never too large.
 * Inside a bin F1 - F2 is at most F1(r) - F2(l) and at least F1(l) - F2(r), which caps its
 * positive part P and negative part N (P - N = D, the true integral is P + N = |D| + 2 min(P, N)):
 * `bound` adds up those caps, so the true distance lies in [distance, distance + bound].
 */
export function wassersteinBinned(edges: ArrayLike<number>, baseline: ArrayLike<number>, baselineSums: ArrayLike<number>,
  window: ArrayLike<number>, windowSums: ArrayLike<number>, min: number, max: number): { distance: number; bound: number } {
  const n1 = sum(baseline);
  const n2 = sum(window);
  let f1 = 0;
  let f2 = 0;
  let distance = 0;
  let bound = 0;
  let left = min;
  for (let i = 0; i < baseline.length; i++) {
    const right = i < edges.length ? Math.min(Math.max(edges[i], left), Math.max(max, left)) : Math.max(max, left);
    const g1 = Math.min(1, f1 + baseline[i] / n1);
    const g2 = Math.min(1, f2 + window[i] / n2);
    const width = right - left;
    if (width > 0) {
      const integral1 = right * g1 - left * f1 - baselineSums[i] / n1;
      const integral2 = right * g2 - left * f2 - windowSums[i] / n2;
      const d = Math.abs(integral1 - integral2);
      const positive = width * Math.max(0, g1 - f2);
      const negative = width * Math.max(0, g2 - f1);
      const upper = Math.min(d + 2 * Math.min(positive, negative), positive + negative);
      distance += d;
      bound += Math.max(0, upper - d);
    }
    f1 = g1;
    f2 = g2;
    left = right;
  }
  return { distance, bound };
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}
