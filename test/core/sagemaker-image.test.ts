import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { templateOf, testApp, testStack } from '../helpers/app';
import { SageMakerImage } from '../../lib';

const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** A stack whose region is `AWS::Region` at deploy time. */
function agnosticStack(): Stack {
  return new Stack(new App(), 'AgnosticStack');
}

function stackIn(region: string): Stack {
  return new Stack(testApp(), 'RegionalStack', { env: { account: '123456789012', region } });
}

function roleIn(scope: Construct, id = 'JobRole'): iam.Role {
  return new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
}

/**
 * What CloudFormation would make of a resolved value in `region`: `Ref`s to pseudo parameters,
 * `Fn::Join`, `Fn::Sub` of pseudo parameters and `Fn::FindInMap` on the template's own mappings (enough for image URIs).
 */
function evaluate(stack: Stack, value: unknown, region: string, urlSuffix = 'amazonaws.com'): string {
  const mappings = templateOf(stack).toJSON().Mappings ?? {};
  const refs: Record<string, string> = { 'AWS::Region': region, 'AWS::URLSuffix': urlSuffix, 'AWS::AccountId': '123456789012' };
  const walk = (v: any): string => {
    if (typeof v === 'string') return v;
    if (v.Ref !== undefined) {
      if (!(v.Ref in refs)) throw new Error(`cannot evaluate Ref ${v.Ref}`);
      return refs[v.Ref];
    }
    if (v['Fn::Join']) return v['Fn::Join'][1].map(walk).join(v['Fn::Join'][0]);
    if (typeof v['Fn::Sub'] === 'string') return v['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_: string, name: string) => walk({ Ref: name }));
    if (v['Fn::FindInMap']) {
      const [map, key, attr] = v['Fn::FindInMap'];
      return walk(mappings[map][walk(key)][attr]);
    }
    throw new Error(`cannot evaluate ${JSON.stringify(v)}`);
  };
  return walk(stack.resolve(value));
}

/** Statements of the policies attached to `role`, with `Action` and `Resource` always lists. */
function statementsFor(stack: Stack, role: iam.Role): Array<{ Action: string[]; Resource: any[]; Effect: string }> {
  const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  const policies = Object.values(templateOf(stack).findResources('AWS::IAM::Policy')) as any[];
  return policies
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .map((s: any) => ({ Effect: s.Effect, Action: [s.Action].flat().sort(), Resource: [s.Resource].flat() }));
}

/** The resources `role` may pull images from, and whether it may get an ECR login token. */
function pullAccessOf(stack: Stack, role: iam.Role): { repositories: any[]; authToken: boolean } {
  const statements = statementsFor(stack, role);
  const pull = statements.filter((s) => PULL_ACTIONS.every((a) => s.Action.includes(a)));
  return {
    repositories: pull.flatMap((s) => s.Resource),
    authToken: statements.some((s) => s.Action.includes('ecr:GetAuthorizationToken') && s.Resource.includes('*')),
  };
}

/** A folder with a Dockerfile, for image assets (built only at `cdk deploy`). */
function dockerContext(content = 'FROM public.ecr.aws/docker/library/python:3.12-slim\n'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-image-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), content);
  return dir;
}

