/**
 * Every AWS command of `mlops` in-process, with mocked SDK clients and a recording terminal.
 */
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, DescribeAlarmsForMetricCommand, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, DescribeModelPackageCommand, DescribeTrainingJobCommand, ListModelPackagesCommand, ListTagsCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_ATTEMPTS } from '../../cli/aws';
import { FakeIo, mlops } from './fake-io';
import { EXECUTION, History, HistoryService, MACHINE, PLAN, REGISTERED } from './history';

const sfn = mockClient(SFNClient);
const sagemaker = mockClient(SageMakerClient);
const cloudformation = mockClient(CloudFormationClient);
const cloudwatch = mockClient(CloudWatchClient);
let io: FakeIo;

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });
const started = new Date('2026-12-01T10:00:00Z');
const JOB = 'churn-train-0a1b2c';

beforeEach(() => {
  [sfn, sagemaker, cloudformation, cloudwatch].forEach((m) => m.reset());
  io = new FakeIo();
});

/** A run whose history grows at each poll: running, training, then succeeded. Returns its GetExecutionHistory. */
function pipelineRun(): HistoryService {
  const h = [
    new History().enter('PlanRun', 0, 'Pass').exit('PlanRun', 0, PLAN, 'Pass').enter('Train', 1)
      .scheduled('Train', 1, 'sagemaker', 'createTrainingJob.sync', { TrainingJobName: JOB }),
  ];
  const second = new History().enter('PlanRun', 0, 'Pass').exit('PlanRun', 0, PLAN, 'Pass').enter('Train', 1)
    .scheduled('Train', 1, 'sagemaker', 'createTrainingJob.sync', { TrainingJobName: JOB }).succeeded('Train', 190).exit('Train', 190)
    .enter('RegisterModel', 191).exit('RegisterModel', 193, { ...PLAN, registration: { ModelPackageArn: REGISTERED } });
  h.push(second);
  sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION })
    .resolvesOnce({ executionArn: EXECUTION, name: 'run-1', status: 'RUNNING', startDate: started, stateMachineArn: MACHINE, input: '{}' } as any)
    .resolves({ executionArn: EXECUTION, name: 'run-1', status: 'SUCCEEDED', startDate: started, stopDate: new Date(started.getTime() + 194_000), stateMachineArn: MACHINE, output: JSON.stringify(PLAN) } as any);
  const history: HistoryService = new HistoryService(() => h[Math.min(history.requests.length, 1)].events);
  sfn.on(GetExecutionHistoryCommand).callsFake((input) => history.page(input));
  sagemaker.on(DescribeTrainingJobCommand, { TrainingJobName: JOB })
    .resolvesOnce({
      TrainingJobName: JOB, TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training',
      SecondaryStatusTransitions: [
        { Status: 'Starting', StartTime: new Date(started.getTime() + 2_000), EndTime: new Date(started.getTime() + 62_000), StatusMessage: 'Preparing the instances for training' },
        { Status: 'Training', StartTime: new Date(started.getTime() + 62_000), StatusMessage: 'Training image download completed. Training in progress.' },
      ],
      FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.81, Timestamp: new Date(started.getTime() + 90_000) }],
    } as any)
    .resolves({
      TrainingJobName: JOB, TrainingJobStatus: 'Completed', SecondaryStatus: 'Completed', BillableTimeInSeconds: 150,
      SecondaryStatusTransitions: [
        { Status: 'Starting', StartTime: new Date(started.getTime() + 2_000), EndTime: new Date(started.getTime() + 62_000) },
        { Status: 'Training', StartTime: new Date(started.getTime() + 62_000), EndTime: new Date(started.getTime() + 180_000) },
        { Status: 'Completed', StartTime: new Date(started.getTime() + 180_000), EndTime: new Date(started.getTime() + 180_000), StatusMessage: 'Training job completed' },
      ],
      FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.8734, Timestamp: new Date(started.getTime() + 170_000) }],
    } as any);
  return history;
}

