/**
 * Script mode of the training task: a script or a source directory packed as the tar.gz that
 * SageMaker's training toolkit unpacks, delivered as the `code` channel, and distributed PyTorch
 * through the hyperparameters the SageMaker Python SDK sets.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { templateOf, testStack } from '../helpers/app';
import { definitionFromTemplate } from '../helpers/asl';
import {
  DistributedTraining, MlInstanceType, SageMakerImage, SageMakerTrainingTask, SageMakerTrainingTaskProps, ScriptModeOptions, TrainingStepOptions,
} from '../../lib';
import { PropsValidator } from '../../lib/core/private/errors';
import { trainingScriptMode } from '../../lib/training/private/sagemaker-job';
import { packSourceDirectory } from '../../lib/training/tasks/private/source-archive';

const GPU_IMAGE = SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');
let work: string;

/** A project folder: entry point, helper package, requirements, and caches that must stay out. */
function project(name: string, extra: Record<string, string> = {}): string {
  const dir = path.join(work, name);
  const files: Record<string, string> = {
    'train.py': 'from lib.model import build\nprint(build())\n',
    'lib/__init__.py': '',
    'lib/model.py': 'def build():\n    return "model"\n',
    'requirements.txt': '# extra packages\nrich==13.9.4\n',
    'lib/__pycache__/model.cpython-311.pyc': 'bytecode',
    'notes.pyc': 'bytecode',
    ...extra,
  };
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

function task(stack: Stack, scriptMode: ScriptModeOptions, overrides: Partial<SageMakerTrainingTaskProps> = {}): SageMakerTrainingTask {
  return new SageMakerTrainingTask(stack, 'Train', {
    trainingJobName: 'train-1',
    role: new iam.Role(stack, 'JobRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }),
    image: GPU_IMAGE,
    instanceType: MlInstanceType.ML_G5_12XLARGE,
    channels: [{ channelName: 'train', s3Uri: 's3://data/train/' }],
    outputS3Uri: 's3://models/',
    scriptMode,
    ...overrides,
  });
}

function parametersOf(stack: Stack, state: sfn.TaskStateBase): any {
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(state) });
  return (Object.values(definitionFromTemplate(templateOf(stack)).States)[0] as any).Parameters;
}

/** The staged file of the stack's one source archive asset, from the cloud assembly. */
function stagedArchive(stack: Stack): string {
  const assembly = stack.node.root as any;
  const outdir: string = assembly.outdir;
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
  const archives = Object.values(manifest.files).filter((f: any) => f.source.path.endsWith('.tar.gz')) as any[];
  expect(archives).toHaveLength(1);
  return path.join(outdir, archives[0].source.path);
}

