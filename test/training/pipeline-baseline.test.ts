/**
 * The pipeline's drift baseline step: the schema it renders, the function and its least-privilege
 * role (simulated), the states in the synthesized definition run through the ASL interpreter with
 * the real drift-baseline handler over a mocked S3, the baseline in the model package and the run
 * manifest, and the served model's baseline copied to a stable key after a deployment.
 */
import { Readable } from 'stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { templateOf } from '../helpers/app';
import { allStates, AslDefinition, definitionFromTemplate, namedError, runStateMachine, RunResult, TaskHandlers } from '../helpers/asl';
import { decide, resourcePoliciesOf, rolesOf, SimulatedRole } from '../helpers/iam';
import { fakeGetAtt } from '../helpers/template-values';
import { nagFindings } from '../helpers/nag';
import { FakeRunTable, fullPipelineProps, pipelineStack } from '../helpers/pipeline';
import { servingPipelineStack } from '../helpers/serving';
import { FakeServingAccount } from '../serving/fake-serving-account';
import { handler as baselineHandler } from '../../lambda/drift-baseline';
import { buildManifest, ManifestEvent } from '../../lambda/run-manifest/manifest';
import {
  FeatureSchema, FeatureType, MetricSource, MlInstanceType, ModelApprovalStatus, ModelRegistry, PromotionMode,
  RegisterModelPackageTask, SageMakerImage, TrainingDataLayout, TrainingPipelineProps,
} from '../../lib';
import { DataLake } from '../../lib/lake/data-lake';
import { longestRun, retryWait } from '../../lib/training/private/run-budget';

/** The reference stack's features, in the order its endpoint receives them (the sample CSV's header without the label). */
const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];
const CHURN_SCHEMA = FeatureSchema.of(FEATURES.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
  { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER });
const EXECUTION = 'run-2026-12-01';
const PACKAGE = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7';

describe('FeatureSchema', () => {
  test('of() renders the drift core\'s schema, in the given order, and the columns of a header-less split', () => {
    expect(CHURN_SCHEMA._renderEvent()).toEqual({
      schema: { features: FEATURES.map((name) => ({ name, type: 'numeric' })), label: 'label' },
      label: 'label',
      columns: ['label', ...FEATURES],
    });
    const mixed = FeatureSchema.of([{ name: 'plan', featureType: FeatureType.CATEGORICAL }, { name: 'tenure', featureType: FeatureType.NUMERIC }], { prediction: 'score' });
    expect(mixed._renderEvent()).toEqual({
      schema: { features: [{ name: 'plan', type: 'categorical' }, { name: 'tenure', type: 'numeric' }], prediction: 'score' },
      prediction: 'score',
    });
    expect(mixed.layout).toBe(TrainingDataLayout.HEADER_ROW);
  });

  test('infer() names only the label and the prediction; the header names the rest', () => {
    expect(FeatureSchema.infer()._renderEvent()).toEqual({});
    expect(FeatureSchema.infer({ label: 'churned' })._renderEvent()).toEqual({ label: 'churned' });
    expect(FeatureSchema.infer().features).toBeUndefined();
  });

  test('fails on an empty list, repeated or blank names, and a label that is also a feature', () => {
    expect(() => FeatureSchema.of([])).toThrow(/'features' is empty/);
    expect(() => FeatureSchema.of([{ name: 'a', featureType: FeatureType.NUMERIC }, { name: 'a', featureType: FeatureType.CATEGORICAL }]))
      .toThrow(/feature names repeat \('a'\)/);
    expect(() => FeatureSchema.of([{ name: ' a', featureType: FeatureType.NUMERIC }])).toThrow(/without surrounding spaces \(got ' a'\)/);
    expect(() => FeatureSchema.of([{ name: 'label', featureType: FeatureType.NUMERIC }], { label: 'label' }))
      .toThrow(/the label column 'label' is also a feature/);
  });

  test('fails on a header-less layout without a label, or with a prediction column', () => {
    const f = [{ name: 'x', featureType: FeatureType.NUMERIC }];
    expect(() => FeatureSchema.of(f, { layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }))
      .toThrow(/'label' is required with TrainingDataLayout.LABEL_FIRST_NO_HEADER/);
    expect(() => FeatureSchema.of(f, { label: 'y', prediction: 'p', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }))
      .toThrow(/'prediction' needs TrainingDataLayout.HEADER_ROW/);
  });
});