describe('mlops run', () => {
  test('resolves a stack to its pipeline state machine, starts it and follows it to the manifest', async () => {
    // GIVEN a stack with a pipeline and a promotion state machine and no StateMachineArn output
    cloudformation.on(DescribeStacksCommand, { StackName: 'ChurnStack' }).resolves({ Stacks: [{ StackName: 'ChurnStack', StackStatus: 'CREATE_COMPLETE', CreationTime: started, Outputs: [] }] });
    cloudformation.on(ListStackResourcesCommand, { StackName: 'ChurnStack' }).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: 'PipelinePromotionStateMachine1A2B', PhysicalResourceId: `${MACHINE}-promotion`, ResourceType: 'AWS::StepFunctions::StateMachine', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: started },
        { LogicalResourceId: 'PipelineStateMachine3C4D', PhysicalResourceId: MACHINE, ResourceType: 'AWS::StepFunctions::StateMachine', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: started },
      ],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: started });
    pipelineRun();
    // and the algorithm's metrics in CloudWatch, newer than DescribeTrainingJob's
    const host = [{ Name: 'Host', Value: `${JOB}/algo-1` }];
    cloudwatch.on(ListMetricsCommand, { Namespace: '/aws/sagemaker/TrainingJobs', Dimensions: host }).resolves({ Metrics: [
      { Namespace: '/aws/sagemaker/TrainingJobs', MetricName: 'train:loss', Dimensions: host },
      { Namespace: '/aws/sagemaker/TrainingJobs', MetricName: 'GPUUtilization', Dimensions: host },
      { Namespace: '/aws/sagemaker/TrainingJobs', MetricName: 'validation:auc', Dimensions: host },
    ] });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [
      { Id: 'm0', Values: [0.42], Timestamps: [new Date(started.getTime() + 120_000)] },
      { Id: 'm1', Values: [0.79], Timestamps: [new Date(started.getTime() + 60_000)] },
    ] });
    // WHEN
    const code = await mlops(io, 'run', 'ChurnStack', '--interval', '7');
    // THEN it started the pipeline's machine (not the promotion) with the default input
    expect(code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toEqual({ stateMachineArn: MACHINE, input: '{}', name: undefined });
    expect(io.sleeps).toEqual([7000]);
    // the first frame shows the running step and the training job's transitions and metrics as they are
    expect(io.frames[0]).toContain('run-1  RUNNING');
    expect(io.frames[0]).toMatch(/PlanRun\s+SUCCEEDED\s+0s/);
    expect(io.frames[0]).toMatch(/Train\s+RUNNING/);
    expect(io.frames[0]).toContain(`training job ${JOB}  InProgress / Training`);
    expect(io.frames[0]).toMatch(/Starting\s+1m00s\s+Preparing the instances for training/);
    // CloudWatch's newer loss joins; its older AUC does not replace SageMaker's; instance metrics stay out
    expect(io.frames[0]).toContain('metrics: validation:auc=0.8100  train:loss=0.4200');
    const metricQuery = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(metricQuery.MetricDataQueries!.map((q) => q.MetricStat!.Metric!.MetricName)).toEqual(['train:loss', 'validation:auc']);
    expect(metricQuery.MetricDataQueries![0].MetricStat).toMatchObject({ Period: 60, Stat: 'Average' });
    // described once more after it completed, CloudWatch not asked again
    expect(cloudwatch.commandCalls(ListMetricsCommand)).toHaveLength(1);
    expect(io.frames[0]).not.toContain('run manifest');
    // the last frame: durations, final metrics, the manifest's location
    const last = io.frames[io.frames.length - 1];
    expect(io.frames).toHaveLength(2);
    expect(last).toContain('run-1  SUCCEEDED  3m14s');
    expect(last).toMatch(/Train\s+SUCCEEDED\s+3m09s/);
    expect(last).toMatch(/RegisterModel\s+SUCCEEDED\s+2s/);
    expect(last).toMatch(/Training\s+1m58s/);
    expect(last).toContain('metrics: validation:auc=0.8734\n');
    expect(last).toContain(`model package: ${REGISTERED}\nrun manifest: s3://artifacts-bucket/churn/runs/run-1/manifest.json`);
    expect(io.stderr).toBe(`started ${EXECUTION}\n`);
  });

  test('a just-started execution that DescribeExecution does not know yet is asked for again, a few times', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: started });
    pipelineRun();
    sfn.on(DescribeExecutionCommand).rejectsOnce(awsError('ExecutionDoesNotExist', 'Execution Does Not Exist'))
      .resolves({ executionArn: EXECUTION, name: 'run-1', status: 'SUCCEEDED', startDate: started, stopDate: started } as any);
    expect(await mlops(io, 'run', MACHINE)).toBe(0);
    expect(io.sleeps).toEqual([2000]);
    // watch (no start) and a run that keeps not existing fail with the advice
    io = new FakeIo();
    sfn.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist', 'Execution Does Not Exist'));
    expect(await mlops(io, 'watch', EXECUTION)).toBe(1);
    expect(io.sleeps).toEqual([]);
    expect(io.stderr).toBe('mlops: Execution Does Not Exist\nCheck the name or ARN, and the region (--region, AWS_REGION).\n');
    io = new FakeIo();
    expect(await mlops(io, 'run', MACHINE)).toBe(1);
    expect(io.sleeps).toEqual([2000, 2000, 2000, 2000]);
  });

  test('--input sends the file; --json prints the run as JSON once, without a live display', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlops-cli-input-'));
    try {
      writeFileSync(path.join(dir, 'input.json'), '{"trigger":"schedule","time":"2026-12-01T00:00:00Z"}');
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: started });
      pipelineRun();
      const code = await mlops(io, 'run', MACHINE, '--input', path.join(dir, 'input.json'), '--name', 'run-1', '--json');
      expect(code).toBe(0);
      expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toEqual({ stateMachineArn: MACHINE, name: 'run-1', input: '{"trigger":"schedule","time":"2026-12-01T00:00:00Z"}' });
      expect(cloudformation.calls()).toHaveLength(0);
      expect(io.frames).toEqual([]);
      const result = JSON.parse(io.stdout);
      expect(result).toMatchObject({
        status: 'SUCCEEDED', detached: false, trainingJobName: JOB, manifestUri: 's3://artifacts-bucket/churn/runs/run-1/manifest.json',
        training: { status: 'Completed', metrics: [{ name: 'validation:auc', value: 0.8734 }] },
      });
      expect(result.steps.map((s: any) => [s.name, s.status])).toEqual([['PlanRun', 'SUCCEEDED'], ['Train', 'SUCCEEDED'], ['RegisterModel', 'SUCCEEDED']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a taken execution name: AWS\'s message and what to do', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists', 'Execution Already Exists: run-1'));
    expect(await mlops(io, 'run', MACHINE, '--name', 'run-1')).toBe(1);
    expect(io.stderr).toBe('mlops: Execution Already Exists: run-1\nAn execution name is taken for 90 days after its run ended: pass another --name, or leave it out for a new one.\n');
  });

  test('fails with the file named when --input is not JSON, before starting anything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlops-cli-input-'));
    try {
      writeFileSync(path.join(dir, 'bad.json'), '{trigger');
      expect(await mlops(io, 'run', MACHINE, '--input', path.join(dir, 'bad.json'))).toBe(1);
      expect(io.stderr).toMatch(/^mlops: the input .*bad\.json is not JSON .*: the execution's input must be a JSON document\n$/);
      expect(sfn.calls()).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Ctrl-C detaches: no StopExecution, and the message says how to re-attach', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: started });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: 'run-1', status: 'RUNNING', startDate: started } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: new History().enter('PlanRun', 0, 'Pass').events });
    io.onSleep = (n) => { if (n === 2) io.pressCtrlC(); };
    const code = await mlops(io, 'run', MACHINE);
    expect(code).toBe(0);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
    expect(io.stderr).toContain(`detached: run-1 goes on (RUNNING). Re-attach with: mlops watch ${EXECUTION}\n`);
  });

  test('a failed run exits 3 and shows the failed step with its error and the execution\'s cause', async () => {
    const h = new History().enter('PlanRun', 0, 'Pass').exit('PlanRun', 0, PLAN, 'Pass').enter('Train', 1)
      .scheduled('Train', 1, 'sagemaker', 'createTrainingJob.sync', { TrainingJobName: JOB })
      .failed('Train', 40, 'SageMaker.AmazonSageMakerException', 'ResourceLimitExceeded: ml.g5.xlarge for spot training');
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: 'run-1', status: 'FAILED', startDate: started, stopDate: new Date(started.getTime() + 42_000), error: 'TrainFailed', cause: 'see the failure notification' } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: h.events });
    sagemaker.on(DescribeTrainingJobCommand).rejects(awsError('ResourceNotFound', 'Requested resource not found'));
    const code = await mlops(io, 'watch', EXECUTION);
    expect(code).toBe(3);
    const last = io.frames[io.frames.length - 1];
    expect(last).toMatch(/Train\s+FAILED\s+39s\s+SageMaker\.AmazonSageMakerException: ResourceLimitExceeded/);
    expect(last).toContain('error: TrainFailed: see the failure notification');
    expect(last).toContain('run manifest: s3://artifacts-bucket/churn/runs/run-1/manifest.json');
    expect(io.sleeps).toEqual([]);
  });
});

