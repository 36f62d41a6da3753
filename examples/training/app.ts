/**
 * A whole training pipeline in script mode with the scripts beside this file: preprocess.py
 * splits the raw CSV data, train.py trains a scikit-learn model, evaluate.py scores it on the test
 * split, and the model is registered (pending manual approval) when its AUC reaches 0.85.
 * Synthesize with:
 *   npx cdk synth --app "npx tsx examples/training/app.ts"
 */
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import {
  DataLake, FeatureSchema, FeatureType, MlInstanceType, ModelApprovalStatus, SageMakerImage, TrainingDataLayout, TrainingPipeline,
} from '../../lib';

const scripts = path.join(__dirname, 'scripts');
const app = new App();
const stack = new Stack(app, 'TrainingExample');
const lake = new DataLake(stack, 'Lake');

new TrainingPipeline(stack, 'Churn', {
  dataLake: lake,
  pipelineName: 'churn-sklearn',
  inputPrefix: 'churn/',
  preprocessing: { script: path.join(scripts, 'preprocess.py'), arguments: ['--seed', '42'] },
  training: {
    image: SageMakerImage.sklearn('1.2-1-cpu-py3'),
    instanceType: MlInstanceType.ML_M5_XLARGE,
    script: path.join(scripts, 'train.py'),
    hyperparameters: { n_estimators: '200', learning_rate: '0.05', max_depth: '3' },
    metricDefinitions: [
      { name: 'validation:auc', regex: 'validation:auc=([0-9\\.]+)' },
      { name: 'validation:accuracy', regex: 'validation:accuracy=([0-9\\.]+)' },
    ],
  },
  evaluation: { script: path.join(scripts, 'evaluate.py') },
  // preprocess.py writes label-first splits without a header: name the features, in the order the model gets them.
  baseline: {
    schema: FeatureSchema.of(
      ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'].map((name) => ({ name, featureType: FeatureType.NUMERIC })),
      { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER },
    ),
  },
  gate: { metricName: 'auc', threshold: 0.85 },
  approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
  schedule: events.Schedule.rate(Duration.days(7)),
});
