/**
 * The EC2 permissions of SageMaker containers in a VPC, simulated: network interfaces may be
 * created, shared and deleted in the endpoint's VPC only; what IAM authorizes only on `*`
 * (Describe*, DeleteNetworkInterfacePermission) stays there.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { templateOf, testStack } from '../helpers/app';
import { decide, rolesOf } from '../helpers/iam';
import { TemplateJson } from '../helpers/template-values';
import { MlInstanceType } from '../../lib/core/instance-type';
import { SageMakerImage } from '../../lib/core/sagemaker-image';
import { DataLake } from '../../lib/lake/data-lake';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';
import { ModelSource } from '../../lib/serving/model-source';

const VPC = 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123456789abcdef0';
const OTHER_VPC = 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0fedcba9876543210';
const ec2Arn = (resource: string) => `arn:aws:ec2:us-east-1:123456789012:${resource}`;

function endpointRole() {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'churn',
    model: ModelSource.fromArtifact(SageMakerImage.xgboost(), lake.artifactsBucket, 'churn/model.tar.gz'),
    variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }],
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0123456789abcdef0'],
    }),
  });
  const roles = rolesOf(templateOf(stack).toJSON() as TemplateJson);
  const [id] = Object.keys(roles).filter((r) => r.startsWith('EndpointRole'));
  return roles[id];
}

describe('SageMaker VPC access (IAM simulation)', () => {
  const role = endpointRole();

  test.each([
    ['create a network interface', 'ec2:CreateNetworkInterface', ec2Arn('network-interface/*'), {}, 'Allowed'],
    ['in a subnet of the VPC', 'ec2:CreateNetworkInterface', ec2Arn('subnet/subnet-0123456789abcdef0'), { 'ec2:Vpc': VPC }, 'Allowed'],
    ['with a security group of the VPC', 'ec2:CreateNetworkInterface', ec2Arn('security-group/sg-0123456789abcdef0'), { 'ec2:Vpc': VPC }, 'Allowed'],
    ['in a subnet of another VPC', 'ec2:CreateNetworkInterface', ec2Arn('subnet/subnet-0fedcba9876543210'), { 'ec2:Vpc': OTHER_VPC }, 'ImplicitlyDenied'],
    ['share an interface of the VPC', 'ec2:CreateNetworkInterfacePermission', ec2Arn('network-interface/eni-0123456789abcdef0'), { 'ec2:Vpc': VPC }, 'Allowed'],
    ['share an interface of another VPC', 'ec2:CreateNetworkInterfacePermission', ec2Arn('network-interface/eni-0fedcba987654321'), { 'ec2:Vpc': OTHER_VPC }, 'ImplicitlyDenied'],
    ['delete an interface of the VPC', 'ec2:DeleteNetworkInterface', ec2Arn('network-interface/eni-0123456789abcdef0'), { 'ec2:Vpc': VPC }, 'Allowed'],
    ['delete an interface of another VPC', 'ec2:DeleteNetworkInterface', ec2Arn('network-interface/eni-0fedcba987654321'), { 'ec2:Vpc': OTHER_VPC }, 'ImplicitlyDenied'],
    ['describe subnets', 'ec2:DescribeSubnets', '*', {}, 'Allowed'],
    ['modify an interface', 'ec2:ModifyNetworkInterfaceAttribute', ec2Arn('network-interface/eni-0123456789abcdef0'), { 'ec2:Vpc': VPC }, 'ImplicitlyDenied'],
    ['run an instance', 'ec2:RunInstances', ec2Arn('instance/*'), {}, 'ImplicitlyDenied'],
  ])('%s: %s', async (_what, action, resource, context, decision) => {
    expect(await decide(role, action, resource, { context })).toBe(decision);
  });
});
