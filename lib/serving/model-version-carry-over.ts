import { Aspects, AspectPriority, Aws, IResolvable, Lazy, Stack, Stage } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { IConstruct } from 'constructs';
import { ModelVersionParameter } from './model-version-parameter';
import { MODEL_VERSIONS_FILE, READ_OUTPUT_DIRECTORY, readCommands } from './private/model-version-read-step';
import { throwInvalid } from '../core/private/errors';

/** CodePipeline's limit on a CloudFormation action's `ParameterOverrides` (characters). */
const MAX_PARAMETER_OVERRIDES = 1000;

/** What one serving stack of a stage needs: its deployment and the parameters whose values it keeps. */
interface KeptStack {
  readonly deployment: pipelines.StackDeployment;
  readonly parameterKeys: string[];
  readonly stepId: string;
}

/** The stacks each pipeline keeps versions for. */
const kept = new WeakMap<pipelines.CodePipeline, KeptStack[]>();
/** The pipelines whose template patch is registered (once each). */
const patching = new WeakSet<pipelines.CodePipeline>();

/**
 * Keeps the promoted model version when CDK Pipelines deploys a serving stack.
 *
 * A `ModelVersionParameter` holds the version a promotion set. `cdk deploy` keeps it (the CLI
 * reuses previous parameter values), but CodePipeline's CloudFormation actions cannot: they
 * create a change set in which every parameter they do not set takes the template's default,
 * and the default is `none`, which removes the endpoint. The actions have no "use previous
 * value" option (aws-cloudformation/cloudformation-coverage-roadmap#1789). So before each such
 * stack's change set, a CodeBuild step reads the stack's current parameter values (as the
 * stack's CDK deploy role, which `cdk bootstrap --trust` lets the pipeline account assume) into
 * `model-versions.json`, and the stack's create-change-set (or create-update) action sets each
 * parameter with `Fn::GetParam` from that file. A stack that does not exist yet gets `none`; any
 * other failure to read fails the step, so a deployment never falls back to `none` by accident.
 * A stack that another update is changing (`*_IN_PROGRESS`) is read again every 20 seconds until
 * it settles, for up to 30 minutes: its parameters are those of an update that may yet roll back.
 *
 * A promotion that updates the stack after its change set was created makes that change set
 * OBSOLETE, so CloudFormation refuses to execute it and the pipeline fails rather than revert
 * the version; rerun the stage. Only a promotion that finishes in the seconds between the read
 * and the change set's creation is missed (the change set carries the version before it).
 */
export class ModelVersionCarryOver {
  /**
   * Adds `stage` to `pipeline` as `pipeline.addStage()` does, and makes every stack of the
   * stage that holds a `ModelVersionParameter` keep the parameter's current value.
   */
  public static addStage(pipeline: pipelines.CodePipeline, stage: Stage, options: pipelines.AddStageOpts = {}): pipelines.StageDeployment {
    const deployment = pipeline.addStage(stage, options);
    ModelVersionCarryOver.keepVersions(pipeline, stage, deployment);
    return deployment;
  }

  /**
   * Makes the stacks of a stage already added to `pipeline` (e.g. with `Wave.addStage()`) keep
   * the current values of their `ModelVersionParameter`s.
   *
   * @param deployment what `addStage()` returned for `stage`
   */
  public static keepVersions(pipeline: pipelines.CodePipeline, stage: Stage, deployment: pipelines.StageDeployment): void {
    if (isBuilt(pipeline)) {
      throwInvalid(pipeline, 'ModelVersionCarryOverBuilt', `the pipeline is already built, so no step can join stage ${stage.node.path}; keep its versions before calling buildPipeline()`);
    }
    const byStack = new Map<Stack, string[]>();
    for (const parameter of stage.node.findAll().filter((c): c is ModelVersionParameter => c instanceof ModelVersionParameter)) {
      const stack = Stack.of(parameter);
      if (Stage.of(stack) !== stage) continue;
      if (stack.nested) {
        throwInvalid(parameter, 'ModelVersionCarryOverNestedStack',
          `ModelVersionParameter '${parameter.node.path}' is in a nested stack, whose parameters a pipeline's deploy action cannot set; put it in the stage's top-level stack`);
      }
      byStack.set(stack, [...byStack.get(stack) ?? [], stack.resolve(parameter.parameterKey)]);
    }
    const stacks = kept.get(pipeline) ?? [];
    for (const [stack, parameterKeys] of byStack) {
      const stackDeployment = deployment.stacks.find((s) => s.constructPath === stack.node.path);
      if (!stackDeployment) {
        throwInvalid(stack, 'ModelVersionCarryOverUnknownStage', `'deployment' does not deploy stack ${stack.node.path}; pass what pipeline.addStage() returned for stage ${stage.node.path}`);
      }
      const stepId = `ModelVersions-${stackDeployment.stackArtifactId}`;
      if (stacks.some((s) => s.stepId === stepId)) {
        throwInvalid(stack, 'ModelVersionCarryOverTwice', `the model versions of stack ${stack.node.path} are already kept by this pipeline; call keepVersions() once per stage`);
      }
      const overrides = parameterOverrides(parameterKeys, `${stepId}_Output`);
      if (overrides.length > MAX_PARAMETER_OVERRIDES) {
        throwInvalid(stack, 'ModelVersionCarryOverTooMany',
          `stack ${stack.node.path} has ${parameterKeys.length} model version parameters, whose overrides take ${overrides.length} characters; CodePipeline accepts at most ${MAX_PARAMETER_OVERRIDES}: split the models over more stacks`);
      }
      stackDeployment.addStackSteps([readStep(pipeline, stepId, stackDeployment, parameterKeys)], [], []);
      stacks.push({ deployment: stackDeployment, parameterKeys, stepId });
    }
    kept.set(pipeline, stacks);
    if (stacks.length > 0 && !patching.has(pipeline)) {
      patching.add(pipeline);
      patchWhenBuilt(pipeline);
    }
  }

