import { Duration, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MlInstanceType } from './core/instance-type';
import { checkDashboardName, modelDashboardName } from './core/private/dashboard-name';
import { PropsValidator, throwInvalid } from './core/private/errors';
import { checkRetrainCooldown } from './core/private/retrain-cooldown';
import { SageMakerImage } from './core/sagemaker-image';
import { DataLake, IDataLake } from './lake/data-lake';
import { MlPipelineProps } from './ml-pipeline-props';
import { DriftBaseline } from './monitoring/drift-baseline';
import { DriftMonitor } from './monitoring/drift-monitor';
import { MlopsDashboard } from './monitoring/mlops-dashboard';
import { IModelRegistry, ModelApprovalStatus, ModelRegistry } from './registry/model-registry';
import { InferenceDataLocation } from './serving/inference-data-location';
import { ModelEndpoint } from './serving/model-endpoint';
import { ModelPromotion, PromotionMode } from './serving/model-promotion';
import { ModelVersionParameter } from './serving/model-version-parameter';
import { ProductionVariant } from './serving/production-variant';
import { MetricSource } from './training/metric-gate';
import { TrainingPipeline } from './training/training-pipeline';

/**
 * SageMaker's name pattern (`^[a-zA-Z0-9](-*[a-zA-Z0-9])*`) in lowercase, at most 24
 * characters: the model's name starts every job name, which SageMaker writes in lowercase in
 * ARNs and limits to 63 characters.
 */
const MODEL_NAME = /^[a-z0-9](-*[a-z0-9]){0,23}$/;

/** The endpoint's variant by default: one instance of the image's kind, autoscaled to four. */
function defaultVariants(image: SageMakerImage): ProductionVariant[] {
  return [{ instanceType: defaultInstance(image), initialInstanceCount: 1, autoScaling: { minCapacity: 1, maxCapacity: 4 } }];
}

/**
 * One model's whole MLOps loop from one props object: a data lake (new or shared), a training
 * pipeline (ml.g5.xlarge on spot with checkpoints), a model registry, the served-version parameter with a
 * GPU endpoint autoscaled and capturing its traffic, the promotion that `promotion.mode`
 * chooses, an hourly drift monitor that retrains on drift with a cooldown, a dashboard, and one
 * topic that every failure and alarm notifies.
 *
 * The pieces that used to be wired by hand follow from each other: the pipeline registers into
 * the registry the endpoint serves from, the endpoint reads models where the pipeline writes
 * them, and the mode decides both how runs register and what deploys. Every part is a public
 * property for further composition.
 *
 * | mode | registered as | what deploys a model | roll back |
 * | --- | --- | --- | --- |
 * | `AUTOMATIC` (default) | Approved | the run, after the gate | `mlops rollback <endpoint>`: the `promotion` with `"rollback": true` |
 * | `MANUAL` | PendingManualApproval | approving it in the registry, through the `promotion` | the same |
 * | `REGISTER_ONLY` | `pipeline.approvalStatus` | only `cdk deploy --parameters <parameter>=<ARN>` | `cdk deploy` with the older ARN |
 */
