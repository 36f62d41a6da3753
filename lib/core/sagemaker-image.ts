import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RegistryKind, regionalAccount } from './private/image-registries';
import { throwInvalid } from './private/errors';

/**
 * A container image bound to a job: its URI, with pull permissions granted where needed.
 */
export interface SageMakerImageConfig {
  /** The image URI, possibly with deploy-time tokens (region, account). */
  readonly imageUri: string;
}

/**
 * A container image for SageMaker training, processing or inference. AWS-owned images resolve
 * to the registry of the stack's region, so one template serves every commercial region.
 */
export abstract class SageMakerImage {
  /**
   * The SageMaker built-in XGBoost algorithm (runs on CPU and, with `tree_method=gpu_hist`
   * or `device=cuda`, on GPU instances).
   *
   * @param version e.g. '1.7-1'
   */
  public static xgboost(version: string = '1.7-1'): SageMakerImage {
    return new AwsRegistryImage('xgboost-sklearn', 'sagemaker-xgboost', version, { cpuOnly: false, reportsOwnMetrics: true });
  }

  /**
   * The SageMaker scikit-learn container, for processing jobs and CPU training.
   *
   * @param tag e.g. '1.2-1-cpu-py3'
   */
  public static sklearn(tag: string = '1.2-1-cpu-py3'): SageMakerImage {
    return new AwsRegistryImage('xgboost-sklearn', 'sagemaker-scikit-learn', tag, { cpuOnly: true, reportsOwnMetrics: false });
  }

  /**
   * An AWS Deep Learning Container for PyTorch training.
   *
   * @param tag e.g. '2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'
   */
  public static pytorchTraining(tag: string): SageMakerImage {
    return SageMakerImage.deepLearningContainer('pytorch-training', tag);
  }

  /**
   * An AWS Deep Learning Container for PyTorch inference.
   *
   * @param tag e.g. '2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'
   */
  public static pytorchInference(tag: string): SageMakerImage {
    return SageMakerImage.deepLearningContainer('pytorch-inference', tag);
  }

  /**
   * An AWS Deep Learning Container for Hugging Face training on PyTorch.
   *
   * @param tag e.g. '2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04'
   */
  public static huggingFaceTraining(tag: string): SageMakerImage {
    return SageMakerImage.deepLearningContainer('huggingface-pytorch-training', tag);
  }

  /**
   * An AWS Deep Learning Container for Hugging Face inference on PyTorch.
   *
   * @param tag e.g. '2.1.0-transformers4.37.0-gpu-py310-cu118-ubuntu20.04'
   */
  public static huggingFaceInference(tag: string): SageMakerImage {
    return SageMakerImage.deepLearningContainer('huggingface-pytorch-inference', tag);
  }

  /**
   * Any AWS Deep Learning Container repository, e.g. 'tensorflow-training'.
   */
  public static deepLearningContainer(repositoryName: string, tag: string): SageMakerImage {
    return new AwsRegistryImage('dlc', repositoryName, tag, { cpuOnly: false, reportsOwnMetrics: false });
  }

  /**
   * An image in an ECR repository of yours; the job's role is granted pull access.
   *
   * @param tag the image tag, or a digest starting with 'sha256:'
   */
  public static fromEcrRepository(repository: ecr.IRepository, tag: string = 'latest'): SageMakerImage {
    return new EcrImage(repository, tag);
  }

  /**
   * An image built from a local Dockerfile and published with the stack's assets
   * (Docker is needed where `cdk deploy` runs, not at synth).
   */
  public static fromAsset(directory: string, options: ecrAssets.DockerImageAssetOptions = {}): SageMakerImage {
    return new AssetImage(directory, options);
  }

  /** Whether the image runs on CPU only, so that GPU instances would be wasted on it. */
  public abstract readonly cpuOnly: boolean;

  /**
   * Whether the image needs NVIDIA GPUs (a `-gpu-` Deep Learning Container tag), so that it
   * cannot run on CPU instances or serverless endpoints. False where that is not known.
   */
  public get gpuOnly(): boolean {
    return false;
  }

  /**
   * Whether the image only trains (a `*-training` Deep Learning Container), so that a model it
   * trained must be served by another image, e.g. the framework's `*-inference` container.
   */
  public get trainingOnly(): boolean {
    return false;
  }

