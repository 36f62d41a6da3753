/**
 * The retry and timeout policy of the pipeline's state machines, read from the synthesized
 * definitions: the local ASL runs zero every retry interval and ignore timeouts, so only these
 * tests can see a wrong error name, interval or budget. The intended policy is written out here,
 * not imported from the library, so a change to either shows.
 */
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { templateOf } from '../helpers/app';
import { AslDefinition, allStates } from '../helpers/asl';
import { fullPipelineProps, pipelineDefinition, pipelineStack, SCRIPTS } from '../helpers/pipeline';
import { MetricSource, MlInstanceType, SageMakerImage } from '../../lib';

const retry = (errors: string[], interval: number, attempts: number, backoff: number) =>
  ({ ErrorEquals: errors, IntervalSeconds: interval, MaxAttempts: attempts, BackoffRate: backoff });

const SAGEMAKER_JOB = [
  retry(['SageMaker.ResourceLimitExceededException'], 60, 5, 2),
  retry(['SageMaker.AmazonSageMakerException'], 1, 8, 1.1),
];
const DYNAMODB = [retry([
  'DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded', 'DynamoDB.RequestLimitExceededException',
  'DynamoDB.InternalServerError', 'DynamoDB.InternalServerErrorException',
  // Unmodeled errors (throttling among them) under the SDK's base exception class.
  'DynamoDB.AmazonDynamoDBException',
], 1, 6, 2)];
const SNS = [retry(['SNS.ThrottledException', 'SNS.InternalErrorException', 'SNS.KMSThrottlingException', 'SNS.SdkClientException'], 1, 5, 2)];

/** Intended retries by integration (the Task's Resource, the manifest function by its ARN's shape). */
const POLICY: Array<[RegExp, object[]]> = [
  [/^arn:aws:states:::sagemaker:create(Training|Processing)Job\.sync$/, SAGEMAKER_JOB],
  [/^arn:aws:states:::aws-sdk:sagemaker:createModelPackage$/, [
    retry(['SageMaker.ResourceLimitExceededException'], 60, 5, 2),
    retry(['SageMaker.ConflictException', 'SageMaker.SageMakerException'], 2, 5, 2),
  ]],
  [/^arn:aws:states:::dynamodb:(putItem|updateItem)$/, DYNAMODB],
  [/^arn:aws:states:::sns:publish$/, SNS],
  [/^arn:aws:lambda:us-east-1:123456789012:function:PipelineRunManifestFunction/, [
    retry(['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'], 2, 6, 2),
    retry(['Lambda.TooManyRequestsException'], 10, 6, 2),
  ]],
  [/^arn:aws:lambda:us-east-1:123456789012:function:PipelineBaselineFunction/, [
    retry(['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'], 2, 6, 2),
    retry(['Lambda.TooManyRequestsException'], 10, 6, 2),
  ]],
  [/^arn:aws:states:::aws-sdk:s3:getObject$/, [retry(['S3.S3Exception', 'S3.SdkClientException'], 1, 4, 2)]],
  [/^arn:aws:states:::aws-sdk:sfn:describeExecution$/, [retry(['Sfn.SfnException', 'Sfn.SdkClientException'], 1, 5, 2)]],
];

/** The error-name prefix each integration raises: a retry named for another integration never matches. */
function servicePrefix(resource: string): string {
  const match = /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9]+):/.exec(resource);
  if (match) return { sagemaker: 'SageMaker.', dynamodb: 'DynamoDB.', sns: 'SNS.', s3: 'S3.', sfn: 'Sfn.' }[match[1]] ?? `?${match[1]}`;
  return resource.includes(':lambda:') ? 'Lambda.' : `?${resource}`;
}

function tasksOf(definition: AslDefinition): Array<[string, any]> {
  return allStates(definition).filter(([, s]) => s.Type === 'Task');
}

/** The longest time all retries of a task wait, from its synthesized Retry blocks. */
function retryWaitSeconds(state: any): number {
  return (state.Retry ?? []).reduce((sum: number, r: any) => {
    let wait = 0;
    for (let i = 0; i < r.MaxAttempts; i++) wait += r.IntervalSeconds * r.BackoffRate ** i;
    return sum + wait;
  }, 0);
}

const FIXTURES: Array<[string, (lake: any) => any]> = [
  ['every step', fullPipelineProps],
  ['spot training only, gated on its metric', (lake) => ({
    dataLake: lake, pipelineName: 'xgb',
    training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_2XLARGE, useSpotInstances: true, maxRuntime: Duration.hours(6) },
    gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
  })],
];

