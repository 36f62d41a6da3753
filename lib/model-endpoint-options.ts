import { ArnFormat, Duration, Size, Stack, Token, UnscopedValidationError } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DataZone, IDataLake } from './data-lake';
import { MlInstanceType } from './instance-type';
import { IModelRegistry } from './model-registry';
import { acknowledgeWildcards } from './private/nag';
import { SageMakerImage } from './sagemaker-image';

type ErrorName = ConstructorParameters<typeof UnscopedValidationError>[0];

function invalid(code: string, message: string): never {
  throw new UnscopedValidationError(code as ErrorName, message);
}

/** `arn:<partition>:sagemaker:<region>:<account>:model-package/<name>[/<version>]`, as SageMaker writes it (lowercase). */
const MODEL_PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package\/[a-z0-9](-*[a-z0-9]){0,62}(\/[1-9][0-9]*)?$/;

/**
 * An S3 key prefix where an endpoint reads or writes inference data (captured requests,
 * asynchronous requests and responses, model artifacts), with the KMS key that encrypts it.
 */
export class InferenceDataLocation {
  /**
   * A prefix in one zone of a data lake, encrypted with the lake's key.
   *
   * @param keyPrefix the prefix, ending in '/', e.g. 'endpoints/churn/'
   * @param zone the zone (default DataZone.CAPTURE)
   */
  public static fromDataLake(lake: IDataLake, keyPrefix: string, zone: DataZone = DataZone.CAPTURE): InferenceDataLocation {
    return new InferenceDataLocation(lake.bucketFor(zone), keyPrefix, lake.encryptionKey);
  }

  /**
   * A prefix in any bucket.
   *
   * @param keyPrefix the prefix, ending in '/', e.g. 'endpoints/churn/'
   * @param encryptionKey the key that encrypts the objects (default: the bucket's key, if it has one)
   */
  public static fromBucket(bucket: s3.IBucket, keyPrefix: string, encryptionKey?: kms.IKey): InferenceDataLocation {
    return new InferenceDataLocation(bucket, keyPrefix, encryptionKey ?? bucket.encryptionKey);
  }

  /** The bucket. */
  public readonly bucket: s3.IBucket;
  /** The key prefix, ending in '/'. */
  public readonly keyPrefix: string;
  /** The KMS key that encrypts the objects, when there is one. */
  public readonly encryptionKey?: kms.IKey;

