import { Token } from 'aws-cdk-lib';
import { throwUnscoped } from '../core/private/errors';

/** How the drift detector reads a feature's values. */
export enum FeatureType {
  /** Numbers: quantile bins, PSI, Jensen-Shannon, Kolmogorov-Smirnov and Wasserstein. */
  NUMERIC = 'numeric',
  /** Categories: frequencies with an "other" bucket, PSI, Jensen-Shannon and chi-square. */
  CATEGORICAL = 'categorical',
}

/** How the training split's CSV is laid out. */
export enum TrainingDataLayout {
  /** The first line names the columns; the label and the features may be in any order. */
  HEADER_ROW = 'HEADER_ROW',
  /**
   * No header; the label is the first column and the features follow in the schema's order: the
   * CSV convention of SageMaker's built-in XGBoost (and of the example `preprocess.py`).
   */
  LABEL_FIRST_NO_HEADER = 'LABEL_FIRST_NO_HEADER',
}

/** One feature of a schema. */
export interface FeatureDefinition {
  /** The column's name: the `Feature` dimension of its drift metrics. */
  readonly name: string;
  /** How its values are read (`type` in the baseline JSON). */
  readonly featureType: FeatureType;
}

/** Columns of a schema besides the features. */
export interface FeatureSchemaOptions {
  /**
   * The column that holds the label, left out of the features (the endpoint is not sent it).
   * Required with `TrainingDataLayout.LABEL_FIRST_NO_HEADER`.
   *
   * @default - no label column
   */
  readonly label?: string;

  /**
   * A column that holds the model's prediction, kept as the baseline's prediction distribution.
   *
   * @default - no prediction column
   */
  readonly prediction?: string;

  /**
   * How the training split is laid out.
   *
   * @default TrainingDataLayout.HEADER_ROW
   */
  readonly layout?: TrainingDataLayout;
}

/** Columns of an inferred schema besides the features. */
export interface InferredFeatureSchemaOptions {
  /**
   * The column that holds the label. Name it: otherwise the label counts as a feature, and every
   * captured request (which lacks it) is one column short.
   *
   * @default - no label column
   */
  readonly label?: string;

  /**
   * A column that holds the model's prediction, kept as the baseline's prediction distribution.
   *
   * @default - no prediction column
   */
  readonly prediction?: string;
}

/**
 * The features a drift baseline describes, in the order the endpoint receives them: CSV requests
 * are read by position in this order. Rendered as the drift core's schema JSON
 * (`{"features": [{"name", "type"}], "label"?, "prediction"?}`, lambda/drift-core/README.md).
 */
export class FeatureSchema {
  /**
   * Names from the training CSV's header row (in its order, label and prediction left out), types
   * from the values: a column is numeric when every present value reads as a finite number.
   */
  public static infer(options: InferredFeatureSchemaOptions = {}): FeatureSchema {
    return new FeatureSchema(undefined, options.label, options.prediction, TrainingDataLayout.HEADER_ROW);
  }

  /**
   * The given features, in the order the endpoint receives them.
   *
   * @param features at least one, each name once
   */
  public static of(features: FeatureDefinition[], options: FeatureSchemaOptions = {}): FeatureSchema {
    const layout = options.layout ?? TrainingDataLayout.HEADER_ROW;
    const problems: string[] = [];
    if (features.length === 0) problems.push('\'features\' is empty: list at least one feature');
    const names = features.map((f) => f.name);
    const resolved = names.filter((n) => !Token.isUnresolved(n));
    const blank = resolved.filter((n) => n.trim().length === 0 || n !== n.trim());
    if (blank.length > 0) problems.push(`feature names must be non-empty without surrounding spaces (got ${blank.map((n) => `'${n}'`).join(', ')})`);
    const repeated = [...new Set(resolved.filter((n, i) => resolved.indexOf(n) !== i))];
    if (repeated.length > 0) problems.push(`feature names repeat (${repeated.map((n) => `'${n}'`).join(', ')}): metrics are published per name, give each one a unique name`);
    for (const [what, column] of [['label', options.label], ['prediction', options.prediction]] as const) {
      if (column !== undefined && !Token.isUnresolved(column) && names.includes(column)) {
        problems.push(`the ${what} column '${column}' is also a feature; leave it out of 'features'`);
      }
    }
    if (layout === TrainingDataLayout.LABEL_FIRST_NO_HEADER) {
      if (options.label === undefined) problems.push('\'label\' is required with TrainingDataLayout.LABEL_FIRST_NO_HEADER: name the first column');
      if (options.prediction !== undefined) problems.push('\'prediction\' needs TrainingDataLayout.HEADER_ROW: a header-less split has no place to name a prediction column');
    }
    if (problems.length > 0) throwUnscoped('FeatureSchemaInvalid', `Invalid FeatureSchema: ${problems.join('; ')}`);
    return new FeatureSchema(features.map((f) => ({ name: f.name, featureType: f.featureType })), options.label, options.prediction, layout);
  }

  /** The features, in the endpoint's order; undefined when inferred from the header. */
  public readonly features?: FeatureDefinition[];
  /** The label column, when there is one. */
  public readonly label?: string;
  /** The prediction column, when there is one. */
  public readonly prediction?: string;
  /** How the training split is laid out. */
  public readonly layout: TrainingDataLayout;

  private constructor(features: FeatureDefinition[] | undefined, label: string | undefined, prediction: string | undefined, layout: TrainingDataLayout) {
    this.features = features;
    this.label = label;
    this.prediction = prediction;
    this.layout = layout;
  }

  /**
   * The fields of a `drift-baseline` event this schema sets: `schema` (given features), `label`,
   * `prediction`, and `columns`, the names of a header-less CSV's columns in order.
   *
   * @internal
   */
  public _renderEvent(): Record<string, unknown> {
    const schema = this.features ? {
      features: this.features.map((f) => ({ name: f.name, type: f.featureType })),
      ...(this.label !== undefined ? { label: this.label } : {}),
      ...(this.prediction !== undefined ? { prediction: this.prediction } : {}),
    } : undefined;
    const headerless = this.layout === TrainingDataLayout.LABEL_FIRST_NO_HEADER;
    return {
      ...(schema ? { schema } : {}),
      ...(this.label !== undefined ? { label: this.label } : {}),
      ...(this.prediction !== undefined ? { prediction: this.prediction } : {}),
      ...(headerless ? { columns: [this.label!, ...this.features!.map((f) => f.name)] } : {}),
    };
  }
}
