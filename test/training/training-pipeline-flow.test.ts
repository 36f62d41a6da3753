/**
 * Runs the state machine that TrainingPipeline synthesizes (read from the template, not rebuilt)
 * in aws-local-stepfunctions, with SageMaker, S3, SNS and the manifest Lambda answered locally.
 * The manifest "Lambda" is the real manifest builder from lambda/run-manifest.
 */
import { Duration } from 'aws-cdk-lib';
import { templateOf } from '../helpers/app';
import { AslDefinition, namedError, runStateMachine, RunResult, TaskHandlers, validateAsl } from '../helpers/asl';
import { FakeRunTable, fullPipelineProps, pipelineDefinition, pipelineStack } from '../helpers/pipeline';
import { buildManifest, ManifestEvent } from '../../lambda/run-manifest/manifest';
import { MetricSource, MlInstanceType, SageMakerImage, TrainingPipelineProps } from '../../lib';

const EXECUTION = 'run-2026-11-27';
const OLDER = 'arn:aws:states:us-east-1:123456789012:execution:churn:older-run';

interface World {
  executionName: string;
  auc: number;
  trainingFailures: Error[];
  table: FakeRunTable;
  published: any[];
  manifests: Record<string, any>[];
  registered: any[];
}

function definitionOf(props: (lake: any) => TrainingPipelineProps = fullPipelineProps): AslDefinition {
  return pipelineDefinition(templateOf(pipelineStack(props).stack));
}

/** Local stand-ins for the services, recording what the state machine asked of them. */
function handlers(definition: AslDefinition, world: World): TaskHandlers {
  const manifestFunction = definition.States.WriteRunManifest.Resource;
  return {
    ...world.table.handlers(),
    'sagemaker:createProcessingJob.sync': (input) => ({
      ...input,
      ProcessingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:processing-job/${input.ProcessingJobName}`,
      ProcessingJobStatus: 'Completed',
    }),
    'sagemaker:createTrainingJob.sync': (input) => {
      const failure = world.trainingFailures.shift();
      if (failure) throw failure;
      // DescribeTrainingJob of a built-in algorithm lists the metric definitions SageMaker supplied.
      const builtIn = input.AlgorithmSpecification.TrainingImage.includes('/sagemaker-xgboost:');
      return {
        ...input,
        AlgorithmSpecification: builtIn
          ? { ...input.AlgorithmSpecification, MetricDefinitions: [{ Name: 'validation:auc', Regex: '.*validation-auc:([0-9.]+).*' }] }
          : input.AlgorithmSpecification,
        TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${input.TrainingJobName}`,
        TrainingJobStatus: 'Completed',
        ModelArtifacts: { S3ModelArtifacts: `${input.OutputDataConfig.S3OutputPath}${input.TrainingJobName}/output/model.tar.gz` },
        FinalMetricDataList: [{ MetricName: 'validation:auc', Value: world.auc, Timestamp: '2026-11-27T00:00:00Z' }],
        BillableTimeInSeconds: 120,
      };
    },
    'aws-sdk:s3:getObject': () => ({ Body: JSON.stringify({ metrics: { auc: { value: world.auc } } }) }),
    'aws-sdk:sagemaker:createModelPackage': (input) => {
      world.registered.push(input);
      return { ModelPackageArn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/${input.ModelPackageGroupName}/1` };
    },
    'sns:publish': (input) => {
      // Step Functions serializes an object Message to JSON for SNS; locally it arrives as the object.
      world.published.push(typeof input.Message === 'string' ? JSON.parse(input.Message) : input.Message);
      return { MessageId: 'message-1' };
    },
    ...(definition.States.ComputeBaseline ? {
      [definition.States.ComputeBaseline.Resource]: (event: any) => ({ baselineUri: `s3://${event.output.bucket}/${event.output.key}`, rows: 10, features: 6, problems: { columnCount: 0, nonNumeric: 0 } }),
    } : {}),
    [manifestFunction]: (event: ManifestEvent) => {
      const problems: string[] = [];
      world.manifests.push(buildManifest(event, [], problems));
      return { manifestUri: `s3://${event.manifestBucket}/${event.manifestKey}`, inputObjects: 0, problems };
    },
  };
}

function newWorld(world: Partial<World> = {}): World {
  return { executionName: EXECUTION, auc: 0.91, trainingFailures: [], table: new FakeRunTable(), published: [], manifests: [], registered: [], ...world };
}

async function run(definition: AslDefinition, world: Partial<World> = {}, tweak: (h: TaskHandlers) => void = () => {}): Promise<RunResult & { world: World }> {
  const w = newWorld(world);
  const h = handlers(definition, w);
  tweak(h);
  const result = await runStateMachine(definition, { trigger: 'manual' }, h, { executionName: w.executionName, stateMachineName: 'churn' });
  return { ...result, world: w };
}

