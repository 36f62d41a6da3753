/** What the MlPipeline test files share: the smallest props, a build in a fresh stack, and readers of its template. */
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ROOT, templateOf, testStack } from './app';
import { definitionFromTemplate } from './asl';
import { nagFindings } from './nag';
import {
  DataLake, DriftBaseline, FeatureSchema, FeatureType, InferenceDataLocation, MetricSource,
  MlPipeline, MlPipelineProps, QualityMetric, SageMakerImage, TrainingDataLayout,
} from '../../lib';

export const PREPROCESS = path.join(ROOT, 'examples', 'training', 'scripts', 'preprocess.py');
export const V6 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/6';
export const V7 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/7';

/** The smallest props that train XGBoost with a drift baseline: AUTOMATIC needs the runs to compute one. */
export function minimal(extra: Partial<MlPipelineProps> = {}): MlPipelineProps {
  return {
    modelName: 'fraud',
    training: { image: SageMakerImage.xgboost('1.7-1') },
    pipeline: {
      preprocessing: { script: PREPROCESS },
      gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
      baseline: {
        schema: FeatureSchema.of([{ name: 'amount', featureType: FeatureType.NUMERIC }], { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
      },
    },
    ...extra,
  };
}

/** An MlPipeline in a fresh stack; `extra` may create what it needs (a shared lake) in the stack. */
export function build(extra: Partial<MlPipelineProps> | ((stack: Stack) => Partial<MlPipelineProps>) = {}, stack: Stack = testStack()) {
  const ml = new MlPipeline(stack, 'Fraud', minimal(typeof extra === 'function' ? extra(stack) : extra));
  const template = templateOf(stack);
  return { stack, ml, template, json: template.toJSON() as { Resources: Record<string, any>; Parameters: Record<string, any> } };
}

/** cdk-nag's findings (all four packs) for an MlPipeline in a fresh app that nothing synthesized before. */
export function nagFindingsOf(extra: (stack: Stack) => Partial<MlPipelineProps>): string[] {
  const stack = testStack();
  new MlPipeline(stack, 'Fraud', minimal(extra(stack)));
  return nagFindings(stack.node.root as App);
}

export const idOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.resolve((construct.node.defaultChild as any).logicalId) as string;
export const ofType = (json: { [key: string]: any }, type: string) => Object.entries<any>(json.Resources).filter(([, r]) => r.Type === type);
export const pipelineDefinition = (built: ReturnType<typeof build>) => definitionFromTemplate(built.template, idOf(built.stack, built.ml.pipeline.stateMachine));
/** The training task's parameters in the pipeline's definition. */
export function trainingParameters(built: ReturnType<typeof build>): any {
  return Object.values<any>(pipelineDefinition(built).States).find((s) => s.Resource?.includes('createTrainingJob'))!.Parameters;
}
export const approvalRules = (json: { [key: string]: any }) =>
  ofType(json, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern?.['detail-type']?.includes('SageMaker Model Package State Change'));

/** Model quality from labels in a lake of the stack. */
export function labels(stack: Stack) {
  return { groundTruth: InferenceDataLocation.fromBucket(new s3.Bucket(stack, 'Labels'), 'fraud-labels/'), alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.8, critical: 0.7 } }] };
}

/** A lake of the stack and a baseline in it, which MANUAL and REGISTER_ONLY need. */
export function ownBaseline(stack: Stack): Partial<MlPipelineProps> {
  const lake = new DataLake(stack, 'Lake');
  return { dataLake: lake, drift: { baseline: DriftBaseline.fromDataLake(lake, 'fraud/baseline/reviewed.json') } };
}