describe('AWS-owned images in a stack with a concrete region', () => {
  test.each([
    ['xgboost()', SageMakerImage.xgboost(), '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
    ['xgboost(\'1.5-1\')', SageMakerImage.xgboost('1.5-1'), '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1'],
    ['sklearn()', SageMakerImage.sklearn(), '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3'],
    ['sklearn(\'1.4-2\')', SageMakerImage.sklearn('1.4-2'), '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2'],
    ['pytorchTraining', SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'),
      '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'],
    ['pytorchInference', SageMakerImage.pytorchInference('2.6.0-cpu-py312-ubuntu22.04-sagemaker'),
      '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker'],
    ['huggingFaceTraining', SageMakerImage.huggingFaceTraining('2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04'),
      '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04'],
    ['huggingFaceInference', SageMakerImage.huggingFaceInference('2.1.0-transformers4.37.0-gpu-py310-cu118-ubuntu20.04'),
      '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-gpu-py310-cu118-ubuntu20.04'],
    ['deepLearningContainer', SageMakerImage.deepLearningContainer('tensorflow-training', '2.16.2-gpu-py310'),
      '763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.16.2-gpu-py310'],
  ])('%s resolves to the us-east-1 registry with a literal account and no mapping', (_name, image, expected) => {
    const stack = testStack();
    const { imageUri } = image.bind(stack, roleIn(stack));
    expect(evaluate(stack, imageUri, 'us-east-1')).toBe(expected);
    expect(JSON.stringify(stack.resolve(imageUri))).not.toContain('Fn::FindInMap');
    expect(templateOf(stack).toJSON().Mappings).toBeUndefined();
  });

  test('the DLC account of an opt-in region is that region\'s own', () => {
    const stack = stackIn('eu-south-1');
    const { imageUri } = SageMakerImage.pytorchTraining('t').bind(stack, roleIn(stack));
    expect(evaluate(stack, imageUri, 'eu-south-1')).toBe('692866216735.dkr.ecr.eu-south-1.amazonaws.com/pytorch-training:t');
  });

  test('in a China region the URL suffix comes from AWS::URLSuffix, so it is amazonaws.com.cn', () => {
    const stack = stackIn('cn-north-1');
    const { imageUri } = SageMakerImage.xgboost().bind(stack, roleIn(stack));
    expect(JSON.stringify(stack.resolve(imageUri))).toContain('{"Ref":"AWS::URLSuffix"}');
    expect(evaluate(stack, imageUri, 'cn-north-1', 'amazonaws.com.cn'))
      .toBe('450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1');
  });

  test('grants the job role nothing: SageMaker pulls AWS-owned images itself', () => {
    const stack = testStack();
    const role = roleIn(stack);
    SageMakerImage.xgboost().bind(stack, role);
    SageMakerImage.pytorchTraining('t').bind(stack, role);
    expect(statementsFor(stack, role)).toEqual([]);
  });

  test('fails to bind XGBoost in a region without a known registry, naming the region', () => {
    const stack = stackIn('ap-southeast-7');
    expect(() => SageMakerImage.xgboost().bind(stack, roleIn(stack))).toThrow(/in region 'ap-southeast-7'/);
  });

  test('fails to bind a DLC in a region without a known registry, naming the images and the regions it has', () => {
    const stack = stackIn('xx-north-9');
    expect(() => SageMakerImage.pytorchTraining('t').bind(stack, roleIn(stack)))
      .toThrow(/^No known ECR registry account for AWS Deep Learning Containers \(pytorch-training, pytorch-inference, huggingface-pytorch-\*\) in region 'xx-north-9'\. .*known regions: af-south-1, ap-east-1, /);
  });
});

describe('AWS-owned images in a region-agnostic stack', () => {
  test.each([
    ['xgboost', () => SageMakerImage.xgboost(), '683313688378', '141502667606', 'sagemaker-xgboost:1.7-1'],
    ['sklearn', () => SageMakerImage.sklearn(), '683313688378', '141502667606', 'sagemaker-scikit-learn:1.2-1-cpu-py3'],
    ['pytorchTraining', () => SageMakerImage.pytorchTraining('t'), '763104351884', '763104351884', 'pytorch-training:t'],
    ['pytorchInference', () => SageMakerImage.pytorchInference('t'), '763104351884', '763104351884', 'pytorch-inference:t'],
    ['huggingFaceTraining', () => SageMakerImage.huggingFaceTraining('t'), '763104351884', '763104351884', 'huggingface-pytorch-training:t'],
    ['huggingFaceInference', () => SageMakerImage.huggingFaceInference('t'), '763104351884', '763104351884', 'huggingface-pytorch-inference:t'],
    ['deepLearningContainer', () => SageMakerImage.deepLearningContainer('tensorflow-inference', 't'), '763104351884', '763104351884', 'tensorflow-inference:t'],
  ])('%s finds its account with Fn::FindInMap on AWS::Region in a Mappings entry', (_name, image, usEast1, euWest1, repoAndTag) => {
    const stack = agnosticStack();
    const { imageUri } = image().bind(stack, roleIn(stack));
    const resolved = stack.resolve(imageUri);
    const mappings = templateOf(stack).toJSON().Mappings;
    expect(Object.keys(mappings)).toHaveLength(1);
    const [mappingId] = Object.keys(mappings);
    expect(resolved['Fn::Join'][1][0]).toEqual({ 'Fn::FindInMap': [mappingId, { Ref: 'AWS::Region' }, 'account'] });
    expect(evaluate(stack, imageUri, 'us-east-1')).toBe(`${usEast1}.dkr.ecr.us-east-1.amazonaws.com/${repoAndTag}`);
    expect(evaluate(stack, imageUri, 'eu-west-1')).toBe(`${euWest1}.dkr.ecr.eu-west-1.amazonaws.com/${repoAndTag}`);
  });

  test('XGBoost and scikit-learn share one mapping; the DLCs get another', () => {
    const stack = agnosticStack();
    const role = roleIn(stack);
    for (const image of [SageMakerImage.xgboost(), SageMakerImage.sklearn(), SageMakerImage.pytorchTraining('a'), SageMakerImage.huggingFaceInference('b')]) {
      image.bind(stack, role);
    }
    const mappings = templateOf(stack).toJSON().Mappings;
    expect(Object.keys(mappings).sort()).toEqual(['DeepLearningContainersRegistryAccounts', 'SageMakerXgboostSklearnRegistryAccounts']);
    expect(mappings.SageMakerXgboostSklearnRegistryAccounts['us-east-1']).toEqual({ account: '683313688378' });
    expect(mappings.DeepLearningContainersRegistryAccounts['us-east-1']).toEqual({ account: '763104351884' });
  });

  test('binding the same image in two constructs of one stack adds the mapping once', () => {
    const stack = agnosticStack();
    const image = SageMakerImage.pytorchTraining('t');
    image.bind(new Construct(stack, 'Preprocess'), roleIn(stack, 'A'));
    image.bind(new Construct(stack, 'Train'), roleIn(stack, 'B'));
    expect(Object.keys(templateOf(stack).toJSON().Mappings)).toEqual(['DeepLearningContainersRegistryAccounts']);
  });
});

describe('SageMakerImage.cpuOnly', () => {
  test.each([
    ['sklearn', true, () => SageMakerImage.sklearn()],
    ['xgboost', false, () => SageMakerImage.xgboost()],
    ['pytorchTraining', false, () => SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker')],
    ['pytorchInference', false, () => SageMakerImage.pytorchInference('t')],
    ['huggingFaceTraining', false, () => SageMakerImage.huggingFaceTraining('t')],
    ['huggingFaceInference', false, () => SageMakerImage.huggingFaceInference('t')],
    ['deepLearningContainer', false, () => SageMakerImage.deepLearningContainer('tensorflow-training', 't')],
    ['fromEcrRepository', false, () => SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(agnosticStack(), 'R', 'r'))],
    ['fromAsset', false, () => SageMakerImage.fromAsset(dockerContext())],
  ])('%s: cpuOnly is %s', (_name, expected, image) => {
    expect(image().cpuOnly).toBe(expected);
  });

  test('only the built-in XGBoost algorithm reports its own metrics', () => {
    expect(SageMakerImage.xgboost().reportsOwnMetrics).toBe(true);
    const others = [
      SageMakerImage.sklearn(), SageMakerImage.pytorchTraining('t'),
      SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(agnosticStack(), 'R', 'r')), SageMakerImage.fromAsset(dockerContext()),
    ];
    expect(others.map((image) => image.reportsOwnMetrics)).toEqual([false, false, false, false]);
  });
});

