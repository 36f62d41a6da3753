/**
 * A promotion end to end against a local moto server: the serving stack (a conditional endpoint
 * that serves a `ModelVersionParameter`, and a `ModelPromotion`) deployed with the real CDK CLI,
 * then the promotion's synthesized definition run in the ASL interpreter with every CloudFormation
 * and SageMaker call answered by moto: UpdateStack on the previous template with the stack's other
 * parameters kept, the endpoint created once a version is promoted, and the check of the
 * endpoint configuration the endpoint runs against the one the stack holds.
 *
 * What moto 5.2.1 does differently from AWS, and how the test deals with it:
 * - moto remembers only the parameters a deploy passed, so UsePreviousValue on one left at its default
 *   fails there (CloudFormation keeps the default): the deploy passes BootstrapVersion explicitly;
 * - moto's DescribeStackResource fails on a stack with resource types it skipped (alarms, scalable
 *   targets): it is answered from ListStackResources, which reports the same physical id;
 * - UpdateStack completes at once (no UPDATE_IN_PROGRESS): the busy and timeout paths are covered by
 *   promotion-behaviour.test.ts against the SDK-like account;
 * - moto ignores EndpointName and names the endpoint `<stack>-<logicalId>-<random>`, so DescribeEndpoint
 *   for the template's name is answered for the endpoint moto created (the one of the stack);
 * - SageMaker's deployment guardrails do not exist in moto, and its UpdateEndpoint fails with HTTP 500:
 *   a rollback is played by making the endpoint again, under its name, on the previous fleet's
 *   configuration, which is what DescribeEndpoint shows after SageMaker rolls back;
 * - moto updates the stack's parameter but does not replace the model and endpoint configuration when
 *   the model package they serve changes (CloudFormation replaces both), so only the first promotion
 *   shows the endpoint being made.
 */
import { definitionFromTemplate, namedError, runStateMachine, RunResult, TaskHandlers } from '../helpers/asl';
import { deployToMoto, describeDeployedStack, describeStackResourceOnMoto, motoCall, motoEndpointName, MotoServer, queryMoto, startMoto } from '../helpers/moto';

const TIMEOUT = 240_000;
const STACK = 'MotoPromotion';
const ENDPOINT_NAME = 'churn-endpoint';
const V1 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1';
const V2 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2';
const V3 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3';

let moto: MotoServer | undefined;
let definition: any;
let parameterKey: string;

/** The physical id moto gave the stack's resource of `type`, if it created one. */
async function physicalId(type: string): Promise<string | undefined> {
  const list = await motoCall(moto!, 'cloudformation', 'ListStackResources', { StackName: STACK });
  return list.StackResourceSummaries.find((r: any) => r.ResourceType === type && r.LogicalResourceId)?.PhysicalResourceId;
}

interface Calls { updates: any[]; published: any[]; actions: string[] }

/** Task handlers that forward each call to moto (through boto3), as the SDK integration would. */
function motoHandlers(calls: Calls): TaskHandlers {
  const forward = (service: 'cloudformation' | 'sagemaker', operation: string, errorPrefix: string) => async (input: any) => {
    calls.actions.push(operation);
    const [answer] = await queryMoto(moto!, [{ service, operation, params: input }]);
    if (answer.error) throw namedError(`${errorPrefix}Exception`, answer.error.message);
    return answer.result;
  };
  return {
    'aws-sdk:cloudformation:describeStacks': forward('cloudformation', 'DescribeStacks', 'CloudFormation.CloudFormation'),
    // moto's DescribeStackResource fails on a stack with types it skipped: the same record from ListStackResources.
    'aws-sdk:cloudformation:describeStackResource': async (input) => {
      calls.actions.push('DescribeStackResource');
      return describeStackResourceOnMoto((service, operation, params) => motoCall(moto!, service, operation, params), input);
    },
    'aws-sdk:cloudformation:cancelUpdateStack': forward('cloudformation', 'CancelUpdateStack', 'CloudFormation.CloudFormation'),
    'aws-sdk:cloudformation:updateStack': async (input) => {
      calls.updates.push(input);
      return forward('cloudformation', 'UpdateStack', 'CloudFormation.CloudFormation')(input);
    },
    'aws-sdk:sagemaker:describeEndpoint': async (input) => {
      expect(input.EndpointName).toBe(ENDPOINT_NAME);
      const { template } = await describeDeployedStack(moto!, STACK);
      const name = await motoEndpointName((service, operation, params) => motoCall(moto!, service, operation, params), template, STACK, ENDPOINT_NAME);
      return forward('sagemaker', 'DescribeEndpoint', 'SageMaker.SageMaker')({ EndpointName: name });
    },
    'aws-sdk:sagemaker:describeEndpointConfig': forward('sagemaker', 'DescribeEndpointConfig', 'SageMaker.SageMaker'),
    'sns:publish': (input) => {
      calls.published.push(typeof input.Message === 'string' ? JSON.parse(input.Message) : input.Message);
      return { MessageId: 'm-1' };
    },
  };
}

