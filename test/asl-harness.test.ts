/**
 * Proves test/helpers/asl.ts on a small state machine built with aws-cdk-lib's own Step Functions constructs:
 * the definition CDK synthesizes passes asl-validator and its paths run in aws-local-stepfunctions.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { templateOf, testStack } from './helpers/app';
import { AslDefinition, TaskHandlers, definitionFromTemplate, namedError, runStateMachine, validateAsl } from './helpers/asl';

/**
 * Score (Lambda, retried on throttling, caught -> NotifyFailure (SNS) -> Failed) -> Cooldown (Wait 5 min) ->
 * GateMet? (score >= 0.8, else GateNotMet) -> Summarize (Pass: execution name, auc via a filter) ->
 * WriteReports (Map of PutReport, s3 putObject) -> Done.
 */
function buildMachine() {
  const stack = testStack();
  const topic = new sns.Topic(stack, 'Alerts');
  const bucket = new s3.Bucket(stack, 'Reports');
  const scorer = new lambda.Function(stack, 'Scorer', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });

  const score = new tasks.LambdaInvoke(stack, 'Score', {
    lambdaFunction: scorer,
    resultSelector: { 'score.$': '$.Payload.score', 'metrics.$': '$.Payload.metrics' },
    resultPath: '$.scored',
  });
  score.addRetry({ errors: ['Lambda.TooManyRequestsException'], interval: Duration.seconds(30), maxAttempts: 2 });
  const notify = new tasks.SnsPublish(stack, 'NotifyFailure', {
    topic,
    message: sfn.TaskInput.fromJsonPathAt('$.error'),
    resultPath: '$.notified',
  });
  score.addCatch(notify.next(new sfn.Fail(stack, 'Failed', { error: 'PipelineFailed', cause: 'scoring failed' })), {
    resultPath: '$.error',
  });

  const putReport = new tasks.CallAwsService(stack, 'PutReport', {
    service: 's3',
    action: 'putObject',
    parameters: { Bucket: bucket.bucketName, Key: sfn.JsonPath.stringAt('$.key'), Body: sfn.JsonPath.stringAt('$.body') },
    iamResources: [bucket.arnForObjects('*')],
  });
  const writeReports = new sfn.Map(stack, 'WriteReports', { itemsPath: '$.reports', resultPath: '$.written' });
  writeReports.itemProcessor(putReport);

  const summarize = new sfn.Pass(stack, 'Summarize', {
    parameters: { 'run.$': '$$.Execution.Name', 'auc.$': "$.scored.metrics[?(@.name == 'auc')].value" },
    resultPath: '$.summary',
  });
  const gate = new sfn.Choice(stack, 'GateMet?')
    .when(sfn.Condition.numberGreaterThanEquals('$.scored.score', 0.8), summarize.next(writeReports).next(new sfn.Succeed(stack, 'Done')))
    .otherwise(new sfn.Fail(stack, 'GateNotMet', { error: 'GateNotMet', cause: 'score below 0.8' }));

  new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(
      score.next(new sfn.Wait(stack, 'Cooldown', { time: sfn.WaitTime.duration(Duration.minutes(5)) })).next(gate),
    ),
  });
  const template = templateOf(stack);
  const idOf = (type: string) => Object.keys(template.findResources(type))[0];
  return { definition: definitionFromTemplate(template), idOf };
}

const { definition, idOf } = buildMachine();
const INPUT = { reports: [{ key: 'a.json', body: 'A' }, { key: 'b.json', body: 'B' }] };
const METRICS = [{ name: 'f1', value: 0.7 }, { name: 'auc', value: 0.91 }];

/** Handlers for the happy path; a test replaces the one it is about. */
function handlers(overrides: TaskHandlers = {}): TaskHandlers {
  return {
    'lambda:invoke': () => ({ Payload: { score: 0.9, metrics: METRICS } }),
    'aws-sdk:s3:putObject': (input) => ({ ETag: `"${input.Key}"` }),
    'sns:publish': () => ({ MessageId: 'm-1' }),
    ...overrides,
  };
}

