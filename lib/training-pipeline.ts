import { Annotations, ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import { DataZone, IDataLake } from './data-lake';
import { MlInstanceType } from './instance-type';
import { IModelRegistry, ModelApprovalStatus, ModelRegistry } from './model-registry';
import { PropsValidator } from './private/errors';
import { acknowledgeInlinePolicy, acknowledgeWildcards, GRANT_ACTION_GROUPS } from './private/nag';
import { RunManifestFunction } from './private/run-manifest-function';
import { SageMakerImage } from './sagemaker-image';
import { S3DataDistribution } from './tasks/job-options';
import { SageMakerProcessingTask } from './tasks/processing-job';
import { RegisterModelPackageTask } from './tasks/register-model-package';
import { SageMakerTrainingTask } from './tasks/training-job';
import { GateComparison, MetricGate, MetricSource, ProcessingStepOptions, TrainingStepOptions } from './training-pipeline-options';

/**
 * Properties of a `TrainingPipeline`.
 */
export interface TrainingPipelineProps {
  /** The data lake: raw data in, curated data and artifacts out. */
  readonly dataLake: IDataLake;

  /** The training step. */
  readonly training: TrainingStepOptions;

  /**
   * Name of the pipeline: the state machine's name and the start of every job name and S3 prefix.
   * 1 to 24 letters, digits and hyphens (job names add a 38-character suffix; SageMaker allows 63).
   *
   * @default - derived from the construct path
   */
  readonly pipelineName?: string;

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
   * The registry the models are registered in.
   *
   * @default - a new `ModelRegistry`
   */
  readonly registry?: IModelRegistry;

  /**
   * The approval status of models that pass the gate: `APPROVED` promotes them automatically,
   * `PENDING_MANUAL_APPROVAL` waits for a person in the registry.
   *
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
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
   * At most this many runs proceed at once; later runs wait (oldest first) for a slot.
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
   * A run, waiting included, is stopped after this long.
   *
   * @default Duration.days(7)
   */
  readonly timeout?: Duration;

  /**
   * States run after a model is registered, e.g. a deployment stage; they see the run's
   * state with `$.registration.ModelPackageArn`.
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

const RUNS = 'runs';
/** Length of the MD5 hex digest that makes job names unique per execution. */
const HASH_LENGTH = 32;
const PIPELINE_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,22}[a-zA-Z0-9])?$/;

/**
 * A Standard Step Functions workflow that turns data in the lake into a registered model:
 * preprocess (processing job) -> train (GPU capable, spot with checkpoints) -> evaluate ->
 * metric gate -> register in the model registry -> optional post-registration states.
 *
 * Job names derive from the execution, every run writes its outputs under its own prefix and a
 * run manifest to `<artifacts>/<pipelineName>/runs/<execution>/manifest.json`; failures notify
 * `failureTopic`. New data, a schedule or a manual start begins a run.
 */
