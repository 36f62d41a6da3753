import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { S3DataDistribution, SageMakerJobOptions } from './job-options';
import { checkScriptMode, renderScriptMode } from './private/script-mode';
import { checkDuration, checkJobResources, checkNetwork, defaultMaxWait, renderJobBase, sagemakerJobPolicies, sagemakerResourceArn, warnOnSharding } from '../private/sagemaker-job';
import { InstanceUse } from '../../core/instance-type';
import { checkUnique, PropsValidator } from '../../core/private/errors';
import { renderMap } from '../../core/private/sagemaker-api';

/**
 * How a training channel's data reaches the container.
 */
export enum TrainingInputMode {
  /** Copied to the instance's volume before training starts. */
  FILE = 'File',
  /** Streamed from S3 as the container reads it. */
  PIPE = 'Pipe',
  /** Mounted from S3 and read on demand. */
  FAST_FILE = 'FastFile',
}

/**
 * An S3 prefix that becomes a training channel (`SM_CHANNEL_<NAME>` in script mode).
 */
export interface TrainingChannel {
  /** Name of the channel, e.g. 'train' or 'validation'. */
  readonly channelName: string;
  /** The S3 URI of the prefix; may be a JSON path. */
  readonly s3Uri: string;
  /**
   * MIME type of the data, e.g. 'text/csv'.
   *
   * @default - none
   */
  readonly contentType?: string;
  /**
   * How the data reaches the container.
   *
   * @default TrainingInputMode.FILE
   */
  readonly inputMode?: TrainingInputMode;
  /**
   * How the objects are spread over the instances. `SHARDED_BY_S3_KEY` gives each instance about
   * 1/N of the objects (for data-parallel training over many files), so it needs at least as many
   * objects as instances: with fewer, some instances get no data at all.
   *
   * @default S3DataDistribution.FULLY_REPLICATED
   */
  readonly distribution?: S3DataDistribution;
}

/**
 * A metric SageMaker reads from the training logs and publishes to CloudWatch.
 */
export interface MetricDefinition {
  /** Name of the metric, e.g. 'validation:auc'. */
  readonly name: string;
  /** Regular expression whose first group captures the value, e.g. 'validation:auc=([0-9\\.]+)'. */
  readonly regex: string;
}

/**
 * Options of torchrun, the launcher of distributed PyTorch.
 */
export interface TorchrunOptions {
  /**
   * Processes started on each instance (`torchrun --nproc_per_node`), passed as the toolkit's
   * `sagemaker_mpi_num_of_processes_per_host`.
   *
   * @default - one per GPU (or Neuron device) of the instance, as the SageMaker training toolkit counts them
   */
  readonly processesPerHost?: number;
}

/**
 * How a script-mode program runs across the GPUs of each instance and across instances.
 */
export class DistributedTraining {
  /**
   * torchrun on every instance, as the SageMaker Python SDK's PyTorch estimator does with
   * `distribution={'torch_distributed': {'enabled': True}}`: the PyTorch and Hugging Face training
   * containers start `torchrun --nnodes <instances> --nproc_per_node <GPUs>` with the first
   * instance as master, so the script reads RANK, LOCAL_RANK and WORLD_SIZE and calls
   * `torch.distributed.init_process_group()`. GPU (p, g) and Trainium instances only; the entry
   * point must be a `.py` script, not a package with setup.py.
   */
  public static torchrun(options: TorchrunOptions = {}): DistributedTraining {
    return new DistributedTraining('torchrun', options.processesPerHost);
  }

  private constructor(
    /** @internal */ public readonly _launcher: string,
    /** @internal */ public readonly _processesPerHost?: number,
  ) {}
}

/**
 * A script-mode program for a framework training image (PyTorch, Hugging Face, scikit-learn,
 * XGBoost): the SageMaker training toolkit in the container unpacks it into /opt/ml/code,
 * pip-installs its requirements.txt, and runs the entry point with the hyperparameters as
 * `--name value` arguments.
 */
