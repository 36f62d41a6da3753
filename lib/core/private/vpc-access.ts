import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeFindings, acknowledgeInlinePolicy, acknowledgeWildcards } from './nag';

/** Where SageMaker containers run inside a VPC. */
export interface SageMakerNetwork {
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** A VPC placement, resolved. */
export interface SageMakerVpcAccess {
  readonly securityGroups: ec2.ISecurityGroup[];
  readonly securityGroupIds: string[];
  readonly subnets: string[];
  /** The policy that lets SageMaker manage the network interfaces, attached to the role. */
  readonly policy: iam.Policy;
}

/**
 * Places SageMaker jobs or endpoints of `scope` in a VPC: a security group when none is given,
 * private subnets by default, and the EC2 permissions SageMaker needs on `role`.
 *
 * @param what what runs there, for descriptions and the acknowledgement, e.g. 'jobs'
 */
export function sageMakerVpcAccess(scope: Construct, role: iam.IRole, network: SageMakerNetwork & { vpc: ec2.IVpc }, what: string, options: {
  /**
   * Let the members of the created security group reach each other on every protocol: the
   * instances of one job exchange gradients (distributed training), and inter-container traffic
   * encryption runs IPsec (UDP 500 and ESP) between them. Groups the user gives are used as they are.
   */
  readonly allowTrafficWithinGroup?: boolean;
} = {}): SageMakerVpcAccess {
  let securityGroups = network.securityGroups;
  if (!securityGroups) {
    const group = new ec2.SecurityGroup(scope, 'SecurityGroup', {
      vpc: network.vpc,
      description: `SageMaker ${what} of ${scope.node.path}`,
      allowAllOutbound: true,
    });
    if (options.allowTrafficWithinGroup) {
      // All protocols, as SageMaker documents for distributed training (EFA's traffic is not TCP or UDP).
      group.connections.allowInternally(ec2.Port.allTraffic(), 'Between the instances of one SageMaker job (distributed training, inter-container traffic encryption)');
      const selfRule = group.node.children.find((child) => child instanceof ec2.CfnSecurityGroupIngress)!;
      acknowledgeFindings(selfRule, [{
        rules: ['NIST.800.53.R5-EC2RestrictedCommonPorts', 'HIPAA.Security-EC2RestrictedCommonPorts', 'PCI.DSS.321-EC2RestrictedCommonPorts'],
        reason: 'The rule admits only members of this same security group (the instances of one job), not an address range; the check flags every all-protocol rule whatever its source.',
      }]);
    }
    securityGroups = [group];
  }
  const policy = new iam.Policy(scope, 'VpcAccessPolicy', { statements: networkInterfaceStatements(scope, network.vpc) });
  role.attachInlinePolicy(policy);
  acknowledgeWildcards(policy, { resources: ['network-interface', 'subnet', 'security-group'].map((type) => everyEc2(scope, type)) },
    `SageMaker ${what} create their network interfaces with names chosen at run time, in subnets and security groups of this VPC only (an ec2:Vpc condition).`);
  acknowledgeWildcards(policy, { resources: ['*'] },
    'The EC2 Describe actions and DeleteNetworkInterfacePermission, which SageMaker calls with or without a network interface, authorize only on resource *.');
  acknowledgeInlinePolicy(policy);
  return {
    securityGroups,
    securityGroupIds: securityGroups.map((sg) => sg.securityGroupId),
    subnets: network.vpc.selectSubnets(network.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    policy,
  };
}

/**
 * What SageMaker needs to manage its network interfaces in `vpc`, scoped as far as IAM allows
 * (Service Authorization Reference): creating an interface is limited to this VPC's subnets and
 * security groups, and granting or deleting interfaces to this VPC's interfaces, by `ec2:Vpc`.
 */
function networkInterfaceStatements(scope: Construct, vpc: ec2.IVpc): iam.PolicyStatement[] {
  const arn = (type: string) => everyEc2(scope, type);
  const inVpc = { ArnEquals: { 'ec2:Vpc': vpc.vpcArn } };
  return [
    // The new interface itself has no VPC yet to condition on.
    new iam.PolicyStatement({ actions: ['ec2:CreateNetworkInterface'], resources: [arn('network-interface')] }),
    new iam.PolicyStatement({ actions: ['ec2:CreateNetworkInterface'], resources: [arn('subnet'), arn('security-group')], conditions: inVpc }),
    new iam.PolicyStatement({
      actions: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface'],
      resources: [arn('network-interface')],
      conditions: inVpc,
    }),
    new iam.PolicyStatement({
      actions: ['ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
      resources: ['*'],
    }),
  ];
}

/** The ARN pattern of every EC2 resource of one type in this account and region. */
function everyEc2(scope: Construct, resourceType: string): string {
  return Stack.of(scope).formatArn({ service: 'ec2', resource: resourceType, resourceName: '*' });
}
