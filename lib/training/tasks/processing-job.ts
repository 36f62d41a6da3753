import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { S3DataDistribution, SageMakerJobOptions } from './job-options';
import { checkJobResources, checkNetwork, MAX_PROCESSING_RUNTIME, renderJobBase, sagemakerJobPolicies, sagemakerResourceArn, warnOnSharding } from '../private/sagemaker-job';
import { InstanceUse } from '../../core/instance-type';
import { checkUnique, PropsValidator } from '../../core/private/errors';
import { renderMap } from '../../core/private/sagemaker-api';

/**
 * An S3 prefix copied into the processing container before the job starts.
 */
export interface ProcessingInput {
  /** Name of the input (unique within the job). */
  readonly inputName: string;
  /** The S3 URI of the prefix or object; may be a JSON path, e.g. `JsonPath.stringAt('$.run.rawUri')`. */
  readonly s3Uri: string;
  /** Where the data appears in the container, under `/opt/ml/processing/`. */
  readonly localPath: string;
  /**
   * How the objects are spread over the instances. `SHARDED_BY_S3_KEY` gives each instance about
   * 1/N of the objects, so it needs at least as many objects as instances (an instance may get none).
   *
   * @default S3DataDistribution.FULLY_REPLICATED
   */
  readonly distribution?: S3DataDistribution;
}

/**
 * A container folder uploaded to S3 when the processing job ends.
 */
export interface ProcessingOutput {
  /** Name of the output (unique within the job). */
  readonly outputName: string;
  /** The S3 URI the folder is uploaded to; may be a JSON path. */
  readonly s3Uri: string;
  /** The folder in the container, under `/opt/ml/processing/`. */
  readonly localPath: string;
}

/**
 * Properties of a `SageMakerProcessingTask`.
 */
export interface SageMakerProcessingTaskProps extends sfn.TaskStateBaseProps, SageMakerJobOptions {
  /** Name of the processing job, unique in the account and region; may be a JSON path. */
  readonly processingJobName: string;

  /** The data copied into the container; at least one. */
  readonly processingInputs: ProcessingInput[];

  /**
   * The folders uploaded to S3 when the job ends.
   *
   * @default - none
   */
  readonly processingOutputs?: ProcessingOutput[];

  /**
   * The command the container runs, e.g. `['python3', '/opt/ml/processing/input/code/preprocess.py']`.
   *
   * @default - the image's entrypoint
   */
  readonly containerEntrypoint?: string[];

  /**
   * Arguments passed to the entrypoint.
   *
   * @default - none
   */
  readonly containerArguments?: string[];
}

/**
 * A Step Functions task that runs a SageMaker processing job and, by default, waits for it
 * to end (`createProcessingJob.sync`): what aws-stepfunctions-tasks lacks.
 */
export class SageMakerProcessingTask extends sfn.TaskStateBase {
  private static readonly SUPPORTED_PATTERNS = [sfn.IntegrationPattern.REQUEST_RESPONSE, sfn.IntegrationPattern.RUN_JOB];

  protected readonly taskMetrics?: sfn.TaskMetricsConfig;
  protected readonly taskPolicies?: iam.PolicyStatement[];
  private readonly integrationPattern: sfn.IntegrationPattern;
  private readonly apiParameters: any;

  constructor(scope: Construct, id: string, private readonly props: SageMakerProcessingTaskProps) {
    super(scope, id, props);
    this.integrationPattern = props.integrationPattern ?? sfn.IntegrationPattern.RUN_JOB;
    const v = new PropsValidator(this, 'ProcessingTaskInvalidProps');
    v.check(!SageMakerProcessingTask.SUPPORTED_PATTERNS.includes(this.integrationPattern),
      `'integrationPattern' (${this.integrationPattern}) is not supported for processing jobs; use RUN_JOB (the default) or REQUEST_RESPONSE`);
    v.check(props.processingInputs.length === 0,
      `'processingInputs' is empty: a processing job needs at least one input; add e.g. { inputName: 'data', s3Uri: 's3://bucket/prefix/', localPath: '/opt/ml/processing/input' }`);
    checkUnique(v, 'processingInputs', props.processingInputs.map((i) => i.inputName));
    checkUnique(v, 'processingOutputs', (props.processingOutputs ?? []).map((o) => o.outputName));
    checkJobResources(v, props, InstanceUse.PROCESSING, MAX_PROCESSING_RUNTIME);
    checkNetwork(v, props);
    v.throwIfInvalid();
    warnOnSharding(this, props.instanceCount, props.processingInputs.map((i) => ({ name: i.inputName, distribution: i.distribution })));

    const base = renderJobBase(this, props);
    this.apiParameters = {
      ProcessingJobName: props.processingJobName,
      RoleArn: props.role.roleArn,
      AppSpecification: {
        ImageUri: base.imageUri,
        ContainerEntrypoint: props.containerEntrypoint,
        ContainerArguments: props.containerArguments,
      },
      Environment: renderMap(props.environment),
      ProcessingInputs: props.processingInputs.map((input) => ({
        InputName: input.inputName,
        S3Input: {
          S3Uri: input.s3Uri,
          LocalPath: input.localPath,
          S3DataType: 'S3Prefix',
          S3InputMode: 'File',
          S3DataDistributionType: input.distribution ?? S3DataDistribution.FULLY_REPLICATED,
        },
      })),
      ProcessingOutputConfig: props.processingOutputs && props.processingOutputs.length > 0 ? {
        Outputs: props.processingOutputs.map((output) => ({
          OutputName: output.outputName,
          S3Output: { S3Uri: output.s3Uri, LocalPath: output.localPath, S3UploadMode: 'EndOfJob' },
        })),
        KmsKeyId: base.outputKmsKeyId,
      } : undefined,
      ProcessingResources: {
        ClusterConfig: {
          InstanceCount: base.instanceCount,
          InstanceType: props.instanceType.name,
          VolumeSizeInGB: base.volumeSizeInGb,
          VolumeKmsKeyId: base.volumeKmsKeyId,
        },
      },
      StoppingCondition: { MaxRuntimeInSeconds: base.maxRuntimeInSeconds },
      NetworkConfig: props.enableNetworkIsolation || base.vpcConfig ? {
        EnableNetworkIsolation: props.enableNetworkIsolation,
        VpcConfig: base.vpcConfig,
      } : undefined,
    };
    this.taskPolicies = sagemakerJobPolicies(this, {
      jobResource: 'processing-job', jobNamePrefix: props.jobNamePrefix, jobKind: 'Processing', role: props.role, pattern: this.integrationPattern,
    });
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const queryLanguage = sfn._getActualQueryLanguage(topLevelQueryLanguage, this.props.queryLanguage);
    return {
      Resource: sagemakerResourceArn('createProcessingJob', this.integrationPattern),
      ...this._renderParametersOrArguments(this.apiParameters, queryLanguage),
    };
  }
}
