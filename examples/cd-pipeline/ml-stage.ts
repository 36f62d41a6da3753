import * as path from 'path';
import { Duration, Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  DataLake, FeatureSchema, FeatureType, MetricSource, MlInstanceType, MlPipeline, PromotionMode, SageMakerImage,
  TrainingDataLayout,
} from '../../lib';

const SCRIPTS = path.join(__dirname, '..', 'training', 'scripts');
const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];

/**
 * Properties of an `MlStage`.
 */
export interface MlStageProps extends StageProps {
  /** Names the model and everything named after it: unique per account and region. */
  readonly modelName: string;
  /** How registered models reach the stage's endpoint. */
  readonly promotionMode: PromotionMode;
}

/**
 * One deployment of the ML stack: the same template in staging and production, apart from
 * its model name and how models are promoted.
 */
export class MlStage extends Stage {
  /** The stack the pipeline deploys, which holds the served model version. */
  public readonly stack: Stack;
  /** The model's loop. */
  public readonly ml: MlPipeline;

  constructor(scope: Construct, id: string, props: MlStageProps) {
    super(scope, id, props);
    this.stack = new Stack(this, 'Ml', { description: `cdk-mlops CD example: the ${props.modelName} model (${id})` });
    const dataLake = new DataLake(this.stack, 'DataLake');
    this.ml = new MlPipeline(this.stack, 'Model', {
      modelName: props.modelName,
      dataLake,
      training: {
        image: SageMakerImage.xgboost('1.7-1'),
        instanceType: MlInstanceType.ML_G5_XLARGE,
        maxRuntime: Duration.hours(2),
        hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', max_depth: '5', tree_method: 'gpu_hist' },
      },
      pipeline: {
        triggerKeySuffix: '_SUCCESS',
        preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
        gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
        baseline: {
          schema: FeatureSchema.of(FEATURES.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
            { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
        },
      },
      // The drift monitor follows the served version's own baseline in both modes: a run that
      // deploys (staging) and every approval's promotion (production) copy it where it reads.
      promotion: { mode: props.promotionMode },
    });
  }
}
