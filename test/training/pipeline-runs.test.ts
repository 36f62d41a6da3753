/**
 * The deployed pipeline driven end to end against services that answer like AWS's: EventBridge
 * delivers an S3 or schedule event at least once and names each execution itself, StartExecution
 * rejects a name it has seen, DynamoDB's conditional writes are strongly consistent, SageMaker
 * rejects a job name it has seen, DescribeExecution may lag, and an execution that fails, times
 * out or is stopped emits a status-change event that the backstop rule turns into a cleanup run.
 * Both state machines are the synthesized ones, run in the ASL interpreter.
 */
import { templateOf } from '../helpers/app';
import { namedError, runStateMachine, RunResult, TaskHandlers } from '../helpers/asl';
import { FakeRunTable, fullPipelineProps, pipelineDefinition, pipelineStack } from '../helpers/pipeline';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:churn';

const template = templateOf(pipelineStack((lake) => fullPipelineProps(lake, { maxConcurrentRuns: 1 })).stack);
const PIPELINE = pipelineDefinition(template);
const CLEANUP = pipelineDefinition(template, 'PipelineBackstopCleanup');

interface Execution { name: string; input: any; status: 'RUNNING' | 'SUCCEEDED' | 'FAILED'; result?: RunResult }

/** One account: the services, the two state machines and the rules between them. */
class Account {
  readonly table = new FakeRunTable();
  readonly executions = new Map<string, Execution>();
  readonly published: Array<{ from: string; message: any }> = [];
  readonly jobs: string[] = [];
  readonly cleanups: RunResult[] = [];
  /** Failures to raise, per state, before the service answers. */
  readonly failures: Record<string, Error[]> = {};
  /** Extra behaviour per Task resource end, replacing the default answer. */
  readonly overrides: TaskHandlers = {};
  /** DescribeExecution answers from before the execution ended this many times (eventual consistency). */
  staleDescribes = 0;
  private deliveries = 0;

  /** StartExecution: a name is unique per state machine; the same name and input of a running execution return it again. */
  async startExecution(name: string, input: any, hooks: TaskHandlers = {}): Promise<Execution> {
    const seen = this.executions.get(name);
    if (seen) {
      if (seen.status === 'RUNNING' && JSON.stringify(seen.input) === JSON.stringify(input)) return seen;
      throw namedError('ExecutionAlreadyExists', `Execution Already Exists: '${SM.replace(':stateMachine:', ':execution:')}:${name}'`);
    }
    const execution: Execution = { name, input, status: 'RUNNING' };
    this.executions.set(name, execution);
    const result = await runStateMachine(PIPELINE, input, { ...this.handlers(), ...hooks }, { executionName: name, stateMachineName: 'churn' });
    execution.result = result;
    execution.status = result.status;
    if (result.status === 'FAILED') await this.statusChanged(name, 'FAILED');
    return execution;
  }

  /** EventBridge's Step Functions target: a new execution name for every delivery, the input as the rule's transformer renders it. */
  deliver(input: any, hooks: TaskHandlers = {}): Promise<Execution> {
    return this.startExecution(`${'0'.repeat(8)}-delivery-${++this.deliveries}`, input, hooks);
  }

  /** The backstop rule: an ended execution starts the cleanup state machine with its ARN and status. */
  async statusChanged(name: string, status: string): Promise<void> {
    const execution = `${SM.replace(':stateMachine:', ':execution:')}:${name}`;
    this.cleanups.push(await runStateMachine(CLEANUP, { execution, status }, this.handlers('cleanup'), { executionName: `cleanup-${name}`, stateMachineName: 'cleanup' }));
  }

