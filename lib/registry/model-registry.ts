import { ArnFormat, Aws, Fn, IResource, Names, RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { PropsValidator } from '../core/private/errors';
import { isSageMakerName, lowercaseName } from '../core/private/sagemaker-api';

/**
 * The approval status of a model package.
 */
export enum ModelApprovalStatus {
  /** Approved: deployment may follow. */
  APPROVED = 'Approved',
  /** Waiting for a person to approve or reject it in the registry. */
  PENDING_MANUAL_APPROVAL = 'PendingManualApproval',
  /** Rejected: never deployed. */
  REJECTED = 'Rejected',
}

/**
 * Options for a rule that matches approval changes of the registry's model packages.
 */
export interface ApprovalChangeRuleOptions extends events.OnEventOptions {
  /**
   * Only changes to these statuses match.
   *
   * @default [ModelApprovalStatus.APPROVED]
   */
  readonly statuses?: ModelApprovalStatus[];
}

/**
 * A SageMaker model registry: a model package group holding the versions of one model.
 */
export interface IModelRegistry extends IResource {
  /** The model package group's name; a deploy-time value when CloudFormation's stack id is part of it. */
  readonly modelPackageGroupName: string;
  /** The model package group's ARN. */
  readonly modelPackageGroupArn: string;
  /** ARN pattern of every model package (version) in the group. */
  readonly modelPackageArnPattern: string;

  /** Grants registering new model package versions. */
  grantRegister(grantee: iam.IGrantable): iam.Grant;
  /** Grants reading the group and its model packages. */
  grantRead(grantee: iam.IGrantable): iam.Grant;
  /** Grants changing the approval status of model packages. */
  grantApprove(grantee: iam.IGrantable): iam.Grant;
  /** An EventBridge rule on approval changes of the group's model packages. */
  onApprovalChange(id: string, options?: ApprovalChangeRuleOptions): events.Rule;

  /**
   * The EventBridge pattern of approval changes of the group's model packages, for rules made elsewhere.
   *
   * @param statuses only changes to these statuses (default: Approved)
   */
  approvalEventPattern(statuses?: ModelApprovalStatus[]): events.EventPattern;
}

abstract class ModelRegistryBase extends Resource implements IModelRegistry {
  public abstract readonly modelPackageGroupName: string;
  public abstract readonly modelPackageGroupArn: string;

  public get modelPackageArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'model-package',
      resourceName: `${lowercaseName(this.modelPackageGroupName)}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  public grantRegister(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:CreateModelPackage', 'sagemaker:AddTags'],
      resourceArns: [this.modelPackageGroupArn, this.modelPackageArnPattern],
    });
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      // ListModelPackages has no resource-level permissions, so it is not granted here.
      actions: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage'],
      resourceArns: [this.modelPackageGroupArn, this.modelPackageArnPattern],
    });
  }

  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:UpdateModelPackage', 'sagemaker:DescribeModelPackage'],
      resourceArns: [this.modelPackageArnPattern],
    });
  }

  public onApprovalChange(id: string, options: ApprovalChangeRuleOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      ruleName: options.ruleName,
      description: options.description ?? `Approval changes in model package group ${this.node.path}`,
      eventPattern: this.approvalEventPattern(options.statuses),
    });
    if (options.eventPattern) rule.addEventPattern(options.eventPattern);
    if (options.target) rule.addTarget(options.target);
    return rule;
  }

  public approvalEventPattern(statuses: ModelApprovalStatus[] = [ModelApprovalStatus.APPROVED]): events.EventPattern {
    return {
      source: ['aws.sagemaker'],
      detailType: ['SageMaker Model Package State Change'],
      detail: { ModelPackageGroupName: [this.modelPackageGroupName], ModelApprovalStatus: statuses },
    };
  }
}

/**
 * Properties of a `ModelRegistry`.
 */
export interface ModelRegistryProps {
  /**
   * Name of the model package group: letters, digits and hyphens, at most 63 characters.
   *
   * A named group that outlives its stack (the default removal policy) blocks a new stack
   * with the same name: CloudFormation cannot adopt it with `--import-existing-resources`,
   * because the group's identifier is its ARN. Redeploying over it needs a new name, or the
   * old group deleted (after its model packages).
   *
   * @default - `<construct path>-<stack id>`: lowercase, unique to this copy of the stack, so a
   * stack deployed again after `cdk destroy` gets a new group and the retained one stays as it is
   */
  readonly modelPackageGroupName?: string;

  /**
   * Description of the model package group.
   *
   * @default - none
   */
  readonly description?: string;

  /**
   * What happens to the group when it leaves the stack. Groups that still hold model
   * packages cannot be deleted, so versions are never lost by accident.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE - retained on delete and replacement,
   * removed when the create that made it rolls back (so a retry does not find it in the way)
   */
  readonly removalPolicy?: RemovalPolicy;
}


/**
 * A SageMaker model registry (model package group): every registered model version, its
 * metrics and its approval status. Retained by default (except by a rolled-back create).
 */
export class ModelRegistry extends ModelRegistryBase {
  /** Imports a model package group by name. */
  public static fromModelPackageGroupName(scope: Construct, id: string, modelPackageGroupName: string): IModelRegistry {
    checkGroupName(scope, modelPackageGroupName);
    class Import extends ModelRegistryBase {
      public readonly modelPackageGroupName = modelPackageGroupName;
      public readonly modelPackageGroupArn = Stack.of(scope).formatArn({
        service: 'sagemaker',
        resource: 'model-package-group',
        resourceName: modelPackageGroupName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    }
    return new Import(scope, id);
  }

  public readonly modelPackageGroupName: string;
  public readonly modelPackageGroupArn: string;

  constructor(scope: Construct, id: string, props: ModelRegistryProps = {}) {
    super(scope, id);
    const name = props.modelPackageGroupName ?? generatedGroupName(this);
    checkGroupName(this, name);

    const group = new sagemaker.CfnModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: name,
      modelPackageGroupDescription: props.description,
    });
    group.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    this.modelPackageGroupName = name;
    this.modelPackageGroupArn = group.attrModelPackageGroupArn;
  }
}

/** Hex digits of the stack id's UUID in a generated name: a new stack gets a new name. */
const STACK_ID_DIGITS = 8;

/**
 * CloudFormation requires a name for a model package group and cannot generate one, so this
 * does what it does for other types: the construct path (lowercase, as SageMaker writes names
 * in ARNs) and the first segment of the stack id's UUID, fixed for the life of the stack.
 */
function generatedGroupName(scope: Construct): string {
  const path = Names.uniqueResourceName(scope, { maxLength: 63 - 1 - STACK_ID_DIGITS, separator: '-' }).toLowerCase();
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.join('-', [path, Fn.select(0, Fn.split('-', stackUuid))]);
}

function checkGroupName(scope: Construct, name: string): void {
  new PropsValidator(scope, 'ModelRegistryInvalidProps')
    .checkResolved([name], () => !isSageMakerName(name),
      `'modelPackageGroupName' ('${name}') must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit (a name, not an ARN); use e.g. 'churn-model'`)
    .throwIfInvalid();
}
