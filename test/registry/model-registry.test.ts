import { App, CfnParameter, Errors, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { templateOf, testApp, testStack } from '../helpers/app';
import { expectNagClean } from '../helpers/nag';
import { IModelRegistry, ModelApprovalStatus, ModelRegistry, ModelRegistryProps } from '../../lib';

/** SageMaker's pattern for a model package group name. */
const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

function registryStack(props?: ModelRegistryProps): { stack: Stack; registry: ModelRegistry } {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', props);
  return { stack, registry };
}

function groupsOf(stack: Stack): any[] {
  return Object.values(templateOf(stack).findResources('AWS::SageMaker::ModelPackageGroup'));
}

function roleIn(stack: Stack, id = 'Role'): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
}

/** The statements of the policies attached to `role`, with `Action` and `Resource` always lists. */
function statementsFor(stack: Stack, role: iam.Role): Array<{ Effect: string; Action: string[]; Resource: any[] }> {
  const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  const policies = Object.values(templateOf(stack).findResources('AWS::IAM::Policy')) as any[];
  return policies
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .map((s: any) => ({
      Effect: s.Effect,
      Action: [s.Action].flat().sort(),
      Resource: [s.Resource].flat(),
    }));
}

/** `Fn::GetAtt` of the group's ARN. */
function groupArnOf(stack: Stack, registry: ModelRegistry): unknown {
  const logicalId = stack.getLogicalId(registry.node.defaultChild as any);
  return { 'Fn::GetAtt': [logicalId, 'ModelPackageGroupArn'] };
}

/** Two stack ids of two copies of one stack, as CloudFormation writes them. */
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/TestStack/1c2fa620-982a-11e3-aff7-50e2416294e0';
const NEXT_STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/TestStack/5e6b3d70-1f2a-11f1-8c4d-0a1b2c3d4e5f';

/** What CloudFormation makes of a resolved value in a stack with this id (Ref, Fn::Join, Fn::Select, Fn::Split). */
function evaluate(value: any, stackId = STACK_ID): any {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => evaluate(v, stackId));
  if (value.Ref === 'AWS::StackId') return stackId;
  if (value['Fn::Join']) return evaluate(value['Fn::Join'][1], stackId).join(value['Fn::Join'][0]);
  if (value['Fn::Select']) return evaluate(value['Fn::Select'][1], stackId)[value['Fn::Select'][0]];
  if (value['Fn::Split']) return evaluate(value['Fn::Split'][1], stackId).split(value['Fn::Split'][0]);
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

/** The group name CloudFormation creates for this registry in a stack with this id. */
function deployedName(stack: Stack, registry: IModelRegistry, stackId = STACK_ID): string {
  return evaluate(stack.resolve(registry.modelPackageGroupName), stackId);
}

function rulesOf(stack: Stack): any[] {
  return Object.values(templateOf(stack).findResources('AWS::Events::Rule'));
}

describe('ModelApprovalStatus', () => {
  test('holds the values the SageMaker API and its events use', () => {
    expect([ModelApprovalStatus.APPROVED, ModelApprovalStatus.PENDING_MANUAL_APPROVAL, ModelApprovalStatus.REJECTED])
      .toEqual(['Approved', 'PendingManualApproval', 'Rejected']);
  });
});

describe('ModelRegistry defaults', () => {
  const { stack, registry } = registryStack();

  test('creates one model package group, with no description', () => {
    const groups = groupsOf(stack);
    expect(groups).toHaveLength(1);
    expect(groups[0].Properties.ModelPackageGroupDescription).toBeUndefined();
  });

  test('names the group after the construct path and the stack id, within SageMaker\'s pattern', () => {
    const name = evaluate(groupsOf(stack)[0].Properties.ModelPackageGroupName);
    // Lowercase, as SageMaker writes it into ARNs; the last part is the stack UUID's first segment.
    expect(name).toMatch(/^teststack-registry-[0-9a-f]{8}-1c2fa620$/);
    expect(name).toMatch(GROUP_NAME);
    expect(deployedName(stack, registry)).toBe(name);
  });

  test('a copy of the stack deployed again (after cdk destroy) gets a new group, not the retained one', () => {
    expect(deployedName(stack, registry, NEXT_STACK_ID)).toMatch(/^teststack-registry-[0-9a-f]{8}-5e6b3d70$/);
    expect(deployedName(stack, registry, NEXT_STACK_ID)).not.toBe(deployedName(stack, registry));
  });

  test('retains the group on delete and on replacement, but not when the create that made it rolls back', () => {
    const [group] = groupsOf(stack);
    expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(group.UpdateReplacePolicy).toBe('Retain');
  });

  test('exposes the group ARN as the resource\'s ModelPackageGroupArn attribute', () => {
    expect(stack.resolve(registry.modelPackageGroupArn)).toEqual(groupArnOf(stack, registry));
  });

  test('the model package ARN pattern is model-package/<group>/* in the stack\'s partition, region and account', () => {
    expect(evaluate(stack.resolve(registry.modelPackageArnPattern)))
      .toBe(`arn:aws:sagemaker:us-east-1:123456789012:model-package/${deployedName(stack, registry)}/*`);
  });

  test('two registries in one stack get different names', () => {
    const again = testStack();
    const a = new ModelRegistry(again, 'A');
    const b = new ModelRegistry(again, 'B');
    expect(deployedName(again, a)).not.toBe(deployedName(again, b));
  });

  test('a deep, long construct path still yields a valid name of at most 63 characters', () => {
    const again = testStack('AVeryLongStackNameForAnMlopsTeamThatLikesDescriptiveNames');
    const deep = new ModelRegistry(again, 'ChurnPredictionModelRegistryForTheRetentionCampaignOfTheYear');
    const name = deployedName(again, deep);
    expect(name).toHaveLength(63);
    expect(name).toMatch(GROUP_NAME);
  });
});

