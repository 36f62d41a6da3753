import { MlInstanceType } from '../../lib/core/instance-type';
import { instanceCapacity } from '../../lib/serving/private/inference-component-hardware';

describe('instance capacity for inference components', () => {
  test.each([
    ['ml.g5.xlarge', { vcpus: 4, memoryMib: 16 * 1024, accelerators: 1 }],
    ['ml.g5.12xlarge', { vcpus: 48, memoryMib: 192 * 1024, accelerators: 4 }],
    ['ml.g5.48xlarge', { vcpus: 192, memoryMib: 768 * 1024, accelerators: 8 }],
    ['ml.g6e.12xlarge', { vcpus: 48, memoryMib: 384 * 1024, accelerators: 4 }],
    ['ml.g4dn.12xlarge', { vcpus: 48, memoryMib: 192 * 1024, accelerators: 4 }],
    ['ml.p4d.24xlarge', { vcpus: 96, memoryMib: 1152 * 1024, accelerators: 8 }],
    ['ml.p5.48xlarge', { vcpus: 192, memoryMib: 2048 * 1024, accelerators: 8 }],
    // CPU families: memory a fixed multiple of the vCPUs.
    ['ml.m5.large', { vcpus: 2, memoryMib: 8 * 1024, accelerators: 0 }],
    ['ml.m5.2xlarge', { vcpus: 8, memoryMib: 32 * 1024, accelerators: 0 }],
    ['ml.c5.9xlarge', { vcpus: 36, memoryMib: 72 * 1024, accelerators: 0 }],
    ['ml.r5.xlarge', { vcpus: 4, memoryMib: 32 * 1024, accelerators: 0 }],
    ['ml.m7i.48xlarge', { vcpus: 192, memoryMib: 768 * 1024, accelerators: 0 }],
  ])('%s', (name, capacity) => {
    expect(instanceCapacity(MlInstanceType.of(name))).toEqual(capacity);
  });

  test.each([
    // How SageMaker counts Inferentia and Trainium devices is not documented: not checked.
    'ml.inf2.xlarge', 'ml.trn1.2xlarge',
    // Families whose memory is not a fixed multiple of the vCPUs.
    'ml.c4.8xlarge', 'ml.t2.medium',
  ])('%s is not known, so nothing is checked', (name) => {
    expect(instanceCapacity(MlInstanceType.of(name))).toBeUndefined();
  });

  test('types newer than the library and deploy-time values are not known', () => {
    expect(instanceCapacity(MlInstanceType.ofUnlisted('ml.g9.xlarge'))).toBeUndefined();
    expect(instanceCapacity(MlInstanceType.ofUnlisted('${Token[TOKEN.1]}'))).toBeUndefined();
  });
});
