/**
 * An SDK-like stand-in for the CloudFormation and SageMaker calls a promotion makes, answering as
 * the real services do (API references of DescribeStacks, UpdateStack, CancelUpdateStack,
 * DescribeStackResource, DescribeEndpoint, DescribeEndpointConfig, DescribeInferenceComponent, DescribeModel):
 * - a stack update goes UPDATE_IN_PROGRESS -> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS -> UPDATE_COMPLETE, or
 *   UPDATE_ROLLBACK_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE;
 *   DescribeStacks shows the new parameter value while the update runs and the old one after a rollback;
 * - UpdateStack on a busy stack, or with nothing to change, and CancelUpdateStack outside
 *   UPDATE_IN_PROGRESS are rejected with a ValidationError, which the SDK integration raises as
 *   `CloudFormation.CloudFormationException`;
 * - SageMaker may roll the endpoint back (a rollback alarm) while CloudFormation reports success:
 *   the endpoint then runs the previous endpoint configuration, whose ARN is lowercase;
 * - an inference component runs the model the template names once the update reaches cleanup,
 *   unless SageMaker rolls the component's update back to the previous model;
 * - any call can be throttled a given number of times.
 * Several executions may share one account (duplicate events).
 */
import { namedError, TaskHandlers } from '../helpers/asl';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/** What happens to the next update, once CloudFormation starts it. */
export type RolloutPlan =
  /** CloudFormation and SageMaker finish it. */
  | 'complete'
  /** The endpoint update fails; CloudFormation rolls the stack back. */
  | 'cloudformation-rollback'
  /** SageMaker rolls the endpoint back, CloudFormation reports UPDATE_COMPLETE anyway. */
  | 'sagemaker-rollback'
  /** SageMaker rolls the inference component's update back to the previous model, CloudFormation reports UPDATE_COMPLETE anyway. */
  | 'component-rollback'
  /** It runs until cancelled. */
  | 'hang';

export interface FakeAccountOptions {
  readonly stackName?: string;
  readonly parameterKey: string;
  /** The served version parameter's value. */
  readonly served: string;
  readonly endpointName?: string;
  /** The endpoint configuration's logical id in the template. */
  readonly configLogicalId?: string;
  /** DescribeStacks answers of an update that runs before any promotion (a cdk deploy), then it completes. */
  readonly busyPolls?: number;
  /** How many DescribeStacks the rollout stays in UPDATE_IN_PROGRESS. */
  readonly rolloutPolls?: number;
  /** How many DescribeStacks the cleanup phase lasts. */
  readonly cleanupPolls?: number;
  readonly plan?: RolloutPlan;
  /** Calls to throttle: action -> how many times, and the error name the integration raises. */
  readonly throttle?: Record<string, number>;
  readonly throttleError?: string;
  /** The parameter's AllowedPattern, which UpdateStack checks new values against. */
  readonly allowedPattern?: string;
  /** An inference component that serves the version: its name and its model's logical id in the template. */
  readonly component?: { readonly name: string; readonly modelLogicalId: string };
  /** What DescribeInferenceComponent reports as InferenceComponentStatus, one answer a call (the last one stays). */
  readonly componentStatuses?: string[];
}

interface Phase { status: string; polls: number }

export class FakeServingAccount {
  public readonly stackName: string;
  public readonly endpointName: string;
  public readonly configLogicalId: string;
  /** Every call, in order: `<service>:<action>` and its input. */
  public readonly calls: Array<{ action: string; input: any }> = [];
  public readonly updates: any[] = [];
  public readonly cancels: string[] = [];
  public readonly published: any[] = [];
  /** The configuration the endpoint really runs, by version. */
  public liveVersion: string;
  /** The model the inference component really runs, by version. */
  public componentVersion: string;
  public status = 'UPDATE_COMPLETE';
  private parameter: string;
  private previous?: string;
  private templateVersion: string;
  private phases: Phase[] = [];
  private readonly throttled: Record<string, number>;