describe('SageMakerImage.gpuOnly', () => {
  test.each([
    ['a -gpu- PyTorch training tag', true, () => SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker')],
    ['a -gpu- Hugging Face inference tag', true, () => SageMakerImage.huggingFaceInference('2.1.0-transformers4.37.0-gpu-py310-cu118-ubuntu20.04')],
    ['a -cpu- PyTorch inference tag', false, () => SageMakerImage.pytorchInference('2.6.0-cpu-py312-ubuntu22.04-sagemaker')],
    ['a tag that names no processor', false, () => SageMakerImage.deepLearningContainer('tensorflow-training', 'latest')],
    ['a tag that only contains the letters', false, () => SageMakerImage.pytorchTraining('2.5.1-gpuless-py311')],
    ['XGBoost, which runs on both', false, () => SageMakerImage.xgboost()],
    ['an XGBoost version that names a GPU (not a DLC tag)', false, () => SageMakerImage.xgboost('1.7-1-gpu')],
    ['a DLC tag that starts with gpu-', true, () => SageMakerImage.deepLearningContainer('custom-training', 'gpu-2.5')],
    ['a DLC tag that ends with -gpu', true, () => SageMakerImage.deepLearningContainer('custom-training', '2.5-gpu')],
    ['scikit-learn', false, () => SageMakerImage.sklearn()],
    ['an ECR image (unknown)', false, () => SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(agnosticStack(), 'R', 'gpu-image'), 'gpu')],
    ['an asset image (unknown)', false, () => SageMakerImage.fromAsset(dockerContext())],
  ])('%s: %s', (_what, expected, image) => {
    expect(image().gpuOnly).toBe(expected);
  });

  test('a token tag is not known to need a GPU', () => {
    const stack = testStack();
    expect(SageMakerImage.pytorchTraining(new CfnParameter(stack, 'Tag').valueAsString).gpuOnly).toBe(false);
  });
});

