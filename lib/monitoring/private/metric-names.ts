import { DriftStatistic, QualityMetric } from '../drift-statistics';

/** The handlers' EMF namespaces and dimensions (lambda/drift/CONTRACT.md, "Metrics"). */
export const DRIFT_NAMESPACE = 'CdkMlops/Drift';
export const QUALITY_NAMESPACE = 'CdkMlops/ModelQuality';

/** Dataset-level drift metrics (dimensions Endpoint, Variant). */
export const DATASET_METRICS = {
  maxPsi: 'MaxPSI',
  maxJensenShannon: 'MaxJensenShannon',
  driftedShare: 'DriftedFeatureShare',
  datasetDrift: 'DatasetDrift',
  predictionPsi: 'PredictionPSI',
  records: 'Records',
  rows: 'Rows',
  malformedLines: 'MalformedLines',
  tooFewRows: 'TooFewRows',
} as const;

/** The malformed-line kinds, each a `Kind` dimension of `MalformedLines`. */
export const MALFORMED_KINDS = [
  'truncatedJson', 'missingFields', 'undecodablePayload', 'emptyPayload', 'columnCount', 'nonNumeric', 'unknownCategory', 'badPrediction',
];

/** How a statistic is compared with its thresholds, and its documented defaults. */
export interface StatisticRule {
  readonly lowerIsWorse: boolean;
  readonly warning: number;
  readonly critical: number;
}

export const DRIFT_STATISTIC_RULES: Record<DriftStatistic, StatisticRule> = {
  [DriftStatistic.PSI]: { lowerIsWorse: false, warning: 0.1, critical: 0.25 },
  [DriftStatistic.JENSEN_SHANNON]: { lowerIsWorse: false, warning: 0.1, critical: 0.2 },
  [DriftStatistic.KOLMOGOROV_SMIRNOV]: { lowerIsWorse: false, warning: 0.1, critical: 0.2 },
  [DriftStatistic.WASSERSTEIN]: { lowerIsWorse: false, warning: 0.1, critical: 0.2 },
  [DriftStatistic.MISSING_RATE_CHANGE]: { lowerIsWorse: false, warning: 0.05, critical: 0.1 },
  [DriftStatistic.CHI_SQUARE_P_VALUE]: { lowerIsWorse: true, warning: 0.05, critical: 0.01 },
};

export const QUALITY_LOWER_IS_WORSE: Record<QualityMetric, boolean> = {
  [QualityMetric.AUC]: true,
  [QualityMetric.ACCURACY]: true,
  [QualityMetric.PRECISION]: true,
  [QualityMetric.RECALL]: true,
  [QualityMetric.F1]: true,
  [QualityMetric.RMSE]: false,
  [QualityMetric.MAE]: false,
};

export const REGRESSION_METRICS: QualityMetric[] = [QualityMetric.RMSE, QualityMetric.MAE];

/** The thresholds of PSI-based dataset alarms unless told otherwise. */
export const PSI_DEFAULTS = DRIFT_STATISTIC_RULES[DriftStatistic.PSI];
