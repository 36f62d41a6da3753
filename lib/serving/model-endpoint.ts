import { Annotations, IResource, Names, RemovalPolicy, Resource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { AsyncInferenceLocations, AsyncInferenceOptions } from './async-inference';
import { DataCaptureOptions } from './data-capture';
import { InferenceDataLocation } from './inference-data-location';
import { ModelEndpointProps } from './model-endpoint-props';
import { ModelSource, ModelSourceConfig } from './model-source';
import { renderDeployment, RenderedDeployment } from './private/endpoint-deployment';
import { hasInstanceStorage } from './private/endpoint-instances';
import { requireUniqueEndpointName } from './private/endpoint-name';
import { createExecutionRole, grantLocation, renderNetwork, RenderedNetwork } from './private/endpoint-role';
import { addVariantScaling } from './private/endpoint-scaling';
import { guardrailExclusion, serverlessMemory, validateEndpointProps, VariantPlan } from './private/endpoint-validation';
import { recordServedEndpoint, versionOfSource } from './private/served-endpoints';
import { createServingModel, keepWhenReplaced } from './private/serving-model';
import { acknowledgeFindings } from '../core/private/nag';
import { grantPublish } from '../core/private/publish';
import { sageMakerArn } from '../core/private/sagemaker-api';

/**
 * Options of an endpoint metric.
 */
export interface EndpointMetricOptions extends cloudwatch.MetricOptions {
  /**
   * The variant whose metric this is.
   *
   * @default - the endpoint's first variant
   */
  readonly variantName?: string;
}

/**
 * A SageMaker inference endpoint.
 */
export interface IModelEndpoint extends IResource {
  /** The endpoint's name. */
  readonly endpointName: string;
  /** The endpoint's ARN. */
  readonly endpointArn: string;

  /** Grants invoking the endpoint (`sagemaker:InvokeEndpoint`, or `InvokeEndpointAsync` for asynchronous endpoints). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;

  /** A metric of a variant in the `AWS/SageMaker` namespace (dimensions EndpointName and VariantName). */
  metric(metricName: string, props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Requests sent to the variant (Sum). Not published by asynchronous endpoints. */
  metricInvocations(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Time the model took to respond, in microseconds (Average). */
  metricModelLatency(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Time SageMaker added to the model latency, in microseconds (Average). Not published by asynchronous endpoints. */
  metricOverheadLatency(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Requests the model answered with a 4XX code (Sum). */
  metricInvocation4XXErrors(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Requests the model answered with a 5XX code (Sum). */
  metricInvocation5XXErrors(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Requests per instance (Sum), the metric of the default scaling policy. Not published by asynchronous endpoints. */
  metricInvocationsPerInstance(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** GPU utilization of the variant's instances, 0-100 per GPU (Average; namespace `/aws/sagemaker/Endpoints`). */
  metricGpuUtilization(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** GPU memory utilization of the variant's instances, 0-100 per GPU (Average; namespace `/aws/sagemaker/Endpoints`). */
  metricGpuMemoryUtilization(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** CPU utilization of the variant's instances, 0-100 per vCPU (Average; namespace `/aws/sagemaker/Endpoints`). */
  metricCpuUtilization(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Memory utilization of the variant's instances, 0-100 (Average; namespace `/aws/sagemaker/Endpoints`). */
  metricMemoryUtilization(props?: EndpointMetricOptions): cloudwatch.Metric;
  /** Disk utilization of the variant's instances, 0-100 (Average; namespace `/aws/sagemaker/Endpoints`). */
  metricDiskUtilization(props?: EndpointMetricOptions): cloudwatch.Metric;
}

/**
 * Attributes of an endpoint defined outside this stack.
 */
export interface ModelEndpointAttributes {
  /** The endpoint's name. */
  readonly endpointName: string;
  /**
   * The variant that metrics describe unless told otherwise.
   *
   * @default 'AllTraffic'
   */
  readonly defaultVariantName?: string;
  /**
   * The endpoint serves asynchronous inference, so `grantInvoke` grants `sagemaker:InvokeEndpointAsync`.
   *
   * @default false
   */
  readonly asyncInference?: boolean;
}

const INVOCATION_NAMESPACE = 'AWS/SageMaker';
const INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';

abstract class ModelEndpointBase extends Resource implements IModelEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;
  protected abstract readonly defaultVariantName: string;
  protected abstract readonly isAsync: boolean;

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [this.isAsync ? 'sagemaker:InvokeEndpointAsync' : 'sagemaker:InvokeEndpoint'],
      resourceArns: [this.endpointArn],
    });
  }

  public metric(metricName: string, props: EndpointMetricOptions = {}): cloudwatch.Metric {
    return this.variantMetric(INVOCATION_NAMESPACE, metricName, 'Average', props);
  }

  public metricInvocations(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INVOCATION_NAMESPACE, 'Invocations', 'Sum', props);
  }

  public metricModelLatency(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INVOCATION_NAMESPACE, 'ModelLatency', 'Average', props);
  }

  public metricOverheadLatency(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INVOCATION_NAMESPACE, 'OverheadLatency', 'Average', props);
  }

  public metricInvocation4XXErrors(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INVOCATION_NAMESPACE, 'Invocation4XXErrors', 'Sum', props);
  }

  public metricInvocation5XXErrors(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INVOCATION_NAMESPACE, 'Invocation5XXErrors', 'Sum', props);
  }

  public metricInvocationsPerInstance(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INVOCATION_NAMESPACE, 'InvocationsPerInstance', 'Sum', props);
  }

  public metricGpuUtilization(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INSTANCE_NAMESPACE, 'GPUUtilization', 'Average', props);
  }

  public metricGpuMemoryUtilization(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INSTANCE_NAMESPACE, 'GPUMemoryUtilization', 'Average', props);
  }

  public metricCpuUtilization(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INSTANCE_NAMESPACE, 'CPUUtilization', 'Average', props);
  }

  public metricMemoryUtilization(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INSTANCE_NAMESPACE, 'MemoryUtilization', 'Average', props);
  }

  public metricDiskUtilization(props?: EndpointMetricOptions): cloudwatch.Metric {
    return this.variantMetric(INSTANCE_NAMESPACE, 'DiskUtilization', 'Average', props);
  }

  private variantMetric(namespace: string, metricName: string, statistic: string, props: EndpointMetricOptions = {}): cloudwatch.Metric {
    const { variantName, ...options } = props;
    return new cloudwatch.Metric({
      ...options,
      namespace,
      metricName,
      statistic: options.statistic ?? statistic,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName ?? this.defaultVariantName, ...options.dimensionsMap },
    });
  }
}

