/**
 * Shapes shared by the baseline, the detector, the handlers and the CLI. The baseline JSON format
 * is documented in README.md; `BASELINE_SCHEMA_VERSION` changes when a reader could misread it.
 */
export const BASELINE_SCHEMA_VERSION = 1;
export const REPORT_SCHEMA_VERSION = 1;

export type FeatureType = 'numeric' | 'categorical';

/** A user's schema: feature names and types in the order the model reads them. */
export interface FeatureSchema {
  readonly features: { readonly name: string; readonly type: FeatureType }[];
  /** Column of the training CSV with the label, excluded from the features. */
  readonly label?: string;
  /** Column of the training CSV with the model's prediction, kept as the prediction distribution. */
  readonly prediction?: string;
  /** Column type of the prediction when a column holds it (default: inferred). */
  readonly predictionType?: FeatureType;
}

interface FeatureBaselineBase {
  readonly name: string;
  /** Rows with a value (not missing). */
  readonly count: number;
  /** Rows without a value. */
  readonly missing: number;
  readonly missingRate: number;
}

export interface NumericBaseline extends FeatureBaselineBase {
  readonly type: 'numeric';
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population standard deviation (numpy's default, ddof 0). */
  readonly std: number;
  /**
   * Fine bin edges: the distinct percentiles 1..99 of the training values (numpy's linear quantile).
   * Bin i holds edges[i-1] < x <= edges[i]; bin 0 and the last bin are open-ended.
   */
  readonly edges: number[];
  /** Training rows per fine bin (edges.length + 1 entries). */
  readonly counts: number[];
  /** Sum of the training values per fine bin (for the Wasserstein distance from bins). */
  readonly sums: number[];
  /** The PSI bins: the distinct deciles, a subset of `edges`. */
  readonly psiEdges: number[];
  /** Training rows per PSI bin (psiEdges.length + 1 entries). */
  readonly psiCounts: number[];
  /** Every training value, sorted, when there are at most `rawLimit` of them (exact KS and Wasserstein). */
  readonly values?: number[];
}

export interface CategoricalBaseline extends FeatureBaselineBase {
  readonly type: 'categorical';
  /** The most frequent categories, most frequent first, at most `maxCategories`. */
  readonly categories: string[];
  /** Training rows per category, plus a last entry for "other" (categories.length + 1 entries). */
  readonly counts: number[];
  /** Further categories seen in training (counted as "other"), at most 1000. */
  readonly otherValues: string[];
  /** Whether `otherValues` lists every category seen in training beyond `categories`. */
  readonly otherValuesComplete: boolean;
}

export type FeatureBaseline = NumericBaseline | CategoricalBaseline;

export interface Baseline {
  readonly format: 'cdk-mlops/drift-baseline';
  readonly schemaVersion: number;
  readonly createdAt: string;
  readonly source?: string;
  readonly rows: number;
  readonly label?: string;
  /** The model's input features in payload order (CSV payloads are read by position). */
  readonly features: FeatureBaseline[];
  readonly prediction?: FeatureBaseline;
  readonly settings: { readonly fineBins: number; readonly psiBins: number; readonly maxCategories: number; readonly rawLimit: number };
}

export const MALFORMED_KINDS = [
  'truncatedJson',
  'missingFields',
  'undecodablePayload',
  'emptyPayload',
  'columnCount',
  'nonNumeric',
  'unknownCategory',
  'badPrediction',
] as const;
export type MalformedKind = typeof MALFORMED_KINDS[number];

export interface MalformedSample {
  readonly source: string;
  readonly line: number;
  readonly sample: string;
}

export interface Window {
  readonly start: string;
  readonly end: string;
}

export interface FeatureDrift {
  readonly name: string;
  readonly type: FeatureType;
  readonly rows: number;
  readonly missingRate: number;
  readonly baselineMissingRate: number;
  readonly missingRateChange: number;
  readonly psi?: number;
  readonly jensenShannon?: number;
  readonly ks?: number;
  /** The true two-sample KS statistic lies in [ks, ks + ksBound]; 0 when computed on raw values. */
  readonly ksBound?: number;
  readonly ksExact?: boolean;
  /** Wasserstein-1 distance divided by the baseline's standard deviation (Evidently's normed Wasserstein). */
  readonly wasserstein?: number;
  /** The true normalized Wasserstein distance lies in [wasserstein, wasserstein + wassersteinBound]; 0 when exact. */
  readonly wassersteinBound?: number;
  readonly chiSquare?: number;
  readonly chiSquarePValue?: number;
  readonly drifted?: boolean;
}

export type ReportStatus = 'ok' | 'tooFewRows' | 'noData';

export interface DriftThresholds {
  readonly minRows: number;
  readonly featureDriftPsi: number;
  readonly datasetDriftShare: number;
}

export interface DriftReport {
  readonly schemaVersion: number;
  readonly endpointName?: string;
  readonly variantName?: string;
  readonly window?: Window;
  readonly status: ReportStatus;
  readonly records: number;
  readonly rows: number;
  readonly minRows: number;
  readonly objects: number;
  readonly bytes: number;
  readonly outsideWindow: number;
  readonly malformed: Record<string, number>;
  readonly malformedSamples: Record<string, MalformedSample[]>;
  readonly features: FeatureDrift[];
  readonly prediction?: FeatureDrift;
  readonly dataset?: { readonly features: number; readonly drifted: number; readonly driftedShare: number; readonly datasetDrift: boolean };
  readonly thresholds: DriftThresholds;
}