/** A pipeline like the reference stack's: preprocessing, built-in XGBoost, a metric gate, deployed in the run. */
function deployingPipeline(overrides: Partial<TrainingPipelineProps> = {}) {
  let props: TrainingPipelineProps | undefined;
  const built = servingPipelineStack((lake, registry, modelVersion) => props = ({
    ...fullPipelineProps(lake),
    evaluation: undefined,
    registry,
    training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE },
    gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
    deployment: { modelVersion, mode: PromotionMode.AUTOMATIC, pollInterval: Duration.minutes(1), rolloutTimeout: Duration.minutes(5) },
    baseline: { schema: CHURN_SCHEMA },
    ...overrides,
  }));
  const template = templateOf(built.stack);
  const machines = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = definitionFromTemplate(template, machines.find((id) => id.startsWith('PipelineStateMachine')));
  return { ...built, props: props!, template, definition, parameterKey: built.stack.resolve(built.modelVersion.parameterKey) as string };
}

function roleOf(template: Template, prefix: string): SimulatedRole {
  const roles = rolesOf(template.toJSON() as any);
  const id = Object.keys(roles).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no role ${prefix}* in ${Object.keys(roles).join(', ')}`);
  return roles[id];
}

describe('the baseline step in the template', () => {
  const built = deployingPipeline();
  const { template, definition, pipeline } = built;
  const payload = definition.States.ComputeBaseline.Parameters;
  const curated = payload.train.bucket as string;
  const artifacts = payload.output.bucket as string;

  test('runs after preprocessing and before training, with the pipeline\'s failure handling and Lambda retries', () => {
    expect(definition.States.Preprocess.Next).toBe('ComputeBaseline');
    expect(definition.States.ComputeBaseline.Next).toBe('Train');
    expect(definition.States.ComputeBaseline.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ComputeBaselineFailed' }]);
    expect(definition.States.ComputeBaselineFailed.Parameters).toEqual({ status: 'FAILED', step: 'ComputeBaseline' });
    expect(definition.States.ComputeBaseline.Retry).toContainEqual({ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 10, MaxAttempts: 6, BackoffRate: 2 });
    expect(definition.States.ComputeBaseline.TimeoutSeconds).toBe(16 * 60);
  });

  test('passes the schema and the run\'s keys, and keeps only the URI and counts in the state', () => {
    expect(payload).toMatchObject({
      'train': { 'key.$': '$.plan.baselineTrainKey' },
      'output': { 'key.$': '$.plan.baselineKey' },
      'maxCategories': 50,
      'columns': ['label', ...FEATURES],
      'label': 'label',
    });
    expect(curated).toMatch(/^lakecuratedbucket/i);
    expect(artifacts).toMatch(/^lakeartifactsbucket/i);
    expect(definition.States.ComputeBaseline.ResultSelector).toEqual({ 'uri.$': '$.baselineUri', 'rows.$': '$.rows', 'features.$': '$.features', 'problems.$': '$.problems' });
    expect(definition.States.ComputeBaseline.ResultPath).toBe('$.baseline');
    expect(definition.States.PlanRun.Parameters).toMatchObject({
      'baselineTrainKey.$': "States.Format('churn/runs/{}/train/train.csv', $.run.name)",
      'baselineKey.$': "States.Format('churn/runs/{}/baseline/baseline.json', $.run.name)",
    });
  });

  test('the function: the bundled drift-baseline handler, 1024 MB, 15 minutes, traced, encrypted logs, no reserved concurrency', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [id, fn] = Object.entries(functions).find(([k]) => k.startsWith('PipelineBaselineFunction'))!;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler', MemorySize: 1024, Timeout: 900, TracingConfig: { Mode: 'Active' } });
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref;
    expect(template.toJSON().Resources[logGroupId].Properties.KmsKeyId).toBeDefined();
    expect(definition.States.ComputeBaseline.Resource).toContain(id);
    expect(pipeline.baselineFunction).toBeDefined();
  });

  test('the function reads only the run\'s train split and writes only the run\'s baseline (simulated)', async () => {
    const role = roleOf(template, 'PipelineBaselineRole');
    const s3 = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
    expect(await decide(role, 's3:GetObject', s3(curated, 'churn/runs/r1/train/train.csv'))).toBe('Allowed');
    expect(await decide(role, 's3:ListBucket', `arn:aws:s3:::${curated}`, { context: { 's3:prefix': 'churn/runs/r1/train/train.csv' } })).toBe('Allowed');
    expect(await decide(role, 's3:PutObject', s3(artifacts, 'churn/runs/r1/baseline/baseline.json'))).toBe('Allowed');
    for (const [action, arn] of [
      ['s3:GetObject', s3(curated, 'churn/runs/r1/validation/validation.csv')],
      ['s3:GetObject', s3(curated, 'churn/runs/r1/test/test.csv')],
      ['s3:GetObject', s3(artifacts, 'churn/runs/r1/model/model.tar.gz')],
      ['s3:PutObject', s3(artifacts, 'churn/baseline/other.json')],
      ['s3:GetObject', s3(artifacts, 'churn/baseline/current.json')],
      ['s3:PutObject', s3(artifacts, 'churn/runs/r1/manifest.json')],
      ['s3:PutObject', s3(curated, 'churn/runs/r1/train/train.csv')],
      ['s3:DeleteObject', s3(artifacts, 'churn/runs/r1/baseline/baseline.json')],
    ]) {
      expect([action, arn, await decide(role, action, arn)]).toEqual([action, arn, 'ImplicitlyDenied']);
    }
    expect(await decide(role, 's3:ListBucket', `arn:aws:s3:::${curated}`, { context: { 's3:prefix': 'churn/runs/r1/' } })).toBe('ImplicitlyDenied');
    // The lake's key: decrypt the split, make data keys for the baseline; nothing else with it.
    const t = template.toJSON() as any;
    const lakeKey = fakeGetAtt(Object.keys(t.Resources).find((id) => id.startsWith('LakeKey') && t.Resources[id].Type === 'AWS::KMS::Key')!, 'Arn', t);
    // KMS needs the key policy too (it lets the account's IAM policies decide).
    const withKeyPolicy = { resourcePolicies: resourcePoliciesOf(t) };
    expect(await decide(role, 'kms:Decrypt', lakeKey, withKeyPolicy)).toBe('Allowed');
    expect(await decide(role, 'kms:GenerateDataKey', lakeKey, withKeyPolicy)).toBe('Allowed');
    expect(await decide(role, 'kms:Encrypt', lakeKey, withKeyPolicy)).toBe('ImplicitlyDenied');
    expect(await decide(role, 'kms:CreateGrant', lakeKey, withKeyPolicy)).toBe('ImplicitlyDenied');
  });

  test('with an in-run deployment, the function may also copy run baselines to the current key, and the state machine may not (simulated)', async () => {
    const fn = roleOf(template, 'PipelineBaselineRole');
    expect(await decide(fn, 's3:GetObject', `arn:aws:s3:::${artifacts}/churn/runs/r1/baseline/baseline.json`)).toBe('Allowed');
    expect(await decide(fn, 's3:PutObject', `arn:aws:s3:::${artifacts}/churn/baseline/current.json`)).toBe('Allowed');
    const machine = roleOf(template, 'PipelineStateMachineRole');
    expect(await decide(machine, 's3:PutObject', `arn:aws:s3:::${artifacts}/churn/baseline/current.json`)).toBe('ImplicitlyDenied');
    // Without a deployment in the run, nothing may write the current key.
    const { stack } = pipelineStack((lake) => fullPipelineProps(lake));
    const alone = roleOf(templateOf(stack), 'PipelineBaselineRole');
    const aloneArtifacts = definitionFromTemplate(templateOf(stack), Object.keys(templateOf(stack).findResources('AWS::StepFunctions::StateMachine')).find((k) => k.startsWith('PipelineStateMachine')))
      .States.ComputeBaseline.Parameters.output.bucket;
    expect(await decide(alone, 's3:PutObject', `arn:aws:s3:::${aloneArtifacts}/churn/baseline/current.json`)).toBe('ImplicitlyDenied');
    expect(await decide(alone, 's3:PutObject', `arn:aws:s3:::${aloneArtifacts}/churn/runs/r1/baseline/baseline.json`)).toBe('Allowed');
  });

  test('registers the baseline as the version\'s drift-check baseline and in its metadata', () => {
    expect(definition.States.RegisterModel.Parameters).toMatchObject({
      DriftCheckBaselines: { ModelDataQuality: { Statistics: { 'ContentType': 'application/json', 'S3Uri.$': '$.baseline.uri' } } },
      CustomerMetadataProperties: { 'drift-baseline.$': '$.baseline.uri' },
    });
  });

  test('exposes the current baseline key; after the deploy, only a serving model\'s baseline is promoted', () => {
    expect(pipeline.currentBaselineKey).toBe('churn/baseline/current.json');
    expect(definition.States.DeploymentDone.Next).toBe('RunModelServes');
    expect(definition.States.RunModelServes.Choices).toEqual([{
      Or: [{ Variable: '$.deployment.outcome', StringEquals: 'DEPLOYED' }, { Variable: '$.deployment.outcome', StringEquals: 'UNCHANGED' }],
      Next: 'PromoteBaseline',
    }]);
    // The baseline function copies it: S3's CopySource would need URL-encoding that no intrinsic does.
    expect(definition.States.PromoteBaseline).toMatchObject({
      Resource: definition.States.ComputeBaseline.Resource,
      Parameters: { promote: { from: { 'bucket': artifacts, 'key.$': '$.plan.baselineKey' }, to: { bucket: artifacts, key: 'churn/baseline/current.json' } } },
      ResultSelector: { 'uri.$': '$.currentUri' },
      ResultPath: '$.baseline.current',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PromoteBaselineFailed' }],
    });
    expect(definition.States.PromoteBaseline.Retry).toContainEqual({ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 10, MaxAttempts: 6, BackoffRate: 2 });
  });

  test('the copy runs the baseline function under its limit, and the run\'s budget counts it', () => {
    // The function's timeout (15 minutes by default) and a minute for the invoke, as for the baseline step.
    expect(definition.States.PromoteBaseline.TimeoutSeconds).toBe(16 * 60);
    const short = deployingPipeline({ baseline: { schema: CHURN_SCHEMA, timeout: Duration.minutes(5) } }).definition;
    expect([short.States.ComputeBaseline.TimeoutSeconds, short.States.PromoteBaseline.TimeoutSeconds]).toEqual([6 * 60, 6 * 60]);
    // The promotion's copy, after an approval or a rollback, runs the same function under the same limit.
    const servedCopy = (built: ReturnType<typeof deployingPipeline>) => allStates(definitionFromTemplate(built.template,
      built.stack.getLogicalId(built.pipeline.promotion!.stateMachine.node.defaultChild as any))).find(([name]) => name === 'PromoteServedBaseline')![1].TimeoutSeconds;
    expect([servedCopy(deployingPipeline()), servedCopy(deployingPipeline({ baseline: { schema: CHURN_SCHEMA, timeout: Duration.minutes(5) } }))]).toEqual([16 * 60, 6 * 60]);
    // The longest run: a run without the in-run deployment's copy takes less.
    const withCopy = longestRun(deployingPipeline().props).toSeconds();
    const withoutBaseline = longestRun({ ...deployingPipeline().props, baseline: { enabled: false } }).toSeconds();
    expect(withCopy - withoutBaseline).toBe(2 * (15 * 60 + 5 * 60 + retryWait('lambda').toSeconds()));
    // In MANUAL mode (the default) a run neither deploys nor copies: its budget is a run's without deployment.
    const automatic = deployingPipeline().props;
    const manual = { ...automatic, deployment: { ...automatic.deployment!, mode: PromotionMode.MANUAL } };
    const byDefault = { ...automatic.deployment!, mode: undefined };
    expect(longestRun(manual).toSeconds()).toBe(longestRun({ ...automatic, deployment: undefined }).toSeconds());
    expect(longestRun({ ...automatic, deployment: byDefault }).toSeconds()).toBe(longestRun(manual).toSeconds());
    expect(withCopy).toBeGreaterThan(longestRun(manual).toSeconds());
  });

  test('passes every cdk-nag pack with the baseline step and the deploy stage', () => {
    const fresh = deployingPipeline();
    expect(nagFindings(fresh.stack.node.root as any)).toEqual([]);
  });
});

describe('when the pipeline has a baseline step', () => {
  const statesOf = (props: (lake: DataLake) => TrainingPipelineProps) => {
    const { stack, pipeline } = pipelineStack(props);
    const template = templateOf(stack);
    const id = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).find((k) => k.startsWith('PipelineStateMachine'));
    return { states: definitionFromTemplate(template, id).States, pipeline, template };
  };

  test('on by default with preprocessing, with an inferred schema', () => {
    const { states, pipeline } = statesOf((lake) => fullPipelineProps(lake));
    expect(states.ComputeBaseline.Parameters).toEqual({
      'train': { 'bucket': expect.any(String), 'key.$': '$.plan.baselineTrainKey' },
      'output': { 'bucket': expect.any(String), 'key.$': '$.plan.baselineKey' },
      'maxCategories': 50,
    });
    // No deployment in the run: nothing writes a current baseline.
    expect(pipeline.currentBaselineKey).toBeUndefined();
    expect(states.PromoteBaseline).toBeUndefined();
  });

  test('an inferred schema warns at synth that a header-less split fails the run; a given schema does not', () => {
    const inferred = pipelineStack((lake) => fullPipelineProps(lake));
    expect(Annotations.fromStack(inferred.stack).findWarning('*', Match.stringLikeRegexp('baselineSchemaInferred'))).toHaveLength(1);
    const given = pipelineStack((lake) => fullPipelineProps(lake, { baseline: { schema: CHURN_SCHEMA } }));
    expect(Annotations.fromStack(given.stack).findWarning('*', Match.stringLikeRegexp('baselineSchema'))).toEqual([]);
  });

  test('a built-in algorithm without a schema computes no baseline by default (its CSV has no header), and says so', () => {
    const xgboost = (lake: DataLake, baseline?: TrainingPipelineProps['baseline']) => fullPipelineProps(lake, {
      evaluation: undefined,
      training: { image: SageMakerImage.xgboost(), instanceType: MlInstanceType.ML_G5_XLARGE },
      gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
      baseline,
    });
    const off = pipelineStack((lake) => xgboost(lake));
    expect(off.pipeline.baselineFunction).toBeUndefined();
    expect(Annotations.fromStack(off.stack).findWarning('*', Match.stringLikeRegexp('baselineNeedsSchema'))).toHaveLength(1);
    const on = pipelineStack((lake) => xgboost(lake, { schema: CHURN_SCHEMA }));
    expect(on.pipeline.baselineFunction).toBeDefined();
    expect(Annotations.fromStack(on.stack).findWarning('*', Match.stringLikeRegexp('baseline'))).toEqual([]);
    const disabled = pipelineStack((lake) => xgboost(lake, { enabled: false }));
    expect(Annotations.fromStack(disabled.stack).findWarning('*', Match.stringLikeRegexp('baseline'))).toEqual([]);
  });

  test('off by default without preprocessing, and off when disabled', () => {
    const noPrep = statesOf((lake) => fullPipelineProps(lake, { preprocessing: undefined, evaluation: undefined, gate: undefined }));
    expect(noPrep.states.ComputeBaseline).toBeUndefined();
    expect(noPrep.pipeline.baselineFunction).toBeUndefined();
    expect(Object.keys(noPrep.template.findResources('AWS::Lambda::Function')).filter((k) => k.startsWith('PipelineBaseline'))).toEqual([]);
    const disabled = statesOf((lake) => fullPipelineProps(lake, { baseline: { enabled: false } }));
    expect(disabled.states.ComputeBaseline).toBeUndefined();
    expect(disabled.states.RegisterModel.Parameters.DriftCheckBaselines).toBeUndefined();
  });

  test('enabled without preprocessing, it reads the raw zone\'s fixed train split', () => {
    const { states } = statesOf((lake) => fullPipelineProps(lake, {
      preprocessing: undefined, evaluation: undefined, gate: undefined, baseline: { enabled: true, trainingFileName: 'part-0.csv', maxCategories: 20 },
    }));
    expect(states.PlanRun.Parameters.baselineTrainKey).toBe('training-data/train/part-0.csv');
    expect(states.ComputeBaseline.Parameters.train.bucket).toMatch(/^lakerawbucket/i);
    expect(states.ComputeBaseline.Parameters.maxCategories).toBe(20);
    const fresh = pipelineStack((lake) => fullPipelineProps(lake, {
      preprocessing: undefined, evaluation: undefined, gate: undefined, baseline: { enabled: true, trainingFileName: 'part-0.csv' },
    }));
    expect(nagFindings(fresh.stack.node.root as any)).toEqual([]);
  });

  test('deploying only by approval, no current baseline is written by the run', () => {
    const { pipeline, definition } = deployingPipeline({ approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL, deployment: undefined });
    expect(pipeline.currentBaselineKey).toBeUndefined();
    expect(definition.States.PromoteBaseline).toBeUndefined();
    expect(definition.States.ComputeBaseline).toBeDefined();
  });

  test('fails on a file name with a slash, categories out of range and a timeout over 15 minutes, all at once', () => {
    expect(() => pipelineStack((lake) => fullPipelineProps(lake, {
      baseline: { trainingFileName: 'train/part.csv', maxCategories: 0, timeout: Duration.minutes(20) },
    }))).toThrow(/3 problems:[\s\S]*'baseline.trainingFileName' \('train\/part.csv'\)[\s\S]*'baseline.maxCategories' \(0\) must be a whole number from 1 to 10000[\s\S]*'baseline.timeout' \(20 minutes\) must be from 1 to 15 minutes/);
  });
});

describe('RegisterModelPackageTask customer metadata', () => {
  const register = (customerMetadata: Record<string, string>) => {
    const { stack } = pipelineStack();
    const registry = new ModelRegistry(stack, 'Other', { modelPackageGroupName: 'other' });
    return new RegisterModelPackageTask(stack, 'Register', { registry, inferenceImage: SageMakerImage.xgboost(), modelDataUrl: 's3://b/m.tar.gz', customerMetadata });
  };

  test('fails on more than 50 entries, and on keys or values SageMaker rejects', () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(() => register(many)).toThrow(/has 51 entries; SageMaker allows at most 50/);
    expect(() => register({ 'run#1': 'v' })).toThrow(/key 'run#1' of 'Register' must be 1 to 128/);
    expect(() => register({ k: 'x'.repeat(257) })).toThrow(/value of 'k' of 'Register' .* must be 1 to 256/);
  });

  test('JSON paths and S3 URIs pass', () => {
    expect(() => register({ 'uri': 's3://bucket/churn/runs/r-1/baseline/baseline.json', 'execution': sfn.JsonPath.stringAt('$$.Execution.Id') })).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// The run, in the ASL interpreter, with the real handler computing the baseline over a mocked S3.

const s3 = mockClient(S3Client);
let objects: Map<string, string>;

/** The example preprocess.py's train split: label first, no header, shortest float repr. */
function trainSplit(rows: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    lines.push([i % 3 === 0 ? 1 : 0, 1 + (i % 70), (20 + (i * 7.3) % 100).toFixed(2), i % 5, ((i * 13.7) % 90).toFixed(3), i % 3, 18 + (i % 60)].join(','));
  }
  return lines.join('\n') + '\n';
}

beforeEach(() => {
  objects = new Map();
  s3.reset();
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const body = objects.get(`${input.Bucket}/${input.Key}`);
    if (body === undefined) throw namedError('NoSuchKey', `no ${input.Key}`);
    // The SDK's body: a stream with transformToString.
    return { Body: Object.assign(Readable.from([Buffer.from(body)]), { transformToString: async () => body }) };
  });
  s3.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string }) => {
    objects.set(`${input.Bucket}/${input.Key}`, String(input.Body));
    return {};
  });
});

afterAll(() => s3.restore());

interface World {
  manifests: any[];
  registered: any[];
  published: any[];
}

function runHandlers(definition: AslDefinition, world: World, fake?: FakeServingAccount): TaskHandlers {
  return {
    ...(fake ? fake.handlers() : {}),
    ...new FakeRunTable().handlers(),
    'sagemaker:createProcessingJob.sync': (input) => {
      // The split preprocess.py writes into the run's train/ output.
      const uri = input.ProcessingOutputConfig.Outputs.find((o: any) => o.OutputName === 'train').S3Output.S3Uri as string;
      const [bucket, ...key] = uri.replace('s3://', '').split('/');
      objects.set(`${bucket}/${key.join('/')}train.csv`, trainSplit(300));
      return { ...input, ProcessingJobStatus: 'Completed' };
    },
    'sagemaker:createTrainingJob.sync': (input) => ({
      ...input,
      TrainingJobArn: `arn:aws:sagemaker:us-east-1:123456789012:training-job/${input.TrainingJobName}`,
      ModelArtifacts: { S3ModelArtifacts: `${input.OutputDataConfig.S3OutputPath}${input.TrainingJobName}/output/model.tar.gz` },
      FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.93 }],
    }),
    'aws-sdk:sagemaker:createModelPackage': (input) => {
      world.registered.push(input);
      return { ModelPackageArn: PACKAGE };
    },
    'sns:publish': (input) => {
      world.published.push(typeof input.Message === 'string' ? JSON.parse(input.Message) : input.Message);
      return { MessageId: 'm-1' };
    },
    [definition.States.ComputeBaseline.Resource]: (event: any) => baselineHandler(event),
    [definition.States.WriteRunManifest.Resource]: (event: ManifestEvent) => {
      world.manifests.push(buildManifest(event, [], []));
      return { manifestUri: `s3://${event.manifestBucket}/${event.manifestKey}` };
    },
  };
}

