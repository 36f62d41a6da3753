import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { templateOf } from '../helpers/app';
import { AslDefinition, definitionFromTemplate, FAKE_ENV, namedError, runStateMachine, TaskHandlers } from '../helpers/asl';
import { monitorStack } from './monitor-fixture';
import { pipelineDefinition, pipelineStack } from '../helpers/pipeline';
import { DriftBaseline } from '../../lib/monitoring/drift-baseline';
import { DriftMonitor } from '../../lib/monitoring/drift-monitor';
import { ProblemType, QualityMetric } from '../../lib/monitoring/drift-statistics';
import { InferenceDataLocation } from '../../lib/serving/inference-data-location';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';

const GATE_NAME = 'churn-retrain-gate';
const executionArn = (name: string) => `arn:aws:states:${FAKE_ENV.region}:${FAKE_ENV.account}:execution:${GATE_NAME}:${name}`;
const DRIFT_ALARM = `arn:aws:cloudwatch:${FAKE_ENV.region}:${FAKE_ENV.account}:alarm:churn-model-drifted`;

/** The event EventBridge delivers when the composite alarm goes to ALARM (CloudWatch user guide, "Alarm events and EventBridge"). */
function alarmEvent(timestamp: string, alarmArn = DRIFT_ALARM) {
  const name = alarmArn.split(':alarm:')[1];
  return {
    'version': '0',
    'id': `event-${timestamp}`,
    'detail-type': 'CloudWatch Alarm State Change',
    'source': 'aws.cloudwatch',
    'account': FAKE_ENV.account,
    'time': timestamp.slice(0, 19) + 'Z',
    'region': FAKE_ENV.region,
    'resources': [alarmArn],
    'detail': {
      alarmName: name,
      state: { value: 'ALARM', reason: `${alarmArn} transitioned to ALARM at ${timestamp}`, reasonData: '{"triggeringAlarms":[]}', timestamp },
      previousState: { value: 'OK', reason: '...', timestamp: '2026-12-01T08:00:00.000+0000' },
      configuration: { alarmRule: 'ALARM("churn-max-psi-critical")' },
    },
  };
}

/** DynamoDB, Step Functions, CloudWatch and SNS as the gate uses them, with the two conditions it writes. */
class FakeAws {
  public readonly table = new Map<string, Record<string, any>>();
  public readonly executions = new Map<string, string>();
  public readonly started: any[] = [];
  public readonly published: any[] = [];
  public startError?: string;
  /** Called inside StartExecution, while the gate holds the lock: an alarm storm arrives then. */
  public duringStart?: () => Promise<void>;

