import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { templateOf, testStack } from '../helpers/app';
import { expectNagClean } from '../helpers/nag';
import { DataLake, DataLakeProps, DataZone } from '../../lib';

const ZONE_IDS = ['RawBucket', 'CuratedBucket', 'ArtifactsBucket', 'CaptureBucket'];

function lakeStack(props: DataLakeProps = {}): { stack: Stack; lake: DataLake } {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake', props);
  return { stack, lake };
}

/** The logical id of the construct `Lake/<id>/Resource`. */
function logicalId(stack: Stack, lake: DataLake, id: string): string {
  return stack.getLogicalId(lake.node.findChild(id).node.defaultChild as any);
}

describe('DataLake defaults', () => {
  const { stack, lake } = lakeStack();
  const template = templateOf(stack);

  test('creates four zone buckets and an access-log bucket, and one rotating key', () => {
    template.resourceCountIs('AWS::S3::Bucket', 5);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test.each(ZONE_IDS)('%s is KMS-encrypted with the lake key, versioned, private and logged', (id) => {
    const bucket = template.toJSON().Resources[logicalId(stack, lake, id)];
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack, lake, 'Key'), 'Arn'] },
          },
        }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logicalId(stack, lake, 'AccessLogsBucket') },
        LogFilePrefix: `${id.replace('Bucket', '').toLowerCase()}/`,
      },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    // Kept on delete and replacement; removed only when the create that made it rolls back.
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
  });

  test('the key is retained too, except by a rolled-back create', () => {
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  test.each(['RawBucket', 'CuratedBucket', 'ArtifactsBucket'])('%s keeps current objects in S3 Standard (every run re-reads them); noncurrent versions go to Standard-IA at 30 days and expire at 90', (id) => {
    const rules = template.toJSON().Resources[logicalId(stack, lake, id)].Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([{
      Id: 'tiering-and-noncurrent-versions',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      NoncurrentVersionTransitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
    }]);
  });

  test('captured inference data tiers to Standard-IA at 30 days and Glacier IR at 180, and is kept', () => {
    const rules = template.toJSON().Resources[logicalId(stack, lake, 'CaptureBucket')].Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([{
      Id: 'tiering-and-noncurrent-versions',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      NoncurrentVersionTransitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
      Transitions: [
        { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
        { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
      ],
    }]);
  });

  test('access logs expire after 365 days, their noncurrent versions after 90, then their delete markers', () => {
    const rules = template.toJSON().Resources[logicalId(stack, lake, 'AccessLogsBucket')].Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([
      { Id: 'expire-old-logs', Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 90 } },
      { Id: 'remove-expired-delete-markers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
    ]);
  });

  test('no zone expires current objects by default', () => {
    for (const id of ZONE_IDS) {
      const rules = template.toJSON().Resources[logicalId(stack, lake, id)].Properties.LifecycleConfiguration.Rules;
      expect(rules[0].ExpirationInDays).toBeUndefined();
    }
  });

  test('every bucket denies plain HTTP and TLS older than 1.2', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(5);
    for (const policy of Object.values(policies)) {
      const statements = (policy as any).Properties.PolicyDocument.Statement;
      expect(statements).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]));
    }
  });

  test('the access-log bucket accepts logs only from the lake buckets, each under its own prefix', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack, lake, 'AccessLogsBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'ServerAccessLogsFromRaw',
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack, lake, 'RawBucket'), 'Arn'] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        })]),
      },
    });
  });

  test('the access-log bucket uses SSE-S3, the only encryption S3 log delivery supports', () => {
    const bucket = template.toJSON().Resources[logicalId(stack, lake, 'AccessLogsBucket')];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault)
      .toEqual({ SSEAlgorithm: 'AES256' });
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  test('deploys no custom resource, Lambda function or Glue database', () => {
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    template.resourceCountIs('AWS::Glue::Database', 0);
  });

  test('bucketFor returns the bucket of each zone', () => {
    expect(lake.bucketFor(DataZone.RAW)).toBe(lake.rawBucket);
    expect(lake.bucketFor(DataZone.CURATED)).toBe(lake.curatedBucket);
    expect(lake.bucketFor(DataZone.ARTIFACTS)).toBe(lake.artifactsBucket);
    expect(lake.bucketFor(DataZone.CAPTURE)).toBe(lake.captureBucket);
    expect(lake.glueDatabaseName).toBeUndefined();
  });
});

