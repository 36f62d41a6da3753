import { App, Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { addScaleModels, referenceModelProps } from '../bench/fixtures/scale-app';
import { testApp } from './helpers/app';
import { nagFindings } from './helpers/nag';
import { DataLake, MlInstanceType, ModelEndpoint, ModelRegistry, SageMakerImage } from '../lib';
import { ModelFleet } from '../lib/model-fleet';
import { FleetDashboard, MAX_DASHBOARD_MODELS } from '../lib/private/fleet-dashboard';

const ENV = { account: '123456789012', region: 'us-east-1' };
const TRAINING = { image: SageMakerImage.xgboost('1.7-1'), instanceType: MlInstanceType.ML_G5_XLARGE };

/** A fleet of two reference models (bench/fixtures/scale-app.ts): Model0/model0 and Model1/model1. */
function twoModels(app: App = testApp()) {
  const fleet = new ModelFleet(app, 'Fleet', { env: ENV });
  addScaleModels(fleet, 0, 2);
  return { app, fleet };
}

function json(template: Template): string {
  return JSON.stringify(template.toJSON());
}

describe('ModelFleet placement', () => {
  const { fleet } = twoModels();
  const [first, second] = fleet.models;
  const shared = Template.fromStack(fleet.sharedStack);
  const model0 = Template.fromStack(Stack.of(first));
  const model1 = Template.fromStack(Stack.of(second));

  test('each model is in a top-level stack of its own, named <fleet id>-<model id>, beside the shared stack', () => {
    expect(fleet.sharedStack.stackName).toBe('Fleet-Shared');
    expect([Stack.of(first).stackName, Stack.of(second).stackName]).toEqual(['Fleet-Model0', 'Fleet-Model1']);
    for (const pipeline of fleet.models) {
      const stack = Stack.of(pipeline);
      expect(stack.nested).toBe(false);
      // A promotion updates the stack that holds the served-version parameter: the model's own.
      expect(pipeline.modelVersion.servingStack).toBe(stack);
      expect(stack.dependencies).toEqual([fleet.sharedStack]);
    }
  });

  test("a model's stack is described after its model and fleet and has no termination protection, unless the model says otherwise", () => {
    expect(model0.toJSON().Description).toBe('cdk-mlops model model0 of fleet Fleet');
    expect(Stack.of(first).terminationProtection).toBe(false);
    const other = new ModelFleet(testApp(), 'Fleet', { env: ENV });
    const kept = other.addModel('Kept', { ...referenceModelProps('kept'), stackDescription: 'Churn, kept', terminationProtection: true });
    expect([Stack.of(kept).templateOptions.description, Stack.of(kept).terminationProtection]).toEqual(['Churn, kept', true]);
  });

  test("a promotion and a deploying run update the model's own stack, by name, and no other", () => {
    const machines = JSON.stringify(model0.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toContain('\\"StackName\\":\\"Fleet-Model0\\"');
    expect(machines).not.toMatch(/Fleet-Shared\\"|Fleet-Model1/);
    const policies = JSON.stringify(model0.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':cloudformation:us-east-1:123456789012:stack/Fleet-Model0/*');
    expect(policies).not.toMatch(/stack\/Fleet-(Shared|Model1)/);
  });

  test('the shared stack holds the lake, one topic and the dashboard, and imports nothing from a model stack', () => {
    shared.resourceCountIs('AWS::S3::Bucket', 5);
    shared.resourceCountIs('AWS::SNS::Topic', 1);
    shared.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    shared.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    expect(json(shared)).not.toContain('Fn::ImportValue');
    expect(fleet.sharedStack.dependencies).toEqual([]);
  });

  test('model stacks hold no lake and no topic of their own: they import the shared ones', () => {
    for (const template of [model0, model1]) {
      template.resourceCountIs('AWS::S3::Bucket', 0);
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
      expect(json(template)).toContain('"Fn::ImportValue":"Fleet-Shared:ExportsOutputRefDataLakeRawBucket');
    }
  });

  test('the shared stack exports a fixed handful of values, whatever the number of models', () => {
    const outputs = Object.values(shared.toJSON().Outputs) as Array<{ Export?: { Name: string } }>;
    // Four bucket names and two key ARNs (the lake's and the topic's).
    expect(outputs.map((o) => o.Export?.Name).sort()).toHaveLength(6);
  });

  test('the six exports stay in the shared stack without models: removing the last importer removes no export a deployed model stack imports', () => {
    const exportsOf = (fleet: ModelFleet) => Template.fromStack(fleet.sharedStack).toJSON().Outputs;
    const withModels = exportsOf(fleet);
    expect(Object.keys(withModels)).toHaveLength(6);
    // CloudFormation refuses to remove an export in use, and CDK deploys the shared stack first.
    expect(exportsOf(new ModelFleet(testApp(), 'Fleet', { env: ENV }))).toEqual(withModels);
    const ownTopic = new ModelFleet(testApp(), 'Fleet', { env: ENV });
    ownTopic.addModel('Model0', { ...referenceModelProps('model0'), notificationTopic: sns.Topic.fromTopicArn(ownTopic.sharedStack, 'Own', 'arn:aws:sns:us-east-1:123456789012:own') });
    expect(exportsOf(ownTopic)).toEqual(withModels);
    // The models import exactly those exports.
    const names = Object.values<any>(withModels).map((o) => o.Export.Name).sort();
    const imported = [...new Set([...json(model0).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]))].sort();
    expect(imported).toEqual(names);
  });

  test("a model's template names only its own model, and its logical ids are those of every other model", () => {
    expect(json(model0)).not.toMatch(/model1/);
    expect(Object.keys(model0.toJSON().Resources)).toEqual(Object.keys(model1.toJSON().Resources));
  });

  test('each model keeps its data under its own prefixes of the shared lake', () => {
    const statements = JSON.stringify(model1.findResources('AWS::IAM::Policy'));
    expect(statements).toContain('/model1/runs/');
    expect(statements).not.toContain('/model0/');
  });

  test('failures and alarms of every model notify the fleet topic, named after the shared stack', () => {
    shared.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'Fleet-Shared-notifications', KmsMasterKeyId: Match.anyValue() });
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:Fleet-Shared-notifications';
    model0.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmActions: [topicArn] });
    expect(JSON.stringify(model0.findResources('AWS::StepFunctions::StateMachine'))).toContain(topicArn);
    expect(fleet.notificationTopic.topicArn).toBeDefined();
  });

  test('the fleet topic admits every alarm and rule of the account once; no model adds a statement', () => {
    const statements = shared.toJSON().Resources[Object.keys(shared.findResources('AWS::SNS::TopicPolicy'))[0]].Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => s.Principal.Service ?? s.Principal).sort()).toEqual(['*', 'cloudwatch.amazonaws.com', 'events.amazonaws.com']);
    expect(JSON.stringify(statements)).toContain(':alarm:*');
    expect(JSON.stringify(statements)).toContain(':rule/*');
    const keys = shared.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('notifications of model fleet Fleet') } });
    const keyStatements = (Object.values(keys)[0] as any).Properties.KeyPolicy.Statement;
    expect(keyStatements.map((s: any) => s.Principal.Service).filter((p: unknown) => p !== undefined).sort())
      .toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
    // As SNS's guide writes the key policy; alarms from this account's alarms only, EventBridge without source conditions.
    const forService = (service: string) => keyStatements.filter((st: any) => st.Principal.Service === service);
    expect(forService('cloudwatch.amazonaws.com')).toEqual([expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*' } },
    })]);
    expect(forService('events.amazonaws.com')).toEqual([expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' })]);
    expect(forService('events.amazonaws.com')[0].Condition).toBeUndefined();
  });

  test('no warning that the topic cannot be changed: the fleet topic needs no statements from the models', () => {
    for (const pipeline of fleet.models) {
      Annotations.fromStack(Stack.of(pipeline)).hasNoWarning('*', Match.stringLikeRegexp('cannot change the policies'));
    }
  });

  test('cross-stack references are strong: CloudFormation keeps the shared lake while a model imports from it', () => {
    Annotations.fromStack(Stack.of(first)).hasNoWarning('*', Match.stringLikeRegexp('cross-stack-reference strength'));
    // The lake and topic are explicit imports; a reference of the user's own into the shared stack (here a registry
    // there) is strong too, even in an app whose default is weak (Fn::GetStackOutput: the shared stack could go first).
    const weakApp = new App({ context: { ...testApp().node.getAllContext(), '@aws-cdk/core:defaultCrossStackReferences': 'weak' } });
    const weakFleet = new ModelFleet(weakApp, 'Fleet', { env: ENV });
    const registry = new ModelRegistry(weakFleet.sharedStack, 'Registry', { modelPackageGroupName: 'model0' });
    const model = Template.fromStack(Stack.of(weakFleet.addModel('Model0', { ...referenceModelProps('model0'), registry })));
    expect(json(model)).not.toContain('Fn::GetStackOutput');
    expect(json(model)).toMatch(/"Fn::ImportValue":"Fleet-Shared:ExportsOutputFnGetAttRegistry/);
  });

  test('the dashboard shows each model by its literal names: requests, errors, failed runs and latency', () => {
    const body = JSON.stringify(shared.toJSON().Resources[Object.keys(shared.findResources('AWS::CloudWatch::Dashboard'))[0]].Properties.DashboardBody);
    for (const name of ['model0', 'model1']) {
      expect(body).toContain(`\\"title\\":\\"${name}\\"`);
      expect(body).toContain(`\\"EndpointName\\",\\"${name}\\",\\"VariantName\\",\\"AllTraffic\\"`);
      expect(body).toContain(`:stateMachine:${name}\\"`);
    }
    for (const metric of ['Invocations', 'Invocation5XXErrors', 'ExecutionsFailed', 'ModelLatency']) expect(body).toContain(`\\"${metric}\\"`);
    shared.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Fleet-us-east-1' });
    expect(Stack.of(fleet.dashboard)).toBe(fleet.sharedStack);
  });

  test('lays the dashboard out three models to a line under its header', () => {
    const app = testApp();
    const fleet4 = new ModelFleet(app, 'Four', { env: ENV });
    const dashboard = fleet4.sharedStack.node.findChild('Dashboard') as FleetDashboard;
    for (let i = 0; i < 4; i++) {
      dashboard.addModel({ modelName: `m${i}`, endpoint: ModelEndpoint.fromEndpointName(fleet4.sharedStack, `E${i}`, `m${i}`), variantName: 'AllTraffic', pipelineName: `m${i}` });
    }
    const [resource] = Object.values(Template.fromStack(fleet4.sharedStack).findResources('AWS::CloudWatch::Dashboard')) as any[];
    const text = resource.Properties.DashboardBody['Fn::Join'][1].filter((part: unknown) => typeof part === 'string').join('');
    expect([...text.matchAll(/"width":(\d+),"height":(\d+),"x":(\d+),"y":(\d+)/g)].map((m) => m.slice(1).map(Number))).toEqual([
      [24, 2, 0, 0], [8, 6, 0, 2], [8, 6, 8, 2], [8, 6, 16, 2], [8, 6, 0, 8],
    ]);
  });
});

