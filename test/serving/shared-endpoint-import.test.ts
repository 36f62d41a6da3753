/**
 * SharedEndpoint.fromSharedEndpointAttributes: a model team adds its inference components, in its
 * own stack, to a shared endpoint a platform stack made. Nothing of the endpoint is created again;
 * the components run as the endpoint's role, in the network the attributes give, and this app's
 * components are checked against the instances the attributes give.
 */
import { Size } from 'aws-cdk-lib';
import { Annotations } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { templateOf, testStack } from '../helpers/app';
import { expectNagClean } from '../helpers/nag';
import { MlInstanceType } from '../../lib/core/instance-type';
import { SageMakerImage } from '../../lib/core/sagemaker-image';
import { DataLake } from '../../lib/lake/data-lake';
import { InferenceComponent } from '../../lib/serving/inference-component';
import { ModelSource } from '../../lib/serving/model-source';
import { SharedEndpoint, SharedEndpointAttributes } from '../../lib/serving/shared-endpoint';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/shared-models-execution';
const GPU_IMAGE = SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');

function modelTeamStack(attrs: Partial<SharedEndpointAttributes> = {}) {
  const stack = testStack('ModelTeam');
  const lake = new DataLake(stack, 'Lake');
  const endpoint = SharedEndpoint.fromSharedEndpointAttributes(stack, 'Shared', {
    endpointName: 'shared-models',
    instanceType: MlInstanceType.ML_G5_12XLARGE,
    role: iam.Role.fromRoleArn(stack, 'SharedRole', ROLE_ARN),
    ...attrs,
  });
  const add = (id: string, acceleratorCount = 1, initialCopyCount?: number) => new InferenceComponent(stack, id, {
    endpoint,
    model: ModelSource.fromArtifact(GPU_IMAGE, lake.artifactsBucket, `${id}/model.tar.gz`),
    computeResources: { acceleratorCount, minMemory: Size.gibibytes(16) },
    initialCopyCount,
  });
  return { stack, lake, endpoint, add };
}

describe('SharedEndpoint.fromSharedEndpointAttributes', () => {
  test('a component on it names the endpoint and variant, runs as the endpoint\'s role, and creates no endpoint', () => {
    const { stack, endpoint, add } = modelTeamStack();
    add('Churn');
    const t = templateOf(stack);
    expect(t.findResources('AWS::SageMaker::Endpoint')).toEqual({});
    expect(t.findResources('AWS::SageMaker::EndpointConfig')).toEqual({});
    const component = Object.values(t.findResources('AWS::SageMaker::InferenceComponent'))[0];
    expect(component.Properties).toMatchObject({ EndpointName: 'shared-models', VariantName: 'AllTraffic' });
    expect(component.DependsOn).toBeUndefined();
    const model = Object.values(t.findResources('AWS::SageMaker::Model'))[0];
    expect(model.Properties.ExecutionRoleArn).toBe(ROLE_ARN);
    expect(stack.resolve(endpoint.endpointArn)).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/shared-models');
    // the role may read the component's model artifact: a policy in this stack, on the imported role
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    const forRole = policies.filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify(['shared-models-execution']));
    expect(JSON.stringify(forRole)).toContain('Churn/model.tar.gz');
  });

  test('the model team\'s stack passes every cdk-nag pack', () => {
    const { stack, add } = modelTeamStack();
    add('Churn');
    expectNagClean(stack.node.root as any);
  });

  test('in the VPC the attributes give, the models run in its subnets, with a security group of this stack', () => {
    const stack = testStack('Networked');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    const lake = new DataLake(stack, 'Lake');
    const endpoint = SharedEndpoint.fromSharedEndpointAttributes(stack, 'Shared', {
      endpointName: 'shared-models', instanceType: MlInstanceType.ML_G5_12XLARGE, role: iam.Role.fromRoleArn(stack, 'SharedRole', ROLE_ARN), vpc, enableNetworkIsolation: true,
    });
    new InferenceComponent(stack, 'Churn', {
      endpoint, model: ModelSource.fromArtifact(GPU_IMAGE, lake.artifactsBucket, 'churn/model.tar.gz'), computeResources: { acceleratorCount: 1, minMemory: Size.gibibytes(16) },
    });
    const t = templateOf(stack);
    const model = Object.values(t.findResources('AWS::SageMaker::Model'))[0];
    expect(model.Properties.VpcConfig.Subnets).toEqual(['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1']);
    expect(model.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^SharedSecurityGroup/), 'GroupId'] }]);
    expect(model.Properties.EnableNetworkIsolation).toBe(true);
  });

  test('this app\'s components must fit the instances the attributes give', () => {
    const { stack, add } = modelTeamStack({ initialInstanceCount: 1 });
    add('A', 4);
    add('B', 1);
    // ml.g5.12xlarge has 4 GPUs: 4 + 1 do not fit on one instance
    expect(() => templateOf(stack)).toThrow(/the components' initial copies need 5 GPUs .* but 'initialInstanceCount' \(1\) ml\.g5\.12xlarge instances hold 4/);
  });

  test('with two instances they fit; an import with no component of this app is no error', () => {
    const { stack, add } = modelTeamStack({ initialInstanceCount: 2 });
    add('A', 4);
    add('B', 1);
    expect(() => templateOf(stack)).not.toThrow();
    const unused = modelTeamStack();
    expect(() => templateOf(unused.stack)).not.toThrow();
    expect(Annotations.fromStack(unused.stack).findWarning('*', {})).toEqual([]);
  });

  test.each([
    [{ endpointName: 'shared_models' }, /'endpointName' \('shared_models'\) must be 1 to 63 letters, digits and hyphens/],
    [{ initialInstanceCount: 0 }, /'initialInstanceCount' \(0\) must be a whole number from 1/],
    [{ managedInstanceScaling: { minInstanceCount: 3, maxInstanceCount: 2 } }, /'managedInstanceScaling.minInstanceCount' \(3\) is more than 'maxInstanceCount' \(2\)/],
  ])('bad attributes fail at synth, naming the attribute: %j', (attrs, message) => {
    expect(() => modelTeamStack(attrs as Partial<SharedEndpointAttributes>)).toThrow(message);
  });
});
