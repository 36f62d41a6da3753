import { Annotations } from 'aws-cdk-lib';
import { hasInstanceStorage } from './endpoint-instances';
import { instanceCapacity } from './inference-component-hardware';
import { ComponentPlan, componentsOf, known } from './inference-component-validation';
import { InstanceUse } from '../../core/instance-type';
import { PropsValidator } from '../../core/private/errors';
import { checkInstanceUse } from '../../core/private/instance-use';
import { isSageMakerName } from '../../core/private/sagemaker-api';
import type { ISharedEndpoint, SharedEndpointProps } from '../shared-endpoint';

/** Checks the endpoint's own props; throws one error listing every problem. */
export function validateSharedEndpointProps(scope: ISharedEndpoint, props: SharedEndpointProps, endpointName: string, variantName: string, initial: number): void {
  const v = new PropsValidator(scope, 'SharedEndpointInvalidProps');
  v.checkResolved([endpointName], () => !isSageMakerName(endpointName),
    `'endpointName' ('${endpointName}') must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit; use e.g. 'shared-models'`);
  v.checkResolved([variantName], () => !isSageMakerName(variantName),
    `'variantName' ('${variantName}') must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit; use e.g. 'AllTraffic'`);
  const type = props.instanceType;
  checkInstanceUse(v, 'instanceType', type, InstanceUse.HOSTING);
  v.checkResolved([initial], () => !Number.isInteger(initial) || initial < 1, `'initialInstanceCount' (${initial}) must be a whole number from 1`);
  const scaling = props.managedInstanceScaling;
  if (scaling) {
    const min = scaling.minInstanceCount ?? 1;
    const max = scaling.maxInstanceCount;
    v.checkResolved([min], () => !Number.isInteger(min) || min < 0, `'managedInstanceScaling.minInstanceCount' (${min}) must be a whole number from 0`);
    v.checkResolved([max], () => !Number.isInteger(max) || max < 1, `'managedInstanceScaling.maxInstanceCount' (${max}) must be a whole number from 1`);
    v.checkResolved([min, max], () => min > max,
      `'managedInstanceScaling.minInstanceCount' (${min}) is more than 'maxInstanceCount' (${max}); raise 'maxInstanceCount' to at least ${min}`);
    v.checkResolved([initial, min, max], () => initial < min || initial > max,
      `'initialInstanceCount' (${initial}) must be within the managed instance scaling bounds (${Math.max(min, 1)} to ${max}); leave it out to start at 'minInstanceCount'`);
  }
  v.check(props.encryptionKey !== undefined && !type.isUnresolved && hasInstanceStorage(type),
    `'encryptionKey' cannot encrypt the storage of ${type.name}: its NVMe instance storage is encrypted by the instance hardware and SageMaker rejects a KmsKeyId for it; remove 'encryptionKey'`);
  v.throwIfInvalid();
}

/**
 * The checks that need every component: their initial copies together must fit on the
 * instances the endpoint can have (SageMaker leaves copies that do not fit unplaced). Returns
 * the problems; warns where autoscaling could ask for more than the instances hold.
 */
export function validateSharedEndpoint(endpoint: ISharedEndpoint, options: { owned: boolean }): string[] {
  const plans = componentsOf(endpoint);
  // An endpoint made elsewhere runs whatever this app adds; only this app's components are known.
  if (plans.length === 0) {
    return options.owned ? [`the endpoint hosts no inference component, so its instances would run for nothing; add one with addComponent(id, { model, computeResources })`] : [];
  }
  if (options.owned && plans.every((p) => p.servesVersion)) {
    Annotations.of(endpoint).addWarningV2('cdk-mlops:sharedEndpointIdleUntilPromoted',
      `Every component of the endpoint (${plans.map((p) => `'${p.name}'`).join(', ')}) serves a ModelVersionParameter and is left out while it is 'none', `
      + `but the endpoint is not: it starts ${endpoint.initialInstanceCount} ${endpoint.instanceType.name} instance(s) that host nothing until a version is promoted; `
      + 'promote a version soon after the first deploy, or add a component with a fixed model');
  }
  const capacity = instanceCapacity(endpoint.instanceType);
  const scaling = endpoint.managedInstanceScaling;
  const instances = scaling ? scaling.maxInstanceCount : endpoint.initialInstanceCount;
  if (!capacity || !known(instances)) return [];
  const type = endpoint.instanceType.name;
  const bound = scaling ? `'managedInstanceScaling.maxInstanceCount' (${instances})` : `'initialInstanceCount' (${instances})`;
  const problems: string[] = [];
  const resources: Array<[string, (p: ComponentPlan) => number | undefined, number, string]> = [
    ['GPUs', (p) => p.accelerators, capacity.accelerators, 'acceleratorCount'],
    ['MiB of memory', (p) => p.memoryMib, capacity.memoryMib, 'minMemory'],
    ['vCPUs', (p) => p.cpuCores, capacity.vcpus, 'cpuCores'],
  ];
  for (const [what, perCopy, perInstance, prop] of resources) {
    const total = (copies: (p: ComponentPlan) => number | undefined) => {
      const parts = plans.map((p) => ({ p, n: copies(p), each: perCopy(p) ?? 0 }));
      if (parts.some(({ n, each }) => !known(n) || !known(each))) return undefined;
      return { sum: parts.reduce((s, { n, each }) => s + n! * each, 0), parts };
    };
    const available = instances * perInstance;
    const initial = total((p) => p.initialCopyCount);
    if (initial && initial.sum > available) {
      problems.push(`the components' initial copies need ${initial.sum} ${what} (${initial.parts.filter(({ each }) => each > 0)
        .map(({ p, n, each }) => `'${p.name}' ${n} x ${each}`).join(', ')}) but ${bound} ${type} instances hold ${available}; `
        + `lower 'initialCopyCount' or 'computeResources.${prop}', or allow more instances`);
    }
    const most = total((p) => p.maxCopyCount);
    if (initial && initial.sum <= available && most && most.sum > available) {
      Annotations.of(endpoint).addWarningV2('cdk-mlops:componentCopiesExceedInstances',
        `At their 'autoScaling.maxCopyCount' the components need ${most.sum} ${what} but ${bound} ${type} instances hold ${available}: `
        + 'copies beyond that stay unplaced; allow more instances or lower the maximum copy counts');
    }
  }
  if (scaling?.minInstanceCount === 0 && plans.some((p) => p.minCopyCount > 0)) {
    Annotations.of(endpoint).addWarningV2('cdk-mlops:endpointCannotReachZero',
      `'managedInstanceScaling.minInstanceCount' is 0 but ${plans.filter((p) => p.minCopyCount > 0).map((p) => `'${p.name}'`).join(', ')} keep at least one copy, `
      + "so the endpoint never scales to zero instances; set their 'autoScaling.minCopyCount' to 0 or raise 'minInstanceCount'");
  }
  return problems;
}
