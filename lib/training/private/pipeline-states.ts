import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ResolvedGate, compare } from './pipeline-gate';
import { addRetries } from './retry-policies';
import { processingMaxRuntime, processingTaskTimeout, trainingMaxRuntime, trainingTaskTimeout } from './run-budget';
import { baselineState, baselineTaskTimeout, modelServes, promoteBaselineState, ResolvedBaseline } from './baseline-step';
import { PipelineFunction } from './pipeline-function';
import { CONDITION_FAILED, RunSlots } from './run-slots';
import { trainingScriptMode } from './sagemaker-job';
import { MetricSource } from '../metric-gate';
import { ProcessingStepOptions } from '../step-options';
import { S3DataDistribution } from '../tasks/job-options';
import { SageMakerProcessingTask } from '../tasks/processing-job';
import { SageMakerTrainingTask } from '../tasks/training-job';
import type { TrainingPipelineProps } from '../training-pipeline-props';
import { MlInstanceType } from '../../core/instance-type';
import { PropsValidator } from '../../core/private/errors';
import { grantObjectRead } from '../../core/private/s3-grants';
import { SageMakerImage } from '../../core/sagemaker-image';
import { IDataLake } from '../../lake/data-lake';
import { IModelRegistry, ModelApprovalStatus } from '../../registry/model-registry';
import { RegisterModelPackageTask } from '../../registry/register-model-package';
import { buildDeployStates, DeployStatesProps } from '../../serving/private/deploy-states';

/** What the state graph is built from: the pipeline's resources, made before its states. */
export interface PipelineContext {
  readonly lake: IDataLake;
  readonly pipelineName: string;
  readonly inputPrefix: string;
  readonly runsPrefix: string;
  readonly registry: IModelRegistry;
  readonly failureTopic: sns.ITopic;
  readonly manifestFunction: PipelineFunction;
  /** The drift baseline step, when the pipeline computes baselines. */
  readonly baseline?: {
    readonly options: ResolvedBaseline;
    readonly function: PipelineFunction;
    /** With an in-run deployment: where the served model's baseline is copied. */
    readonly currentKey?: string;
  };
  /** Claims of run starts and the slots of running runs. */
  readonly slots: RunSlots;
  /** The approval status models are registered with. */
  readonly approvalStatus: ModelApprovalStatus;
  /** Deploy each registered model in the run. */
  readonly deployment?: Omit<DeployStatesProps, 'packageArnPath'>;
  /** The training image defines its own metrics (recorded so a rerun request leaves them out). */
  readonly builtInAlgorithm: boolean;
  readonly trainingRole: iam.Role;
  readonly preprocessingRole?: iam.Role;
  readonly evaluationRole?: iam.Role;
}

interface ManifestWriter {
  readonly entry: sfn.State;
}

/**
 * The errors a run ends with after its own failure path notified the topic and freed its slot.
 * Any other end of a failed run (States.Runtime, a failed notification or release) is the
 * backstop's to report.
 */
export const NOTIFIED_ERRORS = ['TrainingPipelineFailed', 'RunManifestNotWritten'];

/**
 * Builds the states of a TrainingPipeline. States are created on the pipeline construct itself
 * (`scope`), so their construct paths, and the names in the definition, are the pipeline's.
 */
export class PipelineStates {
  private failureEntryState?: sfn.IChainable;

  constructor(private readonly scope: Construct, private readonly ctx: PipelineContext) {}

