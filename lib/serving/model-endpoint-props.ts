import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AsyncInferenceOptions } from './async-inference';
import { DataCaptureOptions } from './data-capture';
import { EndpointDeploymentOptions } from './deployment-strategy';
import { ModelSource } from './model-source';
import { ProductionVariant } from './production-variant';

/**
 * How a `ModelEndpoint` runs its model, apart from what it serves, where and under which name,
 * which a composing construct such as `MlPipeline` owns: `MlPipelineProps.endpoint` takes these.
 */
export interface ModelEndpointOptions {
  /**
   * The execution role SageMaker runs the model as. A role you pass in must be one this stack
   * can add grants to, or already hold the model, data and log permissions.
   *
   * @default - a new role that may read only the model artifact, pull the image, write the endpoint's logs and the configured data prefixes
   */
  readonly role?: iam.IRole;

  /**
   * KMS key that encrypts the ML storage (EBS) volumes of the instances. Instance types with NVMe
   * instance storage (g4dn, g5, g6, p4d, p5 and the `d` families) encrypt it in hardware and
   * SageMaker rejects a key for them.
   *
   * @default - a new key when every variant runs on EBS-backed instances; none for NVMe instance storage or serverless variants
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Serve asynchronous inference: requests queue from S3 and results are written to S3.
   *
   * @default - real-time inference
   */
  readonly asyncInference?: AsyncInferenceOptions;

  /**
   * How updates roll out, and the alarms that roll them back.
   *
   * @default - blue/green, all at once, a 10-minute baking period and the default rollback alarms
   * (skipped with a warning where deployment guardrails do not apply)
   */
  readonly deployment?: EndpointDeploymentOptions;

  /**
   * Security groups of the containers in `vpc`.
   *
   * @default - a new security group with outbound access
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Isolate the containers from the network: no outbound calls, not even to AWS services.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
}

/**
 * Properties of a `ModelEndpoint`.
 */
export interface ModelEndpointProps extends ModelEndpointOptions {
  /** The model the variants serve (a variant may name its own). */
  readonly model: ModelSource;

  /** The production variants; at least one, e.g. `[{ instanceType: MlInstanceType.ML_G5_XLARGE }]`. */
  readonly variants: ProductionVariant[];

  /**
   * Name of the endpoint: letters, digits and hyphens, at most 63. It stays the same across
   * model updates, so callers and pipelines can rely on it.
   *
   * @default - a name derived from the construct path
   */
  readonly endpointName?: string;

  /**
   * Capture requests and responses into S3, e.g. the capture zone of a data lake.
   *
   * @default - no data capture
   */
  readonly dataCapture?: DataCaptureOptions;

  /**
   * Run the model's containers in this VPC.
   *
   * @default - SageMaker's network
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the containers.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}
