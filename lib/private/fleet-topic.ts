import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { importer, importValue } from './fleet-stacks';
import { allowAlarmsAndRulesToPublish } from '../core/private/publish';

export interface FleetTopicProps {
  readonly fleetName: string;
  /** Unique per account and region: the shared stack's name is. */
  readonly topicName: string;
  readonly emails: string[];
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The fleet's one notification topic, encrypted with its own key, whose policies already admit
 * every CloudWatch alarm and EventBridge rule of this account and region (SNS developer guide,
 * "compatibility between event sources from AWS services and encrypted topics"). Models reach it
 * through an imported view (`importTopic`), so no model adds statements here: the shared stack's
 * policies stay the same size however many models there are (a key policy holds at most 32 KB),
 * and nothing in the shared stack refers to a model stack.
*/
export function createFleetTopic(scope: Construct, props: FleetTopicProps): sns.Topic {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'NotificationKey', {
    description: `Encrypts the notifications of model fleet ${props.fleetName}`,
    enableKeyRotation: true,
    // It encrypts only messages on their way through the topic, which goes with the stack: a kept
    // key would protect nothing. Deleting it schedules its deletion (KMS's waiting period).
    removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
  });
  const topic = new sns.Topic(scope, 'NotificationTopic', {
    topicName: props.topicName,
    displayName: `Model fleet ${props.fleetName}: failed runs and promotions, drift and quality alarms`,
    masterKey: key,
    enforceSSL: true,
  });
  allowAlarmsAndRulesToPublish(topic, key);
  for (const email of props.emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  // Exported now, not when a model first imports it: CloudFormation refuses to remove an export
  // that a deployed model stack still imports (see exportDataLake).
  stack.exportValue(key.keyArn);
  return topic;
}

/**
 * Exports from a given topic's stack what model stacks import of it (`importTopic`), whether or not
 * a model imports it yet, as `exportDataLake` does for the lake: a topic imported by its ARN (a
 * literal) needs none.
 */
export function exportTopic(topic: sns.ITopic): void {
  const producer = Stack.of(topic);
  importValue(producer, topic.topicArn);
  if (topic.masterKey) importValue(producer, topic.masterKey.keyArn);
}

/**
 * The topic as a model stack sees it: an import, to which nothing can add statements. The
 * fleet's own topic is named, so its ARN is formatted in the model's stack (an account and region
 * that EventBridge targets can check) and only its key's ARN is imported.
 */
export function importTopic(scope: Construct, id: string, topic: sns.ITopic, topicName?: string): sns.ITopic {
  const imported = importer(scope, Stack.of(topic));
  const topicArn = topicName === undefined
    ? imported(topic.topicArn)
    : Stack.of(scope).formatArn({ service: 'sns', resource: topicName, arnFormat: ArnFormat.NO_RESOURCE_NAME });
  const keyArn = topic.masterKey && imported(topic.masterKey.keyArn);
  return sns.Topic.fromTopicAttributes(scope, id, { topicArn, keyArn });
}