  /** The whole state graph of one run. */
  public build(props: TrainingPipelineProps, gate: ResolvedGate | undefined): sfn.IChainable {
    const manifest = this.manifestWriter();
    const plan = this.planRun(props);
    const claim = this.claimStart(manifest);
    const concurrency = this.concurrencyGuard(props, manifest);

    const steps: sfn.IChainable[] = [];
    if (props.preprocessing && this.ctx.preprocessingRole) {
      steps.push(this.withFailureHandling(this.processingStep('Preprocess', props.preprocessing, this.ctx.preprocessingRole, {
        jobName: this.jobName('prep'),
        inputs: [{ inputName: 'data', s3Uri: this.ctx.lake.rawBucket.s3UrlForObject(this.ctx.inputPrefix), localPath: '/opt/ml/processing/input/data' }],
        outputs: ['train', 'validation', 'test', 'baseline'].map((name) => ({
          outputName: name, s3Uri: sfn.JsonPath.stringAt(`$.plan.${name}Uri`), localPath: `/opt/ml/processing/output/${name}`,
        })),
        resultPath: '$.preprocessing',
        network: props,
      }), 'Preprocess', manifest));
    }
    if (this.ctx.baseline) {
      // Before training: a split the baseline cannot read fails the run before any GPU time is spent.
      steps.push(this.withFailureHandling(baselineState(this.scope, {
        function: this.ctx.baseline.function,
        lake: this.ctx.lake,
        baseline: this.ctx.baseline.options,
        preprocessed: props.preprocessing !== undefined,
      }), 'ComputeBaseline', manifest));
    }
    steps.push(this.withFailureHandling(this.trainingStep(props), 'Train', manifest));
    if (props.evaluation && this.ctx.evaluationRole) {
      steps.push(this.withFailureHandling(this.processingStep('Evaluate', props.evaluation, this.ctx.evaluationRole, {
        jobName: this.jobName('eval'),
        inputs: [
          { inputName: 'model', s3Uri: sfn.JsonPath.stringAt('$.training.ModelArtifacts.S3ModelArtifacts'), localPath: '/opt/ml/processing/model' },
          { inputName: 'test', s3Uri: sfn.JsonPath.stringAt('$.plan.testUri'), localPath: '/opt/ml/processing/test' },
        ],
        outputs: [{ outputName: 'evaluation', s3Uri: sfn.JsonPath.stringAt('$.plan.evaluationUri'), localPath: '/opt/ml/processing/evaluation' }],
        resultPath: '$.evaluation',
        network: props,
      }), 'Evaluate', manifest));
      const read = new tasks.CallAwsService(this.scope, 'ReadEvaluationReport', {
        comment: 'Reads evaluation.json so the gate and the run manifest can use it',
        service: 's3',
        action: 'getObject',
        iamAction: 's3:GetObject',
        iamResources: [this.ctx.lake.artifactsBucket.arnForObjects(`${this.ctx.runsPrefix}*/evaluation/evaluation.json`)],
        parameters: { Bucket: this.ctx.lake.artifactsBucket.bucketName, Key: sfn.JsonPath.stringAt('$.plan.evaluationKey') },
        resultSelector: { 'document.$': 'States.StringToJson($.Body)' },
        resultPath: '$.evaluationReport',
      });
      addRetries(read, 's3Sdk');
      steps.push(this.withFailureHandling(read, 'ReadEvaluationReport', manifest));
    }

    const registered = this.register(props, manifest);
    const rejected = this.recordOutcome('RecordRejected', 'REJECTED').next(manifest.entry);
    const decide = gate ? this.metricGate(gate, registered, rejected, manifest) : registered;

    concurrency.proceed.next(steps[0]);
    steps.forEach((step, i) => (step as sfn.TaskStateBase).next(steps[i + 1] ?? decide));
    claim.next(concurrency.start);
    return sfn.Chain.start(plan).next(claim.start);
  }

  /** URIs and keys of this run, derived from the execution so reruns never collide. */
  private planRun(props: TrainingPipelineProps): sfn.IChainable {
    const start = new sfn.Pass(this.scope, 'StartRun', {
      comment: 'Keeps the trigger and the execution name that the run prefixes use',
      parameters: {
        'trigger.$': '$',
        'run': { 'name.$': '$$.Execution.Name' },
      },
    });
    const artifacts = this.ctx.lake.artifactsBucket.bucketName;
    const curated = this.ctx.lake.curatedBucket.bucketName;
    const raw = this.ctx.lake.rawBucket.bucketName;
    const runUri = (bucket: string, suffix: string) => `States.Format('s3://${bucket}/${this.ctx.runsPrefix}{}/${suffix}', $.run.name)`;
    // Preprocessed splits are the run's own; without preprocessing they are fixed prefixes of the raw zone.
    const splits = Object.fromEntries(['train', 'validation', 'test', 'baseline'].map((split) => props.preprocessing
      ? [`${split}Uri.$`, runUri(curated, `${split}/`)]
      : [`${split}Uri`, `s3://${raw}/${this.ctx.inputPrefix}${split}/`]));
    const plan = new sfn.Pass(this.scope, 'PlanRun', {
      comment: 'Job names and S3 locations of this run',
      resultPath: '$.plan',
      parameters: {
        ...splits,
        'modelUri.$': runUri(artifacts, 'model/'),
        'checkpointUri.$': runUri(artifacts, 'checkpoints/'),
        'evaluationUri.$': runUri(artifacts, 'evaluation/'),
        'evaluationKey.$': `States.Format('${this.ctx.runsPrefix}{}/evaluation/evaluation.json', $.run.name)`,
        'manifestKey.$': `States.Format('${this.ctx.runsPrefix}{}/manifest.json', $.run.name)`,
        ...this.baselinePlan(props),
      },
    });
    return sfn.Chain.start(start).next(plan);
  }

