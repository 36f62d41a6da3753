import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, Stage, Token } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { DEFAULT_EXCLUDES, hasRequirements, packFiles, packSourceDirectory } from './source-archive';
import { S3DataDistribution } from '../job-options';
import type { SageMakerTrainingTaskProps, ScriptModeOptions, TrainingChannel } from '../training-job';
import { PropsValidator } from '../../../core/private/errors';
import { grantObjectRead } from '../../../core/private/s3-grants';

/** The channel the program arrives in; the toolkit unpacks it from /opt/ml/input/data/<channel>. */
export const CODE_CHANNEL = 'code';

/** Hyperparameters the SageMaker training toolkit reads for script mode and distribution. */
const TOOLKIT_HYPERPARAMETERS = [
  'sagemaker_program', 'sagemaker_submit_directory', 'sagemaker_torch_distributed_enabled',
  'sagemaker_instance_type', 'sagemaker_mpi_num_of_processes_per_host',
];

/** SageMaker's limit on a job's hyperparameters. */
const MAX_HYPERPARAMETERS = 100;

/** Synth-time checks of script mode against the rest of the training task's props. */
export function checkScriptMode(v: PropsValidator, props: SageMakerTrainingTaskProps): void {
  const mode = props.scriptMode;
  if (!mode) return;
  const { entryPoint, sourceDirectory } = mode;
  if (sourceDirectory !== undefined) {
    const isDir = fs.existsSync(sourceDirectory) && fs.statSync(sourceDirectory).isDirectory();
    v.check(!isDir, `'scriptMode.sourceDirectory' ('${sourceDirectory}') is not a directory; give the folder that holds the entry point and its modules`);
    const inside = !path.isAbsolute(entryPoint) && !entryPoint.split(/[\\/]/).includes('..');
    v.check(!inside, `'scriptMode.entryPoint' ('${entryPoint}') must be a path inside 'sourceDirectory', e.g. 'train.py'`);
    v.check(isDir && inside && !isFile(path.join(sourceDirectory, entryPoint)),
      `'scriptMode.entryPoint' ('${entryPoint}') is not a file in '${sourceDirectory}'; give its path relative to the directory`);
    v.check(isDir && props.enableNetworkIsolation === true && hasRequirements(path.join(sourceDirectory, 'requirements.txt')),
      `'enableNetworkIsolation' (true) leaves the container no network to pip-install '${path.join(sourceDirectory, 'requirements.txt')}'; build the packages into the image, or remove the isolation`);
  } else {
    v.check(!isFile(entryPoint), `'scriptMode.entryPoint' ('${entryPoint}') is not a file; give the path of the local script, or a 'sourceDirectory' that holds it`);
  }
  v.check(props.containerEntrypoint !== undefined,
    `'containerEntrypoint' replaces the training toolkit that runs 'scriptMode' ('${entryPoint}'); remove one of them`);
  v.check(props.channels.some((c) => c.channelName === CODE_CHANNEL),
    `'channels' has a '${CODE_CHANNEL}' channel, the name 'scriptMode' delivers the program in; rename that channel`);
  const taken = TOOLKIT_HYPERPARAMETERS.filter((name) => props.hyperparameters?.[name] !== undefined);
  v.check(taken.length > 0, `'hyperparameters' sets ${taken.map((t) => `'${t}'`).join(', ')}, which 'scriptMode' sets; remove ${taken.length > 1 ? 'them' : 'it'}`);
  const total = Object.keys(props.hyperparameters ?? {}).length + scriptHyperparameterCount(mode);
  v.check(total > MAX_HYPERPARAMETERS && Object.keys(props.hyperparameters ?? {}).length <= MAX_HYPERPARAMETERS,
    `'hyperparameters' has ${total} entries with the ${scriptHyperparameterCount(mode)} of 'scriptMode'; SageMaker accepts at most ${MAX_HYPERPARAMETERS}: pass the rest in a file in an input channel`);

  const distributed = mode.distributed;
  if (distributed?._launcher === 'torchrun') {
    const type = props.instanceType;
    v.check(!type.isUnresolved && !type.isGpu && !type.isNeuron,
      `'scriptMode.distributed' (torchrun) needs GPU or Trainium instances, not '${type.name}'; use e.g. MlInstanceType.ML_G5_12XLARGE, or no 'distributed' on CPU`);
    v.check(props.image.cpuOnly, `'scriptMode.distributed' (torchrun) needs a GPU image; the image is CPU-only: use e.g. SageMakerImage.pytorchTraining('<tag>')`);
    v.check(!entryPoint.endsWith('.py'), `'scriptMode.entryPoint' ('${entryPoint}') must be a .py script for torchrun, which runs no other kind of program`);
    v.check(sourceDirectory !== undefined && isFile(path.join(sourceDirectory, 'setup.py')),
      `'scriptMode.sourceDirectory' ('${sourceDirectory}') has a setup.py, which makes it a package that the toolkit does not run with torchrun; remove setup.py (list packages in requirements.txt)`);
    const per = distributed._processesPerHost;
    v.checkResolved([per], () => per !== undefined && (!Number.isInteger(per) || per < 1),
      `'processesPerHost' (${per}) must be a whole number of at least 1; remove it for one process per GPU`);
  }
}