  constructor(private readonly options: FakeAccountOptions) {
    this.stackName = options.stackName ?? 'TestStack';
    this.endpointName = options.endpointName ?? 'churn';
    this.configLogicalId = options.configLogicalId ?? 'EndpointEndpointConfig';
    this.parameter = options.served;
    this.liveVersion = options.served;
    this.componentVersion = options.served;
    this.templateVersion = options.served;
    this.throttled = { ...options.throttle };
    if (options.busyPolls) {
      this.status = 'UPDATE_IN_PROGRESS';
      this.phases = [{ status: 'UPDATE_IN_PROGRESS', polls: options.busyPolls - 1 }, { status: 'UPDATE_COMPLETE', polls: 0 }];
    }
  }

  /** The served value of the parameter, as the stack holds it now. */
  public get parameterValue(): string {
    return this.parameter;
  }

  /** Name of the endpoint configuration CloudFormation made for a version (mixed case, as CloudFormation names it). */
  public configName(version: string): string {
    return `EndpointConfig-${version.split('/').pop()}Ab`;
  }

  public configArn(version: string): string {
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${this.configName(version).toLowerCase()}`;
  }

  /** Name of the model CloudFormation made for a version (mixed case, as CloudFormation names it). */
  public modelName(version: string): string {
    return `Model-${version.split('/').pop()}Cd`;
  }

  /** The model's ARN, the physical id CloudFormation holds for it; SageMaker lowercases the name in it. */
  public modelArn(version: string): string {
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${this.modelName(version).toLowerCase()}`;
  }