  /** Keys of the baseline step: the split object it reads and the baseline it writes. */
  private baselinePlan(props: TrainingPipelineProps): Record<string, string> {
    const baseline = this.ctx.baseline?.options;
    if (!baseline) return {};
    const file = baseline.trainingFileName;
    return {
      ...(props.preprocessing
        ? { 'baselineTrainKey.$': `States.Format('${this.ctx.runsPrefix}{}/train/${file}', $.run.name)` }
        : { baselineTrainKey: `${this.ctx.inputPrefix}train/${file}` }),
      'baselineKey.$': `States.Format('${this.ctx.runsPrefix}{}/baseline/baseline.json', $.run.name)`,
    };
  }

  /**
   * Job names: `<pipeline>-<stage>-<hash of the execution and its redrive count>`, computed in the
   * job task itself, so a redriven execution (which reruns the failed task with its old input)
   * creates jobs under new names: SageMaker job names are unique per account and region. A
   * retried task keeps the name: the retried errors mean SageMaker created no job.
   */
  private jobName(stage: string): string {
    const attempt = sfn.JsonPath.format('{}#{}', sfn.JsonPath.executionId, sfn.JsonPath.stringAt('$$.Execution.RedriveCount'));
    return sfn.JsonPath.format(`${this.ctx.pipelineName}-${stage}-{}`, sfn.JsonPath.hash(attempt, 'MD5'));
  }