  private handlers(from = 'pipeline'): TaskHandlers {
    const table = this.table.handlers();
    const failing = (state: string) => this.failures[state]?.shift();
    const wrap = (key: string, answer: (input: any, state: string) => unknown) => (input: any, state: string) => {
      const failure = failing(state);
      if (failure) throw failure;
      return (this.overrides[key] ?? answer)(input, state);
    };
    return {
      'dynamodb:putItem': wrap('dynamodb:putItem', table['dynamodb:putItem']),
      'dynamodb:updateItem': wrap('dynamodb:updateItem', table['dynamodb:updateItem']),
      'sagemaker:createProcessingJob.sync': wrap('sagemaker:createProcessingJob.sync', (input) => this.job(input.ProcessingJobName, { ...input, ProcessingJobStatus: 'Completed' })),
      'sagemaker:createTrainingJob.sync': wrap('sagemaker:createTrainingJob.sync', (input) => this.job(input.TrainingJobName, {
        ...input,
        TrainingJobStatus: 'Completed',
        ModelArtifacts: { S3ModelArtifacts: `${input.OutputDataConfig.S3OutputPath}${input.TrainingJobName}/output/model.tar.gz` },
        FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.9 }],
      })),
      'aws-sdk:s3:getObject': wrap('aws-sdk:s3:getObject', () => ({ Body: JSON.stringify({ metrics: { auc: { value: 0.9 } } }) })),
      'aws-sdk:sagemaker:createModelPackage': wrap('aws-sdk:sagemaker:createModelPackage', () => ({ ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1' })),
      'aws-sdk:sfn:describeExecution': wrap('aws-sdk:sfn:describeExecution', (input) => {
        const name = input.ExecutionArn.split(':').pop();
        const ended = this.executions.get(name)?.result;
        if (this.staleDescribes > 0 || !ended) {
          this.staleDescribes--;
          return { ExecutionArn: input.ExecutionArn, Status: 'RUNNING' };
        }
        return { ExecutionArn: input.ExecutionArn, Status: ended.status, ...(ended.error ? { Error: ended.error, Cause: ended.cause } : {}) };
      }),
      'sns:publish': wrap('sns:publish', (input) => {
        this.published.push({ from, message: typeof input.Message === 'string' ? JSON.parse(input.Message) : input.Message });
        return { MessageId: `m-${this.published.length}` };
      }),
      [PIPELINE.States.ComputeBaseline.Resource]: wrap('baseline', (input) => ({ baselineUri: `s3://${input.output.bucket}/${input.output.key}`, rows: 10, features: 6, problems: { columnCount: 0, nonNumeric: 0 } })),
      [PIPELINE.States.WriteRunManifest.Resource]: wrap('manifest', () => ({ manifestUri: 's3://artifacts/manifest.json', inputObjects: 0, problems: [] })),
    };
  }

  /** SageMaker job names are unique per account and region. */
  private job(name: string, description: any): any {
    if (this.jobs.includes(name)) throw namedError('SageMaker.AmazonSageMakerException', `ValidationException: Job name ${name} must be unique within an AWS account and region`);
    this.jobs.push(name);
    return description;
  }
}

const s3Event = (versionId = 'v1') => ({ trigger: 'new-data', bucket: 'lake-raw', key: 'training-data/2026-12-01/_SUCCESS', versionId });
const errorsOf = (account: Account) => account.published.map((p) => [p.from, p.message.error]);

describe('one run per data-set version', () => {
  test('an S3 event delivered twice starts one run; the second ends quietly without jobs or notifications', async () => {
    const account = new Account();
    const first = await account.deliver(s3Event());
    const second = await account.deliver(s3Event());
    expect(first.result!.status).toBe('SUCCEEDED');
    expect(first.result!.visited).toContain('ModelRegistered');
    expect(second.result!.status).toBe('SUCCEEDED');
    expect(second.result!.visited).toEqual(['StartRun', 'PlanRun', 'RunStartKey', 'ObjectVersionKey', 'ClaimRun', 'DuplicateRun']);
    expect(account.jobs).toHaveLength(3);
    expect(account.published).toEqual([]);
    expect(account.table.items.get('run#s3://lake-raw/training-data/2026-12-01/_SUCCESS?versionId=v1')).toMatchObject({
      execution: { S: `${SM.replace(':stateMachine:', ':execution:')}:${first.name}` },
    });
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
  });

  test('a new version of the same object starts its own run', async () => {
    const account = new Account();
    await account.deliver(s3Event('v1'));
    const next = await account.deliver(s3Event('v2'));
    expect(next.result!.visited).toContain('ModelRegistered');
    expect(account.jobs).toHaveLength(6);
  });

  test('a schedule event delivered twice starts one run', async () => {
    const account = new Account();
    const tick = { trigger: 'schedule', time: '2026-12-01T00:00:00Z' };
    await account.deliver(tick);
    const again = await account.deliver(tick);
    expect(again.result!.visited).toContain('DuplicateRun');
    expect(again.result!.visited).toContain('ScheduleKey');
    expect(account.jobs).toHaveLength(3);
  });

  test('StartExecution rejects a reused name; a manual start under a new name reruns the same data', async () => {
    const account = new Account();
    await account.startExecution('retrain-2026-12-01', { trigger: 'manual' });
    await expect(account.startExecution('retrain-2026-12-01', { trigger: 'manual' })).rejects.toThrow(/Execution Already Exists/);
    const rerun = await account.startExecution('retrain-2026-12-01-b', { trigger: 'manual' });
    expect(rerun.result!.visited).toEqual(expect.arrayContaining(['ExecutionKey', 'ModelRegistered']));
    expect(account.jobs).toHaveLength(6);
  });
});

describe('one run at a time (maxConcurrentRuns: 1)', () => {
  test('a second data set waits until the first run frees its slot; two runs never hold slots at once', async () => {
    const account = new Account();
    let firstDone!: () => void;
    const firstFinished = new Promise<void>((resolve) => { firstDone = resolve; });
    let secondTriedWhileBusy!: () => void;
    const secondBlocked = new Promise<void>((resolve) => { secondTriedWhileBusy = resolve; });
    let mostHeld = 0;
    const update = account.table.handlers()['dynamodb:updateItem'];
    let secondAttempts = 0;
    account.overrides['dynamodb:updateItem'] = async (input, state) => {
      const second = input.ExpressionAttributeNames['#holder']?.endsWith('delivery-2');
      if (second && state === 'AcquireRunSlot' && ++secondAttempts === 2) await firstFinished;
      try {
        return update(input, state);
      } catch (e) {
        if (second) secondTriedWhileBusy();
        throw e;
      } finally {
        mostHeld = Math.max(mostHeld, account.table.slots().held);
      }
    };
    const first = account.deliver(s3Event('v1'), {
      // The first run trains until the second has found every slot taken.
      'sagemaker:createTrainingJob.sync': async (input) => {
        await secondBlocked;
        return { ...input, ModelArtifacts: { S3ModelArtifacts: 's3://a/model.tar.gz' }, FinalMetricDataList: [] };
      },
    }).then((e) => { firstDone(); return e; });
    const second = account.deliver(s3Event('v2'));
    const [a, b] = await Promise.all([first, second]);
    expect([a.result!.status, b.result!.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(b.result!.visited.filter((s) => s === 'WaitForSlot')).toHaveLength(1);
    expect(b.result!.visited.indexOf('Preprocess')).toBeGreaterThan(b.result!.visited.indexOf('WaitForSlot'));
    expect(mostHeld).toBe(1);
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
  });
});

describe('every failure notifies, and every ended run frees its slot', () => {
  test('a training call that fails more often than its retries allow: one notification, slot freed, no second report', async () => {
    const account = new Account();
    account.failures.Train = Array.from({ length: 9 }, () => namedError('SageMaker.AmazonSageMakerException', 'ThrottlingException: Rate exceeded'));
    const run = await account.deliver(s3Event());
    expect(run.result!.error).toBe('TrainingPipelineFailed');
    // MaxAttempts 8: the first call and eight retries.
    expect(run.result!.calls.filter((c) => c.state === 'Train')).toHaveLength(9);
    expect(account.published).toEqual([{ from: 'pipeline', message: expect.objectContaining({ step: 'Train', error: 'SageMaker.AmazonSageMakerException' }) }]);
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
    // The backstop ran, found the slot free and the failure reported, and stayed quiet.
    expect(account.cleanups.map((c) => [c.status, c.visited.slice(-1)[0]])).toEqual([['SUCCEEDED', 'Done']]);
  });

  test('a capacity error beyond its retries fails the run the same way', async () => {
    const account = new Account();
    account.failures.Preprocess = Array.from({ length: 6 }, () => namedError('SageMaker.ResourceLimitExceededException', 'no ml.m5.xlarge capacity'));
    const run = await account.deliver(s3Event());
    expect(run.result!.calls.filter((c) => c.state === 'Preprocess')).toHaveLength(6);
    expect(errorsOf(account)).toEqual([['pipeline', 'SageMaker.ResourceLimitExceededException']]);
    expect(account.table.slots().held).toBe(0);
  });

  test('a failure no Catch can take (States.Runtime) is reported by the backstop, which frees the slot', async () => {
    const account = new Account();
    // A training description without ModelArtifacts: the registration's parameters name a path that is not there.
    account.overrides['sagemaker:createTrainingJob.sync'] = (input) => ({ ...input, FinalMetricDataList: [] });
    const run = await account.deliver(s3Event());
    expect(run.result!.status).toBe('FAILED');
    expect(run.result!.error).toBe('States.Runtime');
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
    expect(account.published).toEqual([{ from: 'cleanup', message: expect.objectContaining({ status: 'FAILED', error: 'States.Runtime', execution: expect.stringContaining(run.name) }) }]);
  });

  test('a notification that cannot be sent ends the run with an error the backstop reports', async () => {
    const account = new Account();
    account.failures.Train = [namedError('States.TaskFailed', 'AlgorithmError')];
    account.failures.NotifyFailure = Array.from({ length: 6 }, () => namedError('SNS.KMSThrottlingException', 'Rate exceeded'));
    const run = await account.deliver(s3Event());
    expect(run.result!.error).toBe('RunNotNotified');
    expect(run.result!.visited).toEqual(expect.arrayContaining(['NotifyFailure', 'WriteRunManifest', 'ReleaseRunSlot', 'RunNotNotified']));
    expect(errorsOf(account)).toEqual([['cleanup', 'RunNotNotified']]);
    expect(account.table.slots().held).toBe(0);
  });

  test('a slot that cannot be freed fails the run; the backstop frees it and reports', async () => {
    const account = new Account();
    account.failures.ReleaseRunSlot = Array.from({ length: 7 }, () => namedError('DynamoDB.ThrottlingException', 'Throughput exceeds the limit'));
    const run = await account.deliver(s3Event());
    expect(run.result!.error).toBe('RunSlotNotReleased');
    expect(run.result!.calls.filter((c) => c.state === 'ReleaseRunSlot')).toHaveLength(7);
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
    expect(errorsOf(account)).toEqual([['cleanup', 'RunSlotNotReleased']]);
  });

  test('DynamoDB errors the SDK does not model (AmazonDynamoDBException) are retried: the claim and the slot still work', async () => {
    const account = new Account();
    const unmodeled = () => namedError('DynamoDB.AmazonDynamoDBException', 'ThrottlingException: Rate of requests exceeds the allowed throughput');
    account.failures.ClaimRun = [unmodeled()];
    account.failures.AcquireRunSlot = [unmodeled(), unmodeled()];
    account.failures.ReleaseRunSlot = [unmodeled()];
    const run = await account.deliver(s3Event());
    expect(run.result!.status).toBe('SUCCEEDED');
    expect(run.result!.calls.filter((c) => c.state === 'AcquireRunSlot')).toHaveLength(3);
    expect(run.result!.visited).not.toContain('WaitForSlot');
    expect(account.published).toEqual([]);
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
  });

  test('a claim and a slot whose write succeeded but answered with an internal error: the retried run proceeds, once', async () => {
    const account = new Account();
    const table = account.table.handlers();
    const lost = new Set<string>();
    // DynamoDB: an internal error may come after the write was made.
    const afterWrite = (op: 'dynamodb:putItem' | 'dynamodb:updateItem', state: string) => async (input: any, s: string) => {
      const answer = await table[op](input, s);
      if (s === state && !lost.has(state)) {
        lost.add(state);
        throw namedError('DynamoDB.InternalServerErrorException', 'Internal server error');
      }
      return answer;
    };
    account.overrides['dynamodb:putItem'] = afterWrite('dynamodb:putItem', 'ClaimRun');
    account.overrides['dynamodb:updateItem'] = afterWrite('dynamodb:updateItem', 'AcquireRunSlot');
    const run = await account.deliver(s3Event());
    expect(run.result!.status).toBe('SUCCEEDED');
    expect(run.result!.visited).not.toContain('DuplicateRun');
    expect(run.result!.visited).not.toContain('WaitForSlot');
    expect(run.result!.visited).toEqual(expect.arrayContaining(['HoldsRunSlot', 'ModelRegistered']));
    expect(account.jobs).toHaveLength(3);
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
    // A second delivery of the same event is still a duplicate.
    const again = await account.deliver(s3Event());
    expect(again.result!.visited.slice(-1)).toEqual(['DuplicateRun']);
  });

  test('a run manifest that cannot be written is reported, and the slot freed', async () => {
    const account = new Account();
    account.failures.WriteRunManifest = Array.from({ length: 7 }, () => namedError('Lambda.TooManyRequestsException', 'Rate exceeded'));
    const run = await account.deliver(s3Event());
    expect(run.result!.error).toBe('RunManifestNotWritten');
    expect(account.published.map((p) => [p.from, p.message.error])).toEqual([['pipeline', 'Lambda.TooManyRequestsException']]);
    expect(account.table.slots().held).toBe(0);
    expect(account.cleanups.map((c) => c.visited.slice(-1)[0])).toEqual(['Done']);
  });

  test('a stale DescribeExecution (eventually consistent) makes the backstop notify rather than stay quiet', async () => {
    const account = new Account();
    account.staleDescribes = 1;
    account.overrides['sagemaker:createTrainingJob.sync'] = (input) => ({ ...input, FinalMetricDataList: [] });
    await account.deliver(s3Event());
    expect(account.published).toEqual([{ from: 'cleanup', message: expect.objectContaining({ status: 'FAILED' }) }]);
    expect(account.cleanups[0].visited).toContain('NotifyRunFailedUnknown');
  });

  test('a run that timed out or was stopped gets its slot back; the topic hears of it from the rule, not twice from the cleanup', async () => {
    const account = new Account();
    const holder = `${SM.replace(':stateMachine:', ':execution:')}:stuck-run`;
    account.table.items.set('slots', { pk: { S: 'slots' }, held: { N: '1' }, [holder]: { S: '2026-12-01T00:00:00Z' } });
    await account.statusChanged('stuck-run', 'TIMED_OUT');
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
    expect(account.published).toEqual([]);
    // Freeing twice (a second event) frees nothing more.
    await account.statusChanged('stuck-run', 'TIMED_OUT');
    expect(account.table.slots()).toEqual({ held: 0, holders: [] });
  });
});

describe('job names', () => {
  const trainingJob = async (context: any) => {
    const calls: string[] = [];
    const account = new Account();
    await runStateMachine(PIPELINE, { trigger: 'manual' }, {
      ...(account as any).handlers(),
      'sagemaker:createTrainingJob.sync': (input: any) => { calls.push(input.TrainingJobName); throw namedError('States.TaskFailed', 'stop here'); },
    }, { executionName: 'run-1', stateMachineName: 'churn', context });
    return calls[0];
  };

  test('a redriven execution creates its jobs under new names; a retried call keeps the name (no job was created)', async () => {
    const first = await trainingJob({});
    const redriven = await trainingJob({ Execution: { RedriveCount: 1 } });
    expect(first).toMatch(/^churn-train-[0-9a-f]{32}$/);
    expect(redriven).toMatch(/^churn-train-[0-9a-f]{32}$/);
    expect(redriven).not.toBe(first);

    const account = new Account();
    account.failures.Train = [namedError('SageMaker.AmazonSageMakerException', 'ThrottlingException')];
    const run = await account.deliver(s3Event());
    const names = run.result!.calls.filter((c) => c.state === 'Train').map((c) => c.input.TrainingJobName);
    expect(names).toHaveLength(2);
    expect(names[1]).toBe(names[0]);
    expect(run.result!.status).toBe('SUCCEEDED');
  });
});