  private constructor(bucket: s3.IBucket, keyPrefix: string, encryptionKey?: kms.IKey) {
    if (!Token.isUnresolved(keyPrefix) && (!/^[^/*][^*]*\/$/.test(keyPrefix))) {
      invalid('InferenceDataLocationInvalid',
        `'keyPrefix' ('${keyPrefix}') must be a key prefix ending in '/', without a leading '/' or wildcards; use e.g. 'endpoints/churn/'`);
    }
    this.bucket = bucket;
    this.keyPrefix = keyPrefix;
    this.encryptionKey = encryptionKey;
  }

  /**
   * The S3 URI of the prefix, or of `path` under it.
   *
   * @param path appended to the prefix (default: none)
   */
  public s3Uri(path: string = ''): string {
    return this.bucket.s3UrlForObject(`${this.keyPrefix}${path}`);
  }

  /**
   * The ARN pattern of the objects under the prefix, or under `path` below it.
   *
   * @param path appended to the prefix before the wildcard (default: none)
   */
  public arnForObjects(path: string = ''): string {
    return this.bucket.arnForObjects(`${this.keyPrefix}${path}*`);
  }
}

/**
 * What a model source resolves to: the container definition of a SageMaker model.
 */
export interface ModelSourceConfig {
  /**
   * The inference image URI.
   *
   * @default - the model package's image
   */
  readonly imageUri?: string;
  /**
   * S3 URI of the model artifact (`model.tar.gz`).
   *
   * @default - none: the image holds the model, or the model package names the artifact
   */
  readonly modelDataUrl?: string;
  /**
   * ARN of a versioned model package.
   *
   * @default - not a model package
   */
  readonly modelPackageName?: string;
  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Whether the model comes from AWS Marketplace (deployment guardrails do not support those).
   *
   * @default false
   */
  readonly marketplace?: boolean;
  /**
   * Whether the image runs on CPU only, so that GPU instances would be idle.
   *
   * @default false
   */
  readonly cpuOnly?: boolean;
}

/**
 * Options of the container that serves a model.
 */
export interface ContainerOptions {
  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/**
 * Options of a model served from a model package (a registered model version).
 */
export interface ModelPackageSourceOptions extends ContainerOptions {
  /**
   * Where the package's model artifacts lie; the execution role may read objects under it.
   * For a package registered by a `TrainingPipeline`, the pipeline's prefix of the artifacts zone.
   *
   * @default - no S3 read access is granted: the role must already have it
   */
  readonly modelDataLocation?: InferenceDataLocation;

  /**
   * The package's inference image, so that the execution role may pull it (needed for images in your own ECR repositories).
   *
   * @default - no pull access is granted (AWS-owned images need none)
   */
  readonly image?: SageMakerImage;

  /**
   * The package comes from AWS Marketplace. Deployment guardrails (traffic shifting, rollback
   * alarms) do not support Marketplace containers, so the endpoint skips them.
   *
   * @default false
   */
  readonly marketplace?: boolean;
}

/**
 * The model an endpoint serves: an artifact with an image, an image alone, or a registered model package.
 */
export abstract class ModelSource {
  /**
   * A model artifact (`model.tar.gz`) in S3 served by an image. The execution role may read
   * only this object (and decrypt it with the bucket's key).
   *
   * @param objectKey the artifact's key, e.g. 'churn/runs/run-1/output/model.tar.gz'; may be a deploy-time token
   */
  public static fromArtifact(image: SageMakerImage, bucket: s3.IBucket, objectKey: string, options: ContainerOptions = {}): ModelSource {
    if (!Token.isUnresolved(objectKey) && (objectKey.length === 0 || objectKey.startsWith('/') || objectKey.includes('*'))) {
      invalid('ModelSourceInvalid', `'objectKey' ('${objectKey}') must be the key of one object, without a leading '/' or wildcards; use e.g. 'models/churn/model.tar.gz'`);
    }
    return new ArtifactSource(image, options, bucket, objectKey);
  }

  /** An image that holds its model (or downloads it itself). */
  public static fromImage(image: SageMakerImage, options: ContainerOptions = {}): ModelSource {
    return new ArtifactSource(image, options);
  }

  /**
   * One version of a model registry (model package group).
   *
   * @param version the version number, from 1
   */
  public static fromModelPackage(registry: IModelRegistry, version: number, options: ModelPackageSourceOptions = {}): ModelSource {
    if (!Token.isUnresolved(version) && (!Number.isInteger(version) || version < 1)) {
      invalid('ModelSourceInvalid', `'version' (${version}) must be a whole number from 1, the version of a model package in '${registry.modelPackageGroupName}'`);
    }
    const group = registry.modelPackageGroupName;
    // SageMaker writes resource names in ARNs in lowercase.
    const name = `${Token.isUnresolved(group) ? group : group.toLowerCase()}/${version}`;
    const arn = Stack.of(registry).formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    return new PackageSource(arn, options);
  }

  /**
   * A model package by ARN, e.g. one a pipeline promoted into a parameter the stack reads.
   * A literal ARN is checked at synth; a token is accepted as it is.
   *
   * @param modelPackageArn e.g. 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3'
   */
  public static fromModelPackageArn(modelPackageArn: string, options: ModelPackageSourceOptions = {}): ModelSource {
    if (!Token.isUnresolved(modelPackageArn) && !MODEL_PACKAGE_ARN.test(modelPackageArn)) {
      invalid('ModelSourceInvalid',
        `'modelPackageArn' ('${modelPackageArn}') is not a model package ARN; use the form 'arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>' (lowercase, as SageMaker returns it)`);
    }
    return new PackageSource(modelPackageArn, options);
  }

  /**
   * Resolves the container definition in `scope` and grants `grantee` (the execution role)
   * what it needs to read the model and pull the image.
   */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): ModelSourceConfig;
}

class ArtifactSource extends ModelSource {
  constructor(
    private readonly image: SageMakerImage,
    private readonly options: ContainerOptions,
    private readonly bucket?: s3.IBucket,
    private readonly objectKey?: string,
  ) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): ModelSourceConfig {
    const { imageUri } = this.image.bind(scope, grantee);
    let modelDataUrl: string | undefined;
    if (this.bucket && this.objectKey !== undefined) {
      // The artifact object only: no listing, no other keys.
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(this.objectKey)] });
      this.bucket.encryptionKey?.grantDecrypt(grantee);
      modelDataUrl = this.bucket.s3UrlForObject(this.objectKey);
    }
    return { imageUri, modelDataUrl, environment: this.options.environment, cpuOnly: this.image.cpuOnly };
  }
}