async function runPipeline(definition: AslDefinition, fake?: FakeServingAccount, tweak: (h: TaskHandlers) => void = () => {}): Promise<RunResult & { world: World }> {
  const world: World = { manifests: [], registered: [], published: [] };
  const handlers = runHandlers(definition, world, fake);
  tweak(handlers);
  const result = await runStateMachine(definition, { trigger: 'manual' }, handlers, { executionName: EXECUTION, stateMachineName: 'churn' });
  return { ...result, world };
}

describe('a run with the baseline step (ASL interpreter, real drift-baseline handler)', () => {
  const built = deployingPipeline();
  const { definition, parameterKey } = built;
  const artifacts = definition.States.ComputeBaseline.Parameters.output.bucket as string;
  const baselineKey = `churn/runs/${EXECUTION}/baseline/baseline.json`;

  test('computes the baseline of the header-less split by the schema\'s names, registers it, deploys and promotes it', async () => {
    const fake = new FakeServingAccount({ parameterKey, served: 'none' });
    const result = await runPipeline(definition, fake);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.indexOf('ComputeBaseline')).toBeGreaterThan(result.visited.indexOf('Preprocess'));
    expect(result.visited.indexOf('Train')).toBeGreaterThan(result.visited.indexOf('ComputeBaseline'));

    // The baseline: the six features in the endpoint's order, label left out, every row read.
    const baseline = JSON.parse(objects.get(`${artifacts}/${baselineKey}`)!);
    expect(baseline).toMatchObject({ format: 'cdk-mlops/drift-baseline', schemaVersion: 1, rows: 300, label: 'label' });
    expect(baseline.features.map((f: any) => [f.name, f.type])).toEqual(FEATURES.map((n) => [n, 'numeric']));
    expect(baseline.features[0]).toMatchObject({ count: 300, missing: 0, min: 1, max: 70 });

    const uri = `s3://${artifacts}/${baselineKey}`;
    const [registration] = result.world.registered;
    expect(registration.DriftCheckBaselines).toEqual({ ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: uri } } });
    expect(registration.CustomerMetadataProperties['drift-baseline']).toBe(uri);
    expect(registration.CustomerMetadataProperties['drift-baseline'].length).toBeLessThanOrEqual(256);

    // Deployed: the served model's baseline is now the monitor's.
    expect(result.visited).toEqual(expect.arrayContaining(['Deployed', 'RunModelServes', 'PromoteBaseline']));
    expect(objects.get(`${artifacts}/churn/baseline/current.json`)).toBe(objects.get(`${artifacts}/${baselineKey}`));
    expect(result.world.manifests[0]).toMatchObject({
      outcome: 'REGISTERED',
      baseline: { uri, rows: 300, features: 6, skipped: { columnCount: 0, nonNumeric: 0 }, currentUri: `s3://${artifacts}/churn/baseline/current.json` },
    });
  });

  test('a model that already serves (UNCHANGED) gets its baseline made current too', async () => {
    const unchanged = await runPipeline(definition, new FakeServingAccount({ parameterKey, served: PACKAGE }));
    expect(unchanged.status).toBe('SUCCEEDED');
    expect(unchanged.visited).toContain('PromoteBaseline');
    expect(objects.has(`${artifacts}/churn/baseline/current.json`)).toBe(true);
  });

  test('an execution name with \'+\' (which S3 decodes as a space in a CopySource) promotes its own baseline', async () => {
    const fake = new FakeServingAccount({ parameterKey, served: 'none' });
    const world: World = { manifests: [], registered: [], published: [] };
    const result = await runStateMachine(definition, { trigger: 'manual' }, runHandlers(definition, world, fake), { executionName: 'retrain+1', stateMachineName: 'churn' });
    expect(result.status).toBe('SUCCEEDED');
    expect(objects.get(`${artifacts}/churn/baseline/current.json`)).toBe(objects.get(`${artifacts}/churn/runs/retrain+1/baseline/baseline.json`));
  });

  test('a split the schema does not fit fails the run before training, with a notification and the manifest', async () => {
    const result = await runPipeline(definition, new FakeServingAccount({ parameterKey, served: 'none' }), (h) => {
      const prep = h['sagemaker:createProcessingJob.sync'];
      h['sagemaker:createProcessingJob.sync'] = (input, state) => {
        const answer = prep(input, state);
        // Five feature columns instead of six: every row has the wrong width.
        for (const key of [...objects.keys()].filter((k) => k.endsWith('/train/train.csv'))) objects.set(key, '1,2,3,4,5,6\n0,1,2,3,4,5\n');
        return answer;
      };
    });
    expect(result.status).toBe('FAILED');
    expect(result.visited).not.toContain('Train');
    expect(result.world.published).toEqual([expect.objectContaining({
      step: 'ComputeBaseline',
      cause: expect.stringMatching(/2 rows have another number of columns than its header \(or the schema's columns\) names and only 0 fit; make the baseline's FeatureSchema/),
    })]);
    expect(result.world.manifests[0]).toMatchObject({ outcome: 'FAILED', failure: { step: 'ComputeBaseline' } });
    expect(result.visited).not.toContain('PromoteBaseline');
  });

  test('a failed copy fails the run after the deploy, so someone learns the monitor has an old baseline', async () => {
    s3.on(PutObjectCommand, { Key: 'churn/baseline/current.json' }).rejects(namedError('AccessDenied', 'Access Denied'));
    const result = await runPipeline(definition, new FakeServingAccount({ parameterKey, served: 'none' }));
    expect(result.status).toBe('FAILED');
    expect(result.world.published).toEqual([expect.objectContaining({ step: 'PromoteBaseline', cause: expect.stringContaining('Access Denied') })]);
    expect(objects.has(`${artifacts}/churn/baseline/current.json`)).toBe(false);
    expect(result.world.manifests[0]).toMatchObject({ outcome: 'FAILED', deployment: { outcome: 'DEPLOYED' } });
  });
});