  public handlers(): TaskHandlers {
    const conditionFailed = () => namedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
    return {
      'dynamodb:putItem': (input) => {
        expect(input.ConditionExpression).toBe('attribute_not_exists(pk)');
        if (this.table.has(input.Item.pk.S)) throw conditionFailed();
        this.table.set(input.Item.pk.S, input.Item);
      },
      'dynamodb:getItem': (input) => {
        expect(input.ConsistentRead).toBe(true);
        const item = this.table.get(input.Key.pk.S);
        return item ? { Item: item } : {};
      },
      'dynamodb:deleteItem': (input) => {
        expect(input.ConditionExpression).toBe('holder = :holder');
        const item = this.table.get(input.Key.pk.S);
        if (item?.holder.S !== input.ExpressionAttributeValues[':holder'].S) throw conditionFailed();
        this.table.delete(input.Key.pk.S);
      },
      'aws-sdk:sfn:describeExecution': (input) => {
        const status = this.executions.get(input.ExecutionArn);
        if (!status) throw namedError('Sfn.ExecutionDoesNotExistException', 'Execution Does Not Exist');
        return { ExecutionArn: input.ExecutionArn, Status: status };
      },
      'aws-sdk:cloudwatch:describeAlarms': (input) => {
        expect(input).toEqual({ AlarmNamePrefix: 'churn-', StateValue: 'ALARM', AlarmTypes: ['MetricAlarm'], MaxRecords: 50 });
        return {
          MetricAlarms: [{
            AlarmName: 'churn-max-psi-critical', MetricName: 'MaxPSI', Namespace: 'CdkMlops/Drift', Threshold: 0.25,
            Dimensions: [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'Variant', Value: 'AllTraffic' }],
            StateValue: 'ALARM', StateReason: 'Threshold Crossed: 2 out of the last 3 datapoints [0.31, 0.4] were greater than or equal to the threshold (0.25)',
            AlarmActions: [], OKActions: [], EvaluationPeriods: 3,
          }],
        };
      },
      'states:startExecution': async (input) => {
        if (this.startError) throw namedError(this.startError);
        if (this.started.some((s) => s.Name === input.Name)) throw namedError('StepFunctions.ExecutionAlreadyExistsException', 'Execution Already Exists');
        this.started.push(input);
        await this.duringStart?.();
        return { ExecutionArn: `${input.StateMachineArn.replace(':stateMachine:', ':execution:')}:${input.Name}`, StartDate: '2026-12-01T10:06:00Z' };
      },
      'sns:publish': (input) => {
        this.published.push(input);
        return { MessageId: 'm-1' };
      },
    };
  }

  /** Runs one gate execution named `name`, RUNNING in DescribeExecution while it runs. */
  public async run(definition: AslDefinition, event: unknown, name: string) {
    this.executions.set(executionArn(name), 'RUNNING');
    const result = await runStateMachine(definition, event, this.handlers(), { executionName: name, stateMachineName: GATE_NAME });
    this.executions.set(executionArn(name), result.status);
    return result;
  }
}

function gate(cooldown?: Duration) {
  const fixture = monitorStack((f) => ({ retrain: { stateMachine: f.pipeline, cooldown } }));
  const logicalId = fixture.stack.getLogicalId((fixture.monitor.retrainStateMachine as sfn.StateMachine).node.defaultChild as any);
  return { ...fixture, definition: definitionFromTemplate(templateOf(fixture.stack), logicalId), template: templateOf(fixture.stack) };
}

