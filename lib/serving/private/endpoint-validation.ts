import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { hasInstanceStorage, isInf1 } from './endpoint-instances';
import { CapacitySize, CapacitySizeType, DeploymentStrategy, DeploymentType } from '../deployment-strategy';
import type { ModelEndpointProps } from '../model-endpoint-props';
import { ModelSourceConfig } from '../model-source';
import { ProductionVariant, VariantAutoScaling } from '../production-variant';
import { InstanceUse } from '../../core/instance-type';
import { PropsValidator } from '../../core/private/errors';
import { checkInstanceUse } from '../../core/private/instance-use';
import { isSageMakerName } from '../../core/private/sagemaker-api';

/** A variant with its resolved name and bound model. */
export interface VariantPlan {
  readonly name: string;
  readonly props: ProductionVariant;
  readonly model: ModelSourceConfig;
}

const CONTENT_TYPE = /^[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*\/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*$/;
/** SageMaker's limits: production variants per endpoint configuration, rollback alarms per deployment. */
const MAX_VARIANTS = 10;
const MAX_ROLLBACK_ALARMS = 10;

/**
 * Why deployment guardrails cannot apply to these variants (AWS's current exclusions:
 * Marketplace containers and Inf1 instances), or undefined when they can.
 */
export function guardrailExclusion(variants: VariantPlan[]): string | undefined {
  for (const variant of variants) {
    const type = variant.props.instanceType;
    if (type && isInf1(type)) return `variant '${variant.name}' runs on Inf1 instances (${type.name}), which deployment guardrails do not support`;
    if (variant.model.marketplace) return `variant '${variant.name}' serves an AWS Marketplace model package, which deployment guardrails do not support`;
  }
  return undefined;
}

/** Checks every prop at once and throws one error listing every problem. */
export function validateEndpointProps(scope: IConstruct, props: ModelEndpointProps, endpointName: string, variants: VariantPlan[]): void {
  const v = new PropsValidator(scope, 'ModelEndpointInvalidProps');
  const isAsync = props.asyncInference !== undefined;
  v.checkResolved([endpointName], () => !isSageMakerName(endpointName),
    `'endpointName' ('${endpointName}') must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit; use e.g. 'churn-model'`);
  checkVariantList(v, props, variants);
  for (const variant of variants) checkVariant(v, variant, isAsync);
  checkServerless(v, props, variants);
  checkDataCapture(v, props);
  const max = props.asyncInference?.maxConcurrentInvocationsPerInstance;
  v.check(max !== undefined && !Token.isUnresolved(max) && (!Number.isInteger(max) || max < 1 || max > 1000),
    `'asyncInference.maxConcurrentInvocationsPerInstance' (${max}) must be a whole number from 1 to 1000`);
  const storage = variants.find((p) => p.props.instanceType && !p.props.instanceType.isUnresolved && hasInstanceStorage(p.props.instanceType));
  v.check(props.encryptionKey !== undefined && storage !== undefined,
    `'encryptionKey' cannot encrypt the storage of ${storage?.props.instanceType?.name} (variant '${storage?.name}'): its NVMe instance storage is encrypted by the instance hardware `
    + 'and SageMaker rejects a KmsKeyId for it; remove \'encryptionKey\' (data capture and asynchronous output keep their own keys)');
  checkDeployment(v, props, variants);
  v.throwIfInvalid();
}

function checkVariantList(v: PropsValidator, props: ModelEndpointProps, variants: VariantPlan[]): void {
  v.check(variants.length === 0, '\'variants\' is empty; add at least one, e.g. { instanceType: MlInstanceType.ML_G5_XLARGE }');
  v.check(variants.length > MAX_VARIANTS, `'variants' has ${variants.length} variants; SageMaker allows at most ${MAX_VARIANTS} per endpoint`);
  v.check(variants.length > 1 && props.variants.some((p) => p.variantName === undefined),
    `'variants' has ${variants.length} variants but not every one has a 'variantName'; name each, e.g. 'champion' and 'challenger'`);
  const seen = new Set<string>();
  for (const { name } of variants) {
    v.check(seen.has(name), `'variantName' ('${name}') is used by more than one variant; variant names must be unique`);
    seen.add(name);
    v.checkResolved([name], () => !isSageMakerName(name),
      `'variantName' ('${name}') must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit; use e.g. 'AllTraffic'`);
  }
}

function checkVariant(v: PropsValidator, { name, props: p, model }: VariantPlan, isAsync: boolean): void {
  const at = `variant '${name}':`;
  const type = p.instanceType;
  if (p.serverless) {
    v.check(type !== undefined && type.isGpu,
      `${at} 'instanceType' (${type?.name}) cannot be used with 'serverless': serverless inference runs on CPU only (no GPUs) and picks its own capacity; remove 'serverless' to serve on GPU instances`);
    v.check(type !== undefined && !type.isGpu,
      `${at} 'instanceType' (${type?.name}) cannot be used with 'serverless': serverless inference picks its own capacity; remove 'instanceType' or 'serverless'`);
    v.check(p.initialInstanceCount !== undefined, `${at} 'initialInstanceCount' does not apply to 'serverless' variants; remove it`);
    v.check(p.autoScaling !== undefined,
      `${at} 'autoScaling' does not apply to 'serverless' variants, which scale by themselves up to 'serverless.maxConcurrency'; remove it`);
    v.check(model.gpuOnly === true,
      `${at} its model's image needs an NVIDIA GPU (a -gpu- image), and serverless inference runs on CPU only; serve it on GPU instances, or use the image's -cpu- variant`);
  } else {
    v.check(type === undefined, `${at} 'instanceType' is missing; set one, e.g. MlInstanceType.ML_G5_XLARGE, or set 'serverless'`);
    checkInstanceUse(v, 'instanceType', type, InstanceUse.HOSTING, at);
    v.check(model.gpuOnly === true && type !== undefined && !type.isUnresolved && !type.isGpu,
      `${at} its model's image needs an NVIDIA GPU (a -gpu- image) but 'instanceType' (${type?.name}) has none; use a GPU instance type such as ml.g5.xlarge, or the image's -cpu- variant`);
  }
  const count = p.initialInstanceCount;
  v.checkResolved([count], () => count !== undefined && (!Number.isInteger(count) || count < 1),
    `${at} 'initialInstanceCount' (${count}) must be a whole number from 1`);
  const weight = p.initialVariantWeight;
  v.checkResolved([weight], () => weight !== undefined && (!Number.isFinite(weight) || weight < 0),
    `${at} 'initialVariantWeight' (${weight}) must be a number from 0`);
  checkSeconds(v, `${at} 'modelDataDownloadTimeout'`, p.modelDataDownloadTimeout, 60, 3600);
  checkSeconds(v, `${at} 'containerStartupHealthCheckTimeout'`, p.containerStartupHealthCheckTimeout, 60, 3600);
  if (p.autoScaling) checkAutoScaling(v, at, p, p.autoScaling, isAsync);
  if (p.serverless) {
    const memory = p.serverless.memorySize;
    if (memory && !memory.isUnresolved()) {
      const mib = memory.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
      v.check(!Number.isInteger(mib / 1024) || mib < 1024 || mib > 6144,
        `${at} 'serverless.memorySize' (${mib} MiB) must be 1 to 6 GiB in whole GiB (1024, 2048, ... 6144 MiB); use e.g. Size.gibibytes(2)`);
    }
    const concurrency = p.serverless.maxConcurrency ?? 20;
    v.checkResolved([concurrency], () => !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 200,
      `${at} 'serverless.maxConcurrency' (${concurrency}) must be a whole number from 1 to 200`);
    const provisioned = p.serverless.provisionedConcurrency;
    v.checkResolved([provisioned, concurrency], () => provisioned !== undefined && (!Number.isInteger(provisioned) || provisioned < 1 || provisioned > concurrency),
      `${at} 'serverless.provisionedConcurrency' (${provisioned}) must be a whole number from 1 to 'maxConcurrency' (${concurrency})`);
  }
  v.check(model.marketplace === true && p.serverless !== undefined,
    `${at} serverless inference cannot serve AWS Marketplace model packages; serve it on instances`);
}

function checkAutoScaling(v: PropsValidator, at: string, p: ProductionVariant, s: VariantAutoScaling, isAsync: boolean): void {
  const min = s.minCapacity ?? 1;
  const max = s.maxCapacity;
  const type = p.instanceType;
  v.checkResolved([max], () => !Number.isInteger(max) || max < 1, `${at} 'autoScaling.maxCapacity' (${max}) must be a whole number from 1`);
  v.checkResolved([min], () => !Number.isInteger(min) || min < 0, `${at} 'autoScaling.minCapacity' (${min}) must be a whole number from 0`);
  v.checkResolved([min, max], () => min > max,
    `${at} 'autoScaling.minCapacity' (${min}) is more than 'autoScaling.maxCapacity' (${max}); raise 'maxCapacity' to at least ${min} or lower 'minCapacity'`);
  v.checkResolved([min], () => min === 0 && !isAsync,
    `${at} 'autoScaling.minCapacity' (0) is only possible for asynchronous endpoints; real-time endpoints need at least 1 instance, so use 1 or set 'asyncInference'`);
  v.check(type !== undefined && type.isBurstable,
    `${at} 'instanceType' (${type?.name}) is burstable, and SageMaker does not autoscale burstable instances; use e.g. MlInstanceType.ML_M5_LARGE or remove 'autoScaling'`);
  const count = p.initialInstanceCount;
  v.checkResolved([count, min, max], () => count !== undefined && (count < Math.max(min, 1) || count > max),
    `${at} 'initialInstanceCount' (${count}) must be within the autoscaling bounds (${Math.max(min, 1)} to ${max}); leave it out to start at 'minCapacity'`);
  const metric = s.metric;
  if (metric) {
    v.checkResolved([metric.targetValue], () => !Number.isFinite(metric.targetValue) || metric.targetValue <= 0,
      `${at} the target of 'autoScaling.metric' (${metric.metricName}: ${metric.targetValue}) must be a positive number`);
    v.check(metric.metricName === 'InvocationsPerInstance' && isAsync,
      `${at} 'autoScaling.metric' (invocations per instance) is not published by asynchronous endpoints; use AutoScalingMetric.backlogPerInstance(5)`);
    v.check(metric.metricName === 'ApproximateBacklogSizePerInstance' && !isAsync,
      `${at} 'autoScaling.metric' (backlog per instance) exists only for asynchronous endpoints; use AutoScalingMetric.invocationsPerInstance(70) or set 'asyncInference'`);
    v.check(metric.metricName === 'GPUUtilization' && type !== undefined && !type.isUnresolved && !type.isGpu,
      `${at} 'autoScaling.metric' (GPU utilization) needs a GPU instance type, and ${type?.name} has none; use AutoScalingMetric.cpuUtilization(...) or a GPU instance type`);
  }
  checkSeconds(v, `${at} 'autoScaling.scaleInCooldown'`, s.scaleInCooldown, 0, 86400);
  checkSeconds(v, `${at} 'autoScaling.scaleOutCooldown'`, s.scaleOutCooldown, 0, 86400);
  const names = new Set<string>();
  for (const schedule of s.schedules ?? []) {
    const n = schedule.scheduleName;
    v.check(names.has(n), `${at} 'autoScaling.schedules' has two schedules named '${n}'; names must be unique within a variant`);
    names.add(n);
    v.checkResolved([n], () => !/^[^:/|\s][^:/|]{0,254}[^:/|\s]$|^[^:/|\s]$/.test(n),
      `${at} 'scheduleName' ('${n}') must be 1 to 256 characters without ':', '/' or '|' and without surrounding spaces; use e.g. 'ScaleInAtNight'`);
    v.check(schedule.minCapacity === undefined && schedule.maxCapacity === undefined,
      `${at} schedule '${n}' changes neither 'minCapacity' nor 'maxCapacity'; set at least one`);
    v.checkResolved([schedule.minCapacity, schedule.maxCapacity], () => (schedule.minCapacity ?? 0) > (schedule.maxCapacity ?? Infinity),
      `${at} schedule '${n}' has 'minCapacity' (${schedule.minCapacity}) above 'maxCapacity' (${schedule.maxCapacity})`);
    v.checkResolved([schedule.minCapacity], () => schedule.minCapacity === 0 && !isAsync,
      `${at} schedule '${n}' sets 'minCapacity' to 0, which only asynchronous endpoints allow; use 1`);
  }
}

function checkServerless(v: PropsValidator, props: ModelEndpointProps, variants: VariantPlan[]): void {
  const serverless = variants.find((p) => p.props.serverless);
  if (!serverless) return;
  // AWS's feature exclusions of serverless inference.
  const at = `serverless variant '${serverless.name}'`;
  v.check(variants.length > 1, `${at} must be the endpoint's only variant (serverless inference has no multi-variant endpoints); give the other variants an endpoint of their own`);
  v.check(props.dataCapture !== undefined, `'dataCapture' is not supported by ${at} (serverless inference has no data capture); serve on instances to capture data`);
  v.check(props.vpc !== undefined, `'vpc' is not supported by ${at} (serverless inference has no VPC configuration); serve on instances to run in a VPC`);
  v.check(props.enableNetworkIsolation === true, `'enableNetworkIsolation' is not supported by ${at}; serve on instances to isolate the container`);
  v.check(props.asyncInference !== undefined, `'asyncInference' is not supported by ${at}; serve on instances for asynchronous inference`);
}

function checkDataCapture(v: PropsValidator, props: ModelEndpointProps): void {
  const capture = props.dataCapture;
  if (!capture) return;
  const pct = capture.samplingPercentage;
  v.checkResolved([pct], () => pct !== undefined && (!Number.isInteger(pct) || pct < 1 || pct > 100),
    `'dataCapture.samplingPercentage' (${pct}) must be a whole number from 1 to 100 (0 captures nothing); use e.g. 20 on busy endpoints, or remove 'dataCapture'`);
  v.check(capture.captureRequests === false && capture.captureResponses === false,
    '\'dataCapture\' captures neither requests nor responses; set \'captureRequests\' or \'captureResponses\' (or remove \'dataCapture\')');
  for (const [name, types] of [['jsonContentTypes', capture.jsonContentTypes], ['csvContentTypes', capture.csvContentTypes]] as const) {
    v.check((types?.length ?? 0) > 10, `'dataCapture.${name}' has ${types?.length} content types; SageMaker allows at most 10`);
    for (const t of types ?? []) {
      v.checkResolved([t], () => !CONTENT_TYPE.test(t), `'dataCapture.${name}' has '${t}', which is not a content type; use e.g. 'application/json'`);
    }
  }
}

function checkDeployment(v: PropsValidator, props: ModelEndpointProps, variants: VariantPlan[]): void {
  const d = props.deployment;
  if (!d) return;
  const strategy = d.strategy ?? DeploymentStrategy.allAtOnce();
  const exclusion = guardrailExclusion(variants);
  v.check(exclusion !== undefined,
    `'deployment' cannot apply: ${exclusion}; SageMaker would fall back to an all-at-once blue/green update without baking or rollback. Remove 'deployment' or change the variant`);
  if (strategy.deploymentType === DeploymentType.ROLLING) {
    v.check(variants.some((p) => p.props.serverless), '\'deployment.strategy\' (rolling) does not support serverless endpoints; use DeploymentStrategy.allAtOnce() or canary()');
    v.check(variants.length > 1, `'deployment.strategy' (rolling) does not support multi-variant endpoints (${variants.length} variants); use a blue/green strategy such as DeploymentStrategy.canary()`);
  }
  const waits = [strategy.waitInterval, strategy.terminationWait].filter((w): w is Duration => w !== undefined);
  checkSeconds(v, '\'deployment.strategy\' wait interval', strategy.waitInterval, 0, 3600);
  checkSeconds(v, '\'deployment.strategy\' termination wait', strategy.terminationWait, 0, 3600);
  const timeout = strategy.maximumExecutionTimeout;
  checkSeconds(v, '\'deployment.strategy\' maximum execution timeout', timeout, 600, 28800);
  if (timeout && !timeout.isUnresolved() && waits.every((w) => !w.isUnresolved())) {
    const total = waits.reduce((sum, w) => sum + w.toSeconds(), 0);
    v.check(timeout.toSeconds() <= total,
      `'deployment.strategy' maximum execution timeout (${timeout.toHumanString()}) must be longer than its waits together (${total} seconds)`);
  }
  checkStepSize(v, strategy, variants);
  const defaults = d.createDefaultAlarms ?? true ? 2 * variants.length : 0;
  const alarms = defaults + (d.rollbackAlarms?.length ?? 0);
  v.check(alarms > MAX_ROLLBACK_ALARMS,
    `'deployment' has ${alarms} rollback alarms (${defaults} default ones and ${d.rollbackAlarms?.length ?? 0} in 'rollbackAlarms'); SageMaker allows at most ${MAX_ROLLBACK_ALARMS}`);
  const latency = d.modelLatencyThreshold;
  v.check(latency !== undefined && !latency.isUnresolved() && latency.toMilliseconds() <= 0,
    `'deployment.modelLatencyThreshold' (${latency?.toHumanString()}) must be positive; use e.g. Duration.seconds(5)`);
  const errors = d.serverErrorsThreshold;
  v.checkResolved([errors], () => errors !== undefined && (!Number.isInteger(errors) || errors < 1),
    `'deployment.serverErrorsThreshold' (${errors}) must be a whole number from 1 (5XX errors a minute)`);
}

/** AWS's bounds: canary at most 50%, linear steps 10-50%, rolling batches 5-50% of the variant's instances. */
function checkStepSize(v: PropsValidator, strategy: DeploymentStrategy, variants: VariantPlan[]): void {
  const sizes: Array<[string, CapacitySize | undefined, number]> = [
    ['step size', strategy.stepSize, strategy.deploymentType === DeploymentType.LINEAR ? 10 : strategy.deploymentType === DeploymentType.ROLLING ? 5 : 1],
    ['rollback batch size', strategy.rollbackMaximumBatchSize, 1],
  ];
  for (const [label, size, minPercent] of sizes) {
    if (!size || Token.isUnresolved(size.value)) continue;
    const kind = strategy.deploymentType.toLowerCase().replace(/_/g, '-');
    if (size.sizeType === CapacitySizeType.CAPACITY_PERCENT) {
      const max = label === 'rollback batch size' ? 100 : 50;
      v.check(!Number.isInteger(size.value) || size.value < minPercent || size.value > max,
        `'deployment.strategy' (${kind}) ${label} (${size}) must be a whole percentage from ${minPercent} to ${max}`);
      continue;
    }
    v.check(!Number.isInteger(size.value) || size.value < 1, `'deployment.strategy' (${kind}) ${label} (${size}) must be a whole number of instances from 1`);
    if (label === 'rollback batch size') continue;
    for (const variant of variants) {
      // Only fixed fleets are known at synth; autoscaled ones are checked by SageMaker.
      const count = variant.props.autoScaling ? undefined : variant.props.initialInstanceCount ?? 1;
      v.check(count !== undefined && !variant.props.serverless && size.value > count / 2,
        `'deployment.strategy' (${kind}) ${label} (${size}) is more than half of variant '${variant.name}' (${count} instance${count === 1 ? '' : 's'}); `
        + 'use CapacitySize.percent(...) or more instances');
    }
  }
}

function checkSeconds(v: PropsValidator, label: string, value: Duration | undefined, min: number, max: number): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toMilliseconds() / 1000;
  v.check(!Number.isInteger(seconds) || seconds < min || seconds > max,
    `${label} (${value.toHumanString()}) must be whole seconds from ${Duration.seconds(min).toHumanString()} to ${Duration.seconds(max).toHumanString()}`);
}

/** The serverless memory in MiB. */
export function serverlessMemory(size: Size | undefined): number {
  return (size ?? Size.gibibytes(2)).toMebibytes();
}