export interface ScriptModeOptions {
  /**
   * The program: with `sourceDirectory`, its path inside that directory (e.g. 'train.py');
   * without, the path of a local script.
   */
  readonly entryPoint: string;

  /**
   * A local directory packed with the entry point (as the `sourcedir.tar.gz` the SageMaker SDK
   * uploads): helper modules, and a requirements.txt that the container pip-installs before
   * training, which needs network access (not with `enableNetworkIsolation`). It is packed at
   * synth into a tar.gz with fixed times and owners, so unchanged files keep the asset unchanged.
   *
   * @default - the entry point alone
   */
  readonly sourceDirectory?: string;

  /**
   * Names (e.g. '*.ipynb') or paths from the directory's root (e.g. 'data/raw') left out of the archive.
   *
   * @default ['__pycache__', '*.pyc', '.git', '.venv', '.ipynb_checkpoints', '.DS_Store', '.pytest_cache']
   */
  readonly exclude?: string[];

  /**
   * Run the program distributed, e.g. `DistributedTraining.torchrun()`.
   *
   * @default - one process per instance
   */
  readonly distributed?: DistributedTraining;
}

/**
 * Properties of a `SageMakerTrainingTask`.
 */
export interface SageMakerTrainingTaskProps extends sfn.TaskStateBaseProps, SageMakerJobOptions {
  /** Name of the training job, unique in the account and region; may be a JSON path. */
  readonly trainingJobName: string;

  /** The training channels; at least one. */
  readonly channels: TrainingChannel[];

  /** The S3 URI the model artifact (`<job>/output/model.tar.gz`) is written under; may be a JSON path. */
  readonly outputS3Uri: string;

  /**
   * Hyperparameters, passed to the container as strings.
   *
   * @default - none
   */
  readonly hyperparameters?: Record<string, string>;

  /**
   * Metrics SageMaker parses from the logs; a metric gate can only use metrics defined here.
   *
   * @default - none
   */
  readonly metricDefinitions?: MetricDefinition[];

  /**
   * Train on managed spot capacity (up to 90% cheaper; may be interrupted and resumed).
   * Requires `maxWaitTime` longer than `maxRuntime`; use checkpoints so interrupted jobs resume.
   *
   * @default false
   */
  readonly useSpotInstances?: boolean;

  /**
   * How long to wait for spot capacity plus the training time; only with spot training.
   *
   * @default - with spot: twice `maxRuntime`, capped at 28 days
   */
  readonly maxWaitTime?: Duration;

  /**
   * S3 URI the container's checkpoint folder is synced to, so an interrupted job resumes;
   * may be a JSON path. CheckpointConfig has no KMS key of its own: keep checkpoints in a bucket
   * whose default encryption is your key.
   *
   * @default - no checkpoints
   */
  readonly checkpointS3Uri?: string;

  /**
   * The checkpoint folder in the container; only with `checkpointS3Uri`.
   *
   * @default '/opt/ml/checkpoints'
   */
  readonly checkpointLocalPath?: string;

  /**
   * Encrypt the traffic between the instances of a multi-instance job.
   *
   * @default - true when `instanceCount` is more than 1
   */
  readonly enableInterContainerTrafficEncryption?: boolean;

  /**
   * The command the container runs instead of its entrypoint.
   *
   * @default - the image's entrypoint
   */
  readonly containerEntrypoint?: string[];

  /**
   * Run a script (or a source directory) in script mode: it is uploaded with the stack's assets,
   * delivered to the job as the `code` channel (so it works with network isolation too), and named
   * in the `sagemaker_program` and `sagemaker_submit_directory` hyperparameters.
   *
   * @default - the image's own training program (built-in algorithms such as XGBoost)
   */
  readonly scriptMode?: ScriptModeOptions;
}

/**
 * A Step Functions task that runs a SageMaker training job and, by default, waits for it
 * (`createTrainingJob.sync`), with what aws-stepfunctions-tasks lacks: managed spot training
 * with checkpoints, multi-instance distribution, environment and inter-container encryption.
 */
