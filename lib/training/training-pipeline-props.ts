import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { MetricGate } from './metric-gate';
import { BaselineStepOptions, ProcessingStepOptions, TrainingStepOptions } from './step-options';
import { SageMakerImage } from '../core/sagemaker-image';
import { IDataLake } from '../lake/data-lake';
import { IModelRegistry, ModelApprovalStatus } from '../registry/model-registry';
import { ModelDeploymentOptions } from '../serving/model-promotion';

/**
 * What a `TrainingPipeline` does beyond its data, training step, name, registry and
 * deployment: the steps around training, triggers, limits and notifications. `MlPipeline`
 * takes these as its `pipeline` prop and sets the rest itself.
 */
export interface TrainingPipelineOptions {
  /**
   * The prefix of the raw zone that holds the training data.
   *
   * @default 'training-data/'
   */
  readonly inputPrefix?: string;

  /**
   * A preprocessing step: reads the raw data (`/opt/ml/processing/input/data`), writes
   * `train/`, `validation/`, `test/` and `baseline/` under `/opt/ml/processing/output/` into
   * the run's prefix of the curated zone.
   *
   * @default - no preprocessing: training reads `train/` and `validation/` under `inputPrefix`
   */
  readonly preprocessing?: ProcessingStepOptions;

  /**
   * The drift baseline of the training split, computed before training (see `BaselineStepOptions`).
   *
   * @default - on when there is a preprocessing step, with `FeatureSchema.infer()` (see `BaselineStepOptions.enabled`)
   */
  readonly baseline?: BaselineStepOptions;

  /**
   * An evaluation step: reads the model (`/opt/ml/processing/model/model.tar.gz`) and the test
   * split (`/opt/ml/processing/test`) and writes `/opt/ml/processing/evaluation/evaluation.json`.
   *
   * @default - no evaluation step
   */
  readonly evaluation?: ProcessingStepOptions;

  /**
   * The quality gate before registration.
   *
   * @default - every trained model is registered
   */
  readonly gate?: MetricGate;

  /**
   * The approval status of models that pass the gate. With `deployment` it follows the mode
   * (APPROVED for `PromotionMode.AUTOMATIC`, PENDING_MANUAL_APPROVAL for `MANUAL`), and a status
   * that contradicts the mode fails synth.
   *
   * @default - from the deployment's mode; PENDING_MANUAL_APPROVAL without deployment
   */
  readonly approvalStatus?: ModelApprovalStatus;

  /**
   * The image that serves the model.
   *
   * @default - the training image (right for built-in algorithms and framework images)
   */
  readonly inferenceImage?: SageMakerImage;

  /**
   * Start a run when new objects arrive under `inputPrefix` in the raw zone.
   *
   * @default true
   */
  readonly triggerOnNewData?: boolean;

  /**
   * With `triggerOnNewData`: only keys with this suffix start a run, e.g. a `_SUCCESS` marker
   * written after a whole data set, so that uploading many files starts one run.
   *
   * @default - every new object starts a run
   */
  readonly triggerKeySuffix?: string;

  /**
   * Also start runs on this schedule, e.g. `events.Schedule.rate(Duration.days(7))`.
   *
   * @default - no schedule
   */
  readonly schedule?: events.Schedule;

  /**
   * At most this many runs proceed at once; later runs wait for a free slot (in no particular
   * order). A run frees its slot on every way it ends, including timeouts and stops.
   *
   * @default 1
   */
  readonly maxConcurrentRuns?: number;

  /**
   * How long a run that waits for a slot waits between checks.
   *
   * @default Duration.minutes(5)
   */
  readonly concurrencyPollInterval?: Duration;

  /**
   * A run that waited this long for a slot fails (and notifies) instead of waiting on.
   *
   * @default Duration.hours(24)
   */
  readonly maxQueueTime?: Duration;

  /**
   * A run, waiting included, is stopped after this long. Must be at least the longest run the
   * other limits allow (queue time, each job's runtime or spot wait plus an hour, retries, an
   * in-run rollout, plus an hour for the other states); synth fails otherwise.
   *
   * @default Duration.days(7)
   */
  readonly timeout?: Duration;

  /**
   * E-mail addresses that receive failure notifications (each confirms its subscription).
   *
   * @default - none
   */
  readonly notificationEmails?: string[];

  /**
   * Further subscriptions to the failure topic, e.g. an SQS queue or a Lambda function.
   *
   * @default - none
   */
  readonly notificationSubscriptions?: sns.ITopicSubscription[];

  /**
   * Reserved concurrent executions for the function that writes run manifests. A new account's
   * concurrency limit (10) leaves none to reserve: Lambda keeps 10 unreserved.
   *
   * @default - no reserved concurrency
   */
  readonly manifestReservedConcurrency?: number;

  /**
   * States run after a model is registered (and deployed, with `deployment`); they see the
   * run's state with `$.registration.ModelPackageArn`.
   *
   * @default - none
   */
  readonly postRegistration?: sfn.IChainable;

  /**
   * How long the state machine's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to what the pipeline keeps (its keys, log groups and the registry it creates)
   * when the stack is deleted. `RemovalPolicy.DESTROY` suits a sandbox whose lake is destroyed too:
   * every one of them goes, and no retained key is left protecting nothing.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE - kept on delete, not after a failed create
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Run the jobs in this VPC.
   *
   * @default - SageMaker's network
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the jobs.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * Properties of a `TrainingPipeline`.
 */
export interface TrainingPipelineProps extends TrainingPipelineOptions {
  /** The data lake: raw data in, curated data and artifacts out. */
  readonly dataLake: IDataLake;

  /** The training step. */
  readonly training: TrainingStepOptions;

  /**
   * Name of the pipeline: the state machine's name and the start of every job name and S3 prefix.
   * 1 to 24 lowercase letters, digits and hyphens (job names add a 38-character suffix; SageMaker allows 63).
   *
   * @default - derived from the construct path
   */
  readonly pipelineName?: string;

  /**
   * The registry the models are registered in.
   *
   * @default - a new `ModelRegistry`
   */
  readonly registry?: IModelRegistry;

  /**
   * Deploy registered models to a `ModelEndpoint` that serves a `ModelVersionParameter`: in
   * the run (`PromotionMode.AUTOMATIC`: it waits for the rollout and fails if CloudFormation
   * rolls it back), or when a person approves the model in the registry (`MANUAL`). Either way
   * the pipeline has a `promotion`, whose state machine rolls back to an older version.
   *
   * @default - models are only registered
   */
  readonly deployment?: ModelDeploymentOptions;

  /**
   * The topic that receives a message for every failed run (and failed promotion). The
   * pipeline lets CloudWatch alarms and EventBridge rules of this account publish to it when it
   * can change its policy (and its key's); an imported topic must allow them already.
   *
   * @default - a new topic encrypted with the pipeline's customer managed key
   */
  readonly notificationTopic?: sns.ITopic;
}