/** The names in a tar.gz as Python's tarfile reads them, the way the training toolkit opens it. */
function pythonTarNames(file: string): string[] {
  const run = spawnSync('python3', ['-c', [
    'import sys, tarfile',
    'assert tarfile.is_tarfile(sys.argv[1])',
    'with tarfile.open(name=sys.argv[1], mode="r:gz") as t:',
    '    print("\\n".join(f"{m.name} {oct(m.mode)} {m.uid}" for m in t.getmembers() if m.isfile()))',
  ].join('\n'), file], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return run.stdout.trim().split('\n');
}

beforeAll(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-script-mode-')); });
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('script mode: a source directory', () => {
  test('arrives as the code channel; the toolkit is told the program and the archive in it', () => {
    const stack = testStack();
    const params = parametersOf(stack, task(stack, { entryPoint: 'train.py', sourceDirectory: project('app') }));
    const code = params.InputDataConfig.find((c: any) => c.ChannelName === 'code');
    expect(code).toEqual({
      ChannelName: 'code',
      DataSource: { S3DataSource: { S3Uri: expect.stringMatching(/^s3:\/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.gz$/), S3DataType: 'S3Prefix', S3DataDistributionType: 'FullyReplicated' } },
    });
    const objectName = code.DataSource.S3DataSource.S3Uri.split('/').pop();
    expect(params.HyperParameters).toEqual({ sagemaker_program: 'train.py', sagemaker_submit_directory: `/opt/ml/input/data/code/${objectName}` });
    expect(params.InputDataConfig.map((c: any) => c.ChannelName)).toEqual(['train', 'code']);
  });

  test('the archive holds the entry point, the helper modules and requirements.txt, without caches, as Python reads it', () => {
    const stack = testStack();
    task(stack, { entryPoint: 'train.py', sourceDirectory: project('app2') });
    (stack.node.root as any).synth();
    expect(pythonTarNames(stagedArchive(stack))).toEqual([
      'lib/__init__.py 0o644 0', 'lib/model.py 0o644 0', 'requirements.txt 0o644 0', 'train.py 0o644 0',
    ]);
  });

  test('the job role may read the archive object and nothing else of the assets bucket', () => {
    const stack = testStack();
    task(stack, { entryPoint: 'train.py', sourceDirectory: project('app3') });
    const statements = Object.values(templateOf(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => JSON.stringify(s.Action).includes('s3:GetObject'));
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0].Resource)).toMatch(/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.gz"/);
  });

  test('is packed to the same bytes whatever the files\' times, and to other bytes when a file changes', () => {
    const dir = project('stable');
    const first = packSourceDirectory(dir);
    for (const file of ['train.py', 'lib/model.py']) fs.utimesSync(path.join(dir, file), new Date('2030-01-01'), new Date('2030-01-01'));
    const second = packSourceDirectory(dir);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.contentHash).toBe(first.contentHash);
    fs.appendFileSync(path.join(dir, 'lib/model.py'), '# changed\n');
    expect(packSourceDirectory(dir).contentHash).not.toBe(first.contentHash);
  });

  test('the asset is named by the tar\'s content: another folder with the same files is the same object', () => {
    const keyOf = (dir: string) => {
      const stack = testStack();
      return parametersOf(stack, task(stack, { entryPoint: 'train.py', sourceDirectory: dir })).InputDataConfig[1].DataSource.S3DataSource.S3Uri;
    };
    const dir = project('hash');
    const copy = project('hash-copy');
    fs.utimesSync(path.join(copy, 'train.py'), new Date('2031-05-05'), new Date('2031-05-05'));
    const archive = packSourceDirectory(dir);
    expect(archive.contentHash).toBe(crypto.createHash('sha256').update(zlib.gunzipSync(archive.bytes)).digest('hex'));
    expect(keyOf(copy)).toBe(keyOf(dir));
    fs.appendFileSync(path.join(copy, 'requirements.txt'), 'tqdm==4.67.1\n');
    expect(keyOf(copy)).not.toBe(keyOf(dir));
  });

  test('leaves out what `exclude` names, by name or by path from the root', () => {
    const dir = project('excludes', { 'data/raw/big.csv': 'x', 'notebooks/explore.ipynb': '{}', 'lib/data/raw.py': '' });
    expect(packSourceDirectory(dir, ['data/raw', '*.ipynb', '__pycache__']).files).toEqual([
      'lib/__init__.py', 'lib/data/raw.py', 'lib/model.py', 'notes.pyc', 'requirements.txt', 'train.py',
    ]);
  });
});

describe('script mode: a single script', () => {
  test('is packed alone under its own name, which becomes sagemaker_program', () => {
    const dir = project('single');
    const stack = testStack();
    const params = parametersOf(stack, task(stack, { entryPoint: path.join(dir, 'train.py') }));
    expect(params.HyperParameters.sagemaker_program).toBe('train.py');
    (stack.node.root as any).synth();
    expect(pythonTarNames(stagedArchive(stack))).toEqual(['train.py 0o644 0']);
  });
});

describe('script mode: distributed PyTorch', () => {
  test('torchrun sets what the SageMaker SDK sets for torch_distributed, and the instance type', () => {
    const stack = testStack();
    const params = parametersOf(stack, task(stack, {
      entryPoint: 'train.py', sourceDirectory: project('ddp'), distributed: DistributedTraining.torchrun(),
    }, { instanceCount: 2, hyperparameters: { epochs: '3' } }));
    expect(params.HyperParameters).toEqual({
      epochs: '3',
      sagemaker_program: 'train.py',
      sagemaker_submit_directory: expect.stringMatching(/^\/opt\/ml\/input\/data\/code\/[0-9a-f]{64}\.gz$/),
      sagemaker_torch_distributed_enabled: 'true',
      sagemaker_instance_type: 'ml.g5.12xlarge',
    });
    expect(params.EnableInterContainerTrafficEncryption).toBe(true);
  });

  test('processesPerHost overrides one process per GPU', () => {
    const stack = testStack();
    const params = parametersOf(stack, task(stack, {
      entryPoint: 'train.py', sourceDirectory: project('ddp2'), distributed: DistributedTraining.torchrun({ processesPerHost: 2 }),
    }));
    expect(params.HyperParameters.sagemaker_mpi_num_of_processes_per_host).toBe('2');
  });
});

