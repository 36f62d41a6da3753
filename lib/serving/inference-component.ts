import { ArnFormat, CfnResource, Duration, IResource, Names, Resource, Size, SizeRoundingBehavior, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { ModelSource } from './model-source';
import { modelSettingsOf, recordComponent, validateComponentProps } from './private/inference-component-validation';
import { sageMakerScalingRole } from './private/endpoint-scaling';
import { recordServedComponent } from './private/served-components';
import { versionOfSource } from './private/served-endpoints';
import { createServingModel } from './private/serving-model';
import type { ISharedEndpoint } from './shared-endpoint';
import { acknowledgeWildcards } from '../core/private/nag';
import { sageMakerArn } from '../core/private/sagemaker-api';
import { requireUniqueName } from '../core/private/unique-names';

/**
 * The compute resources one copy of a component reserves on an instance.
 */
export interface ComponentComputeResources {
  /**
   * GPUs (or other accelerators) per copy, a whole number.
   *
   * @default - none: the model runs on CPU
   */
  readonly acceleratorCount?: number;

  /** Host memory a copy needs at least, in whole MiB from 128 MiB, e.g. `Size.gibibytes(8)`. */
  readonly minMemory: Size;

  /**
   * Host memory a copy may use at most.
   *
   * @default - no limit beyond the instance's
   */
  readonly maxMemory?: Size;

  /**
   * CPU cores (vCPUs) per copy, from 0.25.
   *
   * @default - none reserved
   */
  readonly cpuCores?: number;
}

/**
 * The metric a component's target-tracking policy keeps at a target value, per copy.
 */
export class ComponentScalingMetric {
  /**
   * Invocations per copy per minute (`SageMakerInferenceComponentInvocationsPerCopy`). Find the
   * target with a load test.
   */
  public static invocationsPerCopy(invocationsPerMinute: number): ComponentScalingMetric {
    return new ComponentScalingMetric(appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY, invocationsPerMinute);
  }

  /**
   * Requests in flight per copy, sampled every 10 seconds
   * (`SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`): reacts faster, and
   * suits models whose requests take long, such as LLMs.
   */
  public static concurrentRequestsPerCopy(requests: number): ComponentScalingMetric {
    return new ComponentScalingMetric(appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_CONCURRENT_REQUESTS_PER_COPY_HIGH_RESOLUTION, requests);
  }

  /** The predefined metric of Application Auto Scaling. */
  public readonly predefinedMetric: appscaling.PredefinedMetric;
  /** The value the policy keeps the metric at. */
  public readonly targetValue: number;

  private constructor(predefinedMetric: appscaling.PredefinedMetric, targetValue: number) {
    this.predefinedMetric = predefinedMetric;
    this.targetValue = targetValue;
  }
}

/**
 * Application Auto Scaling of a component's copy count.
 */
export interface ComponentAutoScaling {
  /**
   * The fewest copies. 0 scales the component to zero when idle; it needs the endpoint's
   * `managedInstanceScaling.minInstanceCount` at 0, and a first request after that fails while
   * SageMaker starts a copy (several minutes: an instance, then the model).
   *
   * @default 1
   */
  readonly minCopyCount?: number;

  /** The most copies. */
  readonly maxCopyCount: number;

  /**
   * The metric that target tracking keeps at its target.
   *
   * @default ComponentScalingMetric.invocationsPerCopy(70)
   */
  readonly metric?: ComponentScalingMetric;

  /**
   * How long after a scale-in the next scale-in may start.
   *
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;

  /**
   * How long after a scale-out the next scale-out may start (also after a scale-out from zero).
   *
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

/**
 * A rolling update of a component: when its model or settings change, SageMaker replaces its
 * copies a batch at a time, watching alarms after each batch and rolling back when one fires.
 * It needs room for one batch more, where a blue/green update needs room for every copy twice.
 */
export interface ComponentRollingUpdate {
  /**
   * Copies replaced in each step.
   *
   * @default 1
   */
  readonly maximumBatchSize?: number;

  /**
   * How long SageMaker watches the alarms after each batch before the next one.
   *
   * @default Duration.minutes(5)
   */
  readonly waitInterval?: Duration;

  /**
   * The longest the whole update may take (10 minutes to 8 hours).
   *
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;

  /**
   * Copies restored in each step of a rollback.
   *
   * @default - every copy at once
   */
  readonly rollbackMaximumBatchSize?: number;

  /**
   * Alarms that roll the update back when they fire during it (at most 10).
   *
   * @default - none: only a failure to start the new copies rolls back
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];
}

/**
 * Options of a model served as an inference component of a `SharedEndpoint`.
 */
export interface InferenceComponentOptions {
  /**
   * The model, e.g. `ModelSource.fromArtifact(...)` or a registry's promoted version from
   * `ModelVersionParameter.modelSource()` (then the component exists only once a version is promoted).
   */
  readonly model: ModelSource;

  /** What one copy reserves on an instance. */
  readonly computeResources: ComponentComputeResources;

  /**
   * Copies the component starts with, at least 1 (a component cannot start with zero copies).
   *
   * @default - 1, or `autoScaling.minCopyCount` when that is more
   */
  readonly initialCopyCount?: number;

  /**
   * Scale the copy count with the load.
   *
   * @default - a fixed copy count
   */
  readonly autoScaling?: ComponentAutoScaling;

  /**
   * Name of the component, which callers pass as `InferenceComponentName` to InvokeEndpoint:
   * letters, digits and hyphens, at most 63.
   *
   * @default - a name derived from the construct path
   */
  readonly inferenceComponentName?: string;

  /**
   * Replace the copies a batch at a time when the model or its settings change.
   *
   * @default - SageMaker's blue/green update: a full second set of copies starts before the old one stops
   */
  readonly rollingUpdate?: ComponentRollingUpdate;

  /**
   * How long SageMaker may take to download the model onto an instance.
   *
   * @default - SageMaker's default
   */
  readonly modelDataDownloadTimeout?: Duration;

  /**
   * How long a copy's container may take to pass its first health check.
   *
   * @default - SageMaker's default
   */
  readonly containerStartupHealthCheckTimeout?: Duration;
}

/**
 * Properties of an `InferenceComponent`.
 */
export interface InferenceComponentProps extends InferenceComponentOptions {
  /** The endpoint that hosts the component. */
  readonly endpoint: ISharedEndpoint;
}

const INVOCATION_NAMESPACE = 'AWS/SageMaker';
const COMPONENT_NAMESPACE = '/aws/sagemaker/InferenceComponents';

/**
 * An inference component: one model on a shared endpoint.
 */
export interface IInferenceComponent extends IResource {
  /** The component's name (`InferenceComponentName` of InvokeEndpoint). */
  readonly inferenceComponentName: string;
  /** The component's ARN. */
  readonly inferenceComponentArn: string;
  /** The ARN of the endpoint that hosts the component. */
  readonly endpointArn: string;

  /** Grants invoking this component through its endpoint, and no other component of it. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /** A metric of the component in `AWS/SageMaker` (dimension InferenceComponentName). */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests sent to the component (Sum). */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Time the model took to respond, in microseconds (Average). */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests the model answered with a 4XX code (Sum). */
  metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests the model answered with a 5XX code (Sum). */
  metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests that found no copy to serve them (Sum). */
  metricNoCapacityInvocationFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** GPU utilization of the component's copies, 0-100 (Average). */
  metricGpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** GPU memory utilization of the component's copies, 0-100 (Average). */
  metricGpuMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** CPU utilization of the component's copies, 0-100 (Average). */
  metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * Attributes of an inference component defined outside this stack.
 */
export interface InferenceComponentAttributes {
  /** The component's name. */
  readonly inferenceComponentName: string;
  /** The name of the endpoint that hosts it. */
  readonly endpointName: string;
}

abstract class InferenceComponentBase extends Resource implements IInferenceComponent {
  public abstract readonly inferenceComponentName: string;
  public abstract readonly inferenceComponentArn: string;
  public abstract readonly endpointArn: string;

  /**
   * Grants invoking this component: `sagemaker:InvokeEndpoint` on the endpoint and on this
   * component. The service authorization reference lists the inference component as a resource
   * of InvokeEndpoint, so a request naming another component of the endpoint is not allowed.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint'],
      resourceArns: [this.endpointArn, this.inferenceComponentArn],
    });
  }

  /** A metric of the component in `AWS/SageMaker` (dimension InferenceComponentName; Average unless told). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(INVOCATION_NAMESPACE, metricName, 'Average', props);
  }

  /** Requests sent to the component (Sum). */
  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(INVOCATION_NAMESPACE, 'Invocations', 'Sum', props);
  }

  /** Time the model took to respond, in microseconds (Average). */
  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(INVOCATION_NAMESPACE, 'ModelLatency', 'Average', props);
  }

  /** Requests the model answered with a 4XX code (Sum). */
  public metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(INVOCATION_NAMESPACE, 'Invocation4XXErrors', 'Sum', props);
  }

  /** Requests the model answered with a 5XX code (Sum). */
  public metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(INVOCATION_NAMESPACE, 'Invocation5XXErrors', 'Sum', props);
  }

  /** Requests that failed because the component had no copy to serve them, e.g. while scaled to zero (Sum). */
  public metricNoCapacityInvocationFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(INVOCATION_NAMESPACE, 'NoCapacityInvocationFailures', 'Sum', props);
  }

  /** GPU utilization of the component's copies, 0-100 (Average of `GPUUtilizationNormalized`, namespace `/aws/sagemaker/InferenceComponents`). */
  public metricGpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(COMPONENT_NAMESPACE, 'GPUUtilizationNormalized', 'Average', props);
  }

  /** GPU memory utilization of the component's copies, 0-100 (Average of `GPUMemoryUtilizationNormalized`). */
  public metricGpuMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(COMPONENT_NAMESPACE, 'GPUMemoryUtilizationNormalized', 'Average', props);
  }

  /** CPU utilization of the component's copies, 0-100 (Average of `CPUUtilizationNormalized`). */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.componentMetric(COMPONENT_NAMESPACE, 'CPUUtilizationNormalized', 'Average', props);
  }

  private componentMetric(namespace: string, metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      statistic,
      ...props,
      namespace,
      metricName,
      dimensionsMap: { InferenceComponentName: this.inferenceComponentName, ...props?.dimensionsMap },
    });
  }

}

