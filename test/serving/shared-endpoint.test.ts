import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { templateOf, testStack } from '../helpers/app';
import { decide, rolesOf } from '../helpers/iam';
import { expectNagClean } from '../helpers/nag';
import { fakeRef } from '../helpers/template-values';
import { MlInstanceType } from '../../lib/core/instance-type';
import { SageMakerImage } from '../../lib/core/sagemaker-image';
import { DataLake } from '../../lib/lake/data-lake';
import { ModelRegistry } from '../../lib/registry/model-registry';
import { ComponentScalingMetric, InferenceComponent, InferenceComponentOptions } from '../../lib/serving/inference-component';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';
import { ModelSource } from '../../lib/serving/model-source';
import { ModelVersionParameter } from '../../lib/serving/model-version-parameter';
import { RoutingStrategy, SharedEndpoint, SharedEndpointProps } from '../../lib/serving/shared-endpoint';

const GPU_IMAGE = SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');

interface Fixture {
  readonly stack: Stack;
  readonly lake: DataLake;
  readonly endpoint: SharedEndpoint;
}

function model(lake: DataLake, key = 'churn/model.tar.gz'): ModelSource {
  return ModelSource.fromArtifact(GPU_IMAGE, lake.artifactsBucket, key);
}

/** A stack with a data lake and a shared endpoint (no components yet). */
function sharedStack(overrides: Partial<SharedEndpointProps> = {}): Fixture {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const endpoint = new SharedEndpoint(stack, 'Shared', {
    endpointName: 'shared-models',
    instanceType: MlInstanceType.ML_G5_12XLARGE,
    ...overrides,
  });
  return { stack, lake, endpoint };
}

function gpuComponent(lake: DataLake, overrides: Partial<InferenceComponentOptions> = {}): InferenceComponentOptions {
  return { model: model(lake), computeResources: { acceleratorCount: 1, minMemory: Size.gibibytes(16) }, ...overrides };
}

/** The caller's one statement: InvokeEndpoint on endpoint shared-models and on the component named `component`, as its ARN writes it. */
function expectInvokeOnly(t: ReturnType<typeof templateOf>, stack: Stack, caller: iam.Role, component: string): void {
  t.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: stack.getLogicalId(caller.node.defaultChild as any) }],
    PolicyDocument: { Statement: [{
      Effect: 'Allow',
      Action: 'sagemaker:InvokeEndpoint',
      Resource: [
        'arn:aws:sagemaker:us-east-1:123456789012:endpoint/shared-models',
        `arn:aws:sagemaker:us-east-1:123456789012:inference-component/${component}`,
      ],
    }] },
  });
}

