import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * Lets a role publish to a topic and use the topic's KMS key for it, with precise KMS actions
 * (topic.grantPublish grants the kms:GenerateDataKey* group, a wildcard cdk-nag reports).
 */
export function grantPublish(grantee: iam.IGrantable, topic: sns.ITopic): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [topic.topicArn] });
  topic.masterKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
}
