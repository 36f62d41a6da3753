import { Annotations, ArnFormat, Aws, Duration, Size, SizeRoundingBehavior, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TrainingStepOptions } from '../step-options';
import type { SageMakerJobOptions } from '../tasks/job-options';
import type { ScriptModeOptions } from '../tasks/training-job';
import { InstanceUse, MlInstanceType } from '../../core/instance-type';
import { PropsValidator } from '../../core/private/errors';
import { checkInstanceUse } from '../../core/private/instance-use';
import { lowercaseName } from '../../core/private/sagemaker-api';
import { sageMakerVpcAccess, SageMakerNetwork } from '../../core/private/vpc-access';

/** SageMaker's limit on a job's MaxRuntimeInSeconds and MaxWaitTimeInSeconds: 28 days. */
export const MAX_JOB_RUNTIME = Duration.days(28);
/** SageMaker's limit on a processing job's MaxRuntimeInSeconds: 9 days (777600 s). */
export const MAX_PROCESSING_RUNTIME = Duration.days(9);

/** Spot training waits for capacity up to twice the runtime, within SageMaker's limit. */
export function defaultMaxWait(maxRuntime: Duration): Duration {
  return Duration.seconds(Math.min(maxRuntime.toSeconds() * 2, MAX_JOB_RUNTIME.toSeconds()));
}

/** The Step Functions resource ARN of a SageMaker API, `.sync` when the task waits for the job. */
export function sagemakerResourceArn(api: string, pattern: sfn.IntegrationPattern): string {
  const suffix = pattern === sfn.IntegrationPattern.RUN_JOB ? '.sync' : '';
  return `arn:${Aws.PARTITION}:states:::sagemaker:${api}${suffix}`;
}

/**
 * What a state machine needs to run one kind of SageMaker job: create, describe and stop
 * jobs of that kind, pass the job role to SageMaker only, and (for `.sync`) the managed
 * EventBridge rule through which Step Functions learns that the job ended.
 */
