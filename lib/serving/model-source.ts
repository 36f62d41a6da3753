import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InferenceDataLocation } from './inference-data-location';
import { throwUnscoped } from '../core/private/errors';
import { acknowledgeWildcards } from '../core/private/nag';
import { lowercaseName, sageMakerArn } from '../core/private/sagemaker-api';
import { SageMakerImage } from '../core/sagemaker-image';
import { IModelRegistry } from '../registry/model-registry';

/** `arn:<partition>:sagemaker:<region>:<account>:model-package/<name>[/<version>]`, as SageMaker writes it (lowercase). */
const MODEL_PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package\/[a-z0-9](-*[a-z0-9]){0,62}(\/[1-9][0-9]*)?$/;

/**
 * What a model source resolves to: the container definition of a SageMaker model.
 */
export interface ModelSourceConfig {
  /**
   * The inference image URI.
   *
   * @default - the model package's image
   */
  readonly imageUri?: string;
  /**
   * S3 URI of the model artifact (`model.tar.gz`).
   *
   * @default - none: the image holds the model, or the model package names the artifact
   */
  readonly modelDataUrl?: string;
  /**
   * ARN of a versioned model package.
   *
   * @default - not a model package
   */
  readonly modelPackageName?: string;
  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Whether the model comes from AWS Marketplace (deployment guardrails do not support those).
   *
   * @default false
   */
  readonly marketplace?: boolean;
  /**
   * Whether the image runs on CPU only, so that GPU instances would be idle.
   *
   * @default false
   */
  readonly cpuOnly?: boolean;

  /**
   * Whether the image needs NVIDIA GPUs, so that CPU instances and serverless inference cannot run it.
   *
   * @default false
   */
  readonly gpuOnly?: boolean;
}

/**
 * Options of the container that serves a model.
 */
export interface ContainerOptions {
  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/**
 * Options of a model served from a model package (a registered model version).
 */
export interface ModelPackageSourceOptions extends ContainerOptions {
  /**
   * Where the package's model artifacts lie; the execution role may read objects under it.
   * For a package registered by a `TrainingPipeline`, the pipeline's prefix of the artifacts zone.
   *
   * @default - no S3 read access is granted: the role must already have it
   */
  readonly modelDataLocation?: InferenceDataLocation;

  /**
   * The package's inference image, so that the execution role may pull it (needed for images in your own ECR repositories).
   *
   * @default - no pull access is granted (AWS-owned images need none)
   */
  readonly image?: SageMakerImage;

  /**
   * The package comes from AWS Marketplace. Deployment guardrails (traffic shifting, rollback
   * alarms) do not support Marketplace containers, so the endpoint skips them.
   *
   * @default false
   */
  readonly marketplace?: boolean;
}

/**
 * The model an endpoint serves: an artifact with an image, an image alone, or a registered model package.
 */
export abstract class ModelSource {
  /**
   * A model artifact (`model.tar.gz`) in S3 served by an image. The execution role may read
   * only this object (and decrypt it with the bucket's key).
   *
   * @param objectKey the artifact's key, e.g. 'churn/runs/run-1/output/model.tar.gz'; may be a deploy-time token
   */
  public static fromArtifact(image: SageMakerImage, bucket: s3.IBucket, objectKey: string, options: ContainerOptions = {}): ModelSource {
    if (!Token.isUnresolved(objectKey) && (objectKey.length === 0 || objectKey.startsWith('/') || objectKey.includes('*'))) {
      throwUnscoped('ModelSourceInvalid', `'objectKey' ('${objectKey}') must be the key of one object, without a leading '/' or wildcards; use e.g. 'models/churn/model.tar.gz'`);
    }
    return new ArtifactSource(image, options, bucket, objectKey);
  }

  /** An image that holds its model (or downloads it itself). */
  public static fromImage(image: SageMakerImage, options: ContainerOptions = {}): ModelSource {
    return new ArtifactSource(image, options);
  }

  /**
   * One version of a model registry (model package group).
   *
   * @param version the version number, from 1
   */
  public static fromModelPackage(registry: IModelRegistry, version: number, options: ModelPackageSourceOptions = {}): ModelSource {
    if (!Token.isUnresolved(version) && (!Number.isInteger(version) || version < 1)) {
      throwUnscoped('ModelSourceInvalid', `'version' (${version}) must be a whole number from 1, the version of a model package in '${registry.modelPackageGroupName}'`);
    }
    const group = registry.modelPackageGroupName;
    // SageMaker writes resource names in ARNs in lowercase.
    const arn = sageMakerArn(registry, 'model-package', `${lowercaseName(group)}/${version}`);
    return new PackageSource(arn, options);
  }

  /**
   * A model package by ARN, e.g. one a pipeline promoted into a parameter the stack reads.
   * A literal ARN is checked at synth; a token is accepted as it is.
   *
   * @param modelPackageArn e.g. 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3'
   */
  public static fromModelPackageArn(modelPackageArn: string, options: ModelPackageSourceOptions = {}): ModelSource {
    if (!Token.isUnresolved(modelPackageArn) && !MODEL_PACKAGE_ARN.test(modelPackageArn)) {
      throwUnscoped('ModelSourceInvalid',
        `'modelPackageArn' ('${modelPackageArn}') is not a model package ARN; use the form 'arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>' (lowercase, as SageMaker returns it)`);
    }
    return new PackageSource(modelPackageArn, options);
  }

  /**
   * Resolves the container definition in `scope` and grants `grantee` (the execution role)
   * what it needs to read the model and pull the image.
   */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): ModelSourceConfig;
}

class ArtifactSource extends ModelSource {
  constructor(
    private readonly image: SageMakerImage,
    private readonly options: ContainerOptions,
    private readonly bucket?: s3.IBucket,
    private readonly objectKey?: string,
  ) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): ModelSourceConfig {
    const { imageUri } = this.image.bind(scope, grantee);
    let modelDataUrl: string | undefined;
    if (this.bucket && this.objectKey !== undefined) {
      // The artifact object only: no listing, no other keys.
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(this.objectKey)] });
      this.bucket.encryptionKey?.grantDecrypt(grantee);
      modelDataUrl = this.bucket.s3UrlForObject(this.objectKey);
    }
    return { imageUri, modelDataUrl, environment: this.options.environment, cpuOnly: this.image.cpuOnly, gpuOnly: this.image.gpuOnly };
  }
}

class PackageSource extends ModelSource {
  constructor(private readonly arn: string, private readonly options: ModelPackageSourceOptions) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): ModelSourceConfig {
    this.options.image?.bind(scope, grantee);
    const location = this.options.modelDataLocation;
    if (location) {
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [location.arnForObjects()] });
      location.encryptionKey?.grantDecrypt(grantee);
      if (Construct.isConstruct(grantee)) {
        acknowledgeWildcards(grantee, { resources: [location.arnForObjects()] },
          'A model package names its artifact at registration; the role may read only the configured prefix of registered artifacts.');
      }
    }
    return {
      modelPackageName: this.arn,
      environment: this.options.environment,
      marketplace: this.options.marketplace ?? false,
      cpuOnly: this.options.image?.cpuOnly ?? false,
      gpuOnly: this.options.image?.gpuOnly ?? false,
    };
  }
}
