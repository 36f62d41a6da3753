/**
 * Common mistakes a new user makes with a TrainingPipeline, each stopped at synth with the
 * property, the value and the fix (or, for a choice that may be deliberate, a warning).
 */
import * as path from 'path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { templateOf, testApp, testStack } from '../helpers/app';
import { AUC_METRIC, fullPipelineProps, pipelineStack, SCRIPTS } from '../helpers/pipeline';
import {
  DataLake, DataZone, InferenceDataLocation, MetricSource, MlInstanceType, ModelEndpoint, ModelRegistry, ModelVersionParameter, PromotionMode,
  SageMakerImage, TrainingPipeline,
} from '../../lib';

const GPU_TRAINING = SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');
const GPU_INFERENCE = SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');

describe('gate thresholds of bounded metrics', () => {
  test.each([
    ['auc', 1.5, MetricSource.EVALUATION_REPORT],
    ['auc', 92, MetricSource.EVALUATION_REPORT],
    ['test_f1', 80, MetricSource.EVALUATION_REPORT],
    ['validation:accuracy', -0.1, MetricSource.TRAINING_JOB],
  ])('fails on %s >= %s, outside 0 to 1', (metricName, threshold, source) => {
    expect(() => pipelineStack((lake) => {
      const props = fullPipelineProps(lake);
      return { ...props, training: { ...props.training, metricDefinitions: [{ name: metricName, regex: 'x=([0-9.]+)' }] }, gate: { metricName, threshold, source } };
    })).toThrow(`'gate.threshold' (${threshold}) is outside 0 to 1, the range of '${metricName}'`);
  });

  test('suggests the fraction for a percentage', () => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, { gate: { metricName: 'auc', threshold: 92 } })))
      .toThrow(/give it as a fraction, e\.g\. 0\.92/);
  });

  test.each([
    ['auc', 0.92],
    ['auc', 1],
    ['rmse', 92],
    ['logloss', 1.5],
  ])('accepts %s >= %s', (metricName, threshold) => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, { gate: { metricName, threshold } }))).not.toThrow();
  });
});

describe('images that cannot run where they are put', () => {
  test('fails on a -gpu- image on a CPU training instance, naming both', () => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, {
      training: { image: GPU_TRAINING, instanceType: MlInstanceType.ML_M5_XLARGE, script: path.join(SCRIPTS, 'train.py'), metricDefinitions: [AUC_METRIC] },
      inferenceImage: GPU_INFERENCE,
    }))).toThrow("'training.image' needs an NVIDIA GPU (a -gpu- image) but 'training.instanceType' (ml.m5.xlarge) has none");
  });

  test('fails on a -gpu- image on a CPU processing instance', () => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, {
      preprocessing: { script: path.join(SCRIPTS, 'preprocess.py'), image: GPU_TRAINING, instanceType: MlInstanceType.ML_M5_XLARGE },
    }))).toThrow("'preprocessing.image' needs an NVIDIA GPU (a -gpu- image) but 'preprocessing.instanceType' (ml.m5.xlarge) has none");
  });

  test('fails on a training-only image without an inference image, and accepts it with one', () => {
    const training = { image: GPU_TRAINING, instanceType: MlInstanceType.ML_G5_XLARGE, script: path.join(SCRIPTS, 'train.py'), metricDefinitions: [AUC_METRIC] };
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, { training })))
      .toThrow("'training.image' is a training-only container, which cannot serve the model it trains; give 'inferenceImage'");
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, { training, inferenceImage: GPU_INFERENCE }))).not.toThrow();
  });

  test.each(['ml.inf2.xlarge', 'ml.inf1.xlarge'])('fails on training on %s, which SageMaker lists for hosting only', (name) => {
    expect(() => pipelineStack((lake) => {
      const props = fullPipelineProps(lake);
      return { ...props, training: { ...props.training, instanceType: MlInstanceType.of(name) } };
    })).toThrow(`'instanceType' (${name}) cannot run training jobs: SageMaker accepts it for endpoints`);
  });

  test('fails on processing on ml.inf2.xlarge, which SageMaker does not list for processing', () => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, {
      evaluation: { script: path.join(SCRIPTS, 'evaluate.py'), instanceType: MlInstanceType.ML_INF2_XLARGE },
    }))).toThrow("'instanceType' (ml.inf2.xlarge) cannot run processing jobs");
  });
});

