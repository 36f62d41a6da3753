import { IConstruct } from 'constructs';
import { requireUniqueName } from '../../core/private/unique-names';

/** The name of every endpoint construct of the app, whatever its class. */
const ENDPOINT_NAMES = new WeakMap<IConstruct, () => string>();

/**
 * Fails synth when another endpoint of the app, a `ModelEndpoint` or a `SharedEndpoint`, has the
 * same name in the same account and region: SageMaker has one namespace for endpoints, and
 * CreateEndpoint compares names without their case ('Churn' and 'churn' are one endpoint).
 */
export function requireUniqueEndpointName(endpoint: IConstruct, name: () => string): void {
  ENDPOINT_NAMES.set(endpoint, name);
  requireUniqueName(endpoint, "'endpointName'", (c) => ENDPOINT_NAMES.get(c)?.(), { ignoreCase: true });
}
