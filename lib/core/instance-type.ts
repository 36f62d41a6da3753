import { Token } from 'aws-cdk-lib';
import { throwUnscoped } from './private/errors';
import { INSTANCE_TYPES_BY_USE } from './private/instance-type-table';

/** What SageMaker runs on an instance type; the SageMaker API accepts different types for each. */
export enum InstanceUse {
  /** Training jobs (CreateTrainingJob). */
  TRAINING = 'TRAINING',
  /** Processing jobs (CreateProcessingJob). */
  PROCESSING = 'PROCESSING',
  /** Real-time and asynchronous endpoints (production variants of CreateEndpointConfig). */
  HOSTING = 'HOSTING',
  /** Batch transform jobs (CreateTransformJob). */
  TRANSFORM = 'TRANSFORM',
}

const LISTED = new Set(Object.values(INSTANCE_TYPES_BY_USE).flat());
const LISTED_FOR: Record<string, Set<string>> = Object.fromEntries(
  Object.entries(INSTANCE_TYPES_BY_USE).map(([use, names]) => [use, new Set(names)]));

/** Families whose instances carry NVIDIA GPUs. */
const GPU_FAMILIES = new Set(['g4dn', 'g5', 'g6', 'g6e', 'gr6', 'p3', 'p3dn', 'p4d', 'p4de', 'p5', 'p5e', 'p5en', 'p6-b200', 'p6e-gb200']);
/** Families with AWS Inferentia or Trainium accelerators. */
const NEURON_FAMILIES = new Set(['inf1', 'inf2', 'trn1', 'trn1n', 'trn2']);
// Families may carry a hyphenated accelerator suffix, e.g. ml.p6-b200.48xlarge.
const INSTANCE_NAME = /^ml\.([a-z]+[0-9]+[a-z]*(?:-[a-z0-9]+)?)\.(medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)$/;

/**
 * A SageMaker ML instance type: constants for the common GPU and CPU ones, and `of()` for any other.
 */
export class MlInstanceType {
  // NVIDIA T4
  public static readonly ML_G4DN_XLARGE = MlInstanceType.of('ml.g4dn.xlarge');
  public static readonly ML_G4DN_2XLARGE = MlInstanceType.of('ml.g4dn.2xlarge');
  public static readonly ML_G4DN_12XLARGE = MlInstanceType.of('ml.g4dn.12xlarge');
  // NVIDIA A10G
  public static readonly ML_G5_XLARGE = MlInstanceType.of('ml.g5.xlarge');
  public static readonly ML_G5_2XLARGE = MlInstanceType.of('ml.g5.2xlarge');
  public static readonly ML_G5_12XLARGE = MlInstanceType.of('ml.g5.12xlarge');
  public static readonly ML_G5_48XLARGE = MlInstanceType.of('ml.g5.48xlarge');
  // NVIDIA L4
  public static readonly ML_G6_XLARGE = MlInstanceType.of('ml.g6.xlarge');
  public static readonly ML_G6_2XLARGE = MlInstanceType.of('ml.g6.2xlarge');
  public static readonly ML_G6_12XLARGE = MlInstanceType.of('ml.g6.12xlarge');
  // NVIDIA L40S
  public static readonly ML_G6E_XLARGE = MlInstanceType.of('ml.g6e.xlarge');
  public static readonly ML_G6E_2XLARGE = MlInstanceType.of('ml.g6e.2xlarge');
  public static readonly ML_G6E_12XLARGE = MlInstanceType.of('ml.g6e.12xlarge');
  // NVIDIA V100
  public static readonly ML_P3_2XLARGE = MlInstanceType.of('ml.p3.2xlarge');
  public static readonly ML_P3_8XLARGE = MlInstanceType.of('ml.p3.8xlarge');
  public static readonly ML_P3_16XLARGE = MlInstanceType.of('ml.p3.16xlarge');
  // NVIDIA A100 and H100
  public static readonly ML_P4D_24XLARGE = MlInstanceType.of('ml.p4d.24xlarge');
  public static readonly ML_P5_48XLARGE = MlInstanceType.of('ml.p5.48xlarge');
  // AWS Inferentia2
  public static readonly ML_INF2_XLARGE = MlInstanceType.of('ml.inf2.xlarge');
  // CPU
  public static readonly ML_T3_MEDIUM = MlInstanceType.of('ml.t3.medium');
  public static readonly ML_M5_LARGE = MlInstanceType.of('ml.m5.large');
  public static readonly ML_M5_XLARGE = MlInstanceType.of('ml.m5.xlarge');
  public static readonly ML_M5_2XLARGE = MlInstanceType.of('ml.m5.2xlarge');
  public static readonly ML_M5_4XLARGE = MlInstanceType.of('ml.m5.4xlarge');
  public static readonly ML_M6I_XLARGE = MlInstanceType.of('ml.m6i.xlarge');
  public static readonly ML_C5_XLARGE = MlInstanceType.of('ml.c5.xlarge');
  public static readonly ML_C5_2XLARGE = MlInstanceType.of('ml.c5.2xlarge');
  public static readonly ML_C6I_XLARGE = MlInstanceType.of('ml.c6i.xlarge');
  public static readonly ML_R5_XLARGE = MlInstanceType.of('ml.r5.xlarge');

