/**
 * examples/cd-pipeline: the synthesized delivery pipeline deploys staging, waits for a person,
 * then deploys production; production serves only approved model packages; and the deploy action
 * of every stage whose stack holds a ModelVersionParameter passes that parameter's current value
 * (read before the change set) instead of leaving it to the template default 'none'.
 */
import { Stack } from 'aws-cdk-lib';
import { testApp } from '../helpers/app';
import { DeliveryPipelineStack } from '../../examples/cd-pipeline/delivery-pipeline-stack';
import { ModelVersionParameter } from '../../lib';
import { MODEL_VERSIONS_FILE } from '../../lib/serving/private/model-version-read-step';

const ENV = { account: '111111111111', region: 'us-east-1' };

function synthesize(props: { connectionArn?: string; production?: { account: string; region: string } } = {}) {
  const app = testApp();
  const stack = new DeliveryPipelineStack(app, 'MlopsDelivery', {
    env: ENV,
    repository: 'cdk-mlops/cdk-mlops',
    branch: 'main',
    connectionArn: props.connectionArn,
    staging: ENV,
    production: props.production ?? ENV,
  });
  const assembly = app.synth();
  const template = assembly.getStackByName('MlopsDelivery').template;
  const pipeline: any = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::CodePipeline::Pipeline');
  const stages: Array<{ Name: string; Actions: any[] }> = pipeline.Properties.Stages;
  return { stack, template, stages, stageTemplate: (s: Stack) => assembly.getNestedAssembly(`assembly-MlopsDelivery-${s.node.scope!.node.id}`).getStackByName(s.stackName).template };
}