describe('script mode: validation', () => {
  test.each<[string, () => [ScriptModeOptions, Partial<SageMakerTrainingTaskProps>], RegExp]>([
    ['fails on torchrun on a CPU instance', () => [{ entryPoint: 'train.py', sourceDirectory: project('v1'), distributed: DistributedTraining.torchrun() }, { instanceType: MlInstanceType.ML_M5_XLARGE }],
      /'scriptMode.distributed' \(torchrun\) needs GPU or Trainium instances, not 'ml.m5.xlarge'/],
    ['fails on torchrun with a CPU-only image', () => [{ entryPoint: 'train.py', sourceDirectory: project('v2'), distributed: DistributedTraining.torchrun() }, { image: SageMakerImage.sklearn() }],
      /'scriptMode.distributed' \(torchrun\) needs a GPU image/],
    ['fails on torchrun with a source directory that is a package', () => [{ entryPoint: 'train.py', sourceDirectory: project('v3', { 'setup.py': '' }), distributed: DistributedTraining.torchrun() }, {}],
      /has a setup.py, which makes it a package that the toolkit does not run with torchrun/],
    ['fails on torchrun of a shell script', () => [{ entryPoint: 'run.sh', sourceDirectory: project('v4', { 'run.sh': '' }), distributed: DistributedTraining.torchrun() }, {}],
      /'scriptMode.entryPoint' \('run.sh'\) must be a .py script for torchrun/],
    ['fails on 0 processes per host', () => [{ entryPoint: 'train.py', sourceDirectory: project('v5'), distributed: DistributedTraining.torchrun({ processesPerHost: 0 }) }, {}],
      /'processesPerHost' \(0\) must be a whole number of at least 1/],
    ['fails on requirements to install without a network', () => [{ entryPoint: 'train.py', sourceDirectory: project('v6') }, { enableNetworkIsolation: true }],
      /'enableNetworkIsolation' \(true\) leaves the container no network to pip-install/],
    ['fails on an entry point that is not in the directory', () => [{ entryPoint: 'main.py', sourceDirectory: project('v7') }, {}],
      /'scriptMode.entryPoint' \('main.py'\) is not a file in/],
    ['fails on an entry point outside the directory', () => [{ entryPoint: '../train.py', sourceDirectory: project('v8') }, {}],
      /'scriptMode.entryPoint' \('..\/train.py'\) must be a path inside 'sourceDirectory'/],
    ['fails on a source directory that does not exist', () => [{ entryPoint: 'train.py', sourceDirectory: path.join(work, 'missing') }, {}],
      /'scriptMode.sourceDirectory' \('.*missing'\) is not a directory/],
    ['fails on a script that does not exist', () => [{ entryPoint: path.join(work, 'nope.py') }, {}], /'scriptMode.entryPoint' \('.*nope.py'\) is not a file/],
    ['fails on a container entrypoint that would bypass the toolkit', () => [{ entryPoint: 'train.py', sourceDirectory: project('v9') }, { containerEntrypoint: ['python3', 'x.py'] }],
      /'containerEntrypoint' replaces the training toolkit that runs 'scriptMode'/],
    ['fails on a channel named code', () => [{ entryPoint: 'train.py', sourceDirectory: project('v10') }, { channels: [{ channelName: 'code', s3Uri: 's3://d/c/' }] }],
      /'channels' has a 'code' channel/],
    ['fails on toolkit hyperparameters set by hand', () => [{ entryPoint: 'train.py', sourceDirectory: project('v11') }, { hyperparameters: { sagemaker_program: 'other.py' } }],
      /'hyperparameters' sets 'sagemaker_program', which 'scriptMode' sets; remove it/],
    ['fails on 99 hyperparameters plus the 2 of script mode', () => [{ entryPoint: 'train.py', sourceDirectory: project('v12') }, {
      hyperparameters: Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`h${i}`, '1'])),
    }], /'hyperparameters' has 101 entries with the 2 of 'scriptMode'; SageMaker accepts at most 100/],
  ])('%s', (_name, make, message) => {
    const stack = testStack();
    const [mode, overrides] = make();
    expect(() => task(stack, mode, overrides)).toThrow(message);
  });

  test('requirements.txt with comments only needs no network: isolation is fine', () => {
    const stack = testStack();
    expect(() => task(stack, { entryPoint: 'train.py', sourceDirectory: project('isolated', { 'requirements.txt': '# all in the image\n\n' }) }, { enableNetworkIsolation: true })).not.toThrow();
  });
});

describe('training step options to script mode', () => {
  function convert(options: Partial<TrainingStepOptions>): { mode?: ScriptModeOptions; error?: string } {
    const stack = testStack();
    const v = new PropsValidator(stack, 'TrainingPipelineInvalidProps');
    const mode = trainingScriptMode(v, { image: GPU_IMAGE, instanceType: MlInstanceType.ML_G5_XLARGE, ...options });
    try {
      v.throwIfInvalid();
      return { mode };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  test('script, source directory and distribution become the task\'s script mode', () => {
    const distributed = DistributedTraining.torchrun();
    expect(convert({ script: 'train.py', sourceDirectory: 'src', distributed })).toEqual({ mode: { entryPoint: 'train.py', sourceDirectory: 'src', distributed } });
    expect(convert({})).toEqual({ mode: undefined });
  });

  test.each<[string, Partial<TrainingStepOptions>, RegExp]>([
    ['fails on a source directory without a script', { sourceDirectory: 'src' }, /'training.sourceDirectory' \('src'\) needs 'training.script'/],
    ['fails on distribution without a script', { distributed: DistributedTraining.torchrun() }, /'training.distributed' needs 'training.script'/],
  ])('%s', (_name, options, message) => {
    expect(convert(options).error).toMatch(message);
  });
});