  /**
   * One run per start: the key of what started the run (an S3 object version, a schedule time,
   * else the execution name) is claimed with a conditional write; a second delivery of the same
   * event finds it claimed and ends quietly. EventBridge cannot name the execution it starts,
   * so the claim takes the place of StartExecution's name check.
   */
  private claimStart(manifest: ManifestWriter): { start: sfn.IChainable; next: (n: sfn.IChainable) => void } {
    const key = (id: string, format: string, ...paths: string[]) => new sfn.Pass(this.scope, id, {
      resultPath: '$.start',
      parameters: { 'key.$': `States.Format('${format}', ${paths.join(', ')})` },
    });
    const claim = this.ctx.slots.claim(this.scope, 'ClaimRun', '$.start.key');
    claim.addCatch(new sfn.Succeed(this.scope, 'DuplicateRun', { comment: 'Another execution runs this data-set version already' }),
      { errors: [CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });
    this.withFailureHandling(claim, 'ClaimRun', manifest);
    const byExecution = key('ExecutionKey', 'execution:{}', '$$.Execution.Name');
    byExecution.next(claim);
    const t = '$.trigger';
    const present = (...fields: string[]) => fields.map((f) => sfn.Condition.isPresent(`${t}.${f}`));
    // Rules run in order and a comparison only reads paths the rules before proved present.
    const choose = new sfn.Choice(this.scope, 'RunStartKey')
      .when(sfn.Condition.not(sfn.Condition.isPresent(`${t}.trigger`)), byExecution)
      .when(sfn.Condition.and(sfn.Condition.stringEquals(`${t}.trigger`, 'new-data'), ...present('bucket', 'key', 'versionId')),
        key('ObjectVersionKey', 's3://{}/{}?versionId={}', `${t}.bucket`, `${t}.key`, `${t}.versionId`).next(claim))
      .when(sfn.Condition.and(sfn.Condition.stringEquals(`${t}.trigger`, 'schedule'), ...present('time')),
        key('ScheduleKey', 'schedule:{}', `${t}.time`).next(claim))
      .otherwise(byExecution);
    return { start: choose, next: (n) => claim.next(n) };
  }

  /**
   * Bounds concurrent runs with a counting semaphore: a run takes a slot with a conditional
   * write and waits while every slot is held; each exit path of the run frees it again, and the
   * backstop frees the slot of a run that timed out, was stopped or failed outside that path.
   */
  private concurrencyGuard(props: TrainingPipelineProps, manifest: ManifestWriter): { start: sfn.IChainable; proceed: sfn.Pass } {
    const interval = props.concurrencyPollInterval ?? Duration.minutes(5);
    const maxQueueTime = props.maxQueueTime ?? Duration.hours(24);
    const maxWaits = Math.max(1, Math.ceil(maxQueueTime.toSeconds() / interval.toSeconds()));
    const acquire = this.ctx.slots.acquire(this.scope, 'AcquireRunSlot');
    const startWaiting = new sfn.Pass(this.scope, 'StartQueue', { result: sfn.Result.fromObject({ count: 0 }), resultPath: '$.queue' });
    const wait = new sfn.Wait(this.scope, 'WaitForSlot', { comment: 'Every run slot is held', time: sfn.WaitTime.duration(interval) });
    const count = new sfn.Pass(this.scope, 'CountSlotWait', { parameters: { 'count.$': 'States.MathAdd($.queue.count, 1)' }, resultPath: '$.queue' });
    const proceed = new sfn.Pass(this.scope, 'SlotAcquired', { resultPath: sfn.JsonPath.DISCARD });
    const busy = new sfn.Choice(this.scope, 'KeepWaiting')
      .when(sfn.Condition.numberGreaterThanEquals('$.queue.count', maxWaits), this.failStep('QueuedTooLong', 'AcquireRunSlot', manifest, {
        Error: 'QueuedTooLong', Cause: `No run slot became free within ${maxQueueTime.toHumanString()}: older runs are still running`,
      }))
      .otherwise(wait.next(count).next(acquire));
    // A failed condition means every slot is held, or that a retried call's first attempt took this run's.
    const held = this.ctx.slots.held(this.scope, 'HoldsRunSlot');
    held.addCatch(busy, { errors: [CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });
    this.withFailureHandling(held, 'AcquireRunSlot', manifest).next(proceed);
    acquire.addCatch(held, { errors: [CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });
    this.withFailureHandling(acquire, 'AcquireRunSlot', manifest).next(proceed);
    return { start: sfn.Chain.start(startWaiting).next(acquire), proceed };
  }

  private processingStep(id: string, options: ProcessingStepOptions, role: iam.Role, io: {
    jobName: string;
    inputs: Array<{ inputName: string; s3Uri: string; localPath: string }>;
    outputs: Array<{ outputName: string; s3Uri: string; localPath: string }>;
    resultPath: string;
    network: Pick<TrainingPipelineProps, 'vpc' | 'vpcSubnets'>;
  }): SageMakerProcessingTask {
    const code = this.scriptAsset(`${id}Script`, options.script, role);
    const task = new SageMakerProcessingTask(this.scope, id, {
      processingJobName: io.jobName,
      jobNamePrefix: `${this.ctx.pipelineName}-`,
      role,
      image: options.image ?? SageMakerImage.sklearn(),
      instanceType: options.instanceType ?? MlInstanceType.ML_M5_XLARGE,
      instanceCount: options.instanceCount,
      volumeSize: options.volumeSize,
      maxRuntime: processingMaxRuntime(options),
      environment: options.environment,
      containerEntrypoint: ['python3', `/opt/ml/processing/input/code/${objectName(code)}`],
      containerArguments: options.arguments,
      processingInputs: [...io.inputs, { inputName: 'code', s3Uri: code.s3ObjectUrl, localPath: '/opt/ml/processing/input/code' }],
      processingOutputs: io.outputs,
      // Without KmsKeyId SageMaker writes with the account's aws/s3 key, not the lake's.
      outputEncryptionKey: this.ctx.lake.encryptionKey,
      vpc: io.network.vpc,
      vpcSubnets: io.network.vpcSubnets,
      securityGroups: options.securityGroups,
      resultPath: io.resultPath,
      taskTimeout: sfn.Timeout.duration(processingTaskTimeout(options)),
    });
    addRetries(task, 'sageMakerJob');
    return task;
  }

  private trainingStep(props: TrainingPipelineProps): SageMakerTrainingTask {
    const options = props.training;
    const spot = options.useSpotInstances ?? false;
    const checkpoints = options.checkpoints ?? spot;
    const v = new PropsValidator(this.scope, 'TrainingPipelineInvalidProps');
    const scriptMode = trainingScriptMode(v, options);
    v.throwIfInvalid();
    // Every instance gets all the data unless the user shards: one training file would starve all but one.
    const distribution = options.distribution ?? S3DataDistribution.FULLY_REPLICATED;
    const channel = (name: string) => ({
      channelName: name,
      s3Uri: sfn.JsonPath.stringAt(`$.plan.${name}Uri`),
      contentType: options.contentType ?? 'text/csv',
      // Validation data is small and every instance scores it whole.
      distribution: name === 'train' ? distribution : S3DataDistribution.FULLY_REPLICATED,
    });
    const task = new SageMakerTrainingTask(this.scope, 'Train', {
      trainingJobName: this.jobName('train'),
      jobNamePrefix: `${this.ctx.pipelineName}-`,
      role: this.ctx.trainingRole,
      image: options.image,
      instanceType: options.instanceType,
      instanceCount: options.instanceCount,
      volumeSize: options.volumeSize,
      maxRuntime: trainingMaxRuntime(options),
      useSpotInstances: spot,
      maxWaitTime: options.maxWaitTime,
      checkpointS3Uri: checkpoints ? sfn.JsonPath.stringAt('$.plan.checkpointUri') : undefined,
      hyperparameters: options.hyperparameters,
      scriptMode,
      environment: options.environment,
      metricDefinitions: options.metricDefinitions,
      channels: [channel('train'), channel('validation')],
      outputS3Uri: sfn.JsonPath.stringAt('$.plan.modelUri'),
      outputEncryptionKey: this.ctx.lake.encryptionKey,
      enableNetworkIsolation: options.enableNetworkIsolation,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: options.securityGroups,
      resultPath: '$.training',
      taskTimeout: sfn.Timeout.duration(trainingTaskTimeout(options)),
    });
    addRetries(task, 'sageMakerJob');
    return task;
  }

  private scriptAsset(id: string, script: string, role: iam.IRole): s3assets.Asset {
    const asset = new s3assets.Asset(this.scope, id, { path: script });
    // The one script object, not the whole assets bucket.
    grantObjectRead(role, asset.bucket, asset.s3ObjectKey);
    return asset;
  }

  private metricGate(gate: ResolvedGate, pass: sfn.IChainable, reject: sfn.IChainable, manifest: ManifestWriter): sfn.IChainable {
    const valuePath = gate.source === MetricSource.TRAINING_JOB ? '$.gate.values[0]' : `$.evaluationReport.document.metrics.${gate.metricName}.value`;
    const missing = this.failStep('GateMetricMissing', 'MetricGate', manifest, {
      Error: 'GateMetricMissing',
      Cause: `Metric '${gate.metricName}' was not found in the ${gate.source === MetricSource.TRAINING_JOB ? 'training job metrics' : 'evaluation report'}`,
    });
    const record = (id: string, passed: boolean) => new sfn.Pass(this.scope, id, {
      resultPath: '$.gate',
      parameters: {
        metric: gate.metricName, threshold: gate.threshold, comparison: gate.comparison, passed,
        'value.$': valuePath,
      },
    });
    const choice = new sfn.Choice(this.scope, 'MetricGate', { comment: `${gate.metricName} ${gate.comparison} ${gate.threshold}` })
      // Rules run in order, so no comparison ever reads a missing or non-numeric value. Not(IsX: true)
      // rather than IsX: false: the same in Step Functions, and what aws-local-stepfunctions evaluates right.
      .when(sfn.Condition.not(sfn.Condition.isPresent(valuePath)), missing)
      .when(sfn.Condition.not(sfn.Condition.isNumeric(valuePath)), missing)
      .when(compare(valuePath, gate), record('GatePassed', true).next(pass))
      .otherwise(record('GateFailed', false).next(reject));
    if (gate.source !== MetricSource.TRAINING_JOB) return choice;
    const extract = new sfn.Pass(this.scope, 'ExtractGateMetric', {
      resultPath: '$.gate',
      parameters: { 'values.$': `$.training.FinalMetricDataList[?(@.MetricName == '${gate.metricName}')].Value` },
    });
    // A job that reported no metric has no FinalMetricDataList, and a Pass cannot catch the missing path.
    return new sfn.Choice(this.scope, 'HasTrainingMetrics')
      .when(sfn.Condition.isPresent('$.training.FinalMetricDataList'), extract.next(choice))
      .otherwise(missing);
  }

  private register(props: TrainingPipelineProps, manifest: ManifestWriter): sfn.IChainable {
    const register = new RegisterModelPackageTask(this.scope, 'RegisterModel', {
      registry: this.ctx.registry,
      inferenceImage: props.inferenceImage ?? props.training.image,
      modelDataUrl: sfn.JsonPath.stringAt('$.training.ModelArtifacts.S3ModelArtifacts'),
      approvalStatus: this.ctx.approvalStatus,
      modelPackageDescription: sfn.JsonPath.format('Trained by {} in execution {}', this.ctx.pipelineName, sfn.JsonPath.stringAt('$$.Execution.Name')),
      modelQualityReportUri: props.evaluation ? sfn.JsonPath.format('{}evaluation.json', sfn.JsonPath.stringAt('$.plan.evaluationUri')) : undefined,
      customerMetadata: {
        'pipeline': this.ctx.pipelineName,
        'execution': sfn.JsonPath.stringAt('$$.Execution.Id'),
        'training-job': sfn.JsonPath.stringAt('$.training.TrainingJobName'),
        'run-manifest': sfn.JsonPath.format(`s3://${this.ctx.lake.artifactsBucket.bucketName}/{}`, sfn.JsonPath.stringAt('$.plan.manifestKey')),
        ...(this.ctx.baseline ? { 'drift-baseline': sfn.JsonPath.stringAt('$.baseline.uri') } : {}),
      },
      driftBaselineUri: this.ctx.baseline ? sfn.JsonPath.stringAt('$.baseline.uri') : undefined,
      resultSelector: { 'ModelPackageArn.$': '$.ModelPackageArn' },
      resultPath: '$.registration',
    });
    addRetries(register, 'sageMakerSdk');
    const recorded = this.recordOutcome('RecordRegistered', 'REGISTERED');
    let after: sfn.Chain = sfn.Chain.start(recorded);
    if (this.ctx.deployment) {
      const deploy = buildDeployStates(this.scope, { ...this.ctx.deployment, packageArnPath: '$.registration.ModelPackageArn' }, {
        catchTask: (task, step) => { this.withFailureHandling(task, step, manifest); },
        failWith: (id, error, cause) => this.failStep(id, 'Deploy', manifest, { Error: error, Cause: cause }),
      });
      recorded.next(deploy.start);
      after = sfn.Chain.custom(recorded, [deploy.done], deploy.done);
      const currentKey = this.ctx.baseline?.currentKey;
      if (currentKey) {
        const promote = this.withFailureHandling(promoteBaselineState(this.scope, this.ctx.baseline!.function, this.ctx.lake, currentKey, this.ctx.baseline!.options.timeout), 'PromoteBaseline', manifest);
        const served = new sfn.Pass(this.scope, 'ServedBaselineUpToDate', { resultPath: sfn.JsonPath.DISCARD });
        deploy.done.next(new sfn.Choice(this.scope, 'RunModelServes', { comment: 'The run\'s model serves: its baseline becomes the drift monitor\'s' })
          .when(modelServes(), promote.next(served))
          .otherwise(served));
        after = sfn.Chain.custom(recorded, [served], served);
      }
    }
    if (props.postRegistration) after = after.next(props.postRegistration);
    after.next(manifest.entry);
    return this.withFailureHandling(register, 'RegisterModel', manifest).next(recorded);
  }

  private recordOutcome(id: string, status: string, step?: string): sfn.Pass {
    return new sfn.Pass(this.scope, id, { resultPath: '$.outcome', parameters: { status, ...(step ? { step } : {}) } });
  }

  /** Routes any failure of `task` (after its own retries) to the failure path. */
  private withFailureHandling<T extends sfn.TaskStateBase | sfn.Parallel>(task: T, step: string, manifest: ManifestWriter): T {
    const failed = this.recordOutcome(`${task.node.id}Failed`, 'FAILED', step);
    task.addCatch(failed, { resultPath: '$.error' });
    failed.next(this.failureNotification(manifest));
    return task;
  }

  private failStep(id: string, step: string, manifest: ManifestWriter, error: { Error: string; Cause: string }): sfn.IChainable {
    const record = this.recordOutcome(id, 'FAILED', step);
    const setError = new sfn.Pass(this.scope, `${id}Error`, { result: sfn.Result.fromObject(error), resultPath: '$.error' });
    return sfn.Chain.start(record).next(setError).next(this.failureNotification(manifest));
  }

  /** One notification state for every failed step: publish, then write the manifest, then fail. */
  private failureNotification(manifest: ManifestWriter): sfn.IChainable {
    if (this.failureEntryState) return this.failureEntryState;
    const notify = new tasks.SnsPublish(this.scope, 'NotifyFailure', {
      topic: this.ctx.failureTopic,
      subject: `Training pipeline ${this.ctx.pipelineName} failed`,
      message: sfn.TaskInput.fromObject({
        'pipeline': this.ctx.pipelineName,
        'execution': sfn.JsonPath.stringAt('$$.Execution.Id'),
        'step': sfn.JsonPath.stringAt('$.outcome.step'),
        'error': sfn.JsonPath.stringAt('$.error.Error'),
        'cause': sfn.JsonPath.stringAt('$.error.Cause'),
        'run-manifest': sfn.JsonPath.format(`s3://${this.ctx.lake.artifactsBucket.bucketName}/{}`, sfn.JsonPath.stringAt('$.plan.manifestKey')),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(notify, 'sns');
    // The manifest is still written; the run then ends with an error the backstop reports.
    notify.addCatch(manifest.entry, { resultPath: '$.notifyError' });
    notify.next(manifest.entry);
    this.failureEntryState = notify;
    return notify;
  }

  /**
   * Writes the run manifest with the manifest function, frees the run's slot, then ends the run
   * by its outcome. Every path of a run that got past its start claim ends here.
   */
  private manifestWriter(): ManifestWriter {
    const write = new tasks.LambdaInvoke(this.scope, 'WriteRunManifest', {
      lambdaFunction: this.ctx.manifestFunction.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        manifestBucket: this.ctx.lake.artifactsBucket.bucketName,
        manifestKey: sfn.JsonPath.stringAt('$.plan.manifestKey'),
        inputs: [{ bucket: this.ctx.lake.rawBucket.bucketName, prefix: this.ctx.inputPrefix }],
        builtInAlgorithm: this.ctx.builtInAlgorithm,
        execution: {
          id: sfn.JsonPath.stringAt('$$.Execution.Id'),
          name: sfn.JsonPath.stringAt('$$.Execution.Name'),
          startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
          stateMachine: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
          input: sfn.JsonPath.objectAt('$$.Execution.Input'),
        },
        run: sfn.JsonPath.objectAt('$'),
      }),
      resultPath: '$.manifest',
    });
    addRetries(write, 'lambda');

    const release = this.ctx.slots.release(this.scope, 'ReleaseRunSlot');
    const outcome = new sfn.Choice(this.scope, 'RunOutcome')
      // Markers are only present when set, so each rule reads only what exists.
      .when(sfn.Condition.isPresent('$.notifyError'),
        new sfn.Fail(this.scope, 'RunNotNotified', { error: 'RunNotNotified', cause: 'The run failed and its failure notification could not be sent' }))
      .when(sfn.Condition.isPresent('$.manifestError'),
        new sfn.Fail(this.scope, 'ManifestNotWritten', { error: 'RunManifestNotWritten', cause: 'The run manifest could not be written' }))
      .when(sfn.Condition.stringEquals('$.outcome.status', 'FAILED'),
        new sfn.Fail(this.scope, 'RunFailed', { error: 'TrainingPipelineFailed', cause: 'A step failed; see the failure notification and the run manifest' }))
      .when(sfn.Condition.stringEquals('$.outcome.status', 'REJECTED'), new sfn.Succeed(this.scope, 'ModelRejected', { comment: 'The model did not pass the gate' }))
      .otherwise(new sfn.Succeed(this.scope, 'ModelRegistered'));
    // Not holding a slot (a run that queued too long, or failed before it got one) is not an error.
    release.addCatch(outcome, { errors: [CONDITION_FAILED], resultPath: sfn.JsonPath.DISCARD });
    // A run that keeps its slot must not succeed quietly: it fails, and the backstop frees the slot.
    release.addCatch(new sfn.Fail(this.scope, 'RunSlotNotReleased', { error: 'RunSlotNotReleased', cause: 'The run slot could not be freed' }),
      { resultPath: '$.releaseError' });
    release.next(outcome);

    // Not through NotifyFailure, which would try to write the manifest again.
    const notWritten = new tasks.SnsPublish(this.scope, 'NotifyManifestNotWritten', {
      topic: this.ctx.failureTopic,
      subject: `Training pipeline ${this.ctx.pipelineName}: run manifest not written`,
      message: sfn.TaskInput.fromObject({
        'pipeline': this.ctx.pipelineName,
        'execution': sfn.JsonPath.stringAt('$$.Execution.Id'),
        'error': sfn.JsonPath.stringAt('$.manifestError.Error'),
        'cause': sfn.JsonPath.stringAt('$.manifestError.Cause'),
        'outcome': sfn.JsonPath.objectAt('$.outcome'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(notWritten, 'sns');
    notWritten.addCatch(release, { resultPath: '$.notifyError' });
    notWritten.next(release);
    write.addCatch(notWritten, { resultPath: '$.manifestError' });
    return { entry: sfn.Chain.start(write).next(release).startState };
  }
}

/** The file name an asset's object gets when SageMaker copies it into a container folder. */
function objectName(asset: s3assets.Asset): string {
  return asset.s3ObjectKey.split('/').pop()!;
}

/** What a promotion needs to point the drift monitor at the baseline of the version it served. */
export interface ServedBaselineProps {
  readonly lake: IDataLake;
  readonly registry: IModelRegistry;
  readonly pipelineName: string;
  readonly runsPrefix: string;
  /** The pipeline's baseline function, which copies baselines (GET, check, PUT). */
  readonly function: PipelineFunction;
  /** Where the drift monitor reads the served model's baseline. */
  readonly currentKey: string;
  /** The baseline function's timeout (`baseline.timeout`): the copy runs under the same limit as the run's. */
  readonly timeout: Duration;
}

/**
 * States for a `ModelPromotion`'s `whenServed`: once a version serves (a MANUAL approval, or a
 * rollback in either mode), its run's baseline becomes the drift monitor's, as a run that
 * deploys its own model does. The run is found in the version's metadata (`pipeline`,
 * `execution`, written at registration); a version this pipeline did not register keeps the
 * monitor's baseline as it is.
 */
export function servedBaselineStates(scope: Construct, props: ServedBaselineProps): sfn.IChainable {
  const metadata = '$.servedPackage.CustomerMetadataProperties';
  const describe = new tasks.CallAwsService(scope, 'DescribeServedVersion', {
    service: 'sagemaker',
    action: 'describeModelPackage',
    iamAction: 'sagemaker:DescribeModelPackage',
    iamResources: [props.registry.modelPackageArnPattern],
    parameters: { 'ModelPackageName.$': '$.modelPackageArn' },
    // The whole answer: a version without metadata would make a selector's path fail uncatchably.
    resultPath: '$.servedPackage',
  });
  addRetries(describe, 'sageMakerSdk');
  const bucket = props.lake.artifactsBucket.bucketName;
  // Execution ARNs have eight ':'-separated parts, the name last; execution names cannot hold ':'.
  const copy = new tasks.LambdaInvoke(scope, 'PromoteServedBaseline', {
    comment: `Copies the served version's baseline to ${props.currentKey} for the drift monitor`,
    lambdaFunction: props.function.function,
    payloadResponseOnly: true,
    payload: sfn.TaskInput.fromObject({
      promote: {
        from: { bucket, key: sfn.JsonPath.format(`${props.runsPrefix}{}/baseline/baseline.json`, sfn.JsonPath.arrayGetItem(sfn.JsonPath.stringSplit(sfn.JsonPath.stringAt(`${metadata}.execution`), ':'), 7)) },
        to: { bucket, key: props.currentKey },
      },
    }),
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: baselineTaskTimeout(props.timeout),
  });
  addRetries(copy, 'lambda');
  const fromThisPipeline = sfn.Condition.and(
    sfn.Condition.isPresent(`${metadata}.pipeline`), sfn.Condition.stringEquals(`${metadata}.pipeline`, props.pipelineName),
    sfn.Condition.isPresent(`${metadata}.execution`), sfn.Condition.stringMatches(`${metadata}.execution`, 'arn:*:states:*:*:execution:*:*'));
  return describe.next(new sfn.Choice(scope, 'ServedVersionHasRunBaseline', { comment: 'Registered by a run of this pipeline, which computed its baseline' })
    .when(fromThisPipeline, copy)
    .otherwise(new sfn.Pass(scope, 'KeepMonitorBaseline', { comment: 'Another registrar\'s version: the monitor keeps its baseline' })));
}