describe('DataLake options', () => {
  test('uses a key passed in instead of creating one', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    const lake = new DataLake(stack, 'Lake', { encryptionKey: key });
    const template = templateOf(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(lake.encryptionKey).toBe(key);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [Match.objectLike({
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as any), 'Arn'] } },
        })],
      },
    });
  });

  test('names the buckets from bucketNamePrefix', () => {
    const { stack } = lakeStack({ bucketNamePrefix: 'acme-ml-123456789012' });
    const names = Object.values(templateOf(stack).findResources('AWS::S3::Bucket')).map((b: any) => b.Properties.BucketName).sort();
    expect(names).toEqual([
      'acme-ml-123456789012-access-logs',
      'acme-ml-123456789012-artifacts',
      'acme-ml-123456789012-capture',
      'acme-ml-123456789012-curated',
      'acme-ml-123456789012-raw',
    ]);
  });

  test('a sandbox opts in to DESTROY with autoDeleteObjects', () => {
    const { stack } = lakeStack({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    const template = templateOf(stack);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect((bucket as any).DeletionPolicy).toBe('Delete');
    }
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 5);
  });

  test('RETAIN keeps even what a failed first create made', () => {
    const { stack } = lakeStack({ removalPolicy: RemovalPolicy.RETAIN, glueDatabaseName: 'features' });
    const template = templateOf(stack);
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Glue::Database']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect((resource as any).DeletionPolicy).toBe('Retain');
      }
    }
  });

  test('DESTROY without autoDeleteObjects deletes empty buckets only', () => {
    const { stack } = lakeStack({ removalPolicy: RemovalPolicy.DESTROY });
    const template = templateOf(stack);
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('applyRemovalPolicy changes every bucket, the key and the Glue database', () => {
    const { stack, lake } = lakeStack({ glueDatabaseName: 'features' });
    lake.applyRemovalPolicy(RemovalPolicy.DESTROY);
    const template = templateOf(stack);
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Glue::Database']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect((resource as any).DeletionPolicy).toBe('Delete');
      }
    }
  });

  test('custom lifecycle durations reach every zone', () => {
    const { stack, lake } = lakeStack({
      noncurrentVersionExpiration: Duration.days(7),
      infrequentAccessTransitionAfter: Duration.days(60),
      archiveTransitionAfter: Duration.days(365),
    });
    const rules = templateOf(stack).toJSON().Resources[logicalId(stack, lake, 'CuratedBucket')].Properties.LifecycleConfiguration.Rules;
    expect(rules[0]).toMatchObject({
      NoncurrentVersionExpiration: { NoncurrentDays: 7 },
      Transitions: [
        { StorageClass: 'STANDARD_IA', TransitionInDays: 60 },
        { StorageClass: 'GLACIER_IR', TransitionInDays: 365 },
      ],
    });
  });

  test('transitions of current objects in the raw, curated and artifacts zones are opt-in, and leave capture alone', () => {
    const { stack, lake } = lakeStack({ infrequentAccessTransitionAfter: Duration.days(30) });
    const resources = templateOf(stack).toJSON().Resources;
    for (const id of ['RawBucket', 'CuratedBucket', 'ArtifactsBucket']) {
      expect(resources[logicalId(stack, lake, id)].Properties.LifecycleConfiguration.Rules[0].Transitions)
        .toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }]);
    }
    expect(resources[logicalId(stack, lake, 'CaptureBucket')].Properties.LifecycleConfiguration.Rules[0].Transitions).toHaveLength(2);
  });

  test('an archive transition alone moves current objects straight to Glacier IR', () => {
    const { stack, lake } = lakeStack({ archiveTransitionAfter: Duration.days(90) });
    const rules = templateOf(stack).toJSON().Resources[logicalId(stack, lake, 'RawBucket')].Properties.LifecycleConfiguration.Rules;
    expect(rules[0].Transitions).toEqual([{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }]);
  });

  test('capture tiering and the access-log expiration take their props', () => {
    const { stack, lake } = lakeStack({
      captureInfrequentAccessTransitionAfter: Duration.days(45),
      captureArchiveTransitionAfter: Duration.days(400),
      accessLogsExpiration: Duration.days(90),
    });
    const resources = templateOf(stack).toJSON().Resources;
    expect(resources[logicalId(stack, lake, 'CaptureBucket')].Properties.LifecycleConfiguration.Rules[0].Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 45 },
      { StorageClass: 'GLACIER_IR', TransitionInDays: 400 },
    ]);
    expect(resources[logicalId(stack, lake, 'AccessLogsBucket')].Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(90);
  });

  test('noncurrent versions skip Standard-IA when they expire less than 30 days after the transition', () => {
    const short = lakeStack({ noncurrentVersionExpiration: Duration.days(59) });
    const shortRule = templateOf(short.stack).toJSON().Resources[logicalId(short.stack, short.lake, 'RawBucket')].Properties.LifecycleConfiguration.Rules[0];
    expect(shortRule.NoncurrentVersionTransitions).toBeUndefined();
    expect(shortRule.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 59 });
    const long = lakeStack({ noncurrentVersionExpiration: Duration.days(60) });
    const longRule = templateOf(long.stack).toJSON().Resources[logicalId(long.stack, long.lake, 'RawBucket')].Properties.LifecycleConfiguration.Rules[0];
    expect(longRule.NoncurrentVersionTransitions).toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }]);
  });

  test('noncurrentVersionTransitionAfter moves the transition', () => {
    const { stack, lake } = lakeStack({ noncurrentVersionTransitionAfter: Duration.days(45), noncurrentVersionExpiration: Duration.days(365) });
    const rule = templateOf(stack).toJSON().Resources[logicalId(stack, lake, 'CuratedBucket')].Properties.LifecycleConfiguration.Rules[0];
    expect(rule.NoncurrentVersionTransitions).toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 45 }]);
  });

  test('captureExpiration expires only the capture zone, keeping transitions that come before it', () => {
    const { stack, lake } = lakeStack({ captureExpiration: Duration.days(90) });
    const resources = templateOf(stack).toJSON().Resources;
    const capture = resources[logicalId(stack, lake, 'CaptureBucket')].Properties.LifecycleConfiguration.Rules[0];
    expect(capture.ExpirationInDays).toBe(90);
    expect(capture.Transitions).toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }]);
    const raw = resources[logicalId(stack, lake, 'RawBucket')].Properties.LifecycleConfiguration.Rules[0];
    expect(raw.ExpirationInDays).toBeUndefined();
  });

  test('eventBridgeEnabled: false leaves notifications off', () => {
    const { stack } = lakeStack({ eventBridgeEnabled: false });
    for (const bucket of Object.values(templateOf(stack).findResources('AWS::S3::Bucket'))) {
      expect((bucket as any).Properties.NotificationConfiguration).toBeUndefined();
    }
  });

  test('glueDatabaseName creates a Glue database located in the curated zone', () => {
    const { stack, lake } = lakeStack({ glueDatabaseName: 'ml_features' });
    const template = templateOf(stack);
    template.hasResource('AWS::Glue::Database', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        CatalogId: { Ref: 'AWS::AccountId' },
        // The primary identifier, which --import-existing-resources needs to adopt a retained database.
        DatabaseName: 'ml_features',
        DatabaseInput: Match.objectLike({
          Name: 'ml_features',
          LocationUri: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(stack, lake, 'CuratedBucket') }]] },
        }),
      },
    });
    expect(lake.glueDatabaseName).toBe('ml_features');
  });
});

