/** Bin lookup and quantiles shared by the baseline and the detector. */

/**
 * The bin of x among sorted edges: the first i with x <= edges[i], or edges.length when x is above
 * them all (numpy.searchsorted(edges, x, side='left')). Bin i holds edges[i-1] < x <= edges[i].
 */
export function binIndex(edges: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** numpy.quantile(sorted, q) with the default 'linear' method, on an ascending array. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = pos - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/** Distinct values of an ascending list, in order. */
export function distinct(values: number[]): number[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

/**
 * For each fine bin, the PSI bin that contains it. The PSI edges are a subset of the fine edges,
 * so fine bin i (upper edge fine[i], or +inf for the last) falls in exactly one PSI bin.
 */
export function fineToCoarse(fineEdges: ArrayLike<number>, psiEdges: ArrayLike<number>): Int32Array {
  const map = new Int32Array(fineEdges.length + 1);
  for (let i = 0; i < fineEdges.length; i++) map[i] = binIndex(psiEdges, fineEdges[i]);
  map[fineEdges.length] = psiEdges.length;
  return map;
}

/** Counts summed into coarser bins through a fine-to-coarse map. */
export function coarsen(fine: ArrayLike<number>, map: Int32Array, coarseBins: number): number[] {
  const out = new Array<number>(coarseBins).fill(0);
  for (let i = 0; i < fine.length; i++) out[map[i]] += fine[i];
  return out;
}