describe.each(FIXTURES)('retry policy (%s)', (_name, props) => {
  const template = templateOf(pipelineStack(props).stack);
  const machines = { pipeline: pipelineDefinition(template), cleanup: pipelineDefinition(template, 'PipelineBackstopCleanup') };

  test.each(Object.keys(machines))('every Task of the %s state machine retries exactly the intended errors, intervals, backoff and attempts', (machine) => {
    const tasks = tasksOf(machines[machine as keyof typeof machines]);
    expect(tasks.length).toBeGreaterThan(2);
    for (const [name, state] of tasks) {
      const intended = POLICY.find(([pattern]) => pattern.test(state.Resource));
      if (!intended) throw new Error(`No intended retry policy for ${name} (${state.Resource})`);
      expect({ name, retry: state.Retry }).toEqual({ name, retry: intended[1] });
    }
  });

  test.each(Object.keys(machines))('no retry of the %s state machine names another integration\'s errors, a catch-all or a task failure', (machine) => {
    for (const [name, state] of tasksOf(machines[machine as keyof typeof machines])) {
      const prefix = servicePrefix(state.Resource);
      for (const error of (state.Retry ?? []).flatMap((r: any) => r.ErrorEquals)) {
        expect({ name, error, prefix: error.startsWith(prefix) }).toEqual({ name, error, prefix: true });
      }
    }
  });

  test('every Task of the pipeline has a catch, and a catch of a service answer comes before the catch-all', () => {
    for (const [name, state] of tasksOf(machines.pipeline)) {
      const catches = (state.Catch ?? []).map((c: any) => c.ErrorEquals);
      expect({ name, last: catches[catches.length - 1] }).toEqual({ name, last: ['States.ALL'] });
      expect(catches.slice(0, -1).flat()).not.toContain('States.ALL');
    }
  });

  test('each job task waits longer than its job may run, and the run may take as long as all of its steps', () => {
    const pipeline = machines.pipeline;
    let budget = 0;
    for (const [name, state] of tasksOf(pipeline)) {
      budget += (state.TimeoutSeconds ?? 0) + retryWaitSeconds(state);
      if (!/\.sync$/.test(state.Resource)) continue;
      const stopping = state.Parameters.StoppingCondition;
      const jobLimit = stopping.MaxWaitTimeInSeconds ?? stopping.MaxRuntimeInSeconds;
      // SageMaker stops the job at its limit and reports; the task must still be waiting then.
      expect({ name, margin: state.TimeoutSeconds - jobLimit }).toEqual({ name, margin: 3600 });
      expect(state.HeartbeatSeconds).toBeUndefined();
    }
    const queue = Duration.hours(24).toSeconds();
    expect(pipeline.TimeoutSeconds).toBeGreaterThanOrEqual(queue + budget);
    expect(machines.cleanup.TimeoutSeconds).toBeGreaterThanOrEqual(tasksOf(machines.cleanup).reduce((s, [, t]) => s + retryWaitSeconds(t), 0));
  });
});

describe('timeouts that cannot hold a run', () => {
  test('spot training waits for capacity up to MaxWaitTime, and the task waits an hour longer', () => {
    const definition = pipelineDefinition(templateOf(pipelineStack(FIXTURES[1][1]).stack));
    expect(definition.States.Train.Parameters.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 6 * 3600, MaxWaitTimeInSeconds: 12 * 3600 });
    expect(definition.States.Train.TimeoutSeconds).toBe(13 * 3600);
  });

  test('fails on a run timeout shorter than the queue and the jobs it must cover', () => {
    // The queue (24 h), preprocessing, training and evaluation (each its runtime plus an hour, and retries),
    // the baseline (15 minutes, 5 for fast failures, Lambda's retries) and an hour for the rest.
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, { timeout: Duration.days(1) })))
      .toThrow(/'timeout' \(1 day\) is shorter than the longest run the other limits allow \(.*\); raise 'timeout' to at least 2 days 11 hours or lower those limits/);
  });

  test('fails on a long training job whose run timeout was left at its default', () => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, {
      training: { image: SageMakerImage.sklearn('1.2-1-cpu-py3'), instanceType: MlInstanceType.ML_M5_XLARGE, script: path.join(SCRIPTS, 'train.py'), maxRuntime: Duration.days(7) },
    }))).toThrow(/'timeout' \(7 days\) is shorter than the longest run/);
  });

  test('a timeout that covers the longest run passes', () => {
    const { stack } = pipelineStack((lake) => fullPipelineProps(lake, { timeout: Duration.days(2), maxQueueTime: Duration.hours(12) }));
    expect(pipelineDefinition(templateOf(stack)).TimeoutSeconds).toBe(2 * 86400);
  });
});
