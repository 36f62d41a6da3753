import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { templateOf, testStack } from '../helpers/app';
import { expectNagClean } from '../helpers/nag';
import { MlInstanceType } from '../../lib/core/instance-type';
import { SageMakerImage } from '../../lib/core/sagemaker-image';
import { DataLake, DataZone } from '../../lib/lake/data-lake';
import { ModelRegistry } from '../../lib/registry/model-registry';
import { CapacitySize, DeploymentStrategy } from '../../lib/serving/deployment-strategy';
import { InferenceDataLocation } from '../../lib/serving/inference-data-location';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';
import { ModelEndpointProps } from '../../lib/serving/model-endpoint-props';
import { ModelSource } from '../../lib/serving/model-source';
import { AutoScalingMetric, ProductionVariant } from '../../lib/serving/production-variant';

const GPU_IMAGE = SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');
const CPU_IMAGE = SageMakerImage.sklearn('1.2-1-cpu-py3');

interface Fixture {
  readonly stack: Stack;
  readonly lake: DataLake;
  readonly endpoint: ModelEndpoint;
}

/** The same artifact served by XGBoost, which runs on CPU and GPU instances alike. */
function xgboostModel(lake: DataLake): ModelSource {
  return ModelSource.fromArtifact(SageMakerImage.xgboost(), lake.artifactsBucket, 'churn/model.tar.gz');
}

/** A stack with a data lake and an endpoint serving `churn/model.tar.gz` from its artifacts zone. */
function endpointStack(overrides: (lake: DataLake, stack: Stack) => Partial<ModelEndpointProps> = () => ({})): Fixture {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const endpoint = new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'churn',
    model: ModelSource.fromArtifact(GPU_IMAGE, lake.artifactsBucket, 'churn/model.tar.gz'),
    variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }],
    ...overrides(lake, stack),
  });
  return { stack, lake, endpoint };
}

function only(template: Template, type: string): any {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0];
}

function statements(stack: Stack): any[] {
  return Object.values(templateOf(stack).findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function id(stack: Stack, construct: any): string {
  return stack.getLogicalId(construct.node.defaultChild ?? construct);
}

/** Renders a CloudFormation value the way the assertions read it: GetAtt as <Id.Attr>, Ref as <Id>. */
function flat(value: any): string {
  if (typeof value === 'string') return value;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(flat).join(value['Fn::Join'][0]);
  if (value?.['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value?.Ref) return `<${value.Ref}>`;
  return JSON.stringify(value);
}

/**
 * Every allowed `action resource` pair of the stack's policies (or of one role's policies),
 * independent of how the policies merge statements.
 */
function grants(stack: Stack, role?: iam.IRole): string[] {
  const roleId = role && id(stack, role);
  return Object.values(templateOf(stack).findResources('AWS::IAM::Policy'))
    .filter((p: any) => !roleId || p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .flatMap((st: any) => [st.Action].flat().flatMap((a: string) => [st.Resource].flat().map((r: any) => `${a} ${flat(r)}`)));
}

/** The logical id of the stack's child construct `path`. */
function logicalIdAt(stack: Stack, path: string): string {
  return id(stack, stack.node.findChild(path));
}

const variant = (props: ProductionVariant = {}): ProductionVariant => ({ instanceType: MlInstanceType.ML_G5_XLARGE, ...props });

describe('ModelEndpoint on a GPU instance, with defaults', () => {
  const { stack, lake, endpoint } = endpointStack();
  const template = templateOf(stack);

  test('creates one model, one endpoint configuration and an endpoint with the given name', () => {
    const model = only(template, 'AWS::SageMaker::Model');
    expect(model.Properties.PrimaryContainer).toEqual({
      Image: { 'Fn::Join': ['', ['763104351884.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker']] },
      ModelDataUrl: { 'Fn::Join': ['', ['s3://', { Ref: id(stack, lake.artifactsBucket) }, '/churn/model.tar.gz']] },
    });
    expect(model.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [id(stack, endpoint.role), 'Arn'] });
    expect(model.DependsOn).toEqual(expect.arrayContaining([id(stack, endpoint.role)]));
    const config = only(template, 'AWS::SageMaker::EndpointConfig');
    expect(config.Properties.ProductionVariants).toEqual([{
      VariantName: 'AllTraffic',
      ModelName: { 'Fn::GetAtt': [stack.getLogicalId(endpoint.node.findChild('Model') as any), 'ModelName'] },
      InstanceType: 'ml.g5.xlarge',
      InitialInstanceCount: 1,
      InitialVariantWeight: 1,
    }]);
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: 'churn',
      EndpointConfigName: { 'Fn::GetAtt': [stack.getLogicalId(endpoint.node.findChild('EndpointConfig') as any), 'EndpointConfigName'] },
    });
    expect(endpoint.endpointName).toBe('churn');
    // From the name, so references stay valid while the endpoint resource is conditional.
    expect(stack.resolve(endpoint.endpointArn)).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn');
    expect(endpoint.variantNames).toEqual(['AllTraffic']);
  });

  test('leaves model and configuration names to CloudFormation, so updates replace them and keep the endpoint', () => {
    expect(only(template, 'AWS::SageMaker::Model').Properties.ModelName).toBeUndefined();
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.EndpointConfigName).toBeUndefined();
    expect(only(template, 'AWS::SageMaker::Endpoint').DeletionPolicy).toBeUndefined();
  });

  test('sets no volume key: the NVMe instance storage of g5 is hardware-encrypted and SageMaker rejects one', () => {
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.KmsKeyId).toBeUndefined();
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(endpoint.encryptionKey).toBeUndefined();
  });

  test('deploys blue/green all at once with a 10-minute baking period and two rollback alarms', () => {
    const config = only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig;
    expect(config.BlueGreenUpdatePolicy).toEqual({
      TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
      TerminationWaitInSeconds: 600,
    });
    expect(config.AutoRollbackConfiguration.Alarms).toHaveLength(2);
    expect(endpoint.rollbackAlarms).toHaveLength(2);
  });

  test('rolls back on p99 model latency above 5 s (in microseconds) and on 5 or more 5XX errors a minute', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker', MetricName: 'ModelLatency', ExtendedStatistic: 'p99', Period: 60,
      Threshold: 5_000_000, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'EndpointName', Value: 'churn' }, { Name: 'VariantName', Value: 'AllTraffic' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Statistic: 'Sum', Period: 60,
      Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 2,
    });
  });

  test('the role reads the artifact object and its rollback alarms only, writes only its own log group, and nothing else', () => {
    const logGroup = 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/churn';
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.AlarmName).sort();
    expect(alarms).toEqual(['churn-AllTraffic-5xx-errors', 'churn-AllTraffic-model-latency']);
    expect(grants(stack).sort()).toEqual([
      ...alarms.map((alarm) => `cloudwatch:DescribeAlarms arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm}`),
      'cloudwatch:PutMetricData *',
      `kms:Decrypt <${id(stack, lake.encryptionKey)}.Arn>`,
      `logs:CreateLogGroup ${logGroup}`,
      `logs:CreateLogStream ${logGroup}:*`,
      `logs:DescribeLogStreams ${logGroup}:*`,
      `logs:PutLogEvents ${logGroup}:*`,
      `s3:GetObject <${id(stack, lake.artifactsBucket)}.Arn>/churn/model.tar.gz`,
    ]);
    expect(JSON.stringify(statements(stack))).toContain('{"StringLike":{"cloudwatch:namespace":["/aws/sagemaker/*"]}}');
  });

  test('the role trusts SageMaker from this account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }],
      },
    });
  });

  test('has no autoscaling, data capture, VPC or network isolation', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    expect(config.DataCaptureConfig).toBeUndefined();
    expect(config.AsyncInferenceConfig).toBeUndefined();
    const model = only(template, 'AWS::SageMaker::Model').Properties;
    expect(model.VpcConfig).toBeUndefined();
    expect(model.EnableNetworkIsolation).toBeUndefined();
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.RetainAllVariantProperties).toBeUndefined();
    expect(endpoint.connections.securityGroups).toEqual([]);
  });
});

