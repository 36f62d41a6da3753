import { Aspects, CfnCondition, CfnParameter, CfnResource, Fn, IAspect, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ModelPackageSourceOptions, ModelSource } from './model-source';
import { recordVersionSource, servedEndpoints } from './private/served-endpoints';
import { PropsValidator } from '../core/private/errors';
import { IModelRegistry } from '../registry/model-registry';

/**
 * Properties of a `ModelVersionParameter`.
 */
export interface ModelVersionParameterProps {
  /** The registry whose versions are promoted. */
  readonly registry: IModelRegistry;

  /**
   * The name (logical id) of the stack parameter. It is the parameter's identity: the CDK CLI
   * keeps a promoted value only for a parameter of the same name, and a parameter with a new
   * name starts at `none`, which removes the endpoint. So it does not depend on where the
   * construct sits in the tree. Set it to keep the name an existing deployment uses (see
   * `aws cloudformation describe-stacks --query 'Stacks[0].Parameters'`), or when two
   * parameters in one stack serve the same registry.
   *
   * @default - `ModelVersion` followed by the registry's model package group name in PascalCase
   * (`ModelVersionChurnModels` for `churn-models`); required when that name is a deploy-time value
   */
  readonly parameterName?: string;
}

/** CloudFormation logical ids: alphanumeric, at most 255 characters. */
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;

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
 *
 * The parameter's name is its identity, so it comes from the registry (or `parameterName`),
 * never from the construct path: a parameter of a new name would start at `none` and remove
 * the endpoint.
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
    const name = parameterNameFor(this, props);
    this.parameter = new CfnParameter(this, 'Resource', {
      type: 'String',
      default: ModelVersionParameter.NONE,
      // A parameter's description must be a literal: name a generated group by its construct.
      description: `Model package ARN served from registry ${Token.isUnresolved(props.registry.modelPackageGroupName) ? props.registry.node.path : props.registry.modelPackageGroupName}; set by its promotion, not by hand`,
      allowedPattern: `^(${ModelVersionParameter.NONE}|arn:[a-z-]+:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-z0-9-]+/[0-9]+)$`,
    });
    // Not derived from the construct path: moving or renaming the construct keeps the served version.
    this.parameter.overrideLogicalId(name);
    this.hasModel = new CfnCondition(this, 'HasModel', {
      expression: Fn.conditionNot(Fn.conditionEquals(this.parameter.valueAsString, ModelVersionParameter.NONE)),
    });
    // After aspects ran (serveOnlyWhenPromoted is one): an endpoint created while the value is
    // 'none' would fail its first deploy, because 'none' is no model package.
    this.node.addValidation({
      validate: () => servedEndpoints(this)
        .filter(({ endpointConfig }) => !endpointConfig.cfnOptions.condition || !impliesModel.has(endpointConfig.cfnOptions.condition))
        .map(({ endpointConfig }) => `the endpoint at ${endpointConfig.node.scope?.node.path} serves ModelVersionParameter '${Stack.of(this).resolve(this.parameterKey)}' but is not left out while it is '${ModelVersionParameter.NONE}'; `
          + `call serveOnlyWhenPromoted(endpoint) on the parameter, so the endpoint is created with the first promoted version`),
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
    const source = ModelSource.fromModelPackageArn(this.modelPackageArn, options);
    // A ModelEndpoint that serves this source registers itself, so promotions check what it serves.
    recordVersionSource(source, this, options.modelDataLocation);
    return source;
  }

  /**
   * Leaves every CloudFormation resource under `scope` (e.g. a `ModelEndpoint`) out of the
   * stack until a first version is promoted.
   */
  public serveOnlyWhenPromoted(scope: IConstruct): void {
    Aspects.of(scope).add(new ConditionAspect(this.hasModel));
  }
}

/** The parameter's logical id: given, or from the registry's name; never from the construct path. */
function parameterNameFor(scope: ModelVersionParameter, props: ModelVersionParameterProps): string {
  const group = props.registry.modelPackageGroupName;
  const v = new PropsValidator(scope, 'ModelVersionParameterInvalidProps');
  const name = props.parameterName ?? (Token.isUnresolved(group) ? undefined : `ModelVersion${pascalCase(group)}`);
  v.check(name === undefined,
    `'parameterName' is needed: the registry's model package group name is a deploy-time value, and the parameter's name must be fixed at synth `
    + `(a new name starts at '${ModelVersionParameter.NONE}' and removes the endpoint); pass e.g. parameterName: 'ModelVersion'`);
  v.check(name !== undefined && !LOGICAL_ID.test(name),
    `'parameterName' ('${name}') must be 1 to 255 letters and digits (a CloudFormation logical id)`);
  const stack = Stack.of(scope);
  const taken = name !== undefined && stack.node.findAll().some((c) => c instanceof ModelVersionParameter && c !== scope
    && Stack.of(c) === stack && stack.resolve(c.parameterKey) === name);
  v.check(taken, `'parameterName' ('${name}') is already the name of another ModelVersionParameter in stack ${stack.stackName}; `
    + 'give each one its own parameterName');
  v.throwIfInvalid();
  return name!;
}

function pascalCase(name: string): string {
  return name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** Conditions that hold only when a version is promoted: `hasModel`, or `hasModel` AND a user's own condition. */
const impliesModel = new WeakSet<CfnCondition>();

class ConditionAspect implements IAspect {
  constructor(private readonly condition: CfnCondition) {
    impliesModel.add(condition);
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const own = node.cfnOptions.condition;
    if (!own) {
      node.cfnOptions.condition = this.condition;
    } else if (!impliesModel.has(own)) {
      // A resource with a condition of its own is created when both hold.
      const both = new CfnCondition(node, 'WhenPromoted', { expression: Fn.conditionAnd(own, this.condition) });
      impliesModel.add(both);
      node.cfnOptions.condition = both;
    }
  }
}
