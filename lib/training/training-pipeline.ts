import { Annotations, ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, IConstruct } from 'constructs';
import { createBaselineFunction, ResolvedBaseline, resolveBaseline } from './private/baseline-step';
import { PipelineFunction } from './private/pipeline-function';
import { resolveGate } from './private/pipeline-gate';
import { NOTIFIED_ERRORS, PipelineStates, servedBaselineStates } from './private/pipeline-states';
import { validatePipelineProps, validateRunTimeout } from './private/pipeline-validation';
import { RunBackstop } from './private/run-backstop';
import { deploysInRun } from './private/run-budget';
import { RunSlots } from './private/run-slots';
import { TrainingPipelineProps } from './training-pipeline-props';
import { allowLogsToUseKey } from '../core/private/log-key';
import { acknowledgeInlinePolicy, acknowledgeWildcards, GRANT_ACTION_GROUPS } from '../core/private/nag';
import { allowAlarmsAndRulesToPublish, grantPublish, SERVICE_PUBLISH_KEY_ACTIONS } from '../core/private/publish';
import { stateMachineLogGroup } from '../core/private/state-machine-logs';
import { requireUniqueName } from '../core/private/unique-names';
import { DataZone, IDataLake } from '../lake/data-lake';
import { IModelRegistry, ModelApprovalStatus, ModelRegistry } from '../registry/model-registry';
import { InferenceDataLocation } from '../serving/inference-data-location';
import { ModelDeploymentOptions, ModelPromotion } from '../serving/model-promotion';
import type { ModelVersionParameter } from '../serving/model-version-parameter';
import { acknowledgePromotionRole, bootstrapDeployRole, grantPromotion } from '../serving/private/deploy-states';
import { servedEndpoints } from '../serving/private/served-endpoints';

const RUNS = 'runs';

/** The approval status a deployment's mode registers models with: approved only where the run deploys them. */
function approvalStatusFor(deployment: ModelDeploymentOptions | undefined): ModelApprovalStatus {
  return deployment && deploysInRun(deployment) ? ModelApprovalStatus.APPROVED : ModelApprovalStatus.PENDING_MANUAL_APPROVAL;
}

