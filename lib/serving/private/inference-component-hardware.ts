import { MlInstanceType } from '../../core/instance-type';

/** What one instance offers the inference components placed on it. */
export interface InstanceCapacity {
  /** vCPUs (SageMaker's `NumberOfCpuCoresRequired` is counted against these). */
  readonly vcpus: number;
  /** Host memory in MiB (`MinMemoryRequiredInMb` is counted against it). */
  readonly memoryMib: number;
  /** NVIDIA GPUs (`NumberOfAcceleratorDevicesRequired`); 0 on CPU instances. */
  readonly accelerators: number;
}

/**
 * GPU hosting types: vCPUs, GiB of host memory, GPUs, from the EC2 instance type specifications
 * of the same names. Neuron types (inf2, trn) are left out on purpose: whether SageMaker counts
 * their chips or their NeuronCores as accelerator devices is not documented, so they are not checked.
 */
const GPU_TYPES: Record<string, [number, number, number]> = {
  'ml.g4dn.xlarge': [4, 16, 1], 'ml.g4dn.2xlarge': [8, 32, 1], 'ml.g4dn.4xlarge': [16, 64, 1], 'ml.g4dn.8xlarge': [32, 128, 1],
  'ml.g4dn.12xlarge': [48, 192, 4], 'ml.g4dn.16xlarge': [64, 256, 1],
  'ml.g5.xlarge': [4, 16, 1], 'ml.g5.2xlarge': [8, 32, 1], 'ml.g5.4xlarge': [16, 64, 1], 'ml.g5.8xlarge': [32, 128, 1],
  'ml.g5.12xlarge': [48, 192, 4], 'ml.g5.16xlarge': [64, 256, 1], 'ml.g5.24xlarge': [96, 384, 4], 'ml.g5.48xlarge': [192, 768, 8],
  'ml.g6.xlarge': [4, 16, 1], 'ml.g6.2xlarge': [8, 32, 1], 'ml.g6.4xlarge': [16, 64, 1], 'ml.g6.8xlarge': [32, 128, 1],
  'ml.g6.12xlarge': [48, 192, 4], 'ml.g6.16xlarge': [64, 256, 1], 'ml.g6.24xlarge': [96, 384, 4], 'ml.g6.48xlarge': [192, 768, 8],
  'ml.g6e.xlarge': [4, 32, 1], 'ml.g6e.2xlarge': [8, 64, 1], 'ml.g6e.4xlarge': [16, 128, 1], 'ml.g6e.8xlarge': [32, 256, 1],
  'ml.g6e.12xlarge': [48, 384, 4], 'ml.g6e.16xlarge': [64, 512, 1], 'ml.g6e.24xlarge': [96, 768, 4], 'ml.g6e.48xlarge': [192, 1536, 8],
  'ml.p3.2xlarge': [8, 61, 1], 'ml.p3.8xlarge': [32, 244, 4], 'ml.p3.16xlarge': [64, 488, 8],
  'ml.p4d.24xlarge': [96, 1152, 8], 'ml.p4de.24xlarge': [96, 1152, 8],
  'ml.p5.48xlarge': [192, 2048, 8], 'ml.p5e.48xlarge': [192, 2048, 8], 'ml.p5en.48xlarge': [192, 2048, 8],
};

/** CPU families whose memory is a fixed number of GiB per vCPU (EC2 specifications). */
const GIB_PER_VCPU: Record<string, number> = {
  m5: 4, m5d: 4, m6i: 4, m7i: 4, c5: 2, c5d: 2, c6i: 2, c7i: 2, r5: 8, r5d: 8, r6i: 8, r7i: 8,
};

/** vCPUs by size in those families: large 2, xlarge 4, Nxlarge 4N. */
function vcpusOfSize(size: string): number | undefined {
  if (size === 'large') return 2;
  const multiple = /^([0-9]*)xlarge$/.exec(size);
  return multiple ? 4 * Number(multiple[1] || 1) : undefined;
}

/** The capacity of one instance of `type`, or undefined when the library does not know it (then nothing is checked). */
export function instanceCapacity(type: MlInstanceType): InstanceCapacity | undefined {
  if (type.isUnresolved) return undefined;
  const gpu = GPU_TYPES[type.name];
  if (gpu) return { vcpus: gpu[0], memoryMib: gpu[1] * 1024, accelerators: gpu[2] };
  const ratio = GIB_PER_VCPU[type.family];
  const vcpus = vcpusOfSize(type.name.split('.')[2] ?? '');
  if (ratio === undefined || vcpus === undefined) return undefined;
  return { vcpus, memoryMib: vcpus * ratio * 1024, accelerators: 0 };
}