async function promote(input: object, handlers: (calls: Calls) => TaskHandlers = motoHandlers): Promise<RunResult & { moto: Calls }> {
  const calls: Calls = { updates: [], published: [], actions: [] };
  const result = await runStateMachine(definition, input, handlers(calls), { stateMachineName: 'promotion', timeoutMs: 120_000 });
  return { ...result, moto: calls };
}

async function servedValue(): Promise<string> {
  const stacks = await motoCall(moto!, 'cloudformation', 'DescribeStacks', { StackName: STACK });
  return stacks.Stacks[0].Parameters.find((p: any) => p.ParameterKey === parameterKey).ParameterValue;
}

beforeAll(async () => {
  moto = await startMoto();
  await deployToMoto(moto, 'node -r ./test/helpers/swc-register.js test/fixtures/moto-endpoint-app.ts', STACK, {
    env: { MOTO_STACK_NAME: STACK, MOTO_BUCKET_PREFIX: 'moto-promotion-test', MOTO_ENDPOINT_NAME: ENDPOINT_NAME, MOTO_PROMOTION: '1' },
    // moto keeps only parameters passed explicitly, so UsePreviousValue on a defaulted one fails there.
    extraArgs: ['--parameters', 'BootstrapVersion=/cdk-bootstrap/hnb659fds/version'],
  });
  const { template } = await describeDeployedStack(moto, STACK);
  const machineId = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')![0];
  definition = definitionFromTemplate(template, machineId);
  parameterKey = Object.keys((template as any).Parameters).find((k) => k !== 'BootstrapVersion')!;
}, TIMEOUT);

afterAll(async () => {
  await moto?.stop();
}, 30_000);

