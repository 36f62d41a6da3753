import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Read access to the objects of `bucket` whose keys match `keyPattern`, and listing of those keys
 * only: unlike CDK's `bucket.grantRead`, `s3:ListBucket` carries an `s3:prefix` condition, so the
 * grantee cannot list the rest of the bucket. SageMaker lists an S3Prefix input with its prefix.
 * Decryption with `key` (default: the bucket's) is granted too.
 */
export function grantObjectRead(grantee: iam.IGrantable, bucket: s3.IBucket, keyPattern: string, key: kms.IKey | undefined = bucket.encryptionKey): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject*'], resourceArns: [bucket.arnForObjects(keyPattern)] });
  iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation'], resourceArns: [bucket.bucketArn] });
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: keyPattern === '*' ? undefined : { StringLike: { 's3:prefix': [keyPattern] } },
  }));
  key?.grantDecrypt(grantee);
  return grant;
}