/**
 * A SageMaker real-time (or serverless, or asynchronous) endpoint: model, endpoint
 * configuration and endpoint, with GPU variants, autoscaling, data capture, blue/green
 * deployments that roll back on alarms, and a least-privilege execution role.
 *
 * The endpoint name is stable across updates: a new model or setting creates a new model and
 * endpoint configuration and CloudFormation updates the endpoint in place. The replaced model
 * and configuration are kept (SageMaker may have rolled the endpoint back to them). Endpoints
 * hold no data, so they are deleted with the stack; model artifacts are never touched.
 */
export class ModelEndpoint extends ModelEndpointBase implements ec2.IConnectable {
  /** Imports a real-time endpoint by name. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IModelEndpoint {
    return ModelEndpoint.fromEndpointAttributes(scope, id, { endpointName });
  }

  /** Imports an endpoint defined elsewhere. */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: ModelEndpointAttributes): IModelEndpoint {
    class Import extends ModelEndpointBase {
      public readonly endpointName = attrs.endpointName;
      public readonly endpointArn = sageMakerArn(scope, 'endpoint', attrs.endpointName);
      protected readonly defaultVariantName = attrs.defaultVariantName ?? 'AllTraffic';
      protected readonly isAsync = attrs.asyncInference ?? false;
    }
    return new Import(scope, id);
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** Name of the current endpoint configuration (it changes with every update). */
  public readonly endpointConfigName: string;
  /** The execution role. */
  public readonly role: iam.IRole;
  /** The key that encrypts the instances' ML storage volumes, when there is one. */
  public readonly encryptionKey?: kms.IKey;
  /** The names of the production variants. */
  public readonly variantNames: string[];
  /** The network connections of the model's containers (empty outside a VPC). */
  public readonly connections: ec2.Connections;
  /** The alarms that roll a deployment back (add actions to them to be notified). */
  public readonly rollbackAlarms: cloudwatch.IAlarm[];
  /**
   * Where captured data is written, under `<prefix><endpoint>/<variant>/yyyy/mm/dd/hh/`.
   */
  public readonly dataCaptureLocation?: InferenceDataLocation;
  /** Where asynchronous requests and results go. */
  public readonly asyncInferenceLocations?: AsyncInferenceLocations;

  protected readonly defaultVariantName: string;
  protected readonly isAsync: boolean;
  private readonly asyncLocation?: InferenceDataLocation;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const name = props.endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    this.endpointName = name;
    this.isAsync = props.asyncInference !== undefined;
    this.role = props.role ?? createExecutionRole(this, name);

    // Bind first (grants only), so that validation sees every model and reports all problems at once.
    const boundModels = new Map<ModelSource, ModelSourceConfig>();
    const bind = (source: ModelSource) => {
      if (!boundModels.has(source)) boundModels.set(source, source.bind(this, this.role));
      return boundModels.get(source)!;
    };
    const plans: VariantPlan[] = props.variants.map((variant) => ({
      name: variant.variantName ?? 'AllTraffic',
      props: variant,
      model: bind(variant.model ?? props.model),
    }));
    validateEndpointProps(this, props, name, plans);
    requireUniqueEndpointName(this, () => this.endpointName);
    this.variantNames = plans.map((p) => p.name);
    this.defaultVariantName = this.variantNames[0];
    this.warnAboutIdleGpus(plans);

    const network = renderNetwork(this, this.role, props);
    this.connections = new ec2.Connections({ securityGroups: network.securityGroups });
    const modelNames = this.createModels(props, plans, boundModels, network);

    this.encryptionKey = props.encryptionKey ?? this.defaultKey(plans);
    // Readers of the capture (the drift monitor) need the key SageMaker writes it with.
    const capture = props.dataCapture;
    this.dataCaptureLocation = capture?.encryptionKey
      ? InferenceDataLocation.fromBucket(capture.location.bucket, capture.location.keyPrefix, capture.encryptionKey)
      : capture?.location;
    this.asyncLocation = props.asyncInference?.location;
    this.asyncInferenceLocations = this.asyncLocation && {
      inputS3Uri: this.asyncLocation.s3Uri('input/'),
      outputS3Uri: this.asyncLocation.s3Uri('output/'),
      failureS3Uri: this.asyncLocation.s3Uri('failures/'),
    };
    const config = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: plans.map((p) => renderVariant(p, modelNames.get(p.props.model ?? props.model)!)),
      kmsKeyId: this.encryptionKey?.keyArn,
      dataCaptureConfig: props.dataCapture && this.renderDataCapture(props.dataCapture),
      asyncInferenceConfig: props.asyncInference && this.renderAsyncInference(props.asyncInference),
    });
    if (!this.encryptionKey) {
      acknowledgeFindings(config, [{
        rules: ['NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured', 'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured'],
        reason: 'The variants have no EBS volume to encrypt: NVMe instance storage is encrypted by the instance hardware (SageMaker rejects a KmsKeyId for it) and serverless variants have none.',
      }]);
    }
    this.endpointConfigName = config.attrEndpointConfigName;
    keepWhenReplaced(config);
    for (const source of boundModels.keys()) {
      const version = versionOfSource(source);
      if (version) recordServedEndpoint(version.parameter, { endpointName: name, endpointConfig: config, modelDataLocation: version.modelDataLocation });
    }

    const autoscaled = plans.filter((p) => p.props.autoScaling);
    const deployment = this.resolveDeployment(props, plans);
    const endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: name,
      endpointConfigName: config.attrEndpointConfigName,
      deploymentConfig: deployment?.deploymentConfig,
      // Updates keep the instance counts autoscaling chose, but apply new weights and capture settings.
      retainAllVariantProperties: autoscaled.length > 0 ? true : undefined,
      excludeRetainedVariantProperties: autoscaled.length > 0
        ? [{ variantPropertyType: 'DesiredWeight' }, { variantPropertyType: 'DataCaptureConfig' }]
        : undefined,
    });
    // Built from the name, not a Ref: grants and alarms elsewhere stay valid while the endpoint
    // is conditional (ModelVersionParameter.serveOnlyWhenPromoted).
    this.endpointArn = sageMakerArn(this, 'endpoint', name);
    this.rollbackAlarms = deployment?.alarms ?? [];
    if (deployment && deployment.alarmArns.length > 0) {
      // SageMaker reads the rollback alarms with the endpoint's execution role during a rollout.
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: deployment.alarmArns }));
    }

    if (autoscaled.length > 0) {
      const scaling = new Construct(this, 'Scaling');
      for (const plan of autoscaled) {
        addVariantScaling(scaling, { endpoint, endpointName: name, variantName: plan.name, scaling: plan.props.autoScaling!, asyncInference: this.isAsync });
      }
    }
  }

  /**
   * Grants invoking the endpoint. For an asynchronous endpoint also grants uploading requests
   * under the input prefix and reading results under the output and failure prefixes.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const grant = super.grantInvoke(grantee);
    const location = this.asyncLocation;
    if (!location) return grant;
    const objects = (actions: string[], paths: string[]) =>
      iam.Grant.addToPrincipal({ grantee, actions, resourceArns: paths.map((p) => location.arnForObjects(p)) });
    location.encryptionKey?.grant(grantee, 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt');
    return grant.combine(objects(['s3:PutObject'], ['input/'])).combine(objects(['s3:GetObject'], ['output/', 'failures/']));
  }

  private warnAboutIdleGpus(plans: VariantPlan[]): void {
    for (const plan of plans) {
      const type = plan.props.instanceType;
      if (plan.model.cpuOnly && type?.isGpu) {
        Annotations.of(this).addWarningV2('cdk-mlops:cpuOnlyImageOnGpu',
          `Variant '${plan.name}' serves an image that runs on CPU only, so the GPUs of '${type.name}' would be paid for and idle; use a CPU instance type or a GPU-capable image`);
      }
    }
  }

  /** One model per distinct source: the endpoint's model as `Model`, a variant's own as `<variant>Model`. */
  private createModels(props: ModelEndpointProps, plans: VariantPlan[], bound: Map<ModelSource, ModelSourceConfig>,
    network: RenderedNetwork): Map<ModelSource, string> {
    const names = new Map<ModelSource, string>();
    for (const plan of plans) {
      const source = plan.props.model ?? props.model;
      if (names.has(source)) continue;
      const model = createServingModel(this, source === props.model ? 'Model' : `${plan.name}Model`, {
        role: this.role,
        model: bound.get(source)!,
        vpcConfig: network.vpcConfig,
        networkPolicy: network.policy,
        enableNetworkIsolation: props.enableNetworkIsolation,
      });
      names.set(source, model.attrModelName);
    }
    return names;
  }

  /** Secure by default where SageMaker allows a key: only when no variant has NVMe instance storage or is serverless. */
  private defaultKey(plans: VariantPlan[]): kms.IKey | undefined {
    const keyable = plans.every((p) => p.props.instanceType && !p.props.instanceType.isUnresolved && !p.props.serverless
      && !hasInstanceStorage(p.props.instanceType));
    if (!keyable) return undefined;
    return new kms.Key(this, 'Key', {
      description: `Encrypts the ML storage volumes of SageMaker endpoint ${this.endpointName}`,
      enableKeyRotation: true,
      // The volumes live and die with the endpoint; nothing needs the key after it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  private renderDataCapture(capture: DataCaptureOptions): sagemaker.CfnEndpointConfig.DataCaptureConfigProperty {
    grantLocation(this.role, capture.location, '', 'write');
    const key = capture.encryptionKey ?? capture.location.encryptionKey;
    if (capture.encryptionKey) capture.encryptionKey.grant(this.role, 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt');
    const modes = [
      ...(capture.captureRequests ?? true ? [{ captureMode: 'Input' }] : []),
      ...(capture.captureResponses ?? true ? [{ captureMode: 'Output' }] : []),
    ];
    return {
      enableCapture: true,
      destinationS3Uri: capture.location.s3Uri(),
      initialSamplingPercentage: capture.samplingPercentage ?? 100,
      captureOptions: modes,
      captureContentTypeHeader: {
        jsonContentTypes: capture.jsonContentTypes ?? ['application/json'],
        csvContentTypes: capture.csvContentTypes ?? ['text/csv'],
      },
      kmsKeyId: key?.keyArn,
    };
  }

  private renderAsyncInference(options: AsyncInferenceOptions): sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty {
    const location = options.location;
    // SageMaker downloads each request with the execution role and uploads each result.
    grantLocation(this.role, location, 'input/', 'read');
    grantLocation(this.role, location, 'output/', 'write');
    grantLocation(this.role, location, 'failures/', 'write');
    for (const topic of [options.successTopic, options.errorTopic]) if (topic) grantPublish(this.role, topic);
    const notify = options.successTopic || options.errorTopic;
    return {
      clientConfig: options.maxConcurrentInvocationsPerInstance !== undefined
        ? { maxConcurrentInvocationsPerInstance: options.maxConcurrentInvocationsPerInstance }
        : undefined,
      outputConfig: {
        s3OutputPath: location.s3Uri('output/'),
        s3FailurePath: location.s3Uri('failures/'),
        kmsKeyId: location.encryptionKey?.keyArn,
        notificationConfig: notify ? { successTopic: options.successTopic?.topicArn, errorTopic: options.errorTopic?.topicArn } : undefined,
      },
    };
  }

  /** Deployment guardrails where they apply; where they do not, the default is skipped with a warning that says why. */
  private resolveDeployment(props: ModelEndpointProps, plans: VariantPlan[]): RenderedDeployment | undefined {
    const exclusion = guardrailExclusion(plans);
    if (exclusion) {
      // An explicit 'deployment' was rejected by validation already.
      Annotations.of(this).addWarningV2('cdk-mlops:deploymentGuardrailsUnsupported',
        `Endpoint '${this.endpointName}' is deployed without guardrails (traffic shifting, baking, rollback alarms): ${exclusion}. `
        + 'SageMaker updates it blue/green all at once, without rollback.');
      return undefined;
    }
    return renderDeployment(this, { endpointName: this.endpointName, variantNames: this.variantNames }, props.deployment ?? {});
  }
}

function renderVariant(plan: VariantPlan, modelName: string): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
  const p = plan.props;
  const scaling = p.autoScaling;
  return {
    variantName: plan.name,
    modelName,
    initialVariantWeight: p.initialVariantWeight ?? 1,
    instanceType: p.serverless ? undefined : p.instanceType?.name,
    initialInstanceCount: p.serverless ? undefined : p.initialInstanceCount ?? Math.max(1, scaling?.minCapacity ?? 1),
    serverlessConfig: p.serverless && {
      memorySizeInMb: serverlessMemory(p.serverless.memorySize),
      maxConcurrency: p.serverless.maxConcurrency ?? 20,
      provisionedConcurrency: p.serverless.provisionedConcurrency,
    },
    modelDataDownloadTimeoutInSeconds: p.modelDataDownloadTimeout?.toSeconds(),
    containerStartupHealthCheckTimeoutInSeconds: p.containerStartupHealthCheckTimeout?.toSeconds(),
  };
}