describe('mlops watch and status', () => {
  test('a run whose model the gate rejected succeeded, and says the outcome', async () => {
    const output = { ...PLAN, outcome: { status: 'REJECTED' } };
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: 'run-1', status: 'SUCCEEDED', startDate: started, stopDate: started, output: JSON.stringify(output) } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: new History().enter('MetricGate', 0, 'Choice').exit('MetricGate', 0, output, 'Choice').events });
    expect(await mlops(io, 'status', EXECUTION)).toBe(0);
    expect(io.stdout).toContain('\noutcome: REJECTED\nrun manifest: ');
    expect(io.stdout).not.toContain('model package:');
  });

  test('watch takes an execution name with --pipeline, and polls every 5 s by default', async () => {
    pipelineRun();
    expect(await mlops(io, 'watch', 'run-1', '--pipeline', MACHINE)).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0].args[0].input).toEqual({ executionArn: EXECUTION });
    expect(io.sleeps).toEqual([5000]);
  });

  test('a poll reads only the events added since the last: newest first, down to the last one it has', async () => {
    // GIVEN a run whose 4 events grow to 9 between the polls
    const history = pipelineRun();
    // WHEN
    expect(await mlops(io, 'watch', EXECUTION)).toBe(0);
    // THEN the first poll read the whole history, the second one page of the newest events
    expect(history.requests.map((r) => [r.nextToken, r.maxResults, r.reverseOrder])).toEqual([[undefined, 1000, undefined], [undefined, 100, true]]);
    expect(history.requests.every((r) => (r as any).includeExecutionData === true)).toBe(true);
    // and the steps show each event once: no visit counted twice
    const last = io.frames[io.frames.length - 1];
    expect(last).toMatch(/PlanRun\s+SUCCEEDED\s+0s\n/);
    expect(last).toMatch(/Train\s+SUCCEEDED\s+3m09s\n/);
    expect(last).not.toContain('visits');
  });

  test('a poll whose page token expired (InvalidToken) reads again and shows each event once', async () => {
    // GIVEN a loop that adds 150 events between the polls, and the poll's second page token expired
    const h = () => {
      const run = new History().enter('PlanRun', 0, 'Pass').exit('PlanRun', 0, PLAN, 'Pass');
      for (let i = 0; i < (history.requests.length ? 76 : 1); i++) run.enter('Wait', 1 + i, 'Wait').exit('Wait', 2 + i, {}, 'Wait');
      return run.events;
    };
    const history = new HistoryService(h);
    history.expired.push('after-55');
    sfn.on(GetExecutionHistoryCommand).callsFake((input) => history.page(input));
    sfn.on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: EXECUTION, name: 'run-1', status: 'RUNNING', startDate: started } as any)
      .resolves({ executionArn: EXECUTION, name: 'run-1', status: 'SUCCEEDED', startDate: started, stopDate: new Date(started.getTime() + 80_000) } as any);
    // WHEN
    expect(await mlops(io, 'watch', EXECUTION)).toBe(0);
    // THEN the poll started over after the expired token and counted each visit once
    expect(history.requests.map((r) => r.nextToken)).toEqual([undefined, undefined, 'after-55', undefined, 'after-55']);
    expect(io.frames[io.frames.length - 1]).toMatch(/Wait\s+SUCCEEDED\s+1s\s+76 visits\n/);
  });

  test('without access to CloudWatch the watch goes on with SageMaker\'s metrics and says why', async () => {
    pipelineRun();
    cloudwatch.on(ListMetricsCommand).rejects(awsError('AccessDenied', 'not authorized to perform: cloudwatch:ListMetrics'));
    expect(await mlops(io, 'watch', EXECUTION)).toBe(0);
    expect(io.frames[0]).toContain('metrics: validation:auc=0.8100\n  live metrics from CloudWatch unavailable (AccessDenied)');
    expect(io.frames[1]).toContain('run-1  SUCCEEDED');
  });

  test('watch without an ARN or --pipeline says what to pass', async () => {
    expect(await mlops(io, 'watch', 'run-1')).toBe(1);
    expect(io.stderr).toBe("mlops: 'run-1' is not an execution ARN: pass the ARN (`mlops runs` lists them), or the name with --pipeline <stack-or-state-machine>.\n");
  });

  test('status shows one snapshot and does not poll', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: 'run-1', status: 'RUNNING', startDate: started } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: new History().enter('PlanRun', 0, 'Pass').exit('PlanRun', 0, PLAN, 'Pass').enter('Train', 1).events });
    expect(await mlops(io, 'status', EXECUTION)).toBe(0);
    expect(io.sleeps).toEqual([]);
    expect(io.stdout).toMatch(/^run-1  RUNNING  started 2026-12-01 10:00:00Z\n {2}PlanRun\s+SUCCEEDED\s+0s\n {2}Train\s+RUNNING\n$/);
  });

  test('history pages are all read', async () => {
    const h = new History().enter('PlanRun', 0, 'Pass').exit('PlanRun', 0, PLAN, 'Pass').enter('Train', 1).exit('Train', 9);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: 'run-1', status: 'SUCCEEDED', startDate: started, stopDate: new Date(started.getTime() + 10_000) } as any);
    sfn.on(GetExecutionHistoryCommand, { nextToken: undefined }).resolves({ events: h.events.slice(0, 2), nextToken: 'page2' });
    sfn.on(GetExecutionHistoryCommand, { nextToken: 'page2' }).resolves({ events: h.events.slice(2) });
    await mlops(io, 'status', EXECUTION, '--json');
    expect(JSON.parse(io.stdout).steps.map((s: any) => s.name)).toEqual(['PlanRun', 'Train']);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0].args[0].input).toMatchObject({ maxResults: 1000, includeExecutionData: true });
  });

  test('a retried task counts its retries; a state entered again counts its visits', async () => {
    const h = new History().enter('AcquireRunSlot', 0).failed('AcquireRunSlot', 1, 'States.TaskFailed', 'busy')
      .scheduled('AcquireRunSlot', 3, 'dynamodb', 'updateItem', {}).exit('AcquireRunSlot', 4)
      .enter('Wait', 5, 'Wait').exit('Wait', 65, {}, 'Wait').enter('AcquireRunSlot', 66).exit('AcquireRunSlot', 67);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: 'run-1', status: 'RUNNING', startDate: started } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: h.events });
    await mlops(io, 'status', EXECUTION);
    expect(io.stdout).toMatch(/AcquireRunSlot\s+SUCCEEDED\s+1s\s+2 visits, 1 retries/);
    expect(io.stdout).toMatch(/Wait\s+SUCCEEDED\s+1m00s/);
  });
});

