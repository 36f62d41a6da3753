/**
 * A per-feature statistic the drift detector publishes, by its CloudWatch metric name
 * (namespace `CdkMlops/Drift`, dimensions Endpoint, Variant and Feature).
 */
export enum DriftStatistic {
  /**
   * Population stability index over the baseline's bins, numeric and categorical features.
   * Default thresholds 0.1 (warning) and 0.25 (critical): the bands of credit-scoring practice
   * (Siddiqi, "Credit Risk Scorecards", 2006) that open-source drift tools keep.
   */
  PSI = 'PSI',
  /**
   * Jensen-Shannon distance over the baseline's bins (natural log, 0 to 0.83, as
   * `scipy.spatial.distance.jensenshannon`). Default thresholds 0.1 and 0.2: Evidently's
   * default drift threshold for it is 0.1.
   */
  JENSEN_SHANNON = 'JensenShannon',
  /**
   * Two-sample Kolmogorov-Smirnov statistic D (0 to 1, as `scipy.stats.ks_2samp`), numeric
   * features only. Default thresholds 0.1 and 0.2: D is the largest gap between the two
   * cumulative distributions.
   */
  KOLMOGOROV_SMIRNOV = 'KolmogorovSmirnov',
  /**
   * Wasserstein distance divided by the baseline's standard deviation, numeric features only.
   * Default thresholds 0.1 and 0.2: Evidently's default drift threshold for its "normed"
   * Wasserstein distance is 0.1.
   */
  WASSERSTEIN = 'Wasserstein',
  /**
   * Change of the missing-value rate against the baseline (absolute, 0 to 1).
   * Default thresholds 0.05 and 0.1.
   */
  MISSING_RATE_CHANGE = 'MissingRateChange',
  /**
   * p-value of Pearson's chi-square test against the baseline frequencies, categorical features
   * only. Lower is worse: default thresholds 0.05 (warning, Evidently's 0.95 confidence) and
   * 0.01 (critical).
   */
  CHI_SQUARE_P_VALUE = 'ChiSquarePValue',
}

/**
 * Alarm thresholds keyed by severity, e.g. `{ warning: 0.1, critical: 0.25 }`.
 * Critical alarms feed the monitor's composite alarm; warning alarms only notify when asked to.
 */
export interface SeverityThresholds {
  /**
   * The value at which the warning alarm goes off.
   *
   * @default - the statistic's default warning threshold
   */
  readonly warning?: number;

  /**
   * The value at which the critical alarm goes off.
   *
   * @default - the statistic's default critical threshold
   */
  readonly critical?: number;
}

/**
 * Alarms on one feature's drift statistic.
 */
export interface FeatureDriftAlarm {
  /** The feature's name, as in the baseline (the CSV header or the schema). */
  readonly featureName: string;

  /**
   * The statistic the alarms watch.
   *
   * @default DriftStatistic.PSI
   */
  readonly statistic?: DriftStatistic;

  /**
   * The thresholds of the warning and critical alarms.
   *
   * @default - the statistic's defaults (see `DriftStatistic`)
   */
  readonly thresholds?: SeverityThresholds;
}

/**
 * A model-quality metric the ground-truth job publishes (namespace `CdkMlops/ModelQuality`).
 */
export enum QualityMetric {
  /** Area under the ROC curve (classification); lower is worse. */
  AUC = 'AUC',
  /** Share of correct predictions (classification); lower is worse. */
  ACCURACY = 'Accuracy',
  /** Precision (classification); lower is worse. */
  PRECISION = 'Precision',
  /** Recall (classification); lower is worse. */
  RECALL = 'Recall',
  /** F1 score (classification); lower is worse. */
  F1 = 'F1',
  /** Root mean squared error (regression); higher is worse. */
  RMSE = 'RMSE',
  /** Mean absolute error (regression); higher is worse. */
  MAE = 'MAE',
}

/**
 * Alarms on one model-quality metric. Quality has no universal defaults: give the thresholds
 * your model must keep, e.g. `{ metric: QualityMetric.AUC, thresholds: { warning: 0.8, critical: 0.75 } }`.
 */
export interface QualityAlarm {
  /** The metric the alarms watch. */
  readonly metric: QualityMetric;

  /**
   * The thresholds: below them for classification metrics, above them for RMSE and MAE.
   * At least one of them.
   */
  readonly thresholds: SeverityThresholds;
}

/**
 * The kind of model whose predictions are checked against ground truth.
 */
export enum ProblemType {
  /** Two classes; the model outputs a probability or a label. */
  BINARY_CLASSIFICATION = 'BinaryClassification',
  /** More than two classes; the model outputs a label. */
  MULTICLASS_CLASSIFICATION = 'MulticlassClassification',
  /** A number. */
  REGRESSION = 'Regression',
}
