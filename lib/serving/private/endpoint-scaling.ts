import { Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { AutoScalingMetric, VariantAutoScaling } from '../production-variant';

/** The role Application Auto Scaling uses for SageMaker; naming its ARN makes CloudFormation create it when missing. */
const SERVICE_LINKED_ROLE = 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint';

/** Application Auto Scaling's service-linked role for SageMaker (variants and inference components). */
export function sageMakerScalingRole(scope: Construct, id: string): iam.IRole {
  return iam.Role.fromRoleArn(scope, id,
    Stack.of(scope).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: SERVICE_LINKED_ROLE }), { mutable: false });
}

export interface VariantScalingOptions {
  readonly endpoint: IConstruct;
  readonly endpointName: string;
  readonly variantName: string;
  readonly scaling: VariantAutoScaling;
  readonly asyncInference: boolean;
}

/**
 * Registers a variant's instance count with Application Auto Scaling: target tracking on the
 * chosen metric, scale-out from zero for asynchronous endpoints, and scheduled actions.
 */
export function addVariantScaling(scope: Construct, options: VariantScalingOptions): appscaling.ScalableTarget {
  const { scaling, endpointName, variantName } = options;
  const role = sageMakerScalingRole(scope, `${variantName}ServiceRole`);
  const target = new appscaling.ScalableTarget(scope, variantName, {
    serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
    resourceId: `endpoint/${endpointName}/variant/${variantName}`,
    scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    minCapacity: scaling.minCapacity ?? 1,
    maxCapacity: scaling.maxCapacity,
    role,
  });
  // The name is known at synth, so CloudFormation would not otherwise wait for the endpoint.
  target.node.addDependency(options.endpoint);

  const metric = scaling.metric
    ?? (options.asyncInference ? AutoScalingMetric.backlogPerInstance(5) : AutoScalingMetric.invocationsPerInstance(70));
  const cooldowns = {
    scaleInCooldown: scaling.scaleInCooldown ?? Duration.minutes(5),
    scaleOutCooldown: scaling.scaleOutCooldown ?? Duration.minutes(1),
    disableScaleIn: scaling.disableScaleIn,
  };
  if (metric.metricName === 'InvocationsPerInstance') {
    target.scaleToTrackMetric('TargetTracking', {
      targetValue: metric.targetValue,
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      ...cooldowns,
    });
  } else {
    target.scaleToTrackMetric('TargetTracking', {
      targetValue: metric.targetValue,
      customMetric: scalingMetric(metric.metricName, endpointName, variantName),
      ...cooldowns,
    });
  }

  if (options.asyncInference && (scaling.minCapacity ?? 1) === 0) {
    // Target tracking on the backlog per instance cannot leave zero instances (it divides by zero);
    // AWS's recommendation is a step policy on HasBacklogWithoutCapacity.
    target.scaleOnMetric('ScaleOutFromZero', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SageMaker', metricName: 'HasBacklogWithoutCapacity', dimensionsMap: { EndpointName: endpointName },
        statistic: 'Average', period: Duration.minutes(1),
      }),
      scalingSteps: [{ upper: 0, change: 0 }, { lower: 1, change: 1 }],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: cooldowns.scaleOutCooldown,
      evaluationPeriods: 2,
    });
  }

  for (const schedule of scaling.schedules ?? []) {
    target.scaleOnSchedule(schedule.scheduleName, schedule);
  }
  return target;
}

/** The CloudWatch metric behind a custom target-tracking metric. */
function scalingMetric(metricName: string, endpointName: string, variantName: string): cloudwatch.Metric {
  if (metricName === 'ApproximateBacklogSizePerInstance') {
    // Asynchronous backlog metrics carry the endpoint name only.
    return new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName, dimensionsMap: { EndpointName: endpointName }, statistic: 'Average' });
  }
  return new cloudwatch.Metric({
    namespace: '/aws/sagemaker/Endpoints', metricName, dimensionsMap: { EndpointName: endpointName, VariantName: variantName }, statistic: 'Average',
  });
}
