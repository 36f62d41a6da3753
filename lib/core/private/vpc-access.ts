import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeFindings, acknowledgeInlinePolicy } from './nag';

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
  const policy = new iam.Policy(scope, 'VpcAccessPolicy', {
    statements: [new iam.PolicyStatement({
      actions: [
        'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
        'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs',
        'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
      ],
      resources: ['*'],
    })],
  });
  role.attachInlinePolicy(policy);
  acknowledgeFindings(policy, [{
    rules: ['AwsSolutions-IAM5[Resource::*]'],
    reason: `SageMaker ${what} in a VPC need EC2 network-interface and describe actions, which EC2 authorizes only on resource *.`,
  }]);
  acknowledgeInlinePolicy(policy);
  return {
    securityGroups,
    securityGroupIds: securityGroups.map((sg) => sg.securityGroupId),
    subnets: network.vpc.selectSubnets(network.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    policy,
  };
}