describe('the retraining path in the template', () => {
  test('the composite drift alarm starts the gate through an EventBridge rule on its ALARM state, and the gate starts the pipeline', () => {
    const { stack, monitor, pipeline, template } = gate();
    expect(template.findResources('AWS::CloudWatch::CompositeAlarm', { Properties: { AlarmName: 'churn-model-drifted' } })).toHaveProperty(stack.getLogicalId(monitor.driftAlarm.node.defaultChild as any));
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        // The ARN CloudWatch puts in the event's resources, built from the composite alarm's name.
        'resources': [DRIFT_ALARM],
        'detail': { state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ Arn: stack.resolve(monitor.retrainStateMachine!.stateMachineArn) })],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: stack.resolve(pipeline.stateMachineArn) }]) },
    });
  });

  test('the cooldown lock lives in a KMS-encrypted, on-demand table; the gate is a Standard workflow that outlives its cooldown', () => {
    const { stack, monitor, template } = gate(Duration.hours(6));
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: stack.resolve(monitor.encryptionKey.keyArn) },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: GATE_NAME } }))[0] as any;
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    const definition = gate(Duration.hours(6)).definition;
    expect(definition.TimeoutSeconds).toBe(7 * 3600);
    expect(definition.States.WaitOutCooldown).toEqual({ Type: 'Wait', Seconds: 6 * 3600, Next: 'ReleaseCooldown' });
  });

  test('the gate retries DynamoDB throttling on every lock task, never retries a run name StartExecution has seen, and catches the optimized integrations\' error names', () => {
    const states = gate().definition.States;
    const throttling = {
      // Both spellings Step Functions uses for two DynamoDB errors, and AmazonDynamoDBException for errors the SDK does not model.
      ErrorEquals: [
        'DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException',
        'DynamoDB.RequestLimitExceeded', 'DynamoDB.RequestLimitExceededException',
        'DynamoDB.InternalServerError', 'DynamoDB.InternalServerErrorException',
        'DynamoDB.AmazonDynamoDBException',
      ],
      IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2,
    };
    const lockTasks = Object.entries(states).filter(([, st]: [string, any]) => /:states:::dynamodb:/.test(JSON.stringify(st.Resource ?? '')));
    expect(lockTasks.map(([name]) => name).sort()).toEqual(['AcquireCooldown', 'ReadCooldown', 'ReleaseAfterDuplicate', 'ReleaseAfterFailure', 'ReleaseCooldown', 'ReleaseStaleCooldown']);
    for (const [name, st] of lockTasks as [string, any][]) expect({ name, retry: st.Retry }).toEqual({ name, retry: [throttling] });
    // The optimized DynamoDB integration names errors 'DynamoDB.' (the SDK integration would say 'DynamoDb.').
    expect(states.AcquireCooldown.Catch[0]).toEqual({ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: 'ReadCooldown' });
    expect(states.ReleaseCooldown.Catch).toEqual([{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: 'RetrainingStarted' }]);
    // Retriers match in order: the seen name first, so States.TaskFailed never retries it.
    expect(states.StartRetraining.Retry).toEqual([
      { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], MaxAttempts: 0 },
      { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 },
    ]);
    expect(states.StartRetraining.Catch[0]).toEqual({ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: null, Next: 'ReleaseAfterDuplicate' });
    expect(states.DescribeHolder.Catch[0]).toEqual({ ErrorEquals: ['Sfn.ExecutionDoesNotExistException'], ResultPath: null, Next: 'ReleaseStaleCooldown' });
  });

  test('the default cooldown is 24 hours', () => {
    expect(gate().definition.States.WaitOutCooldown.Seconds).toBe(86400);
  });

  test('with quality monitoring, the quality composite alarm starts retraining too, unless onQualityAlarm is false', () => {
    const withQuality = (onQualityAlarm?: boolean) => monitorStack((f) => ({
      retrain: { stateMachine: f.pipeline, onQualityAlarm },
      quality: {
        groundTruth: InferenceDataLocation.fromDataLake(f.lake, 'churn-labels/'),
        problemType: ProblemType.BINARY_CLASSIFICATION,
        alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.8, critical: 0.75 } }],
      },
    }));
    const on = withQuality();
    Template.fromStack(on.stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ resources: [DRIFT_ALARM, DRIFT_ALARM.replace('model-drifted', 'model-quality')] }),
    });
    expect(on.monitor.qualityAlarm).toBeDefined();
    const off = withQuality(false);
    Template.fromStack(off.stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ resources: [DRIFT_ALARM] }),
    });
  });

  test('a TrainingPipeline records the run input, which says drift started it and why, in its run manifest', () => {
    const { stack, lake, pipeline } = pipelineStack();
    const monitor = new DriftMonitor(stack, 'Monitor', {
      endpoint: ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'churn'),
      captureLocation: InferenceDataLocation.fromDataLake(lake, 'churn-endpoint/'),
      baseline: DriftBaseline.fromDataLake(lake, 'churn/baseline.json'),
      monitorName: 'churn-monitor',
      retrain: { stateMachine: pipeline.stateMachine },
    });
    const template = templateOf(stack);
    const gateId = stack.getLogicalId((monitor.retrainStateMachine as sfn.StateMachine).node.defaultChild as any);
    const start = definitionFromTemplate(template, gateId).States.StartRetraining;
    expect(start.Parameters.StateMachineArn).toBe(`arn:aws:states:us-east-1:123456789012:stateMachine:${pipeline.pipelineName}`);
    expect(start.Parameters.Input).toMatchObject({ 'trigger': 'drift', 'alarm.$': '$.alarm', 'metrics.$': '$.metrics' });
    // The manifest function gets the execution's input (the gate's) as it is.
    const manifest = pipelineDefinition(template).States.WriteRunManifest;
    expect(JSON.stringify(manifest.Parameters)).toContain('"input.$":"$$.Execution.Input"');
  });

  test('fails with a cooldown shorter than a minute, not whole seconds, or longer than a gate execution may run', () => {
    const make = (cooldown: Duration) => () => monitorStack((f) => ({ retrain: { stateMachine: f.pipeline, cooldown } }));
    expect(make(Duration.seconds(30))).toThrow(/'retrain.cooldown' \(30 seconds\) must be whole seconds between 1 minute and 364 days/);
    expect(make(Duration.days(400))).toThrow(/'retrain.cooldown'/);
    // The gate's timeout is the cooldown plus an hour, and a Standard execution runs at most a year.
    expect(make(Duration.days(365))).toThrow(/'retrain.cooldown' \(365 days\) must be .* at most a year\); e.g. Duration.days\(30\)/);
    expect(make(Duration.days(364))).not.toThrow();
    expect(make(Duration.minutes(1))).not.toThrow();
  });
});