describe('ModelEndpoint options', () => {
  test('EBS-backed instances get a new rotating key for their ML storage volumes, removed with the endpoint', () => {
    const { stack, endpoint } = endpointStack((lake) => ({ model: xgboostModel(lake), variants: [{ instanceType: MlInstanceType.ML_M5_XLARGE }] }));
    const template = templateOf(stack);
    template.resourceCountIs('AWS::KMS::Key', 2);
    const key = endpoint.node.findChild('Key') as kms.Key;
    template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true }), DeletionPolicy: 'Delete' });
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [id(stack, key), 'Arn'] });
    expect(endpoint.encryptionKey).toBe(key);
  });

  test.each<[string, boolean]>([
    ['ml.p3.2xlarge', true], ['ml.inf2.xlarge', true], ['ml.c5.xlarge', true],
    ['ml.g4dn.xlarge', false], ['ml.g6e.xlarge', false], ['ml.p4d.24xlarge', false], ['ml.p5.48xlarge', false], ['ml.m5d.large', false],
  ])('%s gets a volume key: %s', (type, keyed) => {
    const { stack } = endpointStack((lake) => ({ model: xgboostModel(lake), variants: [{ instanceType: MlInstanceType.of(type) }] }));
    expect(only(templateOf(stack), 'AWS::SageMaker::EndpointConfig').Properties.KmsKeyId !== undefined).toBe(keyed);
  });

  test('uses a key passed in', () => {
    const { stack, endpoint } = endpointStack((lake, s) => ({
      model: xgboostModel(lake),
      variants: [{ instanceType: MlInstanceType.ML_C5_XLARGE }],
      encryptionKey: new kms.Key(s, 'MyKey', { enableKeyRotation: true }),
    }));
    expect(stack.resolve(only(templateOf(stack), 'AWS::SageMaker::EndpointConfig').Properties.KmsKeyId))
      .toEqual({ 'Fn::GetAtt': [id(stack, endpoint.encryptionKey), 'Arn'] });
  });

  test('derives a valid endpoint name from the construct path when none is given', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      model: ModelSource.fromArtifact(GPU_IMAGE, lake.artifactsBucket, 'm.tar.gz'), variants: [variant()],
    });
    expect(endpoint.endpointName).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    templateOf(stack).hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: endpoint.endpointName });
  });

  test('serves an image alone, with environment variables and network isolation', () => {
    const { stack } = endpointStack(() => ({
      model: ModelSource.fromImage(GPU_IMAGE, { environment: { HF_MODEL_ID: 'distilbert-base-uncased' } }),
      enableNetworkIsolation: true,
    }));
    const model = only(templateOf(stack), 'AWS::SageMaker::Model').Properties;
    expect(model.PrimaryContainer.ModelDataUrl).toBeUndefined();
    expect(model.PrimaryContainer.Environment).toEqual({ HF_MODEL_ID: 'distilbert-base-uncased' });
    expect(model.EnableNetworkIsolation).toBe(true);
    expect(JSON.stringify(statements(stack))).not.toContain('s3:GetObject');
  });

  test('serves a registered model version by its lowercase ARN, reading the registry\'s artifact prefix and pulling its ECR image', () => {
    const { stack, lake } = endpointStack((l, s) => ({
      model: ModelSource.fromModelPackage(new ModelRegistry(s, 'Registry', { modelPackageGroupName: 'Churn-Model' }), 3, {
        modelDataLocation: InferenceDataLocation.fromDataLake(l, 'churn/runs/', DataZone.ARTIFACTS),
        image: SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(s, 'Repo', 'churn-serving'), 'v3'),
      }),
    }));
    const model = only(templateOf(stack), 'AWS::SageMaker::Model').Properties;
    expect(model.PrimaryContainer).toEqual({
      ModelPackageName: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/3',
    });
    expect(grants(stack)).toEqual(expect.arrayContaining([
      `s3:GetObject <${id(stack, lake.artifactsBucket)}.Arn>/churn/runs/*`,
      'ecr:BatchGetImage arn:aws:ecr:us-east-1:123456789012:repository/churn-serving',
      'ecr:GetAuthorizationToken *',
    ]));
  });

  test('accepts a model package ARN that a pipeline promotes into a parameter', () => {
    const { stack } = endpointStack((_l, s) => ({
      model: ModelSource.fromModelPackageArn(new CfnParameter(s, 'ModelPackageArn').valueAsString),
    }));
    expect(only(templateOf(stack), 'AWS::SageMaker::Model').Properties.PrimaryContainer).toEqual({ ModelPackageName: { Ref: 'ModelPackageArn' } });
  });

  test('a multi-variant endpoint creates one model per distinct source and keeps weights and timeouts', () => {
    const { stack, endpoint } = endpointStack((lake) => ({
      variants: [
        variant({ variantName: 'champion', initialVariantWeight: 9, initialInstanceCount: 2, modelDataDownloadTimeout: Duration.minutes(20) }),
        variant({
          variantName: 'challenger', initialVariantWeight: 1,
          model: ModelSource.fromArtifact(GPU_IMAGE, lake.artifactsBucket, 'churn/challenger.tar.gz'),
          containerStartupHealthCheckTimeout: Duration.minutes(15),
        }),
      ],
    }));
    const template = templateOf(stack);
    template.resourceCountIs('AWS::SageMaker::Model', 2);
    const variants = only(template, 'AWS::SageMaker::EndpointConfig').Properties.ProductionVariants;
    expect(variants).toEqual([
      expect.objectContaining({ VariantName: 'champion', InitialVariantWeight: 9, InitialInstanceCount: 2, ModelDataDownloadTimeoutInSeconds: 1200 }),
      expect.objectContaining({
        VariantName: 'challenger', InitialVariantWeight: 1, ContainerStartupHealthCheckTimeoutInSeconds: 900,
        ModelName: { 'Fn::GetAtt': [stack.getLogicalId(endpoint.node.findChild('challengerModel') as any), 'ModelName'] },
      }),
    ]);
    // Two default alarms per variant.
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig.AutoRollbackConfiguration.Alarms).toHaveLength(4);
  });

  test('runs the containers in a VPC with a new security group and the EC2 permissions SageMaker needs', () => {
    const { stack, endpoint } = endpointStack((_l, s) => ({
      vpc: ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      }),
    }));
    const template = templateOf(stack);
    const sg = endpoint.node.findChild('SecurityGroup') as ec2.SecurityGroup;
    expect(only(template, 'AWS::SageMaker::Model').Properties.VpcConfig).toEqual({
      SecurityGroupIds: [{ 'Fn::GetAtt': [id(stack, sg), 'GroupId'] }],
      Subnets: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    expect(endpoint.connections.securityGroups).toEqual([sg]);
    // Network-interface actions are scoped to this VPC where IAM allows it (ec2:Vpc); only Describe* and
    // DeleteNetworkInterfacePermission stay on '*' (test/security/vpc-access-iam.test.ts simulates them).
    const vpcArn = 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123456789abcdef0';
    const [vpcPolicy] = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => p.Properties.PolicyName.startsWith('EndpointVpcAccessPolicy'));
    const vpcStatements = (vpcPolicy as any).Properties.PolicyDocument.Statement;
    expect(vpcStatements.map((st: any) => [st.Action, st.Condition ?? null])).toEqual([
      ['ec2:CreateNetworkInterface', null],
      ['ec2:CreateNetworkInterface', { ArnEquals: { 'ec2:Vpc': vpcArn } }],
      [['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface'], { ArnEquals: { 'ec2:Vpc': vpcArn } }],
      [['ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'], null],
    ]);
    expect(vpcStatements[3].Resource).toBe('*');
    expect(only(template, 'AWS::SageMaker::Model').DependsOn).toEqual(expect.arrayContaining([stack.getLogicalId(endpoint.node.findChild('VpcAccessPolicy').node.defaultChild as any)]));
  });

  test('warns when a CPU-only image would leave GPUs idle', () => {
    const { stack } = endpointStack((lake) => ({ model: ModelSource.fromArtifact(CPU_IMAGE, lake.artifactsBucket, 'm.tar.gz') }));
    Annotations.fromStack(stack).hasWarning('/TestStack/Endpoint', Match.stringLikeRegexp('runs on CPU only, so the GPUs of \'ml.g5.xlarge\' would be paid for and idle'));
  });
});

