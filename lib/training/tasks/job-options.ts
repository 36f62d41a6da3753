import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { MlInstanceType } from '../../core/instance-type';
import { SageMakerImage } from '../../core/sagemaker-image';

/**
 * How S3 data is spread over the instances of a multi-instance job.
 */
export enum S3DataDistribution {
  /** Every instance gets a full copy. */
  FULLY_REPLICATED = 'FullyReplicated',
  /**
   * Each instance gets a share of the objects, for data-parallel jobs over many files; an
   * instance gets nothing when there are fewer objects than instances.
   */
  SHARDED_BY_S3_KEY = 'ShardedByS3Key',
}

/**
 * What every SageMaker job task shares: who runs it, on what, for how long, and where.
 */
export interface SageMakerJobOptions {
  /**
   * The fixed start of every job name this task creates. It narrows the state machine's
   * permissions from every job of the kind to `<kind>-job/<prefix>*`.
   *
   * @default - the state machine may create, describe and stop any job of the kind
   */
  readonly jobNamePrefix?: string;

  /** The execution role the job runs as (passed to SageMaker only). */
  readonly role: iam.IRole;

  /** The container image. */
  readonly image: SageMakerImage;

  /** The instance type, e.g. `MlInstanceType.ML_G5_XLARGE`. */
  readonly instanceType: MlInstanceType;

  /**
   * Number of instances (1 to 100).
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Size of the ML storage volume attached to each instance.
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * KMS key that encrypts the ML storage volumes.
   *
   * @default - the volumes use AWS-managed encryption (instances with NVMe instance storage always encrypt it)
   */
  readonly volumeEncryptionKey?: kms.IKey;

  /**
   * KMS key that encrypts the job's output in S3 (`KmsKeyId` of the output config); the role is
   * granted its use. Give the output bucket's key: without one SageMaker writes with the
   * account's AWS managed key `aws/s3`, not with the bucket's default key.
   *
   * @default - the account's `aws/s3` key
   */
  readonly outputEncryptionKey?: kms.IKey;

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * The job is stopped after this long (1 second to 28 days for training, 9 days for processing).
   *
   * @default Duration.hours(24)
   */
  readonly maxRuntime?: Duration;

  /**
   * Run the job's containers in this VPC.
   *
   * @default - SageMaker's network, with internet access
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the job.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the job in `vpc` (1 to 5). For multi-instance jobs they must admit traffic
   * from their own members: distributed training and inter-container traffic encryption (IPsec,
   * UDP 500 and ESP) run between the instances.
   *
   * @default - a new security group with outbound access that admits all traffic from its own members
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Isolate the containers from the network: no outbound calls, not even to AWS services.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
}
