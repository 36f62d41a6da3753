import { CfnResource } from 'aws-cdk-lib';
import type { ModelVersionParameter } from '../model-version-parameter';

/** An inference component that serves a model version parameter's value: what a promotion checks after a rollout. */
export interface ServedComponent {
  /** The component's name, known at synth. */
  readonly componentName: string;
  /** The model the template names for the component; its physical id (the model's ARN) is what the component must run. */
  readonly model: CfnResource;
}

// Private links, kept out of the public API: which components serve a parameter's value, and who waits for the first.
const components = new WeakMap<ModelVersionParameter, ServedComponent[]>();
const waiting = new WeakMap<ModelVersionParameter, Array<() => void>>();

/**
 * Records a component once, from its constructor. It is in the parameter's stack, through which the promotion
 * reads its template: `InferenceComponent` refuses a parameter of another stack before it records.
 */
export function recordServedComponent(parameter: ModelVersionParameter, component: ServedComponent): void {
  const list = components.get(parameter) ?? [];
  list.push(component);
  components.set(parameter, list);
  if (list.length === 1) {
    for (const listener of waiting.get(parameter) ?? []) listener();
    waiting.delete(parameter);
  }
}

/** Calls `listener` once a component serves `parameter`: now, or when the first is recorded (components may come after a promotion). */
export function whenComponentServes(parameter: ModelVersionParameter, listener: () => void): void {
  if (servedComponents(parameter).length > 0) {
    listener();
    return;
  }
  waiting.set(parameter, [...(waiting.get(parameter) ?? []), listener]);
}

/** The inference components that serve `parameter`, as known when the template is synthesized (read lazily). */
export function servedComponents(parameter: ModelVersionParameter): ServedComponent[] {
  return components.get(parameter) ?? [];
}