describe('mlops runs', () => {
  test('a table of the newest runs of every state machine', async () => {
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [
      { stateMachineArn: MACHINE, name: 'ChurnPipeline', type: 'STANDARD', creationDate: started },
      { stateMachineArn: `${MACHINE}Fast`, name: 'ChurnPipelineFast', type: 'EXPRESS', creationDate: started },
      { stateMachineArn: `${MACHINE}Other`, name: 'Other', type: 'STANDARD', creationDate: started },
    ] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE }).resolves({ executions: [
      { executionArn: `${EXECUTION}a`, stateMachineArn: MACHINE, name: 'old', status: 'FAILED', startDate: new Date('2026-11-30T08:00:00Z'), stopDate: new Date('2026-11-30T08:10:00Z') },
    ] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: `${MACHINE}Other` }).resolves({ executions: [
      { executionArn: `${EXECUTION}b`, stateMachineArn: `${MACHINE}Other`, name: 'new', status: 'RUNNING', startDate: new Date('2026-12-01T09:00:00Z') },
    ] });
    expect(await mlops(io, 'runs', '--limit', '5')).toBe(0);
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: MACHINE, maxResults: 5, statusFilter: undefined }, { stateMachineArn: `${MACHINE}Other`, maxResults: 5, statusFilter: undefined },
    ]);
    expect(io.stdout.split('\n')).toEqual([
      expect.stringMatching(/^run\s+pipeline\s+status\s+started\s+duration$/),
      expect.stringMatching(/^new\s+ChurnPipelineOther\s+RUNNING\s+2026-12-01 09:00:00Z\s+1h00m$/),
      expect.stringMatching(/^old\s+ChurnPipeline\s+FAILED\s+2026-11-30 08:00:00Z\s+10m00s$/),
      '',
    ]);
  });

  test('--pipeline with an unknown stack or machine says so and what to pass', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id Nope does not exist'));
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    expect(await mlops(io, 'runs', '--pipeline', 'Nope')).toBe(1);
    expect(io.stderr).toBe("mlops: no stack and no state machine named 'Nope' in this region: pass a stack name, a state machine name or ARN, and check --region.\n");
  });

  test('--pipeline takes the StateMachineArn output of a stack; --json for scripts', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Ref', StackStatus: 'UPDATE_COMPLETE', CreationTime: started, Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: MACHINE }] }] });
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION, stateMachineArn: MACHINE, name: 'run-1', status: 'SUCCEEDED', startDate: started, stopDate: started }] });
    await mlops(io, 'runs', '--pipeline', 'Ref', '--status', 'SUCCEEDED', '--json');
    expect(cloudformation.commandCalls(ListStackResourcesCommand)).toHaveLength(0);
    expect(sfn.commandCalls(ListExecutionsCommand)[0].args[0].input).toEqual({ stateMachineArn: MACHINE, maxResults: 20, statusFilter: 'SUCCEEDED' });
    expect(JSON.parse(io.stdout)).toEqual([{ name: 'run-1', executionArn: EXECUTION, pipeline: MACHINE, status: 'SUCCEEDED', startDate: started.toISOString(), stopDate: started.toISOString() }]);
  });
});

