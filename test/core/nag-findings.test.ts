/**
 * NagFindings, the public way to acknowledge cdk-nag findings on a user's own constructs: cdk-nag's
 * packs, run as CDK validation plugins, are the judge of what is acknowledged; bad input fails at
 * synth, naming the argument, the value and the fix.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagFindings } from '../../lib';
import { testApp } from '../helpers/app';
import { nagFindings } from '../helpers/nag';

const REPLICATION = ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled'];

function stackWithRole() {
  const app = testApp();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject*'], resources: [bucket.arnForObjects('runs/*')] }));
  return { app, stack, bucket, role };
}

const on = (findings: string[], path: string, rule: string) => findings.filter((f) => f.startsWith(rule) && f.includes(path));

describe('NagFindings', () => {
  test('acknowledge: the named findings on the construct pass every pack, the others stay', () => {
    const { app, stack, bucket } = stackWithRole();
    new s3.Bucket(stack, 'Other', { enforceSSL: true });
    NagFindings.acknowledge(bucket, REPLICATION, 'Test: the data is rebuilt from its source.');
    const findings = nagFindings(app);
    for (const rule of REPLICATION) {
      expect(on(findings, 'Stack/Bucket/', rule)).toEqual([]);
      expect(on(findings, 'Stack/Other/', rule)).toHaveLength(1);
    }
    // not acknowledged: still reported
    expect(on(findings, 'Stack/Bucket/', 'NIST.800.53.R5-S3BucketLoggingEnabled')).toHaveLength(1);
  });

  test('acknowledgeWildcards: each wildcard action and resource by its own finding; another wildcard still fails', () => {
    const { app, bucket, role } = stackWithRole();
    NagFindings.acknowledgeWildcards(role, { actions: ['s3:GetObject*'], resources: [bucket.arnForObjects('runs/*')] }, 'Test: one prefix of one bucket.');
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('other/*')] }));
    const iam5 = on(nagFindings(app), 'Stack/Role', 'AwsSolutions-IAM5');
    expect(iam5).toHaveLength(1);
    expect(iam5[0]).toContain('other/*');
  });

  test.each([
    [[], 'Test.', /'rules' is empty; name each finding to acknowledge, e\.g\. 'AwsSolutions-IAM4'/],
    [['IAM4'], 'Test.', /'rules' has 'IAM4', which is not a rule id as cdk-nag reports it; use the pack's prefix, a dash and the rule/],
    [['AwsSolutions-IAM4'], '  ', /'reason' is empty; say why the finding does not apply here/],
  ])('acknowledge(%j, %j) fails at synth, naming what to fix', (rules, reason, message) => {
    const { bucket } = stackWithRole();
    expect(() => NagFindings.acknowledge(bucket, rules, reason)).toThrow(message);
  });

  test('acknowledgeInlinePolicy: the three inline-policy rules on the role pass, and an empty reason fails', () => {
    const { app, stack, role } = stackWithRole();
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    other.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }));
    NagFindings.acknowledgeInlinePolicy(role, 'Test: generated from one grant.');
    const findings = nagFindings(app);
    for (const rule of ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy', 'PCI.DSS.321-IAMNoInlinePolicy']) {
      expect(on(findings, 'Stack/Role/', rule)).toEqual([]);
      expect(on(findings, 'Stack/Other/', rule)).toHaveLength(1);
    }
    expect(() => NagFindings.acknowledgeInlinePolicy(role, ' ')).toThrow(/'reason' is empty; say why the inline policy is right here/);
  });

  test('acknowledgeWildcards with nothing to acknowledge, or no reason, fails naming what to fix', () => {
    const { role } = stackWithRole();
    expect(() => NagFindings.acknowledgeWildcards(role, {}, 'Test.')).toThrow(/'wildcards' names no action and no resource/);
    expect(() => NagFindings.acknowledgeWildcards(role, { actions: ['s3:GetObject*'] }, '')).toThrow(/'reason' is empty; say why the wildcards are needed/);
  });
});
