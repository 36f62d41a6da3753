import { CfnResource, Stack } from 'aws-cdk-lib';
import type { InferenceDataLocation } from '../inference-data-location';
import type { ModelSource } from '../model-source';
import type { ModelVersionParameter } from '../model-version-parameter';

/** An endpoint that serves a model version parameter's value: what a promotion checks after a rollout. */
export interface ServedEndpoint {
  /** The endpoint's name (a literal or a deploy-time value of the serving stack). */
  readonly endpointName: string;
  /** The endpoint configuration the template names; its physical id is what the endpoint must run on. */
  readonly endpointConfig: CfnResource;
  /** Where the endpoint may read registered model artifacts, when its model source says. */
  readonly modelDataLocation?: InferenceDataLocation;
}

// Private links, kept out of the public API: which sources a parameter made, and which endpoints serve them.
const sources = new WeakMap<ModelSource, { parameter: ModelVersionParameter; modelDataLocation?: InferenceDataLocation }>();
const endpoints = new WeakMap<ModelVersionParameter, ServedEndpoint[]>();

export function recordVersionSource(source: ModelSource, parameter: ModelVersionParameter, modelDataLocation?: InferenceDataLocation): void {
  sources.set(source, { parameter, modelDataLocation });
}

/** The parameter whose value `source` serves (and where it reads models), when `source` came from `ModelVersionParameter.modelSource()`. */
export function versionOfSource(source: ModelSource): { parameter: ModelVersionParameter; modelDataLocation?: InferenceDataLocation } | undefined {
  return sources.get(source);
}

export function recordServedEndpoint(parameter: ModelVersionParameter, endpoint: ServedEndpoint): void {
  // Only endpoints in the serving stack: the promotion reads their template through that stack.
  if (Stack.of(endpoint.endpointConfig) !== parameter.servingStack) return;
  const list = endpoints.get(parameter) ?? [];
  if (!list.some((e) => e.endpointConfig === endpoint.endpointConfig)) list.push(endpoint);
  endpoints.set(parameter, list);
}

/** The endpoints that serve `parameter`, as known when the template is synthesized (read lazily). */
export function servedEndpoints(parameter: ModelVersionParameter): ServedEndpoint[] {
  return endpoints.get(parameter) ?? [];
}