class PackageSource extends ModelSource {
  constructor(private readonly arn: string, private readonly options: ModelPackageSourceOptions) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): ModelSourceConfig {
    this.options.image?.bind(scope, grantee);
    const location = this.options.modelDataLocation;
    if (location) {
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [location.arnForObjects()] });
      location.encryptionKey?.grantDecrypt(grantee);
      if (Construct.isConstruct(grantee)) {
        acknowledgeWildcards(grantee, { resources: [location.arnForObjects()] },
          'A model package names its artifact at registration; the role may read only the configured prefix of registered artifacts.');
      }
    }
    return {
      modelPackageName: this.arn,
      environment: this.options.environment,
      marketplace: this.options.marketplace ?? false,
      cpuOnly: this.options.image?.cpuOnly ?? false,
    };
  }
}

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
 * Stack updates keep the instance count autoscaling chose. Application Auto Scaling blocks an
 * update that changes the instance type of an autoscaled variant: remove `autoScaling` in one
 * deployment, change the type in the next, and add it back after.
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

/**
 * Capture of requests and responses, the input of drift monitoring.
 * SageMaker writes JSON Lines files under `<prefix><endpoint>/<variant>/yyyy/mm/dd/hh/`.
 */
export interface DataCaptureOptions {
  /** Where captured data is written, e.g. `InferenceDataLocation.fromDataLake(lake, 'endpoints/churn/')`. */
  readonly location: InferenceDataLocation;

  /**
   * Percentage of requests captured (0 to 100). Lower it on busy endpoints.
   *
   * @default 100
   */
  readonly samplingPercentage?: number;

  /**
   * Capture the requests (model input).
   *
   * @default true
   */
  readonly captureRequests?: boolean;

  /**
   * Capture the responses (model output).
   *
   * @default true
   */
  readonly captureResponses?: boolean;

  /**
   * Content types captured as JSON text (others are captured base64-encoded).
   *
   * @default ['application/json']
   */
  readonly jsonContentTypes?: string[];

  /**
   * Content types captured as CSV text (others are captured base64-encoded).
   *
   * @default ['text/csv']
   */
  readonly csvContentTypes?: string[];

  /**
   * The KMS key SageMaker encrypts captured data with.
   *
   * @default - the location's key
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Asynchronous inference: requests are queued from S3 and answered into S3, optionally with
 * notifications; the instance count may scale to zero.
 */
export interface AsyncInferenceOptions {
  /**
   * Where requests are read (`<prefix>input/`), responses written (`<prefix>output/`) and
   * failures written (`<prefix>failures/`), encrypted with the location's key.
   */
  readonly location: InferenceDataLocation;

  /**
   * Topic notified of each successful inference. Use a KMS-encrypted topic; the execution role may publish and use its key.
   *
   * @default - no success notifications
   */
  readonly successTopic?: sns.ITopic;