describe('SharedEndpoint', () => {
  test('the endpoint configuration has no model on its variant and carries the execution role', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn' }));
    const t = templateOf(stack);
    const config = Object.values(t.findResources('AWS::SageMaker::EndpointConfig'))[0];
    expect(config.Properties.ProductionVariants).toEqual([{
      VariantName: 'AllTraffic',
      InstanceType: 'ml.g5.12xlarge',
      InitialInstanceCount: 1,
      RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
    }]);
    expect(config.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(endpoint.role.node.defaultChild as any), 'Arn'] });
    // g5 instances store models on NVMe, which SageMaker encrypts in hardware and rejects a key for.
    expect(config.Properties.KmsKeyId).toBeUndefined();
    expect(config.UpdateReplacePolicy).toBe('Retain');
    expect(config.DeletionPolicy).toBe('Delete');
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'shared-models', EndpointConfigName: Match.anyValue() });
  });

  test('managed instance scaling and random routing render as given; the endpoint starts at the minimum', () => {
    const { stack, lake, endpoint } = sharedStack({
      managedInstanceScaling: { minInstanceCount: 2, maxInstanceCount: 4 },
      routingStrategy: RoutingStrategy.RANDOM,
      variantName: 'gpus',
    });
    endpoint.addComponent('Churn', gpuComponent(lake));
    templateOf(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{
        VariantName: 'gpus',
        InstanceType: 'ml.g5.12xlarge',
        InitialInstanceCount: 2,
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 2, MaxInstanceCount: 4 },
        RoutingConfig: { RoutingStrategy: 'RANDOM' },
      }],
    });
  });

  test('EBS-backed instance types get a new rotating key for their storage volumes', () => {
    const { stack, lake, endpoint } = sharedStack({ instanceType: MlInstanceType.ML_M5_2XLARGE });
    endpoint.addComponent('Cpu', { model: ModelSource.fromArtifact(SageMakerImage.xgboost(), lake.artifactsBucket, 'm.tar.gz'), computeResources: { minMemory: Size.gibibytes(4), cpuCores: 2 } });
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const keyId = stack.getLogicalId(endpoint.encryptionKey!.node.defaultChild as any);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(endpoint.encryptionKey).toBeDefined();
  });

  test('fails with a key on an instance type with NVMe instance storage', () => {
    const stack = testStack();
    expect(() => new SharedEndpoint(stack, 'Shared', { instanceType: MlInstanceType.ML_G5_XLARGE, encryptionKey: new kms.Key(stack, 'Key') }))
      .toThrow(/'encryptionKey' cannot encrypt the storage of ml.g5.xlarge/);
  });

  test('fails on bad names, counts and scaling bounds, listing every problem', () => {
    const stack = testStack();
    expect(() => new SharedEndpoint(stack, 'Shared', {
      endpointName: 'bad_name',
      variantName: '-x',
      instanceType: MlInstanceType.ML_G5_XLARGE,
      initialInstanceCount: 5,
      managedInstanceScaling: { minInstanceCount: 3, maxInstanceCount: 2 },
    })).toThrow(/4 problems:[\s\S]*'endpointName' \('bad_name'\)[\s\S]*'variantName' \('-x'\)[\s\S]*minInstanceCount' \(3\) is more than 'maxInstanceCount' \(2\)[\s\S]*'initialInstanceCount' \(5\) must be within/);
  });

  test('fails on an instance type SageMaker does not host on', () => {
    const stack = testStack();
    expect(() => new SharedEndpoint(stack, 'Shared', { instanceType: MlInstanceType.of('ml.c5n.xlarge') }))
      .toThrow(/'instanceType' \(ml.c5n.xlarge\) cannot run endpoints/);
  });

  test('fails at synth when the endpoint hosts no component', () => {
    const { stack } = sharedStack();
    expect(() => templateOf(stack)).toThrow(/hosts no inference component/);
  });

  test('fails at synth when two endpoints in one account and region share a name', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('A', gpuComponent(lake));
    new SharedEndpoint(stack, 'Other', { endpointName: 'shared-models', instanceType: MlInstanceType.ML_G5_XLARGE })
      .addComponent('B', gpuComponent(lake, { model: model(lake, 'b/model.tar.gz') }));
    expect(() => templateOf(stack)).toThrow(/'endpointName' 'shared-models' is also the name of/);
  });

  test('fails at synth when a ModelEndpoint has its name: SageMaker has one namespace for endpoints', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('A', gpuComponent(lake));
    new ModelEndpoint(stack, 'Dedicated', { endpointName: 'shared-models', model: model(lake, 'b/model.tar.gz'), variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }] });
    expect(() => templateOf(stack)).toThrow(/'endpointName' 'shared-models' is also the name of TestStack\/Dedicated, in the same account and region/);
  });

  test('fails at synth when a ModelEndpoint has its name in another case: CreateEndpoint compares names without their case', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('A', gpuComponent(lake));
    new ModelEndpoint(stack, 'Dedicated', { endpointName: 'Shared-Models', model: model(lake, 'b/model.tar.gz'), variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE }] });
    // Each name as written, with why they clash.
    expect(() => templateOf(stack)).toThrow(/'endpointName' 'shared-models' is also the name of TestStack\/Dedicated \('Shared-Models': the service compares these names without their case\), in the same account and region/);
    expect(() => templateOf(stack)).toThrow(/'endpointName' 'Shared-Models' is also the name of TestStack\/Shared \('shared-models'/);
  });

  test('fails at synth when two components in one account and region share a name, on one endpoint or two', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('A', gpuComponent(lake, { inferenceComponentName: 'churn' }));
    endpoint.addComponent('B', gpuComponent(lake, { inferenceComponentName: 'churn', model: model(lake, 'b/model.tar.gz') }));
    expect(() => templateOf(stack)).toThrow(/'inferenceComponentName' 'churn' is also the name of TestStack\/Shared\/A, in the same account and region/);

    const other = sharedStack();
    other.endpoint.addComponent('A', gpuComponent(other.lake, { inferenceComponentName: 'churn' }));
    new SharedEndpoint(other.stack, 'Other', { endpointName: 'other-models', instanceType: MlInstanceType.ML_G5_XLARGE })
      .addComponent('B', gpuComponent(other.lake, { inferenceComponentName: 'Churn', model: model(other.lake, 'b/model.tar.gz') }));
    // SageMaker writes the name in lowercase in the component's ARN: 'Churn' and 'churn' would be one component.
    expect(() => templateOf(other.stack)).toThrow(/'inferenceComponentName' 'churn' is also the name of TestStack\/Other\/B \('Churn': the service compares these names without their case\), in the same account and region/);
  });

  test('in a VPC the model of every component runs in the subnets and security group of the endpoint, after the network policy', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    const endpoint = new SharedEndpoint(stack, 'Shared', { instanceType: MlInstanceType.ML_G5_12XLARGE, vpc, enableNetworkIsolation: true });
    endpoint.addComponent('A', gpuComponent(lake));
    endpoint.addComponent('B', gpuComponent(lake, { model: model(lake, 'b.tar.gz') }));
    const t = templateOf(stack);
    const groupId = stack.getLogicalId(endpoint.connections.securityGroups[0].node.defaultChild as any);
    const policyId = stack.getLogicalId(endpoint.node.findChild('VpcAccessPolicy').node.defaultChild as any);
    const models = Object.values(t.findResources('AWS::SageMaker::Model'));
    expect(models).toHaveLength(2);
    for (const m of models) {
      expect(m.Properties.VpcConfig).toEqual({
        SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }],
        Subnets: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      });
      expect(m.Properties.EnableNetworkIsolation).toBe(true);
      expect(m.DependsOn).toContain(policyId);
    }
  });

  test('outside a VPC the models have no network settings and the endpoint no security group', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('A', gpuComponent(lake));
    const m = Object.values(templateOf(stack).findResources('AWS::SageMaker::Model'))[0];
    expect(m.Properties.VpcConfig).toBeUndefined();
    expect(m.Properties.EnableNetworkIsolation).toBeUndefined();
    expect(endpoint.connections.securityGroups).toEqual([]);
  });

  test('instance metrics name the endpoint and variant', () => {
    const { endpoint, stack } = sharedStack();
    const m = endpoint.metric('CPUUtilizationNormalized');
    expect(m.namespace).toBe('/aws/sagemaker/Endpoints');
    expect(m.statistic).toBe('Average');
    expect(stack.resolve(m.dimensions)).toEqual({ EndpointName: 'shared-models', VariantName: 'AllTraffic' });
  });
});