describe('ModelRegistry props', () => {
  test('uses the given name and description', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model', description: 'Churn classifier versions' });
    templateOf(stack).hasResourceProperties('AWS::SageMaker::ModelPackageGroup', {
      ModelPackageGroupName: 'churn-model',
      ModelPackageGroupDescription: 'Churn classifier versions',
    });
    expect(registry.modelPackageGroupName).toBe('churn-model');
    expect(stack.resolve(registry.modelPackageArnPattern))
      .toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/*');
  });

  test('applies the removal policy given', () => {
    const { stack } = registryStack({ removalPolicy: RemovalPolicy.DESTROY });
    templateOf(stack).hasResource('AWS::SageMaker::ModelPackageGroup', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  test('RETAIN keeps the group even when its first create rolls back', () => {
    const { stack } = registryStack({ removalPolicy: RemovalPolicy.RETAIN });
    templateOf(stack).hasResource('AWS::SageMaker::ModelPackageGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('a given name is used as it is, with no stack id', () => {
    const { stack } = registryStack({ modelPackageGroupName: 'churn-model' });
    expect(groupsOf(stack)[0].Properties.ModelPackageGroupName).toBe('churn-model');
  });

  test.each([
    ['one character', 'a'],
    ['63 characters', `m${'0'.repeat(61)}z`],
    ['consecutive hyphens', 'churn--model'],
    ['upper case and digits', 'Churn2Model'],
  ])('accepts a name with %s', (_why, name) => {
    const { stack } = registryStack({ modelPackageGroupName: name });
    templateOf(stack).hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: name });
  });

  test('accepts a token name and leaves it to deploy time', () => {
    const stack = testStack();
    const name = new CfnParameter(stack, 'GroupName').valueAsString;
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: name });
    templateOf(stack).hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: { Ref: 'GroupName' } });
    expect(stack.resolve(registry.modelPackageArnPattern)).toEqual({
      'Fn::Join': ['', ['arn:aws:sagemaker:us-east-1:123456789012:model-package/', { Ref: 'GroupName' }, '/*']],
    });
  });
});

describe('ModelRegistry bad names', () => {
  test.each([
    ['an empty name', ''],
    ['a leading hyphen', '-churn'],
    ['a trailing hyphen', 'churn-'],
    ['an underscore', 'churn_model'],
    ['a dot', 'churn.model'],
    ['a space', 'churn model'],
    ['a slash', 'team/churn'],
    ['64 characters', 'a'.repeat(64)],
  ])('fails on %s, naming \'modelPackageGroupName\' and the value', (_why, name) => {
    expect(() => registryStack({ modelPackageGroupName: name })).toThrow(
      `'modelPackageGroupName' ('${name}') must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit`,
    );
  });

  test('fails with a suggestion of a valid name', () => {
    expect(() => registryStack({ modelPackageGroupName: 'churn_model' })).toThrow(/use e\.g\. 'churn-model'/);
  });

  test('fails with a CDK ValidationError attached to the registry', () => {
    let caught: any;
    try {
      registryStack({ modelPackageGroupName: 'churn_model' });
    } catch (error) {
      caught = error;
    }
    expect(Errors.isValidationError(caught)).toBe(true);
    expect(caught.name).toBe('ModelRegistryInvalidProps');
  });

  test('fails on an ARN given to fromModelPackageGroupName, which takes a name', () => {
    const stack = testStack();
    expect(() => ModelRegistry.fromModelPackageGroupName(stack, 'Imported',
      'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-model')).toThrow(/'modelPackageGroupName'/);
  });
});

describe('ModelRegistry grants', () => {
  test('grantRegister: CreateModelPackage and AddTags on the group and its model packages', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    const role = roleIn(stack);
    const grant = registry.grantRegister(role);
    expect(grant.success).toBe(true);
    const statements = statementsFor(stack, role);
    expect(statements).toHaveLength(1);
    expect(statements[0].Effect).toBe('Allow');
    expect(statements[0].Action).toEqual(['sagemaker:AddTags', 'sagemaker:CreateModelPackage']);
    expect(statements[0].Resource).toHaveLength(2);
    expect(statements[0].Resource).toEqual(expect.arrayContaining([
      groupArnOf(stack, registry),
      'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/*',
    ]));
  });

  test('grantRead: describes the group and its packages and lists the packages, on the group and its packages', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    const role = roleIn(stack);
    registry.grantRead(role);
    const statements = statementsFor(stack, role);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual([
      'sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup',
    ]);
    expect(statements[0].Resource).toHaveLength(2);
    expect(statements[0].Resource).toEqual(expect.arrayContaining([
      groupArnOf(stack, registry),
      'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/*',
    ]));
  });

  test('grantApprove: updates and describes model packages only, not the group', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    const role = roleIn(stack);
    registry.grantApprove(role);
    expect(statementsFor(stack, role)).toEqual([{
      Effect: 'Allow',
      Action: ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'],
      Resource: ['arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/*'],
    }]);
  });

  test('no grant gives a wildcard resource or a sagemaker:* action', () => {
    const { stack, registry } = registryStack();
    const role = roleIn(stack);
    registry.grantRegister(role);
    registry.grantRead(role);
    registry.grantApprove(role);
    const statements = statementsFor(stack, role);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Resource).not.toContain('*');
      expect(s.Action.filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  test('grants of one registry do not reach another registry\'s packages', () => {
    const stack = testStack();
    const churn = new ModelRegistry(stack, 'Churn', { modelPackageGroupName: 'churn' });
    new ModelRegistry(stack, 'Fraud', { modelPackageGroupName: 'fraud' });
    const role = roleIn(stack);
    churn.grantApprove(role);
    const resources = JSON.stringify(statementsFor(stack, role));
    expect(resources).toContain('model-package/churn/*');
    expect(resources).not.toContain('fraud');
  });

  test('in a region-agnostic stack, the ARN pattern takes partition, region and account from pseudo parameters', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn-model' });
    expect(stack.resolve(registry.modelPackageArnPattern)).toEqual({
      'Fn::Join': ['', [
        'arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
        ':model-package/churn-model/*',
      ]],
    });
  });

  test('in a GovCloud stack, the ARN pattern uses the aws-us-gov partition', () => {
    const stack = new Stack(testApp(), 'Gov', { env: { account: '123456789012', region: 'us-gov-west-1' } });
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn-model' });
    expect(stack.resolve(registry.modelPackageArnPattern))
      .toBe('arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:model-package/churn-model/*');
  });
});

describe('ModelRegistry.onApprovalChange', () => {
  test('by default matches SageMaker model package state changes to Approved in this group, with no target', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    const rule = registry.onApprovalChange('OnApproved');
    const rules = rulesOf(stack);
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.EventPattern).toEqual({
      'source': ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Package State Change'],
      'detail': { ModelPackageGroupName: ['churn-model'], ModelApprovalStatus: ['Approved'] },
    });
    expect(rules[0].Properties.Targets).toBeUndefined();
    expect(rules[0].Properties.Description).toMatch(/Approval changes in model package group/);
    expect(rule.node.scope).toBe(registry);
  });

  test('matches the statuses given', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    registry.onApprovalChange('OnDecision', { statuses: [ModelApprovalStatus.APPROVED, ModelApprovalStatus.REJECTED] });
    expect(rulesOf(stack)[0].Properties.EventPattern.detail.ModelApprovalStatus).toEqual(['Approved', 'Rejected']);
  });

  test('uses the default group name when none was given', () => {
    const { stack, registry } = registryStack();
    registry.onApprovalChange('OnApproved');
    expect(evaluate(rulesOf(stack)[0].Properties.EventPattern.detail.ModelPackageGroupName)).toEqual([deployedName(stack, registry)]);
  });

  test('sends matching events to the target given', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    const queue = new sqs.Queue(stack, 'Approvals', { enforceSSL: true });
    const rule = registry.onApprovalChange('OnApproved', { target: new targets.SqsQueue(queue) });
    const ruleId = stack.getLogicalId(rule.node.defaultChild as events.CfnRule);
    const queueId = stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue);
    templateOf(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })],
    });
    templateOf(stack).hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: Match.arrayWith(['sqs:SendMessage']),
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
        })]),
      },
    });
  });

  test('passes the rule name and description through', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    registry.onApprovalChange('OnApproved', { ruleName: 'churn-approved', description: 'Deploys approved churn models' });
    templateOf(stack).hasResourceProperties('AWS::Events::Rule', {
      Name: 'churn-approved',
      Description: 'Deploys approved churn models',
    });
  });

  test('adds the extra event pattern given to its own', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    registry.onApprovalChange('OnApproved', { eventPattern: { account: ['123456789012'] } });
    const pattern = rulesOf(stack)[0].Properties.EventPattern;
    expect(pattern.account).toEqual(['123456789012']);
    expect(pattern.detail).toEqual({ ModelPackageGroupName: ['churn-model'], ModelApprovalStatus: ['Approved'] });
  });

  test('two rules on one registry are separate resources', () => {
    const { stack, registry } = registryStack({ modelPackageGroupName: 'churn-model' });
    registry.onApprovalChange('OnApproved');
    registry.onApprovalChange('OnRejected', { statuses: [ModelApprovalStatus.REJECTED] });
    const statuses = rulesOf(stack).map((r) => r.Properties.EventPattern.detail.ModelApprovalStatus);
    expect(statuses).toEqual(expect.arrayContaining([['Approved'], ['Rejected']]));
    expect(statuses).toHaveLength(2);
  });
});

describe('ModelRegistry.fromModelPackageGroupName', () => {
  function imported(): { stack: Stack; registry: IModelRegistry } {
    const stack = testStack();
    return { stack, registry: ModelRegistry.fromModelPackageGroupName(stack, 'Imported', 'shared-churn') };
  }

  test('creates no resource', () => {
    const { stack } = imported();
    expect(Object.keys(templateOf(stack).toJSON().Resources ?? {})).toEqual([]);
  });

  test('builds the group ARN and the model package pattern from the name', () => {
    const { stack, registry } = imported();
    expect(registry.modelPackageGroupName).toBe('shared-churn');
    expect(stack.resolve(registry.modelPackageGroupArn))
      .toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package-group/shared-churn');
    expect(stack.resolve(registry.modelPackageArnPattern))
      .toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/shared-churn/*');
  });

  test('in a region-agnostic stack, the group ARN uses the partition pseudo parameter', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const registry = ModelRegistry.fromModelPackageGroupName(stack, 'Imported', 'shared-churn');
    expect(stack.resolve(registry.modelPackageGroupArn)).toEqual({
      'Fn::Join': ['', [
        'arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
        ':model-package-group/shared-churn',
      ]],
    });
  });

  test('grants work on the imported group', () => {
    const { stack, registry } = imported();
    const role = roleIn(stack);
    registry.grantRegister(role);
    const [statement] = statementsFor(stack, role);
    expect(statement.Action).toEqual(['sagemaker:AddTags', 'sagemaker:CreateModelPackage']);
    expect(statement.Resource.sort()).toEqual([
      'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/shared-churn',
      'arn:aws:sagemaker:us-east-1:123456789012:model-package/shared-churn/*',
    ]);
  });

  test('onApprovalChange matches the imported group by name', () => {
    const { stack, registry } = imported();
    registry.onApprovalChange('OnApproved');
    expect(rulesOf(stack)[0].Properties.EventPattern.detail).toEqual({
      ModelPackageGroupName: ['shared-churn'], ModelApprovalStatus: ['Approved'],
    });
  });
});

describe('ModelRegistry and cdk-nag', () => {
  test('a stack with just a registry has no finding in any pack', () => {
    const app = testApp();
    const stack = new Stack(app, 'RegistryStack', { env: { account: '123456789012', region: 'us-east-1' } });
    new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn-model', description: 'Churn classifier versions' });
    expect(stack.node.findAll().filter((c) => c instanceof sagemaker.CfnModelPackageGroup)).toHaveLength(1);
    expectNagClean(app);
  });
});

describe('ModelRegistry names in ARNs', () => {
  test('a mixed-case group name is lowercased in the model package ARN pattern, as SageMaker writes ARNs', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'Churn-Model' });
    expect(stack.resolve(registry.modelPackageArnPattern)).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/*');
  });

  test('a generated group name is lowercase', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'MixedCaseRegistry');
    expect(deployedName(stack, registry)).toBe(deployedName(stack, registry).toLowerCase());
    expect(evaluate(stack.resolve(registry.modelPackageArnPattern))).toContain(`model-package/${deployedName(stack, registry)}/*`);
  });
});