export class SageMakerTrainingTask extends sfn.TaskStateBase {
  protected readonly taskMetrics?: sfn.TaskMetricsConfig;
  protected readonly taskPolicies?: iam.PolicyStatement[];
  private readonly integrationPattern: sfn.IntegrationPattern;
  private readonly apiParameters: any;

  constructor(scope: Construct, id: string, private readonly props: SageMakerTrainingTaskProps) {
    super(scope, id, props);
    this.integrationPattern = props.integrationPattern ?? sfn.IntegrationPattern.RUN_JOB;
    validate(this, props, this.integrationPattern);
    warnOnSharding(this, props.instanceCount, props.channels.map((c) => ({ name: c.channelName, distribution: c.distribution })));

    const base = renderJobBase(this, props);
    const code = props.scriptMode ? renderScriptMode(this, props, props.scriptMode) : undefined;
    const spot = props.useSpotInstances ?? false;
    const maxWait = (props.maxWaitTime ?? defaultMaxWait(Duration.seconds(base.maxRuntimeInSeconds))).toSeconds();
    const multiInstance = base.instanceCount > 1;
    this.apiParameters = {
      TrainingJobName: props.trainingJobName,
      RoleArn: props.role.roleArn,
      AlgorithmSpecification: {
        TrainingImage: base.imageUri,
        TrainingInputMode: TrainingInputMode.FILE,
        ContainerEntrypoint: props.containerEntrypoint,
        MetricDefinitions: props.metricDefinitions?.map((m) => ({ Name: m.name, Regex: m.regex })),
      },
      HyperParameters: renderMap({ ...props.hyperparameters, ...code?.hyperparameters }),
      Environment: renderMap(props.environment),
      InputDataConfig: [...props.channels, ...(code ? [code.channel] : [])].map((channel) => ({
        ChannelName: channel.channelName,
        ContentType: channel.contentType,
        InputMode: channel.inputMode,
        DataSource: {
          S3DataSource: {
            S3Uri: channel.s3Uri,
            S3DataType: 'S3Prefix',
            S3DataDistributionType: channel.distribution ?? S3DataDistribution.FULLY_REPLICATED,
          },
        },
      })),
      OutputDataConfig: { S3OutputPath: props.outputS3Uri, KmsKeyId: base.outputKmsKeyId },
      ResourceConfig: {
        InstanceCount: base.instanceCount,
        InstanceType: props.instanceType.name,
        VolumeSizeInGB: base.volumeSizeInGb,
        VolumeKmsKeyId: base.volumeKmsKeyId,
      },
      StoppingCondition: {
        MaxRuntimeInSeconds: base.maxRuntimeInSeconds,
        MaxWaitTimeInSeconds: spot ? maxWait : undefined,
      },
      EnableManagedSpotTraining: spot || undefined,
      CheckpointConfig: props.checkpointS3Uri ? {
        S3Uri: props.checkpointS3Uri,
        LocalPath: props.checkpointLocalPath ?? '/opt/ml/checkpoints',
      } : undefined,
      EnableNetworkIsolation: props.enableNetworkIsolation,
      EnableInterContainerTrafficEncryption: props.enableInterContainerTrafficEncryption ?? (multiInstance || undefined),
      VpcConfig: base.vpcConfig,
    };
    this.taskPolicies = sagemakerJobPolicies(this, {
      jobResource: 'training-job', jobNamePrefix: props.jobNamePrefix, jobKind: 'Training', role: props.role, pattern: this.integrationPattern,
    });
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const queryLanguage = sfn._getActualQueryLanguage(topLevelQueryLanguage, this.props.queryLanguage);
    return {
      Resource: sagemakerResourceArn('createTrainingJob', this.integrationPattern),
      ...this._renderParametersOrArguments(this.apiParameters, queryLanguage),
    };
  }
}