export function sagemakerJobPolicies(scope: Construct, options: {
  readonly jobResource: string;
  readonly jobNamePrefix?: string;
  readonly jobKind: 'Training' | 'Processing' | 'Transform';
  readonly role: iam.IRole;
  readonly pattern: sfn.IntegrationPattern;
}): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const statements = [
    new iam.PolicyStatement({
      actions: [`sagemaker:Create${options.jobKind}Job`, `sagemaker:Describe${options.jobKind}Job`, `sagemaker:Stop${options.jobKind}Job`, 'sagemaker:AddTags'],
      resources: [stack.formatArn({ service: 'sagemaker', resource: options.jobResource, resourceName: `${lowercaseName(options.jobNamePrefix ?? '')}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    }),
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [options.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }),
  ];
  if (options.pattern === sfn.IntegrationPattern.RUN_JOB) {
    statements.push(new iam.PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: `StepFunctionsGetEventsForSageMaker${options.jobKind}JobsRule` })],
    }));
  }
  return statements;
}

/**
 * Renders a job's VpcConfig (creating a security group when none is given) and grants the
 * job role the network-interface permissions SageMaker needs inside a VPC.
 */
export function renderVpcConfig(scope: Construct, role: iam.IRole, network: SageMakerNetwork): any {
  if (!network.vpc) return undefined;
  const access = sageMakerVpcAccess(scope, role, { ...network, vpc: network.vpc }, 'jobs', { allowTrafficWithinGroup: true });
  return { SecurityGroupIds: access.securityGroupIds, Subnets: access.subnets };
}

/** Shared synth-time checks of a job's resources. */
export function checkJobResources(v: PropsValidator, props: {
  readonly jobNamePrefix?: string;
  readonly instanceType: MlInstanceType;
  readonly instanceCount?: number;
  readonly volumeSize?: Size;
  readonly maxRuntime?: Duration;
}, use: InstanceUse, maxRuntimeLimit: Duration = MAX_JOB_RUNTIME): void {
  checkInstanceUse(v, 'instanceType', props.instanceType, use);
  const count = props.instanceCount;
  v.checkResolved([count], () => count !== undefined && (!Number.isInteger(count) || count < 1 || count > 100),
    `'instanceCount' (${count}) must be a whole number from 1 to 100; use 1 for a single instance`);
  const size = props.volumeSize;
  if (size !== undefined && !size.isUnresolved()) {
    const gib = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
    v.check(!Number.isInteger(gib) || gib < 1 || gib > 16384,
      `'volumeSize' (${gib} GiB) must be a whole number of GiB from 1 to 16384; use e.g. Size.gibibytes(50)`);
  }
  checkDuration(v, 'maxRuntime', props.maxRuntime, maxRuntimeLimit);
  const prefix = props.jobNamePrefix;
  v.checkResolved([prefix], () => prefix !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$/.test(prefix),
    `'jobNamePrefix' ('${prefix}') must be 1 to 63 letters, digits and hyphens, starting with a letter or digit`);
}

/** The network props: a VPC for subnets and security groups, and as many as SageMaker takes. */
export function checkNetwork(v: PropsValidator, props: SageMakerNetwork & { readonly enableNetworkIsolation?: boolean }): void {
  v.check(!props.vpc && props.securityGroups !== undefined,
    `'securityGroups' (${props.securityGroups?.length} group(s)) need 'vpc': security groups apply only to jobs in a VPC; add 'vpc' or remove 'securityGroups'`);
  v.check(!props.vpc && props.vpcSubnets !== undefined, `'vpcSubnets' needs 'vpc'; add 'vpc' or remove 'vpcSubnets'`);
  const groups = props.securityGroups?.length;
  v.check(groups !== undefined && (groups < 1 || groups > 5),
    `'securityGroups' has ${groups} group(s); SageMaker takes 1 to 5 per job: remove it to get a group created for the job`);
}

/**
 * Advice on how S3 data is spread: sharding over one instance changes nothing, and sharding gives
 * an instance no data at all when the prefix holds fewer objects than there are instances.
 */
export function warnOnSharding(scope: Construct, instanceCount: number | undefined, inputs: Array<{ name: string; distribution?: string }>): void {
  const sharded = inputs.filter((i) => i.distribution === 'ShardedByS3Key').map((i) => `'${i.name}'`);
  if (sharded.length === 0 || (instanceCount !== undefined && Token.isUnresolved(instanceCount))) return;
  if ((instanceCount ?? 1) === 1) {
    Annotations.of(scope).addWarningV2('cdk-mlops:shardedSingleInstance',
      `${sharded.join(', ')} ${sharded.length > 1 ? 'are' : 'is'} ShardedByS3Key on 1 instance, which is the same as FullyReplicated; use FULLY_REPLICATED, or more instances`);
  }
}

/** A job duration: at least one second, at most SageMaker's limit (28 days for training), whole seconds. */
export function checkDuration(v: PropsValidator, name: string, value: Duration | undefined, limit: Duration = MAX_JOB_RUNTIME): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toMilliseconds() / 1000;
  v.check(!Number.isInteger(seconds) || seconds < 1 || seconds > limit.toSeconds(),
    `'${name}' (${value.toHumanString()}) must be whole seconds from 1 second to ${limit.toHumanString()}, SageMaker's limit; use e.g. Duration.hours(2)`);
}

/** What the processing and training tasks render alike from `SageMakerJobOptions`. */
export interface RenderedJobBase {
  readonly imageUri: string;
  readonly instanceCount: number;
  readonly volumeSizeInGb: number;
  readonly volumeKmsKeyId?: string;
  readonly outputKmsKeyId?: string;
  readonly maxRuntimeInSeconds: number;
  readonly vpcConfig?: any;
}

/** Binds the image, grants the job role its keys, and renders the shared job fields. */
export function renderJobBase(scope: Construct, props: SageMakerJobOptions): RenderedJobBase {
  const image = props.image.bind(scope, props.role);
  // SageMaker creates KMS grants to attach encrypted volumes to the job's instances.
  props.volumeEncryptionKey?.grant(props.role, 'kms:CreateGrant', 'kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*');
  props.outputEncryptionKey?.grantEncryptDecrypt(props.role);
  return {
    imageUri: image.imageUri,
    instanceCount: props.instanceCount ?? 1,
    volumeSizeInGb: (props.volumeSize ?? Size.gibibytes(30)).toGibibytes(),
    volumeKmsKeyId: props.volumeEncryptionKey?.keyArn,
    outputKmsKeyId: props.outputEncryptionKey?.keyArn,
    maxRuntimeInSeconds: (props.maxRuntime ?? Duration.hours(24)).toSeconds(),
    vpcConfig: renderVpcConfig(scope, props.role, props),
  };
}

/**
 * The script mode of a pipeline's training step (undefined for an image's own program), with
 * the checks of the options that only make sense together.
 */
export function trainingScriptMode(v: PropsValidator, options: TrainingStepOptions): ScriptModeOptions | undefined {
  v.check(options.script === undefined && options.sourceDirectory !== undefined,
    `'training.sourceDirectory' ('${options.sourceDirectory}') needs 'training.script', the entry point inside it, e.g. 'train.py'`);
  v.check(options.script === undefined && options.distributed !== undefined,
    `'training.distributed' needs 'training.script': only a script-mode program runs distributed`);
  if (options.script === undefined) return undefined;
  return { entryPoint: options.script, sourceDirectory: options.sourceDirectory, distributed: options.distributed };
}