describe('InferenceComponent', () => {
  test('renders its own model, compute requirements, copy count and startup timeouts on the endpoint', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake, {
      inferenceComponentName: 'churn',
      computeResources: { acceleratorCount: 2, minMemory: Size.gibibytes(32), maxMemory: Size.gibibytes(48), cpuCores: 4 },
      initialCopyCount: 2,
      modelDataDownloadTimeout: Duration.minutes(10),
      containerStartupHealthCheckTimeout: Duration.minutes(15),
    }));
    const t = templateOf(stack);
    const models = t.findResources('AWS::SageMaker::Model');
    const [modelId, cfnModel] = Object.entries(models)[0];
    expect(JSON.stringify(cfnModel.Properties.PrimaryContainer.ModelDataUrl)).toContain('/churn/model.tar.gz');
    expect(cfnModel.Properties.PrimaryContainer.Image).toBeDefined();
    expect(cfnModel.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(endpoint.role.node.defaultChild as any), 'Arn'] });
    expect(cfnModel.UpdateReplacePolicy).toBe('Retain');
    expect(cfnModel.DeletionPolicy).toBe('Delete');
    // SageMaker checks at CreateModel that the role can read the model and pull the image.
    expect(cfnModel.DependsOn).toContain(stack.getLogicalId(endpoint.role.node.defaultChild as any));
    const component = Object.values(t.findResources('AWS::SageMaker::InferenceComponent'))[0];
    expect(component.Properties).toEqual({
      InferenceComponentName: 'churn',
      EndpointName: 'shared-models',
      VariantName: 'AllTraffic',
      Specification: {
        ModelName: { 'Fn::GetAtt': [modelId, 'ModelName'] },
        ComputeResourceRequirements: {
          NumberOfAcceleratorDevicesRequired: 2,
          MinMemoryRequiredInMb: 32768,
          MaxMemoryRequiredInMb: 49152,
          NumberOfCpuCoresRequired: 4,
        },
        StartupParameters: { ModelDataDownloadTimeoutInSeconds: 600, ContainerStartupHealthCheckTimeoutInSeconds: 900 },
      },
      RuntimeConfig: { CopyCount: 2 },
    });
    // The endpoint must be InService before a component can be placed on it.
    expect(component.DependsOn).toContain(stack.getLogicalId(endpoint.node.defaultChild as any));
  });

  test('defaults: one copy, a generated name, no startup parameters and no scaling', () => {
    const { stack, lake, endpoint } = sharedStack();
    const c = endpoint.addComponent('Churn', gpuComponent(lake));
    const t = templateOf(stack);
    const props = Object.values(t.findResources('AWS::SageMaker::InferenceComponent'))[0].Properties;
    expect(props.RuntimeConfig).toEqual({ CopyCount: 1 });
    expect(props.Specification.StartupParameters).toBeUndefined();
    expect(props.InferenceComponentName).toBe(c.inferenceComponentName);
    expect(c.inferenceComponentName).toMatch(/^[A-Za-z0-9-]{1,63}$/);
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    expect(c.scalableTarget).toBeUndefined();
  });

  test('two components share one endpoint, each with its own model', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn' }));
    endpoint.addComponent('Fraud', gpuComponent(lake, { inferenceComponentName: 'fraud', model: model(lake, 'fraud/model.tar.gz') }));
    const t = templateOf(stack);
    t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    t.resourceCountIs('AWS::SageMaker::Model', 2);
    const components = Object.values(t.findResources('AWS::SageMaker::InferenceComponent')).map((r) => r.Properties);
    expect(components.map((p) => p.InferenceComponentName)).toEqual(['churn', 'fraud']);
    expect(new Set(components.map((p) => JSON.stringify(p.Specification.ModelName))).size).toBe(2);
  });

  test('autoscaling tracks invocations per copy on the component by default', () => {
    const { stack, lake, endpoint } = sharedStack();
    const c = endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn', autoScaling: { maxCopyCount: 4 } }));
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'inference-component/churn',
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 1,
      MaxCapacity: 4,
      RoleARN: 'arn:aws:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentInvocationsPerCopy' },
        TargetValue: 70,
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      },
    });
    // No scale-out from zero without zero copies.
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    const target = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0];
    expect(target.DependsOn).toContain(stack.getLogicalId(c.node.defaultChild as any));
  });

  test('concurrent requests per copy and the cooldowns render as given', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake, {
      autoScaling: { minCopyCount: 2, maxCopyCount: 4, metric: ComponentScalingMetric.concurrentRequestsPerCopy(5), scaleInCooldown: Duration.minutes(10), scaleOutCooldown: Duration.seconds(30) },
    }));
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4 });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution' },
        TargetValue: 5, ScaleInCooldown: 600, ScaleOutCooldown: 30,
      },
    });
    // Starts at the minimum copy count.
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', { RuntimeConfig: { CopyCount: 2 } });
  });

  test('scale to zero: one copy at start, min 0, and a step policy that adds a copy on the first request that finds none', () => {
    const { stack, lake, endpoint } = sharedStack({ managedInstanceScaling: { minInstanceCount: 0, maxInstanceCount: 2 } });
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn', autoScaling: { minCopyCount: 0, maxCopyCount: 2 } }));
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InitialInstanceCount: 1, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 } })],
    });
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', { RuntimeConfig: { CopyCount: 1 } });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 2 });
    const steps = Object.entries(t.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', { Properties: { PolicyType: 'StepScaling' } }));
    expect(steps).toHaveLength(1);
    expect(steps[0][1].Properties.StepScalingPolicyConfiguration).toEqual({
      AdjustmentType: 'ChangeInCapacity',
      Cooldown: 60,
      MetricAggregationType: 'Maximum',
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
    });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: 'churn' }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: steps[0][0] }],
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('fails scale to zero without the endpoint scaling to zero instances', () => {
    const { lake, endpoint } = sharedStack({ managedInstanceScaling: { maxInstanceCount: 2 } });
    expect(() => endpoint.addComponent('Churn', gpuComponent(lake, { autoScaling: { minCopyCount: 0, maxCopyCount: 2 } })))
      .toThrow(/'autoScaling.minCopyCount' \(0\) needs the endpoint to scale to zero instances: set the endpoint's 'managedInstanceScaling' with 'minInstanceCount: 0' \(it is 1\)/);
  });

  test('fails when a component would start with zero copies', () => {
    const { lake, endpoint } = sharedStack();
    expect(() => endpoint.addComponent('Churn', gpuComponent(lake, { initialCopyCount: 0 })))
      .toThrow(/'initialCopyCount' \(0\) must be a whole number from 1: a component cannot start with zero copies/);
  });

  test('fails when one copy needs more GPUs, memory or vCPUs than an instance has', () => {
    const { lake, endpoint } = sharedStack();
    expect(() => endpoint.addComponent('Churn', gpuComponent(lake, {
      computeResources: { acceleratorCount: 8, minMemory: Size.gibibytes(256), cpuCores: 64 },
    }))).toThrow(/3 problems:[\s\S]*'computeResources.acceleratorCount' \(8\): one copy cannot fit on an instance of ml.g5.12xlarge \(4 GPUs, 196608 MiB memory, 48 vCPUs\); ask for at most 4[\s\S]*'computeResources.minMemory' \(262144 MiB\)[\s\S]*'computeResources.cpuCores' \(64\)/);
  });

  test('fails when a component asks for GPUs on a CPU instance type', () => {
    const { lake, endpoint } = sharedStack({ instanceType: MlInstanceType.ML_M5_XLARGE });
    expect(() => endpoint.addComponent('Churn', {
      model: ModelSource.fromArtifact(SageMakerImage.xgboost(), lake.artifactsBucket, 'm.tar.gz'),
      computeResources: { acceleratorCount: 1, minMemory: Size.gibibytes(4) },
    })).toThrow(/'computeResources.acceleratorCount' \(1\) asks for GPUs but ml.m5.xlarge has none/);
  });

  test('fails when a -gpu- image gets no GPU', () => {
    const { lake, endpoint } = sharedStack();
    expect(() => endpoint.addComponent('Churn', { model: model(lake), computeResources: { minMemory: Size.gibibytes(4) } }))
      .toThrow(/needs an NVIDIA GPU \(a -gpu- image\) but 'computeResources.acceleratorCount' is not set/);
  });

  test('fails when a -gpu- image is placed on a CPU instance type', () => {
    const { lake, endpoint } = sharedStack({ instanceType: MlInstanceType.ML_M5_XLARGE });
    expect(() => endpoint.addComponent('Churn', { model: model(lake), computeResources: { minMemory: Size.gibibytes(4) } }))
      .toThrow(/needs an NVIDIA GPU \(a -gpu- image\) but the endpoint's instance type \(ml.m5.xlarge\) has none/);
  });

  test('fails when a CPU-only image reserves GPUs that would stay idle', () => {
    const { lake, endpoint } = sharedStack();
    expect(() => endpoint.addComponent('Churn', {
      model: ModelSource.fromArtifact(SageMakerImage.sklearn(), lake.artifactsBucket, 'm.tar.gz'),
      computeResources: { acceleratorCount: 2, minMemory: Size.gibibytes(4) },
    })).toThrow(/its model's image runs on CPU only, so the 2 GPU\(s\) per copy in 'computeResources.acceleratorCount' would be reserved and idle/);
  });

  test('fails on autoscaling SageMaker rejects, listing every problem', () => {
    const { lake, endpoint } = sharedStack({ instanceType: MlInstanceType.of('ml.t2.medium') });
    expect(() => endpoint.addComponent('Churn', {
      model: ModelSource.fromArtifact(SageMakerImage.sklearn(), lake.artifactsBucket, 'm.tar.gz'),
      computeResources: { minMemory: Size.gibibytes(1) },
      initialCopyCount: 5,
      autoScaling: { minCopyCount: 1, maxCopyCount: 3, metric: ComponentScalingMetric.invocationsPerCopy(0), scaleInCooldown: Duration.days(2) },
    })).toThrow(/4 problems:[\s\S]*'initialCopyCount' \(5\) must be within the autoscaling bounds \(1 to 3\)[\s\S]*the target of 'autoScaling.metric' \(0\) must be a positive number[\s\S]*'autoScaling.scaleInCooldown' \(2 days\) must be whole seconds from 0 seconds to 1 day[\s\S]*'autoScaling' cannot scale a component on ml.t2.medium: SageMaker does not autoscale burstable instances/);
  });

  test('without initialCopyCount, an autoscaled component starts at its minCopyCount', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake, { autoScaling: { minCopyCount: 2, maxCopyCount: 3 } }));
    templateOf(stack).hasResourceProperties('AWS::SageMaker::InferenceComponent', { RuntimeConfig: { CopyCount: 2 } });
  });

  test('fails on malformed requirements, names and bounds, listing every problem', () => {
    const { lake, endpoint } = sharedStack();
    expect(() => endpoint.addComponent('Churn', gpuComponent(lake, {
      inferenceComponentName: 'churn_model',
      computeResources: { acceleratorCount: 1.5, minMemory: Size.mebibytes(100), maxMemory: Size.mebibytes(64), cpuCores: 0.1 },
      autoScaling: { minCopyCount: 3, maxCopyCount: 2 },
      modelDataDownloadTimeout: Duration.seconds(30),
    }))).toThrow(/'inferenceComponentName' \('churn_model'\)[\s\S]*acceleratorCount' \(1.5\) must be a whole number[\s\S]*'computeResources.minMemory' \(100 MiB\) must be whole MiB from 128[\s\S]*maxMemory' \(64 MiB\) is less than[\s\S]*cpuCores' \(0.1\)[\s\S]*minCopyCount' \(3\) is more than 'autoScaling.maxCopyCount' \(2\)[\s\S]*'modelDataDownloadTimeout' \(30 seconds\)/);
  });

  test.each([
    ['a', true], ['churn-model-2', true], [`c${'-a'.repeat(31)}`, true],
    [`c${'-a'.repeat(31)}b`, false], ['churn-', false], ['-churn', false], ['churn_model', false], ['', false],
  ])('inferenceComponentName %p follows SageMaker\'s pattern and 63-character bound: accepted %p', (name, accepted) => {
    const { lake, endpoint } = sharedStack();
    const add = () => endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: name }));
    if (accepted) expect(add).not.toThrow();
    else expect(add).toThrow(/'inferenceComponentName' \('.*'\) must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit/);
  });

  test('fails at synth when the components\' initial copies need more GPUs than the instances hold', () => {
    const { stack, lake, endpoint } = sharedStack({ initialInstanceCount: 1 });
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn', computeResources: { acceleratorCount: 2, minMemory: Size.gibibytes(16) }, initialCopyCount: 1 }));
    endpoint.addComponent('Fraud', gpuComponent(lake, { inferenceComponentName: 'fraud', model: model(lake, 'f.tar.gz'), initialCopyCount: 3 }));
    expect(() => templateOf(stack)).toThrow(/the components' initial copies need 5 GPUs \('churn' 1 x 2, 'fraud' 3 x 1\) but 'initialInstanceCount' \(1\) ml.g5.12xlarge instances hold 4/);
  });

  test('managed instance scaling lets initial copies spread over its maximum; autoscaling beyond it warns', () => {
    const { stack, lake, endpoint } = sharedStack({ managedInstanceScaling: { maxInstanceCount: 2 } });
    endpoint.addComponent('Churn', gpuComponent(lake, { initialCopyCount: 6, autoScaling: { maxCopyCount: 10 } }));
    templateOf(stack);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('need 10 GPUs but .*maxInstanceCount.* \\(2\\) ml.g5.12xlarge instances hold 8'));
    expect(warnings).toHaveLength(1);
  });

  test('warns when the endpoint may scale to zero instances but a component keeps a copy', () => {
    const { stack, lake, endpoint } = sharedStack({ managedInstanceScaling: { minInstanceCount: 0, maxInstanceCount: 1 } });
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn' }));
    templateOf(stack);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp("'churn' keep at least one copy"))).toHaveLength(1);
  });

  test('a component serving a registry version exists only once a version is promoted', () => {
    const { stack, lake, endpoint } = sharedStack();
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const version = new ModelVersionParameter(stack, 'Version', { registry });
    endpoint.addComponent('Churn', gpuComponent(lake, {
      model: version.modelSource({ modelDataLocation: undefined }),
      autoScaling: { maxCopyCount: 2 },
    }));
    endpoint.addComponent('Fixed', gpuComponent(lake, { model: model(lake, 'fixed.tar.gz') }));
    const t = templateOf(stack);
    const condition = stack.resolve((version.hasModel as any).logicalId);
    const components = Object.values(t.findResources('AWS::SageMaker::InferenceComponent'));
    expect(components.map((c) => c.Condition)).toEqual([condition, undefined]);
    for (const type of ['AWS::SageMaker::Model', 'AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy']) {
      const conditioned = Object.values(t.findResources(type)).filter((r) => r.Condition === condition);
      expect(conditioned.length).toBeGreaterThan(0);
    }
    // The endpoint itself is not conditional: the other component keeps serving.
    expect(Object.values(t.findResources('AWS::SageMaker::Endpoint'))[0].Condition).toBeUndefined();
    t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { ModelPackageName: { Ref: 'ModelVersionChurn' } } });
  });

  test('warns when every component waits for a promoted version while the endpoint starts its instances', () => {
    const { stack, lake, endpoint } = sharedStack();
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const version = new ModelVersionParameter(stack, 'Version', { registry });
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn', model: version.modelSource({ modelDataLocation: undefined }) }));
    templateOf(stack);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(
      "Every component of the endpoint \\('churn'\\) serves a ModelVersionParameter.*it starts 1 ml.g5.12xlarge instance\\(s\\) that host nothing until a version is promoted"))).toHaveLength(1);
  });

  test('no idle-endpoint warning when a component with a fixed model serves from the first deploy', () => {
    const { stack, lake, endpoint } = sharedStack();
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn' });
    const version = new ModelVersionParameter(stack, 'Version', { registry });
    endpoint.addComponent('Churn', gpuComponent(lake, { model: version.modelSource({ modelDataLocation: undefined }) }));
    endpoint.addComponent('Fixed', gpuComponent(lake, { model: model(lake, 'fixed.tar.gz') }));
    templateOf(stack);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('host nothing until a version is promoted'))).toHaveLength(0);
  });

  test('fails when the version parameter lives in another stack than the component', () => {
    const { stack, lake, endpoint } = sharedStack();
    const other = new Stack(stack.node.root as any, 'Registry', { env: { account: '123456789012', region: 'us-east-1' } });
    const version = new ModelVersionParameter(other, 'Version', { registry: new ModelRegistry(other, 'Registry', { modelPackageGroupName: 'churn' }) });
    expect(() => endpoint.addComponent('Churn', gpuComponent(lake, { model: version.modelSource() })))
      .toThrow(/'model' serves the ModelVersionParameter at Registry\/Version, which is in another stack/);
  });

  test('SageMaker checks the role at CreateModel and CreateEndpointConfig: both wait for its policy', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake));
    const t = templateOf(stack);
    const policyId = Object.keys(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(endpoint.role.node.defaultChild as any) }] } }))[0];
    for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig']) {
      expect(Object.values(t.findResources(type))[0].DependsOn).toContain(policyId);
    }
  });

  test('deploy-time values are accepted as they are and skip the capacity checks', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const endpoint = new SharedEndpoint(stack, 'Shared', { instanceType: MlInstanceType.of(new CfnParameter(stack, 'Type').valueAsString) });
    const copies = new CfnParameter(stack, 'Copies', { type: 'Number' }).valueAsNumber;
    endpoint.addComponent('Churn', gpuComponent(lake, {
      computeResources: { acceleratorCount: 64, minMemory: Size.gibibytes(4096) },
      initialCopyCount: copies,
    }));
    templateOf(stack).hasResourceProperties('AWS::SageMaker::InferenceComponent', { RuntimeConfig: { CopyCount: { Ref: 'Copies' } } });
  });

  test('a rolling update replaces copies a batch at a time and rolls back on the given alarms, which the role may read', () => {
    const { stack, lake, endpoint } = sharedStack();
    const alarm = new cloudwatch.Alarm(stack, 'Errors', {
      metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors' }), threshold: 1, evaluationPeriods: 1,
    });
    endpoint.addComponent('Churn', gpuComponent(lake, {
      initialCopyCount: 4,
      rollingUpdate: { maximumBatchSize: 2, waitInterval: Duration.minutes(10), maximumExecutionTimeout: Duration.hours(2), rollbackMaximumBatchSize: 4, rollbackAlarms: [alarm] },
    }));
    const t = templateOf(stack);
    const alarmId = stack.getLogicalId(alarm.node.defaultChild as any);
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      DeploymentConfig: {
        RollingUpdatePolicy: {
          MaximumBatchSize: { Type: 'COPY_COUNT', Value: 2 },
          WaitIntervalInSeconds: 600,
          MaximumExecutionTimeoutInSeconds: 7200,
          RollbackMaximumBatchSize: { Type: 'COPY_COUNT', Value: 4 },
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: alarmId } }] },
      },
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('rollingUpdate'))).toEqual([]);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(endpoint.role.node.defaultChild as any) }],
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: { 'Fn::GetAtt': [alarmId, 'Arn'] } }]) },
    });
  });

  test('rolling update defaults: one copy per batch, a five-minute bake, no alarms; without it SageMaker updates blue/green', () => {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn', rollingUpdate: {} }));
    endpoint.addComponent('Fraud', gpuComponent(lake, { inferenceComponentName: 'fraud', model: model(lake, 'f.tar.gz') }));
    const byName = Object.fromEntries(Object.values(templateOf(stack).findResources('AWS::SageMaker::InferenceComponent'))
      .map((r) => [r.Properties.InferenceComponentName, r.Properties.DeploymentConfig]));
    expect(byName).toEqual({
      churn: { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 1 }, WaitIntervalInSeconds: 300 } },
      fraud: undefined,
    });
    // One copy in batches of one is 100% of the copy count; AWS documents 5% to 50%.
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp("'rollingUpdate.maximumBatchSize' \\(1\\) is more than half of the component's 1 copy"))).toHaveLength(1);
  });

  test('fails on rolling update values SageMaker rejects', () => {
    const { stack, lake, endpoint } = sharedStack();
    const alarms = Array.from({ length: 11 }, (_, i) => cloudwatch.Alarm.fromAlarmArn(stack, `A${i}`, `arn:aws:cloudwatch:us-east-1:123456789012:alarm:a${i}`));
    expect(() => endpoint.addComponent('Churn', gpuComponent(lake, {
      rollingUpdate: { maximumBatchSize: 0, rollbackMaximumBatchSize: 1.5, waitInterval: Duration.hours(2), maximumExecutionTimeout: Duration.minutes(5), rollbackAlarms: alarms },
    }))).toThrow(/5 problems:[\s\S]*'rollingUpdate.maximumBatchSize' \(0\)[\s\S]*'rollingUpdate.rollbackMaximumBatchSize' \(1.5\)[\s\S]*'rollingUpdate.waitInterval' \(2 hours\)[\s\S]*'rollingUpdate.maximumExecutionTimeout' \(5 minutes\) must be whole seconds from 10 minutes to 8 hours[\s\S]*11 alarms; SageMaker allows at most 10/);
  });

  test('metrics name the component', () => {
    const { stack, lake, endpoint } = sharedStack();
    const c = endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn' }));
    const cases: Array<[ReturnType<InferenceComponent['metric']>, string, string, string]> = [
      [c.metricInvocations(), 'AWS/SageMaker', 'Invocations', 'Sum'],
      [c.metricModelLatency(), 'AWS/SageMaker', 'ModelLatency', 'Average'],
      [c.metricInvocation4XXErrors(), 'AWS/SageMaker', 'Invocation4XXErrors', 'Sum'],
      [c.metricInvocation5XXErrors(), 'AWS/SageMaker', 'Invocation5XXErrors', 'Sum'],
      [c.metricNoCapacityInvocationFailures(), 'AWS/SageMaker', 'NoCapacityInvocationFailures', 'Sum'],
      [c.metricGpuUtilization(), '/aws/sagemaker/InferenceComponents', 'GPUUtilizationNormalized', 'Average'],
      [c.metricGpuMemoryUtilization(), '/aws/sagemaker/InferenceComponents', 'GPUMemoryUtilizationNormalized', 'Average'],
      [c.metricCpuUtilization(), '/aws/sagemaker/InferenceComponents', 'CPUUtilizationNormalized', 'Average'],
      [c.metric('ModelSetupTime', { statistic: 'Maximum' }), 'AWS/SageMaker', 'ModelSetupTime', 'Maximum'],
    ];
    for (const [m, namespace, name, statistic] of cases) {
      expect([m.namespace, m.metricName, m.statistic, stack.resolve(m.dimensions)]).toEqual([namespace, name, statistic, { InferenceComponentName: 'churn' }]);
    }
  });

  test('grantInvoke allows invoking this component and no other component of the endpoint', async () => {
    const { stack, lake, endpoint } = sharedStack();
    const churn = endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn' }));
    endpoint.addComponent('Fraud', gpuComponent(lake, { inferenceComponentName: 'fraud', model: model(lake, 'f.tar.gz') }));
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    churn.grantInvoke(caller);
    const t = templateOf(stack);
    expectInvokeOnly(t, stack, caller, 'churn');
    const role = rolesOf(t.toJSON() as any)[stack.getLogicalId(caller.node.defaultChild as any)];
    const arn = (resource: string) => `arn:aws:sagemaker:us-east-1:123456789012:${resource}`;
    expect(await decide(role, 'sagemaker:InvokeEndpoint', arn('endpoint/shared-models'))).toBe('Allowed');
    expect(await decide(role, 'sagemaker:InvokeEndpoint', arn('inference-component/churn'))).toBe('Allowed');
    expect(await decide(role, 'sagemaker:InvokeEndpoint', arn('inference-component/fraud'))).toBe('ImplicitlyDenied');
    expect(await decide(role, 'sagemaker:InvokeEndpointAsync', arn('endpoint/shared-models'))).toBe('ImplicitlyDenied');
  });

  test('a component with mixed-case names grants on the lowercase ARNs SageMaker writes, and keeps the names as given', () => {
    const { stack, lake, endpoint } = sharedStack({ endpointName: 'Shared-Models' });
    const churn = endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'Churn-Model' }));
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    churn.grantInvoke(caller);
    const t = templateOf(stack);
    expectInvokeOnly(t, stack, caller, 'churn-model');
    expect(stack.resolve(endpoint.endpointArn)).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/shared-models');
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'Shared-Models' });
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', { InferenceComponentName: 'Churn-Model', EndpointName: 'Shared-Models' });
  });

  test('an imported component grants invoking it and names itself in metrics', () => {
    const stack = testStack();
    const c = InferenceComponent.fromInferenceComponentAttributes(stack, 'Churn', { inferenceComponentName: 'Churn', endpointName: 'Shared-Models' });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    c.grantInvoke(caller);
    templateOf(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{
        Effect: 'Allow',
        Action: 'sagemaker:InvokeEndpoint',
        // SageMaker writes names in ARNs in lowercase.
        Resource: ['arn:aws:sagemaker:us-east-1:123456789012:endpoint/shared-models', 'arn:aws:sagemaker:us-east-1:123456789012:inference-component/churn'],
      }] },
    });
    expect(stack.resolve(c.metricModelLatency().dimensions)).toEqual({ InferenceComponentName: 'Churn' });
  });

  /** An endpoint with components 'churn' and 'fraud', and its execution role as rendered. */
  function twoComponentsRole() {
    const { stack, lake, endpoint } = sharedStack();
    endpoint.addComponent('Churn', gpuComponent(lake, { inferenceComponentName: 'churn' }));
    endpoint.addComponent('Fraud', gpuComponent(lake, { inferenceComponentName: 'fraud', model: model(lake, 'fraud/model.tar.gz') }));
    const t = templateOf(stack);
    return { stack, lake, t, role: rolesOf(t.toJSON() as any)[stack.getLogicalId(endpoint.role.node.defaultChild as any)] };
  }

  test('the execution role may read only the components\' artifacts', async () => {
    const { stack, lake, t, role } = twoComponentsRole();
    const bucket = fakeRef(stack.getLogicalId(lake.artifactsBucket.node.defaultChild as any), t.toJSON() as any);
    const object = (key: string) => `arn:aws:s3:::${bucket}/${key}`;
    expect(await decide(role, 's3:GetObject', object('churn/model.tar.gz'))).toBe('Allowed');
    expect(await decide(role, 's3:GetObject', object('fraud/model.tar.gz'))).toBe('Allowed');
    expect(await decide(role, 's3:GetObject', object('other/model.tar.gz'))).toBe('ImplicitlyDenied');
  });

  test('the execution role writes each component\'s own log group and no other', async () => {
    const { role } = twoComponentsRole();
    const group = (name: string) => `arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/InferenceComponents/${name}`;
    for (const name of ['churn', 'fraud']) {
      expect(await decide(role, 'logs:CreateLogGroup', group(name))).toBe('Allowed');
      expect(await decide(role, 'logs:PutLogEvents', `${group(name)}:log-stream:AllTraffic/i-0abc`)).toBe('Allowed');
    }
    expect(await decide(role, 'logs:PutLogEvents', `${group('other')}:log-stream:AllTraffic/i-0abc`)).toBe('ImplicitlyDenied');
    expect(await decide(role, 'logs:DeleteLogGroup', group('churn'))).toBe('ImplicitlyDenied');
  });

  test('nag-clean with all four packs, scale to zero and a VPC included', () => {
    const { stack, lake, endpoint } = sharedStack({ managedInstanceScaling: { minInstanceCount: 0, maxInstanceCount: 2 } });
    endpoint.addComponent('Churn', gpuComponent(lake, { autoScaling: { minCopyCount: 0, maxCopyCount: 2 } }));
    endpoint.addComponent('Fraud', gpuComponent(lake, { model: model(lake, 'f.tar.gz'), autoScaling: { minCopyCount: 0, maxCopyCount: 2 } }));
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0123456789abcdef0'] });
    const cpu = new SharedEndpoint(stack, 'Cpu', { instanceType: MlInstanceType.ML_M5_2XLARGE, vpc });
    cpu.addComponent('Small', { model: ModelSource.fromArtifact(SageMakerImage.xgboost(), lake.artifactsBucket, 's.tar.gz'), computeResources: { minMemory: Size.gibibytes(2), cpuCores: 1 } });
    expectNagClean(stack.node.root as any);
  });
});