export class TrainingPipeline extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The registry that receives the models. */
  public readonly registry: IModelRegistry;
  /** The topic that receives a message for every failed run (KMS-encrypted). */
  public readonly failureTopic: sns.Topic;
  /** The name of the pipeline. */
  public readonly pipelineName: string;
  /** The role the training job runs as. */
  public readonly trainingRole: iam.Role;
  /** The role the preprocessing job runs as, when there is one. */
  public readonly preprocessingRole?: iam.Role;
  /** The role the evaluation job runs as, when there is one. */
  public readonly evaluationRole?: iam.Role;

  private readonly lake: IDataLake;
  private manifestFunction!: RunManifestFunction;
  private readonly inputPrefix: string;
  private readonly runsPrefix: string;
  private failureEntry?: sfn.IChainable;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.pipelineName = props.pipelineName ?? Names.uniqueResourceName(this, { maxLength: 24, separator: '-' }).toLowerCase();
    this.inputPrefix = props.inputPrefix ?? 'training-data/';
    this.runsPrefix = `${this.pipelineName}/${RUNS}/`;
    this.lake = props.dataLake;
    const gate = resolveGate(props);
    validateProps(this, props, this.pipelineName, gate);

    this.registry = props.registry ?? new ModelRegistry(this, 'Registry', {
      description: `Models trained by pipeline ${this.pipelineName}`,
    });

    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the logs and notifications of training pipeline ${this.pipelineName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const region = Stack.of(this).region;
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${region}.amazonaws.com`));
    this.failureTopic = new sns.Topic(this, 'FailureTopic', {
      displayName: `Training pipeline ${this.pipelineName} failures`,
      masterKey: key,
      enforceSSL: true,
    });

    this.preprocessingRole = props.preprocessing ? this.createJobRole('PreprocessingRole', 'ProcessingJobs') : undefined;
    this.trainingRole = this.createJobRole('TrainingRole', 'TrainingJobs');
    this.evaluationRole = props.evaluation ? this.createJobRole('EvaluationRole', 'ProcessingJobs') : undefined;
    this.grantDataAccess(props);

    const definition = this.buildDefinition(props, gate, key);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${this.pipelineName}`,
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.pipelineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.days(7),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // Reads evaluation reports; publishes to the encrypted failure topic.
    if (props.evaluation) this.lake.encryptionKey.grantDecrypt(this.stateMachine);
    key.grant(this.stateMachine, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.acknowledgeStateMachineFindings();
    this.createTriggers(props);
  }

  /** The S3 URI of the run manifest of one execution. */
  public runManifestUri(executionName: string): string {
    return this.lake.artifactsBucket.s3UrlForObject(`${this.runsPrefix}${executionName}/manifest.json`);
  }

  /** An execution role for SageMaker jobs: logs and metrics of its job kind only; data access is granted per step. */
  private createJobRole(id: string, logGroupKind: 'TrainingJobs' | 'ProcessingJobs'): iam.Role {
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `SageMaker ${logGroupKind} of training pipeline ${this.pipelineName}`,
    });
    const stack = Stack.of(this);
    const logGroups = stack.formatArn({
      service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/${logGroupKind}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [logGroups],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*'] } },
    }));
    acknowledgeWildcards(role, { resources: [logGroups] },
      'SageMaker names a log stream per job instance inside its own log group; the grant is limited to that group.');
    acknowledgeWildcards(role, { resources: ['*'] },
      'cloudwatch:PutMetricData has no resource-level permissions; a condition limits it to the /aws/sagemaker/ namespaces.');
    acknowledgeInlinePolicy(role);
    return role;
  }

  /** Each job reads only its inputs and writes only its outputs, within this pipeline's prefixes. */
  private grantDataAccess(props: TrainingPipelineProps): void {
    const runs = `${this.runsPrefix}*`;
    if (this.preprocessingRole) {
      this.lake.grantRead(this.preprocessingRole, DataZone.RAW, `${this.inputPrefix}*`);
      this.lake.grantWrite(this.preprocessingRole, DataZone.CURATED, runs);
      this.lake.grantRead(this.trainingRole, DataZone.CURATED, runs);
    } else {
      this.lake.grantRead(this.trainingRole, DataZone.RAW, `${this.inputPrefix}*`);
    }
    // Read as well as write: a resumed spot job reads its checkpoints back.
    this.lake.grantReadWrite(this.trainingRole, DataZone.ARTIFACTS, runs);
    if (this.evaluationRole) {
      this.lake.grantRead(this.evaluationRole, props.preprocessing ? DataZone.CURATED : DataZone.RAW, props.preprocessing ? runs : `${this.inputPrefix}*`);
      this.lake.grantReadWrite(this.evaluationRole, DataZone.ARTIFACTS, runs);
    }
    for (const role of [this.preprocessingRole, this.trainingRole, this.evaluationRole]) {
      if (role) this.acknowledgeDataGrants(role);
    }
  }

  /** The object wildcards of this pipeline's prefixes and CDK's grant action groups, nothing broader. */
  private acknowledgeDataGrants(scope: IConstruct): void {
    acknowledgeWildcards(scope, {
      actions: GRANT_ACTION_GROUPS,
      resources: [
        this.lake.rawBucket.arnForObjects(`${this.inputPrefix}*`),
        this.lake.curatedBucket.arnForObjects(`${this.runsPrefix}*`),
        this.lake.artifactsBucket.arnForObjects(`${this.runsPrefix}*`),
      ],
    }, `Data access is limited to this pipeline's prefixes (${this.inputPrefix}* of the raw zone, ${this.runsPrefix}* of the others), `
      + 'written with the object wildcards and action groups of CDK\'s S3 and KMS grants.');
  }

  private buildDefinition(props: TrainingPipelineProps, gate: ResolvedGate | undefined, key: kms.IKey): sfn.IChainable {
    const manifest = this.manifestWriter(props, key);
    const plan = this.planRun(props);
    const concurrency = this.concurrencyGuard(props, manifest);

    const steps: sfn.IChainable[] = [];
    if (props.preprocessing && this.preprocessingRole) {
      steps.push(this.withFailureHandling(this.processingStep('Preprocess', props.preprocessing, this.preprocessingRole, {
        jobName: '$.plan.preprocessingJob',
        inputs: [{ inputName: 'data', s3Uri: this.lake.rawBucket.s3UrlForObject(this.inputPrefix), localPath: '/opt/ml/processing/input/data' }],
        outputs: ['train', 'validation', 'test', 'baseline'].map((name) => ({
          outputName: name, s3Uri: sfn.JsonPath.stringAt(`$.plan.${name}Uri`), localPath: `/opt/ml/processing/output/${name}`,
        })),
        resultPath: '$.preprocessing',
      }), 'Preprocess', manifest));
    }
    steps.push(this.withFailureHandling(this.trainingStep(props), 'Train', manifest));
    if (props.evaluation && this.evaluationRole) {
      steps.push(this.withFailureHandling(this.processingStep('Evaluate', props.evaluation, this.evaluationRole, {
        jobName: '$.plan.evaluationJob',
        inputs: [
          { inputName: 'model', s3Uri: sfn.JsonPath.stringAt('$.training.ModelArtifacts.S3ModelArtifacts'), localPath: '/opt/ml/processing/model' },
          { inputName: 'test', s3Uri: sfn.JsonPath.stringAt('$.plan.testUri'), localPath: '/opt/ml/processing/test' },
        ],
        outputs: [{ outputName: 'evaluation', s3Uri: sfn.JsonPath.stringAt('$.plan.evaluationUri'), localPath: '/opt/ml/processing/evaluation' }],
        resultPath: '$.evaluation',
      }), 'Evaluate', manifest));
      steps.push(this.withFailureHandling(new tasks.CallAwsService(this, 'ReadEvaluationReport', {
        comment: 'Reads evaluation.json so the gate and the run manifest can use it',
        service: 's3',
        action: 'getObject',
        iamAction: 's3:GetObject',
        iamResources: [this.lake.artifactsBucket.arnForObjects(`${this.runsPrefix}*`)],
        parameters: { Bucket: this.lake.artifactsBucket.bucketName, Key: sfn.JsonPath.stringAt('$.plan.evaluationKey') },
        resultSelector: { 'document.$': 'States.StringToJson($.Body)' },
        resultPath: '$.evaluationReport',
      }), 'ReadEvaluationReport', manifest));
    }

    const registered = this.register(props, manifest);
    const rejected = this.recordOutcome('RecordRejected', 'REJECTED').next(manifest.entry);
    const decide = gate ? this.metricGate(gate, registered, rejected, manifest) : registered;

    concurrency.proceed.next(steps[0]);
    steps.forEach((step, i) => (step as sfn.TaskStateBase).next(steps[i + 1] ?? decide));
    return sfn.Chain.start(plan).next(concurrency.start);
  }

  /** Names, URIs and keys of this run, derived from the execution so reruns never collide. */
  private planRun(props: TrainingPipelineProps): sfn.IChainable {
    const start = new sfn.Pass(this, 'StartRun', {
      comment: 'Keeps the trigger and derives a per-execution hash for job names',
      parameters: {
        'trigger.$': '$',
        'run': {
          'name.$': '$$.Execution.Name',
          'hash.$': "States.Hash($$.Execution.Id, 'MD5')",
        },
      },
    });
    const artifacts = this.lake.artifactsBucket.bucketName;
    const curated = this.lake.curatedBucket.bucketName;
    const raw = this.lake.rawBucket.bucketName;
    const runUri = (bucket: string, suffix: string) => `States.Format('s3://${bucket}/${this.runsPrefix}{}/${suffix}', $.run.name)`;
    // Preprocessed splits are the run's own; without preprocessing they are fixed prefixes of the raw zone.
    const splits = Object.fromEntries(['train', 'validation', 'test', 'baseline'].map((split) => props.preprocessing
      ? [`${split}Uri.$`, runUri(curated, `${split}/`)]
      : [`${split}Uri`, `s3://${raw}/${this.inputPrefix}${split}/`]));
    const jobName = (stage: string) => `States.Format('${this.pipelineName}-${stage}-{}', $.run.hash)`;
    const plan = new sfn.Pass(this, 'PlanRun', {
      comment: 'Job names and S3 locations of this run',
      resultPath: '$.plan',
      parameters: {
        'preprocessingJob.$': jobName('prep'),
        'trainingJob.$': jobName('train'),
        'evaluationJob.$': jobName('eval'),
        ...splits,
        'modelUri.$': runUri(artifacts, 'model/'),
        'checkpointUri.$': runUri(artifacts, 'checkpoints/'),
        'evaluationUri.$': runUri(artifacts, 'evaluation/'),
        'evaluationKey.$': `States.Format('${this.runsPrefix}{}/evaluation/evaluation.json', $.run.name)`,
        'manifestKey.$': `States.Format('${this.runsPrefix}{}/manifest.json', $.run.name)`,
      },
    });
    return sfn.Chain.start(start).next(plan);
  }

  /**
   * Bounds concurrent runs without a lock: a run proceeds when it is among the oldest
   * `maxConcurrentRuns` running executions, else waits and checks again, so the oldest
   * always make progress and waiting runs never block each other.
   */
  private concurrencyGuard(props: TrainingPipelineProps, manifest: ManifestWriter): { start: sfn.IChainable; proceed: sfn.Pass } {
    const max = props.maxConcurrentRuns ?? 1;
    const stateMachineArn = Stack.of(this).formatArn({
      service: 'states', resource: 'stateMachine', resourceName: this.pipelineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const list = new tasks.CallAwsService(this, 'ListRunningRuns', {
      service: 'sfn',
      action: 'listExecutions',
      iamAction: 'states:ListExecutions',
      iamResources: [stateMachineArn],
      parameters: { StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'), StatusFilter: 'RUNNING', MaxResults: 1000 },
      // Executions come newest first: the last `max` are the oldest running ones.
      resultSelector: { 'oldest.$': `$.Executions[-${max}:].ExecutionArn` },
      resultPath: '$.concurrency',
    });
    list.addRetry({ errors: ['Sfn.SfnException', 'Sfn.ThrottlingException'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 5 });
    const mayProceed = new sfn.Pass(this, 'CheckSlot', {
      resultPath: '$.concurrency',
      parameters: { 'mayProceed.$': 'States.ArrayContains($.concurrency.oldest, $$.Execution.Id)' },
    });
    const wait = new sfn.Wait(this, 'WaitForSlot', {
      comment: `At most ${max} run(s) at once`,
      time: sfn.WaitTime.duration(props.concurrencyPollInterval ?? Duration.minutes(5)),
    });
    const proceed = new sfn.Pass(this, 'SlotAcquired', { resultPath: sfn.JsonPath.DISCARD });
    const choice = new sfn.Choice(this, 'RunNow')
      .when(sfn.Condition.booleanEquals('$.concurrency.mayProceed', true), proceed)
      .otherwise(wait.next(list));
    return { start: sfn.Chain.start(this.withFailureHandling(list, 'ListRunningRuns', manifest)).next(mayProceed).next(choice), proceed };
  }

  private processingStep(id: string, options: ProcessingStepOptions, role: iam.Role, io: {
    jobName: string;
    inputs: Array<{ inputName: string; s3Uri: string; localPath: string }>;
    outputs: Array<{ outputName: string; s3Uri: string; localPath: string }>;
    resultPath: string;
  }): SageMakerProcessingTask {
    const code = this.scriptAsset(`${id}Script`, options.script, role);
    const maxRuntime = options.maxRuntime ?? Duration.hours(2);
    const task = new SageMakerProcessingTask(this, id, {
      processingJobName: sfn.JsonPath.stringAt(io.jobName),
      jobNamePrefix: `${this.pipelineName}-`,
      role,
      image: options.image ?? SageMakerImage.sklearn(),
      instanceType: options.instanceType ?? MlInstanceType.ML_M5_XLARGE,
      instanceCount: options.instanceCount,
      volumeSize: options.volumeSize,
      maxRuntime,
      environment: options.environment,
      containerEntrypoint: ['python3', `/opt/ml/processing/input/code/${code.s3ObjectKey}`],
      containerArguments: options.arguments,
      processingInputs: [...io.inputs, { inputName: 'code', s3Uri: code.s3ObjectUrl, localPath: '/opt/ml/processing/input/code' }],
      processingOutputs: io.outputs,
      resultPath: io.resultPath,
      taskTimeout: sfn.Timeout.duration(maxRuntime.plus(Duration.hours(1))),
    });
    return task;
  }

  private trainingStep(props: TrainingPipelineProps): SageMakerTrainingTask {
    const options = props.training;
    const spot = options.useSpotInstances ?? false;
    const checkpoints = options.checkpoints ?? spot;
    const count = options.instanceCount ?? 1;
    const maxRuntime = options.maxRuntime ?? Duration.hours(24);
    const hyperparameters = { ...options.hyperparameters };
    if (options.script) {
      const code = this.scriptAsset('TrainingScript', options.script, this.trainingRole);
      // Script mode: the framework container downloads the program and runs it.
      hyperparameters.sagemaker_program = code.s3ObjectKey;
      hyperparameters.sagemaker_submit_directory = code.s3ObjectUrl;
    }
    const distribution = options.distribution ?? (count > 1 ? S3DataDistribution.SHARDED_BY_S3_KEY : S3DataDistribution.FULLY_REPLICATED);
    const channel = (name: string) => ({
      channelName: name,
      s3Uri: sfn.JsonPath.stringAt(`$.plan.${name}Uri`),
      contentType: options.contentType ?? 'text/csv',
      // Validation data is small and every instance scores it whole.
      distribution: name === 'train' ? distribution : S3DataDistribution.FULLY_REPLICATED,
    });
    const wait = spot ? (options.maxWaitTime ?? Duration.seconds(Math.min(maxRuntime.toSeconds() * 2, Duration.days(28).toSeconds()))) : maxRuntime;
    return new SageMakerTrainingTask(this, 'Train', {
      trainingJobName: sfn.JsonPath.stringAt('$.plan.trainingJob'),
      jobNamePrefix: `${this.pipelineName}-`,
      role: this.trainingRole,
      image: options.image,
      instanceType: options.instanceType,
      instanceCount: options.instanceCount,
      volumeSize: options.volumeSize,
      maxRuntime,
      useSpotInstances: spot,
      // Without spot a given maxWaitTime reaches the task, which rejects it.
      maxWaitTime: spot ? wait : options.maxWaitTime,
      checkpointS3Uri: checkpoints ? sfn.JsonPath.stringAt('$.plan.checkpointUri') : undefined,
      hyperparameters,
      environment: options.environment,
      metricDefinitions: options.metricDefinitions,
      channels: [channel('train'), channel('validation')],
      outputS3Uri: sfn.JsonPath.stringAt('$.plan.modelUri'),
      enableNetworkIsolation: options.enableNetworkIsolation,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      resultPath: '$.training',
      taskTimeout: sfn.Timeout.duration(wait.plus(Duration.hours(1))),
    });
  }

  private scriptAsset(id: string, script: string, role: iam.IRole): s3assets.Asset {
    const asset = new s3assets.Asset(this, id, { path: script });
    // The one script object, not the whole assets bucket.
    asset.bucket.grantRead(role, asset.s3ObjectKey);
    return asset;
  }

  private metricGate(gate: ResolvedGate, pass: sfn.IChainable, reject: sfn.IChainable, manifest: ManifestWriter): sfn.IChainable {
    const valuePath = gate.source === MetricSource.TRAINING_JOB ? '$.gate.values[0]' : `$.evaluationReport.document.metrics.${gate.metricName}.value`;
    const missing = this.failStep('GateMetricMissing', manifest, {
      Error: 'GateMetricMissing',
      Cause: `Metric '${gate.metricName}' was not found in the ${gate.source === MetricSource.TRAINING_JOB ? 'training job metrics' : 'evaluation report'}`,
    });
    const record = (id: string, passed: boolean) => new sfn.Pass(this, id, {
      resultPath: '$.gate',
      parameters: {
        metric: gate.metricName, threshold: gate.threshold, comparison: gate.comparison, passed,
        'value.$': valuePath,
      },
    });
    const choice = new sfn.Choice(this, 'MetricGate', { comment: `${gate.metricName} ${gate.comparison} ${gate.threshold}` })
      // Rules run in order, so no comparison ever reads a missing or non-numeric value. Not(IsX: true)
      // rather than IsX: false: the same in Step Functions, and what aws-local-stepfunctions evaluates right.
      .when(sfn.Condition.not(sfn.Condition.isPresent(valuePath)), missing)
      .when(sfn.Condition.not(sfn.Condition.isNumeric(valuePath)), missing)
      .when(compare(valuePath, gate), record('GatePassed', true).next(pass))
      .otherwise(record('GateFailed', false).next(reject));
    if (gate.source !== MetricSource.TRAINING_JOB) return choice;
    const extract = new sfn.Pass(this, 'ExtractGateMetric', {
      resultPath: '$.gate',
      parameters: { 'values.$': `$.training.FinalMetricDataList[?(@.MetricName == '${gate.metricName}')].Value` },
    });
    return sfn.Chain.start(extract).next(choice);
  }

  private register(props: TrainingPipelineProps, manifest: ManifestWriter): sfn.IChainable {
    const register = new RegisterModelPackageTask(this, 'RegisterModel', {
      registry: this.registry,
      inferenceImage: props.inferenceImage ?? props.training.image,
      modelDataUrl: sfn.JsonPath.stringAt('$.training.ModelArtifacts.S3ModelArtifacts'),
      approvalStatus: props.approvalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
      modelPackageDescription: sfn.JsonPath.format('Trained by {} in execution {}', this.pipelineName, sfn.JsonPath.stringAt('$$.Execution.Name')),
      modelQualityReportUri: props.evaluation ? sfn.JsonPath.format('{}evaluation.json', sfn.JsonPath.stringAt('$.plan.evaluationUri')) : undefined,
      customerMetadata: {
        'pipeline': this.pipelineName,
        'execution': sfn.JsonPath.stringAt('$$.Execution.Id'),
        'training-job': sfn.JsonPath.stringAt('$.training.TrainingJobName'),
        'run-manifest': sfn.JsonPath.format(`s3://${this.lake.artifactsBucket.bucketName}/{}`, sfn.JsonPath.stringAt('$.plan.manifestKey')),
      },
      resultSelector: { 'ModelPackageArn.$': '$.ModelPackageArn' },
      resultPath: '$.registration',
    });
    addSageMakerRetries(register);
    const recorded = this.recordOutcome('RecordRegistered', 'REGISTERED');
    const after = props.postRegistration ? recorded.next(props.postRegistration) : recorded;
    sfn.Chain.start(after).next(manifest.entry);
    return this.withFailureHandling(register, 'RegisterModel', manifest).next(recorded);
  }

  private recordOutcome(id: string, status: string, step?: string): sfn.Pass {
    return new sfn.Pass(this, id, { resultPath: '$.outcome', parameters: { status, ...(step ? { step } : {}) } });
  }

  /** Retries SageMaker throttling and capacity errors, and routes any other failure to the failure path. */
  private withFailureHandling<T extends sfn.TaskStateBase>(task: T, step: string, manifest: ManifestWriter): T {
    if (task instanceof SageMakerProcessingTask || task instanceof SageMakerTrainingTask) addSageMakerRetries(task);
    const failed = this.recordOutcome(`${step}Failed`, 'FAILED', step);
    task.addCatch(failed, { resultPath: '$.error' });
    failed.next(this.failureNotification(manifest));
    return task;
  }

  private failStep(id: string, manifest: ManifestWriter, error: { Error: string; Cause: string }): sfn.IChainable {
    const record = new sfn.Pass(this, id, {
      parameters: { status: 'FAILED', step: 'MetricGate' },
      resultPath: '$.outcome',
    });
    const setError = new sfn.Pass(this, `${id}Error`, { result: sfn.Result.fromObject(error), resultPath: '$.error' });
    return sfn.Chain.start(record).next(setError).next(this.failureNotification(manifest));
  }

  /** One notification state for every failed step: publish, then write the manifest, then fail. */
  private failureNotification(manifest: ManifestWriter): sfn.IChainable {
    if (this.failureEntry) return this.failureEntry;
    const notify = new tasks.SnsPublish(this, 'NotifyFailure', {
      topic: this.failureTopic,
      subject: `Training pipeline ${this.pipelineName} failed`,
      message: sfn.TaskInput.fromObject({
        'pipeline': this.pipelineName,
        'execution': sfn.JsonPath.stringAt('$$.Execution.Id'),
        'step': sfn.JsonPath.stringAt('$.outcome.step'),
        'error': sfn.JsonPath.stringAt('$.error.Error'),
        'cause': sfn.JsonPath.stringAt('$.error.Cause'),
        'run-manifest': sfn.JsonPath.format(`s3://${this.lake.artifactsBucket.bucketName}/{}`, sfn.JsonPath.stringAt('$.plan.manifestKey')),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    notify.addRetry({ errors: ['SNS.SdkClientException', 'SNS.ThrottledException', 'SNS.InternalErrorException'], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3 });
    notify.next(manifest.entry);
    this.failureEntry = notify;
    return notify;
  }

  /** A Lambda function that writes the run manifest, then a final choice on the outcome. */
  private manifestWriter(props: TrainingPipelineProps, key: kms.IKey): ManifestWriter {
    const fn = new RunManifestFunction(this, 'RunManifestFunction', {
      encryptionKey: key, logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR, vpc: props.vpc, vpcSubnets: props.vpcSubnets,
    });
    this.manifestFunction = fn;
    this.lake.grantWrite(fn, DataZone.ARTIFACTS, `${this.runsPrefix}*`);
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucketVersions'],
      resources: [this.lake.rawBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${this.inputPrefix}*`] } },
    }));
    this.acknowledgeDataGrants(fn.role!);
    const write = new tasks.LambdaInvoke(this, 'WriteRunManifest', {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        manifestBucket: this.lake.artifactsBucket.bucketName,
        manifestKey: sfn.JsonPath.stringAt('$.plan.manifestKey'),
        inputs: [{ bucket: this.lake.rawBucket.bucketName, prefix: this.inputPrefix }],
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
    const outcome = new sfn.Choice(this, 'RunOutcome')
      .when(sfn.Condition.stringEquals('$.outcome.status', 'FAILED'),
        new sfn.Fail(this, 'RunFailed', { error: 'TrainingPipelineFailed', cause: 'A step failed; see the failure notification and the run manifest' }))
      .when(sfn.Condition.stringEquals('$.outcome.status', 'REJECTED'), new sfn.Succeed(this, 'ModelRejected', { comment: 'The model did not pass the gate' }))
      .otherwise(new sfn.Succeed(this, 'ModelRegistered'));
    write.addCatch(new sfn.Fail(this, 'ManifestNotWritten', { error: 'RunManifestNotWritten', cause: 'The run manifest could not be written' }), { resultPath: '$.error' });
    return { entry: sfn.Chain.start(write).next(outcome).startState };
  }

  private createTriggers(props: TrainingPipelineProps): void {
    const role = new iam.Role(this, 'TriggerRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
    acknowledgeInlinePolicy(role);
    if (props.triggerOnNewData ?? true) {
      new events.Rule(this, 'NewDataTrigger', {
        description: `Starts training pipeline ${this.pipelineName} when data arrives under ${this.inputPrefix}`,
        eventPattern: this.lake.objectCreatedEventPattern(DataZone.RAW, this.inputPrefix, props.triggerKeySuffix),
        targets: [new targets.SfnStateMachine(this.stateMachine, {
          role,
          input: events.RuleTargetInput.fromObject({
            trigger: 'new-data',
            bucket: events.EventField.fromPath('$.detail.bucket.name'),
            key: events.EventField.fromPath('$.detail.object.key'),
            versionId: events.EventField.fromPath('$.detail.object.version-id'),
          }),
        })],
      });
    }
    if (props.schedule) {
      new events.Rule(this, 'ScheduleTrigger', {
        description: `Starts training pipeline ${this.pipelineName} on a schedule`,
        schedule: props.schedule,
        targets: [new targets.SfnStateMachine(this.stateMachine, { role, input: events.RuleTargetInput.fromObject({ trigger: 'schedule' }) })],
      });
    }
  }

  private acknowledgeStateMachineFindings(): void {
    const role = this.stateMachine.role;
    const stack = Stack.of(this);
    const jobs = (kind: string) => stack.formatArn({ service: 'sagemaker', resource: kind, resourceName: `${this.pipelineName}-*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    acknowledgeWildcards(role, {
      resources: [jobs('processing-job'), jobs('training-job'), this.registry.modelPackageArnPattern, this.lake.artifactsBucket.arnForObjects(`${this.runsPrefix}*`)],
    }, `Jobs are named per execution under ${this.pipelineName}-, reports are read under ${this.runsPrefix}, and model versions are numbered by SageMaker within this group.`);
    acknowledgeWildcards(role, { resources: [`${this.manifestFunction.functionArn}:*`] },
      'Step Functions may invoke any version of the run manifest function it owns.');
    acknowledgeWildcards(role, { resources: ['*'] }, 'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level permissions.');
    acknowledgeInlinePolicy(role);
  }
}

interface ManifestWriter {
  readonly entry: sfn.State;
}

interface ResolvedGate {
  readonly metricName: string;
  readonly threshold: number;
  readonly comparison: GateComparison;
  readonly source: MetricSource;
}

function resolveGate(props: TrainingPipelineProps): ResolvedGate | undefined {
  if (!props.gate) return undefined;
  return {
    metricName: props.gate.metricName,
    threshold: props.gate.threshold,
    comparison: props.gate.comparison ?? GateComparison.GREATER_THAN_OR_EQUAL,
    source: props.gate.source ?? (props.evaluation ? MetricSource.EVALUATION_REPORT : MetricSource.TRAINING_JOB),
  };
}

function compare(path: string, gate: ResolvedGate): sfn.Condition {
  switch (gate.comparison) {
    case GateComparison.GREATER_THAN_OR_EQUAL: return sfn.Condition.numberGreaterThanEquals(path, gate.threshold);
    case GateComparison.GREATER_THAN: return sfn.Condition.numberGreaterThan(path, gate.threshold);
    case GateComparison.LESS_THAN_OR_EQUAL: return sfn.Condition.numberLessThanEquals(path, gate.threshold);
    case GateComparison.LESS_THAN: return sfn.Condition.numberLessThan(path, gate.threshold);
  }
}

/** AWS's guidance for SageMaker API errors: throttling retried fast, capacity limits slowly. */
function addSageMakerRetries(task: sfn.TaskStateBase): void {
  task.addRetry({ errors: ['SageMaker.ResourceLimitExceededException', 'SageMaker.ResourceLimitExceeded'], interval: Duration.seconds(60), backoffRate: 2, maxAttempts: 5 });
  task.addRetry({ errors: ['SageMaker.ThrottlingException', 'SageMaker.AmazonSageMakerException'], interval: Duration.seconds(1), backoffRate: 1.1, maxAttempts: 8 });
}


function validateProps(scope: Construct, props: TrainingPipelineProps, pipelineName: string, gate: ResolvedGate | undefined): void {
  const v = new PropsValidator(scope, 'TrainingPipelineInvalidProps');
  v.checkResolved([pipelineName], () => !PIPELINE_NAME.test(pipelineName),
    `'pipelineName' ('${pipelineName}') must be 1 to 24 letters, digits and hyphens, starting and ending with a letter or digit `
    + `(job names add '-train-' and a ${HASH_LENGTH}-character hash, and SageMaker allows 63); use e.g. 'churn'`);
  const prefix = props.inputPrefix ?? 'training-data/';
  v.checkResolved([prefix], () => prefix.startsWith('/') || !prefix.endsWith('/') || prefix.includes('*'),
    `'inputPrefix' ('${prefix}') must be a key prefix ending in '/' without a leading '/' or wildcards; use e.g. 'training-data/'`);
  const max = props.maxConcurrentRuns;
  v.check(max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000),
    `'maxConcurrentRuns' (${max}) must be a whole number from 1 to 1000; use 1 to run one at a time`);
  v.check(props.triggerKeySuffix !== undefined && props.triggerOnNewData === false,
    `'triggerKeySuffix' ('${props.triggerKeySuffix}') has no effect with 'triggerOnNewData: false'; remove one of them`);
  v.check(props.training.script !== undefined && props.training.enableNetworkIsolation === true,
    `'training.enableNetworkIsolation' (true) cannot be used with 'training.script': the container downloads the script from S3; bake the script into the image instead`);
  if (gate) {
    v.check(!Number.isFinite(gate.threshold), `'gate.threshold' (${gate.threshold}) must be a finite number`);
    if (gate.source === MetricSource.TRAINING_JOB) {
      const defined = (props.training.metricDefinitions ?? []).map((m) => m.name);
      v.check(!props.training.image.reportsOwnMetrics && !defined.includes(gate.metricName),
        `'gate.metricName' ('${gate.metricName}') is not among 'training.metricDefinitions' (${defined.length ? defined.map((n) => `'${n}'`).join(', ') : 'none'}); `
        + `add { name: '${gate.metricName}', regex: '${gate.metricName}=([0-9\\\\.]+)' } or gate on a defined metric`);
      v.check(gate.metricName.includes("'"), `'gate.metricName' ('${gate.metricName}') must not contain quotes`);
    } else {
      v.check(props.evaluation === undefined,
        `'gate.source' (EVALUATION_REPORT) needs an 'evaluation' step that writes the report; add one or use MetricSource.TRAINING_JOB`);
      v.check(!/^[A-Za-z_][A-Za-z0-9_]*$/.test(gate.metricName),
        `'gate.metricName' ('${gate.metricName}') must be a plain key of the evaluation report (letters, digits, underscores), e.g. 'auc'`);
    }
  }
  v.throwIfInvalid();
  if (props.training.image.cpuOnly && props.training.instanceType.isGpu) {
    Annotations.of(scope).addWarningV2('cdk-mlops:cpuOnlyImageOnGpu',
      `'training.image' runs on CPU only, so the GPUs of '${props.training.instanceType.name}' would be paid for and idle; use a CPU instance type or a GPU-capable image`);
  }
}