describe('ModelPromotion against a serving stack deployed to moto', () => {
  test('before a first promotion the stack serves none and has no endpoint', async () => {
    expect(parameterKey).toBe('ModelVersionChurn');
    expect(await servedValue()).toBe('none');
    expect(await physicalId('AWS::SageMaker::Endpoint')).toBeUndefined();
  }, TIMEOUT);

  test('the first promotion updates the stack, which creates the endpoint; the check finds it on the template\'s configuration: DEPLOYED', async () => {
    const result = await promote({ modelPackageArn: V1 });
    expect({ status: result.status, published: result.moto.published, error: result.error }).toEqual({ status: 'SUCCEEDED', published: [], error: undefined });
    expect(result.output.deployment.outcome).toBe('DEPLOYED');
    expect(await servedValue()).toBe(V1);
    expect(result.moto.updates[0].Parameters).toEqual(expect.arrayContaining([{ ParameterKey: 'BootstrapVersion', UsePreviousValue: true }]));
    const endpointArn = await physicalId('AWS::SageMaker::Endpoint');
    expect(endpointArn).toBeDefined();
    const live = await motoCall(moto!, 'sagemaker', 'DescribeEndpoint', { EndpointName: endpointArn!.split('/').pop() });
    const config = await motoCall(moto!, 'sagemaker', 'DescribeEndpointConfig', { EndpointConfigName: live.EndpointConfigName });
    // What the check compares: the stack's physical id of the configuration is its ARN.
    expect(await physicalId('AWS::SageMaker::EndpointConfig')).toBe(config.EndpointConfigArn);
  }, TIMEOUT);

  test('the same approval again is a no-op: no UpdateStack, no notice', async () => {
    const result = await promote({ modelPackageArn: V1 });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.deployment.outcome).toBe('UNCHANGED');
    expect(result.moto.updates).toEqual([]);
    expect(result.moto.actions).toContain('DescribeEndpoint');
  }, TIMEOUT);

  test('a newer version is promoted: DEPLOYED', async () => {
    const result = await promote({ modelPackageArn: V2 });
    expect({ status: result.status, published: result.moto.published }).toEqual({ status: 'SUCCEEDED', published: [] });
    expect(result.output.deployment.outcome).toBe('DEPLOYED');
    expect(await servedValue()).toBe(V2);
  }, TIMEOUT);

  test('an older version is not promoted by an event, only by an explicit rollback request', async () => {
    const stale = await promote({ modelPackageArn: V1 });
    expect(stale.output.deployment.outcome).toBe('NOT_NEWER');
    expect(stale.moto.updates).toEqual([]);
    const rollback = await promote({ modelPackageArn: V1, rollback: true });
    expect({ status: rollback.status, published: rollback.moto.published }).toEqual({ status: 'SUCCEEDED', published: [] });
    expect(rollback.output.deployment.outcome).toBe('DEPLOYED');
    expect(await servedValue()).toBe(V1);
  }, TIMEOUT);
  test('an endpoint that SageMaker rolled back to another configuration behind a completed update is reported ROLLED_BACK', async () => {
    const endpointName = (await physicalId('AWS::SageMaker::Endpoint'))!.split('/').pop()!;
    const live = await motoCall(moto!, 'sagemaker', 'DescribeEndpoint', { EndpointName: endpointName });
    const current = await motoCall(moto!, 'sagemaker', 'DescribeEndpointConfig', { EndpointConfigName: live.EndpointConfigName });
    // The fleet that serves now, as a configuration of its own (its model too: moto may hold a config whose model it replaced).
    const model = await motoCall(moto!, 'sagemaker', 'DescribeModel', { ModelName: (await physicalId('AWS::SageMaker::Model'))!.split('/').pop() });
    await motoCall(moto!, 'sagemaker', 'CreateModel', { ModelName: 'previous-model', ExecutionRoleArn: model.ExecutionRoleArn, PrimaryContainer: model.PrimaryContainer });
    await motoCall(moto!, 'sagemaker', 'CreateEndpointConfig', {
      EndpointConfigName: 'previous-fleet',
      ProductionVariants: current.ProductionVariants.map((v: any) => ({ ...v, ModelName: 'previous-model' })),
    });
    const result = await promote({ modelPackageArn: V3 }, (calls) => {
      const handlers = motoHandlers(calls);
      const update = handlers['aws-sdk:cloudformation:updateStack'];
      handlers['aws-sdk:cloudformation:updateStack'] = async (input, state) => {
        const answer = await update(input, state);
        // SageMaker's guardrails send the endpoint back to the fleet it ran before (moto's UpdateEndpoint
        // fails with HTTP 500, so the endpoint is made again under its name on that fleet).
        await motoCall(moto!, 'sagemaker', 'DeleteEndpoint', { EndpointName: endpointName });
        await motoCall(moto!, 'sagemaker', 'CreateEndpoint', { EndpointName: endpointName, EndpointConfigName: 'previous-fleet' });
        return answer;
      };
      return handlers;
    });
    expect(result.status).toBe('FAILED');
    expect(result.moto.published).toEqual([expect.objectContaining({ 'model-package': V3, 'error': 'SageMakerRolledBack' })]);
    const stacks = await motoCall(moto!, 'cloudformation', 'DescribeStacks', { StackName: STACK });
    expect(stacks.Stacks[0].StackStatus).toBe('UPDATE_COMPLETE');
  }, TIMEOUT);

});
