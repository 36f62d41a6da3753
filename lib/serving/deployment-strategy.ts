import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

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