describe('ModelEndpoint autoscaling', () => {
  test('registers the variant with Application Auto Scaling through its service-linked role, after the endpoint exists', () => {
    const { stack, endpoint } = endpointStack(() => ({
      variants: [variant({ autoScaling: { minCapacity: 2, maxCapacity: 8, metric: AutoScalingMetric.invocationsPerInstance(120) } })],
    }));
    const template = templateOf(stack);
    template.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', {
      Properties: {
        ServiceNamespace: 'sagemaker',
        ResourceId: 'endpoint/churn/variant/AllTraffic',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 2,
        MaxCapacity: 8,
        RoleARN: 'arn:aws:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
      },
      DependsOn: [stack.getLogicalId(endpoint.node.defaultChild as any)],
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 120, ScaleInCooldown: 300, ScaleOutCooldown: 60,
      },
    });
    // Starts at the minimum; no IAM role of its own.
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.ProductionVariants[0].InitialInstanceCount).toBe(2);
    template.resourceCountIs('AWS::IAM::Role', 1);
  });

  test('updates keep the instance counts autoscaling chose but apply new weights and capture settings', () => {
    const { stack } = endpointStack(() => ({ variants: [variant({ autoScaling: { maxCapacity: 4 } })] }));
    templateOf(stack).hasResourceProperties('AWS::SageMaker::Endpoint', {
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }, { VariantPropertyType: 'DataCaptureConfig' }],
    });
  });

  test('defaults to 70 invocations per instance a minute, and tracks GPU utilization on request', () => {
    const defaults = endpointStack(() => ({ variants: [variant({ autoScaling: { maxCapacity: 4 } })] }));
    templateOf(defaults.stack).hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 70 }),
    });
    const gpu = endpointStack(() => ({
      variants: [variant({ autoScaling: { maxCapacity: 4, metric: AutoScalingMetric.gpuUtilization(60), scaleInCooldown: Duration.minutes(15), disableScaleIn: true } })],
    }));
    templateOf(gpu.stack).hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        CustomizedMetricSpecification: {
          Namespace: '/aws/sagemaker/Endpoints', MetricName: 'GPUUtilization', Statistic: 'Average',
          Dimensions: [{ Name: 'EndpointName', Value: 'churn' }, { Name: 'VariantName', Value: 'AllTraffic' }],
        },
        TargetValue: 60, ScaleInCooldown: 900, ScaleOutCooldown: 60, DisableScaleIn: true,
      },
    });
  });

  test('scheduled actions change the capacity bounds, e.g. at night', () => {
    const { stack } = endpointStack(() => ({
      variants: [variant({
        autoScaling: {
          maxCapacity: 6,
          schedules: [
            { scheduleName: 'ScaleInAtNight', schedule: appscaling.Schedule.cron({ hour: '22', minute: '0' }), minCapacity: 1, maxCapacity: 2 },
            { scheduleName: 'ScaleOutInTheMorning', schedule: appscaling.Schedule.cron({ hour: '6', minute: '0' }), maxCapacity: 6 },
          ],
        },
      })],
    }));
    templateOf(stack).hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScheduledActions: [
        { ScheduledActionName: 'ScaleInAtNight', Schedule: 'cron(0 22 * * ? *)', ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 } },
        { ScheduledActionName: 'ScaleOutInTheMorning', Schedule: 'cron(0 6 * * ? *)', ScalableTargetAction: { MaxCapacity: 6 } },
      ],
    });
  });
});

