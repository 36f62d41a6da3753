/**
 * Proof that a synthesized DriftMonitor deploys: the real CDK CLI (`cdk bootstrap`, `cdk deploy`)
 * against a local moto server, then moto's own Step Functions, DynamoDB, EventBridge and Lambda APIs.
 *
 * moto 5.2.1 skips the resource types it does not model (here the CloudWatch alarms, composite
 * alarms and topic and bucket policies): those are asserted in the template tests
 * (monitor-construct.test.ts, retrain-loop.test.ts).
 */
import { deployToMoto, describeDeployedStack, DeployedStack, motoResult, MotoServer, queryMoto, startMoto } from '../helpers/moto';

const TIMEOUT = 300_000;
const STACK = 'MotoDriftMonitor';
/** As cdk.json runs bin/app.ts: swc in plain node (test/helpers/swc-register.js), about a quarter of `npx tsx`'s CPU. */
const APP = 'node -r ./test/helpers/swc-register.js test/monitoring/moto-monitor-app.ts';
/** Resource types of this stack that moto's CloudFormation does not model: it skips them and says nothing. */
const SKIPPED_BY_MOTO = ['AWS::CDK::Metadata', 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm', 'AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy'];

let moto: MotoServer | undefined;
let deployed: DeployedStack;

beforeAll(async () => {
  moto = await startMoto();
  await deployToMoto(moto, APP, STACK, { env: { MOTO_STACK_NAME: STACK, MOTO_BUCKET_PREFIX: 'moto-monitor-test' } });
  deployed = await describeDeployedStack(moto, STACK);
}, TIMEOUT);

afterAll(async () => {
  await moto?.stop();
}, 30_000);

function physicalIds(type: string): string[] {
  return deployed.resources.filter((r) => r.ResourceType === type).map((r) => r.PhysicalResourceId);
}

/** One call per params, all in one boto3 process (each start costs about half a second). */
async function ask(service: string, operation: string, params: Record<string, unknown>[]): Promise<any[]> {
  const answers = await queryMoto(moto!, params.map((p) => ({ service, operation, params: p })));
  expect(answers).toHaveLength(params.length);
  return answers.map((answer) => motoResult(answer, `${service} ${operation}`));
}

describe('DriftMonitor deployed with the CDK CLI to moto', () => {
  test('the stack is CREATE_COMPLETE, with every resource moto models created and nothing else skipped', () => {
    expect(deployed.status).toBe('CREATE_COMPLETE');
    expect(deployed.resources.every((r) => r.ResourceStatus === 'CREATE_COMPLETE')).toBe(true);
    // A new type here means moto silently left it out: check it another way and add it to the list.
    expect(deployed.skippedTypes.filter((type) => !SKIPPED_BY_MOTO.includes(type))).toEqual([]);
    const count = (type: string) => physicalIds(type).length;
    // Detector, partial, merge and quality functions; the detector and the retraining gate; three schedules and rules.
    expect([count('AWS::Lambda::Function'), count('AWS::StepFunctions::StateMachine'), count('AWS::Events::Rule'), count('AWS::DynamoDB::Table'), count('AWS::SNS::Topic')])
      .toEqual([4, 2, 3, 1, 1]);
  }, TIMEOUT);

  test('both state machines exist under their names with the synthesized definitions', async () => {
    const arns = physicalIds('AWS::StepFunctions::StateMachine');
    const machines = await ask('stepfunctions', 'DescribeStateMachine', arns.map((arn) => ({ stateMachineArn: arn })));
    const byName = Object.fromEntries(machines.map((m) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual(['churn-monitor-drift', 'churn-monitor-retrain-gate']);
    expect(byName['churn-monitor-drift'].type).toBe('STANDARD');
    expect(Object.keys(JSON.parse(byName['churn-monitor-drift'].definition).States)).toEqual(expect.arrayContaining(['Job', 'DetectDrift', 'FanOut', 'MergeBatches', 'CheckQuality']));
    const gate = JSON.parse(byName['churn-monitor-retrain-gate'].definition);
    expect(gate.States.StartRetraining.Parameters.StateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:churn');
    expect(gate.States.WaitOutCooldown.Seconds).toBe(86400);
  }, TIMEOUT);

  test('the cooldown table is keyed by the lock item (moto reports no SSE: the template test checks the key)', async () => {
    const [table] = physicalIds('AWS::DynamoDB::Table');
    const [{ Table }] = await ask('dynamodb', 'DescribeTable', [{ TableName: table }]);
    expect(Table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(Table.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
  }, TIMEOUT);

  test('the retraining rule matches the composite alarms going to ALARM', async () => {
    const rules = await ask('events', 'DescribeRule', physicalIds('AWS::Events::Rule').map((name) => ({ Name: name })));
    const alarmRule = rules.find((r) => r.EventPattern);
    expect(JSON.parse(alarmRule.EventPattern)).toEqual({
      'source': ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      'resources': ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-monitor-model-drifted', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-monitor-model-quality'],
      'detail': { state: { value: ['ALARM'] } },
    });
    expect(rules.filter((r) => r.ScheduleExpression).map((r) => r.ScheduleExpression)).toEqual(['rate(1 hour)', 'rate(1 hour)']);
  }, TIMEOUT);

  test('the detector function has the contract\'s environment (moto reports no tracing: the template test checks it)', async () => {
    const configs = await ask('lambda', 'GetFunctionConfiguration', physicalIds('AWS::Lambda::Function').map((name) => ({ FunctionName: name })));
    const detect = configs.find((c) => c.Description.startsWith('Plans and checks drift windows'));
    expect(detect.Environment.Variables).toMatchObject({
      ENDPOINT_NAME: 'churn', VARIANT_NAME: 'AllTraffic', CAPTURE_BUCKET: 'moto-monitor-test-capture', CAPTURE_PREFIX: 'churn-endpoint/',
      BASELINE_BUCKET: 'moto-monitor-test-artifacts', BASELINE_KEY: 'churn/baseline.json', WORK_PREFIX: 'drift-work/churn-monitor/',
    });
    expect([detect.Handler, detect.MemorySize, detect.Timeout]).toEqual(['index.handler', 1024, 900]);
  }, TIMEOUT);
});