/** The containers of a component log to a group of its own, written with the endpoint's execution role. */
function grantComponentLogs(scope: Construct, role: iam.IRole, componentName: string): void {
  const logGroup = Stack.of(scope).formatArn({
    service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/InferenceComponents/${componentName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogGroup'], resources: [logGroup] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [`${logGroup}:*`] }));
  acknowledgeWildcards(role, { resources: [`${logGroup}:*`] },
    'SageMaker names a log stream per copy inside the component\'s own log group; the grant is limited to that group.');
}

/**
 * One model on a `SharedEndpoint`, with its own accelerators, memory, copy count and
 * autoscaling. Callers invoke it through the endpoint with its `InferenceComponentName`.
 */
export class InferenceComponent extends InferenceComponentBase {
  /** Imports a component defined elsewhere, e.g. to grant invoking it or to alarm on its metrics. */
  public static fromInferenceComponentAttributes(scope: Construct, id: string, attrs: InferenceComponentAttributes): IInferenceComponent {
    class Import extends InferenceComponentBase {
      public readonly inferenceComponentName = attrs.inferenceComponentName;
      public readonly inferenceComponentArn = sageMakerArn(scope, 'inference-component', attrs.inferenceComponentName);
      public readonly endpointArn = sageMakerArn(scope, 'endpoint', attrs.endpointName);
    }
    return new Import(scope, id);
  }

  /** The component's name (`InferenceComponentName` of InvokeEndpoint). */
  public readonly inferenceComponentName: string;
  /** The component's ARN. */
  public readonly inferenceComponentArn: string;
  /** The ARN of the endpoint that hosts the component. */
  public readonly endpointArn: string;
  /** The endpoint that hosts the component. */
  public readonly endpoint: ISharedEndpoint;
  /** The scalable target of the copy count, when the component autoscales. */
  public readonly scalableTarget?: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: InferenceComponentProps) {
    super(scope, id);
    const endpoint = props.endpoint;
    const name = props.inferenceComponentName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    this.inferenceComponentName = name;
    this.endpoint = endpoint;
    this.endpointArn = endpoint.endpointArn;
    const role = endpoint.role;
    const model = props.model.bind(this, role);
    const version = versionOfSource(props.model);
    const plan = validateComponentProps(this, props, name, model, version && Stack.of(version.parameter) !== Stack.of(this) ? version.parameter.node.path : undefined);
    recordComponent(endpoint, { ...plan, servesVersion: version !== undefined });
    // Components are named per account and region, across endpoints; SageMaker writes the name in lowercase in
    // the component's ARN, so names that differ only in case would be one resource.
    requireUniqueName(this, "'inferenceComponentName'", (c) => (c instanceof InferenceComponent ? c.inferenceComponentName : undefined), { ignoreCase: true });

    grantComponentLogs(this, role, name);

    const settings = modelSettingsOf(endpoint);
    // A rolling update may fall back to the replaced model: it is kept.
    const cfnModel = createServingModel(this, 'Model', { role, model, ...settings });

    const compute = props.computeResources;
    const component = new sagemaker.CfnInferenceComponent(this, 'Resource', {
      inferenceComponentName: name,
      endpointName: endpoint.endpointName,
      variantName: endpoint.variantName,
      specification: {
        modelName: cfnModel.attrModelName,
        computeResourceRequirements: {
          numberOfAcceleratorDevicesRequired: compute.acceleratorCount,
          minMemoryRequiredInMb: mebibytes(compute.minMemory),
          maxMemoryRequiredInMb: compute.maxMemory && mebibytes(compute.maxMemory),
          numberOfCpuCoresRequired: compute.cpuCores,
        },
        startupParameters: props.modelDataDownloadTimeout || props.containerStartupHealthCheckTimeout ? {
          modelDataDownloadTimeoutInSeconds: props.modelDataDownloadTimeout?.toSeconds(),
          containerStartupHealthCheckTimeoutInSeconds: props.containerStartupHealthCheckTimeout?.toSeconds(),
        } : undefined,
      },
      runtimeConfig: { copyCount: plan.initialCopyCount },
      deploymentConfig: props.rollingUpdate && this.renderRollingUpdate(props.rollingUpdate, role),
    });
    // The endpoint must be InService before a component can be placed on it; the name is known at synth.
    const endpointResource = endpoint.node.tryFindChild('Resource');
    if (endpointResource) component.node.addDependency(endpointResource);

    this.inferenceComponentArn = sageMakerArn(this, 'inference-component', name);

    if (props.autoScaling) this.scalableTarget = this.addScaling(component, props.autoScaling, plan.minCopyCount);

    // A registry version that is not promoted yet ('none') is no model: the component is left out until one is.
    version?.parameter.serveOnlyWhenPromoted(this);
    // A promotion checks afterwards that the component runs the model the template names.
    if (version) recordServedComponent(version.parameter, { componentName: name, model: cfnModel });
  }

  private renderRollingUpdate(update: ComponentRollingUpdate, role: iam.IRole): sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty {
    const copies = (value: number) => ({ type: 'COPY_COUNT', value });
    const alarms = update.rollbackAlarms ?? [];
    if (alarms.length > 0) {
      // SageMaker reads the rollback alarms with the endpoint's execution role during an update.
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: alarms.map((a) => a.alarmArn) }));
    }
    return {
      rollingUpdatePolicy: {
        maximumBatchSize: copies(update.maximumBatchSize ?? 1),
        waitIntervalInSeconds: (update.waitInterval ?? Duration.minutes(5)).toSeconds(),
        maximumExecutionTimeoutInSeconds: update.maximumExecutionTimeout?.toSeconds(),
        rollbackMaximumBatchSize: update.rollbackMaximumBatchSize !== undefined ? copies(update.rollbackMaximumBatchSize) : undefined,
      },
      autoRollbackConfiguration: alarms.length > 0 ? { alarms: alarms.map((a) => ({ alarmName: a.alarmName })) } : undefined,
    };
  }

  /**
   * Target tracking on the copy count and, when it may reach zero, AWS's scale-out from zero:
   * target tracking cannot leave zero copies (it divides by the copy count), so a step policy
   * adds a copy when a request finds none (`NoCapacityInvocationFailures`).
   */
  private addScaling(component: CfnResource, scaling: ComponentAutoScaling, minCopyCount: number): appscaling.ScalableTarget {
    const scope = new Construct(this, 'Scaling');
    const target = new appscaling.ScalableTarget(scope, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `inference-component/${this.inferenceComponentName}`,
      scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      minCapacity: minCopyCount,
      maxCapacity: scaling.maxCopyCount,
      role: sageMakerScalingRole(scope, 'ServiceRole'),
    });
    // The name is known at synth, so CloudFormation would not otherwise wait for the component.
    target.node.addDependency(component);
    const metric = scaling.metric ?? ComponentScalingMetric.invocationsPerCopy(70);
    const scaleOutCooldown = scaling.scaleOutCooldown ?? Duration.minutes(1);
    target.scaleToTrackMetric('TargetTracking', {
      predefinedMetric: metric.predefinedMetric,
      targetValue: metric.targetValue,
      scaleInCooldown: scaling.scaleInCooldown ?? Duration.minutes(5),
      scaleOutCooldown,
    });
    if (minCopyCount === 0) {
      const action = new appscaling.StepScalingAction(scope, 'ScaleOutFromZero', {
        scalingTarget: target,
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
        cooldown: scaleOutCooldown,
      });
      action.addAdjustment({ adjustment: 1, lowerBound: 0 });
      const alarm = new cloudwatch.Alarm(scope, 'NoCapacityAlarm', {
        alarmDescription: `A request found no copy of inference component ${this.inferenceComponentName}: add one`,
        metric: this.metricNoCapacityInvocationFailures({ period: Duration.minutes(1) }),
        // The first failed request starts a copy.
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cwactions.ApplicationScalingAction(action));
    }
    return target;
  }
}

function mebibytes(size: Size): number {
  return size.isUnresolved() ? size.toMebibytes() : size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
}