describe('ModelEndpoint data capture', () => {
  test('captures requests and responses into the lake\'s capture zone, encrypted with the lake key', () => {
    const { stack, lake, endpoint } = endpointStack((l) => ({
      dataCapture: { location: InferenceDataLocation.fromDataLake(l, 'endpoints/churn/'), samplingPercentage: 20 },
    }));
    expect(only(templateOf(stack), 'AWS::SageMaker::EndpointConfig').Properties.DataCaptureConfig).toEqual({
      EnableCapture: true,
      DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: id(stack, lake.captureBucket) }, '/endpoints/churn/']] },
      InitialSamplingPercentage: 20,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { JsonContentTypes: ['application/json'], CsvContentTypes: ['text/csv'] },
      KmsKeyId: { 'Fn::GetAtt': [id(stack, lake.encryptionKey), 'Arn'] },
    });
    const key = `<${id(stack, lake.encryptionKey)}.Arn>`;
    expect(grants(stack)).toEqual(expect.arrayContaining([
      `s3:PutObject <${id(stack, lake.captureBucket)}.Arn>/endpoints/churn/*`,
      `kms:Encrypt ${key}`, `kms:GenerateDataKey ${key}`,
    ]));
    expect(endpoint.dataCaptureLocation?.keyPrefix).toBe('endpoints/churn/');
  });

  test('captures into any bucket, only responses, with its own key and content types', () => {
    const { stack } = endpointStack((_l, s) => ({
      dataCapture: {
        location: InferenceDataLocation.fromBucket(s3.Bucket.fromBucketName(s, 'Bucket', 'corp-capture'), 'churn/'),
        captureRequests: false,
        jsonContentTypes: ['application/jsonlines'],
        csvContentTypes: [],
        encryptionKey: kms.Key.fromKeyArn(s, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      },
    }));
    const capture = only(templateOf(stack), 'AWS::SageMaker::EndpointConfig').Properties.DataCaptureConfig;
    expect(capture).toMatchObject({
      CaptureOptions: [{ CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { JsonContentTypes: ['application/jsonlines'], CsvContentTypes: [] },
      KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(grants(stack)).toEqual(expect.arrayContaining([
      's3:PutObject arn:aws:s3:::corp-capture/churn/*',
      'kms:GenerateDataKey arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ]));
  });
});

describe('ModelEndpoint serverless variant', () => {
  const { stack, endpoint } = endpointStack(() => ({
    model: ModelSource.fromImage(CPU_IMAGE),
    variants: [{ serverless: { memorySize: Size.gibibytes(4), maxConcurrency: 50, provisionedConcurrency: 2 } }],
  }));
  const template = templateOf(stack);

  test('renders a ServerlessConfig without instance type or count', () => {
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.ProductionVariants).toEqual([{
      VariantName: 'AllTraffic',
      ModelName: expect.anything(),
      InitialVariantWeight: 1,
      ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 50, ProvisionedConcurrency: 2 },
    }]);
  });

  test('has no volume key and still deploys blue/green with rollback alarms', () => {
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.KmsKeyId).toBeUndefined();
    expect(endpoint.encryptionKey).toBeUndefined();
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig.BlueGreenUpdatePolicy).toBeDefined();
  });

  test('defaults to 2 GiB and 20 concurrent invocations', () => {
    const defaults = endpointStack(() => ({ model: ModelSource.fromImage(CPU_IMAGE), variants: [{ serverless: {} }] }));
    expect(only(templateOf(defaults.stack), 'AWS::SageMaker::EndpointConfig').Properties.ProductionVariants[0].ServerlessConfig)
      .toEqual({ MemorySizeInMB: 2048, MaxConcurrency: 20 });
  });
});

/** An asynchronous endpoint that writes to the lake and notifies two KMS-encrypted topics. */
function asyncStack(minCapacity = 0) {
  return endpointStack((lake, s) => {
    const key = new kms.Key(s, 'TopicKey', { enableKeyRotation: true });
    return {
      asyncInference: {
        location: InferenceDataLocation.fromDataLake(lake, 'async/churn/'),
        successTopic: new sns.Topic(s, 'Success', { masterKey: key, enforceSSL: true }),
        errorTopic: new sns.Topic(s, 'Errors', { masterKey: key, enforceSSL: true }),
        maxConcurrentInvocationsPerInstance: 4,
      },
      variants: [variant({ autoScaling: { minCapacity, maxCapacity: 3 } })],
    };
  });
}

describe('ModelEndpoint asynchronous inference', () => {
  test('writes results and failures under the location, encrypted, and notifies the topics', () => {
    const { stack, lake, endpoint } = asyncStack();
    const capture = id(stack, lake.captureBucket);
    expect(stack.resolve(only(templateOf(stack), 'AWS::SageMaker::EndpointConfig').Properties.AsyncInferenceConfig)).toEqual({
      ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
      OutputConfig: {
        S3OutputPath: { 'Fn::Join': ['', ['s3://', { Ref: capture }, '/async/churn/output/']] },
        S3FailurePath: { 'Fn::Join': ['', ['s3://', { Ref: capture }, '/async/churn/failures/']] },
        KmsKeyId: { 'Fn::GetAtt': [id(stack, lake.encryptionKey), 'Arn'] },
        NotificationConfig: { SuccessTopic: { Ref: logicalIdAt(stack, 'Success') }, ErrorTopic: { Ref: logicalIdAt(stack, 'Errors') } },
      },
    });
    expect(stack.resolve(endpoint.asyncInferenceLocations?.inputS3Uri)).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: capture }, '/async/churn/input/']] });
  });

  test('the role reads requests, writes results, publishes to the topics and uses their key', () => {
    const { stack, lake } = asyncStack();
    const prefix = `<${id(stack, lake.captureBucket)}.Arn>/async/churn`;
    const topicKey = `<${logicalIdAt(stack, 'TopicKey')}.Arn>`;
    const all = grants(stack);
    expect(all).toEqual(expect.arrayContaining([
      `s3:GetObject ${prefix}/input/*`,
      `s3:PutObject ${prefix}/output/*`,
      `s3:PutObject ${prefix}/failures/*`,
      `sns:Publish <${logicalIdAt(stack, 'Success')}>`,
      `sns:Publish <${logicalIdAt(stack, 'Errors')}>`,
      `kms:GenerateDataKey ${topicKey}`,
      `kms:Decrypt ${topicKey}`,
    ]));
    expect(all).not.toContain(`s3:PutObject ${prefix}/input/*`);
  });

  test('scales to zero: tracks the backlog per instance and steps out of zero on HasBacklogWithoutCapacity', () => {
    const { stack } = asyncStack(0);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 3 });
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.ProductionVariants[0].InitialInstanceCount).toBe(1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        CustomizedMetricSpecification: {
          Namespace: 'AWS/SageMaker', MetricName: 'ApproximateBacklogSizePerInstance', Statistic: 'Average',
          Dimensions: [{ Name: 'EndpointName', Value: 'churn' }],
        },
        TargetValue: 5,
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: Match.objectLike({
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker', MetricName: 'HasBacklogWithoutCapacity', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('without a minimum of zero, adds no step policy', () => {
    const { stack } = asyncStack(1);
    templateOf(stack).resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
  });
});

