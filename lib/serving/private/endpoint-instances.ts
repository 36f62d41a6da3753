import { MlInstanceType } from '../../core/instance-type';

/**
 * Families with NVMe instance storage. SageMaker serves models from it instead of an EBS
 * volume, the instance hardware encrypts it, and CreateEndpointConfig rejects a KmsKeyId
 * when any variant uses one of them (API reference, CreateEndpointConfig KmsKeyId).
 */
const INSTANCE_STORAGE_FAMILIES = new Set([
  'g4dn', 'g5', 'g6', 'g6e', 'gr6', 'p3dn', 'p4d', 'p4de', 'p5', 'p5e', 'p5en', 'p6-b200', 'p6e-gb200', 'trn1', 'trn1n', 'trn2',
]);

/** Whether the instance type stores models on NVMe instance storage (families above, and every `d` family such as m5d). */
export function hasInstanceStorage(type: MlInstanceType): boolean {
  return INSTANCE_STORAGE_FAMILIES.has(type.family) || /^[a-z]+[0-9]+[a-z]*d$/.test(type.family);
}

/** Whether the instance type is an Inf1 (first Inferentia) type, which deployment guardrails exclude. */
export function isInf1(type: MlInstanceType): boolean {
  return type.family === 'inf1';
}
