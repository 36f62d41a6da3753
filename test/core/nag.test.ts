/**
 * acknowledgeWildcards names each wildcard resource as cdk-nag names it in its finding id; a
 * resource rendered differently leaves the finding unacknowledged. cdk-nag itself is the judge.
 */
import { Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from '../../lib/core/private/nag';
import { testApp } from '../helpers/app';
import { nagFindings } from '../helpers/nag';

describe('acknowledgeWildcards', () => {
  test.each([
    ['a joined ARN of a bucket in the stack', (stack: Stack) => new s3.Bucket(stack, 'Bucket').arnForObjects('runs/*')],
    ['a Fn::Sub', () => Fn.sub('arn:${AWS::Partition}:s3:::my-bucket/${AWS::AccountId}/*')],
    ['an imported value', () => Fn.join('', [Fn.importValue('shared-bucket-arn'), '/*'])],
    ['an import of a joined export name', () => Fn.join('', [Fn.importValue(Fn.join('-', ['shared', Fn.ref('AWS::Region')])), '/*'])],
    ['an attribute', (stack: Stack) => Fn.join('', [new s3.Bucket(stack, 'Other').bucketArn, '/*'])],
  ])('acknowledges the IAM5 finding of %s', (_name, resource) => {
    const app = testApp();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const arn = resource(stack);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [arn] }));
    acknowledgeWildcards(role, { resources: [arn] }, 'Test: one prefix of one bucket.');
    acknowledgeInlinePolicy(role);
    expect(nagFindings(app).filter((f) => f.includes('IAM5') && f.includes('Stack/Role'))).toEqual([]);
  });
});

describe('nagFindings', () => {
  test('runs every pack on an app that a test synthesized already (Template.fromStack caches the assembly)', () => {
    const app = testApp();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
    new s3.Bucket(stack, 'Unencrypted', { encryption: s3.BucketEncryption.UNENCRYPTED });
    Template.fromStack(stack);
    expect(nagFindings(app)).toEqual(expect.arrayContaining([expect.stringMatching(/^AwsSolutions-S10 at Stack\/Unencrypted/)]));
  });
});
