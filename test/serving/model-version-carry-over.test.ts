/**
 * ModelVersionCarryOver: CDK Pipelines deploy actions pass each ModelVersionParameter's current
 * value (read by a step before the change set) instead of leaving it to the template's default
 * 'none'. The template tests read the synthesized pipeline; the read step's commands run for real
 * in bash here, with a stand-in `aws` program that answers as the AWS CLI does.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { testApp } from '../helpers/app';
import { ModelRegistry } from '../../lib/registry/model-registry';
import { ModelVersionCarryOver } from '../../lib/serving/model-version-carry-over';
import { DEFAULT_READ_WAIT, MODEL_VERSIONS_FILE, readCommands, ReadWait } from '../../lib/serving/private/model-version-read-step';
import { ModelVersionParameter } from '../../lib/serving/model-version-parameter';

const PIPELINE_ENV = { account: '111111111111', region: 'us-east-1' };

function pipelineIn(app: App, options: { useChangeSets?: boolean } = {}): pipelines.CodePipeline {
  const stack = new Stack(app, 'PipelineStack', { env: PIPELINE_ENV });
  const source = new s3.Bucket(stack, 'Source', { versioned: true });
  return new pipelines.CodePipeline(stack, 'Pipeline', {
    synth: new pipelines.ShellStep('Synth', { input: pipelines.CodePipelineSource.s3(source, 'source.zip'), commands: ['npx cdk synth'] }),
    useChangeSets: options.useChangeSets,
    crossAccountKeys: true,
  });
}

/** A stage with one serving stack holding one ModelVersionParameter per registry name. */
function servingStage(app: App, id: string, groups: string[], env?: { account: string; region: string }): Stage {
  const stage = new Stage(app, id, { env });
  const stack = new Stack(stage, 'Serving');
  for (const group of groups) {
    new ModelVersionParameter(stack, `Version${group}`, { registry: new ModelRegistry(stack, `Registry${group}`, { modelPackageGroupName: group }) });
  }
  return stage;
}

interface Action {
  Name: unknown;
  RunOrder: number;
  ActionTypeId: { Provider: string };
  Configuration?: Record<string, any>;
  InputArtifacts?: Array<{ Name: string }>;
  OutputArtifacts?: Array<{ Name: string }>;
}

function pipelineTemplate(app: App): any {
  return app.synth().getStackByName('PipelineStack').template;
}

function stagesOf(template: any): Array<{ Name: string; Actions: Action[] }> {
  const pipeline: any = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::CodePipeline::Pipeline');
  return pipeline.Properties.Stages;
}

function stageNamed(template: any, name: string): Action[] {
  const stage = stagesOf(template).find((s) => s.Name === name);
  if (!stage) throw new Error(`no pipeline stage ${name}`);
  return stage.Actions;
}

/** The CloudFormation action that creates the change set (or the stack) of `stackName`. */
function deployAction(actions: Action[], stackName: string): Action {
  const found = actions.filter((a) => a.Configuration?.StackName === stackName && ['CHANGE_SET_REPLACE', 'CREATE_UPDATE'].includes(a.Configuration.ActionMode));
  expect(found).toHaveLength(1);
  return found[0];
}

