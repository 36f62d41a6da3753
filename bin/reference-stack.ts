import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DataLake, MetricSource, MlInstanceType, SageMakerImage, TrainingPipeline } from '../lib';

const SCRIPTS = path.join(__dirname, '..', 'examples', 'training', 'scripts');

/**
 * The reference MLOps stack: what `npx cdk deploy` puts into an account. A data lake, and a
 * pipeline that preprocesses new data, trains XGBoost on a spot GPU instance, registers the
 * model when its validation AUC reaches 0.8, and writes a run manifest for every run.
 * Each capability the library gains is wired in here.
 */
export class MlopsReferenceStack extends Stack {
  public readonly dataLake: DataLake;
  public readonly pipeline: TrainingPipeline;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'cdk-mlops reference stack: data lake and GPU training pipeline with a model registry',
      ...props,
    });
    this.dataLake = new DataLake(this, 'DataLake', { glueDatabaseName: 'mlops_curated' });
    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      dataLake: this.dataLake,
      pipelineName: 'churn',
      inputPrefix: 'churn/',
      // One run per uploaded data set: the uploader writes churn/_SUCCESS last.
      triggerKeySuffix: '_SUCCESS',
      preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
      training: {
        image: SageMakerImage.xgboost('1.7-1'),
        instanceType: MlInstanceType.ML_G5_XLARGE,
        useSpotInstances: true,
        maxRuntime: Duration.hours(2),
        hyperparameters: {
          objective: 'binary:logistic',
          eval_metric: 'auc',
          num_round: '200',
          max_depth: '5',
          tree_method: 'gpu_hist',
        },
      },
      gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
    });
  }
}