describe('ModelEndpoint deployment guardrails', () => {
  test('canary: a share first, watched, then the rest', () => {
    const { stack } = endpointStack(() => ({
      variants: [variant({ initialInstanceCount: 4 })],
      deployment: {
        strategy: DeploymentStrategy.canary({
          canarySize: CapacitySize.instances(1), waitInterval: Duration.minutes(10), terminationWait: Duration.minutes(5), maximumExecutionTimeout: Duration.hours(1),
        }),
      },
    }));
    expect(only(templateOf(stack), 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig.BlueGreenUpdatePolicy).toEqual({
      TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 600 },
      TerminationWaitInSeconds: 300,
      MaximumExecutionTimeoutInSeconds: 3600,
    });
  });

  test('linear: equal steps', () => {
    const { stack } = endpointStack(() => ({
      deployment: { strategy: DeploymentStrategy.linear({ stepSize: CapacitySize.percent(25), waitInterval: Duration.minutes(3) }) },
    }));
    expect(only(templateOf(stack), 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration)
      .toEqual({ Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 180 });
  });

  test('rolling: batch by batch, with its own rollback batch size', () => {
    const { stack } = endpointStack(() => ({
      variants: [variant({ autoScaling: { minCapacity: 4, maxCapacity: 10 } })],
      deployment: {
        strategy: DeploymentStrategy.rolling({
          maximumBatchSize: CapacitySize.percent(25), waitInterval: Duration.minutes(5), rollbackMaximumBatchSize: CapacitySize.percent(100),
        }),
      },
    }));
    const config = only(templateOf(stack), 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig;
    expect(config.BlueGreenUpdatePolicy).toBeUndefined();
    expect(config.RollingUpdatePolicy).toEqual({
      MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
      WaitIntervalInSeconds: 300,
      RollbackMaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 100 },
    });
  });

  test('takes extra rollback alarms and custom thresholds', () => {
    const { stack, endpoint } = endpointStack((_l, s) => ({
      deployment: {
        modelLatencyThreshold: Duration.seconds(30),
        serverErrorsThreshold: 1,
        rollbackAlarms: [cloudwatch.Alarm.fromAlarmName(s, 'Business', 'churn-conversion-drop')],
      },
    }));
    const template = templateOf(stack);
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig.AutoRollbackConfiguration.Alarms)
      .toEqual(expect.arrayContaining([{ AlarmName: 'churn-conversion-drop' }]));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Threshold: 30_000_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation5XXErrors', Threshold: 1 });
    expect(endpoint.rollbackAlarms).toHaveLength(3);
  });

  test('without alarms, renders no rollback configuration', () => {
    const { stack } = endpointStack(() => ({ deployment: { createDefaultAlarms: false } }));
    const template = templateOf(stack);
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig.AutoRollbackConfiguration).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('skips guardrails with a warning that says why on Inf1 instances, where SageMaker does not support them', () => {
    const { stack } = endpointStack((lake) => ({ model: xgboostModel(lake), variants: [{ instanceType: MlInstanceType.of('ml.inf1.xlarge') }] }));
    const template = templateOf(stack);
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    Annotations.fromStack(stack).hasWarning('/TestStack/Endpoint',
      Match.stringLikeRegexp('deployed without guardrails.*variant \'AllTraffic\' runs on Inf1 instances \\(ml.inf1.xlarge\\)'));
  });

  test('skips guardrails with a warning for AWS Marketplace model packages', () => {
    const { stack } = endpointStack(() => ({
      model: ModelSource.fromModelPackageArn('arn:aws:sagemaker:us-east-1:865070037744:model-package/vendor-model-1', { marketplace: true }),
    }));
    expect(only(templateOf(stack), 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('/TestStack/Endpoint', Match.stringLikeRegexp('AWS Marketplace model package'));
  });
});

describe('ModelEndpoint grants', () => {
  test('grantInvoke grants sagemaker:InvokeEndpoint on the endpoint only', () => {
    const { stack, endpoint } = endpointStack();
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(role);
    expect(grants(stack, role)).toEqual(['sagemaker:InvokeEndpoint arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn']);
  });

  test('grantInvoke on an asynchronous endpoint also grants uploading requests and reading results', () => {
    const { stack, lake, endpoint } = endpointStack((l) => ({ asyncInference: { location: InferenceDataLocation.fromDataLake(l, 'async/') } }));
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(role);
    const prefix = `<${id(stack, lake.captureBucket)}.Arn>/async`;
    const key = `<${id(stack, lake.encryptionKey)}.Arn>`;
    expect(grants(stack, role).sort()).toEqual([
      `kms:Decrypt ${key}`, `kms:Encrypt ${key}`, `kms:GenerateDataKey ${key}`,
      `s3:GetObject ${prefix}/failures/*`, `s3:GetObject ${prefix}/output/*`, `s3:PutObject ${prefix}/input/*`,
      `sagemaker:InvokeEndpointAsync ${stack.resolve(endpoint.endpointArn)}`,
    ]);
  });
});

describe('ModelEndpoint metrics', () => {
  const { stack, endpoint } = endpointStack(() => ({ variants: [variant({ variantName: 'blue' }), variant({ variantName: 'green' })] }));

  test.each<[string, (e: ModelEndpoint) => cloudwatch.Metric, string, string, string]>([
    ['invocations', (e) => e.metricInvocations(), 'AWS/SageMaker', 'Invocations', 'Sum'],
    ['model latency', (e) => e.metricModelLatency(), 'AWS/SageMaker', 'ModelLatency', 'Average'],
    ['overhead latency', (e) => e.metricOverheadLatency(), 'AWS/SageMaker', 'OverheadLatency', 'Average'],
    ['4XX errors', (e) => e.metricInvocation4XXErrors(), 'AWS/SageMaker', 'Invocation4XXErrors', 'Sum'],
    ['5XX errors', (e) => e.metricInvocation5XXErrors(), 'AWS/SageMaker', 'Invocation5XXErrors', 'Sum'],
    ['invocations per instance', (e) => e.metricInvocationsPerInstance(), 'AWS/SageMaker', 'InvocationsPerInstance', 'Sum'],
    ['GPU utilization', (e) => e.metricGpuUtilization(), '/aws/sagemaker/Endpoints', 'GPUUtilization', 'Average'],
    ['GPU memory utilization', (e) => e.metricGpuMemoryUtilization(), '/aws/sagemaker/Endpoints', 'GPUMemoryUtilization', 'Average'],
    ['CPU utilization', (e) => e.metricCpuUtilization(), '/aws/sagemaker/Endpoints', 'CPUUtilization', 'Average'],
    ['memory utilization', (e) => e.metricMemoryUtilization(), '/aws/sagemaker/Endpoints', 'MemoryUtilization', 'Average'],
    ['disk utilization', (e) => e.metricDiskUtilization(), '/aws/sagemaker/Endpoints', 'DiskUtilization', 'Average'],
  ])('%s of the first variant', (_name, make, namespace, metricName, statistic) => {
    const metric = make(endpoint);
    expect({ namespace: metric.namespace, metricName: metric.metricName, statistic: metric.statistic })
      .toEqual({ namespace, metricName, statistic });
    expect(stack.resolve(metric.dimensions)).toEqual({ EndpointName: 'churn', VariantName: 'blue' });
  });

  test('of another variant, with another statistic and period', () => {
    const metric = endpoint.metricModelLatency({ variantName: 'green', statistic: 'p99', period: Duration.minutes(1) });
    expect(metric.dimensions).toEqual({ EndpointName: 'churn', VariantName: 'green' });
    expect(metric.statistic).toBe('p99');
    expect(metric.period.toSeconds()).toBe(60);
  });

  test('any metric by name', () => {
    const metric = endpoint.metric('ModelSetupTime', { statistic: 'Maximum' });
    expect([metric.namespace, metric.metricName, metric.statistic]).toEqual(['AWS/SageMaker', 'ModelSetupTime', 'Maximum']);
  });
});

describe('ModelEndpoint imports', () => {
  test('fromEndpointName: lowercase ARN, InvokeEndpoint grants, metrics of AllTraffic', () => {
    const stack = testStack();
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'Imported', 'Churn-Prod');
    expect(stack.resolve(endpoint.endpointArn)).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-prod');
    expect(endpoint.metricInvocations().dimensions).toEqual({ EndpointName: 'Churn-Prod', VariantName: 'AllTraffic' });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(role);
    expect(grants(stack, role)).toEqual(['sagemaker:InvokeEndpoint arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-prod']);
    templateOf(stack).resourceCountIs('AWS::SageMaker::Endpoint', 0);
  });

  test('fromEndpointAttributes: an asynchronous endpoint with another default variant', () => {
    const stack = testStack();
    const endpoint = ModelEndpoint.fromEndpointAttributes(stack, 'Imported', { endpointName: 'batchy', asyncInference: true, defaultVariantName: 'v2' });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(role);
    expect(grants(stack, role)).toEqual(['sagemaker:InvokeEndpointAsync arn:aws:sagemaker:us-east-1:123456789012:endpoint/batchy']);
    expect(endpoint.metricModelLatency().dimensions).toEqual({ EndpointName: 'batchy', VariantName: 'v2' });
  });
});

describe('ModelEndpoint passes every cdk-nag pack and cfn-lint', () => {
  test('a GPU endpoint with autoscaling, data capture and a canary deployment', () => {
    const { stack } = endpointStack((lake) => ({
      variants: [variant({ initialInstanceCount: 2, autoScaling: { minCapacity: 2, maxCapacity: 6, metric: AutoScalingMetric.gpuUtilization(70) } })],
      dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'endpoints/churn/'), samplingPercentage: 50 },
      deployment: { strategy: DeploymentStrategy.canary({ canarySize: CapacitySize.percent(25), waitInterval: Duration.minutes(10) }) },
    }));
    expectNagClean(stack.node.root as any);
    const outdir = (stack.node.root as any).outdir as string;
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', path.join(outdir, 'TestStack.template.json')], { encoding: 'utf8' });
    if (lint.error) throw lint.error;
    expect({ status: lint.status, findings: `${lint.stdout}${lint.stderr}`.trim() }).toEqual({ status: 0, findings: '' });
    expect(fs.existsSync(path.join(outdir, 'TestStack.template.json'))).toBe(true);
  });

  test('a CPU endpoint in a VPC with its own key, ECR image and a registered model version', () => {
    const { stack } = endpointStack((lake, s) => ({
      model: ModelSource.fromModelPackage(new ModelRegistry(s, 'Registry'), 1, {
        modelDataLocation: InferenceDataLocation.fromDataLake(lake, 'churn/runs/', DataZone.ARTIFACTS),
        image: SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(s, 'Repo', 'churn-serving')),
      }),
      variants: [{ instanceType: MlInstanceType.ML_M5_XLARGE }],
      vpc: ec2.Vpc.fromVpcAttributes(s, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0123456789abcdef0'] }),
      enableNetworkIsolation: true,
    }));
    expectNagClean(stack.node.root as any);
  });

  test('a serverless endpoint', () => {
    const { stack } = endpointStack(() => ({ model: ModelSource.fromImage(CPU_IMAGE), variants: [{ serverless: { maxConcurrency: 10 } }] }));
    expectNagClean(stack.node.root as any);
  });

  test('an asynchronous endpoint that scales to zero and notifies KMS-encrypted topics', () => {
    const { stack } = asyncStack(0);
    expectNagClean(stack.node.root as any);
  });
});

