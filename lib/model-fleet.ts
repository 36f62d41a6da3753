import { Annotations, CrossStackReferences, ReferenceStrength, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { checkDashboardName, modelDashboardName, regionalDashboardName } from './core/private/dashboard-name';
import { PropsValidator } from './core/private/errors';
import { DataLake, IDataLake } from './lake/data-lake';
import { MlPipeline } from './ml-pipeline';
import { FleetModelProps, ModelFleetProps } from './model-fleet-props';
import { FleetDashboard } from './private/fleet-dashboard';
import { exportDataLake, fleetStackName, importDataLake, SHARED_STACK_ID, stackNameProblems, stageNameProblems } from './private/fleet-stacks';
import { createFleetTopic, exportTopic, importTopic } from './private/fleet-topic';

/** Warnings a model gives when it cannot add to the topic's policies, which the fleet's topic does not need. */
const TOPIC_POLICY_WARNINGS = ['cdk-mlops:notificationTopicPolicy', 'cdk-mlops:alarmTopicPolicy'];

/**
 * Many models from one template: a shared stack with what the models share (the data lake, one
 * notification topic, an overview dashboard), and one top-level stack per model, each holding an
 * `MlPipeline`.
 *
 * Why a stack per model, and not nested stacks or several models per stack:
 * - A promotion sets the served version with UpdateStack on the stack that holds the model's
 *   `ModelVersionParameter`; AWS says updates of nested stacks must start from the root stack,
 *   so each model's parameter lives in a top-level stack of its own.
 * - A model alone stays far below every per-stack quota (500 resources, 1 MB of template, 200
 *   parameters, 200 outputs), so no model is ever moved to make room, and the user counts nothing.
 * - A model's stack name, construct path and logical ids depend only on the fleet's id and the
 *   model's own id: adding, removing or reordering other models changes no model's template.
 * - Rollouts are independent: one model's promotion never waits for another's stack update.
 *
 * The shared stack never refers to a model stack (the models import from it, so that would be a
 * cycle): models see the lake and the topic as imports, so they cannot add to their policies,
 * and the dashboard names each model's endpoint and state machine by name. Each model imports
 * the same six exports (the lake's four bucket names and its key's ARN, the topic's key ARN; the
 * fleet topic's own ARN is built from its name), however many models there are, and the shared
 * stack keeps them with no model at all: CloudFormation refuses to remove an export in use.
 *
 * No IAM role is shared: every role of a model is scoped to that model's prefixes, state machines
 * and endpoint, so one role for all would grant each model the others' data. The one role that is
 * the same for all, the CloudFormation role a promotion passes, is already shared: it is the
 * bootstrap's execution role.
 */
export class ModelFleet extends Construct {
  /** The stack with the lake, the topic and the dashboard. */
  public readonly sharedStack: Stack;
  /** The lake the models share. */
  public readonly dataLake: IDataLake;
  /** The topic every model notifies. */
  public readonly notificationTopic: sns.ITopic;
  /** The overview dashboard: per model its requests, 5XX errors, failed runs and p90 latency. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The overview dashboard's name. */
  public readonly dashboardName: string;

  private readonly props: ModelFleetProps;
  /** The name of the topic the fleet created. */
  private readonly topicName?: string;
  private readonly overview: FleetDashboard;
  private readonly pipelines = new Map<string, { readonly id: string; readonly pipeline: MlPipeline; readonly dashboardName: string }>();

  constructor(scope: Construct, id: string, props: ModelFleetProps = {}) {
    super(scope, id);
    this.props = props;
    const v = new PropsValidator(this, 'ModelFleetInvalidProps');
    const inStack = this.node.scopes.find((s) => s !== this && Stack.isStack(s));
    v.check(inStack !== undefined,
      `a ModelFleet creates top-level stacks (one per model, since a promotion updates its model's stack and AWS updates nested stacks only from the root), `
      + `so its scope must be an App or a Stage, not the stack '${inStack?.node.path}'`);
    v.check(props.dataLake !== undefined && props.dataLakeProps !== undefined,
      "'dataLakeProps' configures the lake the fleet creates and has no effect with 'dataLake'; remove one of them");
    v.check(props.notificationTopic !== undefined && (props.notificationEmails ?? []).length > 0,
      "'notificationEmails' subscribes to the topic the fleet creates and has no effect with 'notificationTopic'; subscribe to your topic yourself, or remove 'notificationTopic'");
    const sharedName = fleetStackName(this, SHARED_STACK_ID);
    for (const problem of [...stackNameProblems('the fleet id', id, sharedName), ...stageNameProblems(this)]) v.check(true, problem);
    checkDashboardName(v, props.dashboardName, `${id}-eu-west-1`);
    v.throwIfInvalid();

    this.sharedStack = new Stack(this, SHARED_STACK_ID, {
      env: props.env,
      stackName: sharedName,
      description: `cdk-mlops model fleet ${id}: the data lake, notification topic and dashboard its models share`,
    });
    this.dataLake = props.dataLake ?? new DataLake(this.sharedStack, 'DataLake', {
      ...props.dataLakeProps,
      removalPolicy: props.dataLakeProps?.removalPolicy ?? props.removalPolicy,
    });
    // The lake's exports stay in its stack (the shared one, or the given lake's) whatever models there
    // are: CloudFormation refuses to remove an export a deployed model stack imports.
    exportDataLake(this.dataLake);
    this.topicName = props.notificationTopic ? undefined : `${sharedName}-notifications`;
    if (props.notificationTopic) exportTopic(props.notificationTopic);
    this.notificationTopic = props.notificationTopic ?? createFleetTopic(this.sharedStack, {
      fleetName: id,
      topicName: this.topicName!,
      emails: props.notificationEmails ?? [],
      removalPolicy: props.removalPolicy,
    });
    this.dashboardName = props.dashboardName ?? regionalDashboardName(this.sharedStack, sharedName.slice(0, -`-${SHARED_STACK_ID}`.length));
    this.overview = new FleetDashboard(this.sharedStack, 'Dashboard', { dashboardName: this.dashboardName, title: `Model fleet ${id}` });
    this.dashboard = this.overview.dashboard;
  }

  /**
   * Adds a model in a stack of its own, `<fleet id>-<id>`, and returns its `MlPipeline`.
   * `dataLake` and `notificationTopic` default to the fleet's; `modelName` must be unique in the
   * fleet (and `id` unique among its models).
   */
  public addModel(id: string, props: FleetModelProps): MlPipeline {
    const v = new PropsValidator(this, 'ModelFleetInvalidModel');
    const stackName = fleetStackName(this, id);
    for (const problem of stackNameProblems('the model id', id, stackName)) v.check(true, problem);
    v.check(id === SHARED_STACK_ID, `the model id '${SHARED_STACK_ID}' is the fleet's shared stack; choose another id`);
    const byId = [...this.pipelines.values()].find((m) => m.id === id);
    v.check(byId !== undefined, `the model id '${id}' is already taken by model '${byId?.pipeline.modelName}' of this fleet; give each model its own id`);
    const taken = this.pipelines.get(props.modelName);
    v.check(taken !== undefined,
      `'modelName' ('${props.modelName}') of model '${id}' is already the name of model '${taken?.id}' of this fleet; `
      + 'a model name names its pipeline, registry and endpoint, which are unique per account and region: give each model its own name');
    // CloudWatch dashboards are global to the account: a name taken in the fleet fails the second stack's deployment.
    // MlPipeline's default: the model stacks share the fleet's region.
    const dashboardName = props.dashboardName ?? modelDashboardName(this.sharedStack, props.modelName);
    const sameDashboard = [...this.pipelines.values()].find((m) => m.dashboardName === dashboardName);
    const dashboardOwner = dashboardName === this.dashboardName ? "the fleet's overview dashboard" : sameDashboard && `the dashboard of model '${sameDashboard.id}'`;
    // A model name taken already says so; its default dashboard name adds nothing to that.
    v.check(dashboardOwner !== undefined && !(taken !== undefined && props.dashboardName === undefined),
      `the dashboard name '${dashboardName}' of model '${id}' is already the name of ${dashboardOwner}; dashboards are unique per account: `
      + "give the model its own 'dashboardName', or the fleet another 'dashboardName'");
    v.throwIfInvalid();

    const stack = new Stack(this, id, {
      env: this.props.env,
      stackName,
      description: props.stackDescription ?? `cdk-mlops model ${props.modelName} of fleet ${this.node.id}`,
      terminationProtection: props.terminationProtection,
    });
    stack.addStackDependency(this.sharedStack, 'its model reads and writes the shared lake and notifies the shared topic');
    // The lake's data outlives the models: CloudFormation keeps the shared stack while a model imports from it.
    CrossStackReferences.of(stack).consume(ReferenceStrength.STRONG);
    const usesFleetTopic = props.notificationTopic === undefined;
    if (usesFleetTopic && this.topicName !== undefined) {
      // The fleet's topic already admits every alarm and rule of the account.
      for (const warning of TOPIC_POLICY_WARNINGS) Annotations.of(stack).acknowledgeWarning(warning, 'The fleet topic admits every alarm and rule of this account');
    }
    const pipeline = new MlPipeline(stack, 'Model', {
      ...props,
      dataLake: importDataLake(stack, props.dataLake ?? this.dataLake),
      notificationTopic: usesFleetTopic ? importTopic(stack, 'NotificationTopic', this.notificationTopic, this.topicName) : props.notificationTopic,
    });
    this.pipelines.set(props.modelName, { id, pipeline, dashboardName });
    this.overview.addModel({
      modelName: props.modelName,
      endpoint: pipeline.endpoint,
      variantName: pipeline.endpoint.variantNames[0],
      pipelineName: pipeline.pipeline.pipelineName,
    });
    return pipeline;
  }

  /** The models, in the order they were added. */
  public get models(): MlPipeline[] {
    return [...this.pipelines.values()].map((m) => m.pipeline);
  }
}