describe('the cooldown, run in the ASL interpreter', () => {
  test('an alarm starts the pipeline once, with an input that says drift started it and why, then holds the cooldown until it ends', async () => {
    const { definition } = gate();
    const aws = new FakeAws();
    const run = await aws.run(definition, alarmEvent('2026-12-01T10:05:00.000+0000'), 'a');

    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(aws.started).toHaveLength(1);
    const start = aws.started[0];
    expect(start.Name).toMatch(/^drift-[0-9a-f]{32}$/);
    expect(start.Input).toEqual({
      trigger: 'drift',
      alarm: {
        name: 'churn-model-drifted',
        arn: DRIFT_ALARM,
        state: 'ALARM',
        reason: `${DRIFT_ALARM} transitioned to ALARM at 2026-12-01T10:05:00.000+0000`,
        timestamp: '2026-12-01T10:05:00.000+0000',
      },
      metrics: [{
        name: 'churn-max-psi-critical',
        namespace: 'CdkMlops/Drift',
        metric: 'MaxPSI',
        dimensions: [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'Variant', Value: 'AllTraffic' }],
        threshold: 0.25,
        reason: 'Threshold Crossed: 2 out of the last 3 datapoints [0.31, 0.4] were greater than or equal to the threshold (0.25)',
      }],
      monitor: 'churn',
      endpoint: 'churn',
      retrainGate: executionArn('a'),
    });
    // The lock is taken before the start and released only after the cooldown's wait.
    const order = ['AcquireCooldown', 'StartRetraining', 'WaitOutCooldown', 'ReleaseCooldown', 'RetrainingStarted'];
    expect(run.visited.filter((s) => order.includes(s))).toEqual(order);
    expect(aws.table.size).toBe(0);
    expect(aws.published).toEqual([]);
  });

  test('an alarm storm during the cooldown starts no second run', async () => {
    const { definition } = gate();
    const aws = new FakeAws();
    const storm: Array<Awaited<ReturnType<FakeAws['run']>>> = [];
    aws.duringStart = async () => {
      for (const [i, ts] of ['2026-12-01T10:06:00.000+0000', '2026-12-01T10:07:00.000+0000', '2026-12-01T10:08:00.000+0000'].entries()) {
        storm.push(await aws.run(definition, alarmEvent(ts), `storm-${i}`));
      }
    };
    const first = await aws.run(definition, alarmEvent('2026-12-01T10:05:00.000+0000'), 'a');

    expect(first.status).toBe('SUCCEEDED');
    expect(aws.started).toHaveLength(1);
    for (const run of storm) {
      expect(run.status).toBe('SUCCEEDED');
      expect(run.visited).toContain('InCooldown');
      expect(run.visited).not.toContain('StartRetraining');
    }
    // The storm read the lock and asked whether its holder still runs.
    expect(storm[0].calls.find((c) => c.state === 'DescribeHolder')!.input).toEqual({ ExecutionArn: executionArn('a') });
  });

  test('after the cooldown, the next alarm starts a new run', async () => {
    const { definition } = gate();
    const aws = new FakeAws();
    await aws.run(definition, alarmEvent('2026-12-01T10:05:00.000+0000'), 'a');
    const next = await aws.run(definition, alarmEvent('2026-12-02T11:00:00.000+0000'), 'b');

    expect(next.status).toBe('SUCCEEDED');
    expect(next.visited).not.toContain('ReadCooldown');
    expect(aws.started.map((s) => s.Input.alarm.timestamp)).toEqual(['2026-12-01T10:05:00.000+0000', '2026-12-02T11:00:00.000+0000']);
    expect(aws.started[0].Name).not.toBe(aws.started[1].Name);
  });

  test.each(['FAILED', 'ABORTED', 'TIMED_OUT', 'SUCCEEDED'])('a lock whose holder ended %s without releasing it is stale: the next alarm takes it over', async (status) => {
    const { definition } = gate();
    const aws = new FakeAws();
    aws.table.set('retrain', { pk: { S: 'retrain' }, holder: { S: executionArn('stopped') } });
    aws.executions.set(executionArn('stopped'), status);
    const run = await aws.run(definition, alarmEvent('2026-12-01T10:05:00.000+0000'), 'b');

    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.slice(0, 7)).toEqual(['PlanRetrain', 'AcquireCooldown', 'ReadCooldown', 'LockStillHeld', 'DescribeHolder', 'HolderRunning', 'ReleaseStaleCooldown']);
    expect(run.calls.find((c) => c.state === 'ReleaseStaleCooldown')!.input.ExpressionAttributeValues).toEqual({ ':holder': { S: executionArn('stopped') } });
    expect(aws.started).toHaveLength(1);
  });

  test('a lock whose holder is gone from the execution history is stale too', async () => {
    const { definition } = gate();
    const aws = new FakeAws();
    aws.table.set('retrain', { pk: { S: 'retrain' }, holder: { S: executionArn('expired') } });
    const run = await aws.run(definition, alarmEvent('2026-12-01T10:05:00.000+0000'), 'b');

    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toContain('ReleaseStaleCooldown');
    expect(aws.started).toHaveLength(1);
  });

  test('an event delivered twice after its cooldown ended starts nothing and holds no second cooldown', async () => {
    const { definition } = gate();
    const aws = new FakeAws();
    const event = alarmEvent('2026-12-01T10:05:00.000+0000');
    await aws.run(definition, event, 'a');
    const again = await aws.run(definition, event, 'a-redelivered');

    expect(again.status).toBe('SUCCEEDED');
    expect(again.visited).toEqual(expect.arrayContaining(['StartRetraining', 'ReleaseAfterDuplicate', 'AlreadyStarted']));
    expect(again.visited).not.toContain('WaitOutCooldown');
    expect(aws.started).toHaveLength(1);
    expect(aws.table.size).toBe(0);
  });

  test('when the pipeline cannot be started, the lock is released, the topic is told and the gate fails', async () => {
    const { definition } = gate();
    const aws = new FakeAws();
    aws.startError = 'StepFunctions.StateMachineDoesNotExistException';
    const run = await aws.run(definition, alarmEvent('2026-12-01T10:05:00.000+0000'), 'a');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RetrainingNotStarted');
    // TaskFailed is retried three times before giving up.
    expect(run.calls.filter((c) => c.state === 'StartRetraining')).toHaveLength(4);
    expect(aws.table.size).toBe(0);
    expect(aws.published).toHaveLength(1);
    expect(aws.published[0].Subject).toBe('Drift monitor churn: retraining not started');
    expect(aws.published[0].Message).toMatchObject({ monitor: 'churn', alarm: { name: 'churn-model-drifted' }, error: { Error: 'StepFunctions.StateMachineDoesNotExistException' } });
  });

  test('alarm details are informative: without DescribeAlarms the run still starts, with no metrics', async () => {
    const { definition } = gate();
    const aws = new FakeAws();
    const handlers = aws.handlers();
    handlers['aws-sdk:cloudwatch:describeAlarms'] = () => { throw namedError('CloudWatch.CloudWatchException', 'Access denied'); };
    const run = await runStateMachine(definition, alarmEvent('2026-12-01T10:05:00.000+0000'), handlers, { stateMachineName: GATE_NAME });

    expect(run.status).toBe('SUCCEEDED');
    expect(aws.started).toHaveLength(1);
    expect(aws.started[0].Input.metrics).toEqual([]);
  });
});