describe('ModelEndpoint rejects bad input at synth', () => {
  const gpu = MlInstanceType.ML_G5_XLARGE;
  test.each<[string, (lake: DataLake, stack: Stack) => Partial<ModelEndpointProps>, RegExp]>([
    ['fails on an endpoint name with underscores', () => ({ endpointName: 'churn_model' }),
      /'endpointName' \('churn_model'\) must be 1 to 63 letters, digits and hyphens/],
    ['fails on no variants', () => ({ variants: [] }), /'variants' is empty; add at least one/],
    ['fails on unnamed variants of a multi-variant endpoint', () => ({ variants: [variant(), variant({ variantName: 'b' })] }),
      /'variants' has 2 variants but not every one has a 'variantName'/],
    ['fails on duplicate variant names', () => ({ variants: [variant({ variantName: 'a' }), variant({ variantName: 'a' })] }),
      /'variantName' \('a'\) is used by more than one variant/],
    ['fails on a variant without instance type or serverless', () => ({ variants: [{}] }),
      /variant 'AllTraffic': 'instanceType' is missing; set one, e.g. MlInstanceType.ML_G5_XLARGE, or set 'serverless'/],
    ['fails on a serverless variant with a GPU instance type', () => ({ variants: [{ instanceType: gpu, serverless: {} }] }),
      /'instanceType' \(ml.g5.xlarge\) cannot be used with 'serverless': serverless inference runs on CPU only \(no GPUs\)/],
    ['fails on min capacity above max capacity', () => ({ variants: [variant({ autoScaling: { minCapacity: 5, maxCapacity: 2 } })] }),
      /'autoScaling.minCapacity' \(5\) is more than 'autoScaling.maxCapacity' \(2\); raise 'maxCapacity' to at least 5/],
    ['fails on autoscaling a burstable instance type', () => ({ variants: [{ instanceType: MlInstanceType.of('ml.t2.medium'), autoScaling: { maxCapacity: 2 } }] }),
      /'instanceType' \(ml.t2.medium\) is burstable, and SageMaker does not autoscale burstable instances/],
    ['fails on scaling a real-time endpoint to zero', () => ({ variants: [variant({ autoScaling: { minCapacity: 0, maxCapacity: 2 } })] }),
      /'autoScaling.minCapacity' \(0\) is only possible for asynchronous endpoints/],
    ['fails on an initial count outside the autoscaling bounds', () => ({ variants: [variant({ initialInstanceCount: 9, autoScaling: { maxCapacity: 4 } })] }),
      /'initialInstanceCount' \(9\) must be within the autoscaling bounds \(1 to 4\)/],
    ['fails on the backlog metric of a real-time endpoint', () => ({ variants: [variant({ autoScaling: { maxCapacity: 2, metric: AutoScalingMetric.backlogPerInstance(5) } })] }),
      /backlog per instance\) exists only for asynchronous endpoints/],
    ['fails on invocations per instance for an asynchronous endpoint', (lake) => ({
      asyncInference: { location: InferenceDataLocation.fromDataLake(lake, 'async/') },
      variants: [variant({ autoScaling: { maxCapacity: 2, metric: AutoScalingMetric.invocationsPerInstance(70) } })],
    }), /is not published by asynchronous endpoints; use AutoScalingMetric.backlogPerInstance\(5\)/],
    ['fails on GPU utilization scaling of a CPU instance', () => ({
      variants: [{ instanceType: MlInstanceType.ML_M5_XLARGE, autoScaling: { maxCapacity: 2, metric: AutoScalingMetric.gpuUtilization(70) } }],
    }), /needs a GPU instance type, and ml.m5.xlarge has none/],
    ['fails on a schedule with min above max', () => ({
      variants: [variant({ autoScaling: { maxCapacity: 4, schedules: [{ scheduleName: 'Night', schedule: appscaling.Schedule.rate(Duration.hours(1)), minCapacity: 3, maxCapacity: 2 }] } })],
    }), /schedule 'Night' has 'minCapacity' \(3\) above 'maxCapacity' \(2\)/],
    ['fails on a sampling percentage above 100', (lake) => ({ dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'c/'), samplingPercentage: 101 } }),
      /'dataCapture.samplingPercentage' \(101\) must be a whole number from 1 to 100/],
    ['fails on capturing nothing', (lake) => ({ dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'c/'), captureRequests: false, captureResponses: false } }),
      /'dataCapture' captures neither requests nor responses/],
    ['fails on a sampling percentage of 0, which captures nothing', (lake) => ({ dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'c/'), samplingPercentage: 0 } }),
      /'dataCapture.samplingPercentage' \(0\) must be a whole number from 1 to 100 \(0 captures nothing\)/],
    ['fails on a -gpu- image on a CPU instance', () => ({ variants: [{ instanceType: MlInstanceType.ML_M5_XLARGE }] }),
      /variant 'AllTraffic': its model's image needs an NVIDIA GPU \(a -gpu- image\) but 'instanceType' \(ml.m5.xlarge\) has none/],
    ['fails on a -gpu- image served serverless', () => ({ variants: [{ serverless: {} }] }),
      /variant 'AllTraffic': its model's image needs an NVIDIA GPU \(a -gpu- image\), and serverless inference runs on CPU only/],
    ['fails on an instance type SageMaker does not host on', (lake) => ({ model: xgboostModel(lake), variants: [{ instanceType: MlInstanceType.ML_T3_MEDIUM }] }),
      /variant 'AllTraffic': 'instanceType' \(ml.t3.medium\) cannot run endpoints: SageMaker accepts it for training jobs, processing jobs only/],
    ['fails on an endpoint name of 64 characters that the pattern alone accepts', () => ({ endpointName: `churn${'-a'.repeat(29)}x` }),
      /'endpointName' \('churn(-a){29}x'\) must be 1 to 63 letters/],
    ['fails on a capture content type that is not one', (lake) => ({ dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'c/'), jsonContentTypes: ['json'] } }),
      /'dataCapture.jsonContentTypes' has 'json', which is not a content type/],
    ['fails on serverless memory that is not whole GiB', () => ({ variants: [{ serverless: { memorySize: Size.mebibytes(1536) } }] }),
      /'serverless.memorySize' \(1536 MiB\) must be 1 to 6 GiB in whole GiB/],
    ['fails on serverless concurrency above 200', () => ({ variants: [{ serverless: { maxConcurrency: 500 } }] }),
      /'serverless.maxConcurrency' \(500\) must be a whole number from 1 to 200/],
    ['fails on provisioned concurrency above the maximum', () => ({ variants: [{ serverless: { maxConcurrency: 5, provisionedConcurrency: 6 } }] }),
      /'serverless.provisionedConcurrency' \(6\) must be a whole number from 1 to 'maxConcurrency' \(5\)/],
    ['fails on data capture with a serverless variant', (lake) => ({
      variants: [{ serverless: {} }], dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'c/') },
    }), /'dataCapture' is not supported by serverless variant 'AllTraffic' \(serverless inference has no data capture\)/],
    ['fails on a VPC with a serverless variant', (_l, s) => ({
      variants: [{ serverless: {} }], vpc: ec2.Vpc.fromVpcAttributes(s, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0123456789abcdef0'] }),
    }), /'vpc' is not supported by serverless variant 'AllTraffic'/],
    ['fails on a volume key for NVMe instance storage', (_l, s) => ({ encryptionKey: new kms.Key(s, 'K', { enableKeyRotation: true }) }),
      /'encryptionKey' cannot encrypt the storage of ml.g5.xlarge \(variant 'AllTraffic'\): its NVMe instance storage is encrypted by the instance hardware/],
    ['fails on a canary of more than half the instances', () => ({
      variants: [variant({ initialInstanceCount: 2 })],
      deployment: { strategy: DeploymentStrategy.canary({ canarySize: CapacitySize.instances(2), waitInterval: Duration.minutes(5) }) },
    }), /\(canary\) step size \(2 instances\) is more than half of variant 'AllTraffic' \(2 instances\)/],
    ['fails on a linear step under 10%', () => ({
      deployment: { strategy: DeploymentStrategy.linear({ stepSize: CapacitySize.percent(5), waitInterval: Duration.minutes(5) }) },
    }), /\(linear\) step size \(5%\) must be a whole percentage from 10 to 50/],
    ['fails on a wait interval over an hour', () => ({
      deployment: { strategy: DeploymentStrategy.canary({ canarySize: CapacitySize.percent(10), waitInterval: Duration.hours(2) }) },
    }), /'deployment.strategy' wait interval \(2 hours\) must be whole seconds from 0 seconds to 1 hour/],
    ['fails on a deployment timeout shorter than its waits', () => ({
      deployment: { strategy: DeploymentStrategy.allAtOnce({ terminationWait: Duration.minutes(30), maximumExecutionTimeout: Duration.minutes(20) }) },
    }), /maximum execution timeout \(20 minutes\) must be longer than its waits together \(1800 seconds\)/],
    ['fails on a rolling deployment of a multi-variant endpoint', () => ({
      variants: [variant({ variantName: 'a' }), variant({ variantName: 'b' })],
      deployment: { strategy: DeploymentStrategy.rolling({ maximumBatchSize: CapacitySize.percent(25), waitInterval: Duration.minutes(1) }) },
    }), /'deployment.strategy' \(rolling\) does not support multi-variant endpoints \(2 variants\)/],
    ['fails on a rolling deployment of a serverless endpoint', () => ({
      variants: [{ serverless: {} }],
      deployment: { strategy: DeploymentStrategy.rolling({ maximumBatchSize: CapacitySize.percent(25), waitInterval: Duration.minutes(1) }) },
    }), /'deployment.strategy' \(rolling\) does not support serverless endpoints/],
    ['fails on explicit guardrails for Inf1 instances', () => ({
      variants: [{ instanceType: MlInstanceType.of('ml.inf1.xlarge') }], deployment: {},
    }), /'deployment' cannot apply: variant 'AllTraffic' runs on Inf1 instances \(ml.inf1.xlarge\), which deployment guardrails do not support/],
    ['fails on more than 10 rollback alarms', (_l, s) => ({
      deployment: { rollbackAlarms: Array.from({ length: 9 }, (_, i) => cloudwatch.Alarm.fromAlarmName(s, `A${i}`, `alarm-${i}`)) },
    }), /'deployment' has 11 rollback alarms \(2 default ones and 9 in 'rollbackAlarms'\); SageMaker allows at most 10/],
  ])('%s', (_name, props, message) => {
    expect(() => endpointStack(props)).toThrow(message);
  });

  test.each<[string, () => unknown, RegExp]>([
    ['fails on a model package ARN of another resource', () => ModelSource.fromModelPackageArn('arn:aws:sagemaker:us-east-1:123456789012:model/churn'),
      /'modelPackageArn' \('arn:aws:sagemaker:us-east-1:123456789012:model\/churn'\) is not a model package ARN/],
    ['fails on an uppercase model package ARN', () => ModelSource.fromModelPackageArn('arn:aws:sagemaker:us-east-1:123456789012:model-package/Churn/1'),
      /is not a model package ARN.*\(lowercase, as SageMaker returns it\)/],
    ['fails on a model package version of 0', () => ModelSource.fromModelPackage(ModelRegistry.fromModelPackageGroupName(testStack(), 'R', 'churn'), 0),
      /'version' \(0\) must be a whole number from 1/],
    ['fails on an artifact key with a wildcard', () => ModelSource.fromArtifact(GPU_IMAGE, s3.Bucket.fromBucketName(testStack(), 'B', 'corp-bucket'), 'models/*'),
      /'objectKey' \('models\/\*'\) must be the key of one object/],
    ['fails on a location prefix without a trailing slash', () => InferenceDataLocation.fromBucket(s3.Bucket.fromBucketName(testStack(), 'B', 'corp-bucket'), 'capture'),
      /'keyPrefix' \('capture'\) must be a key prefix ending in '\/'/],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test('fails with every problem listed at once', () => {
    expect(() => endpointStack((lake) => ({
      endpointName: 'bad_name',
      model: xgboostModel(lake),
      variants: [{ instanceType: MlInstanceType.of('ml.t2.medium'), autoScaling: { minCapacity: 3, maxCapacity: 1 } }],
    }))).toThrow(/3 problems:\n- 'endpointName'.*\n- .*'autoScaling.minCapacity' \(3\) is more than.*\n- .*is burstable/);
  });

  test('skips checks on values only known at deploy time', () => {
    expect(() => endpointStack((_l, s) => ({
      endpointName: new CfnParameter(s, 'Name').valueAsString,
      variants: [{
        instanceType: MlInstanceType.of(new CfnParameter(s, 'Type').valueAsString),
        autoScaling: { maxCapacity: new CfnParameter(s, 'Max', { type: 'Number' }).valueAsNumber },
      }],
    }))).not.toThrow();
  });
});