describe('SageMakerImage.trainingOnly', () => {
  test.each([
    ['pytorchTraining', true, () => SageMakerImage.pytorchTraining('t')],
    ['huggingFaceTraining', true, () => SageMakerImage.huggingFaceTraining('t')],
    ['a TensorFlow training DLC', true, () => SageMakerImage.deepLearningContainer('tensorflow-training', 't')],
    ['pytorchInference', false, () => SageMakerImage.pytorchInference('t')],
    ['xgboost, which serves what it trains', false, () => SageMakerImage.xgboost()],
    ['sklearn', false, () => SageMakerImage.sklearn()],
    ['an ECR image (unknown)', false, () => SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(agnosticStack(), 'R', 'x-training'))],
  ])('%s: %s', (_what, expected, image) => {
    expect(image().trainingOnly).toBe(expected);
  });
});

describe('a template rule refuses regions without a known registry (environment-agnostic stacks)', () => {
  test('one rule per registry kind, listing the table\'s regions, checked against AWS::Region', () => {
    const stack = agnosticStack();
    const role = roleIn(stack);
    for (const image of [SageMakerImage.xgboost(), SageMakerImage.sklearn(), SageMakerImage.pytorchTraining('a')]) image.bind(stack, role);
    const rules = templateOf(stack).toJSON().Rules;
    // CheckBootstrapVersion is CDK's own rule.
    expect(Object.keys(rules).sort()).toEqual(['CheckBootstrapVersion', 'DeepLearningContainersRegistryAccountsRegion', 'SageMakerXgboostSklearnRegistryAccountsRegion']);
    const [assertion] = rules.SageMakerXgboostSklearnRegistryAccountsRegion.Assertions;
    const [regions, region] = assertion.Assert['Fn::Contains'];
    expect(region).toEqual({ Ref: 'AWS::Region' });
    expect(regions).toContain('us-east-1');
    expect(regions).not.toContain('us-iso-east-1');
    expect(assertion.AssertDescription).toMatch(/^SageMaker XGBoost and scikit-learn images .* have no known registry in this region; deploy to one of af-south-1, .*, or use an image in your own ECR repository$/);
  });

  test('a stack with a concrete region gets no rule', () => {
    const stack = stackIn('eu-west-1');
    SageMakerImage.xgboost().bind(stack, roleIn(stack));
    expect(Object.keys(templateOf(stack).toJSON().Rules)).toEqual(['CheckBootstrapVersion']);
  });
});