const callsTo = (result: RunResult, state: string) => result.calls.filter((c) => c.state === state);

describe('TrainingPipeline state machine (evaluation-report gate)', () => {
  const definition = definitionOf();

  test('passes asl-validator', () => {
    expect(validateAsl(definition)).toEqual([]);
  });

  test('happy path: preprocess, train, evaluate, gate, register, manifest', async () => {
    const result = await run(definition);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toEqual(expect.arrayContaining(['Preprocess', 'Train', 'Evaluate', 'ReadEvaluationReport', 'MetricGate', 'GatePassed', 'RegisterModel', 'RecordRegistered', 'WriteRunManifest', 'ModelRegistered']));
    expect(result.visited.indexOf('Train')).toBeGreaterThan(result.visited.indexOf('Preprocess'));
    expect(result.visited.indexOf('RegisterModel')).toBeGreaterThan(result.visited.indexOf('MetricGate'));
    expect(result.world.published).toEqual([]);

    const [registration] = result.world.registered;
    expect(registration.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(registration.InferenceSpecification.Containers[0].ModelDataUrl).toMatch(/^s3:\/\/lakeartifactsbucket[^/]*\/churn\/runs\/run-2026-11-27\/model\/churn-train-[0-9a-f]{32}\/output\/model\.tar\.gz$/);
    expect(registration.ModelMetrics.ModelQuality.Statistics.S3Uri).toMatch(/\/churn\/runs\/run-2026-11-27\/evaluation\/evaluation\.json$/);
    expect(registration.CustomerMetadataProperties['run-manifest']).toMatch(/\/churn\/runs\/run-2026-11-27\/manifest\.json$/);
  });

  test('job names derive from the execution, so reruns never collide', async () => {
    // Step Functions computes States.Hash(Execution.Id, 'MD5'); aws-local-stepfunctions 3.0.0's own MD5 is
    // wrong for inputs over one 64-byte block, so the test checks the shape and the dependence on the execution.
    const jobNames = async (executionName: string) => {
      const result = await run(definition, { executionName });
      return [callsTo(result, 'Preprocess')[0].input.ProcessingJobName, callsTo(result, 'Train')[0].input.TrainingJobName, callsTo(result, 'Evaluate')[0].input.ProcessingJobName];
    };
    const first = await jobNames(EXECUTION);
    const [prep, train, evaluate] = first;
    const hash = train.slice('churn-train-'.length);
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect([prep, evaluate]).toEqual([`churn-prep-${hash}`, `churn-eval-${hash}`]);
    expect(train.length).toBeLessThanOrEqual(63);
    expect(await jobNames(EXECUTION)).toEqual(first);
    const rerun = await jobNames('rerun-of-2026-11-27');
    expect(rerun[1]).not.toEqual(train);
  });

  test('each run reads and writes its own prefixes', async () => {
    const result = await run(definition);
    const training = callsTo(result, 'Train')[0].input;
    expect(training.InputDataConfig.map((c: any) => [c.ChannelName, c.DataSource.S3DataSource.S3Uri])).toEqual([
      ['train', expect.stringMatching(/^s3:\/\/lakecuratedbucket[^/]*\/churn\/runs\/run-2026-11-27\/train\/$/)],
      ['validation', expect.stringMatching(/\/churn\/runs\/run-2026-11-27\/validation\/$/)],
      ['code', expect.stringMatching(/^s3:\/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.gz$/)],
    ]);
    // Script mode: the program under its own name, in the tar.gz that the code channel delivers.
    expect(training.HyperParameters).toMatchObject({
      sagemaker_program: 'train.py',
      sagemaker_submit_directory: expect.stringMatching(/^\/opt\/ml\/input\/data\/code\/[0-9a-f]{64}\.gz$/),
    });
    const archive = training.InputDataConfig[2].DataSource.S3DataSource.S3Uri.split('/').pop();
    expect(training.HyperParameters.sagemaker_submit_directory).toBe(`/opt/ml/input/data/code/${archive}`);
    expect(training.OutputDataConfig.S3OutputPath).toMatch(/^s3:\/\/lakeartifactsbucket[^/]*\/churn\/runs\/run-2026-11-27\/model\/$/);
    const preprocessing = callsTo(result, 'Preprocess')[0].input;
    expect(preprocessing.ProcessingInputs[0].S3Input.S3Uri).toMatch(/^s3:\/\/lakerawbucket[^/]*\/training-data\/$/);
    expect(preprocessing.ProcessingOutputConfig.Outputs.map((o: any) => o.OutputName)).toEqual(['train', 'validation', 'test', 'baseline']);
  });

  test('writes a run manifest that can rerun the model', async () => {
    const result = await run(definition);
    expect(result.world.manifests).toHaveLength(1);
    const manifest = result.world.manifests[0];
    expect(manifest).toMatchObject({
      outcome: 'REGISTERED',
      gate: { metric: 'auc', threshold: 0.8, passed: true, value: 0.91 },
      modelPackageArn: expect.stringMatching(/model-package\/.*\/1$/),
      training: {
        jobName: expect.stringMatching(/^churn-train-/),
        instanceType: 'ml.m5.xlarge',
        hyperparameters: expect.objectContaining({ n_estimators: '100', learning_rate: '0.1' }),
        metrics: { 'validation:auc': 0.91 },
      },
      preprocessing: { jobName: expect.stringMatching(/^churn-prep-/), arguments: ['--seed', '7'] },
      execution: { name: EXECUTION, input: { trigger: 'manual' } },
      problems: [],
    });
    expect(manifest.rerun.createTrainingJobRequest).toMatchObject({
      AlgorithmSpecification: expect.objectContaining({ TrainingImage: expect.stringContaining('sagemaker-scikit-learn:1.2-1-cpu-py3') }),
      HyperParameters: expect.objectContaining({ sagemaker_program: expect.stringMatching(/\.py$/) }),
      InputDataConfig: expect.any(Array),
      RoleArn: expect.stringContaining(':role/'),
    });
  });

  test('a model below the gate ends without registering', async () => {
    const result = await run(definition, { auc: 0.7 });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain('GateFailed');
    expect(result.visited).toContain('ModelRejected');
    expect(callsTo(result, 'RegisterModel')).toHaveLength(0);
    expect(result.world.manifests[0]).toMatchObject({ outcome: 'REJECTED', gate: { passed: false, value: 0.7 } });
  });

  test('a failed training job notifies, writes the manifest and fails the execution', async () => {
    const result = await run(definition, { trainingFailures: [namedError('States.TaskFailed', 'AlgorithmError: out of memory')] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('TrainingPipelineFailed');
    expect(callsTo(result, 'Train')).toHaveLength(1);
    expect(result.world.published).toEqual([expect.objectContaining({
      pipeline: 'churn', step: 'Train', error: 'States.TaskFailed', cause: 'AlgorithmError: out of memory',
      execution: expect.stringContaining(`:execution:churn:${EXECUTION}`),
    })]);
    expect(result.world.manifests[0]).toMatchObject({ outcome: 'FAILED', failure: { step: 'Train', error: 'States.TaskFailed' } });
    expect(callsTo(result, 'RegisterModel')).toHaveLength(0);
  });

  test('a throttled SageMaker call is retried and the run succeeds', async () => {
    const throttled = () => namedError('SageMaker.AmazonSageMakerException', 'ThrottlingException: Rate exceeded');
    const result = await run(definition, { trainingFailures: [throttled(), throttled()] });
    expect(result.status).toBe('SUCCEEDED');
    expect(callsTo(result, 'Train')).toHaveLength(3);
    expect(result.events.filter((e: any) => e.type === 'StateRetried')).toHaveLength(2);
    expect(result.world.published).toEqual([]);
  });

  test('a capacity error is retried too', async () => {
    const result = await run(definition, { trainingFailures: [namedError('SageMaker.ResourceLimitExceededException', 'no ml.g5 capacity')] });
    expect(result.status).toBe('SUCCEEDED');
    expect(callsTo(result, 'Train')).toHaveLength(2);
  });

  /** A table in which an older run holds the only slot. */
  function busyTable(): FakeRunTable {
    const table = new FakeRunTable();
    table.items.set('slots', { pk: { S: 'slots' }, held: { N: '1' }, [OLDER]: { S: '2026-11-26T00:00:00Z' } });
    return table;
  }

  test('a run that waits longer than maxQueueTime for a slot fails with a notification, and takes no slot', async () => {
    const queued = definitionOf((lake) => fullPipelineProps(lake, { concurrencyPollInterval: Duration.minutes(10), maxQueueTime: Duration.minutes(30) }));
    const table = busyTable();
    const result = await run(queued, { table });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('TrainingPipelineFailed');
    expect(result.visited.filter((s) => s === 'WaitForSlot')).toHaveLength(3);
    expect(callsTo(result, 'AcquireRunSlot')).toHaveLength(4);
    expect(result.visited).not.toContain('Preprocess');
    expect(result.world.published).toEqual([expect.objectContaining({ error: 'QueuedTooLong', step: 'AcquireRunSlot' })]);
    // The older run keeps its slot: the queued run's release found nothing of its own to free.
    expect(table.slots()).toEqual({ held: 1, holders: [OLDER] });
  });

  test('a run waits while older runs hold every slot, then proceeds and frees its slot at the end', async () => {
    const table = busyTable();
    const result = await run(definition, { table }, (h) => {
      const update = h['dynamodb:updateItem'];
      let attempts = 0;
      h['dynamodb:updateItem'] = (input, state) => {
        // The older run ends (and frees its slot) while this one waits for the second time.
        if (state === 'AcquireRunSlot' && ++attempts === 3) table.items.set('slots', { pk: { S: 'slots' }, held: { N: '0' } });
        return update(input, state);
      };
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.filter((s) => s === 'WaitForSlot')).toHaveLength(2);
    expect(callsTo(result, 'AcquireRunSlot')).toHaveLength(3);
    expect(result.visited.indexOf('Preprocess')).toBeGreaterThan(result.visited.lastIndexOf('WaitForSlot'));
    expect(result.visited.indexOf('ReleaseRunSlot')).toBeGreaterThan(result.visited.indexOf('WriteRunManifest'));
    expect(table.slots()).toEqual({ held: 0, holders: [] });
  });

  test.each([
    ['without the gate metric', { accuracy: { value: 0.9 } }],
    ['with a non-numeric gate metric', { auc: { value: 'n/a' } }],
  ])('a report %s fails the run with a notification', async (_name, metrics) => {
    const result = await run(definition, {}, (h) => {
      h['aws-sdk:s3:getObject'] = () => ({ Body: JSON.stringify({ metrics }) });
    });
    expect(result.status).toBe('FAILED');
    expect(result.world.published).toEqual([expect.objectContaining({ step: 'MetricGate', error: 'GateMetricMissing' })]);
    expect(result.world.registered).toHaveLength(0);
    expect(result.world.manifests[0]).toMatchObject({ outcome: 'FAILED', failure: { step: 'MetricGate', error: 'GateMetricMissing' } });
  });

});

describe('TrainingPipeline state machine (training-metric gate, no preprocessing)', () => {
  const definition = definitionOf((lake) => ({
    dataLake: lake,
    pipelineName: 'xgb',
    training: {
      image: SageMakerImage.xgboost('1.7-1'),
      instanceType: MlInstanceType.ML_G5_XLARGE,
      useSpotInstances: true,
      maxRuntime: Duration.hours(2),
    },
    gate: { metricName: 'validation:auc', threshold: 0.85, source: MetricSource.TRAINING_JOB },
  }));

  test('passes asl-validator', () => {
    expect(validateAsl(definition)).toEqual([]);
  });

  test('gates on the training job metric found by name', async () => {
    const passed = await run(definition, { auc: 0.9 });
    expect(passed.status).toBe('SUCCEEDED');
    expect(passed.world.registered).toHaveLength(1);
    expect(passed.world.manifests[0].gate).toMatchObject({ metric: 'validation:auc', value: 0.9, passed: true });

    // A built-in algorithm's rerun request leaves out the metric definitions SageMaker supplies itself.
    expect(passed.world.manifests[0].rerun.createTrainingJobRequest.AlgorithmSpecification).toEqual({
      TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File',
    });

    const rejected = await run(definition, { auc: 0.8 });
    expect(rejected.visited).toContain('ModelRejected');
    expect(rejected.world.registered).toHaveLength(0);
  });

  test('a job that reported no metrics (no FinalMetricDataList) fails the gate with a notification, not a States.Runtime error', async () => {
    const result = await run(definition, {}, (h) => {
      const train = h['sagemaker:createTrainingJob.sync'];
      h['sagemaker:createTrainingJob.sync'] = (input, state) => {
        const described = train(input, state) as any;
        delete described.FinalMetricDataList;
        return described;
      };
    });
    expect([result.status, result.error]).toEqual(['FAILED', 'TrainingPipelineFailed']);
    expect(result.visited).toContain('HasTrainingMetrics');
    expect(result.visited).not.toContain('ExtractGateMetric');
    expect(result.world.published).toEqual([expect.objectContaining({ step: 'MetricGate', error: 'GateMetricMissing' })]);
  });

  test('trains from the raw zone with spot capacity and checkpoints in the run prefix', async () => {
    const result = await run(definition);
    const training = callsTo(result, 'Train')[0].input;
    expect(training.InputDataConfig[0].DataSource.S3DataSource.S3Uri).toMatch(/^s3:\/\/lakerawbucket[^/]*\/training-data\/train\/$/);
    expect(training.EnableManagedSpotTraining).toBe(true);
    expect(training.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 7200, MaxWaitTimeInSeconds: 14400 });
    expect(training.CheckpointConfig).toEqual({
      S3Uri: expect.stringMatching(/^s3:\/\/lakeartifactsbucket[^/]*\/xgb\/runs\/run-2026-11-27\/checkpoints\/$/),
      LocalPath: '/opt/ml/checkpoints',
    });
    expect(result.visited).not.toContain('Preprocess');
  });
});