function validate(scope: Construct, props: SageMakerTrainingTaskProps, pattern: sfn.IntegrationPattern): void {
  const v = new PropsValidator(scope, 'TrainingTaskInvalidProps');
  v.check(![sfn.IntegrationPattern.REQUEST_RESPONSE, sfn.IntegrationPattern.RUN_JOB].includes(pattern),
    `'integrationPattern' (${pattern}) is not supported for training jobs; use RUN_JOB (the default) or REQUEST_RESPONSE`);
  v.check(props.channels.length === 0,
    `'channels' is empty: a training job needs at least one channel; add e.g. { channelName: 'train', s3Uri: 's3://bucket/train/' }`);
  checkUnique(v, 'channels', props.channels.map((c) => c.channelName));
  checkJobResources(v, props, InstanceUse.TRAINING);
  checkNetwork(v, props);
  checkDuration(v, 'maxWaitTime', props.maxWaitTime);

  const spot = props.useSpotInstances ?? false;
  const runtime = props.maxRuntime ?? Duration.hours(24);
  if (spot && props.maxWaitTime && !props.maxWaitTime.isUnresolved() && !runtime.isUnresolved()) {
    v.check(props.maxWaitTime.toSeconds() <= runtime.toSeconds(),
      `'maxWaitTime' (${props.maxWaitTime.toHumanString()}) must be longer than 'maxRuntime' (${runtime.toHumanString()}) for spot training; use e.g. Duration.seconds(${runtime.toSeconds() * 2})`);
  }
  v.check(!spot && props.maxWaitTime !== undefined,
    `'maxWaitTime' (${props.maxWaitTime?.toHumanString()}) only applies to spot training; set 'useSpotInstances: true' or remove 'maxWaitTime'`);
  v.check(props.checkpointLocalPath !== undefined && props.checkpointS3Uri === undefined,
    `'checkpointLocalPath' ('${props.checkpointLocalPath}') needs 'checkpointS3Uri', where the checkpoints are kept; add it or remove 'checkpointLocalPath'`);
  v.check(props.enableInterContainerTrafficEncryption === false && (props.instanceCount ?? 1) > 1,
    `'enableInterContainerTrafficEncryption' (false) leaves the traffic between the ${props.instanceCount} instances in clear text; remove it to encrypt`);

  checkScriptMode(v, props);
  const hyperparameters = Object.entries(props.hyperparameters ?? {});
  v.check(hyperparameters.length > 100, `'hyperparameters' has ${hyperparameters.length} entries; SageMaker accepts at most 100: pass the rest in a file in an input channel`);
  for (const [key, value] of hyperparameters) {
    v.checkResolved([key, value], () => key.length > 256 || value.length > 2500,
      `'hyperparameters' entry '${key.slice(0, 40)}' is too long (keys at most 256 characters, values at most 2500); shorten it or pass it in an input channel`);
  }
  const metrics = props.metricDefinitions ?? [];
  v.check(props.image.reportsOwnMetrics && metrics.length > 0 && props.hyperparameters?.sagemaker_program === undefined && !props.scriptMode,
    `'metricDefinitions' (${metrics.map((m) => `'${m.name}'`).join(', ')}) cannot be given for a SageMaker built-in algorithm, which reports its own metrics (e.g. 'validation:auc'); remove them`);
  checkUnique(v, 'metricDefinitions', metrics.map((m) => m.name));
  for (const metric of metrics) {
    if (Token.isUnresolved(metric.regex)) continue;
    let groups = 0;
    try {
      groups = new RegExp(`${metric.regex}|`).exec('')!.length - 1;
    } catch (e) {
      v.check(true, `'metricDefinitions' regex of '${metric.name}' ('${metric.regex}') is not a valid regular expression: ${(e as Error).message}`);
      continue;
    }
    v.check(groups < 1, `'metricDefinitions' regex of '${metric.name}' ('${metric.regex}') has no capture group; capture the value, e.g. '${metric.name}=([0-9\\.]+)'`);
  }
  v.throwIfInvalid();
}