describe('SageMakerImage.fromEcrRepository', () => {
  test('fails when the repository is pinned to another region than the stack\'s', () => {
    const stack = stackIn('eu-west-1');
    const repository = ecr.Repository.fromRepositoryArn(stack, 'Repo', 'arn:aws:ecr:us-east-1:123456789012:repository/churn');
    expect(() => SageMakerImage.fromEcrRepository(repository).bind(stack, roleIn(stack)))
      .toThrow("'image' is in an ECR repository of us-east-1 (churn), but the stack deploys to eu-west-1 and SageMaker pulls images only from its own region;");
  });

  test('fails when an environment-agnostic stack uses a repository pinned to one region', () => {
    const stack = agnosticStack();
    const repository = ecr.Repository.fromRepositoryArn(stack, 'Repo', 'arn:aws:ecr:us-west-2:123456789012:repository/churn');
    expect(() => SageMakerImage.fromEcrRepository(repository).bind(stack, roleIn(stack)))
      .toThrow(/the stack is environment-agnostic, so it may deploy to a region other than us-west-2 .* or give the stack env: \{ region: 'us-west-2' \}/);
  });

  test('accepts a repository of the stack\'s own region', () => {
    const stack = stackIn('us-east-1');
    const repository = ecr.Repository.fromRepositoryArn(stack, 'Repo', 'arn:aws:ecr:us-east-1:123456789012:repository/churn');
    expect(SageMakerImage.fromEcrRepository(repository).bind(stack, roleIn(stack)).imageUri).toMatch(/churn:latest/);
  });

  function ecrSetup(): { stack: Stack; repository: ecr.Repository; role: iam.Role } {
    const stack = testStack();
    return { stack, repository: new ecr.Repository(stack, 'Repo'), role: roleIn(stack) };
  }

  test('uses the tag given', () => {
    const { stack, repository, role } = ecrSetup();
    const { imageUri } = SageMakerImage.fromEcrRepository(repository, 'v1.4.0').bind(stack, role);
    expect(stack.resolve(imageUri)).toEqual(stack.resolve(repository.repositoryUriForTag('v1.4.0')));
    expect(JSON.stringify(stack.resolve(imageUri))).toMatch(/":v1\.4\.0"\]\]\}$/);
  });

  test('uses the latest tag by default', () => {
    const { stack, repository, role } = ecrSetup();
    const { imageUri } = SageMakerImage.fromEcrRepository(repository).bind(stack, role);
    expect(stack.resolve(imageUri)).toEqual(stack.resolve(repository.repositoryUriForTag('latest')));
  });

  test('uses @sha256: for a digest', () => {
    const { stack, repository, role } = ecrSetup();
    const { imageUri } = SageMakerImage.fromEcrRepository(repository, DIGEST).bind(stack, role);
    const resolved = JSON.stringify(stack.resolve(imageUri));
    expect(resolved).toContain(`@${DIGEST}`);
    expect(resolved).not.toContain(`:${DIGEST}`);
    expect(stack.resolve(imageUri)).toEqual(stack.resolve(repository.repositoryUriForDigest(DIGEST)));
  });

  test('a token tag is used as a tag', () => {
    const { stack, repository, role } = ecrSetup();
    const tag = new CfnParameter(stack, 'ImageTag').valueAsString;
    const { imageUri } = SageMakerImage.fromEcrRepository(repository, tag).bind(stack, role);
    expect(stack.resolve(imageUri)).toEqual(stack.resolve(repository.repositoryUriForTag(tag)));
  });

  test('grants the grantee pull on the repository and an ECR login token', () => {
    const { stack, repository, role } = ecrSetup();
    SageMakerImage.fromEcrRepository(repository, 'v1').bind(stack, role);
    const repoId = stack.getLogicalId(repository.node.defaultChild as ecr.CfnRepository);
    expect(pullAccessOf(stack, role)).toEqual({ repositories: [{ 'Fn::GetAtt': [repoId, 'Arn'] }], authToken: true });
  });

  test('bound without a grantee (to record the URI), grants nothing to anyone', () => {
    const { stack, repository, role } = ecrSetup();
    SageMakerImage.fromEcrRepository(repository, 'v1').bind(stack);
    SageMakerImage.fromAsset(dockerContext()).bind(stack);
    expect(templateOf(stack).findResources('AWS::IAM::Policy')).toEqual({});
    expect(statementsFor(stack, role)).toEqual([]);
  });

  test('grants nothing to a role it was not bound to', () => {
    const { stack, repository, role } = ecrSetup();
    const other = roleIn(stack, 'Other');
    SageMakerImage.fromEcrRepository(repository, 'v1').bind(stack, role);
    expect(statementsFor(stack, other)).toEqual([]);
  });

  test('an imported repository: URI from its name and pull on its ARN', () => {
    const stack = testStack();
    const role = roleIn(stack);
    const repository = ecr.Repository.fromRepositoryName(stack, 'Imported', 'team/churn-trainer');
    const { imageUri } = SageMakerImage.fromEcrRepository(repository, 'v2').bind(stack, role);
    expect(evaluate(stack, imageUri, 'us-east-1')).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/team/churn-trainer:v2');
    expect(pullAccessOf(stack, role)).toEqual({
      repositories: ['arn:aws:ecr:us-east-1:123456789012:repository/team/churn-trainer'],
      authToken: true,
    });
  });
});