function readerOf(actions: Action[]): Action {
  const found = actions.filter((a) => typeof a.Name === 'string' && a.Name.startsWith('ModelVersions-'));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('ModelVersionCarryOver in the synthesized pipeline', () => {
  test('each stage\'s change set takes every kept parameter from its own read step, which runs first', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    ModelVersionCarryOver.addStage(pipeline, servingStage(app, 'Staging', ['churn']));
    ModelVersionCarryOver.addStage(pipeline, servingStage(app, 'Production', ['churn', 'fraud']));
    const template = pipelineTemplate(app);

    for (const [stage, keys] of [['Staging', ['ModelVersionChurn']], ['Production', ['ModelVersionChurn', 'ModelVersionFraud']]] as const) {
      const actions = stageNamed(template, stage);
      const reader = readerOf(actions);
      const artifact = reader.OutputArtifacts![0].Name;
      const prepare = deployAction(actions, `${stage}-Serving`);
      expect(prepare.Configuration!.ActionMode).toBe('CHANGE_SET_REPLACE');
      expect(JSON.parse(prepare.Configuration!.ParameterOverrides)).toEqual(Object.fromEntries(keys.map((k) => [k, { 'Fn::GetParam': [artifact, MODEL_VERSIONS_FILE, k] }])));
      // Fn::GetParam reads only declared input artifacts; the template stays in the synth output.
      expect(prepare.InputArtifacts!.map((a) => a.Name)).toEqual(['Synth_Output', artifact]);
      expect(reader.RunOrder).toBeLessThan(prepare.RunOrder);
    }
    // Each stage reads its own stack: the artifacts differ.
    expect(readerOf(stageNamed(template, 'Staging')).OutputArtifacts![0].Name)
      .not.toEqual(readerOf(stageNamed(template, 'Production')).OutputArtifacts![0].Name);
  });

  test('the read step reads its stack as the stack\'s deploy role, the only role it may assume', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    ModelVersionCarryOver.addStage(pipeline, servingStage(app, 'Production', ['churn'], { account: '222222222222', region: 'eu-west-1' }));
    const template = pipelineTemplate(app);
    // The role the stage's own Prepare action deploys with: the target account's CDK deploy role.
    const role = (deployAction(stageNamed(template, 'Production'), 'Production-Serving') as any).RoleArn;
    expect(JSON.stringify(role)).toContain(':iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-eu-west-1');
    const projects: any[] = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::CodeBuild::Project'
      && JSON.stringify(r.Properties.Source.BuildSpec).includes(MODEL_VERSIONS_FILE));
    expect(projects).toHaveLength(1);
    const env = Object.fromEntries(projects[0].Properties.Environment.EnvironmentVariables.map((v: any) => [v.Name, v.Value]));
    expect(env).toMatchObject({ STACK_NAME: 'Production-Serving', STACK_REGION: 'eu-west-1', PARAMETER_KEYS: 'ModelVersionChurn' });
    expect(env.DEPLOY_ROLE_ARN).toEqual(role);
    // The project's own role may assume that one role and no other.
    const projectRole = projects[0].Properties.ServiceRole['Fn::GetAtt'][0];
    const assumes = Object.values(template.Resources)
      .filter((r: any) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: any) => ref.Ref === projectRole))
      .flatMap((r: any) => r.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('sts:')));
    expect(assumes).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role }]);
  });

  test('without change sets, the create-update action keeps the version', () => {
    const app = testApp();
    const pipeline = pipelineIn(app, { useChangeSets: false });
    ModelVersionCarryOver.addStage(pipeline, servingStage(app, 'Staging', ['churn']));
    const actions = stageNamed(pipelineTemplate(app), 'Staging');
    const deploy = deployAction(actions, 'Staging-Serving');
    expect(deploy.Configuration!.ActionMode).toBe('CREATE_UPDATE');
    expect(JSON.parse(deploy.Configuration!.ParameterOverrides).ModelVersionChurn['Fn::GetParam'][0]).toBe(readerOf(actions).OutputArtifacts![0].Name);
  });

  test('an app that builds the pipeline itself before synth gets the same patch', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    ModelVersionCarryOver.addStage(pipeline, servingStage(app, 'Staging', ['churn']));
    pipeline.buildPipeline();
    expect(deployAction(stageNamed(pipelineTemplate(app), 'Staging'), 'Staging-Serving').Configuration!.ParameterOverrides).toContain('Fn::GetParam');
  });

  test('stacks without a ModelVersionParameter keep CDK Pipelines\' own actions', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const stage = new Stage(app, 'Data');
    new Stack(stage, 'Lake');
    ModelVersionCarryOver.addStage(pipeline, stage);
    ModelVersionCarryOver.addStage(pipeline, servingStage(app, 'Staging', ['churn']));
    const template = pipelineTemplate(app);
    const data = stageNamed(template, 'Data');
    expect(data.map((a) => a.Name)).toEqual(['Prepare', 'Deploy']);
    expect(deployAction(data, 'Data-Lake').Configuration!.ParameterOverrides).toBeUndefined();
    expect(deployAction(data, 'Data-Lake').InputArtifacts).toEqual([{ Name: 'Synth_Output' }]);
    // A stage kept after one without parameters is still patched.
    expect(deployAction(stageNamed(template, 'Staging'), 'Staging-Serving').Configuration!.ParameterOverrides).toContain('Fn::GetParam');
  });

  test('a stage in a wave keeps its version through keepVersions()', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const wave = pipeline.addWave('Regions');
    for (const id of ['East', 'West']) {
      const stage = servingStage(app, id, ['churn']);
      ModelVersionCarryOver.keepVersions(pipeline, stage, wave.addStage(stage));
    }
    const actions = stageNamed(pipelineTemplate(app), 'Regions');
    for (const id of ['East', 'West']) {
      const prepare = deployAction(actions, `${id}-Serving`);
      const artifact = JSON.parse(prepare.Configuration!.ParameterOverrides).ModelVersionChurn['Fn::GetParam'][0];
      const reader = actions.find((a) => a.OutputArtifacts?.[0]?.Name === artifact)!;
      expect(String(reader.Name)).toContain(id);
    }
  });

  test('a stack of one name deployed to two regions in one wave keeps each region\'s own version', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const wave = pipeline.addWave('Regions');
    for (const region of ['us-east-1', 'eu-west-1']) {
      const stage = new Stage(app, `Serve-${region}`, { env: { account: PIPELINE_ENV.account, region } });
      const stack = new Stack(stage, 'Serving', { stackName: 'churn-serving' });
      new ModelVersionParameter(stack, 'Version', { registry: new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' }) });
      ModelVersionCarryOver.keepVersions(pipeline, stage, wave.addStage(stage));
    }
    const actions = stageNamed(pipelineTemplate(app), 'Regions');
    const prepares = actions.filter((a) => a.Configuration?.ActionMode === 'CHANGE_SET_REPLACE');
    expect(prepares).toHaveLength(2);
    const artifacts = prepares.map((p) => JSON.parse(p.Configuration!.ParameterOverrides).ModelVersionChurn['Fn::GetParam'][0]);
    expect(new Set(artifacts).size).toBe(2);
    for (const [i, prepare] of prepares.entries()) {
      const reader = actions.find((a) => a.OutputArtifacts?.[0]?.Name === artifacts[i])!;
      // The reader of the stage whose region the action deploys to (no Region: the pipeline's own).
      expect(String(reader.Name)).toContain(`Serve-${(prepare as any).Region ?? PIPELINE_ENV.region}.`);
    }
  });

  test('fails for a parameter in a nested stack, whose parameters a deploy action cannot set', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const stage = new Stage(app, 'Staging');
    const nested = new NestedStack(new Stack(stage, 'Serving'), 'Nested');
    new ModelVersionParameter(nested, 'Version', { registry: new ModelRegistry(nested, 'Registry', { modelPackageGroupName: 'churn' }) });
    expect(() => ModelVersionCarryOver.addStage(pipeline, stage)).toThrow(/is in a nested stack.*put it in the stage's top-level stack/);
  });

  test('fails when the same stage is kept twice', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const stage = servingStage(app, 'Staging', ['churn']);
    const deployment = ModelVersionCarryOver.addStage(pipeline, stage);
    expect(() => ModelVersionCarryOver.keepVersions(pipeline, stage, deployment)).toThrow(/already kept by this pipeline; call keepVersions\(\) once per stage/);
  });

  test('fails when the pipeline is already built, which no step can join', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const stage = servingStage(app, 'Staging', ['churn']);
    const deployment = pipeline.addStage(stage);
    pipeline.buildPipeline();
    expect(() => ModelVersionCarryOver.keepVersions(pipeline, stage, deployment)).toThrow(/already built.*keep its versions before calling buildPipeline\(\)/);
  });

  test('fails when the deployment is not the stage\'s', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const otherStage = new Stage(app, 'Other');
    new Stack(otherStage, 'Serving');
    const other = pipeline.addStage(otherStage);
    expect(() => ModelVersionCarryOver.keepVersions(pipeline, servingStage(app, 'Staging', ['churn']), other))
      .toThrow(/'deployment' does not deploy stack Staging\/Serving; pass what pipeline.addStage\(\) returned/);
  });

  test('fails when the overrides would pass CodePipeline\'s 1000-character limit', () => {
    const app = testApp();
    const pipeline = pipelineIn(app);
    const groups = Array.from({ length: 12 }, (_, i) => `model-number-${i}`);
    expect(() => ModelVersionCarryOver.addStage(pipeline, servingStage(app, 'Staging', groups)))
      .toThrow(/has 12 model version parameters, whose overrides take \d+ characters; CodePipeline accepts at most 1000/);
  });
});