  /**
   * Whether SageMaker reports the image's training metrics itself (built-in algorithms such as
   * XGBoost emit e.g. `validation:auc`), so that no metric definitions are needed.
   */
  public abstract readonly reportsOwnMetrics: boolean;

  /**
   * Resolves the image URI in `scope`'s stack and grants `grantee` what it needs to pull it.
   *
   * @param grantee who pulls the image (default: nobody is granted anything, e.g. to record the URI)
   */
  public abstract bind(scope: Construct, grantee?: iam.IGrantable): SageMakerImageConfig;
}

class AwsRegistryImage extends SageMakerImage {
  public readonly cpuOnly: boolean;
  public readonly reportsOwnMetrics: boolean;

  constructor(
    private readonly registry: RegistryKind,
    private readonly repositoryName: string,
    private readonly tag: string,
    traits: { cpuOnly: boolean; reportsOwnMetrics: boolean },
  ) {
    super();
    this.cpuOnly = traits.cpuOnly;
    this.reportsOwnMetrics = traits.reportsOwnMetrics;
  }

  public get gpuOnly(): boolean {
    // DLC tags name the processor: '2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'.
    return this.registry === 'dlc' && !Token.isUnresolved(this.tag) && /(^|-)gpu(-|$)/.test(this.tag);
  }

  public get trainingOnly(): boolean {
    return this.registry === 'dlc' && this.repositoryName.endsWith('-training');
  }

  public bind(scope: Construct): SageMakerImageConfig {
    // AWS-owned images are pulled by SageMaker; the job role needs no ECR permissions.
    const account = regionalAccount(scope, this.registry);
    return { imageUri: `${account}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.repositoryName}:${this.tag}` };
  }
}

class EcrImage extends SageMakerImage {
  public readonly cpuOnly = false;
  public readonly reportsOwnMetrics = false;

  constructor(private readonly repository: ecr.IRepository, private readonly tag: string) {
    super();
  }

  public bind(scope: Construct, grantee?: iam.IGrantable): SageMakerImageConfig {
    checkSameRegion(scope, this.repository);
    if (grantee) this.repository.grantPull(grantee);
    const digest = !Token.isUnresolved(this.tag) && this.tag.startsWith('sha256:');
    return { imageUri: digest ? this.repository.repositoryUriForDigest(this.tag) : this.repository.repositoryUriForTag(this.tag) };
  }
}

class AssetImage extends SageMakerImage {
  public readonly cpuOnly = false;
  public readonly reportsOwnMetrics = false;
  private readonly assets = new Map<Construct, ecrAssets.DockerImageAsset>();

  constructor(private readonly directory: string, private readonly options: ecrAssets.DockerImageAssetOptions) {
    super();
  }

  public bind(scope: Construct, grantee?: iam.IGrantable): SageMakerImageConfig {
    // One asset per binding scope, so binding the same image twice does not clash on ids.
    let asset = this.assets.get(scope);
    if (!asset) {
      let id = 'ImageAsset';
      for (let n = 2; scope.node.tryFindChild(id); n++) id = `ImageAsset${n}`;
      asset = new ecrAssets.DockerImageAsset(scope, id, { directory: this.directory, ...this.options });
      this.assets.set(scope, asset);
    }
    if (grantee) asset.repository.grantPull(grantee);
    return { imageUri: asset.imageUri };
  }
}

/** SageMaker pulls images only from ECR in its own region: a repository pinned elsewhere fails at job or endpoint creation. */
function checkSameRegion(scope: Construct, repository: ecr.IRepository): void {
  const where = repository.env.region;
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(where) || where === region) return;
  const problem = Token.isUnresolved(region)
    ? `the stack is environment-agnostic, so it may deploy to a region other than ${where}`
    : `the stack deploys to ${region}`;
  throwInvalid(scope, 'SageMakerImageRegionMismatch',
    `'image' is in an ECR repository of ${where} (${repository.repositoryName}), but ${problem} and SageMaker pulls images only from its own region; `
    + `replicate the repository to the stack's region (ECR replication) and import it there, or give the stack env: { region: '${where}' }`);
}
