import { Duration, Size } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import { ModelSource } from './model-source';
import { MlInstanceType } from '../core/instance-type';

/**
 * The metric a variant's target-tracking scaling policy keeps at a target value.
 */
export class AutoScalingMetric {
  /**
   * Invocations per instance per minute (`SageMakerVariantInvocationsPerInstance`), the usual
   * choice for real-time endpoints. Find the target with a load test; AWS's examples use 70.
   * Not published by asynchronous endpoints.
   */
  public static invocationsPerInstance(invocationsPerMinute: number): AutoScalingMetric {
    return new AutoScalingMetric('InvocationsPerInstance', invocationsPerMinute);
  }

  /**
   * Average GPU utilization of the variant's instances (`GPUUtilization`, 0-100 per GPU, so up
   * to 400 on a 4-GPU instance). GPU instance types only.
   */
  public static gpuUtilization(percent: number): AutoScalingMetric {
    return new AutoScalingMetric('GPUUtilization', percent);
  }

  /** Average CPU utilization of the variant's instances (`CPUUtilization`, 0-100 per vCPU). */
  public static cpuUtilization(percent: number): AutoScalingMetric {
    return new AutoScalingMetric('CPUUtilization', percent);
  }

  /**
   * Queued requests per instance (`ApproximateBacklogSizePerInstance`), AWS's recommendation
   * for asynchronous endpoints (its examples use 5). Asynchronous endpoints only.
   */
  public static backlogPerInstance(requests: number): AutoScalingMetric {
    return new AutoScalingMetric('ApproximateBacklogSizePerInstance', requests);
  }

  /** The CloudWatch metric name. */
  public readonly metricName: string;
  /** The value the policy keeps the metric at. */
  public readonly targetValue: number;

  private constructor(metricName: string, targetValue: number) {
    this.metricName = metricName;
    this.targetValue = targetValue;
  }
}

/**
 * A scheduled change of a variant's capacity bounds, e.g. fewer instances at night.
 */
export interface ScheduledCapacity extends appscaling.ScalingSchedule {
  /** Name of the action, unique within the variant, e.g. 'ScaleInAtNight'. */
  readonly scheduleName: string;
}

/**
 * Application Auto Scaling of a variant's instance count.
 *
 * Stack updates keep the instance count autoscaling chose. Autoscaling does not act while an
 * update of the endpoint runs (a promotion's blue/green rollout included): give the variant
 * enough instances for the load of a rollout, or raise the count before one.
 *
 * SageMaker rejects an update that changes the instance type of an autoscaled variant, or
 * removes one, while it is registered with Application Auto Scaling. One CloudFormation update
 * cannot do it: CloudFormation deletes the old scalable target only after the endpoint update,
 * in its cleanup phase. The update fails and CloudFormation rolls it back, so nothing breaks;
 * change the type in two deployments instead:
 * 1. remove `autoScaling` from the variant (keep the instance type; set `initialInstanceCount`
 *    to the count it needs meanwhile) and `cdk deploy`: the scalable target is deregistered;
 * 2. change `instanceType`, add `autoScaling` back and `cdk deploy` again.
 */
export interface VariantAutoScaling {
  /**
   * The fewest instances. 0 only for asynchronous endpoints, which then scale out from zero when requests queue up.
   *
   * @default 1
   */
  readonly minCapacity?: number;

  /** The most instances. */
  readonly maxCapacity: number;

  /**
   * The metric that target tracking keeps at its target.
   *
   * @default - AutoScalingMetric.invocationsPerInstance(70) for real-time endpoints, AutoScalingMetric.backlogPerInstance(5) for asynchronous ones
   */
  readonly metric?: AutoScalingMetric;

  /**
   * How long after a scale-in the next scale-in may start.
   *
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;

  /**
   * How long after a scale-out the next scale-out may start.
   *
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;

  /**
   * Never remove instances on low load (scheduled actions still can).
   *
   * @default false
   */
  readonly disableScaleIn?: boolean;

  /**
   * Scheduled changes of the capacity bounds.
   *
   * @default - none
   */
  readonly schedules?: ScheduledCapacity[];
}

/**
 * Serverless inference of a variant: SageMaker picks CPU capacity per request and scales to zero.
 * Serverless variants have no GPUs, VPC, network isolation or data capture, and must be the endpoint's only variant.
 */
export interface ServerlessOptions {
  /**
   * Memory of each invocation: 1 to 6 GiB in whole GiB (vCPUs grow with it).
   *
   * @default Size.gibibytes(2)
   */
  readonly memorySize?: Size;

  /**
   * Concurrent invocations at most (1 to 200); more are throttled.
   *
   * @default 20
   */
  readonly maxConcurrency?: number;

  /**
   * Invocations kept warm, so they start without a cold start (at most `maxConcurrency`).
   *
   * @default - none: every invocation after idling may start cold
   */
  readonly provisionedConcurrency?: number;
}

/**
 * One production variant of an endpoint: a model on a fleet of instances (or serverless), with a share of the traffic.
 */
export interface ProductionVariant {
  /**
   * Name of the variant: letters, digits and hyphens, at most 63. Keep it stable: blue/green
   * deployments need the same variant names before and after.
   *
   * @default 'AllTraffic' (name every variant of a multi-variant endpoint)
   */
  readonly variantName?: string;

  /**
   * The model this variant serves.
   *
   * @default - the endpoint's model
   */
  readonly model?: ModelSource;

  /**
   * The instance type, e.g. `MlInstanceType.ML_G5_XLARGE`. Required unless `serverless` is set.
   *
   * @default - none (serverless variants only)
   */
  readonly instanceType?: MlInstanceType;

  /**
   * Instances at creation.
   *
   * @default - 1, or `autoScaling.minCapacity` when that is higher
   */
  readonly initialInstanceCount?: number;

  /**
   * Share of the traffic relative to the other variants' weights.
   *
   * @default 1
   */
  readonly initialVariantWeight?: number;

  /**
   * Scale the instance count with the load. Burstable (T) instance types cannot autoscale.
   *
   * @default - a fixed instance count
   */
  readonly autoScaling?: VariantAutoScaling;

  /**
   * Serve serverless instead of on instances (CPU only).
   *
   * @default - served on instances of `instanceType`
   */
  readonly serverless?: ServerlessOptions;

  /**
   * How long SageMaker may take to download the model to an instance (1 to 60 minutes); raise it for large models.
   *
   * @default - SageMaker's default
   */
  readonly modelDataDownloadTimeout?: Duration;

  /**
   * How long the container may take to pass its first health check (1 to 60 minutes); raise it for large models.
   *
   * @default - SageMaker's default
   */
  readonly containerStartupHealthCheckTimeout?: Duration;
}
