import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** SageMaker writes resource names in ARNs in lowercase; tokens are left as they are. */
export function lowercaseName(name: string): string {
  return Token.isUnresolved(name) ? name : name.toLowerCase();
}

/** Renders a string map for the API, or nothing when empty. */
export function renderMap(map: Record<string, string> | undefined): Record<string, string> | undefined {
  return map && Object.keys(map).length > 0 ? map : undefined;
}

/** The pattern SageMaker's API model gives entity names (endpoints, variants, model package groups, jobs). */
const ENTITY_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * Whether SageMaker accepts `name` as an entity name: the API model's pattern AND its length bound
 * of 63 (the pattern alone admits longer names, since `-*` may repeat hyphens). Tokens pass.
 */
export function isSageMakerName(name: string): boolean {
  return Token.isUnresolved(name) || (name.length >= 1 && name.length <= 63 && ENTITY_NAME.test(name));
}

/**
 * The ARN of a SageMaker resource (`endpoint`, `inference-component`, `model`) from its name:
 * SageMaker writes the name in lowercase in ARNs (tokens are left as they are).
 */
export function sageMakerArn(scope: IConstruct, resource: string, name: string): string {
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource, resourceName: lowercaseName(name) });
}
