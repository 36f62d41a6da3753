import { Annotations, Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { instanceCapacity } from './inference-component-hardware';
import type { InferenceComponentProps } from '../inference-component';
import { ModelSourceConfig } from '../model-source';
import type { ISharedEndpoint } from '../shared-endpoint';
import { PropsValidator } from '../../core/private/errors';
import { isSageMakerName } from '../../core/private/sagemaker-api';

/** What one component asks of its endpoint, as far as it is known at synth (tokens count as unknown). */
export interface ComponentPlan {
  readonly path: string;
  readonly name: string;
  /** Per copy; 0 for CPU models. */
  readonly accelerators?: number;
  readonly memoryMib?: number;
  readonly cpuCores?: number;
  readonly initialCopyCount: number;
  readonly minCopyCount: number;
  readonly maxCopyCount?: number;
  /** The component serves a `ModelVersionParameter`, so it is left out while no version is promoted. */
  readonly servesVersion?: boolean;
}

const components = new WeakMap<ISharedEndpoint, ComponentPlan[]>();

/** What every model of an endpoint's components shares: the endpoint's network. */
export interface ComponentModelSettings {
  readonly vpcConfig?: { securityGroupIds: string[]; subnets: string[] };
  /** The policy that lets SageMaker attach network interfaces; models wait for it. */
  readonly networkPolicy?: IConstruct;
  readonly enableNetworkIsolation?: boolean;
}

const modelSettings = new WeakMap<ISharedEndpoint, ComponentModelSettings>();

export function recordModelSettings(endpoint: ISharedEndpoint, settings: ComponentModelSettings): void {
  modelSettings.set(endpoint, settings);
}

/** The model settings of `endpoint` (none for an endpoint this library did not create). */
export function modelSettingsOf(endpoint: ISharedEndpoint): ComponentModelSettings {
  return modelSettings.get(endpoint) ?? {};
}

export function recordComponent(endpoint: ISharedEndpoint, plan: ComponentPlan): void {
  components.set(endpoint, [...(components.get(endpoint) ?? []), plan]);
}

/** The components added to `endpoint` so far. */
export function componentsOf(endpoint: ISharedEndpoint): ComponentPlan[] {
  return components.get(endpoint) ?? [];
}

/** Whether `n` is a number known at synth (set, and not a token). */
export const known = (n: number | undefined): n is number => n !== undefined && !Token.isUnresolved(n);

/** Checks a component's props against SageMaker's rules and its endpoint's instance type; throws one error listing every problem. */
export function validateComponentProps(scope: IConstruct, props: InferenceComponentProps, name: string, model: ModelSourceConfig,
  versionInOtherStack?: string): ComponentPlan {
  const v = new PropsValidator(scope, 'InferenceComponentInvalidProps');
  // The component is left out while the version is 'none', by a condition of the parameter's own stack.
  v.check(versionInOtherStack !== undefined,
    `'model' serves the ModelVersionParameter at ${versionInOtherStack}, which is in another stack; a component can only be conditional on a parameter of its own stack, so create the parameter in the component's stack`);
  const endpoint = props.endpoint;
  const type = endpoint.instanceType;
  const c = props.computeResources;
  // InferenceComponentName has the API model's entity-name pattern and bound (1 to 63).
  v.checkResolved([name], () => !isSageMakerName(name),
    `'inferenceComponentName' ('${name}') must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit; use e.g. 'churn-model'`);

  const accelerators = c.acceleratorCount;
  v.checkResolved([accelerators], () => accelerators !== undefined && (!Number.isInteger(accelerators) || accelerators < 1),
    `'computeResources.acceleratorCount' (${accelerators}) must be a whole number from 1 (SageMaker gives a copy whole GPUs); leave it out for a model that runs on CPU`);
  const memoryMib = wholeMebibytes(v, "'computeResources.minMemory'", c.minMemory);
  const maxMemoryMib = c.maxMemory && wholeMebibytes(v, "'computeResources.maxMemory'", c.maxMemory);
  v.check(known(memoryMib) && known(maxMemoryMib) && maxMemoryMib < memoryMib,
    `'computeResources.maxMemory' (${maxMemoryMib} MiB) is less than 'computeResources.minMemory' (${memoryMib} MiB); raise 'maxMemory' or leave it out`);
  const cores = c.cpuCores;
  v.checkResolved([cores], () => cores !== undefined && (!Number.isFinite(cores) || cores < 0.25),
    `'computeResources.cpuCores' (${cores}) must be a number from 0.25`);

  const scaling = props.autoScaling;
  const min = scaling?.minCopyCount ?? 1;
  const max = scaling?.maxCopyCount;
  const initial = props.initialCopyCount ?? (known(min) ? Math.max(1, min) : 1);
  v.checkResolved([initial], () => !Number.isInteger(initial) || initial < 1,
    `'initialCopyCount' (${initial}) must be a whole number from 1: a component cannot start with zero copies (with 'autoScaling.minCopyCount' 0 it scales to zero once idle)`);
  if (scaling) {
    v.checkResolved([max], () => !Number.isInteger(max) || max! < 1, `'autoScaling.maxCopyCount' (${max}) must be a whole number from 1`);
    v.checkResolved([min], () => !Number.isInteger(min) || min < 0, `'autoScaling.minCopyCount' (${min}) must be a whole number from 0`);
    v.checkResolved([min, max], () => min > max!,
      `'autoScaling.minCopyCount' (${min}) is more than 'autoScaling.maxCopyCount' (${max}); raise 'maxCopyCount' to at least ${min} or lower 'minCopyCount'`);
    v.checkResolved([initial, min, max], () => props.initialCopyCount !== undefined && (initial < min || initial > max!),
      `'initialCopyCount' (${initial}) must be within the autoscaling bounds (${Math.max(min, 1)} to ${max}); leave it out to start at 'minCopyCount'`);
    const target = scaling.metric?.targetValue;
    v.checkResolved([target], () => target !== undefined && (!Number.isFinite(target) || target <= 0),
      `the target of 'autoScaling.metric' (${target}) must be a positive number`);
    checkSeconds(v, "'autoScaling.scaleInCooldown'", scaling.scaleInCooldown, 0, 86400);
    checkSeconds(v, "'autoScaling.scaleOutCooldown'", scaling.scaleOutCooldown, 0, 86400);
    v.check(type.isBurstable,
      `'autoScaling' cannot scale a component on ${type.name}: SageMaker does not autoscale burstable instances; host the endpoint on e.g. MlInstanceType.ML_M5_LARGE`);
    const endpointMin = endpoint.managedInstanceScaling?.minInstanceCount;
    v.checkResolved([min, endpointMin], () => min === 0 && endpointMin !== 0,
      `'autoScaling.minCopyCount' (0) needs the endpoint to scale to zero instances: set the endpoint's 'managedInstanceScaling' with 'minInstanceCount: 0' `
      + `(it is ${endpoint.managedInstanceScaling ? endpointMin ?? 1 : 'off'}), or use 'minCopyCount: 1'`);
  }
  const update = props.rollingUpdate;
  if (update) {
    for (const [label, n] of [['maximumBatchSize', update.maximumBatchSize], ['rollbackMaximumBatchSize', update.rollbackMaximumBatchSize]] as const) {
      v.checkResolved([n], () => n !== undefined && (!Number.isInteger(n) || n < 1), `'rollingUpdate.${label}' (${n}) must be a whole number of copies from 1`);
    }
    checkSeconds(v, "'rollingUpdate.waitInterval'", update.waitInterval, 0, 3600);
    checkSeconds(v, "'rollingUpdate.maximumExecutionTimeout'", update.maximumExecutionTimeout, 600, 28800);
    const alarms = update.rollbackAlarms?.length ?? 0;
    v.check(alarms > 10, `'rollingUpdate.rollbackAlarms' has ${alarms} alarms; SageMaker allows at most 10 (combine them in a composite alarm)`);
  }
  checkSeconds(v, "'modelDataDownloadTimeout'", props.modelDataDownloadTimeout, 60, 3600);
  checkSeconds(v, "'containerStartupHealthCheckTimeout'", props.containerStartupHealthCheckTimeout, 60, 3600);

  // One copy must fit on one instance: SageMaker never splits a copy across instances.
  const capacity = instanceCapacity(type);
  if (capacity) {
    const at = `one copy cannot fit on an instance of ${type.name} (${capacity.accelerators} GPUs, ${capacity.memoryMib} MiB memory, ${capacity.vcpus} vCPUs)`;
    v.checkResolved([accelerators], () => capacity.accelerators === 0 && accelerators !== undefined,
      `'computeResources.acceleratorCount' (${accelerators}) asks for GPUs but ${type.name} has none; host the endpoint on a GPU instance type such as ml.g5.xlarge, or leave 'acceleratorCount' out`);
    v.checkResolved([accelerators], () => capacity.accelerators > 0 && accelerators !== undefined && accelerators > capacity.accelerators,
      `'computeResources.acceleratorCount' (${accelerators}): ${at}; ask for at most ${capacity.accelerators}, or use an instance type with more GPUs`);
    v.check(known(memoryMib) && memoryMib > capacity.memoryMib,
      `'computeResources.minMemory' (${memoryMib} MiB): ${at}; ask for less, or use an instance type with more memory`);
    v.checkResolved([cores], () => cores !== undefined && cores > capacity.vcpus,
      `'computeResources.cpuCores' (${cores}): ${at}; ask for at most ${capacity.vcpus}`);
  }
  v.check(model.gpuOnly === true && !type.isUnresolved && !type.isGpu,
    `its model's image needs an NVIDIA GPU (a -gpu- image) but the endpoint's instance type (${type.name}) has none; host it on a GPU instance type, or use the image's -cpu- variant`);
  v.check(model.gpuOnly === true && type.isGpu && accelerators === undefined,
    "its model's image needs an NVIDIA GPU (a -gpu- image) but 'computeResources.acceleratorCount' is not set, so its copies would get none; set e.g. 'acceleratorCount: 1'");
  v.check(model.cpuOnly === true && accelerators !== undefined,
    `its model's image runs on CPU only, so the ${accelerators} GPU(s) per copy in 'computeResources.acceleratorCount' would be reserved and idle; leave 'acceleratorCount' out`);
  v.throwIfInvalid();
  const batch = update?.maximumBatchSize ?? 1;
  if (update && !scaling && known(initial) && known(batch) && batch > initial / 2) {
    // AWS documents the batch as 5% to 50% of the copy count; how it rounds a copy count is not documented, so this warns.
    Annotations.of(scope).addWarningV2('cdk-mlops:rollingUpdateBatchTooLarge',
      `'rollingUpdate.maximumBatchSize' (${batch}) is more than half of the component's ${initial} cop${initial === 1 ? 'y' : 'ies'}; `
      + "AWS documents the batch as 5% to 50% of the copy count, so SageMaker may reject the update: raise 'initialCopyCount' or leave 'rollingUpdate' out (blue/green)");
  }

  return {
    path: scope.node.path,
    name,
    accelerators: accelerators ?? 0,
    memoryMib,
    cpuCores: cores,
    initialCopyCount: initial,
    minCopyCount: scaling ? min : initial,
    maxCopyCount: scaling ? max : initial,
  };
}

/** The size in MiB, recording a problem unless it is a whole number from 128; undefined for tokens. */
function wholeMebibytes(v: PropsValidator, label: string, size: Size): number | undefined {
  if (size.isUnresolved()) return undefined;
  const mib = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  v.check(!Number.isInteger(mib) || mib < 128, `${label} (${mib} MiB) must be whole MiB from 128 MiB; use e.g. Size.gibibytes(4)`);
  return mib;
}

function checkSeconds(v: PropsValidator, label: string, value: Duration | undefined, min: number, max: number): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toMilliseconds() / 1000;
  v.check(!Number.isInteger(seconds) || seconds < min || seconds > max,
    `${label} (${value.toHumanString()}) must be whole seconds from ${Duration.seconds(min).toHumanString()} to ${Duration.seconds(max).toHumanString()}`);
}
