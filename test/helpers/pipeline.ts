import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { ROOT, testStack } from './app';
import { DataLake, MlInstanceType, SageMakerImage, TrainingPipeline, TrainingPipelineProps } from '../../lib';

export const SCRIPTS = path.join(ROOT, 'examples', 'training', 'scripts');

export const AUC_METRIC = { name: 'validation:auc', regex: 'validation:auc=([0-9\\.]+)' };

/** The full pipeline of the examples: preprocess, train (script mode), evaluate, gate on the report's AUC. */
export function fullPipelineProps(lake: DataLake, overrides: Partial<TrainingPipelineProps> = {}): TrainingPipelineProps {
  return {
    dataLake: lake,
    pipelineName: 'churn',
    preprocessing: { script: path.join(SCRIPTS, 'preprocess.py'), arguments: ['--seed', '7'] },
    training: {
      image: SageMakerImage.sklearn('1.2-1-cpu-py3'),
      instanceType: MlInstanceType.ML_M5_XLARGE,
      script: path.join(SCRIPTS, 'train.py'),
      hyperparameters: { n_estimators: '100', learning_rate: '0.1' },
      metricDefinitions: [AUC_METRIC],
    },
    evaluation: { script: path.join(SCRIPTS, 'evaluate.py') },
    gate: { metricName: 'auc', threshold: 0.8 },
    ...overrides,
  };
}

/** A stack with a data lake and a pipeline built from `props(lake)`. */
export function pipelineStack(props: (lake: DataLake) => TrainingPipelineProps = fullPipelineProps): { stack: Stack; lake: DataLake; pipeline: TrainingPipeline } {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const pipeline = new TrainingPipeline(stack, 'Pipeline', props(lake));
  return { stack, lake, pipeline };
}