export class MlPipeline extends Construct {
  /** The model's name. */
  public readonly modelName: string;
  /** How registered models reach the endpoint. */
  public readonly promotionMode: PromotionMode;
  /** The data lake. */
  public readonly dataLake: IDataLake;
  /** The registry the runs register into and the endpoint serves from. */
  public readonly registry: IModelRegistry;
  /** The served model version: a parameter of the stack the endpoint is in. */
  public readonly modelVersion: ModelVersionParameter;
  /** The endpoint, created with the first promoted version. */
  public readonly endpoint: ModelEndpoint;
  /** The training pipeline. */
  public readonly pipeline: TrainingPipeline;
  /** The promotion state machine (approvals in `MANUAL`, rollbacks in both deploying modes); none in `REGISTER_ONLY`. */
  public readonly promotion?: ModelPromotion;
  /** The drift (and model-quality) monitor of the endpoint. */
  public readonly monitor: DriftMonitor;
  /** The model's dashboard. */
  public readonly dashboard: MlopsDashboard;
  /** The topic that failed runs, failed promotions and the monitor's alarms notify. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: MlPipelineProps) {
    super(scope, id);
    this.modelName = props.modelName;
    this.promotionMode = props.promotion?.mode ?? PromotionMode.AUTOMATIC;
    validateProps(this, props, this.promotionMode);
    const name = props.modelName;
    const deploys = this.promotionMode !== PromotionMode.REGISTER_ONLY;

    this.dataLake = props.dataLake ?? new DataLake(this, 'DataLake');
    this.registry = props.registry ?? new ModelRegistry(this, 'Registry', {
      modelPackageGroupName: name,
      description: `Models of ${name}`,
      removalPolicy: props.pipeline?.removalPolicy,
    });
    this.modelVersion = new ModelVersionParameter(this, 'ModelVersion', { registry: this.registry });

    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      ...props.pipeline,
      inputPrefix: props.pipeline?.inputPrefix ?? `${name}/`,
      dataLake: this.dataLake,
      registry: this.registry,
      pipelineName: name,
      training: {
        ...props.training,
        instanceType: props.training.instanceType ?? defaultInstance(props.training.image),
        useSpotInstances: props.training.useSpotInstances ?? true,
      },
      deployment: deploys ? { ...props.promotion, modelVersion: this.modelVersion, mode: this.promotionMode } : undefined,
      notificationTopic: props.notificationTopic,
    });
    this.notificationTopic = this.pipeline.failureTopic;
    this.promotion = this.pipeline.promotion;

    const endpoint = props.endpoint;
    const servingImage = props.pipeline?.inferenceImage ?? props.training.image;
    this.endpoint = new ModelEndpoint(this, 'Endpoint', {
      ...endpoint,
      endpointName: name,
      // Where the pipeline writes models, from the pipeline itself: the two cannot disagree.
      // The serving image too, so the endpoint's role may pull one from the user's own ECR repository.
      model: this.modelVersion.modelSource({
        modelDataLocation: this.pipeline.modelDataLocation,
        image: servingImage,
      }),
      variants: endpoint?.variants ?? defaultVariants(servingImage),
      dataCapture: endpoint?.dataCapture ?? { location: InferenceDataLocation.fromDataLake(this.dataLake, `${name}-endpoint/`) },
      // The model's compute runs where its jobs run.
      vpc: props.pipeline?.vpc,
      vpcSubnets: props.pipeline?.vpcSubnets,
    });
    this.modelVersion.serveOnlyWhenPromoted(this.endpoint);

    // Only DriftMonitorOptions' own keys reach the monitor: the rest of `drift` is MlPipeline's.
    const { baseline, retrain, retrainCooldown, retrainOnQualityAlarm, ...drift } = props.drift ?? {};
    this.monitor = new DriftMonitor(this, 'DriftMonitor', {
      ...drift,
      endpoint: this.endpoint,
      monitorName: `${name}-monitor`,
      baseline: baseline ?? this.servedBaseline(),
      retrain: (retrain ?? true)
        ? { stateMachine: this.pipeline.stateMachine, cooldown: retrainCooldown ?? Duration.hours(24), onQualityAlarm: retrainOnQualityAlarm }
        : undefined,
      notificationTopic: this.notificationTopic,
      logRetention: props.pipeline?.logRetention,
      vpc: props.pipeline?.vpc,
      vpcSubnets: props.pipeline?.vpcSubnets,
    });
    const removalPolicy = props.pipeline?.removalPolicy;
    if (removalPolicy) {
      // What the monitor and endpoint keep goes with the pipeline's; the lake (users' data) keeps its own policy.
      for (const child of [...this.monitor.node.findAll(), ...this.endpoint.node.findAll()]) {
        if (child instanceof kms.Key || child instanceof logs.LogGroup) child.applyRemovalPolicy(removalPolicy);
      }
    }
    this.dashboard = new MlopsDashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? modelDashboardName(this, name),
      endpoint: this.endpoint,
      pipeline: this.pipeline,
      trainingMetricNames: props.trainingMetricNames ?? gateMetric(props),
      driftMonitor: this.monitor,
    });
  }

  /** The served version's baseline, which the run (AUTOMATIC) or the promotion (approvals, rollbacks) keeps current; only runs that compute baselines have one. */
  private servedBaseline(): DriftBaseline {
    const key = this.pipeline.currentBaselineKey;
    if (key === undefined) {
      throwInvalid(this, 'MlPipelineInvalidProps',
        `'drift.baseline' is needed: the runs of pipeline '${this.modelName}' compute no drift baseline (no 'pipeline.preprocessing', or 'pipeline.baseline.enabled' is false); `
        + "add a preprocessing step or 'pipeline.baseline: { enabled: true, schema: ... }', or pass drift: { baseline: DriftBaseline.fromDataLake(lake, '<key>') }");
    }
    return DriftBaseline.fromDataLake(this.dataLake, key);
  }
}

/** A GPU, unless the image cannot use one: the GPUs would be paid for and idle. */
function defaultInstance(image: SageMakerImage): MlInstanceType {
  return image.cpuOnly ? MlInstanceType.ML_M5_XLARGE : MlInstanceType.ML_G5_XLARGE;
}