describe('ModelFleet identity', () => {
  test("a model's template does not change when models before it are removed or reordered", () => {
    const synth = (ids: string[]) => {
      const fleet = new ModelFleet(testApp(), 'Fleet', { env: ENV });
      for (const id of ids) fleet.addModel(id, referenceModelProps(id.toLowerCase()));
      return new Map(fleet.models.map((m) => [m.modelName, json(Template.fromStack(Stack.of(m)))]));
    };
    const all = synth(['Alpha', 'Beta', 'Gamma']);
    const some = synth(['Gamma', 'Alpha']);
    expect(some.get('alpha')).toBe(all.get('alpha'));
    expect(some.get('gamma')).toBe(all.get('gamma'));
  });
});

describe('ModelFleet options', () => {
  test('a given lake is used, not created; the models import it by its attributes', () => {
    const app = testApp();
    const lakeStack = new Stack(app, 'Lake', { env: ENV });
    const lake = new DataLake(lakeStack, 'Lake');
    const fleet = new ModelFleet(app, 'Fleet', { env: ENV, dataLake: lake });
    addScaleModels(fleet, 0, 1);
    Template.fromStack(fleet.sharedStack).resourceCountIs('AWS::S3::Bucket', 0);
    expect(json(Template.fromStack(Stack.of(fleet.models[0])))).toContain('"Fn::ImportValue":"Lake:ExportsOutputRefLakeRawBucket');
    expect(fleet.dataLake).toBe(lake);
  });

  test('a given lake\'s and topic\'s stacks export what the models import even with no model, so the last model can leave', () => {
    const exportsOf = (stack: Stack) => Object.values<{ Export?: { Name: string } }>(Template.fromStack(stack).toJSON().Outputs ?? {})
      .map((o) => o.Export?.Name).filter((n): n is string => n !== undefined).sort();
    const fleetOf = (models: number) => {
      const app = testApp();
      const lakeStack = new Stack(app, 'Lake', { env: ENV });
      const topicStack = new Stack(app, 'Topics', { env: ENV });
      const fleet = new ModelFleet(app, 'Fleet', {
        env: ENV, dataLake: new DataLake(lakeStack, 'Lake'), notificationTopic: new sns.Topic(topicStack, 'Ops', { masterKey: new kms.Key(topicStack, 'Key') }),
      });
      addScaleModels(fleet, 0, models);
      return { lakeStack, topicStack, fleet };
    };
    const none = fleetOf(0);
    const one = fleetOf(1);
    // the lake's four bucket names and its key's ARN; the topic's ARN and its key's ARN
    expect(exportsOf(none.lakeStack)).toHaveLength(5);
    expect(exportsOf(none.topicStack)).toHaveLength(2);
    expect(exportsOf(one.lakeStack)).toEqual(exportsOf(none.lakeStack));
    expect(exportsOf(one.topicStack)).toEqual(exportsOf(none.topicStack));
    // and what the model imports is among them
    const imported = [...json(Template.fromStack(Stack.of(one.fleet.models[0]))).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]);
    expect(imported.filter((name) => name.startsWith('Lake:') || name.startsWith('Topics:')).filter((name) => ![...exportsOf(one.lakeStack), ...exportsOf(one.topicStack)].includes(name))).toEqual([]);
    expect(imported.some((name) => name.startsWith('Topics:'))).toBe(true);
  });

  test('a model stack depends on every stack it imports from: an explicit Fn::ImportValue adds no dependency, and the export must exist first', () => {
    const app = testApp();
    const lake = new DataLake(new Stack(app, 'Lake', { env: ENV }), 'Lake');
    const topicStack = new Stack(app, 'Topics', { env: ENV });
    const fleet = new ModelFleet(app, 'Fleet', { env: ENV, dataLake: lake, notificationTopic: new sns.Topic(topicStack, 'Ops', { masterKey: new kms.Key(topicStack, 'Key') }) });
    const byFleet = fleet.addModel('Model0', referenceModelProps('model0'));
    const ownLake = new DataLake(new Stack(app, 'OwnLake', { env: ENV }), 'Lake');
    const byModel = fleet.addModel('Model1', { ...referenceModelProps('model1'), dataLake: ownLake });
    const names = (pipeline: typeof byFleet) => Stack.of(pipeline).dependencies.map((s) => s.stackName).sort();
    expect(names(byFleet)).toEqual(['Fleet-Shared', 'Lake', 'Topics']);
    expect(names(byModel)).toEqual(['Fleet-Shared', 'OwnLake', 'Topics']);
    // An imported lake is named by literals: nothing to import, nothing to wait for.
    const imported = DataLake.fromDataLakeAttributes(new Stack(app, 'Elsewhere', { env: ENV }), 'Lake', {
      rawBucketName: 'raw', curatedBucketName: 'curated', artifactsBucketName: 'artifacts', captureBucketName: 'capture',
      encryptionKey: kms.Key.fromKeyArn(fleet.sharedStack, 'LakeKey', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    });
    expect(names(fleet.addModel('Model2', { ...referenceModelProps('model2'), dataLake: imported }))).toEqual(['Fleet-Shared', 'Topics']);
  });

  test('a given topic is notified as an import (it must admit alarms and rules itself), and no topic is created', () => {
    const app = testApp();
    const topicStack = new Stack(app, 'Topics', { env: ENV });
    const topic = new sns.Topic(topicStack, 'Ops');
    const fleet = new ModelFleet(app, 'Fleet', { env: ENV, notificationTopic: topic });
    addScaleModels(fleet, 0, 1);
    Template.fromStack(fleet.sharedStack).resourceCountIs('AWS::SNS::Topic', 0);
    // The user's topic policy is theirs: nothing from the fleet lands in it.
    Template.fromStack(topicStack).resourceCountIs('AWS::SNS::TopicPolicy', 0);
    Annotations.fromStack(Stack.of(fleet.models[0])).hasWarning('*', Match.stringLikeRegexp("cannot change the policies of 'notificationTopic'"));
  });

  test('one model may use its own topic; the others keep the fleet topic', () => {
    const app = testApp();
    const fleet = new ModelFleet(app, 'Fleet', { env: ENV });
    const own = sns.Topic.fromTopicArn(fleet.sharedStack, 'Own', 'arn:aws:sns:us-east-1:123456789012:own');
    const pipeline = fleet.addModel('Own', { ...referenceModelProps('own'), notificationTopic: own });
    expect(pipeline.notificationTopic.topicArn).toBe('arn:aws:sns:us-east-1:123456789012:own');
  });

  test('removalPolicy reaches the lake and the topic key of the shared stack', () => {
    const app = testApp();
    const fleet = new ModelFleet(app, 'Fleet', { env: ENV, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(fleet.sharedStack);
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
      for (const resource of Object.values(template.findResources(type))) expect((resource as any).DeletionPolicy).toBe('Delete');
    }
  });

  test('by default the lake is kept when the stack goes (RetainExceptOnCreate), and the topic key, which protects nothing then, is not', () => {
    const template = Template.fromStack(new ModelFleet(testApp(), 'Fleet', { env: ENV }).sharedStack);
    for (const resource of Object.values(template.findResources('AWS::S3::Bucket'))) expect((resource as any).DeletionPolicy).toBe('RetainExceptOnCreate');
    const keys = Object.values(template.findResources('AWS::KMS::Key')) as any[];
    const policyOf = (description: RegExp) => keys.find((k) => description.test(String(k.Properties.Description ?? ''))).DeletionPolicy;
    expect(policyOf(/notifications of model fleet/)).toBe('Delete');
    expect(policyOf(/^(?!.*notifications)/)).toBe('RetainExceptOnCreate');
  });

  test('notificationEmails subscribe to the fleet topic', () => {
    const fleet = new ModelFleet(testApp(), 'Fleet', { env: ENV, notificationEmails: ['ml-team@example.com'] });
    Template.fromStack(fleet.sharedStack).hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-team@example.com' });
  });

  test('in a stage, stack and dashboard names start with the stage name', () => {
    const stage = new Stage(testApp(), 'Prod', { env: ENV });
    const fleet = new ModelFleet(stage, 'Fleet');
    addScaleModels(fleet, 0, 1);
    expect([fleet.sharedStack.stackName, Stack.of(fleet.models[0]).stackName, fleet.dashboardName]).toEqual(['Prod-Fleet-Shared', 'Prod-Fleet-Model0', 'Prod-Fleet-us-east-1']);
  });
});


describe('ModelFleet validation', () => {
  test('fails when two models have the same modelName, naming both', () => {
    const { fleet } = twoModels();
    expect(() => fleet.addModel('Again', { modelName: 'model1', training: TRAINING }))
      .toThrow(/'modelName' \('model1'\) of model 'Again' is already the name of model 'Model1' of this fleet/);
  });

  test('fails when two models have the same id', () => {
    const { fleet } = twoModels();
    expect(() => fleet.addModel('Model0', { modelName: 'other', training: TRAINING })).toThrow(/the model id 'Model0' is already taken by model 'model0'/);
  });

  test("fails for the id 'Shared' and for ids that cannot be part of a stack name", () => {
    const fleet = new ModelFleet(testApp(), 'Fleet', { env: ENV });
    expect(() => fleet.addModel('Shared', { modelName: 'shared', training: TRAINING })).toThrow(/the model id 'Shared' is the fleet's shared stack/);
    expect(() => fleet.addModel('churn_v2', { modelName: 'churn', training: TRAINING }))
      .toThrow(/the model id 'churn_v2' must start with a letter and hold only letters, digits and hyphens: it is part of the stack name 'Fleet-churn_v2'/);
    expect(() => fleet.addModel(`M${'x'.repeat(130)}`, { modelName: 'churn', training: TRAINING })).toThrow(/is 137 characters long; CloudFormation allows 128/);
  });

  test('fails for ids that cannot be part of a stack name, suggesting one that can', () => {
    const fleet = new ModelFleet(testApp(), 'Fleet', { env: ENV });
    expect(() => fleet.addModel('churn_v2', { modelName: 'churn', training: TRAINING })).toThrow(/'Fleet-churn_v2'; use e.g. 'churn-v2'/);
    expect(() => fleet.addModel('2churn', { modelName: 'churn', training: TRAINING })).toThrow(/the model id '2churn' must start with a letter.*; use e.g. 'churn'/);
    expect(() => new ModelFleet(testApp(), 'fleet.eu', { env: ENV }))
      .toThrow(/the fleet id 'fleet.eu' must start with a letter and hold only letters, digits and hyphens: it is part of the stack name 'fleet.eu-Shared'; use e.g. 'fleet-eu'/);
  });

  test('fails in a stage whose name CloudFormation rejects in a stack name (CDK allows _ and . in stage names)', () => {
    const stage = new Stage(testApp(), 'prod_eu', { env: ENV });
    expect(() => new ModelFleet(stage, 'Fleet'))
      .toThrow(/the stage name 'prod_eu' starts the fleet's stack names \('prod_eu-Fleet-Shared'\), which hold only letters, digits and hyphens and start with a letter; name the stage e.g. 'prod-eu'/);
  });

  test('fails on a dashboard name the fleet already uses: dashboards are unique per account', () => {
    const fleet = new ModelFleet(testApp(), 'fleet', { env: ENV });
    expect(() => fleet.addModel('Model', { modelName: 'fleet', training: TRAINING }))
      .toThrow(/the dashboard name 'fleet-us-east-1' of model 'Model' is already the name of the fleet's overview dashboard; dashboards are unique per account: give the model its own 'dashboardName'/);
    const { fleet: two } = twoModels();
    expect(() => two.addModel('Again', { modelName: 'again', dashboardName: 'model1-us-east-1', training: TRAINING }))
      .toThrow(/the dashboard name 'model1-us-east-1' of model 'Again' is already the name of the dashboard of model 'Model1'/);
    // Names of one's own are compared as given: 'model1' is not model 1's default name.
    expect(() => two.addModel('Other', { modelName: 'other', dashboardName: 'model1', training: TRAINING })).not.toThrow(/dashboard name/);
  });

  test("fails on a dashboard name CloudWatch rejects, as MlPipeline's does: CDK checks its characters, not its length", () => {
    expect(() => new ModelFleet(testApp(), 'Fleet', { env: ENV, dashboardName: 'd'.repeat(256) }))
      .toThrow(/'dashboardName' \('d{256}', 256 characters\) must be 1 to 255 letters, digits, hyphens and underscores.*use e.g. 'Fleet-eu-west-1'/);
    expect(() => new ModelFleet(testApp(), 'Fleet', { env: ENV, dashboardName: 'my fleet' })).toThrow(/'dashboardName' \('my fleet', 8 characters\) must be/);
    expect(new ModelFleet(testApp(), 'Fleet', { env: ENV, dashboardName: `F_${'d'.repeat(253)}` }).dashboardName).toHaveLength(255);
  });

  test('fails inside a stack: the models need top-level stacks', () => {
    const stack = new Stack(testApp(), 'Outer');
    expect(() => new ModelFleet(stack, 'Fleet')).toThrow(/its scope must be an App or a Stage, not the stack 'Outer'/);
  });

  test('fails for props that have no effect together', () => {
    const app = testApp();
    const lake = new DataLake(new Stack(app, 'Lake'), 'Lake');
    const topic = new sns.Topic(new Stack(app, 'Topic'), 'Topic');
    expect(() => new ModelFleet(app, 'Fleet', { dataLake: lake, dataLakeProps: { glueDatabaseName: 'x' }, notificationTopic: topic, notificationEmails: ['a@example.com'] }))
      .toThrow(/2 problems:\n- 'dataLakeProps' configures the lake the fleet creates and has no effect with 'dataLake'.*\n- 'notificationEmails' subscribes/);
  });

  test(`fails on the model the dashboard cannot hold (${MAX_DASHBOARD_MODELS} models: 500 widgets and 2,500 metrics per dashboard)`, () => {
    const stack = new Stack(testApp(), 'Dash', { env: ENV });
    const dashboard = new FleetDashboard(stack, 'Dashboard', { title: 'x' });
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'm');
    const add = (i: number) => dashboard.addModel({ modelName: `m${i}`, endpoint, variantName: 'AllTraffic', pipelineName: `m${i}` });
    for (let i = 0; i < MAX_DASHBOARD_MODELS; i++) add(i);
    expect(MAX_DASHBOARD_MODELS).toBe(499);
    expect(() => add(MAX_DASHBOARD_MODELS)).toThrow(/holds at most 499 models.*model 'm499' is one too many/);
  });

  test('fails when the dashboard would have to refer to a model by a deploy-time name', () => {
    const stack = new Stack(testApp(), 'Dash', { env: ENV });
    const dashboard = new FleetDashboard(stack, 'Dashboard', { title: 'x', period: Duration.minutes(1) });
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'Endpoint', new sns.Topic(stack, 'T').topicName);
    expect(() => dashboard.addModel({ modelName: 'm', endpoint, variantName: 'AllTraffic', pipelineName: 'm' }))
      .toThrow(/names model 'm' by its endpoint name, which is a deploy-time value/);
  });
});

describe('ModelFleet security', () => {
  test('a two-model fleet passes every cdk-nag pack', () => {
    expect(nagFindings(twoModels().app)).toEqual([]);
  });
});