describe('the read step\'s commands (bash, with a stand-in aws CLI)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-carry-over-'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    // Answers like the AWS CLI: describe-stacks prints the stack, or an error and exit status 254.
    fs.writeFileSync(path.join(bin, 'aws'), [
      '#!/bin/bash',
      'echo "$*" >> "$CALLS"',
      'if [ "$1" = configure ]; then exit 0; fi',
      'case "$FAKE_STACK" in',
      '  missing) echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $6 does not exist" >&2; exit 254;;',
      '  denied) echo "An error occurred (AccessDenied) when calling the AssumeRole operation: not authorized" >&2; exit 254;;',
      // One answer per read, the last repeated: a stack whose status changes between reads.
      '  sequence) n=$(cat "$FAKE_SEQUENCE/count" 2>/dev/null || echo 0); echo $((n + 1)) > "$FAKE_SEQUENCE/count";',
      '    f="$FAKE_SEQUENCE/$n.json"; [ -f "$f" ] || f=$(ls "$FAKE_SEQUENCE"/*.json | sort -V | tail -1); cat "$f";;',
      '  *) cat "$FAKE_STACK";;',
      'esac',
    ].join('\n'), { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function runStep(fakeStack: string, wait?: ReadWait) {
    const work = path.join(dir, 'work');
    fs.mkdirSync(work, { recursive: true });
    const result = spawnSync('bash', ['-c', readCommands(wait).join('\n')], {
      cwd: work,
      encoding: 'utf8',
      env: {
        PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
        CALLS: path.join(dir, 'calls.txt'),
        FAKE_STACK: fakeStack,
        FAKE_SEQUENCE: path.join(dir, 'sequence'),
        DEPLOY_ROLE_ARN: 'arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-eu-west-1',
        STACK_NAME: 'Production-Serving',
        STACK_REGION: 'eu-west-1',
        PARAMETER_KEYS: 'ModelVersionChurn ModelVersionFraud',
      },
    });
    const file = path.join(work, 'model-versions', MODEL_VERSIONS_FILE);
    return {
      status: result.status,
      stderr: result.stderr,
      versions: fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined,
      calls: fs.readFileSync(path.join(dir, 'calls.txt'), 'utf8').trim().split('\n'),
    };
  }

  function stackFile(parameters: Array<{ ParameterKey: string; ParameterValue: string }>): string {
    const file = path.join(dir, 'stack.json');
    fs.writeFileSync(file, JSON.stringify({ Stacks: [{ StackName: 'Production-Serving', StackStatus: 'UPDATE_COMPLETE', Parameters: parameters }] }));
    return file;
  }

  /** The stack as successive reads find it. */
  function stackSequence(...reads: Array<{ status: string; churn: string }>): string {
    const folder = path.join(dir, 'sequence');
    fs.mkdirSync(folder, { recursive: true });
    reads.forEach((r, i) => fs.writeFileSync(path.join(folder, `${i}.json`), JSON.stringify({
      Stacks: [{ StackName: 'Production-Serving', StackStatus: r.status, Parameters: [{ ParameterKey: 'ModelVersionChurn', ParameterValue: r.churn }] }],
    })));
    return 'sequence';
  }
  const describes = (calls: string[]) => calls.filter((c) => c.startsWith('cloudformation describe-stacks')).length;
  const quick: ReadWait = { polls: 3, intervalSeconds: 0 };

  test('writes the values the stack holds, reading it as the deploy role in its region', () => {
    const churn = 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/7';
    const run = runStep(stackFile([
      { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' },
      { ParameterKey: 'ModelVersionChurn', ParameterValue: churn },
      { ParameterKey: 'ModelVersionFraud', ParameterValue: 'none' },
    ]));
    expect(run.status).toBe(0);
    expect(run.versions).toEqual({ ModelVersionChurn: churn, ModelVersionFraud: 'none' });
    expect(run.calls).toEqual([
      'configure set profile.target.role_arn arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-eu-west-1',
      'configure set profile.target.credential_source EcsContainer',
      'cloudformation describe-stacks --profile target --region eu-west-1 --stack-name Production-Serving --output json',
    ]);
  });

  test('writes none for a stack that does not exist yet (its first deployment)', () => {
    const run = runStep('missing');
    expect(run.status).toBe(0);
    expect(run.versions).toEqual({ ModelVersionChurn: 'none', ModelVersionFraud: 'none' });
  });

  test('writes none for a parameter the deployed template does not have yet, and keeps the other', () => {
    const churn = 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/2';
    const run = runStep(stackFile([{ ParameterKey: 'ModelVersionChurn', ParameterValue: churn }]));
    expect(run.versions).toEqual({ ModelVersionChurn: churn, ModelVersionFraud: 'none' });
  });

  test('waits for an update in progress, and carries the version it rolled back to, not the one it tried', () => {
    const v3 = 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/3';
    const v4 = 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/4';
    const run = runStep(stackSequence(
      { status: 'UPDATE_IN_PROGRESS', churn: v4 },
      { status: 'UPDATE_ROLLBACK_IN_PROGRESS', churn: v4 },
      { status: 'UPDATE_ROLLBACK_COMPLETE', churn: v3 },
    ), quick);
    expect(run.status).toBe(0);
    expect(run.versions).toEqual({ ModelVersionChurn: v3, ModelVersionFraud: 'none' });
    expect(describes(run.calls)).toBe(3);
  });

  test('fails, writing nothing, when the stack is still updating after the wait', () => {
    const v4 = 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/4';
    const run = runStep(stackSequence({ status: 'UPDATE_IN_PROGRESS', churn: v4 }), quick);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Production-Serving was still UPDATE_IN_PROGRESS after 0 s');
    expect(run.versions).toBeUndefined();
    expect(describes(run.calls)).toBe(3);
  });

  test('reads a stack in REVIEW_IN_PROGRESS (a change set never executed) at once', () => {
    const run = runStep(stackSequence({ status: 'REVIEW_IN_PROGRESS', churn: 'none' }), quick);
    expect(run.status).toBe(0);
    expect(run.versions).toEqual({ ModelVersionChurn: 'none', ModelVersionFraud: 'none' });
    expect(describes(run.calls)).toBe(1);
  });

  test('by default waits up to 30 minutes for a busy stack, reading every 20 seconds', () => {
    expect(DEFAULT_READ_WAIT).toEqual({ polls: 90, intervalSeconds: 20 });
    const commands = readCommands().join('\n');
    expect(commands).toContain('seq 1 90');
    expect(commands).toContain('sleep 20');
    // 89 waits of 20 s between the 90 reads.
    expect(commands).toContain('was still $status after 1780 s');
  });

  test('fails, writing nothing, when the stack cannot be read: a deployment never falls back to none', () => {
    const run = runStep('denied');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('AccessDenied');
    expect(run.versions).toBeUndefined();
  });
});
