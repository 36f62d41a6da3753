/**
 * The job tasks' network and encryption: the security group that multi-instance jobs need in a
 * VPC, user security groups, how data is sharded, and the output key on every output config.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { templateOf, testStack } from '../helpers/app';
import { definitionFromTemplate } from '../helpers/asl';
import { nagFindings } from '../helpers/nag';
import {
  MlInstanceType, S3DataDistribution, SageMakerImage, SageMakerProcessingTask, SageMakerProcessingTaskProps,
  SageMakerTrainingTask, SageMakerTrainingTaskProps,
} from '../../lib';

function role(stack: Stack, id: string): iam.Role {
  return new iam.Role(stack, `${id}Role`, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
}

function training(stack: Stack, overrides: Partial<SageMakerTrainingTaskProps> = {}): SageMakerTrainingTask {
  return new SageMakerTrainingTask(stack, 'Train', {
    trainingJobName: 'train-1', role: role(stack, 'Train'),
    image: SageMakerImage.pytorchTraining('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker'),
    instanceType: MlInstanceType.ML_G5_12XLARGE,
    channels: [{ channelName: 'train', s3Uri: 's3://data/train/' }],
    outputS3Uri: 's3://models/',
    ...overrides,
  });
}

function processing(stack: Stack, overrides: Partial<SageMakerProcessingTaskProps> = {}): SageMakerProcessingTask {
  return new SageMakerProcessingTask(stack, 'Prep', {
    processingJobName: 'prep-1', role: role(stack, 'Prep'), image: SageMakerImage.sklearn(), instanceType: MlInstanceType.ML_M5_XLARGE,
    processingInputs: [{ inputName: 'raw', s3Uri: 's3://data/raw/', localPath: '/opt/ml/processing/input' }],
    ...overrides,
  });
}

/** The Parameters of the one task state of a machine made of `task`. */
function parametersOf(stack: Stack, task: sfn.TaskStateBase): any {
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(task) });
  return (Object.values(definitionFromTemplate(templateOf(stack)).States)[0] as any).Parameters;
}

function vpcOf(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
}

describe('job tasks in a VPC', () => {
  test.each<[string, (stack: Stack, vpc: ec2.IVpc) => sfn.TaskStateBase]>([
    ['training', (stack, vpc) => training(stack, { vpc, instanceCount: 2 })],
    ['processing', (stack, vpc) => processing(stack, { vpc, instanceCount: 2 })],
  ])('the security group created for a %s job admits all traffic from its own members', (_kind, make) => {
    const stack = testStack();
    make(stack, vpcOf(stack));
    const template = templateOf(stack);
    const groups = template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('^SageMaker jobs of ') } });
    expect(Object.keys(groups)).toHaveLength(1);
    const [groupId] = Object.keys(groups);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties);
    expect(ingress).toEqual([expect.objectContaining({
      IpProtocol: '-1',
      GroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] },
    })]);
    // Outbound stays open: the jobs reach S3, ECR and CloudWatch through the VPC's routes.
    expect((groups[groupId] as any).Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: '-1' })]);
  });

  test('the rule passes every cdk-nag pack: it admits the group itself, not an address range', () => {
    const stack = testStack();
    training(stack, { vpc: vpcOf(stack), instanceCount: 2 });
    const findings = nagFindings(stack.node.root as any);
    // The test's own VPC has findings of its own (its default security group); the job's group has none.
    expect(findings.filter((f) => f.includes('/Train/'))).toEqual([]);
    expect(findings.length).toBeGreaterThan(0);
  });

  test('a processing job gets the VPC too: NetworkConfig.VpcConfig with the subnets and the group', () => {
    const stack = testStack();
    const params = parametersOf(stack, processing(stack, { vpc: vpcOf(stack) }));
    expect(params.NetworkConfig.VpcConfig.Subnets).toHaveLength(2);
    expect(params.NetworkConfig.VpcConfig.SecurityGroupIds).toEqual([expect.stringMatching(/^PrepSecurityGroup[0-9A-F]{8}\.GroupId$/)]);
  });

  test.each<[string, (stack: Stack, vpc: ec2.IVpc, groups: ec2.ISecurityGroup[]) => sfn.TaskStateBase, (params: any) => any]>([
    ['training', (stack, vpc, securityGroups) => training(stack, { vpc, securityGroups }), (p) => p.VpcConfig],
    ['processing', (stack, vpc, securityGroups) => processing(stack, { vpc, securityGroups }), (p) => p.NetworkConfig.VpcConfig],
  ])('a %s job uses the security groups it is given, and creates none', (_kind, make, vpcConfig) => {
    const stack = testStack();
    const vpc = vpcOf(stack);
    const groups = [ec2.SecurityGroup.fromSecurityGroupId(stack, 'A', 'sg-0aaa'), ec2.SecurityGroup.fromSecurityGroupId(stack, 'B', 'sg-0bbb')];
    const params = parametersOf(stack, make(stack, vpc, groups));
    expect(vpcConfig(params).SecurityGroupIds).toEqual(['sg-0aaa', 'sg-0bbb']);
    expect(templateOf(stack).findResources('AWS::EC2::SecurityGroup')).toEqual({});
  });

  test.each<[string, (stack: Stack) => void, RegExp]>([
    ['fails on security groups without a VPC', (stack) => training(stack, { securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'A', 'sg-0aaa')] }),
      /'securityGroups' \(1 group\(s\)\) need 'vpc'/],
    ['fails on subnets without a VPC', (stack) => processing(stack, { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }), /'vpcSubnets' needs 'vpc'/],
    ['fails on six security groups', (stack) => {
      const vpc = vpcOf(stack);
      training(stack, { vpc, securityGroups: [1, 2, 3, 4, 5, 6].map((i) => ec2.SecurityGroup.fromSecurityGroupId(stack, `G${i}`, `sg-0${i}`)) });
    }, /'securityGroups' has 6 group\(s\); SageMaker takes 1 to 5 per job/],
    ['fails on an empty list of security groups', (stack) => processing(stack, { vpc: vpcOf(stack), securityGroups: [] }), /'securityGroups' has 0 group\(s\)/],
  ])('%s', (_name, make, message) => {
    const stack = testStack();
    expect(() => make(stack)).toThrow(message);
  });
});

