/**
 * Who hears of a failed run: subscribers of the failure topic, which CloudWatch alarms and
 * EventBridge rules of the account may also publish to, and the backstop that reports runs
 * that ended outside their own failure path.
 */
import { Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { templateOf } from '../helpers/app';
import { fullPipelineProps, pipelineStack } from '../helpers/pipeline';
import { nagFindings } from '../helpers/nag';

const ACCOUNT = '123456789012';

const withSubscribers = (lake: any) => fullPipelineProps(lake, {
  notificationEmails: ['ml-team@example.com', 'oncall@example.com'],
  notificationSubscriptions: [new subscriptions.SqsSubscription(new sqs.Queue(lake.stack, 'Inbox', { enforceSSL: true }))],
});

describe('the failure topic', () => {
  const { stack, pipeline } = pipelineStack(withSubscribers);
  const template = templateOf(stack);
  const json = template.toJSON();
  const topicPolicy = (Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0] as any).Properties.PolicyDocument.Statement as any[];
  const pipelineKey = Object.entries(json.Resources).find(([id, r]: [string, any]) => id.startsWith('PipelineKey') && r.Type === 'AWS::KMS::Key')![1] as any;
  const keyPolicy = pipelineKey.Properties.KeyPolicy.Statement as any[];
  const forService = (statements: any[], service: string) => statements.filter((st) => st.Principal?.Service === service);

  test('e-mail addresses and other subscriptions receive the notifications', () => {
    const subs = Object.values(template.findResources('AWS::SNS::Subscription')) as any[];
    expect(subs.map((s) => [s.Properties.Protocol, s.Properties.Endpoint?.['Fn::GetAtt'] ? 'queue' : s.Properties.Endpoint]).sort()).toEqual([
      ['email', 'ml-team@example.com'], ['email', 'oncall@example.com'], ['sqs', 'queue'],
    ]);
    for (const s of subs) expect(s.Properties.TopicArn).toEqual({ Ref: stack.resolve((pipeline.failureTopic.node.defaultChild as any).logicalId) });
  });

  test('CloudWatch alarms of this account may publish, and use the key, only from this account\'s alarms', () => {
    const fromAlarms = { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` } };
    expect(forService(topicPolicy, 'cloudwatch.amazonaws.com')).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Condition: fromAlarms })]);
    expect(forService(keyPolicy, 'cloudwatch.amazonaws.com')).toEqual([expect.objectContaining({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: fromAlarms })]);
  });

  test('EventBridge may publish from this account\'s rules only; its key use carries no source condition, which KMS does not receive from it', () => {
    const fromRules = { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/*` } };
    // One statement: no unconditional grant (CDK's SnsTopic target would add one) widens it.
    expect(forService(topicPolicy, 'events.amazonaws.com')).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Condition: fromRules })]);
    const keyUse = forService(keyPolicy, 'events.amazonaws.com');
    expect(keyUse).toEqual([expect.objectContaining({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' })]);
    expect(keyUse[0].Condition).toBeUndefined();
  });

  test('passes every cdk-nag pack with e-mail subscribers and a reserved manifest concurrency', () => {
    // A fresh app: one that was synthesized already returns its cached assembly without validating.
    // (Only e-mail subscribers: a queue of the test's own would bring its own findings.)
    const fresh = pipelineStack((lake) => fullPipelineProps(lake, { notificationEmails: ['ml-team@example.com'], manifestReservedConcurrency: 2 }));
    expect(nagFindings(fresh.stack.node.root as any)).toEqual([]);
  });
});

describe('the backstop for runs that end outside their own failure path', () => {
  const { stack } = pipelineStack();
  const template = templateOf(stack);
  const rules = Object.entries(template.findResources('AWS::Events::Rule')).filter(([id]) => id.startsWith('PipelineBackstop')) as Array<[string, any]>;
  const rule = (prefix: string) => rules.find(([id]) => id.startsWith(prefix))![1].Properties;
  const pattern = (statuses: string[]) => ({
    'source': ['aws.states'],
    'detail-type': ['Step Functions Execution Status Change'],
    'detail': { stateMachineArn: [`arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:churn`], status: statuses },
  });

  test('every failed, timed-out or stopped run goes to the cleanup state machine with its ARN and status', () => {
    const ended = rule('PipelineBackstopRunEnded');
    expect(ended.EventPattern).toEqual(pattern(['FAILED', 'TIMED_OUT', 'ABORTED']));
    expect(ended.Targets).toEqual([expect.objectContaining({
      Arn: { Ref: expect.stringMatching(/^PipelineBackstopCleanup/) },
      InputTransformer: {
        InputPathsMap: { 'detail-executionArn': '$.detail.executionArn', 'detail-status': '$.detail.status' },
        InputTemplate: '{"execution":<detail-executionArn>,"status":<detail-status>}',
      },
    })]);
  });

  test('timed-out and stopped runs, which cannot report themselves, notify the topic straight from EventBridge', () => {
    const stopped = rule('PipelineBackstopRunStopped');
    expect(stopped.EventPattern).toEqual(pattern(['TIMED_OUT', 'ABORTED']));
    expect(stopped.Targets).toEqual([{
      Id: 'Target0',
      Arn: { Ref: expect.stringMatching(/^PipelineFailureTopic/) },
      InputTransformer: expect.objectContaining({ InputPathsMap: { 'detail-executionArn': '$.detail.executionArn', 'detail-status': '$.detail.status' } }),
    }]);
    expect(stopped.Targets[0].InputTransformer.InputTemplate).toMatch(/"execution":<detail-executionArn>,"status":<detail-status>/);
  });

  test('the run table is on demand, encrypted with the pipeline key, recoverable, and only coordinates runs', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineKey'), 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  test('the cleanup may read only this pipeline\'s executions and write only the run table', () => {
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('PipelineBackstopCleanupRole'))!;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'states:DescribeExecution', Resource: `arn:aws:states:us-east-1:${ACCOUNT}:execution:churn:*` }),
      expect.objectContaining({ Action: 'dynamodb:UpdateItem', Resource: { 'Fn::Join': ['', [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/`, { Ref: expect.stringMatching(/^PipelineRunSlotsTable/) }]] } }),
    ]));
    expect(JSON.stringify(statements)).not.toMatch(/"(dynamodb|states|sns):\*"/);
  });
});

describe('the run manifest function', () => {
  test('reserves concurrency only when asked', () => {
    const { stack } = pipelineStack((lake) => fullPipelineProps(lake, { manifestReservedConcurrency: 2 }));
    templateOf(stack).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 2 });
  });

  test.each([
    ['fails on a reservation of no executions', { manifestReservedConcurrency: 0 }, /'manifestReservedConcurrency' \(0\) must be a whole number of at least 1; leave it out to reserve none/],
    ['fails on an address that is not one', { notificationEmails: ['ml-team'] }, /'notificationEmails' has 'ml-team', which is not an e-mail address/],
  ])('%s', (_name, overrides, message) => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, overrides as any))).toThrow(message);
  });
});
