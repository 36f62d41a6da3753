import { PartialCounts, FeatureCounts } from './accumulator';
import { coarsen, fineToCoarse } from './bins';
import { chiSquare, jensenShannon, ksBinned, ksExact, psi, wassersteinBinned, wassersteinExact } from './stats';
import { Baseline, DriftReport, DriftThresholds, FeatureBaseline, FeatureDrift, MALFORMED_KINDS, REPORT_SCHEMA_VERSION, Window } from './types';

export const DEFAULT_THRESHOLDS: DriftThresholds = { minRows: 100, featureDriftPsi: 0.25, datasetDriftShare: 0.5 };

/** Evidently's floor for the normalizing standard deviation, so constant features do not divide by zero. */
const MIN_STD = 0.001;

export interface ReportContext {
  readonly endpointName?: string;
  readonly variantName?: string;
  readonly window?: Window;
  readonly thresholds?: Partial<DriftThresholds>;
}

/** The drift report of a window's merged counts against the baseline. */
export function driftReport(baseline: Baseline, counts: PartialCounts, context: ReportContext = {}): DriftReport {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...definedOnly(context.thresholds ?? {}) };
  const malformed: Record<string, number> = {};
  let total = 0;
  for (const kind of MALFORMED_KINDS) {
    malformed[kind] = counts.malformed[kind] ?? 0;
    total += malformed[kind];
  }
  malformed.total = total;
  const status = counts.rows === 0 && counts.records === 0 ? 'noData' : counts.rows < thresholds.minRows ? 'tooFewRows' : 'ok';
  const ok = status === 'ok';
  const features = baseline.features.map((f, i) => featureDrift(f, counts.features[i], ok, thresholds));
  const prediction = baseline.prediction && counts.prediction ? featureDrift(baseline.prediction, counts.prediction, ok, thresholds) : undefined;
  const drifted = features.filter((f) => f.drifted).length;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    ...(context.endpointName ? { endpointName: context.endpointName } : {}),
    ...(context.variantName ? { variantName: context.variantName } : {}),
    ...(context.window ? { window: context.window } : {}),
    status,
    records: counts.records,
    rows: counts.rows,
    minRows: thresholds.minRows,
    objects: counts.objects,
    bytes: counts.bytes,
    outsideWindow: counts.outsideWindow,
    malformed,
    malformedSamples: counts.samples as Record<string, any>,
    features,
    ...(prediction ? { prediction } : {}),
    ...(ok ? {
      dataset: {
        features: features.length,
        drifted,
        driftedShare: drifted / features.length,
        datasetDrift: drifted / features.length >= thresholds.datasetDriftShare,
      },
    } : {}),
    thresholds,
  };
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function featureDrift(base: FeatureBaseline, counts: FeatureCounts, withStatistics: boolean, thresholds: DriftThresholds): FeatureDrift {
  const present = counts.counts.reduce((a, b) => a + b, 0);
  const seen = present + counts.missing;
  const missingRate = seen > 0 ? counts.missing / seen : 0;
  const common = {
    name: base.name,
    type: base.type,
    rows: seen,
    missingRate,
    baselineMissingRate: base.missingRate,
    missingRateChange: Math.abs(missingRate - base.missingRate),
  };
  // A feature with no value in the window (all missing) has no distribution to compare.
  if (!withStatistics || present === 0 || base.count === 0) return common;
  if (base.type === 'categorical' || counts.type === 'categorical') {
    const chi = chiSquare(base.counts, counts.counts);
    const value = psi(base.counts, counts.counts);
    return {
      ...common,
      psi: value,
      jensenShannon: jensenShannon(base.counts, counts.counts),
      chiSquare: chi.statistic,
      chiSquarePValue: chi.pValue,
      drifted: value >= thresholds.featureDriftPsi,
    };
  }
  const map = fineToCoarse(base.edges, base.psiEdges);
  const coarse = coarsen(counts.counts, map, base.psiEdges.length + 1);
  const value = psi(base.psiCounts, coarse);
  const norm = Math.max(base.std, MIN_STD);
  let ks: number;
  let ksBound: number;
  let wasserstein: number;
  let wassersteinBound: number;
  const exact = base.values !== undefined && counts.raw !== null && counts.raw.length === present;
  if (exact) {
    const raw = Float64Array.from(counts.raw!).sort();
    ks = ksExact(base.values!, raw);
    ksBound = 0;
    wasserstein = wassersteinExact(base.values!, raw) / norm;
    wassersteinBound = 0;
  } else {
    const k = ksBinned(base.counts, counts.counts);
    ks = k.statistic;
    ksBound = k.bound;
    const w = wassersteinBinned(base.edges, base.counts, base.sums, counts.counts, counts.sums, Math.min(base.min, counts.min!), Math.max(base.max, counts.max!));
    wasserstein = w.distance / norm;
    wassersteinBound = w.bound / norm;
  }
  return {
    ...common,
    psi: value,
    jensenShannon: jensenShannon(base.psiCounts, coarse),
    ks,
    ksBound,
    ksExact: exact,
    wasserstein,
    wassersteinBound,
    drifted: value >= thresholds.featureDriftPsi,
  };
}