  /**
   * Topic notified of each failed inference. Use a KMS-encrypted topic; the execution role may publish and use its key.
   *
   * @default - no error notifications
   */
  readonly errorTopic?: sns.ITopic;

  /**
   * Requests each instance processes at once (1 to 1000).
   *
   * @default - SageMaker chooses
   */
  readonly maxConcurrentInvocationsPerInstance?: number;
}

/** How a capacity size is counted. */
export enum CapacitySizeType {
  /** A number of instances. */
  INSTANCE_COUNT = 'INSTANCE_COUNT',
  /** A percentage of the variant's instances. */
  CAPACITY_PERCENT = 'CAPACITY_PERCENT',
}

/**
 * A batch of capacity for traffic shifting: a number of instances or a percentage of the variant.
 */
export class CapacitySize {
  /** A number of instances. */
  public static instances(count: number): CapacitySize {
    return new CapacitySize(CapacitySizeType.INSTANCE_COUNT, count);
  }

  /** A percentage of the variant's instances. */
  public static percent(percent: number): CapacitySize {
    return new CapacitySize(CapacitySizeType.CAPACITY_PERCENT, percent);
  }

  /** How the size is counted. */
  public readonly sizeType: CapacitySizeType;
  /** The size. */
  public readonly value: number;

  private constructor(sizeType: CapacitySizeType, value: number) {
    this.sizeType = sizeType;
    this.value = value;
  }

  public toString(): string {
    return this.sizeType === CapacitySizeType.CAPACITY_PERCENT ? `${this.value}%` : `${this.value} instance${this.value === 1 ? '' : 's'}`;
  }
}

/** The kinds of endpoint deployment. */
export enum DeploymentType {
  /** Blue/green, all traffic shifted at once. */
  ALL_AT_ONCE = 'ALL_AT_ONCE',
  /** Blue/green, a canary first, then the rest. */
  CANARY = 'CANARY',
  /** Blue/green, in equal steps. */
  LINEAR = 'LINEAR',
  /** Rolling: the fleet is replaced batch by batch, without a full second fleet. */
  ROLLING = 'ROLLING',
}

/**
 * Options shared by blue/green deployments.
 */
export interface BlueGreenDeploymentOptions {
  /**
   * How long the old fleet is kept after all traffic moved, while rollback alarms still apply (0 to 60 minutes).
   *
   * @default Duration.minutes(10)
   */
  readonly terminationWait?: Duration;

  /**
   * The deployment fails and rolls back after this long (10 minutes to 8 hours); it must exceed the waits.
   *
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;
}

/**
 * A canary deployment: a small share of traffic first, then the rest.
 */
export interface CanaryDeploymentOptions extends BlueGreenDeploymentOptions {
  /** The canary: at most 50% of the variant's instances. */
  readonly canarySize: CapacitySize;
  /** How long the canary is watched before the rest of the traffic moves (0 to 60 minutes). */
  readonly waitInterval: Duration;
}

/**
 * A linear deployment: traffic moves in equal steps.
 */
export interface LinearDeploymentOptions extends BlueGreenDeploymentOptions {
  /** Each step: 10% to 50% of the variant's instances. */
  readonly stepSize: CapacitySize;
  /** How long each step is watched before the next (0 to 60 minutes). */
  readonly waitInterval: Duration;
}

/**
 * A rolling deployment: batches of the fleet are replaced in turn (no second full fleet).
 * Not for serverless or multi-variant endpoints.
 */
export interface RollingDeploymentOptions {
  /** Each batch: 5% to 50% of the variant's instances. */
  readonly maximumBatchSize: CapacitySize;
  /** How long each batch is watched before the next (0 to 60 minutes). */
  readonly waitInterval: Duration;
  /**
   * The deployment fails and rolls back after this long (10 minutes to 8 hours).
   *
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;
  /**
   * Batch size when rolling back.
   *
   * @default - the whole old fleet at once
   */
  readonly rollbackMaximumBatchSize?: CapacitySize;
}

/**
 * How SageMaker moves an endpoint to a new endpoint configuration (a new model or settings).
 */
export class DeploymentStrategy {
  /**
   * Blue/green: a new fleet, then all traffic at once, then a baking period before the old fleet goes.
   */
  public static allAtOnce(options: BlueGreenDeploymentOptions = {}): DeploymentStrategy {
    return new DeploymentStrategy(DeploymentType.ALL_AT_ONCE, options);
  }