describe('DataLake grants', () => {
  function policyStatements(stack: Stack): any[] {
    return Object.values(templateOf(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  }

  test('grantRead covers one zone and decryption with the lake key', () => {
    const { stack, lake } = lakeStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    lake.grantRead(role, DataZone.CURATED, 'features/*');
    const statements = policyStatements(stack);
    const curated = logicalId(stack, lake, 'CuratedBucket');
    const bucket = { 'Fn::GetAtt': [curated, 'Arn'] };
    // Listing is limited to the granted keys: CDK's grantRead would list the whole bucket (s3:List* unconditioned).
    expect(statements).toEqual([
      { Action: 's3:GetObject*', Effect: 'Allow', Resource: { 'Fn::Join': ['', [bucket, '/features/*']] } },
      { Action: 's3:GetBucketLocation', Effect: 'Allow', Resource: bucket },
      { Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['features/*'] } }, Effect: 'Allow', Resource: bucket },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(stack, lake, 'Key'), 'Arn'] } },
    ]);
    expect(JSON.stringify(statements)).not.toContain(logicalId(stack, lake, 'RawBucket'));
    expect(JSON.stringify(statements)).not.toContain('s3:PutObject');
  });

  test('grantRead of the whole zone lists the whole bucket', () => {
    const { stack, lake } = lakeStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    lake.grantRead(role, DataZone.CURATED);
    const listing = policyStatements(stack).filter((st) => [st.Action].flat().includes('s3:ListBucket'));
    expect(listing).toEqual([expect.objectContaining({ Resource: { 'Fn::GetAtt': [logicalId(stack, lake, 'CuratedBucket'), 'Arn'] } })]);
    expect(listing[0].Condition).toBeUndefined();
  });

  test('grantWrite covers encryption with the lake key, and neither reads nor deletes', () => {
    const { stack, lake } = lakeStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    lake.grantWrite(role, DataZone.ARTIFACTS);
    const text = JSON.stringify(policyStatements(stack));
    expect(text).toContain('s3:PutObject');
    expect(text).toContain('kms:GenerateDataKey*');
    expect(text).not.toContain('s3:GetObject*');
    expect(text).not.toContain('s3:DeleteObject');
    expect(text).toContain(logicalId(stack, lake, 'ArtifactsBucket'));
  });

  test('grantReadWrite covers both, still without deletes', () => {
    const { stack, lake } = lakeStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    lake.grantReadWrite(role, DataZone.RAW);
    const text = JSON.stringify(policyStatements(stack));
    expect(text).toContain('s3:GetObject*');
    expect(text).toContain('s3:PutObject');
    expect(text).not.toContain('s3:DeleteObject');
    expect(text).toContain('kms:Decrypt');
    expect(text).toContain(logicalId(stack, lake, 'RawBucket'));
  });
});

