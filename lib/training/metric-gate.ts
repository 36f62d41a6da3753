/**
 * How the gate compares the metric with the threshold.
 */
export enum GateComparison {
  /** The metric must be at least the threshold (AUC, accuracy). */
  GREATER_THAN_OR_EQUAL = 'GREATER_THAN_OR_EQUAL',
  /** The metric must exceed the threshold. */
  GREATER_THAN = 'GREATER_THAN',
  /** The metric must be at most the threshold (RMSE, loss). */
  LESS_THAN_OR_EQUAL = 'LESS_THAN_OR_EQUAL',
  /** The metric must be below the threshold. */
  LESS_THAN = 'LESS_THAN',
}

/**
 * Where the gate reads its metric.
 */
export enum MetricSource {
  /** The training job's final metrics (`metricDefinitions`). */
  TRAINING_JOB = 'TRAINING_JOB',
  /** The evaluation step's report, `evaluation.json`: `{"metrics": {"<name>": {"value": <number>}}}`. */
  EVALUATION_REPORT = 'EVALUATION_REPORT',
}

/**
 * The quality gate between training and registration: a model is registered only when its
 * metric passes. A run whose model fails the gate ends without registering anything.
 */
export interface MetricGate {
  /** Name of the metric, e.g. 'validation:auc' (training job) or 'auc' (evaluation report). */
  readonly metricName: string;

  /** The threshold, e.g. 0.8. */
  readonly threshold: number;

  /**
   * How the metric is compared with the threshold.
   *
   * @default GateComparison.GREATER_THAN_OR_EQUAL
   */
  readonly comparison?: GateComparison;

  /**
   * Where the metric is read.
   *
   * @default - MetricSource.EVALUATION_REPORT when the pipeline has an evaluation step, else MetricSource.TRAINING_JOB
   */
  readonly source?: MetricSource;
}