describe('SageMakerImage.fromAsset', () => {
  test('creates a Docker image asset under the binding scope, without Docker at synth', () => {
    const app = testApp();
    const stack = new Stack(app, 'AssetStack', { env: { account: '123456789012', region: 'us-east-1' } });
    const role = roleIn(stack);
    SageMakerImage.fromAsset(dockerContext()).bind(stack, role);
    expect(stack.node.findChild('ImageAsset')).toBeInstanceOf(ecrAssets.DockerImageAsset);
    const assembly = app.synth();
    const manifests = assembly.artifacts.filter((a): a is cxapi.AssetManifestArtifact => a instanceof cxapi.AssetManifestArtifact);
    const dockerImages = manifests.flatMap((m) => Object.keys(m.contents.dockerImages ?? {}));
    expect(dockerImages).toHaveLength(1);
  });

  test('the URI points at the bootstrap container-assets repository, tagged with the asset hash', () => {
    const stack = testStack();
    const { imageUri } = SageMakerImage.fromAsset(dockerContext()).bind(stack, roleIn(stack));
    const asset = stack.node.findChild('ImageAsset') as ecrAssets.DockerImageAsset;
    expect(evaluate(stack, imageUri, 'us-east-1'))
      .toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds-container-assets-123456789012-us-east-1:${asset.assetHash}`);
  });

  test('grants the grantee pull on the assets repository and an ECR login token', () => {
    const stack = testStack();
    const role = roleIn(stack);
    SageMakerImage.fromAsset(dockerContext()).bind(stack, role);
    expect(pullAccessOf(stack, role)).toEqual({
      repositories: ['arn:aws:ecr:us-east-1:123456789012:repository/cdk-hnb659fds-container-assets-123456789012-us-east-1'],
      authToken: true,
    });
  });

  test('binding one image twice in one scope reuses the asset and grants both grantees', () => {
    const stack = testStack();
    const image = SageMakerImage.fromAsset(dockerContext());
    const training = roleIn(stack, 'TrainingRole');
    const evaluation = roleIn(stack, 'EvaluationRole');
    const first = image.bind(stack, training);
    const second = image.bind(stack, evaluation);
    expect(stack.resolve(second.imageUri)).toEqual(stack.resolve(first.imageUri));
    expect(stack.node.findAll().filter((c) => c instanceof ecrAssets.DockerImageAsset)).toHaveLength(1);
    expect(pullAccessOf(stack, training).repositories).toHaveLength(1);
    expect(pullAccessOf(stack, evaluation).repositories).toHaveLength(1);
  });

  test('binding one image in two scopes gives each scope its asset', () => {
    const stack = testStack();
    const image = SageMakerImage.fromAsset(dockerContext());
    const a = new Construct(stack, 'A');
    const b = new Construct(stack, 'B');
    image.bind(a, roleIn(a));
    image.bind(b, roleIn(b));
    expect(a.node.findChild('ImageAsset')).toBeInstanceOf(ecrAssets.DockerImageAsset);
    expect(b.node.findChild('ImageAsset')).toBeInstanceOf(ecrAssets.DockerImageAsset);
  });

  test('passes the asset options through: build args change the asset hash', () => {
    const stack = testStack();
    const dir = dockerContext();
    const a = new Construct(stack, 'A');
    const b = new Construct(stack, 'B');
    SageMakerImage.fromAsset(dir).bind(a, roleIn(a));
    SageMakerImage.fromAsset(dir, { buildArgs: { TORCH_VERSION: '2.5.1' } }).bind(b, roleIn(b));
    const hashA = (a.node.findChild('ImageAsset') as ecrAssets.DockerImageAsset).assetHash;
    const hashB = (b.node.findChild('ImageAsset') as ecrAssets.DockerImageAsset).assetHash;
    expect(hashB).not.toBe(hashA);
  });

  // RegisterModelPackageTask binds its inference image to the task's scope, so two of them in one
  // scope, each with its own asset image, bind two different images to the same scope.
  test('binding two different asset images in one scope gives each its own asset', () => {
    const stack = testStack();
    const role = roleIn(stack);
    const preprocessing = SageMakerImage.fromAsset(dockerContext('FROM public.ecr.aws/docker/library/python:3.12-slim\n'));
    const training = SageMakerImage.fromAsset(dockerContext('FROM public.ecr.aws/docker/library/python:3.11-slim\n'));
    const first = preprocessing.bind(stack, role);
    const second = training.bind(stack, role);
    expect(stack.resolve(second.imageUri)).not.toEqual(stack.resolve(first.imageUri));
    expect(stack.node.findAll().filter((c) => c instanceof ecrAssets.DockerImageAsset)).toHaveLength(2);
  });

  test('a third asset image in one scope gets the next free id', () => {
    const stack = testStack();
    for (const python of ['3.10', '3.11', '3.12']) {
      SageMakerImage.fromAsset(dockerContext(`FROM public.ecr.aws/docker/library/python:${python}-slim\n`)).bind(stack);
    }
    expect(stack.node.children.map((c) => c.node.id).filter((id) => id.startsWith('ImageAsset'))).toEqual(['ImageAsset', 'ImageAsset2', 'ImageAsset3']);
  });

  test('fails at bind when the folder has no Dockerfile', () => {
    const stack = testStack();
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-no-dockerfile-'));
    expect(() => SageMakerImage.fromAsset(empty).bind(stack, roleIn(stack))).toThrow(/Dockerfile/);
  });
});
