/**
 * The answers test/helpers/moto.ts gives where moto 5.2.1 answers differently from AWS (the local run and
 * the promotion test on moto both use them), against a caller that answers as moto does.
 */
import { describeStackResourceOnMoto, MotoCaller, motoEndpointName } from './moto';

const SUMMARIES = [
  { LogicalResourceId: 'Endpoint', PhysicalResourceId: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/MlopsReference-Endpoint-AB12', ResourceType: 'AWS::SageMaker::Endpoint' },
  { LogicalResourceId: 'Table', PhysicalResourceId: 'runs-table', ResourceType: 'AWS::DynamoDB::Table' },
];

function caller(calls: unknown[][]): MotoCaller {
  return async (service, operation, params) => {
    calls.push([service, operation, params]);
    if (`${service}.${operation}` !== 'cloudformation.ListStackResources') throw new Error(`unexpected ${service}.${operation}`);
    return { StackResourceSummaries: SUMMARIES };
  };
}

test('DescribeStackResource is answered from ListStackResources, with the stack name, as CloudFormation answers it', async () => {
  const calls: unknown[][] = [];
  await expect(describeStackResourceOnMoto(caller(calls), { StackName: 'S', LogicalResourceId: 'Table' })).resolves.toEqual({
    StackResourceDetail: { ...SUMMARIES[1], StackName: 'S' },
  });
  expect(calls).toEqual([['cloudformation', 'ListStackResources', { StackName: 'S' }]]);
});

test('DescribeStackResource of a logical id the stack lacks fails as the SDK integration names it, naming the id', async () => {
  const error = await describeStackResourceOnMoto(caller([]), { StackName: 'S', LogicalResourceId: 'Missing' }).catch((e) => e);
  expect([error.name, error.message]).toEqual(['CloudFormation.CloudFormationException', 'Resource Missing does not exist for stack S']);
});

test('the template\'s endpoint name maps to the name moto gave that endpoint; other names stay as they are', async () => {
  const template = { Resources: { Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'churn' } } } };
  const calls: unknown[][] = [];
  await expect(motoEndpointName(caller(calls), template, 'S', 'churn')).resolves.toBe('MlopsReference-Endpoint-AB12');
  expect(calls).toEqual([['cloudformation', 'ListStackResources', { StackName: 'S' }]]);
  await expect(motoEndpointName(caller(calls), template, 'S', 'other')).resolves.toBe('other');
  expect(calls).toHaveLength(1);
  await expect(motoEndpointName(caller([]), { Resources: { Gone: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'x' } } } }, 'S', 'x')).resolves.toBe('x');
});