describe('DataLake events', () => {
  test('onObjectCreated matches new objects of a zone under a prefix and sends them to the target', () => {
    const { stack, lake } = lakeStack();
    const queue = new sqs.Queue(stack, 'Queue');
    lake.onObjectCreated('NewData', { zone: DataZone.RAW, prefix: 'incoming/', target: new targets.SqsQueue(queue) });
    templateOf(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': {
          bucket: { name: [{ Ref: logicalId(stack, lake, 'RawBucket') }] },
          object: { key: [{ prefix: 'incoming/' }] },
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(queue.node.defaultChild as any), 'Arn'] } })],
    });
  });

  test('onObjectCreated defaults to every new object of the raw zone', () => {
    const { stack, lake } = lakeStack();
    lake.onObjectCreated('NewData');
    const rule = Object.values(templateOf(stack).findResources('AWS::Events::Rule'))[0] as any;
    expect(rule.Properties.EventPattern.detail).toEqual({ bucket: { name: [{ Ref: logicalId(stack, lake, 'RawBucket') }] } });
  });
});

describe('DataLake.fromDataLakeAttributes', () => {
  test('imports the buckets and key, and grants on them', () => {
    const stack = testStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', {
      rawBucketName: 'corp-raw', curatedBucketName: 'corp-curated', artifactsBucketName: 'corp-artifacts',
      captureBucketName: 'corp-capture', encryptionKey: key,
    });
    expect(lake.bucketFor(DataZone.CAPTURE).bucketName).toBe('corp-capture');
    expect(lake.encryptionKey).toBe(key);
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    lake.grantRead(role, DataZone.RAW);
    lake.onObjectCreated('NewData', { prefix: 'x/' });
    const template = templateOf(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    const text = JSON.stringify(template.toJSON());
    expect(text).toContain(':s3:::corp-raw/*');
    expect(text).toContain('key/1234abcd-12ab-34cd-56ef-1234567890ab');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { bucket: { name: ['corp-raw'] }, object: { key: [{ prefix: 'x/' }] } } }),
    });
  });
});