describe('the delivery pipeline', () => {
  const synth = synthesize();

  test('builds, updates itself, deploys staging, then production after a manual approval', () => {
    expect(synth.stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Staging', 'Production']);
    const production = synth.stages.find((s) => s.Name === 'Production')!.Actions;
    const approval = production.filter((a) => a.ActionTypeId.Category === 'Approval');
    expect(approval).toEqual([expect.objectContaining({ Name: 'PromoteToProduction', RunOrder: 1 })]);
    // Nothing in production runs alongside or before the approval.
    expect(production.filter((a) => a !== approval[0]).every((a) => a.RunOrder > 1)).toBe(true);
  });

  test('the source is the GitHub repository through a CodeConnections connection the stack creates by default', () => {
    const source = synth.stages[0].Actions[0];
    expect(source.ActionTypeId).toMatchObject({ Provider: 'CodeStarSourceConnection' });
    expect(source.Configuration).toMatchObject({ FullRepositoryId: 'cdk-mlops/cdk-mlops', BranchName: 'main' });
    const connections = Object.entries(synth.template.Resources).filter(([, r]: any) => r.Type === 'AWS::CodeStarConnections::Connection');
    expect(connections).toHaveLength(1);
    expect(source.Configuration.ConnectionArn).toEqual({ 'Fn::GetAtt': [connections[0][0], 'ConnectionArn'] });
  });

  test('an existing connection from context replaces the created one', () => {
    const arn = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e';
    const other = synthesize({ connectionArn: arn });
    expect(other.stages[0].Actions[0].Configuration.ConnectionArn).toBe(arn);
    expect(Object.values(other.template.Resources).some((r: any) => r.Type === 'AWS::CodeStarConnections::Connection')).toBe(false);
  });

  test('staging promotes every model that passes the gate; production only what is approved in its registry', () => {
    const staging = JSON.stringify(synth.stageTemplate(synth.stack.staging.stack));
    const production = synth.stageTemplate(synth.stack.production.stack);
    expect(staging).toContain('\\"ModelApprovalStatus\\":\\"Approved\\"');
    expect(staging).not.toContain('PendingManualApproval');
    // Production's runs register pending approval, and only an approval event starts a promotion.
    expect(JSON.stringify(production)).toContain('\\"ModelApprovalStatus\\":\\"PendingManualApproval\\"');
    expect(JSON.stringify(production)).not.toContain('\\"ModelApprovalStatus\\":\\"Approved\\"');
    const approvals = Object.values(production.Resources).filter((r: any) => r.Type === 'AWS::Events::Rule'
      && r.Properties.EventPattern?.['detail-type']?.includes('SageMaker Model Package State Change'));
    expect(approvals).toEqual([expect.objectContaining({
      Properties: expect.objectContaining({
        EventPattern: expect.objectContaining({ detail: { ModelPackageGroupName: ['churn-prod'], ModelApprovalStatus: ['Approved'], ModelPackageStatus: ['Completed'] } }),
      }),
    })]);
  });

  test('in both stages the drift monitor compares with the served version\'s own baseline', () => {
    for (const stage of [synth.stack.staging, synth.stack.production]) {
      const detectors = Object.values<any>(synth.stageTemplate(stage.stack).Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.BASELINE_KEY);
      expect(detectors.length).toBeGreaterThan(0);
      for (const detector of detectors) expect(detector.Properties.Environment.Variables.BASELINE_KEY).toBe(stage.ml.pipeline.currentBaselineKey);
    }
  });

  test('every stage that holds a model version keeps its previous value: the deploy action reads it, the default is never used', () => {
    const kept: string[] = [];
    for (const stage of [synth.stack.staging, synth.stack.production]) {
      const parameters = stage.node.findAll().filter((c): c is ModelVersionParameter => c instanceof ModelVersionParameter);
      expect(parameters).toHaveLength(1);
      const key = Stack.of(parameters[0]).resolve(parameters[0].parameterKey);
      const stackTemplate = synth.stageTemplate(stage.stack);
      // Without the override, CodePipeline's change set would take this default and remove the endpoint.
      expect(stackTemplate.Parameters[key].Default).toBe(ModelVersionParameter.NONE);

      const actions = synth.stages.find((s) => s.Name === stage.node.id)!.Actions;
      const prepare = actions.filter((a) => a.Configuration?.StackName === stage.stack.stackName && a.Configuration.ActionMode === 'CHANGE_SET_REPLACE');
      expect(prepare).toHaveLength(1);
      const overrides = JSON.parse(prepare[0].Configuration.ParameterOverrides);
      expect(Object.keys(overrides)).toEqual([key]);
      const [artifact, file, field] = overrides[key]['Fn::GetParam'];
      expect([file, field]).toEqual([MODEL_VERSIONS_FILE, key]);
      expect(prepare[0].InputArtifacts).toContainEqual({ Name: artifact });

      // The artifact comes from a CodeBuild step of the same stage that runs before the change set
      // and reads this stack's parameter.
      const reader = actions.filter((a) => a.OutputArtifacts?.some((o: any) => o.Name === artifact));
      expect(reader).toEqual([expect.objectContaining({ ActionTypeId: expect.objectContaining({ Provider: 'CodeBuild' }) })]);
      expect(reader[0].RunOrder).toBeLessThan(prepare[0].RunOrder);
      const project: any = Object.entries(synth.template.Resources).find(([id]) => id === reader[0].Configuration.ProjectName.Ref)![1];
      const env = Object.fromEntries(project.Properties.Environment.EnvironmentVariables.map((v: any) => [v.Name, v.Value]));
      expect(env).toMatchObject({ STACK_NAME: stage.stack.stackName, PARAMETER_KEYS: key });
      kept.push(key);
    }
    expect(kept).toEqual(['ModelVersionChurnStaging', 'ModelVersionChurnProd']);
  });

  test('a production account of its own: the read step assumes that account\'s deploy role, the one its deploy actions use', () => {
    const other = synthesize({ production: { account: '222222222222', region: 'us-east-1' } });
    const actions = other.stages.find((s) => s.Name === 'Production')!.Actions;
    const prepare = actions.find((a) => a.Configuration?.ActionMode === 'CHANGE_SET_REPLACE');
    const artifact = JSON.parse(prepare.Configuration.ParameterOverrides).ModelVersionChurnProd['Fn::GetParam'][0];
    const reader = actions.find((a) => a.OutputArtifacts?.some((o: any) => o.Name === artifact));
    const project: any = other.template.Resources[reader.Configuration.ProjectName.Ref];
    const env = Object.fromEntries(project.Properties.Environment.EnvironmentVariables.map((v: any) => [v.Name, v.Value]));
    expect(env.DEPLOY_ROLE_ARN).toEqual(prepare.RoleArn);
    expect(JSON.stringify(env.DEPLOY_ROLE_ARN)).toContain(':iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-east-1');
  });
});