  /** Blue/green with a canary. */
  public static canary(options: CanaryDeploymentOptions): DeploymentStrategy {
    return new DeploymentStrategy(DeploymentType.CANARY, options, options.canarySize, options.waitInterval);
  }

  /** Blue/green in equal steps. */
  public static linear(options: LinearDeploymentOptions): DeploymentStrategy {
    return new DeploymentStrategy(DeploymentType.LINEAR, options, options.stepSize, options.waitInterval);
  }

  /** Rolling, batch by batch. */
  public static rolling(options: RollingDeploymentOptions): DeploymentStrategy {
    return new DeploymentStrategy(DeploymentType.ROLLING, options, options.maximumBatchSize, options.waitInterval, options.rollbackMaximumBatchSize);
  }

  /** The kind of deployment. */
  public readonly deploymentType: DeploymentType;
  /** Canary size, linear step or rolling batch, when the kind has one. */
  public readonly stepSize?: CapacitySize;
  /** Wait between steps, when the kind has steps. */
  public readonly waitInterval?: Duration;
  /** Baking period of blue/green deployments. */
  public readonly terminationWait?: Duration;
  /** Limit of the whole deployment. */
  public readonly maximumExecutionTimeout?: Duration;
  /** Batch size when a rolling deployment rolls back. */
  public readonly rollbackMaximumBatchSize?: CapacitySize;

  private constructor(deploymentType: DeploymentType, options: BlueGreenDeploymentOptions, stepSize?: CapacitySize, waitInterval?: Duration, rollbackBatch?: CapacitySize) {
    this.deploymentType = deploymentType;
    this.stepSize = stepSize;
    this.waitInterval = waitInterval;
    this.terminationWait = deploymentType === DeploymentType.ROLLING ? undefined : options.terminationWait ?? Duration.minutes(10);
    this.maximumExecutionTimeout = options.maximumExecutionTimeout;
    this.rollbackMaximumBatchSize = rollbackBatch;
  }
}

/**
 * Safe rollout of endpoint updates: traffic shifting and automatic rollback on alarms (deployment guardrails).
 */
export interface EndpointDeploymentOptions {
  /**
   * How traffic moves to the new fleet.
   *
   * @default DeploymentStrategy.allAtOnce() - blue/green with a 10-minute baking period
   */
  readonly strategy?: DeploymentStrategy;

  /**
   * Create, per variant, an alarm on p99 model latency and one on 5XX errors that roll the deployment back.
   *
   * @default true
   */
  readonly createDefaultAlarms?: boolean;

  /**
   * The default latency alarm fires when p99 `ModelLatency` stays above this for 3 minutes.
   * Tune it to the model: large generative models need more.
   *
   * @default Duration.seconds(5)
   */
  readonly modelLatencyThreshold?: Duration;

  /**
   * The default error alarm fires when the model returns at least this many 5XX errors a minute, 2 minutes running.
   *
   * @default 5
   */
  readonly serverErrorsThreshold?: number;

  /**
   * More alarms that roll a deployment back (at most 10 alarms in all, with the default ones).
   *
   * @default - only the default alarms
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];
}

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
 * The S3 URIs an asynchronous endpoint reads requests from and writes results to.
 */
export interface AsyncInferenceLocations {
  /** Prefix where callers upload request payloads. */
  readonly inputS3Uri: string;
  /** Prefix where SageMaker writes responses. */
  readonly outputS3Uri: string;
  /** Prefix where SageMaker writes failed responses. */
  readonly failureS3Uri: string;
}