/** The gate's metric when the training job reports it, for the dashboard. */
function gateMetric(props: MlPipelineProps): string[] {
  const gate = props.pipeline?.gate;
  if (!gate) return [];
  const source = gate.source ?? (props.pipeline?.evaluation ? MetricSource.EVALUATION_REPORT : MetricSource.TRAINING_JOB);
  return source === MetricSource.TRAINING_JOB ? [gate.metricName] : [];
}

/** Problems that would make the parts disagree, reported with the prop's name here rather than a part's. */
function validateProps(scope: Construct, props: MlPipelineProps, mode: PromotionMode): void {
  const v = new PropsValidator(scope, 'MlPipelineInvalidProps');
  const name = props.modelName;
  v.check(Token.isUnresolved(name), "'modelName' must be known at synth (it names the pipeline, registry, endpoint and stack parameter); use a literal such as 'churn'");
  v.checkResolved([name], () => !MODEL_NAME.test(name),
    `'modelName' ('${name}') must be 1 to 24 lowercase letters, digits and hyphens, starting and ending with a letter or digit `
    + "(SageMaker's name pattern; it starts every job name, which SageMaker limits to 63 characters); use e.g. 'churn'");
  checkDashboardName(v, props.dashboardName, `${name}-eu-west-1`);
  const group = props.registry?.modelPackageGroupName;
  v.check(group !== undefined && Token.isUnresolved(group),
    "'registry' must have a model package group name known at synth: the served-version parameter is named after it; "
    + "create it with ModelRegistry.fromModelPackageGroupName(scope, id, 'churn') or new ModelRegistry(scope, id, { modelPackageGroupName: 'churn' }), or leave 'registry' out");
  const approval = props.pipeline?.approvalStatus;
  v.check(mode === PromotionMode.AUTOMATIC && approval !== undefined && approval !== ModelApprovalStatus.APPROVED,
    `'pipeline.approvalStatus' (${approval}) contradicts 'promotion.mode' (AUTOMATIC), which registers every model that passes the gate approved and deploys it in the run; `
    + 'leave out pipeline.approvalStatus, or use PromotionMode.MANUAL to deploy only what a person approves');
  v.check(mode === PromotionMode.MANUAL && approval !== undefined && approval !== ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
    `'pipeline.approvalStatus' (${approval}) contradicts 'promotion.mode' (MANUAL), which registers models pending approval and deploys those a person approves; `
    + 'leave out pipeline.approvalStatus, or use PromotionMode.AUTOMATIC');
  if (mode === PromotionMode.REGISTER_ONLY) {
    const rollout = ['rolloutTimeout', 'stackBusyTimeout', 'pollInterval', 'cloudFormationRole'] as const;
    for (const option of rollout) {
      v.check(props.promotion?.[option] !== undefined,
        `'promotion.${option}' has no effect with 'promotion.mode' (REGISTER_ONLY), which never promotes; remove it, or use PromotionMode.AUTOMATIC or MANUAL`);
    }
  }
  v.check(mode === PromotionMode.REGISTER_ONLY && props.drift?.baseline === undefined,
    "'drift.baseline' is needed with 'promotion.mode' (REGISTER_ONLY): nothing in the stack promotes a version, so nothing promotes its baseline to the drift monitor; "
    + "pass drift: { baseline: DriftBaseline.fromDataLake(lake, '<key>') } (e.g. written by mlops drift baseline), or use PromotionMode.AUTOMATIC or MANUAL");
  v.check((props.endpoint?.securityGroups?.length ?? 0) > 0 && props.pipeline?.vpc === undefined,
    "'endpoint.securityGroups' has no effect without 'pipeline.vpc', the VPC that holds the endpoint's containers; add 'pipeline.vpc' or remove them");
  const drift = props.drift;
  if (drift?.retrainCooldown && drift.retrain !== false) checkRetrainCooldown(v, 'drift.retrainCooldown', drift.retrainCooldown);
  v.check(drift?.retrain === false && drift.retrainCooldown !== undefined,
    `'drift.retrainCooldown' (${drift?.retrainCooldown?.toHumanString()}) has no effect with 'drift.retrain: false'; remove one of them`);
  v.check(drift?.retrain === false && drift.retrainOnQualityAlarm !== undefined,
    `'drift.retrainOnQualityAlarm' (${drift?.retrainOnQualityAlarm}) has no effect with 'drift.retrain: false'; remove one of them`);
  v.check(drift?.retrainOnQualityAlarm !== undefined && drift.quality === undefined,
    `'drift.retrainOnQualityAlarm' (${drift?.retrainOnQualityAlarm}) has no effect without 'drift.quality', which creates the model-quality alarm; remove it or add 'drift.quality'`);
  v.throwIfInvalid();
}
