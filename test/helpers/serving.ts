import { Stack } from 'aws-cdk-lib';
import { testStack } from './app';
import { DataLake, ModelRegistry, ModelVersionParameter, TrainingPipeline, TrainingPipelineProps } from '../../lib';

/** A lake, a shared registry, the serving stack's model version parameter, and a pipeline that deploys into it. */
export function servingPipelineStack(props: (lake: DataLake, registry: ModelRegistry, modelVersion: ModelVersionParameter) => TrainingPipelineProps): {
  stack: Stack; registry: ModelRegistry; modelVersion: ModelVersionParameter; pipeline: TrainingPipeline;
} {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
  const modelVersion = new ModelVersionParameter(stack, 'ChurnModelVersion', { registry });
  const pipeline = new TrainingPipeline(stack, 'Pipeline', props(lake, registry, modelVersion));
  return { stack, registry, modelVersion, pipeline };
}