  private constructor() {}
}

/** `ParameterOverrides` of one stack's deploy action: every kept parameter from the read step's file. */
function parameterOverrides(parameterKeys: string[], artifactName: string): string {
  return JSON.stringify(Object.fromEntries(parameterKeys.map((key) => [key, { 'Fn::GetParam': [artifactName, MODEL_VERSIONS_FILE, key] }])));
}

function readStep(pipeline: pipelines.CodePipeline, stepId: string, deployment: pipelines.StackDeployment, parameterKeys: string[]): pipelines.CodeBuildStep {
  const pipelineStack = Stack.of(pipeline);
  // The role the stack's own deploy actions use, with the placeholders CDK Pipelines fills the same way.
  const deployRoleArn = cxapi.EnvironmentPlaceholders.replace(deployment.assumeRoleArn ?? defaultDeployRole(), {
    accountId: deployment.account ?? pipelineStack.account,
    region: deployment.region ?? pipelineStack.region,
    partition: Aws.PARTITION,
  });
  return new pipelines.CodeBuildStep(stepId, {
    commands: readCommands(),
    env: {
      DEPLOY_ROLE_ARN: deployRoleArn,
      STACK_NAME: deployment.stackName,
      STACK_REGION: deployment.region ?? pipelineStack.region,
      PARAMETER_KEYS: parameterKeys.join(' '),
    },
    primaryOutputDirectory: READ_OUTPUT_DIRECTORY,
    rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [deployRoleArn] })],
  });
}

function defaultDeployRole(): string {
  return `arn:${cxapi.EnvironmentPlaceholders.CURRENT_PARTITION}:iam::${cxapi.EnvironmentPlaceholders.CURRENT_ACCOUNT}:role/cdk-hnb659fds-deploy-role-${cxapi.EnvironmentPlaceholders.CURRENT_ACCOUNT}-${cxapi.EnvironmentPlaceholders.CURRENT_REGION}`;
}

/**
 * Once the pipeline is built (CDK Pipelines builds it in an aspect, or when the app calls
 * `buildPipeline()`), its stages render through a patch that adds the read step's artifact and
 * the parameter overrides to each kept stack's deploy action.
 */
function patchWhenBuilt(pipeline: pipelines.CodePipeline): void {
  let patched = false;
  Aspects.of(pipeline).add({
    visit: (node: IConstruct) => {
      if (patched || node !== pipeline) return;
      patched = true;
      if (!isBuilt(pipeline)) pipeline.buildPipeline();
      const cfn = pipeline.pipeline.node.defaultChild as codepipeline.CfnPipeline;
      const original = cfn.stages;
      cfn.stages = Lazy.any({ produce: () => patchStages(pipeline, Stack.of(cfn).resolve(original)) }) as IResolvable;
    },
  }, { priority: AspectPriority.MUTATING });
}

function isBuilt(pipeline: pipelines.CodePipeline): boolean {
  try {
    return pipeline.pipeline !== undefined;
  } catch {
    return false;
  }
}

interface RenderedAction {
  /** A string, or a token (CDK names an S3 source action after its bucket). */
  name: unknown;
  configuration?: Record<string, unknown>;
  inputArtifacts?: Array<{ name: string }>;
  outputArtifacts?: Array<{ name: string }>;
  region?: string;
}

/** Deploy action modes that create or update the stack from a template (with or without a change set). */
const TEMPLATE_MODES = ['CHANGE_SET_REPLACE', 'CREATE_UPDATE'];

function patchStages(pipeline: pipelines.CodePipeline, stages: Array<{ name: string; actions: RenderedAction[] }>): unknown {
  const pipelineRegion = Stack.of(pipeline).region;
  for (const { deployment, parameterKeys, stepId } of kept.get(pipeline) ?? []) {
    const isReader = (a: RenderedAction) => a.name === stepId || (typeof a.name === 'string' && a.name.endsWith(`.${stepId}`));
    const stage = stages.find((s) => s.actions.some(isReader));
    const reader = stage?.actions.find(isReader);
    const artifact = reader?.outputArtifacts?.[0]?.name;
    // A stack of one name may deploy to several regions in one wave; an action without a region runs in the pipeline's.
    const deploy = stage?.actions.filter((a) => a.configuration?.StackName === deployment.stackName
      && TEMPLATE_MODES.includes(String(a.configuration?.ActionMode))
      && (a.region ?? pipelineRegion) === (deployment.region ?? pipelineRegion));
    if (!stage || !artifact || deploy?.length !== 1) {
      throwInvalid(pipeline, 'ModelVersionCarryOverNotFound',
        `the pipeline has no single deploy action of stack ${deployment.stackName} after its model-version step '${stepId}'; keep the stage's default deploy actions`);
    }
    const action = deploy[0];
    action.configuration = { ...action.configuration, ParameterOverrides: parameterOverrides(parameterKeys, artifact) };
    action.inputArtifacts = [...action.inputArtifacts ?? [], { name: artifact }];
  }
  return stages;
}
