import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { InferenceDataLocation } from '../inference-data-location';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';
import { SageMakerNetwork, sageMakerVpcAccess } from '../../core/private/vpc-access';

/**
 * The endpoint's execution role: writes the endpoint's own log group and SageMaker metrics.
 * Model, data and image access are granted where each is configured.
 */
export function createExecutionRole(scope: Construct, endpointName: string): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: `Execution role of SageMaker endpoint ${endpointName}`,
  });
  const logGroup = stack.formatArn({
    service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/Endpoints/${endpointName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogGroup'], resources: [logGroup] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
    resources: [`${logGroup}:*`],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*'] } },
  }));
  acknowledgeWildcards(role, { resources: [`${logGroup}:*`] },
    'SageMaker names a log stream per instance inside the endpoint\'s own log group; the grant is limited to that group.');
  acknowledgeWildcards(role, { resources: ['*'] },
    'cloudwatch:PutMetricData (limited by a condition to the /aws/sagemaker/ namespaces) and ecr:GetAuthorizationToken '
    + '(granted when the image is in a private repository) have no resource-level permissions.');
  acknowledgeInlinePolicy(role);
  return role;
}

/** What the role may do with objects under a location (or `path` below it): read them, or add new ones. */
export function grantLocation(role: iam.IRole, location: InferenceDataLocation, path: string, access: 'read' | 'write'): void {
  iam.Grant.addToPrincipal({
    grantee: role,
    actions: access === 'read' ? ['s3:GetObject'] : ['s3:PutObject'],
    resourceArns: [location.arnForObjects(path)],
  });
  // Precise KMS actions instead of CDK's action groups, so nothing here is a wildcard action.
  location.encryptionKey?.grant(role, ...(access === 'read' ? ['kms:Decrypt'] : ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt']));
  acknowledgeWildcards(role, { resources: [location.arnForObjects(path)] },
    'SageMaker names the objects it reads and writes (per request, per hour of captured data); the grant is limited to the configured prefix.');
}

/** The model's VpcConfig, its security groups, and the policy that lets SageMaker attach network interfaces. */
export interface RenderedNetwork {
  readonly vpcConfig?: { securityGroupIds: string[]; subnets: string[] };
  readonly securityGroups: ec2.ISecurityGroup[];
  readonly policy?: iam.Policy;
}

export function renderNetwork(scope: Construct, role: iam.IRole, network: SageMakerNetwork): RenderedNetwork {
  if (!network.vpc) return { securityGroups: [] };
  const access = sageMakerVpcAccess(scope, role, { ...network, vpc: network.vpc }, 'endpoints');
  return {
    vpcConfig: { securityGroupIds: access.securityGroupIds, subnets: access.subnets },
    securityGroups: access.securityGroups,
    policy: access.policy,
  };
}
