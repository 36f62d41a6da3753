/**
 * The pipeline stack deployed with the real CDK CLI to a local moto server, and its deployed state
 * machine (the definition moto's Step Functions holds, with CloudFormation's names) run in the ASL
 * interpreter with its DynamoDB calls sent to moto's DynamoDB: so the claim and slot expressions
 * are parsed and decided by an implementation nobody on this team wrote, not by a test double.
 * SageMaker, SNS and the manifest function are answered locally (moto cannot run `.sync` jobs).
 */
import { AslDefinition, namedError, runStateMachine, RunResult, TaskHandlers } from '../helpers/asl';
import { DeployedStack, deployToMoto, describeDeployedStack, motoCall, MotoServer, queryMoto, startMoto } from '../helpers/moto';

const TIMEOUT = 300_000;
const STACK = 'MotoPipeline';
/** As cdk.json runs bin/app.ts: swc in plain node (test/helpers/swc-register.js), about a quarter of `npx tsx`'s CPU. */
const APP = 'node -r ./test/helpers/swc-register.js test/training/pipeline-moto-app.ts';

let moto: MotoServer | undefined;
let deployed: DeployedStack;
let definition: AslDefinition;
let tableName: string;

beforeAll(async () => {
  moto = await startMoto();
  await deployToMoto(moto, APP, STACK, { env: { MOTO_STACK_NAME: STACK, MOTO_BUCKET_PREFIX: 'moto-pipeline-test' }, timeoutMs: 240_000 });
  deployed = await describeDeployedStack(moto, STACK);
  const physical = (prefix: string, type: string) => deployed.resources.find((r) => r.LogicalResourceId.startsWith(prefix) && r.ResourceType === type)?.PhysicalResourceId;
  tableName = physical('PipelineRunSlotsTable', 'AWS::DynamoDB::Table')!;
  const machineArn = physical('PipelineStateMachine', 'AWS::StepFunctions::StateMachine')!;
  definition = JSON.parse((await motoCall(moto, 'stepfunctions', 'DescribeStateMachine', { stateMachineArn: machineArn })).definition);
}, TIMEOUT);

afterAll(async () => {
  await moto?.stop();
}, 30_000);

/** DynamoDB calls of the state machine, made on moto with the parameters the Task rendered. */
function dynamoOnMoto(): TaskHandlers {
  const call = (operation: string) => async (input: any) => {
    const [answer] = await queryMoto(moto!, [{ service: 'dynamodb', operation, params: input }]);
    // Step Functions names the integration's errors DynamoDB.<code>.
    if (answer.error) throw namedError(`DynamoDB.${answer.error.code}`, answer.error.message);
    return answer.result;
  };
  return { 'dynamodb:putItem': call('PutItem'), 'dynamodb:updateItem': call('UpdateItem') };
}

const published: any[] = [];
function handlers(train: (input: any) => any = (input) => input): TaskHandlers {
  return {
    ...dynamoOnMoto(),
    'sagemaker:createTrainingJob.sync': async (input) => ({
      ...(await train(input)),
      ModelArtifacts: { S3ModelArtifacts: `${input.OutputDataConfig.S3OutputPath}${input.TrainingJobName}/output/model.tar.gz` },
      FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.9 }],
    }),
    'aws-sdk:sagemaker:createModelPackage': () => ({ ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/mototrain/1' }),
    // Step Functions serializes an object Message to JSON for SNS; locally it arrives as the object.
    'sns:publish': (input) => { published.push(typeof input.Message === 'string' ? JSON.parse(input.Message) : input.Message); return { MessageId: 'm' }; },
    [definition.States.WriteRunManifest.Resource]: () => ({ manifestUri: 's3://x/manifest.json', inputObjects: 0, problems: [] }),
  };
}

const run = (name: string, input: any, h: TaskHandlers = handlers()): Promise<RunResult> =>
  runStateMachine(definition, input, h, { executionName: name, stateMachineName: 'mototrain', timeoutMs: 120_000 });

async function slots(): Promise<any> {
  return (await motoCall(moto!, 'dynamodb', 'GetItem', { TableName: tableName, Key: { pk: { S: 'slots' } }, ConsistentRead: true })).Item;
}

describe('the training pipeline deployed to moto', () => {
  test('deploys; the log groups are named under /aws/vendedlogs/ with this stack instance\'s id', async () => {
    expect(deployed.status).toBe('CREATE_COMPLETE');
    const stackId: string = (await motoCall(moto!, 'cloudformation', 'DescribeStacks', { StackName: STACK })).Stacks[0].StackId;
    const instance = stackId.split('/')[2].split('-')[0];
    const groups = deployed.resources.filter((r) => r.ResourceType === 'AWS::Logs::LogGroup').map((r) => r.PhysicalResourceId).sort();
    expect(groups).toEqual(expect.arrayContaining([`/aws/vendedlogs/states/mototrain-${instance}`, `/aws/vendedlogs/states/mototrain-cleanup-${instance}`]));
    expect(definition.States.ClaimRun.Parameters.TableName).toBe(tableName);
  }, TIMEOUT);

  test('an S3 event delivered twice trains once: moto\'s DynamoDB rejects the second claim', async () => {
    const event = { trigger: 'new-data', bucket: 'moto-pipeline-test-raw', key: 'training-data/_SUCCESS', versionId: 'v-1' };
    const first = await run('delivery-1', event);
    const second = await run('delivery-2', event);
    expect([first.status, first.visited.slice(-1)[0]]).toEqual(['SUCCEEDED', 'ModelRegistered']);
    expect([second.status, second.visited.slice(-1)[0]]).toEqual(['SUCCEEDED', 'DuplicateRun']);
    expect(second.calls.map((c) => c.state)).toEqual(['ClaimRun']);
    const claim = await motoCall(moto!, 'dynamodb', 'GetItem', { TableName: tableName, Key: { pk: { S: 'run#s3://moto-pipeline-test-raw/training-data/_SUCCESS?versionId=v-1' } } });
    expect(claim.Item.execution.S).toMatch(/:execution:mototrain:delivery-1$/);
    expect(await slots()).toEqual({ pk: { S: 'slots' }, held: { N: '0' } });
  }, TIMEOUT);

  test('while one run holds the only slot another queues and gives up; the holder frees the slot when done', async () => {
    let queued: RunResult | undefined;
    const holder = await run('holder', { trigger: 'manual' }, handlers(async (input) => {
      const during = await slots();
      expect(during.held).toEqual({ N: '1' });
      expect(Object.keys(during)).toContain('arn:aws:states:us-east-1:123456789012:execution:mototrain:holder');
      queued = await run('queued', { trigger: 'manual' });
      return input;
    }));
    expect(holder.status).toBe('SUCCEEDED');
    expect([queued!.status, queued!.error]).toEqual(['FAILED', 'TrainingPipelineFailed']);
    expect(queued!.calls.filter((c) => c.state === 'AcquireRunSlot')).toHaveLength(4);
    expect(published).toContainEqual(expect.objectContaining({ error: 'QueuedTooLong' }));
    expect(await slots()).toEqual({ pk: { S: 'slots' }, held: { N: '0' } });
  }, TIMEOUT);
});