  public handlers(): TaskHandlers {
    const statuses = [...(this.options.componentStatuses ?? ['InService'])];
    const call = (action: string, answer: (input: any) => unknown) => (input: any) => {
      this.calls.push({ action, input });
      if ((this.throttled[action] ?? 0) > 0) {
        this.throttled[action]--;
        const error = this.options.throttleError ?? 'CloudFormation.CloudFormationException';
        // As the integration words it: the service's message, then the SDK's details.
        throw namedError(error, `Rate exceeded (Service: ${error.split('.')[0]}, Status Code: 400, Request ID: 5c3e7a90-0d1b-4f7e-9a43-2b8f4c6d1e05)`);
      }
      return answer(input);
    };
    return {
      'aws-sdk:cloudformation:describeStacks': call('describeStacks', (input) => {
        expectStack(input.StackName, this.stackName);
        const answer = {
          Stacks: [{
            StackName: this.stackName,
            StackStatus: this.status,
            Parameters: [
              { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' },
              { ParameterKey: this.options.parameterKey, ParameterValue: this.parameter },
            ],
          }],
        };
        this.advance();
        return answer;
      }),
      'aws-sdk:cloudformation:updateStack': call('updateStack', (input) => {
        expectStack(input.StackName, this.stackName);
        if (this.status.endsWith('_IN_PROGRESS')) {
          throw namedError('CloudFormation.CloudFormationException', `Stack:arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/1 is in ${this.status} state and can not be updated.`);
        }
        const value = input.Parameters.find((p: any) => p.ParameterKey === this.options.parameterKey)?.ParameterValue;
        if (value === undefined || value === this.parameter) throw namedError('CloudFormation.CloudFormationException', 'No updates are to be performed.');
        if (this.options.allowedPattern && !new RegExp(this.options.allowedPattern).test(value)) {
          throw namedError('CloudFormation.CloudFormationException', `Parameter '${this.options.parameterKey}' must match pattern ${this.options.allowedPattern}`);
        }
        this.updates.push(input);
        this.previous = this.parameter;
        this.parameter = value;
        this.status = 'UPDATE_IN_PROGRESS';
        const plan = this.options.plan ?? 'complete';
        const inProgress = { status: 'UPDATE_IN_PROGRESS', polls: plan === 'hang' ? Number.MAX_SAFE_INTEGER : Math.max(0, (this.options.rolloutPolls ?? 2) - 1) };
        this.phases = plan === 'cloudformation-rollback'
          ? [inProgress, ...this.rollbackPhases()]
          : [inProgress, { status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', polls: this.options.cleanupPolls ?? 1 }, { status: 'UPDATE_COMPLETE', polls: 0 }];
        return { StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/1` };
      }),
      'aws-sdk:cloudformation:cancelUpdateStack': call('cancelUpdateStack', (input) => {
        expectStack(input.StackName, this.stackName);
        if (this.status !== 'UPDATE_IN_PROGRESS') {
          throw namedError('CloudFormation.CloudFormationException', `CancelUpdateStack cannot be called from current stack status ${this.status}`);
        }
        this.cancels.push(input.StackName);
        this.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
        this.phases = this.rollbackPhases();
        return {};
      }),
      'aws-sdk:cloudformation:describeStackResource': call('describeStackResource', (input) => {
        expectStack(input.StackName, this.stackName);
        if (this.options.component && input.LogicalResourceId === this.options.component.modelLogicalId) {
          return { StackResourceDetail: { LogicalResourceId: input.LogicalResourceId, PhysicalResourceId: this.modelArn(this.templateVersion), ResourceType: 'AWS::SageMaker::Model' } };
        }
        if (input.LogicalResourceId !== this.configLogicalId) throw namedError('CloudFormation.CloudFormationException', `Resource ${input.LogicalResourceId} does not exist for stack ${this.stackName}`);
        return { StackResourceDetail: { LogicalResourceId: input.LogicalResourceId, PhysicalResourceId: this.configArn(this.templateVersion), ResourceType: 'AWS::SageMaker::EndpointConfig' } };
      }),
      'aws-sdk:sagemaker:describeEndpoint': call('describeEndpoint', (input) => {
        if (input.EndpointName !== this.endpointName) throw namedError('SageMaker.SageMakerException', `Could not find endpoint "${input.EndpointName}".`);
        return { EndpointName: this.endpointName, EndpointStatus: 'InService', EndpointConfigName: this.configName(this.liveVersion) };
      }),
      'aws-sdk:sagemaker:describeEndpointConfig': call('describeEndpointConfig', (input) => {
        const version = [this.liveVersion, this.templateVersion].find((v) => this.configName(v) === input.EndpointConfigName);
        if (!version) throw namedError('SageMaker.SageMakerException', `Could not find endpoint configuration "${input.EndpointConfigName}".`);
        return { EndpointConfigName: input.EndpointConfigName, EndpointConfigArn: this.configArn(version) };
      }),
      'aws-sdk:sagemaker:describeInferenceComponent': call('describeInferenceComponent', (input) => {
        const component = this.options.component;
        if (!component || input.InferenceComponentName !== component.name) {
          throw namedError('SageMaker.SageMakerException', `Could not find inference component "${input.InferenceComponentName}".`);
        }
        const status = statuses.length > 1 ? statuses.shift()! : statuses[0];
        return { InferenceComponentName: component.name, InferenceComponentStatus: status, Specification: { ModelName: this.modelName(this.componentVersion) } };
      }),
      'aws-sdk:sagemaker:describeModel': call('describeModel', (input) => {
        const version = [this.componentVersion, this.templateVersion].find((v) => this.modelName(v) === input.ModelName);
        if (!version) throw namedError('SageMaker.SageMakerException', `Could not find model "${input.ModelName}".`);
        return { ModelName: input.ModelName, ModelArn: this.modelArn(version) };
      }),
      'sns:publish': call('publish', (input) => {
        this.published.push(JSON.parse(typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message)));
        return { MessageId: 'm-1' };
      }),
    };
  }

  private rollbackPhases(): Phase[] {
    return [
      { status: 'UPDATE_ROLLBACK_IN_PROGRESS', polls: 1 },
      { status: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', polls: 1 },
      { status: 'UPDATE_ROLLBACK_COMPLETE', polls: 0 },
    ];
  }

  /** One DescribeStacks later: the current phase lasts its polls, then the next begins. */
  private advance(): void {
    const phase = this.phases[0];
    if (!phase) return;
    if (phase.polls > 0) {
      phase.polls--;
      return;
    }
    this.phases.shift();
    const next = this.phases[0];
    if (!next) return;
    this.status = next.status;
    if (next.status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS') {
      this.templateVersion = this.parameter;
      // SageMaker moves the endpoint to the new configuration, unless its guardrails rolled it back.
      if (this.options.plan !== 'sagemaker-rollback') this.liveVersion = this.parameter;
      if (this.options.plan !== 'component-rollback') this.componentVersion = this.parameter;
    }
    if (next.status === 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS' && this.previous !== undefined) this.parameter = this.previous;
    if (next.polls === 0 && this.phases.length === 1) this.phases = [];
  }
}

function expectStack(given: string, stackName: string): void {
  if (given !== stackName) throw namedError('CloudFormation.CloudFormationException', `Stack with id ${given} does not exist`);
}
