import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { testStack } from '../helpers/app';
import { MlInstanceType } from '../../lib/core/instance-type';
import { SageMakerImage } from '../../lib/core/sagemaker-image';
import { DataLake } from '../../lib/lake/data-lake';
import { DriftBaseline } from '../../lib/monitoring/drift-baseline';
import { DriftMonitor } from '../../lib/monitoring/drift-monitor';
import { DriftMonitorProps } from '../../lib/monitoring/drift-monitor-props';
import { InferenceDataLocation } from '../../lib/serving/inference-data-location';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';
import { ModelSource } from '../../lib/serving/model-source';

export interface MonitorFixture {
  readonly stack: Stack;
  readonly lake: DataLake;
  readonly endpoint: ModelEndpoint;
  /** Stands for a training pipeline's state machine. */
  readonly pipeline: sfn.IStateMachine;
  readonly monitor: DriftMonitor;
}

/**
 * A lake, a state machine standing for a training pipeline, an endpoint 'churn' that captures into 'churn-endpoint/' of the capture zone,
 * and a monitor 'churn' over it with the baseline 'churn/baseline/current.json' of the artifacts zone.
 */
export function monitorStack(overrides: (f: Omit<MonitorFixture, 'monitor'>) => Partial<DriftMonitorProps> = () => ({})): MonitorFixture {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const pipeline = sfn.StateMachine.fromStateMachineName(stack, 'Pipeline', 'churn');
  const endpoint = new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'churn',
    model: ModelSource.fromArtifact(SageMakerImage.sklearn('1.2-1-cpu-py3'), lake.artifactsBucket, 'churn/model.tar.gz'),
    variants: [{ instanceType: MlInstanceType.ML_M5_XLARGE }],
    dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'churn-endpoint/') },
  });
  const monitor = new DriftMonitor(stack, 'Monitor', {
    endpoint,
    baseline: DriftBaseline.fromDataLake(lake, 'churn/baseline/current.json'),
    monitorName: 'churn',
    ...overrides({ stack, lake, endpoint, pipeline }),
  });
  return { stack, lake, endpoint, pipeline, monitor };
}
