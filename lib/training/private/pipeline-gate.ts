import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { GateComparison, MetricSource } from '../metric-gate';
import type { TrainingPipelineProps } from '../training-pipeline-props';

/** The gate with its defaults filled in. */
export interface ResolvedGate {
  readonly metricName: string;
  readonly threshold: number;
  readonly comparison: GateComparison;
  readonly source: MetricSource;
}

export function resolveGate(props: TrainingPipelineProps): ResolvedGate | undefined {
  if (!props.gate) return undefined;
  return {
    metricName: props.gate.metricName,
    threshold: props.gate.threshold,
    comparison: props.gate.comparison ?? GateComparison.GREATER_THAN_OR_EQUAL,
    source: props.gate.source ?? (props.evaluation ? MetricSource.EVALUATION_REPORT : MetricSource.TRAINING_JOB),
  };
}

/** The Choice condition that passes the gate. */
export function compare(path: string, gate: ResolvedGate): sfn.Condition {
  switch (gate.comparison) {
    case GateComparison.GREATER_THAN_OR_EQUAL: return sfn.Condition.numberGreaterThanEquals(path, gate.threshold);
    case GateComparison.GREATER_THAN: return sfn.Condition.numberGreaterThan(path, gate.threshold);
    case GateComparison.LESS_THAN_OR_EQUAL: return sfn.Condition.numberLessThanEquals(path, gate.threshold);
    case GateComparison.LESS_THAN: return sfn.Condition.numberLessThan(path, gate.threshold);
  }
}