/**
 * A Standard Step Functions workflow that turns data in the lake into a registered model:
 * preprocess (processing job) -> drift baseline of the train split -> train (GPU capable, spot
 * with checkpoints) -> evaluate -> metric gate -> register in the model registry (with its
 * baseline) -> optional deployment (which makes the model's baseline the drift monitor's) ->
 * optional post-registration states.
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
  /**
   * The topic that receives a message for every failed run and promotion: `notificationTopic`,
   * or a new one encrypted with the pipeline's key. CloudWatch alarms and EventBridge rules of
   * this account may publish to it too.
   */
  public readonly failureTopic: sns.ITopic;
  /** The table that claims run starts and counts the slots of running runs. */
  public readonly runTable: dynamodb.ITable;
  /** The name of the pipeline. */
  public readonly pipelineName: string;
  /** The role the training job runs as. */
  public readonly trainingRole: iam.Role;
  /** The role the preprocessing job runs as, when there is one. */
  public readonly preprocessingRole?: iam.Role;
  /** The role the evaluation job runs as, when there is one. */
  public readonly evaluationRole?: iam.Role;
  /**
   * The promotion of the served model version, with `deployment`: approvals in the registry
   * start it in `PromotionMode.MANUAL`; in either mode, starting it with
   * `{"modelPackageArn": "<older version ARN>", "rollback": true}` rolls back.
   */
  public readonly promotion?: ModelPromotion;
  /**
   * Where the runs write their models (`<pipelineName>/runs/` of the lake's artifacts zone):
   * the `modelDataLocation` of an endpoint that serves them.
   */
  public readonly modelDataLocation: InferenceDataLocation;
  /**
   * The artifacts-zone key of the served model's drift baseline, `<pipelineName>/baseline/current.json`:
   * a run that deploys its model copies its own baseline there once the model serves. Give it to a
   * drift monitor: `DriftBaseline.fromDataLake(lake, pipeline.currentBaselineKey)`. The object
   * exists after the first deployment.
   *
   * In `PromotionMode.MANUAL` the promotion does the same once an approved version serves, and in
   * both modes a rollback through the promotion brings back the older version's baseline.
   *
   * Undefined when the pipeline computes no baselines or deploys nothing (`deployment` absent).
   */
  public readonly currentBaselineKey?: string;
  /** The function that computes drift baselines, when the pipeline has a baseline step. */
  public readonly baselineFunction?: lambda.IFunction;

  private readonly lake: IDataLake;
  private readonly manifestFunction: PipelineFunction;
  private readonly baselineStep?: { options: ResolvedBaseline; function: PipelineFunction };
  private readonly inputPrefix: string;
  private readonly runsPrefix: string;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.pipelineName = props.pipelineName ?? Names.uniqueResourceName(this, { maxLength: 24, separator: '-' }).toLowerCase();
    this.inputPrefix = props.inputPrefix ?? 'training-data/';
    this.runsPrefix = `${this.pipelineName}/${RUNS}/`;
    this.lake = props.dataLake;
    this.modelDataLocation = InferenceDataLocation.fromDataLake(this.lake, this.runsPrefix, DataZone.ARTIFACTS);
    const gate = resolveGate(props);
    validatePipelineProps(this, props, this.pipelineName, gate);
    // The state machine and the jobs are named after it, and both names are unique per account and region.
    requireUniqueName(this, "'pipelineName'", (c) => (c instanceof TrainingPipeline ? c.pipelineName : undefined));
    if (props.deployment) this.requireEndpointsReadModels(props.deployment.modelVersion);
    const baseline = resolveBaseline(this, props);

    this.registry = props.registry ?? new ModelRegistry(this, 'Registry', {
      description: `Models trained by pipeline ${this.pipelineName}`,
      removalPolicy: props.removalPolicy,
    });

    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the logs and notifications of training pipeline ${this.pipelineName}`,
      enableKeyRotation: true,
      // Kept on delete (logs and a table were encrypted with it); a failed first create removes it.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    allowLogsToUseKey(key);
    this.failureTopic = props.notificationTopic ?? new sns.Topic(this, 'FailureTopic', {
      displayName: `Training pipeline ${this.pipelineName} failures`,
      masterKey: key,
      enforceSSL: true,
    });
    this.allowAlarmsAndRulesToPublish(this.failureTopic.masterKey);
    for (const email of props.notificationEmails ?? []) this.failureTopic.addSubscription(new subscriptions.EmailSubscription(email));
    for (const subscription of props.notificationSubscriptions ?? []) this.failureTopic.addSubscription(subscription);

    this.preprocessingRole = props.preprocessing ? this.createJobRole('PreprocessingRole', 'ProcessingJobs') : undefined;
    this.trainingRole = this.createJobRole('TrainingRole', 'TrainingJobs');
    this.evaluationRole = props.evaluation ? this.createJobRole('EvaluationRole', 'ProcessingJobs') : undefined;
    this.grantDataAccess(props);
    this.manifestFunction = this.createManifestFunction(props, key);
    const slots = new RunSlots(this, 'RunSlots', { encryptionKey: key, maxConcurrentRuns: props.maxConcurrentRuns ?? 1 });
    this.runTable = slots.table;

    const approvalStatus = props.approvalStatus ?? approvalStatusFor(props.deployment);
    const deployment = props.deployment && this.planDeployment(props.deployment);
    // Both deploying modes keep it current: the run after its own rollout, the promotion after an approval or a rollback.
    this.currentBaselineKey = baseline && props.deployment ? `${this.pipelineName}/baseline/current.json` : undefined;
    if (baseline) {
      const fn = createBaselineFunction(this, 'Baseline', {
        lake: this.lake, runsPrefix: this.runsPrefix, inputPrefix: this.inputPrefix, preprocessed: props.preprocessing !== undefined,
        baseline, encryptionKey: key, logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR, vpc: props.vpc, vpcSubnets: props.vpcSubnets,
        currentKey: this.currentBaselineKey,
      });
      this.baselineStep = { options: baseline, function: fn };
      this.baselineFunction = fn.function;
    }
    const definition = new PipelineStates(this, {
      approvalStatus,
      deployment: deployment?.inRun,
      lake: this.lake,
      pipelineName: this.pipelineName,
      inputPrefix: this.inputPrefix,
      runsPrefix: this.runsPrefix,
      registry: this.registry,
      failureTopic: this.failureTopic,
      manifestFunction: this.manifestFunction,
      baseline: this.baselineStep && { ...this.baselineStep, currentKey: this.currentBaselineKey },
      slots,
      builtInAlgorithm: props.training.image.reportsOwnMetrics,
      trainingRole: this.trainingRole,
      preprocessingRole: this.preprocessingRole,
      evaluationRole: this.evaluationRole,
    }).build(props, gate);
    validateRunTimeout(this, props);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const logGroup = stateMachineLogGroup(this, 'Logs', { name: this.pipelineName, encryptionKey: key, retention: logRetention });
    // Named by the user (or the construct path): a failed create or a destroy deletes a state machine, so the name never blocks a redeploy.
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
    grantPublish(this.stateMachine, this.failureTopic);
    slots.grantKeyUse(this.stateMachine);
    if (deployment?.inRun) {
      grantPromotion(this.stateMachine, deployment.inRun.cloudFormationRole);
      acknowledgePromotionRole(this.stateMachine.role, deployment.inRun.modelVersion);
    }
    if (props.deployment) {
      this.promotion = new ModelPromotion(this, 'Promotion', {
        ...props.deployment,
        notificationTopic: this.failureTopic,
        encryptionKey: key,
        logRetention,
        // In AUTOMATIC mode the run deploys what it registers approved: an approval trigger would race it.
        promoteOnApproval: deployment?.inRun === undefined,
        whenServed: this.baselineStep && this.currentBaselineKey ? servedBaselineStates(new Construct(this, 'ServedBaseline'), {
          lake: this.lake, registry: this.registry, pipelineName: this.pipelineName, runsPrefix: this.runsPrefix,
          function: this.baselineStep.function, currentKey: this.currentBaselineKey, timeout: this.baselineStep.options.timeout,
        }) : undefined,
      });
      if (this.baselineStep) {
        acknowledgeWildcards(this.promotion.stateMachine.role, {
          resources: [this.registry.modelPackageArnPattern, `${this.baselineStep.function.function.functionArn}:*`],
        }, 'The promotion reads the metadata of the version it served (SageMaker numbers versions within this group) and may invoke any version of the baseline function the pipeline owns.');
      }
    }
    this.acknowledgeStateMachineFindings();
    const eventsRole = new iam.Role(this, 'TriggerRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
    acknowledgeInlinePolicy(eventsRole);
    this.createTriggers(props, eventsRole);
    new RunBackstop(this, 'Backstop', {
      pipelineName: this.pipelineName,
      stateMachineArn: this.stateMachineArnFromName(),
      topic: this.failureTopic,
      slots,
      encryptionKey: key,
      logRetention,
      eventsRole,
      notifiedErrors: NOTIFIED_ERRORS,
    });
    if (props.removalPolicy) this.applyRemovalPolicyToKept(props.removalPolicy);
  }

  /** The state machine's ARN from its name, for what must exist before it (or would depend on it in a cycle). */
  private stateMachineArnFromName(): string {
    return Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: this.pipelineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** Lets this account's alarms and rules publish to the failure topic; warns where its policies are not the pipeline's to change. */
  private allowAlarmsAndRulesToPublish(key: kms.IKey | undefined): void {
    for (const { service, published, keyAllowed } of allowAlarmsAndRulesToPublish(this.failureTopic, key)) {
      if (published && keyAllowed) continue;
      // A topic imported by its ARN alone may be encrypted with a key the pipeline cannot see.
      const keyActions = SERVICE_PUBLISH_KEY_ACTIONS.join(' and ');
      Annotations.of(this).addWarningV2('cdk-mlops:notificationTopicPolicy',
        `The pipeline cannot change the policies of 'notificationTopic'${keyAllowed ? '' : ' or of its KMS key'} (imported): allow ${service} `
        + `sns:Publish${keyAllowed ? '' : `, ${keyActions}`} from this account`
        + `${key ? '' : ` (and, if the topic is encrypted, ${keyActions} on its key)`}, or its alarms and rules will not notify`);
    }
  }

  /**
   * Once the app is built: every endpoint that serves the deployed version and names where it
   * reads models must read this pipeline's runs, or the first promotion fails with AccessDenied.
   */
  private requireEndpointsReadModels(modelVersion: ModelVersionParameter): void {
    this.node.addValidation({
      validate: () => {
        const stack = Stack.of(this);
        const models = { bucket: stack.resolve(this.lake.artifactsBucket.bucketName), prefix: this.runsPrefix };
        return servedEndpoints(modelVersion).flatMap(({ endpointName, modelDataLocation: location }) => {
          if (!location || Token.isUnresolved(location.keyPrefix)) return [];
          const sameBucket = JSON.stringify(stack.resolve(location.bucket.bucketName)) === JSON.stringify(models.bucket);
          if (sameBucket && models.prefix.startsWith(location.keyPrefix)) return [];
          return [`the endpoint '${stack.resolve(endpointName)}' reads models under '${location.keyPrefix}'${sameBucket ? '' : ' of another bucket'}, but pipeline '${this.pipelineName}' `
            + `registers them under '${models.prefix}' of the lake's artifacts zone; use InferenceDataLocation.fromDataLake(lake, '${models.prefix}', DataZone.ARTIFACTS) as its modelDataLocation`];
        });
      },
    });
  }

  /** One policy for every key and log group the pipeline made (its promotion's too), so none outlives what it protects. */
  private applyRemovalPolicyToKept(policy: RemovalPolicy): void {
    for (const child of this.node.findAll()) {
      if (child instanceof kms.Key || child instanceof logs.LogGroup) child.applyRemovalPolicy(policy);
    }
  }

  /** The in-run deployment of `PromotionMode.AUTOMATIC`; MANUAL deploys only through the promotion. */
  private planDeployment(options: ModelDeploymentOptions) {
    const inRun = deploysInRun(options) ? {
      modelVersion: options.modelVersion,
      cloudFormationRole: options.cloudFormationRole ?? bootstrapDeployRole(this, options.modelVersion.servingStack),
      pollInterval: options.pollInterval ?? Duration.minutes(1),
      rolloutTimeout: options.rolloutTimeout ?? Duration.hours(2),
      stackBusyTimeout: options.stackBusyTimeout,
    } : undefined;
    return { inRun };
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

  /**
   * Each job reads only its inputs and writes only its outputs: training cannot write the report
   * the gate reads, evaluation cannot touch the model it judges, and neither writes manifests.
   */
  private grantDataAccess(props: TrainingPipelineProps): void {
    const input = `${this.inputPrefix}*`;
    const runs = this.runPaths();
    if (this.preprocessingRole) {
      this.lake.grantRead(this.preprocessingRole, DataZone.RAW, input);
      this.lake.grantWrite(this.preprocessingRole, DataZone.CURATED, runs.all);
      this.lake.grantRead(this.trainingRole, DataZone.CURATED, runs.all);
    } else {
      this.lake.grantRead(this.trainingRole, DataZone.RAW, input);
    }
    this.lake.grantWrite(this.trainingRole, DataZone.ARTIFACTS, runs.model);
    // Read as well as write: a resumed spot job reads its checkpoints back.
    this.lake.grantReadWrite(this.trainingRole, DataZone.ARTIFACTS, runs.checkpoints);
    if (this.evaluationRole) {
      this.lake.grantRead(this.evaluationRole, DataZone.ARTIFACTS, runs.model);
      if (props.preprocessing) this.lake.grantRead(this.evaluationRole, DataZone.CURATED, runs.test);
      else this.lake.grantRead(this.evaluationRole, DataZone.RAW, input);
      this.lake.grantWrite(this.evaluationRole, DataZone.ARTIFACTS, runs.evaluation);
    }
    for (const role of [this.preprocessingRole, this.trainingRole, this.evaluationRole]) {
      if (role) this.acknowledgeDataGrants(role);
    }
  }

  /** Key patterns of what a run writes, under `<pipeline>/runs/<execution>/` (see PlanRun). */
  private runPaths() {
    const run = (path: string) => `${this.runsPrefix}*/${path}`;
    return {
      all: `${this.runsPrefix}*`,
      model: run('model/*'),
      checkpoints: run('checkpoints/*'),
      evaluation: run('evaluation/*'),
      test: run('test/*'),
      manifest: run('manifest.json'),
      evaluationReport: run('evaluation/evaluation.json'),
    };
  }

  /** The object wildcards of this pipeline's prefixes and CDK's grant action groups, nothing broader. */
  private acknowledgeDataGrants(scope: IConstruct): void {
    const runs = this.runPaths();
    acknowledgeWildcards(scope, {
      actions: GRANT_ACTION_GROUPS,
      resources: [
        this.lake.rawBucket.arnForObjects(`${this.inputPrefix}*`),
        ...[runs.all, runs.test].map((p) => this.lake.curatedBucket.arnForObjects(p)),
        ...[runs.model, runs.checkpoints, runs.evaluation, runs.manifest].map((p) => this.lake.artifactsBucket.arnForObjects(p)),
      ],
    }, `Data access is limited to this pipeline's prefixes (${this.inputPrefix}* of the raw zone, and what each job reads or writes under ${this.runsPrefix}<run>/ of the others), `
      + 'written with the object wildcards and action groups of S3 and KMS grants.');
  }
  /** Creates the function that writes run manifests, with access to this pipeline's prefixes only. */
  private createManifestFunction(props: TrainingPipelineProps, key: kms.IKey): PipelineFunction {
    const fn = new PipelineFunction(this, 'RunManifest', {
      handler: 'run-manifest',
      description: 'Writes the run manifest of a training pipeline execution',
      timeout: Duration.minutes(2),
      memorySize: 256,
      reservedConcurrencyProp: 'manifestReservedConcurrency',
      encryptionKey: key,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      reservedConcurrency: props.manifestReservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
    });
    this.lake.grantWrite(fn, DataZone.ARTIFACTS, this.runPaths().manifest);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucketVersions'],
      resources: [this.lake.rawBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${this.inputPrefix}*`] } },
    }));
    this.acknowledgeDataGrants(fn.role);
    return fn;
  }

  private createTriggers(props: TrainingPipelineProps, role: iam.IRole): void {
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
        // The scheduled time identifies the run: a schedule event delivered twice starts one run.
        targets: [new targets.SfnStateMachine(this.stateMachine, { role, input: events.RuleTargetInput.fromObject({ trigger: 'schedule', time: events.EventField.time }) })],
      });
    }
  }

  private acknowledgeStateMachineFindings(): void {
    const role = this.stateMachine.role;
    const stack = Stack.of(this);
    const jobs = (kind: string) => stack.formatArn({ service: 'sagemaker', resource: kind, resourceName: `${this.pipelineName}-*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    acknowledgeWildcards(role, {
      resources: [jobs('processing-job'), jobs('training-job'), this.registry.modelPackageArnPattern, this.lake.artifactsBucket.arnForObjects(this.runPaths().evaluationReport)],
    }, `Jobs are named per execution under ${this.pipelineName}-, reports are read under ${this.runsPrefix}, and model versions are numbered by SageMaker within this group.`);
    acknowledgeWildcards(role, { resources: [`${this.manifestFunction.function.functionArn}:*`] },
      'Step Functions may invoke any version of the run manifest function it owns.');
    if (this.baselineStep) {
      acknowledgeWildcards(role, { resources: [`${this.baselineStep.function.function.functionArn}:*`] },
        'Step Functions may invoke any version of the baseline function it owns.');
    }

    acknowledgeWildcards(role, { resources: ['*'] }, 'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level permissions.');
    acknowledgeInlinePolicy(role);
  }
}

