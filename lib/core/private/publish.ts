import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * Lets a role publish to a topic and use the topic's KMS key for it, with precise KMS actions
 * (topic.grantPublish grants the kms:GenerateDataKey* group, a wildcard cdk-nag reports).
 */
export function grantPublish(grantee: iam.IGrantable, topic: sns.ITopic): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [topic.topicArn] });
  topic.masterKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
}

/**
 * What an AWS service that publishes to an encrypted topic needs on the topic's key, as SNS's developer
 * guide writes the key policy ("Enable compatibility between event sources from AWS services and
 * encrypted topics"): SNS generates a data key per message on the publisher's behalf.
 */
export const SERVICE_PUBLISH_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];

export interface ServicePublish {
  /** The service principal, e.g. 'cloudwatch.amazonaws.com'. */
  readonly service: string;
  /** The condition on the topic policy's statement (aws:SourceAccount, aws:SourceArn). */
  readonly conditions: Record<string, unknown>;
  /** The condition on the key policy's statement, if any: KMS receives no source keys from some services. */
  readonly keyConditions?: Record<string, unknown>;
}

/**
 * Lets a service publish to `topic` (its topic policy) and use the topic's key for it (the key
 * policy). Says whether each policy could be changed: an imported topic or key keeps its own.
 */
export function allowServiceToPublish(topic: sns.ITopic, key: kms.IKey | undefined, publish: ServicePublish): { published: boolean; keyAllowed: boolean } {
  const principals = [new iam.ServicePrincipal(publish.service)];
  const published = topic.addToResourcePolicy(new iam.PolicyStatement({
    principals, actions: ['sns:Publish'], resources: [topic.topicArn], conditions: publish.conditions,
  })).statementAdded;
  const keyAllowed = !key || key.addToResourcePolicy(new iam.PolicyStatement({
    principals, actions: SERVICE_PUBLISH_KEY_ACTIONS, resources: ['*'], conditions: publish.keyConditions,
  })).statementAdded;
  return { published, keyAllowed };
}

/**
 * Lets this account's CloudWatch alarms and EventBridge rules publish to `topic` and use `key` for
 * it (SNS's "compatibility between event sources from AWS services and encrypted topics"): the
 * topic policy admits them from this account's alarms and rules only; the key lets alarms use it
 * from this account's alarms only, and EventBridge without source conditions, which AWS does not
 * support in a key policy for EventBridge delivery to an encrypted topic (the topic policy still
 * limits the rules). Says, per service, whether each policy could be changed.
 */
export function allowAlarmsAndRulesToPublish(topic: sns.ITopic, key: kms.IKey | undefined): Array<{ service: string; published: boolean; keyAllowed: boolean }> {
  const stack = Stack.of(topic);
  const sources = {
    'cloudwatch.amazonaws.com': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    'events.amazonaws.com': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }),
  };
  return Object.entries(sources).map(([service, sourceArn]) => {
    const conditions = { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': sourceArn } };
    const allowed = allowServiceToPublish(topic, key, { service, conditions, keyConditions: service === 'events.amazonaws.com' ? undefined : conditions });
    return { service, ...allowed };
  });
}