describe('deploying every model without a gate', () => {
  test('warns, naming the fix', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const modelVersion = new ModelVersionParameter(stack, 'Version', { registry });
    new TrainingPipeline(stack, 'Pipeline', {
      ...fullPipelineProps(lake), gate: undefined, registry, deployment: { modelVersion, mode: PromotionMode.AUTOMATIC },
    });
    Annotations.fromStack(stack).hasWarning('/TestStack/Pipeline', Match.stringLikeRegexp("'deployment.mode' is AUTOMATIC and there is no 'gate'.*add a gate"));
  });

  test('does not warn with a gate', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const modelVersion = new ModelVersionParameter(stack, 'Version', { registry });
    new TrainingPipeline(stack, 'Pipeline', { ...fullPipelineProps(lake), registry, deployment: { modelVersion, mode: PromotionMode.AUTOMATIC } });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('no \'gate\''))).toEqual([]);
    expect(templateOf(stack).toJSON().Resources).toBeDefined();
  });
});

describe('two pipelines with one name', () => {
  test('fail at synth in one account and region, naming both', () => {
    const app = testApp();
    for (const id of ['A', 'B']) {
      const stack = new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
      new TrainingPipeline(stack, 'Pipeline', fullPipelineProps(new DataLake(stack, 'Lake')));
    }
    expect(() => app.synth()).toThrow(/'pipelineName' 'churn' is also the name of B\/Pipeline, in the same account and region; give each one its own name/);
  });
});

describe('removalPolicy of what the pipeline keeps', () => {
  function deletionPolicies(stack: Stack): Record<string, string[]> {
    const byType: Record<string, string[]> = {};
    for (const resource of Object.values(templateOf(stack).toJSON().Resources) as any[]) {
      if (['AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SageMaker::ModelPackageGroup'].includes(resource.Type)) {
        (byType[resource.Type] ??= []).push(resource.DeletionPolicy ?? 'Delete');
      }
    }
    return byType;
  }

  test('keeps keys, log groups and the registry except after a failed create, by default', () => {
    const { stack } = pipelineStack((lake) => fullPipelineProps(lake, {}));
    const policies = deletionPolicies(stack);
    // The lake's key is the DataLake's (also kept); every other one is the pipeline's.
    expect(new Set(Object.values(policies).flat())).toEqual(new Set(['RetainExceptOnCreate']));
    expect(policies['AWS::SageMaker::ModelPackageGroup']).toEqual(['RetainExceptOnCreate']);
  });

  test('DESTROY reaches every key, log group and the registry the pipeline made', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    new TrainingPipeline(stack, 'Pipeline', { ...fullPipelineProps(lake), removalPolicy: RemovalPolicy.DESTROY });
    const policies = deletionPolicies(stack);
    expect(policies['AWS::Logs::LogGroup'].length).toBeGreaterThan(2);
    expect(new Set(Object.values(policies).flat())).toEqual(new Set(['Delete']));
  });
});

describe('a pipeline that deploys to an endpoint reading models elsewhere', () => {
  function app(endpointPrefix: string) {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const modelVersion = new ModelVersionParameter(stack, 'Version', { registry });
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      endpointName: 'churn',
      model: modelVersion.modelSource({ modelDataLocation: InferenceDataLocation.fromDataLake(lake, endpointPrefix, DataZone.ARTIFACTS) }),
      variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }],
    });
    modelVersion.serveOnlyWhenPromoted(endpoint);
    new TrainingPipeline(stack, 'Pipeline', { ...fullPipelineProps(lake), registry, deployment: { modelVersion, mode: PromotionMode.AUTOMATIC } });
    return stack;
  }

  test('fails at synth, naming both prefixes and the fix', () => {
    expect(() => templateOf(app('fraud/runs/'))).toThrow(
      "the endpoint 'churn' reads models under 'fraud/runs/', but pipeline 'churn' registers them under 'churn/runs/' of the lake's artifacts zone; "
      + "use InferenceDataLocation.fromDataLake(lake, 'churn/runs/', DataZone.ARTIFACTS) as its modelDataLocation");
  });

  test.each(['churn/runs/', 'churn/'])('synthesizes when the endpoint reads %s', (prefix) => {
    expect(() => templateOf(app(prefix))).not.toThrow();
  });
});
