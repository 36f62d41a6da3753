/**
 * The deploy stage, run from the synthesized definitions in aws-local-stepfunctions: a training
 * run that deploys its model (first deploy creates, second updates, a rollback keeps the previous
 * model and fails, nothing new leaves the stack alone), the registry-driven promotion, and the
 * rollback path of both deploying modes.
 */
import { Duration } from 'aws-cdk-lib';
import { templateOf } from '../helpers/app';
import { AslDefinition, definitionFromTemplate, runStateMachine, RunResult, TaskHandlers, validateAsl } from '../helpers/asl';
import { FakeRunTable } from '../helpers/pipeline';
import { servingPipelineStack } from '../helpers/serving';
import { buildManifest, ManifestEvent } from '../../lambda/run-manifest/manifest';
import { FakeServingAccount } from './fake-serving-account';
import { PromotionMode, MetricSource, MlInstanceType, ModelApprovalStatus, ModelEndpoint, SageMakerImage } from '../../lib';

const PACKAGE = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7';
const PREVIOUS = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/6';

interface Serving {
  /** The model version parameter's value before the run. */
  served: string;
  /** Stack states before the promotion (another update in progress), in order; then UPDATE_COMPLETE. */
  busy: string[];
  /** Stack states DescribeStacks reports during the rollout, in order (the last repeats). */
  rollout: string[];
  updates: any[];
  cancelled: string[];
  published: any[];
  manifests: any[];
}

function build(mode: PromotionMode, approvalStatus?: ModelApprovalStatus, withEndpoint = false) {
  const built = servingPipelineStack((lake, registry, modelVersion) => ({
    dataLake: lake,
    registry,
    pipelineName: 'churn',
    approvalStatus,
    training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE },
    gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
    deployment: { modelVersion, mode, pollInterval: Duration.minutes(1), rolloutTimeout: Duration.minutes(5) },
  }));
  if (withEndpoint) {
    const endpoint = new ModelEndpoint(built.stack, 'Endpoint', {
      endpointName: 'churn',
      model: built.modelVersion.modelSource(),
      variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE, initialInstanceCount: 1 }],
    });
    built.modelVersion.serveOnlyWhenPromoted(endpoint);
  }
  const template = templateOf(built.stack);
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const idOf = (prefix: string) => Object.keys(machines).find((id) => id.startsWith(prefix));
  return {
    ...built,
    configId: Object.keys(template.findResources('AWS::SageMaker::EndpointConfig'))[0],
    parameterKey: built.stack.resolve(built.modelVersion.parameterKey) as string,
    pipeline: definitionFromTemplate(template, idOf('PipelineStateMachine')),
    promotion: idOf('PipelinePromotionStateMachine') ? definitionFromTemplate(template, idOf('PipelinePromotionStateMachine')) : undefined,
  };
}

