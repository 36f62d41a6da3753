import { IResource, Names, RemovalPolicy, Resource, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { InferenceComponent, InferenceComponentOptions } from './inference-component';
import { hasInstanceStorage } from './private/endpoint-instances';
import { requireUniqueEndpointName } from './private/endpoint-name';
import { createExecutionRole, renderNetwork } from './private/endpoint-role';
import { recordModelSettings } from './private/inference-component-validation';
import { keepWhenReplaced } from './private/serving-model';
import { validateSharedEndpoint, validateSharedEndpointProps } from './private/shared-endpoint-validation';
import { MlInstanceType } from '../core/instance-type';
import { acknowledgeFindings, acknowledgeInlinePolicy } from '../core/private/nag';
import { sageMakerArn } from '../core/private/sagemaker-api';

/**
 * How the endpoint spreads requests over the instances that host a component's copies.
 */
export enum RoutingStrategy {
  /** To the instance with the fewest requests in flight (suits models whose latency varies, such as LLMs). */
  LEAST_OUTSTANDING_REQUESTS = 'LEAST_OUTSTANDING_REQUESTS',
  /** To an instance chosen at random. */
  RANDOM = 'RANDOM',
}

/**
 * Managed instance scaling: SageMaker adds instances when component copies do not fit on the
 * running ones, and removes instances that host no copy.
 */
export interface ManagedInstanceScaling {
  /**
   * The fewest instances. 0 lets the endpoint scale to zero instances when every component has
   * scaled to zero copies (a component's `autoScaling.minCopyCount` of 0 needs it).
   *
   * @default 1
   */
  readonly minInstanceCount?: number;

  /** The most instances. */
  readonly maxInstanceCount: number;
}

/**
 * An endpoint that hosts inference components.
 */
export interface ISharedEndpoint extends IResource {
  /** The endpoint's name. */
  readonly endpointName: string;
  /** The endpoint's ARN. */
  readonly endpointArn: string;
  /** The name of the production variant that hosts the components. */
  readonly variantName: string;
  /** The instance type of the variant. */
  readonly instanceType: MlInstanceType;
  /** The number of instances the variant starts with. */
  readonly initialInstanceCount: number;
  /** The instance bounds of managed instance scaling, when it is on. */
  readonly managedInstanceScaling?: ManagedInstanceScaling;
  /** The execution role the endpoint's components run as (the endpoint configuration's `ExecutionRoleArn`). */
  readonly role: iam.IRole;
}

/**
 * Properties of a `SharedEndpoint`.
 */
export interface SharedEndpointProps {
  /** The instance type every component runs on, e.g. `MlInstanceType.ML_G5_12XLARGE` (4 GPUs). */
  readonly instanceType: MlInstanceType;

  /**
   * The number of instances the endpoint starts with.
   *
   * @default - 1, or `managedInstanceScaling.minInstanceCount` when that is more
   */
  readonly initialInstanceCount?: number;

  /**
   * Let SageMaker add and remove instances as component copies need them.
   *
   * @default - a fixed number of instances (`initialInstanceCount`)
   */
  readonly managedInstanceScaling?: ManagedInstanceScaling;

  /**
   * How requests are routed to the instances of a component.
   *
   * @default RoutingStrategy.LEAST_OUTSTANDING_REQUESTS
   */
  readonly routingStrategy?: RoutingStrategy;

  /**
   * Name of the endpoint: letters, digits and hyphens, at most 63.
   *
   * @default - a name derived from the construct path
   */
  readonly endpointName?: string;

  /**
   * Name of the production variant that hosts the components.
   *
   * @default 'AllTraffic'
   */
  readonly variantName?: string;

  /**
   * The execution role every component's model runs as. A role you pass in must be one this
   * stack can add grants to, or already hold the model, image and log permissions.
   *
   * @default - a new role that may read only the components' model artifacts, pull their images and write the endpoint's logs
   */
  readonly role?: iam.IRole;

  /**
   * KMS key that encrypts the ML storage (EBS) volumes of the instances. Instance types with NVMe
   * instance storage (g4dn, g5, g6, g6e, p4d, p5 and the `d` families) encrypt it in hardware and
   * SageMaker rejects a key for them.
   *
   * @default - a new key for EBS-backed instance types; none for instance types with NVMe instance storage
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Run the components' containers in this VPC.
   *
   * @default - SageMaker's network
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the containers.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the containers in `vpc`.
   *
   * @default - a new security group with outbound access
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Isolate every component's container from the network: no outbound calls, not even to AWS services.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
}

/**
 * A shared endpoint made elsewhere (another stack, another app), to add inference components to:
 * what its components need to know of it.
 */
export interface SharedEndpointAttributes {
  /** The endpoint's name. */
  readonly endpointName: string;

  /**
   * The production variant that hosts the components.
   *
   * @default 'AllTraffic'
   */
  readonly variantName?: string;

  /** The endpoint's instance type: each component's compute resources are checked against it. */
  readonly instanceType: MlInstanceType;

  /**
   * The number of instances the endpoint runs, without managed instance scaling.
   *
   * @default - 1, or `managedInstanceScaling.minInstanceCount` when that is more
   */
  readonly initialInstanceCount?: number;

  /**
   * The endpoint's managed instance scaling, when it is on.
   *
   * @default - a fixed number of instances (`initialInstanceCount`)
   */
  readonly managedInstanceScaling?: ManagedInstanceScaling;

  /**
   * The execution role of the endpoint configuration, which every component's model runs as. The
   * components add their grants (their model artifacts, images and logs) to it in their own stack,
   * so it must be a role that stack can add a policy to (`iam.Role.fromRoleArn` is, by default), or
   * one that already holds them.
   */
  readonly role: iam.IRole;

  /**
   * Run the components' models in this VPC, as the endpoint's own components do.
   *
   * @default - SageMaker's network
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the models.
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the models in `vpc`.
   *
   * @default - a new security group with outbound access, in the importing stack
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Isolate the components' containers from the network.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
}

/**
 * A real-time endpoint for inference components: several models share its instances, each
 * with its own accelerators, memory, copy count and autoscaling (`addComponent`).
 *
 * The endpoint configuration's variant names no model; the configuration carries the execution
 * role the components run as. Problems SageMaker would only report at deploy time (a copy that
 * needs more GPUs or memory than an instance has, initial copies that cannot all be placed,
 * scale to zero without its prerequisites) fail the synth.
 *
 * Data capture is not offered here: AWS's documentation does not say whether it captures the
 * requests of inference components; serve a model whose requests feed a drift monitor from a
 * `ModelEndpoint`.
 */
export class SharedEndpoint extends Resource implements ISharedEndpoint, ec2.IConnectable {
  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;
  public readonly instanceType: MlInstanceType;
  public readonly initialInstanceCount: number;
  public readonly managedInstanceScaling?: ManagedInstanceScaling;
  public readonly role: iam.IRole;
  /** The key that encrypts the instances' ML storage volumes, when there is one. */
  public readonly encryptionKey?: kms.IKey;
  /** Name of the current endpoint configuration (it changes when the instance settings change). */
  public readonly endpointConfigName: string;
  /** The network connections of the components' containers (empty outside a VPC). */
  public readonly connections: ec2.Connections;

  /**
   * A shared endpoint made elsewhere, to add inference components to from this stack
   * (`new InferenceComponent(this, id, { endpoint, ... })`). At synth, the components added in this
   * app are checked against the instances the attributes give; components that other apps placed
   * on the endpoint are not known here.
   */
  public static fromSharedEndpointAttributes(scope: Construct, id: string, attrs: SharedEndpointAttributes): ISharedEndpoint {
    return new ImportedSharedEndpoint(scope, id, attrs);
  }

  constructor(scope: Construct, id: string, props: SharedEndpointProps) {
    super(scope, id);
    const name = props.endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    this.endpointName = name;
    this.variantName = props.variantName ?? 'AllTraffic';
    this.instanceType = props.instanceType;
    this.managedInstanceScaling = props.managedInstanceScaling;
    this.initialInstanceCount = initialInstances(props);
    validateSharedEndpointProps(this, props, name, this.variantName, this.initialInstanceCount);
    requireUniqueEndpointName(this, () => this.endpointName);
    // After every component was added: their copies together must fit the instances.
    this.node.addValidation({ validate: () => validateSharedEndpoint(this, { owned: true }) });

    this.role = props.role ?? createExecutionRole(this, name);
    const network = renderNetwork(this, this.role, props);
    this.connections = new ec2.Connections({ securityGroups: network.securityGroups });
    // Every component's model runs in the endpoint's network.
    recordModelSettings(this, { vpcConfig: network.vpcConfig, networkPolicy: network.policy, enableNetworkIsolation: props.enableNetworkIsolation });
    this.encryptionKey = props.encryptionKey ?? this.defaultKey(props.instanceType);
    const scaling = props.managedInstanceScaling;
    const config = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      // The components run as this role; the variant itself names no model.
      executionRoleArn: this.role.roleArn,
      kmsKeyId: this.encryptionKey?.keyArn,
      productionVariants: [{
        variantName: this.variantName,
        instanceType: props.instanceType.name,
        initialInstanceCount: this.initialInstanceCount,
        managedInstanceScaling: scaling && {
          status: 'ENABLED',
          minInstanceCount: scaling.minInstanceCount ?? 1,
          maxInstanceCount: scaling.maxInstanceCount,
        },
        routingConfig: { routingStrategy: props.routingStrategy ?? RoutingStrategy.LEAST_OUTSTANDING_REQUESTS },
      }],
    });
    if (!this.encryptionKey) {
      acknowledgeFindings(config, [{
        rules: ['NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured', 'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured'],
        reason: 'The instances have no EBS volume to encrypt: NVMe instance storage is encrypted by the instance hardware (SageMaker rejects a KmsKeyId for it).',
      }]);
    }
    // SageMaker may roll an endpoint back to the replaced configuration: keep it (it costs nothing).
    keepWhenReplaced(config);
    // SageMaker checks the execution role when it creates the configuration.
    config.node.addDependency(this.role);
    this.endpointConfigName = config.attrEndpointConfigName;

    new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: name,
      endpointConfigName: config.attrEndpointConfigName,
    });
    this.endpointArn = sageMakerArn(this, 'endpoint', name);
  }

  /** Adds a model to the endpoint as an inference component. */
  public addComponent(id: string, options: InferenceComponentOptions): InferenceComponent {
    return new InferenceComponent(this, id, { ...options, endpoint: this });
  }

  /**
   * A metric of the endpoint's instances in `/aws/sagemaker/Endpoints` (dimensions EndpointName
   * and VariantName), e.g. `CPUUtilizationNormalized` (0-100).
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      statistic: 'Average',
      ...props,
      namespace: '/aws/sagemaker/Endpoints',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName, ...props?.dimensionsMap },
    });
  }

  /** Secure by default where SageMaker allows a key: only for EBS-backed instance types. */
  private defaultKey(type: MlInstanceType): kms.IKey | undefined {
    if (type.isUnresolved || hasInstanceStorage(type)) return undefined;
    return new kms.Key(this, 'Key', {
      description: `Encrypts the ML storage volumes of SageMaker endpoint ${this.endpointName}`,
      enableKeyRotation: true,
      // The volumes live and die with the endpoint; nothing needs the key after it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}

/** The instances an endpoint starts with: `initialInstanceCount`, else 1 or the managed scaling's minimum when that is more. */
function initialInstances(props: { initialInstanceCount?: number; managedInstanceScaling?: ManagedInstanceScaling }): number {
  const min = props.managedInstanceScaling?.minInstanceCount ?? 1;
  return props.initialInstanceCount ?? (Token.isUnresolved(min) ? 1 : Math.max(1, min));
}

/** A shared endpoint this app did not make (`SharedEndpoint.fromSharedEndpointAttributes`). */
class ImportedSharedEndpoint extends Resource implements ISharedEndpoint {
  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;
  public readonly instanceType: MlInstanceType;
  public readonly initialInstanceCount: number;
  public readonly managedInstanceScaling?: ManagedInstanceScaling;
  public readonly role: iam.IRole;

  constructor(scope: Construct, id: string, attrs: SharedEndpointAttributes) {
    super(scope, id);
    this.endpointName = attrs.endpointName;
    this.variantName = attrs.variantName ?? 'AllTraffic';
    this.instanceType = attrs.instanceType;
    this.managedInstanceScaling = attrs.managedInstanceScaling;
    this.initialInstanceCount = initialInstances(attrs);
    this.role = attrs.role;
    validateSharedEndpointProps(this, attrs, this.endpointName, this.variantName, this.initialInstanceCount);
    // A role imported by its ARN gets the components' grants as a policy of this stack (a role made
    // here is the user's to acknowledge).
    if (!(attrs.role instanceof iam.Role)) acknowledgeInlinePolicy(attrs.role);
    this.endpointArn = sageMakerArn(this, 'endpoint', this.endpointName);
    const network = renderNetwork(this, this.role, attrs);
    recordModelSettings(this, { vpcConfig: network.vpcConfig, networkPolicy: network.policy, enableNetworkIsolation: attrs.enableNetworkIsolation });
    // This app's components on it must fit the instances (others' are not known here).
    this.node.addValidation({ validate: () => validateSharedEndpoint(this, { owned: false }) });
  }
}