  /**
   * An instance type by name, e.g. `ml.p5e.48xlarge`. Rejects names that are not of the form
   * `ml.<family>.<size>`, and names that the SageMaker API model this library was built with does
   * not list for any use (a typo, or a size the family does not have). Tokens are accepted as
   * they are. For a type newer than the library, use `ofUnlisted()`.
   */
  public static of(name: string): MlInstanceType {
    const type = MlInstanceType.ofUnlisted(name);
    if (!type.isUnresolved && !type.isListed) {
      const sameFamily = [...LISTED].filter((n) => n.startsWith(`ml.${type.family}.`)).sort((a, b) => sizeRank(a) - sizeRank(b));
      const hint = sameFamily.length > 0
        ? `the ${type.family} family has ${sameFamily.join(', ')}`
        : `no listed type has the family '${type.family}'`;
      throwUnscoped('MlInstanceTypeInvalid',
        `'instanceType' ('${name}') is not an instance type that SageMaker lists for training, processing, hosting or transform (${hint}); `
        + `fix the name, or use MlInstanceType.ofUnlisted('${name}') for a type newer than this library`);
    }
    return type;
  }

  /**
   * An instance type that the library's table of SageMaker instance types does not list yet (a
   * newly launched one). Only the form `ml.<family>.<size>` is checked; SageMaker checks the rest
   * when the job or endpoint is created.
   */
  public static ofUnlisted(name: string): MlInstanceType {
    if (!Token.isUnresolved(name) && !INSTANCE_NAME.test(name)) {
      throwUnscoped('MlInstanceTypeInvalid',
        `'instanceType' ('${name}') is not a SageMaker ML instance type; use the form 'ml.<family>.<size>', e.g. 'ml.g5.xlarge' (instance types carry the 'ml.' prefix in SageMaker)`);
    }
    return new MlInstanceType(name);
  }

  /** The instance type's name, e.g. `ml.g5.xlarge`. */
  public readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** The family, e.g. `g5` (empty when the name is a token). */
  public get family(): string {
    return INSTANCE_NAME.exec(this.name)?.[1] ?? '';
  }

  /** Whether the instance type has NVIDIA GPUs. */
  public get isGpu(): boolean {
    return GPU_FAMILIES.has(this.family);
  }

  /** Whether the instance type has AWS Inferentia or Trainium accelerators. */
  public get isNeuron(): boolean {
    return NEURON_FAMILIES.has(this.family);
  }

  /** Whether the instance type is burstable (T family), which autoscaling and long jobs should avoid. */
  public get isBurstable(): boolean {
    return /^t[0-9]/.test(this.family);
  }

  /** Whether the library's table of SageMaker instance types lists this type (false for tokens and `ofUnlisted` types). */
  public get isListed(): boolean {
    return LISTED.has(this.name);
  }

  /**
   * Whether SageMaker accepts this type for `use`. True when that cannot be known at synth: for
   * tokens and for types the table does not list.
   */
  public supports(use: InstanceUse): boolean {
    return !this.isListed || LISTED_FOR[use].has(this.name);
  }

  /** Whether the name is a deploy-time token, so nothing is known about it at synth. */
  public get isUnresolved(): boolean {
    return Token.isUnresolved(this.name);
  }

  public toString(): string {
    return this.name;
  }
}

/** Orders sizes from small to large: medium, large, xlarge, 2xlarge, ..., metal. */
function sizeRank(name: string): number {
  const size = name.split('.')[2] ?? '';
  if (size === 'medium') return 0;
  if (size === 'large') return 1;
  const multiple = /^([0-9]*)xlarge$/.exec(size);
  return multiple ? 2 * Number(multiple[1] || 1) : 1000;
}