describe('errors say what went wrong and what to do', () => {
  test.each([
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), /^mlops: no AWS credentials found: Could not load credentials from any providers\nSign in/],
    [awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: states:ListStateMachines'), /^mlops: access denied: User: .* states:ListStateMachines\nYour identity needs the IAM action named above/],
    [awsError('ThrottlingException', 'Rate exceeded'), new RegExp(`^mlops: AWS throttled the requests \\(ThrottlingException\\), still after ${MAX_ATTEMPTS} attempts with backoff: Rate exceeded\\nWait a minute and retry`)],
    // The query-protocol services (CloudWatch, CloudFormation) name throttling and denial without 'Exception'.
    [awsError('Throttling', 'Rate exceeded'), /^mlops: AWS throttled the requests \(Throttling\), still after/],
    [awsError('AccessDenied', 'User is not authorized to perform: cloudwatch:ListMetrics'), /^mlops: access denied: User is not authorized .*\nYour identity needs the IAM action named above/],
    [awsError('ExpiredTokenException', 'The security token included in the request is expired'), /^mlops: your AWS session expired: The security token included in the request is expired\nSign in again/],
  ])('%s', async (error, message) => {
    sfn.on(ListStateMachinesCommand).rejects(error);
    expect(await mlops(io, 'runs')).toBe(1);
    expect(io.stderr).toMatch(message);
  });

  test('an unknown stack for run: CloudFormation\'s message and where to look', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: cloudformation:DescribeStacks'));
    expect(await mlops(io, 'run', 'Churn', '--json')).toBe(1);
    expect(JSON.parse(io.stdout).error).toMatchObject({ name: 'AccessDenied', message: expect.stringMatching(/^access denied: /) });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

const PACKAGE = (v: number) => `arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/${v}`;

describe('mlops approve and reject', () => {
  test('approve asks, and only a yes changes the status', async () => {
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageGroupName: 'churn-models', ModelPackageVersion: 4, ModelApprovalStatus: 'PendingManualApproval' } as any);
    sagemaker.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: PACKAGE(4) });
    io.interactive = true;
    io.answers = [false];
    expect(await mlops(io, 'approve', PACKAGE(4))).toBe(1);
    expect(io.questions).toEqual(['Approve churn-models version 4 (now PendingManualApproval)? with PromotionMode.MANUAL the promotion deploys an approved version newer than the served one; with AUTOMATIC approving starts nothing. [y/N] ']);
    expect(sagemaker.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
    expect(io.stderr).toBe('mlops: not confirmed: nothing changed.\n');
    io.answers = [true];
    expect(await mlops(io, 'approve', PACKAGE(4))).toBe(0);
    expect(sagemaker.commandCalls(UpdateModelPackageCommand)[0].args[0].input).toEqual({
      ModelPackageArn: PACKAGE(4), ModelApprovalStatus: 'Approved', ApprovalDescription: 'Approved with mlops approve',
    });
    expect(io.stdout).toBe('churn-models version 4: PendingManualApproval -> Approved\n');
  });

  test('reject by <group>/<version> with --yes in a script; no terminal without --yes refuses', async () => {
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [
      { ModelPackageArn: PACKAGE(3), ModelPackageVersion: 3, ModelPackageName: 'churn-models', CreationTime: started, ModelPackageStatus: 'Completed' },
    ] });
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageGroupName: 'churn-models', ModelPackageVersion: 3, ModelApprovalStatus: 'Approved' } as any);
    expect(await mlops(io, 'reject', 'churn-models/3')).toBe(1);
    expect(io.stderr).toContain('Not confirmed: no terminal to ask on. Pass --yes to confirm in a script.');
    expect(sagemaker.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
    expect(await mlops(io, 'reject', 'churn-models/3', '--yes', '--description', 'AUC regressed', '--json')).toBe(0);
    expect(sagemaker.commandCalls(UpdateModelPackageCommand)[0].args[0].input).toEqual({ ModelPackageArn: PACKAGE(3), ModelApprovalStatus: 'Rejected', ApprovalDescription: 'AUC regressed' });
    expect(JSON.parse(io.stdout)).toEqual({ modelPackageArn: PACKAGE(3), approvalStatus: 'Rejected', previousStatus: 'Approved', changed: true });
  });

  test('approving an approved version changes nothing', async () => {
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageGroupName: 'churn-models', ModelPackageVersion: 4, ModelApprovalStatus: 'Approved' } as any);
    expect(await mlops(io, 'approve', PACKAGE(4), '--yes')).toBe(0);
    expect(sagemaker.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
    expect(io.stdout).toBe('churn-models version 4 is already Approved: nothing changed\n');
  });
});

