/**
 * Three models from one template in a ModelFleet: churn, upsell and fraud share one data lake
 * (each under its own prefixes), one notification topic and an overview dashboard in the stack
 * `ModelFleetExample-Shared`, and each lives in a stack of its own (`ModelFleetExample-Churn`,
 * ...), so a promotion updates only its model's stack and adding a model changes no other
 * model's template. Each is an MlPipeline: XGBoost on a spot GPU instance behind an AUC gate,
 * registered approved and rolled out to its autoscaled GPU endpoint by the run, watched for
 * drift hourly and retrained on drift at most once a day.
 *
 * The fleet's scale (100 models under every CloudFormation quota, cfn-lint on all 101
 * templates, logical ids unchanged by a 101st model) is proven in test/model-fleet-scale.test.ts;
 * this app is what the examples gate synthesizes through the CDK CLI with every cdk-nag pack.
 *
 * Synthesize with:
 *   npx cdk synth --app "node -r ./test/helpers/swc-register.js examples/model-fleet/app.ts"
 */
import * as path from 'path';
import { App, Duration } from 'aws-cdk-lib';
import { FeatureSchema, FeatureType, MetricSource, MlInstanceType, ModelFleet, SageMakerImage, TrainingDataLayout } from '../../lib';
import { addNagPacks } from '../nag-packs';

const PREPROCESS = path.join(__dirname, '..', 'training', 'scripts', 'preprocess.py');

/** What differs per model: its name, its features and the AUC it must reach. */
const MODELS = [
  { id: 'Churn', modelName: 'churn', threshold: 0.8, features: ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'] },
  { id: 'Upsell', modelName: 'upsell', threshold: 0.75, features: ['tenure_months', 'monthly_charges', 'usage_gb', 'plan_tier'] },
  { id: 'Fraud', modelName: 'fraud', threshold: 0.9, features: ['amount', 'merchant_risk', 'hour_of_day', 'card_age_days'] },
];

const app = new App();
const fleet = new ModelFleet(app, 'ModelFleetExample', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

for (const model of MODELS) {
  fleet.addModel(model.id, {
    modelName: model.modelName,
    training: {
      image: SageMakerImage.xgboost('1.7-1'),
      instanceType: MlInstanceType.ML_G5_XLARGE,
      maxRuntime: Duration.hours(2),
      hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', tree_method: 'gpu_hist' },
    },
    pipeline: {
      // A run starts when <modelName>/_SUCCESS lands in the raw zone, after its data.
      triggerKeySuffix: '_SUCCESS',
      preprocessing: { script: PREPROCESS },
      gate: { metricName: 'validation:auc', threshold: model.threshold, source: MetricSource.TRAINING_JOB },
      baseline: {
        schema: FeatureSchema.of(model.features.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
          { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
      },
    },
    drift: { features: model.features.slice(0, 2).map((featureName) => ({ featureName })) },
  });
}

// Every cdk-nag pack runs at synth; an unacknowledged finding fails `cdk synth`.
addNagPacks(app);
