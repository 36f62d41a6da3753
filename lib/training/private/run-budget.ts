import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { baselineByDefault } from './baseline-step';
import { RETRY_POLICIES, RetryPolicy } from './retry-policies';
import { defaultMaxWait } from './sagemaker-job';
import { ProcessingStepOptions, TrainingStepOptions } from '../step-options';
import type { TrainingPipelineProps } from '../training-pipeline-props';
import { ModelDeploymentOptions, PromotionMode } from '../../serving/model-promotion';
import { deployBudget } from '../../serving/private/deploy-states';

/** How much longer than its job's own limit a `.sync` task waits: SageMaker stops the job first, then reports. */
const TASK_MARGIN = Duration.hours(1);
/** The states between the jobs (claims, registration, manifest, notifications) take minutes; this bounds them. */
const OTHER_STATES = Duration.hours(1);

export function processingTaskTimeout(options: ProcessingStepOptions): Duration {
  return processingMaxRuntime(options).plus(TASK_MARGIN);
}

export function processingMaxRuntime(options: ProcessingStepOptions): Duration {
  return options.maxRuntime ?? Duration.hours(2);
}

export function trainingMaxRuntime(options: TrainingStepOptions): Duration {
  return options.maxRuntime ?? Duration.hours(24);
}

/** The longest a training job may take: its runtime, or with spot capacity its MaxWaitTime. */
export function trainingMaxWait(options: TrainingStepOptions): Duration {
  const runtime = trainingMaxRuntime(options);
  return options.useSpotInstances ? (options.maxWaitTime ?? defaultMaxWait(runtime)) : runtime;
}

export function trainingTaskTimeout(options: TrainingStepOptions): Duration {
  return trainingMaxWait(options).plus(TASK_MARGIN);
}

/** The longest all retries of one policy wait in total. */
export function retryWait(policy: RetryPolicy): Duration {
  const seconds = (RETRY_POLICIES[policy] as sfn.RetryProps[]).reduce((sum, r) => {
    const interval = r.interval!.toSeconds();
    const rate = r.backoffRate ?? 2;
    let wait = 0;
    for (let i = 0; i < (r.maxAttempts ?? 3); i++) wait += interval * rate ** i;
    return sum + wait;
  }, 0);
  return Duration.seconds(Math.ceil(seconds));
}

/** Whether a run deploys what it registers (`PromotionMode.AUTOMATIC`); in MANUAL only the promotion does. */
export function deploysInRun(options: ModelDeploymentOptions): boolean {
  return (options.mode ?? PromotionMode.MANUAL) === PromotionMode.AUTOMATIC;
}

/**
 * The longest one run can take when every step uses its whole budget: the queue for a slot,
 * each job task's timeout and retries, an in-run rollout (AUTOMATIC mode) with its baseline copy,
 * and the short states between.
 * The state machine's timeout must not be shorter, or Step Functions stops runs that are
 * still within every limit they were given.
 */
export function longestRun(props: TrainingPipelineProps): Duration {
  const parts: Duration[] = [props.maxQueueTime ?? Duration.hours(24), OTHER_STATES];
  const job = retryWait('sageMakerJob');
  for (const step of [props.preprocessing, props.evaluation]) {
    if (step) parts.push(processingTaskTimeout(step), job);
  }
  parts.push(trainingTaskTimeout(props.training), job);
  const baseline = props.baseline?.enabled ?? baselineByDefault(props);
  // One timed-out attempt (not retried) plus the waits of the retried throttling and service errors, which fail fast.
  const baselineStep = [props.baseline?.timeout ?? Duration.minutes(15), Duration.minutes(5), retryWait('lambda')];
  if (baseline) parts.push(...baselineStep);
  if (props.deployment && deploysInRun(props.deployment)) {
    // The busy-stack wait, the rollout (twice, with a cancelled one's rollback), polls and read retries.
    parts.push(deployBudget(props.deployment));
    // A run whose model then serves copies its baseline with the same function, under the same limits.
    if (baseline) parts.push(...baselineStep);
  }
  return Duration.seconds(parts.reduce((sum, d) => sum + d.toSeconds(), 0));
}