describe('mlops rollback', () => {
  const PROMOTION = 'arn:aws:states:us-east-1:123456789012:stateMachine:Promotion';
  const PROMOTION_RUN = 'arn:aws:states:us-east-1:123456789012:execution:Promotion:r1';
  beforeEach(() => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'churn', EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn' } as any);
    sagemaker.on(ListTagsCommand).resolves({ Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'Serving' }] });
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Serving', StackStatus: 'UPDATE_COMPLETE', CreationTime: started, Parameters: [
      { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' },
      { ParameterKey: 'ModelVersionChurnModels', ParameterValue: PACKAGE(5) },
    ] }] });
    cloudformation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [
      { LogicalResourceId: 'PromotionStateMachineAB12', PhysicalResourceId: PROMOTION, ResourceType: 'AWS::StepFunctions::StateMachine', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: started },
    ] });
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [2, 5, 3, 6].map((v) => ({
      ModelPackageArn: PACKAGE(v), ModelPackageVersion: v, ModelPackageName: 'churn-models', CreationTime: started, ModelPackageStatus: 'Completed', ModelApprovalStatus: 'Approved',
    })) as any });
    sfn.on(StartExecutionCommand).resolves({ executionArn: PROMOTION_RUN, startDate: started });
  });

  test('starts the promotion with the newest approved older version and rollback: true', async () => {
    expect(await mlops(io, 'rollback', 'churn', '--yes', '--no-wait', '--json')).toBe(0);
    expect(sagemaker.commandCalls(ListModelPackagesCommand)[0].args[0].input).toMatchObject({ ModelPackageGroupName: 'churn-models', ModelApprovalStatus: 'Approved' });
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toEqual({
      stateMachineArn: PROMOTION, input: JSON.stringify({ modelPackageArn: PACKAGE(3), rollback: true }),
    });
    expect(JSON.parse(io.stdout)).toEqual({
      endpoint: 'churn', stackName: 'Serving', parameter: 'ModelVersionChurnModels', current: PACKAGE(5), target: PACKAGE(3), promotion: PROMOTION, executionArn: PROMOTION_RUN,
    });
  });

  test('--to a version that is not approved fails and names the fix', async () => {
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Rejected' } as any);
    expect(await mlops(io, 'rollback', 'churn', '--to', '4', '--yes')).toBe(1);
    expect(io.stderr).toBe(`mlops: version 4 is Rejected: only an approved version is served. Approve it first (mlops approve ${PACKAGE(4)}).\n`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  test('asks first, naming both versions and the stack, and follows the promotion', async () => {
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved' } as any);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: PROMOTION_RUN, name: 'r1', status: 'SUCCEEDED', startDate: started, stopDate: started } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: new History().enter('UpdateServingStack', 0).exit('UpdateServingStack', 0).events });
    io.interactive = true;
    io.answers = [true];
    expect(await mlops(io, 'rollback', 'churn', '--to', '2')).toBe(0);
    expect(io.questions).toEqual(['Roll churn back from version 5 to version 2 (stack Serving, parameter ModelVersionChurnModels)? CloudFormation rolls the endpoint out blue/green. [y/N] ']);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toEqual({ modelPackageArn: PACKAGE(2), rollback: true });
    expect(io.frames[io.frames.length - 1]).toMatch(/UpdateServingStack\s+SUCCEEDED/);
  });

  test('--stack names the serving stack when the endpoint has no CloudFormation tag', async () => {
    sagemaker.on(ListTagsCommand).resolves({ Tags: [] });
    expect(await mlops(io, 'rollback', 'churn', '--yes', '--no-wait')).toBe(1);
    expect(io.stderr).toBe('mlops: endpoint churn has no aws:cloudformation:stack-name tag: name its serving stack with --stack (mlops rollback works on endpoints served by a ModelVersionParameter).\n');
    io = new FakeIo();
    expect(await mlops(io, 'rollback', 'churn', '--stack', 'Serving', '--yes', '--no-wait')).toBe(0);
    expect(cloudformation.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'Serving' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  test('an endpoint serving nothing yet has nothing to roll back', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Serving', StackStatus: 'UPDATE_COMPLETE', CreationTime: started, Parameters: [{ ParameterKey: 'ModelVersionChurnModels', ParameterValue: 'none' }] }] });
    expect(await mlops(io, 'rollback', 'churn', '--yes')).toBe(1);
    expect(io.stderr).toBe('mlops: stack Serving has no parameter holding a served model package version: nothing to roll back from.\n');
  });
});

describe('mlops drift <endpoint>', () => {
  const dims = (feature?: string) => [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'Variant', Value: 'AllTraffic' }, ...(feature ? [{ Name: 'Feature', Value: feature }] : [])];
  const alarm = (name: string, metric: string, threshold: number, op: string, state: string, feature?: string) => ({
    AlarmName: `churn-drift-${name}`, Namespace: metric === 'AUC' ? 'CdkMlops/ModelQuality' : 'CdkMlops/Drift', MetricName: metric, Dimensions: dims(feature), Threshold: threshold, ComparisonOperator: op, StateValue: state,
  });
  /** The endpoint's metrics, one point each but MaxPSI's. */
  function metrics() {
    cloudwatch.on(ListMetricsCommand, { Namespace: 'CdkMlops/Drift' }).resolves({ Metrics: [
      { Namespace: 'CdkMlops/Drift', MetricName: 'PSI', Dimensions: dims('tenure') },
      { Namespace: 'CdkMlops/Drift', MetricName: 'ChiSquarePValue', Dimensions: dims('plan') },
      { Namespace: 'CdkMlops/Drift', MetricName: 'MaxPSI', Dimensions: dims() },
      { Namespace: 'CdkMlops/Drift', MetricName: 'MalformedLines', Dimensions: [...dims(), { Name: 'Kind', Value: 'truncatedJson' }] },
    ] });
    cloudwatch.on(ListMetricsCommand, { Namespace: 'CdkMlops/ModelQuality' }).resolves({ Metrics: [{ Namespace: 'CdkMlops/ModelQuality', MetricName: 'AUC', Dimensions: dims() }] });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [
      { Id: 'm0', Values: [0.18, 0.05], Timestamps: [new Date('2026-12-01T09:00:00Z'), new Date('2026-12-01T08:00:00Z')] },
      { Id: 'm1', Values: [0.004], Timestamps: [new Date('2026-12-01T09:00:00Z')] },
      { Id: 'm2', Values: [], Timestamps: [] },
      { Id: 'm3', Values: [0.91], Timestamps: [new Date('2026-11-30T10:00:00Z')] },
    ] });
  }
  /** Monitor churn-drift's alarms: found by its dataset-drift alarm, read by its prefix. */
  function monitorAlarms() {
    cloudwatch.on(DescribeAlarmsForMetricCommand).resolves({ MetricAlarms: [
      alarm('dataset-drift', 'DriftedFeatureShare', 0.5, 'GreaterThanOrEqualToThreshold', 'OK'),
      // another endpoint's monitor on the same metric name (CloudWatch matches the dimensions; a stand-in may not)
      { ...alarm('dataset-drift', 'DriftedFeatureShare', 0.5, 'GreaterThanOrEqualToThreshold', 'OK'), AlarmName: 'other-dataset-drift', Dimensions: [{ Name: 'Endpoint', Value: 'other' }, { Name: 'Variant', Value: 'AllTraffic' }] },
    ] as any });
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'churn-drift-' }).resolves({ MetricAlarms: [
      alarm('feature-tenure-psi-warning', 'PSI', 0.1, 'GreaterThanOrEqualToThreshold', 'ALARM', 'tenure'),
      alarm('feature-tenure-psi-critical', 'PSI', 0.25, 'GreaterThanOrEqualToThreshold', 'OK', 'tenure'),
      alarm('feature-plan-chi2-critical', 'ChiSquarePValue', 0.01, 'LessThanOrEqualToThreshold', 'ALARM', 'plan'),
      alarm('quality-AUC-warning', 'AUC', 0.8, 'LessThanOrEqualToThreshold', 'OK'),
      alarm('dataset-drift', 'DriftedFeatureShare', 0.5, 'GreaterThanOrEqualToThreshold', 'OK'),
      { ...alarm('other-endpoint', 'PSI', 0.1, 'GreaterThanOrEqualToThreshold', 'OK', 'tenure'), Dimensions: [{ Name: 'Endpoint', Value: 'other' }] },
      // monitor churn-drift-v2 on the same endpoint: its names share the prefix, not the monitor
      alarm('v2-feature-tenure-psi-warning', 'PSI', 0.3, 'GreaterThanOrEqualToThreshold', 'OK', 'tenure'),
    ] as any });
  }
  const table = (stdout: string) => stdout.split('\n');

  test('latest value per feature and statistic beside the alarms\' thresholds and states', async () => {
    metrics();
    monitorAlarms();
    expect(await mlops(io, 'drift', 'churn')).toBe(0);
    const query = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(query.ScanBy).toBe('TimestampDescending');
    expect(query.MetricDataQueries).toHaveLength(4);
    expect(query.MetricDataQueries![0]).toMatchObject({ Id: 'm0', MetricStat: { Metric: { MetricName: 'PSI' }, Period: 3600, Stat: 'Maximum' } });
    expect(query.EndTime!.getTime() - query.StartTime!.getTime()).toBe(14 * 24 * 3_600_000);
    const lines = table(io.stdout);
    expect(lines[0]).toMatch(/^variant\s+feature\s+metric\s+latest\s+age\s+warning\s+critical\s+level\s+alarms$/);
    expect(lines[1]).toMatch(/^AllTraffic\s+\(dataset\)\s+MaxPSI\s+-\s+-\s+-\s+-\s+no data\s+-$/);
    expect(lines[2]).toMatch(/^AllTraffic\s+plan\s+ChiSquarePValue\s+0\.004000\s+1h00m ago\s+-\s+<= 0\.01000\s+critical\s+critical ALARM$/);
    expect(lines[3]).toMatch(/^AllTraffic\s+tenure\s+PSI\s+0\.1800\s+1h00m ago\s+>= 0\.1000\s+>= 0\.2500\s+warning\s+warning ALARM, critical OK$/);
    expect(lines[4]).toMatch(/^AllTraffic\s+\(quality\)\s+AUC\s+0\.9100\s+24h00m ago\s+<= 0\.8000\s+-\s+ok\s+warning OK$/);
    expect(io.stderr).toBe('');
  });

  test('reads only the monitor\'s alarms: found by the alarm on the variant\'s drifted-feature share, then by name prefix', async () => {
    metrics();
    monitorAlarms();
    expect(await mlops(io, 'drift', 'churn', '--json')).toBe(0);
    // one look at the metric every monitor alarms on, per variant
    expect(cloudwatch.commandCalls(DescribeAlarmsForMetricCommand).map((call) => call.args[0].input)).toEqual([
      { Namespace: 'CdkMlops/Drift', MetricName: 'DriftedFeatureShare', Dimensions: dims() },
    ]);
    // DescribeAlarms by the monitor's prefix (never the whole account), metric alarms only
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmNamePrefix: 'churn-drift-', AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: undefined },
    ]);
    const psi = JSON.parse(io.stdout).find((r: any) => r.metric === 'PSI');
    expect(psi).toMatchObject({ warning: 0.1, critical: 0.25, alarms: ['warning ALARM', 'critical OK'] });
  });

  test('the monitor\'s alarms are read page by page, each page by the prefix', async () => {
    metrics();
    monitorAlarms();
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'churn-drift-', NextToken: undefined }).resolves({
      MetricAlarms: [alarm('feature-tenure-psi-warning', 'PSI', 0.1, 'GreaterThanOrEqualToThreshold', 'ALARM', 'tenure')] as any, NextToken: 'page2',
    });
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'churn-drift-', NextToken: 'page2' }).resolves({
      MetricAlarms: [alarm('feature-tenure-psi-critical', 'PSI', 0.25, 'GreaterThanOrEqualToThreshold', 'OK', 'tenure')] as any,
    });
    expect(await mlops(io, 'drift', 'churn', '--json')).toBe(0);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmNamePrefix: 'churn-drift-', AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: undefined },
      { AlarmNamePrefix: 'churn-drift-', AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: 'page2' },
    ]);
    expect(JSON.parse(io.stdout).find((r: any) => r.metric === 'PSI')).toMatchObject({ warning: 0.1, critical: 0.25 });
  });

  test('without the permission to read alarms the values show without thresholds, and a note names the action to grant', async () => {
    metrics();
    cloudwatch.on(DescribeAlarmsForMetricCommand).rejects(Object.assign(new Error('User is not authorized to perform: cloudwatch:DescribeAlarmsForMetric'), { name: 'AccessDenied' }));
    expect(await mlops(io, 'drift', 'churn', '--json')).toBe(0);
    expect(JSON.parse(io.stdout).find((r: any) => r.metric === 'PSI')).toMatchObject({ value: 0.18, level: 'no threshold' });
    expect(io.stderr).toBe('mlops: not allowed to call DescribeAlarmsForMetric (User is not authorized to perform: cloudwatch:DescribeAlarmsForMetric): '
      + 'no thresholds shown; grant cloudwatch:DescribeAlarmsForMetric to show them.\n');
  });

  test('any other error reading the alarms still fails the command', async () => {
    metrics();
    cloudwatch.on(DescribeAlarmsForMetricCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    expect(await mlops(io, 'drift', 'churn', '--json')).toBe(1);
  });

  test('--monitor names the monitor: its prefix is read without looking for it', async () => {
    metrics();
    monitorAlarms();
    expect(await mlops(io, 'drift', 'churn', '--monitor', 'churn-drift', '--json')).toBe(0);
    expect(cloudwatch.commandCalls(DescribeAlarmsForMetricCommand)).toHaveLength(0);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toMatchObject({ AlarmNamePrefix: 'churn-drift-' });
    expect(JSON.parse(io.stdout).find((r: any) => r.metric === 'ChiSquarePValue')).toMatchObject({ critical: 0.01, comparison: '<=', level: 'critical' });
  });

  test('a --monitor with no alarms on the endpoint (a typo, another endpoint\'s monitor) says so instead of showing no thresholds silently', async () => {
    metrics();
    monitorAlarms();
    cloudwatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'churn-drfit-' }).resolves({ MetricAlarms: [] });
    expect(await mlops(io, 'drift', 'churn', '--monitor', 'churn-drfit', '--json')).toBe(0);
    expect(JSON.parse(io.stdout).map((r: any) => r.level)).toEqual(['no data', 'no threshold', 'no threshold', 'no threshold']);
    expect(io.stderr).toBe("mlops: no metric alarm named 'churn-drfit-...' on the drift or quality metrics of endpoint churn: no thresholds shown; "
      + "check --monitor (the DriftMonitor's monitorName), or leave it out to find the monitor by its alarms.\n");
  });

  test('no monitor\'s alarm on the endpoint: the values without thresholds, and a note naming --monitor', async () => {
    metrics();
    cloudwatch.on(DescribeAlarmsForMetricCommand).resolves({ MetricAlarms: [] });
    expect(await mlops(io, 'drift', 'churn', '--json')).toBe(0);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(JSON.parse(io.stdout).map((r: any) => r.level)).toEqual(['no data', 'no threshold', 'no threshold', 'no threshold']);
    expect(io.stderr).toBe("mlops: no DriftMonitor alarm '<monitorName>-dataset-drift' on DriftedFeatureShare of endpoint churn (AllTraffic): no thresholds shown; pass the monitor's name with --monitor.\n");
  });

  test('an endpoint without metrics says where it looked', async () => {
    cloudwatch.on(ListMetricsCommand).resolves({ Metrics: [] });
    expect(await mlops(io, 'drift', 'nope', '--json')).toBe(1);
    expect(io.stderr).toMatch(/^mlops: no drift or quality metrics for endpoint nope in CdkMlops\/Drift or CdkMlops\/ModelQuality: check the endpoint name and --region/);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
  });
});