function scriptHyperparameterCount(mode: ScriptModeOptions): number {
  if (mode.distributed?._launcher !== 'torchrun') return 2;
  return mode.distributed._processesPerHost !== undefined ? 5 : 4;
}

function isFile(file: string): boolean {
  return fs.existsSync(file) && fs.statSync(file).isFile();
}

/** What script mode adds to a training job: the code channel and the toolkit's hyperparameters. */
export interface RenderedScriptMode {
  readonly channel: TrainingChannel;
  readonly hyperparameters: Record<string, string>;
}

/**
 * Packs the program as a tar.gz file asset (under the task), grants the job role that one
 * object, and names it for the toolkit: `sagemaker_submit_directory` is the archive's path in
 * the code channel, which the toolkit unpacks into /opt/ml/code (it takes a local tar.gz as well
 * as an S3 URI, and the channel needs no network from the container).
 */
export function renderScriptMode(scope: Construct, props: SageMakerTrainingTaskProps, mode: ScriptModeOptions): RenderedScriptMode {
  const archive = mode.sourceDirectory !== undefined
    ? packSourceDirectory(mode.sourceDirectory, mode.exclude ?? DEFAULT_EXCLUDES)
    : packFiles([{ name: path.basename(mode.entryPoint), file: mode.entryPoint }]);
  const program = mode.sourceDirectory !== undefined ? mode.entryPoint.split(path.sep).join('/') : path.basename(mode.entryPoint);
  // Written into the cloud assembly, which the asset is staged from; named by content, so rewrites are idempotent.
  const folder = path.join(Stage.of(scope)!.outdir, 'cdk-mlops-sourcedirs');
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${archive.contentHash}.tar.gz`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, archive.bytes);
  const asset = new s3assets.Asset(scope, 'SourceArchive', { path: file, assetHash: archive.contentHash, assetHashType: AssetHashType.CUSTOM });
  grantObjectRead(props.role, asset.bucket, asset.s3ObjectKey);
  const objectName = asset.s3ObjectKey.split('/').pop()!;
  const hyperparameters: Record<string, string> = {
    sagemaker_program: program,
    sagemaker_submit_directory: `/opt/ml/input/data/${CODE_CHANNEL}/${objectName}`,
  };
  const distributed = mode.distributed;
  if (distributed?._launcher === 'torchrun') {
    // What the SageMaker Python SDK's PyTorch estimator sets for torch_distributed.
    hyperparameters.sagemaker_torch_distributed_enabled = 'true';
    hyperparameters.sagemaker_instance_type = props.instanceType.name;
    if (distributed._processesPerHost !== undefined) {
      hyperparameters.sagemaker_mpi_num_of_processes_per_host = Token.isUnresolved(distributed._processesPerHost)
        ? Token.asString(distributed._processesPerHost) : String(distributed._processesPerHost);
    }
  }
  return {
    channel: { channelName: CODE_CHANNEL, s3Uri: asset.s3ObjectUrl, distribution: S3DataDistribution.FULLY_REPLICATED },
    hyperparameters,
  };
}