describe('the drift-baseline handler on splits', () => {
  test('an inferred schema on a header-less split fails with the fix, instead of naming features after the first row', async () => {
    objects.set('curated/train.csv', trainSplit(10));
    await expect(baselineHandler({ train: { bucket: 'curated', key: 'train.csv' }, output: { bucket: 'artifacts', key: 'b.json' } }))
      .rejects.toThrow(/the first line of s3:\/\/curated\/train.csv is all numbers, so it is data, not a header row: give the baseline a FeatureSchema/);
    expect(objects.has('artifacts/b.json')).toBe(false);
  });

  test('a split with a header and an inferred schema leaves the label out', async () => {
    objects.set('curated/train.csv', `${['label', ...FEATURES].join(',')}\n${trainSplit(120)}`);
    const out = await baselineHandler({ train: { bucket: 'curated', key: 'train.csv' }, output: { bucket: 'artifacts', key: 'b.json' }, label: 'label' });
    expect(out).toEqual({ baselineUri: 's3://artifacts/b.json', rows: 120, features: 6, problems: { columnCount: 0, nonNumeric: 0 } });
    expect(JSON.parse(objects.get('artifacts/b.json')!).features.map((f: any) => f.name)).toEqual(FEATURES);
  });

  test('promoting checks the source is a baseline before it becomes current', async () => {
    objects.set('artifacts/runs/r1/baseline/baseline.json', '{"format":"something-else"}');
    await expect(baselineHandler({ promote: { from: { bucket: 'artifacts', key: 'runs/r1/baseline/baseline.json' }, to: { bucket: 'artifacts', key: 'current.json' } } }))
      .rejects.toThrow(/s3:\/\/artifacts\/runs\/r1\/baseline\/baseline.json/);
    expect(objects.has('artifacts/current.json')).toBe(false);
  });

  test('a split with a header row, read as header-less, fails with the fix', async () => {
    objects.set('curated/train.csv', `${['label', ...FEATURES].join(',')}\r\n${trainSplit(10)}`);
    await expect(baselineHandler({ ...CHURN_SCHEMA._renderEvent(), train: { bucket: 'curated', key: 'train.csv' }, output: { bucket: 'artifacts', key: 'b.json' } }))
      .rejects.toThrow(/names the columns, but the schema says the split has no header row: use TrainingDataLayout.HEADER_ROW/);
  });

  test('column names with commas are quoted in the header it reads', async () => {
    objects.set('curated/train.csv', '1,2.5\n0,3.5\n');
    await baselineHandler({ train: { bucket: 'curated', key: 'train.csv' }, output: { bucket: 'artifacts', key: 'b.json' }, columns: ['y', 'a,b'], label: 'y' });
    expect(JSON.parse(objects.get('artifacts/b.json')!).features.map((f: any) => f.name)).toEqual(['a,b']);
  });
});
