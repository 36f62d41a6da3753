import { Aspects, CfnCondition, CfnParameter, CfnResource, Fn, IAspect, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ModelPackageSourceOptions, ModelSource } from './model-source';
import { IModelRegistry } from '../registry/model-registry';


/**
 * Properties of a `ModelVersionParameter`.
 */
export interface ModelVersionParameterProps {
  /** The registry whose versions are promoted. */
  readonly registry: IModelRegistry;
}

/**
 * The model version a stack serves, as a CloudFormation parameter of that stack.
 *
 * The template owns the endpoint, its configuration, autoscaling and alarms; the only thing a
 * pipeline changes is this parameter, with `UpdateStack` on the previous template, so
 * CloudFormation rolls the new version out (blue/green, with automatic rollback) and a failed
 * rollout restores the previous value. `cdk deploy` keeps the promoted value, because the CDK
 * CLI reuses previous parameter values (do not pass `--no-previous-parameters`). Until a first
 * version is promoted the value is `none`, and resources given to `serveOnlyWhenPromoted` are
 * left out, so no endpoint runs without a model, and deleting the stack leaves nothing running.
 */
export class ModelVersionParameter extends Construct {
  /** The parameter's value while no model version has been promoted. */
  public static readonly NONE = 'none';

  /** The stack parameter that holds the promoted model package ARN, or `none`. */
  public readonly parameter: CfnParameter;
  /** True once a version is promoted. */
  public readonly hasModel: CfnCondition;
  /** The registry whose versions are promoted. */
  public readonly registry: IModelRegistry;

  constructor(scope: Construct, id: string, props: ModelVersionParameterProps) {
    super(scope, id);
    this.registry = props.registry;
    this.parameter = new CfnParameter(this, 'Resource', {
      type: 'String',
      default: ModelVersionParameter.NONE,
      description: `Model package ARN served from registry ${props.registry.modelPackageGroupName}; set by its promotion, not by hand`,
      allowedPattern: `^(${ModelVersionParameter.NONE}|arn:[a-z-]+:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-z0-9-]+/[0-9]+)$`,
    });
    this.hasModel = new CfnCondition(this, 'HasModel', {
      expression: Fn.conditionNot(Fn.conditionEquals(this.parameter.valueAsString, ModelVersionParameter.NONE)),
    });
  }

  /** The model package ARN currently promoted (a deploy-time value). */
  public get modelPackageArn(): string {
    return this.parameter.valueAsString;
  }

  /** The stack whose parameter this is: the stack a promotion updates. */
  public get servingStack(): Stack {
    return Stack.of(this);
  }

  /** The name of the stack parameter, as UpdateStack takes it. */
  public get parameterKey(): string {
    return this.parameter.logicalId;
  }

  /** A model source for a `ModelEndpoint` that serves the promoted version. */
  public modelSource(options: ModelPackageSourceOptions = {}): ModelSource {
    return ModelSource.fromModelPackageArn(this.modelPackageArn, options);
  }

  /**
   * Leaves every CloudFormation resource under `scope` (e.g. a `ModelEndpoint`) out of the
   * stack until a first version is promoted.
   */
  public serveOnlyWhenPromoted(scope: IConstruct): void {
    Aspects.of(scope).add(new ConditionAspect(this.hasModel));
  }
}

class ConditionAspect implements IAspect {
  constructor(private readonly condition: CfnCondition) {}

  public visit(node: IConstruct): void {
    if (node instanceof CfnResource && !node.cfnOptions.condition) node.cfnOptions.condition = this.condition;
  }
}