describe('S3 data distribution', () => {
  test('channels are fully replicated unless sharded: a single training file reaches every instance', () => {
    const stack = testStack();
    const params = parametersOf(stack, training(stack, { instanceCount: 4 }));
    expect(params.InputDataConfig[0].DataSource.S3DataSource.S3DataDistributionType).toBe('FullyReplicated');
  });

  test('sharding over one instance is flagged as pointless, on training channels and processing inputs', () => {
    const stack = testStack();
    training(stack, { channels: [{ channelName: 'train', s3Uri: 's3://d/t/', distribution: S3DataDistribution.SHARDED_BY_S3_KEY }] });
    processing(stack, {
      processingInputs: [{ inputName: 'raw', s3Uri: 's3://d/r/', localPath: '/opt/ml/processing/input', distribution: S3DataDistribution.SHARDED_BY_S3_KEY }],
    });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('ShardedByS3Key on 1 instance'));
    expect(warnings.map((w) => w.id)).toEqual(['/TestStack/Train', '/TestStack/Prep']);
    expect(warnings[0].entry.data).toMatch(/^'train' is ShardedByS3Key on 1 instance, which is the same as FullyReplicated/);
  });

  test('sharding over several instances is what it is for: no warning', () => {
    const stack = testStack();
    training(stack, { instanceCount: 2, channels: [{ channelName: 'train', s3Uri: 's3://d/t/', distribution: S3DataDistribution.SHARDED_BY_S3_KEY }] });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('ShardedByS3Key'))).toEqual([]);
  });
});

describe('output encryption', () => {
  test('a processing job writes its outputs with the given key, which its role may use', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
    const params = parametersOf(stack, processing(stack, {
      outputEncryptionKey: key,
      processingOutputs: [{ outputName: 'train', s3Uri: 's3://curated/train/', localPath: '/opt/ml/processing/output/train' }],
    }));
    expect(params.ProcessingOutputConfig.KmsKeyId).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\/LakeKey/);
    const statements = Object.values(templateOf(stack).findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => JSON.stringify(r).includes('PrepRole')))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey*', 'kms:Decrypt']),
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] },
    })]));
  });

  test('a training job writes its model with the given key', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
    const params = parametersOf(stack, training(stack, { outputEncryptionKey: key }));
    expect(params.OutputDataConfig).toEqual({ S3OutputPath: 's3://models/', KmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:123456789012:key\/LakeKey/) });
  });

  test('without a key no KmsKeyId is rendered (SageMaker then uses aws/s3: the pipeline always passes one)', () => {
    const stack = testStack();
    const params = parametersOf(stack, processing(stack, {
      processingOutputs: [{ outputName: 'o', s3Uri: 's3://curated/o/', localPath: '/opt/ml/processing/output' }],
    }));
    expect(params.ProcessingOutputConfig).not.toHaveProperty('KmsKeyId');
  });
});
