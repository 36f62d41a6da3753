/**
 * The reference stack's first run is one command away: it ships a sample data set (made by the
 * example generator, reproducible), uploads it to the raw zone under the pipeline's input prefix
 * with the lake's key and without the start marker, and names what the README walkthrough uses
 * in its outputs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { MlopsReferenceStack } from '../../bin/reference-stack';
import { ROOT, testApp } from '../helpers/app';
import { nagFindings } from '../helpers/nag';

const DATA = path.join(ROOT, 'examples', 'training', 'data');
const SAMPLE = path.join(DATA, 'sample', 'churn.csv');
const ENV = { account: '123456789012', region: 'us-east-1' };

function referenceStack(): { stack: MlopsReferenceStack; template: Template } {
  const stack = new MlopsReferenceStack(testApp(), 'MlopsReference', { env: ENV });
  return { stack, template: Template.fromStack(stack) };
}

/** The one resource of a type in the template, with its logical id. */
function only(template: Template, type: string): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

/** The BucketDeployment's handler function. */
function uploadFunction(template: Template): any {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('CustomCDKBucketDeployment'));
  expect(found).toHaveLength(1);
  return found[0][1];
}

/**
 * Whether an S3 "Object Created" event for `key` in the bucket `bucketRef` matches an EventBridge
 * pattern of the shapes DataLake writes (exact bucket, key prefix, suffix or one-`*` wildcard).
 */
function matches(pattern: any, bucketRef: unknown, key: string): boolean {
  if (JSON.stringify(pattern.detail.bucket.name) !== JSON.stringify([bucketRef])) return false;
  const keyFilters: any[] | undefined = pattern.detail.object?.key;
  if (!keyFilters) return true;
  return keyFilters.some((f) => {
    if (f.prefix !== undefined) return key.startsWith(f.prefix);
    if (f.suffix !== undefined) return key.endsWith(f.suffix);
    if (f.wildcard !== undefined) {
      const [head, tail] = f.wildcard.split('*');
      return key.startsWith(head) && key.endsWith(tail) && key.length >= head.length + tail.length;
    }
    return f === key;
  });
}

