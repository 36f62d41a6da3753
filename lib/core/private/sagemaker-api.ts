import { Token } from 'aws-cdk-lib';

/** SageMaker writes resource names in ARNs in lowercase; tokens are left as they are. */
export function lowercaseName(name: string): string {
  return Token.isUnresolved(name) ? name : name.toLowerCase();
}

/** Renders a string map for the API, or nothing when empty. */
export function renderMap(map: Record<string, string> | undefined): Record<string, string> | undefined {
  return map && Object.keys(map).length > 0 ? map : undefined;
}
