import { Token, UnscopedValidationError } from 'aws-cdk-lib';

type ErrorName = ConstructorParameters<typeof UnscopedValidationError>[0];

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
   * `ml.<family>.<size>` (tokens are accepted as they are).
   */
  public static of(name: string): MlInstanceType {
    if (!Token.isUnresolved(name) && !INSTANCE_NAME.test(name)) {
      throw new UnscopedValidationError('MlInstanceTypeInvalid' as ErrorName,
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

  /** Whether the name is a deploy-time token, so nothing is known about it at synth. */
  public get isUnresolved(): boolean {
    return Token.isUnresolved(this.name);
  }

  public toString(): string {
    return this.name;
  }
}