describe('DataLake.fromDataLakeAttributes without a key', () => {
  test('fails with the attribute, the lake and the fix, not a TypeError', () => {
    const stack = testStack();
    const attrs: any = { rawBucketName: 'corp-raw', curatedBucketName: 'corp-curated', artifactsBucketName: 'corp-artifacts', captureBucketName: 'corp-capture' };
    expect(() => DataLake.fromDataLakeAttributes(stack, 'Corp', attrs))
      .toThrow(/^'encryptionKey' is missing from the attributes of the imported data lake 'Corp'.*kms\.Key\.fromKeyArn/);
  });
});

describe('cdk-nag acknowledgements say what is true for the lake', () => {
  /** Reasons acknowledged on the lake's buckets for the replication rule, by bucket construct id. */
  function replicationReasons(lake: DataLake): Record<string, string> {
    return Object.fromEntries(lake.node.findAll().flatMap((c) => c.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .map((m) => [c.node.id, (m.data as Record<string, string>)['NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled']])
      .filter(([, reason]) => reason !== undefined)));
  }

  test('a retained lake: versioning and retention protect the data', () => {
    const { lake } = lakeStack();
    const reasons = replicationReasons(lake);
    expect(Object.keys(reasons).sort()).toEqual(['AccessLogsBucket', ...ZONE_IDS].sort());
    expect(reasons.RawBucket).toBe('Versioning and a retained bucket protect the data against deletion; cross-region replication is a disaster-recovery choice for the account owner.');
  });

  test('a sandbox lake: no claim that anything is retained', () => {
    const { lake } = lakeStack({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    const reasons = Object.values(replicationReasons(lake));
    expect(reasons).toHaveLength(5);
    for (const reason of reasons) {
      expect(reason).toMatch(/^A sandbox lake \(removalPolicy DESTROY\) deletes its (data|access logs) with the stack/);
      expect(reason).not.toMatch(/retain/i);
    }
  });
});

describe('DataLake passes every cdk-nag pack', () => {
  test('with defaults', () => {
    const stack = testStack();
    new DataLake(stack, 'Lake', { glueDatabaseName: 'features' });
    expectNagClean(stack.node.root as any);
  });

  test('as a sandbox that deletes its data', () => {
    const stack = testStack();
    new DataLake(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    expectNagClean(stack.node.root as any);
  });
});

describe('DataLake rejects bad input at synth', () => {
  test.each<[string, DataLakeProps, RegExp]>([
    ['fails on an uppercase bucketNamePrefix', { bucketNamePrefix: 'Acme-ML' }, /'bucketNamePrefix' \('Acme-ML'\) may only hold lowercase letters/],
    ['fails on a bucketNamePrefix with dots', { bucketNamePrefix: 'acme.ml' }, /'bucketNamePrefix' \('acme.ml'\) may only hold/],
    ['fails on a bucketNamePrefix ending in a hyphen', { bucketNamePrefix: 'acme-' }, /must start and end with a letter or digit/],
    ['fails on a bucketNamePrefix too long for the longest bucket name', { bucketNamePrefix: 'a'.repeat(52) }, /is 52 characters; at most 51 fit/],
    ['fails on a reserved bucketNamePrefix', { bucketNamePrefix: 'xn--lake' }, /starts with a prefix S3 reserves/],
    ['fails on a Glue database name with hyphens', { glueDatabaseName: 'ml-features' }, /'glueDatabaseName' \('ml-features'\).*use e.g. 'ml_features'/],
    ['fails on autoDeleteObjects without DESTROY', { autoDeleteObjects: true }, /'autoDeleteObjects' \(true\) requires 'removalPolicy: RemovalPolicy.DESTROY' \(got retain-on-update-or-delete\)/],
    ['fails on a removal policy buckets do not support', { removalPolicy: RemovalPolicy.SNAPSHOT }, /'removalPolicy' \(snapshot\) does not apply to S3 buckets/],
    ['fails on a noncurrent version expiration of part of a day', { noncurrentVersionExpiration: Duration.hours(36) }, /'noncurrentVersionExpiration' \(1 day 12 hours\) must be a whole number of days; use Duration.days\(2\)/],
    ['fails on a zero noncurrent version expiration', { noncurrentVersionExpiration: Duration.days(0) }, /'noncurrentVersionExpiration' \(0 days\) must be at least 1 day/],
    ['fails on a Standard-IA transition before 30 days', { infrequentAccessTransitionAfter: Duration.days(7) }, /'infrequentAccessTransitionAfter' \(7 days\) must be at least 30 days/],
    ['fails on an archive transition too close to Standard-IA', { infrequentAccessTransitionAfter: Duration.days(30), archiveTransitionAfter: Duration.days(45) }, /'archiveTransitionAfter' \(45 days\) must be at least 30 days after 'infrequentAccessTransitionAfter' \(30 days\).*Duration.days\(60\)/],
    ['fails on a capture archive transition too close to its Standard-IA transition', { captureArchiveTransitionAfter: Duration.days(50) }, /'captureArchiveTransitionAfter' \(50 days\) must be at least 30 days after 'captureInfrequentAccessTransitionAfter' \(30 days\).*Duration.days\(60\)/],
    ['fails on a capture Standard-IA transition before 30 days', { captureInfrequentAccessTransitionAfter: Duration.days(14) }, /'captureInfrequentAccessTransitionAfter' \(14 days\) must be at least 30 days/],
    ['fails on a noncurrent version transition before 30 days', { noncurrentVersionTransitionAfter: Duration.days(7) }, /'noncurrentVersionTransitionAfter' \(7 days\) must be at least 30 days/],
    ['fails on an access-log expiration of part of a day', { accessLogsExpiration: Duration.hours(12) }, /'accessLogsExpiration' \(12 hours\) must be a whole number of days/],
    ['fails on a capture expiration under a day', { captureExpiration: Duration.hours(12) }, /'captureExpiration' \(12 hours\) must be a whole number of days/],
  ])('%s', (_name, props, message) => {
    expect(() => lakeStack(props)).toThrow(message);
  });

  test('fails with every problem listed at once', () => {
    expect(() => lakeStack({ bucketNamePrefix: 'BAD', autoDeleteObjects: true, infrequentAccessTransitionAfter: Duration.days(1) }))
      .toThrow(/3 problems:\n- 'bucketNamePrefix'.*\n- 'autoDeleteObjects'.*\n- 'infrequentAccessTransitionAfter'/);
  });

  test('skips checks on values only known at deploy time', () => {
    const stack = testStack();
    const prefix = new CfnParameter(stack, 'Prefix').valueAsString;
    expect(() => new DataLake(stack, 'Lake', { bucketNamePrefix: prefix })).not.toThrow();
  });
});