describe('definitionFromTemplate', () => {
  test('reads what CDK synthesized and fills references with typed fakes', () => {
    expect(definition.StartAt).toBe('Score');
    expect(definition.States.Score.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(definition.States.Score.Parameters.FunctionName).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${idOf('AWS::Lambda::Function')}`);
    expect(definition.States.NotifyFailure.Parameters.TopicArn).toBe(`arn:aws:sns:us-east-1:123456789012:${idOf('AWS::SNS::Topic')}`);
    const putReport = definition.States.WriteReports.ItemProcessor.States.PutReport;
    expect(putReport.Resource).toBe('arn:aws:states:::aws-sdk:s3:putObject');
    expect(putReport.Parameters.Bucket).toBe(idOf('AWS::S3::Bucket').toLowerCase());
  });

  test('produces a definition asl-validator accepts, with paths and ARNs checked', () => {
    expect(validateAsl(definition)).toEqual([]);
  });

  test('evaluates Fn::Sub, Fn::Select/Split, Fn::FindInMap, parameters and DefinitionSubstitutions', () => {
    const machine = (id: string, definitionString: unknown, substitutions?: object) => ({
      [id]: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: definitionString, DefinitionSubstitutions: substitutions } },
    });
    const json = {
      Parameters: { Stage: { Type: 'String', Default: 'prod' } },
      Mappings: { Images: { 'us-east-1': { Uri: 'img:1' } } },
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        Group: { Type: 'AWS::SageMaker::ModelPackageGroup', Properties: { ModelPackageGroupName: 'churn' } },
        ...machine('A', {
          'Fn::Sub': [
            '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"role":"${Role.Arn}","group":"${Group}","stage":"${Stage}",'
              + '"image":"${Image}","part":"${Part}","lit":"${!Literal}","sub":"${!Sub}"},"End":true}}}',
            {
              Image: { 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'Uri'] },
              Part: { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
            },
          ],
        }, { Sub: { 'Fn::GetAtt': ['Role', 'RoleId'] } }),
        ...machine('B', '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'),
      },
    };
    expect(definitionFromTemplate(json, 'A').States.P.Result).toEqual({
      role: 'arn:aws:iam::123456789012:role/Role',
      group: 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn',
      stage: 'prod',
      image: 'img:1',
      part: 'b',
      lit: '${Literal}',
      sub: 'AROAROLE',
    });
    expect(() => definitionFromTemplate(json)).toThrow(/found 2: \[A, B\]/);
  });
});

describe('validateAsl', () => {
  test('reports a transition to a missing state, without touching the definition', () => {
    const broken: AslDefinition = structuredClone(definition);
    broken.States.Cooldown.Next = 'Nowhere';
    expect(validateAsl(broken).join('\n')).toMatch(/MISSING_TRANSITION_TARGET.*Nowhere/);
    expect(broken.States.Cooldown.QueryLanguage).toBeUndefined();
  });

  test('reports a Task resource that is not an ARN (an unresolved fake)', () => {
    const broken: AslDefinition = structuredClone(definition);
    broken.States.Score.Resource = 'Scorer.Arn';
    expect(validateAsl(broken).join('\n')).toMatch(/Resource is invalid/);
    expect(validateAsl(broken, { checkArn: false })).toEqual([]);
  });
});

describe('runStateMachine on the synthesized definition', () => {
  test('happy path: succeeds, visits every state in order, answers the nested Map tasks', async () => {
    const run = await runStateMachine(definition, INPUT, handlers());
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(['Score', 'Cooldown', 'GateMet?', 'Summarize', 'WriteReports', 'PutReport', 'PutReport', 'Done']);
    expect(run.calls.map((c) => c.state)).toEqual(['Score', 'PutReport', 'PutReport']);
    expect(run.calls[0].input.Payload).toEqual(INPUT); // LambdaInvoke's Payload.$: $
    const bucket = idOf('AWS::S3::Bucket').toLowerCase();
    expect(run.calls.slice(1).map((c) => c.input)).toEqual([
      { Bucket: bucket, Key: 'a.json', Body: 'A' },
      { Bucket: bucket, Key: 'b.json', Body: 'B' },
    ]);
    expect(run.output.written).toEqual([{ ETag: '"a.json"' }, { ETag: '"b.json"' }]);
  });

  test('$$.Execution.Name and a JSONPath filter expression in Parameters', async () => {
    const run = await runStateMachine(definition, INPUT, handlers(), { executionName: 'run-42' });
    expect(run.output.summary).toEqual({ run: 'run-42', auc: [0.91] });
  });

  test('the context has the fields Step Functions documents, RedriveCount 0 unless a test redrives, and no State (the interpreter has none)', async () => {
    const probe = {
      StartAt: 'Read',
      States: { Read: { Type: 'Pass', Parameters: { 'redrives.$': '$$.Execution.RedriveCount', 'name.$': '$$.StateMachine.Name' }, End: true } },
    };
    expect((await runStateMachine(probe, {}, {}, { stateMachineName: 'churn' })).output).toEqual({ redrives: 0, name: 'churn' });
    expect((await runStateMachine(probe, {}, {}, { context: { Execution: { RedriveCount: 2 } } })).output).toMatchObject({ redrives: 2 });
    // $$.State.RetryCount would be States.Runtime here: a machine that names jobs by retry count cannot be run locally.
    const retryCount = { StartAt: 'Read', States: { Read: { Type: 'Pass', Parameters: { 'n.$': '$$.State.RetryCount' }, End: true } } };
    expect((await runStateMachine(retryCount, {}, {})).error).toBe('States.Runtime');
  });

  test('a throttled call is retried (pauses overridden) and then succeeds', async () => {
    let calls = 0;
    const run = await runStateMachine(definition, INPUT, handlers({
      'lambda:invoke': () => {
        if (++calls <= 2) throw namedError('Lambda.TooManyRequestsException', 'Rate exceeded');
        return { Payload: { score: 0.9, metrics: METRICS } };
      },
    }));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls.filter((c) => c.state === 'Score')).toHaveLength(3);
    expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(2);
  });

  test('throttling past MaxAttempts is caught like any other error', async () => {
    const run = await runStateMachine(definition, INPUT, handlers({
      'lambda:invoke': () => { throw namedError('Lambda.TooManyRequestsException', 'Rate exceeded'); },
    }));
    expect(run.calls.filter((c) => c.state === 'Score')).toHaveLength(3); // first try + MaxAttempts 2
    expect(run.error).toBe('PipelineFailed');
  });

  test('a terminal error is caught, published to SNS, and ends in the Fail state', async () => {
    const published: any[] = [];
    const run = await runStateMachine(definition, INPUT, handlers({
      'lambda:invoke': () => { throw namedError('Lambda.ResourceNotFoundException', 'Function not found'); },
      'sns:publish': (input) => { published.push(input); return { MessageId: 'm-1' }; },
    }));
    expect(run).toMatchObject({ status: 'FAILED', error: 'PipelineFailed', cause: 'scoring failed' });
    expect(run.visited).toEqual(['Score', 'NotifyFailure', 'Failed']);
    expect(published).toEqual([{
      TopicArn: `arn:aws:sns:us-east-1:123456789012:${idOf('AWS::SNS::Topic')}`,
      Message: { Error: 'Lambda.ResourceNotFoundException', Cause: 'Function not found' },
    }]);
  });

  test.each([
    [0.79, ['Score', 'Cooldown', 'GateMet?', 'GateNotMet'], 'FAILED'],
    [0.8, ['Score', 'Cooldown', 'GateMet?', 'Summarize'], 'SUCCEEDED'],
  ])('the gate follows the score (%p)', async (score, path, status) => {
    const run = await runStateMachine(definition, INPUT, handlers({ 'lambda:invoke': () => ({ Payload: { score, metrics: METRICS } }) }));
    expect(run.status).toBe(status);
    expect(run.visited.slice(0, 4)).toEqual(path);
    if (status === 'FAILED') expect(run).toMatchObject({ error: 'GateNotMet', cause: 'score below 0.8' });
  });

  test('a Task with no handler fails the run, naming state and resource, past the machine\'s Catch', async () => {
    const run = await runStateMachine(definition, INPUT, { 'sns:publish': () => ({}) });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Harness.NoHandler');
    expect(run.cause).toContain("Task state 'Score' (Resource arn:aws:states:::lambda:invoke)");
    expect(run.calls.map((c) => c.state)).toEqual(['Score']); // Score's States.ALL catch did not run NotifyFailure
  });

  test('a key only matches a whole end of the resource, so .sync and .waitForTaskToken are not answered by accident', async () => {
    const oneTask = (resource: string): AslDefinition => ({ StartAt: 'T', States: { T: { Type: 'Task', Resource: resource, End: true } } });
    const keys: TaskHandlers = { 'lambda:invoke': () => 'invoke', 'sagemaker:createTrainingJob': () => 'create', 'ambda:invoke.waitForTaskToken': () => 'partial' };
    for (const resource of ['arn:aws:states:::lambda:invoke.waitForTaskToken', 'arn:aws:states:::sagemaker:createTrainingJob.sync']) {
      expect((await runStateMachine(oneTask(resource), {}, keys)).error).toBe('Harness.NoHandler');
    }
    const both = { ...keys, 'arn:aws:states:::lambda:invoke': () => 'exact' };
    expect((await runStateMachine(oneTask('arn:aws:states:::lambda:invoke'), {}, both)).output).toBe('exact');
  });

  test('a bug in a handler (TypeError) is reported, not caught by the machine', async () => {
    const run = await runStateMachine(definition, INPUT, handlers({ 'lambda:invoke': (input) => input.missing.field }));
    expect(run.error).toBe('Harness.HandlerBug');
    expect(run.cause).toMatch(/^Handler for 'Score' threw TypeError/);
  });

  test('a failed expectation in a handler is reported, not caught by the machine\'s Catch', async () => {
    const run = await runStateMachine(definition, INPUT, handlers({ 'lambda:invoke': (input) => { expect(input.body).toBe('never this'); return {}; } }));
    expect(run.error).toBe('Harness.AssertionFailed');
    expect(run.cause).toMatch(/^An expectation in the handler for 'Score' failed: /);
  });
});

describe('runStateMachine timebox', () => {
  const loop: AslDefinition = {
    StartAt: 'Again',
    States: {
      Again: { Type: 'Pass', Next: 'Poll' },
      Poll: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Done?' },
      'Done?': { Type: 'Choice', Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'End' }], Default: 'Again' },
      End: { Type: 'Succeed' },
    },
  };

  test('a machine that never stops looping is stopped by the state-entry cap', async () => {
    const run = await runStateMachine(loop, {}, { 'lambda:invoke': () => ({ done: false }) }, { maxStateEntries: 300 });
    expect(run.error).toBe('Harness.TooManyStates');
    expect(run.visited.length).toBeLessThanOrEqual(302);
  });

  test('a handler that never answers is stopped by the timeout', async () => {
    const run = await runStateMachine(loop, {}, { 'lambda:invoke': () => new Promise(() => undefined) }, { timeoutMs: 200 });
    expect(run).toMatchObject({ status: 'FAILED', error: 'Harness.Timeout' });
  });
});
