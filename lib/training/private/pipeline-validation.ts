import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ResolvedGate } from './pipeline-gate';
import { longestRun } from './run-budget';
import { MetricSource } from '../metric-gate';
import type { TrainingPipelineProps } from '../training-pipeline-props';
import { MlInstanceType } from '../../core/instance-type';
import { PropsValidator } from '../../core/private/errors';
import { SageMakerImage } from '../../core/sagemaker-image';
import { ModelApprovalStatus } from '../../registry/model-registry';
import { PromotionMode } from '../../serving/model-promotion';

/** Length of the MD5 hex digest that makes job names unique per execution. */
const HASH_LENGTH = 32;
// Lowercase: the name is part of SageMaker job ARNs, which SageMaker writes in lowercase.
const PIPELINE_NAME = /^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$/;

/** Checks a TrainingPipeline's props at synth, reporting every problem at once. */
export function validatePipelineProps(scope: Construct, props: TrainingPipelineProps, pipelineName: string, gate: ResolvedGate | undefined): void {
  const v = new PropsValidator(scope, 'TrainingPipelineInvalidProps');
  // Required by the type, but a JavaScript caller may leave it out (MlPipeline defaults it, a TrainingPipeline does not).
  v.check(props.training.instanceType === undefined,
    "'training.instanceType' is required: a TrainingPipeline picks no instance type for you; give one, e.g. MlInstanceType.ML_G5_XLARGE or MlInstanceType.ML_M5_XLARGE");
  v.checkResolved([pipelineName], () => !PIPELINE_NAME.test(pipelineName),
    `'pipelineName' ('${pipelineName}') must be 1 to 24 lowercase letters, digits and hyphens, starting and ending with a letter or digit `
    + `(job names add '-train-' and a ${HASH_LENGTH}-character hash, and SageMaker allows 63); use e.g. 'churn'`);
  const prefix = props.inputPrefix ?? 'training-data/';
  v.checkResolved([prefix], () => prefix.startsWith('/') || !prefix.endsWith('/') || prefix.includes('*'),
    `'inputPrefix' ('${prefix}') must be a key prefix ending in '/' without a leading '/' or wildcards; use e.g. 'training-data/'`);
  const max = props.maxConcurrentRuns;
  v.check(max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000),
    `'maxConcurrentRuns' (${max}) must be a whole number from 1 to 1000; use 1 to run one at a time`);
  const reserved = props.manifestReservedConcurrency;
  v.checkResolved([reserved], () => reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1),
    `'manifestReservedConcurrency' (${reserved}) must be a whole number of at least 1; leave it out to reserve none`);
  for (const email of props.notificationEmails ?? []) {
    v.checkResolved([email], () => !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email),
      `'notificationEmails' has '${email}', which is not an e-mail address; use e.g. 'ml-team@example.com'`);
  }
  v.check(props.triggerKeySuffix !== undefined && props.triggerOnNewData === false,
    `'triggerKeySuffix' ('${props.triggerKeySuffix}') has no effect with 'triggerOnNewData: false'; remove one of them`);
  v.check(props.training.image.reportsOwnMetrics && props.training.script === undefined && (props.training.metricDefinitions?.length ?? 0) > 0,
    `'training.metricDefinitions' cannot be given for a SageMaker built-in algorithm, which reports its own metrics (e.g. 'validation:auc'); remove them, or use the image in script mode with 'training.script'`);
  const deployment = props.deployment;
  if (deployment) {
    const mode = deployment.mode ?? PromotionMode.MANUAL;
    v.check(mode === PromotionMode.REGISTER_ONLY,
      `'deployment.mode' (REGISTER_ONLY) deploys nothing from the pipeline or the registry; leave out 'deployment' for a pipeline that only registers `
      + '(MlPipeline takes REGISTER_ONLY for an endpoint whose version is set by cdk deploy)');
    v.check(mode === PromotionMode.AUTOMATIC && props.approvalStatus !== undefined && props.approvalStatus !== ModelApprovalStatus.APPROVED,
      `'approvalStatus' (${props.approvalStatus}) contradicts 'deployment.mode' (AUTOMATIC), which registers every model that passes the gate approved and deploys it in the run; `
      + 'leave out approvalStatus, or use PromotionMode.MANUAL to deploy only what a person approves');
    v.check(mode === PromotionMode.MANUAL && props.approvalStatus !== undefined && props.approvalStatus !== ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
      `'approvalStatus' (${props.approvalStatus}) contradicts 'deployment.mode' (MANUAL), which registers models pending approval and deploys those a person approves; `
      + 'leave out approvalStatus, or use PromotionMode.AUTOMATIC to register approved and deploy in the run');
    const served = deployment.modelVersion.registry.modelPackageGroupName;
    const registry = props.registry?.modelPackageGroupName;
    v.check(registry !== undefined && !Token.isUnresolved(served) && !Token.isUnresolved(registry) && served !== registry,
      `'deployment.modelVersion' serves registry '${served}' but the pipeline registers into '${registry}'; give both the same registry`);
    v.check(props.registry === undefined,
      `'deployment' needs 'registry': the endpoint's ModelVersionParameter and the pipeline must share one registry; create a ModelRegistry and pass it to both`);
  }
  checkImages(v, props);
  if (gate) {
    v.check(!Number.isFinite(gate.threshold), `'gate.threshold' (${gate.threshold}) must be a finite number`);
    const bounded = boundedMetric(gate.metricName);
    v.check(bounded !== undefined && Number.isFinite(gate.threshold) && (gate.threshold < 0 || gate.threshold > 1),
      `'gate.threshold' (${gate.threshold}) is outside 0 to 1, the range of '${gate.metricName}' (${bounded}); `
      + `give it as a fraction, e.g. ${gate.threshold > 1 && gate.threshold <= 100 ? gate.threshold / 100 : 0.8}`);
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
  if (props.deployment?.mode === PromotionMode.AUTOMATIC && !gate) {
    Annotations.of(scope).addWarningV2('cdk-mlops:alwaysDeployWithoutGate',
      `'deployment.mode' is AUTOMATIC and there is no 'gate': every model a run trains is deployed, however bad; add a gate, e.g. { metricName: 'validation:auc', threshold: 0.8 }`);
  }
  if (props.training.image.cpuOnly && props.training.instanceType.isGpu) {
    Annotations.of(scope).addWarningV2('cdk-mlops:cpuOnlyImageOnGpu',
      `'training.image' runs on CPU only, so the GPUs of '${props.training.instanceType.name}' would be paid for and idle; use a CPU instance type or a GPU-capable image`);
  }
}