function handlers(definition: AslDefinition, parameterKey: string, serving: Serving): TaskHandlers {
  const manifestState = definition.States.WriteRunManifest;
  return {
    // The run's slot in the pipeline's run table.
    ...new FakeRunTable().handlers(),
    'aws-sdk:sfn:listExecutions': (input) => ({ Executions: [{ ExecutionArn: `${input.StateMachineArn.replace(':stateMachine:', ':execution:')}:run-1` }] }),
    'sagemaker:createTrainingJob.sync': (input) => ({
      ...input,
      TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${input.TrainingJobName}`,
      ModelArtifacts: { S3ModelArtifacts: `${input.OutputDataConfig.S3OutputPath}${input.TrainingJobName}/output/model.tar.gz` },
      FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.93 }],
    }),
    'aws-sdk:sagemaker:createModelPackage': () => ({ ModelPackageArn: PACKAGE }),
    'aws-sdk:cloudformation:describeStacks': (input, state) => {
      expect(input.StackName).toBe('TestStack');
      if (state === 'CheckServedModel') {
        return { Stacks: [{ StackStatus: serving.busy.shift() ?? 'UPDATE_COMPLETE', Parameters: [{ ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' }, { ParameterKey: parameterKey, ParameterValue: serving.served }] }] };
      }
      const status = serving.rollout.length > 1 ? serving.rollout.shift()! : serving.rollout[0];
      // The new value while the update runs and once it is complete; the previous one after a rollback.
      const value = status.startsWith('UPDATE_ROLLBACK') ? serving.served : serving.updates[0]?.Parameters.find((p: any) => p.ParameterKey === parameterKey)?.ParameterValue;
      return { Stacks: [{ StackStatus: status, Parameters: [{ ParameterKey: parameterKey, ParameterValue: value }] }] };
    },
    'aws-sdk:cloudformation:cancelUpdateStack': (input) => {
      serving.cancelled.push(input.StackName);
      // CloudFormation rolls a cancelled update back.
      serving.rollout = ['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'];
      return {};
    },
    'aws-sdk:cloudformation:updateStack': (input) => {
      serving.updates.push(input);
      return { StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/TestStack/1' };
    },
    'sns:publish': (input) => {
      serving.published.push(input.Message);
      return { MessageId: 'm-1' };
    },
    ...(manifestState ? {
      [manifestState.Resource]: (event: ManifestEvent) => {
        serving.manifests.push(buildManifest(event, [], []));
        return { manifestUri: 's3://x/manifest.json' };
      },
    } : {}),
  };
}

async function run(definition: AslDefinition, parameterKey: string, serving: Partial<Serving>, input: unknown = {}): Promise<RunResult & { serving: Serving }> {
  const s: Serving = { served: 'none', busy: [], rollout: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'], updates: [], cancelled: [], published: [], manifests: [], ...serving };
  const result = await runStateMachine(definition, input, handlers(definition, parameterKey, s), { executionName: 'run-1', stateMachineName: 'churn' });
  return { ...result, serving: s };
}

/** The rollback path of every deploying mode: the promotion started by hand (mlops rollback), in the ASL interpreter. */
function rollbackTests(promotion: () => AslDefinition, parameterKey: string) {
  test('a rollback ({"rollback": true} with an older version) sets the older version and waits for the rollout', async () => {
    const result = await run(promotion(), parameterKey, { served: PACKAGE }, { modelPackageArn: PREVIOUS, rollback: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toEqual(expect.arrayContaining(['PromotionAsked', 'PromoteModelVersion', 'Deployed', 'Promoted']));
    expect(result.serving.updates).toHaveLength(1);
    expect(result.serving.updates[0].Parameters).toContainEqual({ ParameterKey: parameterKey, ParameterValue: PREVIOUS });
  });

  test('the same older version without "rollback" changes nothing (registry events come for old versions too)', async () => {
    const result = await run(promotion(), parameterKey, { served: PACKAGE }, { modelPackageArn: PREVIOUS });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain('NotNewer');
    expect(result.serving.updates).toEqual([]);
  });

  test('a rollback that CloudFormation rolls back notifies and fails; the served version stays', async () => {
    const result = await run(promotion(), parameterKey, { served: PACKAGE, rollout: ['UPDATE_ROLLBACK_COMPLETE'] }, { modelPackageArn: PREVIOUS, rollback: true });
    expect(result.status).toBe('FAILED');
    expect(result.serving.published).toEqual([expect.objectContaining({ 'model-package': PREVIOUS, 'error': 'RolloutRolledBack' })]);
  });
}

describe('a training run that deploys its model (PromotionMode.AUTOMATIC)', () => {
  const { pipeline, promotion, parameterKey } = build(PromotionMode.AUTOMATIC);

  test('the definitions are valid; models are registered approved; a promotion is there for rollbacks', () => {
    expect(validateAsl(pipeline)).toEqual([]);
    expect(validateAsl(promotion!)).toEqual([]);
    expect(pipeline.States.RegisterModel.Parameters.ModelApprovalStatus).toBe('Approved');
  });

  rollbackTests(() => promotion!, parameterKey);

  test('first deploy: the stack served no model, so the run sets the version and waits for the rollout', async () => {
    const result = await run(pipeline, parameterKey, { served: 'none' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.serving.updates).toEqual([{
      StackName: 'TestStack',
      UsePreviousTemplate: true,
      RoleARN: 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1',
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      Parameters: expect.arrayContaining([{ ParameterKey: parameterKey, ParameterValue: PACKAGE }]),
    }]);
    expect(result.visited.filter((s) => s === 'CheckRollout')).toHaveLength(2);
    expect(result.visited).toEqual(expect.arrayContaining(['RegisterModel', 'RecordRegistered', 'CheckServedModel', 'PromoteModelVersion', 'Deployed', 'WriteRunManifest', 'ModelRegistered']));
    expect(result.serving.manifests[0]).toMatchObject({ outcome: 'REGISTERED', modelPackageArn: PACKAGE, deployment: { outcome: 'DEPLOYED', stackStatus: 'UPDATE_COMPLETE' } });
  });

  test('every other stack parameter keeps its previous value', async () => {
    const result = await run(pipeline, parameterKey, {});
    const others = result.serving.updates[0].Parameters.filter((p: any) => p.ParameterKey !== parameterKey);
    expect(others.length).toBeGreaterThan(0);
    for (const p of others) expect(p).toEqual({ ParameterKey: p.ParameterKey, UsePreviousValue: true });
  });

  test('second deploy: a previous version serves, and the new one replaces it', async () => {
    const result = await run(pipeline, parameterKey, { served: PREVIOUS });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.serving.updates[0].Parameters).toContainEqual({ ParameterKey: parameterKey, ParameterValue: PACKAGE });
  });

  test('a run with nothing new to serve does not touch the endpoint', async () => {
    const result = await run(pipeline, parameterKey, { served: PACKAGE });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.serving.updates).toEqual([]);
    expect(result.visited).toContain('AlreadyServed');
    expect(result.serving.manifests[0].deployment).toEqual({ outcome: 'UNCHANGED', stackStatus: 'UPDATE_COMPLETE' });
  });

  test('a rollout that CloudFormation rolls back notifies, keeps the previous model and fails the run', async () => {
    const result = await run(pipeline, parameterKey, { served: PREVIOUS, rollout: ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('TrainingPipelineFailed');
    expect(result.serving.published).toEqual([expect.objectContaining({ step: 'Deploy', error: 'RolloutRolledBack', cause: expect.stringContaining('previously promoted model keeps serving') })]);
    expect(result.serving.updates).toHaveLength(1);
    expect(result.serving.manifests[0]).toMatchObject({ outcome: 'FAILED', failure: { step: 'Deploy', error: 'RolloutRolledBack' }, deployment: { outcome: 'ROLLED_BACK' } });
  });

  test('a rollout that never finishes is cancelled at the rollout timeout, so CloudFormation rolls it back, and fails when the rollback ends', async () => {
    const result = await run(pipeline, parameterKey, { rollout: ['UPDATE_IN_PROGRESS'] });
    expect(result.status).toBe('FAILED');
    // Cancelled at the fifth check (5 polls of 1 minute = the rollout timeout): 4 loops of RolloutFinished, Wait, Count, CheckRollout, then the choice.
    expect(result.visited.indexOf('CancelRollout')).toBe(result.visited.indexOf('CheckRollout') + 4 * 4 + 2);
    expect(result.visited.filter((s) => s === 'CheckRollout')).toHaveLength(7);
    expect(result.serving.cancelled).toEqual(['TestStack']);
    expect(result.serving.published).toEqual([expect.objectContaining({ step: 'Deploy', error: 'RolloutTimedOut', cause: expect.stringContaining('cancelled') })]);
    expect(result.serving.manifests[0].deployment).toEqual({ outcome: 'ROLLED_BACK', stackStatus: 'UPDATE_ROLLBACK_COMPLETE' });
  });

  test('a rollout that neither finishes nor can be cancelled fails as stuck after a second rollout budget', async () => {
    const result = await run(pipeline, parameterKey, { rollout: ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'] });
    expect(result.status).toBe('FAILED');
    expect(result.serving.cancelled).toEqual([]);
    expect(result.visited.filter((s) => s === 'CheckRollout')).toHaveLength(10);
    expect(result.serving.published).toEqual([expect.objectContaining({ step: 'Deploy', error: 'RolloutStuck' })]);
  });

  test('a failed rollback fails the run with its own error: the stack needs attention', async () => {
    const result = await run(pipeline, parameterKey, { served: PREVIOUS, rollout: ['UPDATE_ROLLBACK_FAILED'] });
    expect(result.status).toBe('FAILED');
    expect(result.serving.published).toEqual([expect.objectContaining({ step: 'Deploy', error: 'RollbackFailed' })]);
  });

  test('a stack that is being updated (a cdk deploy) is waited for before the promotion', async () => {
    const result = await run(pipeline, parameterKey, { served: PREVIOUS, busy: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.filter((s) => s === 'CheckServedModel')).toHaveLength(3);
    expect(result.visited.indexOf('PromoteModelVersion')).toBeGreaterThan(result.visited.lastIndexOf('CheckServedModel'));
    expect(result.serving.updates).toHaveLength(1);
  });

  test('a stack busy for longer than the rollout timeout fails without promoting', async () => {
    const result = await run(pipeline, parameterKey, { served: PREVIOUS, busy: Array(10).fill('UPDATE_IN_PROGRESS') });
    expect(result.status).toBe('FAILED');
    expect(result.serving.updates).toEqual([]);
    expect(result.serving.published).toEqual([expect.objectContaining({ error: 'StackBusy' })]);
  });

  test('a model below the gate is neither registered nor deployed', async () => {
    const s: Serving = { served: PREVIOUS, busy: [], rollout: ['UPDATE_COMPLETE'], updates: [], cancelled: [], published: [], manifests: [] };
    const h = handlers(pipeline, parameterKey, s);
    const train = h['sagemaker:createTrainingJob.sync'];
    h['sagemaker:createTrainingJob.sync'] = (input, state) => ({ ...(train(input, state) as object), FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.5 }] });
    const result = await runStateMachine(pipeline, {}, h, { executionName: 'run-1', stateMachineName: 'churn' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain('ModelRejected');
    expect(s.updates).toEqual([]);
  });
});

describe('models pending approval deploy when approved (PromotionMode.MANUAL)', () => {
  const { pipeline, promotion, parameterKey } = build(PromotionMode.MANUAL);

  rollbackTests(() => promotion!, parameterKey);

  test('the run registers the model pending approval and does not deploy it', async () => {
    expect(pipeline.States.RegisterModel.Parameters.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(pipeline.States.PromoteModelVersion).toBeUndefined();
    const result = await run(pipeline, parameterKey, {});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.serving.updates).toEqual([]);
  });

  test('an approval starts the promotion, which deploys the approved version', async () => {
    expect(validateAsl(promotion!)).toEqual([]);
    const result = await run(promotion!, parameterKey, { served: PREVIOUS }, { modelPackageArn: PACKAGE });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain('Promoted');
    expect(result.serving.updates[0].Parameters).toContainEqual({ ParameterKey: parameterKey, ParameterValue: PACKAGE });
  });

  test('a promotion that is rolled back notifies and fails, and the previous version keeps serving', async () => {
    const result = await run(promotion!, parameterKey, { served: PREVIOUS, rollout: ['UPDATE_ROLLBACK_COMPLETE'] }, { modelPackageArn: PACKAGE });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailed');
    expect(result.serving.published).toEqual([expect.objectContaining({ 'model-package': PACKAGE, 'error': 'RolloutRolledBack' })]);
  });

  test('approving the version that already serves changes nothing', async () => {
    const result = await run(promotion!, parameterKey, { served: PACKAGE }, { modelPackageArn: PACKAGE });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.serving.updates).toEqual([]);
  });
});

describe('a run that deploys into a stack whose endpoint serves the version', () => {
  const built = build(PromotionMode.AUTOMATIC, undefined, true);
  const runWith = (fake: FakeServingAccount) => {
    const s: Serving = { served: PREVIOUS, busy: [], rollout: [], updates: [], cancelled: [], published: [], manifests: [] };
    return runStateMachine(built.pipeline, {}, { ...handlers(built.pipeline, built.parameterKey, s), ...fake.handlers() }, { executionName: 'run-1', stateMachineName: 'churn' })
      .then((result) => ({ result, manifests: s.manifests }));
  };

  test('is DEPLOYED once the endpoint runs the configuration the template names', async () => {
    const fake = new FakeServingAccount({ parameterKey: built.parameterKey, served: PREVIOUS, configLogicalId: built.configId });
    const { result, manifests } = await runWith(fake);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain('EndpointServesVersion');
    expect(manifests[0].deployment).toEqual({ outcome: 'DEPLOYED', stackStatus: 'UPDATE_COMPLETE' });
  });

  test('fails as ROLLED_BACK when SageMaker rolled the endpoint back behind an UPDATE_COMPLETE', async () => {
    const fake = new FakeServingAccount({ parameterKey: built.parameterKey, served: PREVIOUS, configLogicalId: built.configId, plan: 'sagemaker-rollback' });
    const { result, manifests } = await runWith(fake);
    expect(result.status).toBe('FAILED');
    expect(fake.published).toEqual([expect.objectContaining({ step: 'Deploy', error: 'SageMakerRolledBack' })]);
    expect(manifests[0]).toMatchObject({ outcome: 'FAILED', deployment: { outcome: 'ROLLED_BACK', stackStatus: 'UPDATE_COMPLETE' } });
  });

  test('the run\'s deploy states use the same retry policy and budgets (busy wait defaults to the rollout timeout)', () => {
    const states = built.pipeline.States;
    for (const name of ['CheckServedModel', 'CheckRollout']) {
      expect(states[name].Retry).toEqual([{
        ErrorEquals: ['CloudFormation.ThrottlingException', 'CloudFormation.CloudFormationException', 'CloudFormation.SdkClientException'],
        IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5,
      }]);
    }
    expect(states.NewModelVersion.Choices.find((c: any) => c.Next === 'StackBusy').And).toContainEqual({ Variable: '$.deployment.poll.busy', NumericGreaterThanEquals: 5 });
    expect(states.RolloutFinished.Choices.find((c: any) => c.Next === 'CancelRollout').And).toContainEqual({ Variable: '$.deployment.stack.status', StringEquals: 'UPDATE_IN_PROGRESS' });
  });
});