describe('the sample data set', () => {
  test('is what make_dataset.py writes with the documented arguments, byte for byte', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-sample-'));
    try {
      const out = path.join(dir, 'churn.csv');
      const run = spawnSync('python3', [path.join(DATA, 'make_dataset.py'), '--output', out, '--rows', '10000', '--seed', '42'], { encoding: 'utf8' });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(fs.readFileSync(out).equals(fs.readFileSync(SAMPLE))).toBe(true);
      expect(fs.readFileSync(path.join(DATA, 'README.md'), 'utf8')).toContain('make_dataset.py --output examples/training/data/sample/churn.csv --rows 10000 --seed 42');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('is a few hundred KB with the header preprocessing expects: numeric features and a label column', () => {
    const size = fs.statSync(SAMPLE).size;
    expect(size).toBeGreaterThan(100_000);
    expect(size).toBeLessThan(500_000);
    // Python's csv module ends lines with CRLF; preprocess.py reads either.
    const [header] = fs.readFileSync(SAMPLE, 'utf8').split(/\r?\n/, 1);
    expect(header).toBe('tenure_months,monthly_charges,support_calls,usage_gb,contract_years,age,label');
  });

  test('is the only file in the uploaded folder: no start marker travels with it', () => {
    expect(fs.readdirSync(path.dirname(SAMPLE))).toEqual(['churn.csv']);
  });
});

describe('the reference stack uploads the sample', () => {
  const { stack, template } = referenceStack();
  const rawBucket = stack.resolve(stack.dataLake.rawBucket.bucketName);
  const key = stack.resolve(stack.dataLake.encryptionKey.keyId);

  test('to the raw zone under the pipeline\'s input prefix, with the lake key, never pruning or deleting', () => {
    const { resource } = only(template, 'Custom::CDKBucketDeployment');
    expect(resource.Properties).toMatchObject({
      DestinationBucketName: rawBucket,
      DestinationBucketKeyPrefix: 'churn/',
      Prune: false,
      RetainOnDelete: true,
      SystemMetadata: { 'sse': 'aws:kms', 'sse-kms-key-id': key },
    });
  });

  test('comes after the pipeline and the registry, so a failed first create rolls back with an empty raw bucket', () => {
    const { resource } = only(template, 'Custom::CDKBucketDeployment');
    expect(resource.DependsOn).toEqual(expect.arrayContaining([
      stack.getLogicalId(stack.pipeline.stateMachine.node.defaultChild as any),
      stack.getLogicalId(stack.registry.node.defaultChild as any),
    ]));
  });

  test('the upload does not start a run, a later churn/_SUCCESS does', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'))
      .map((r: any) => r.Properties.EventPattern)
      .filter((p: any) => p?.source?.[0] === 'aws.s3');
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter((p) => matches(p, rawBucket, 'churn/churn.csv'))).toEqual([]);
    expect(rules.filter((p) => matches(p, rawBucket, 'churn/_SUCCESS'))).toHaveLength(1);
  });

  test('its role may read the asset and add objects under the prefix only: no delete, no other key', () => {
    const fn = uploadFunction(template);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    expect(policies).toHaveLength(1);
    const statements = (policies[0] as any).Properties.PolicyDocument.Statement;
    const actions = statements.flatMap((s: any) => [s.Action].flat()).sort();
    expect(actions).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(statements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [rawBucket.Ref, 'Arn'] }, '/churn/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [rawBucket.Ref, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['churn/*'] } } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: stack.resolve(stack.dataLake.encryptionKey.keyArn) },
    ]));
    expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] }] }, 0);
  });

  test('its log group expires and leaves with the stack', () => {
    const logGroupId = uploadFunction(template).Properties.LoggingConfig.LogGroup.Ref;
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Delete', Properties: { RetentionInDays: 30 },
    });
  });

  test('outputs name the raw bucket, the state machine, the failure topic, the registry and the endpoint', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.fromEntries(['RawBucketName', 'StateMachineArn', 'FailureTopicArn', 'ModelPackageGroupName', 'EndpointName'].map((name) => [name, outputs[name]?.Value]))).toEqual({
      RawBucketName: rawBucket,
      StateMachineArn: stack.resolve(stack.pipeline.stateMachine.stateMachineArn),
      FailureTopicArn: stack.resolve(stack.pipeline.failureTopic.topicArn),
      ModelPackageGroupName: stack.resolve(stack.registry.modelPackageGroupName),
      EndpointName: stack.resolve(stack.endpoint.endpointName),
    });
    // An output that referenced the endpoint resource would fail the deploy while no model is promoted.
    expect(JSON.stringify(outputs.EndpointName.Value)).not.toContain('Ref');
  });
});

describe('what the reference stack keeps', () => {
  const { template } = referenceStack();
  const resources = Object.entries(template.toJSON().Resources as Record<string, any>);
  const kept = resources.filter(([, r]) => (r.DeletionPolicy ?? 'Delete') !== 'Delete');

  /** Literal names a retained resource would hold on to: `*Name` properties and Glue's DatabaseInput.Name. */
  function staticNames(r: any): string[] {
    const props = r.Properties ?? {};
    const names = Object.entries(props).filter(([k, v]) => k.endsWith('Name') && typeof v === 'string').map(([, v]) => v as string);
    return typeof props.DatabaseInput?.Name === 'string' ? [...names, props.DatabaseInput.Name] : names;
  }

  test('no resource with a fixed name survives a failed first create (plain Retain would block the retry)', () => {
    const blocking = kept.filter(([, r]) => r.DeletionPolicy === 'Retain' && staticNames(r).length > 0).map(([id, r]) => `${id}: ${staticNames(r)}`);
    expect(blocking).toEqual([]);
  });

  test('is what the README lists as left behind by cdk destroy: buckets, keys, the Glue database, the registry, log groups', () => {
    expect([...new Set(kept.map(([, r]) => r.Type))].sort()).toEqual([
      'AWS::Glue::Database', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::S3::Bucket', 'AWS::SageMaker::ModelPackageGroup',
    ]);
    expect(kept.filter(([, r]) => r.Type === 'AWS::S3::Bucket')).toHaveLength(5);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const phrase of ['the five lake buckets', 'KMS key', 'Glue database `mlops_curated`', 'model registry `churn`', 'log groups']) {
      expect(readme).toContain(phrase);
    }
  });
});

describe('the reference stack and cdk-nag', () => {
  test('has no unacknowledged finding in any pack, the sample upload included', () => {
    const app = testApp();
    new MlopsReferenceStack(app, 'MlopsReference', { env: ENV });
    expect(nagFindings(app)).toEqual([]);
  });
});