/**
 * Checks that the state machine's timeout covers the longest run the other limits allow; after
 * the states are built, so a job's own limits (checked there) are reported first.
 */
export function validateRunTimeout(scope: Construct, props: TrainingPipelineProps): void {
  const v = new PropsValidator(scope, 'TrainingPipelineInvalidProps');
  const timeout = props.timeout ?? Duration.days(7);
  const longest = longestRun(props);
  v.check(timeout.toSeconds() < longest.toSeconds(),
    `'timeout' (${timeout.toHumanString()}) is shorter than the longest run the other limits allow (${longest.toHumanString()}: `
    + `'maxQueueTime', each job's runtime or spot wait plus an hour, retries${props.deployment ? ', the rollout' : ''} and an hour for the other states); `
    + `raise 'timeout' to at least ${Duration.hours(Math.ceil(longest.toHours({ integral: false }))).toHumanString()} or lower those limits`);
  v.throwIfInvalid();
}

/** Metrics that lie in 0..1 by definition, matched on the name's last part ('validation:auc', 'test_f1'). */
const BOUNDED_METRICS: Record<string, string> = {
  auc: 'area under the ROC curve', accuracy: 'a share of correct predictions', f1: 'the F1 score',
  precision: 'a share of positive predictions', recall: 'a share of positives found',
};

function boundedMetric(metricName: string): string | undefined {
  const last = metricName.toLowerCase().split(/[:/._-]/).pop() ?? '';
  return Object.hasOwn(BOUNDED_METRICS, last) ? BOUNDED_METRICS[last] : undefined;
}

/** Images that cannot run where they are put, or cannot serve what they trained. */
function checkImages(v: PropsValidator, props: TrainingPipelineProps): void {
  const steps: Array<[string, { image?: SageMakerImage; instanceType?: MlInstanceType } | undefined]> = [
    ['training', props.training], ['preprocessing', props.preprocessing], ['evaluation', props.evaluation],
  ];
  for (const [name, step] of steps) {
    const type = step?.instanceType;
    v.check(step?.image?.gpuOnly === true && type !== undefined && !type.isUnresolved && !type.isGpu,
      `'${name}.image' needs an NVIDIA GPU (a -gpu- image) but '${name}.instanceType' (${type?.name}) has none; use a GPU instance type such as ml.g5.xlarge, or the image's -cpu- variant`);
  }
  v.check(props.training.image.trainingOnly && props.inferenceImage === undefined,
    "'training.image' is a training-only container, which cannot serve the model it trains; give 'inferenceImage', e.g. SageMakerImage.pytorchInference('<tag>') for the same framework version");
}
