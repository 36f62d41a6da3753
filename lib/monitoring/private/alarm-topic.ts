import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { allowServiceToPublish, SERVICE_PUBLISH_KEY_ACTIONS } from '../../core/private/publish';

/** The ARN of the alarm named `name`. */
export function alarmArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** The ARN pattern of the alarms whose names start with `prefix`. */
export function alarmArnPattern(scope: Construct, prefix: string): string {
  return alarmArn(scope, `${prefix}*`);
}

/**
 * The topic the monitor's alarms notify: `topic` when given, else a new one encrypted with `key`.
 * CloudWatch publishes as its service principal, so the topic policy and the key policy must
 * both allow it (SNS developer guide, "Enable compatibility between event sources from AWS
 * services and encrypted topics"); both statements are limited to this account's alarms whose
 * names start with `alarmPrefix` (aws:SourceAccount, aws:SourceArn).
 */
export function alarmTopic(scope: Construct, id: string, key: kms.Key, alarmPrefix: string, topic?: sns.ITopic): sns.ITopic {
  const target = topic ?? new sns.Topic(scope, id, { displayName: `Drift and model-quality alarms (${alarmPrefix})`, masterKey: key, enforceSSL: true });
  const conditions = {
    StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
    ArnLike: { 'aws:SourceArn': alarmArnPattern(scope, alarmPrefix) },
  };
  const masterKey = target.masterKey;
  const { published, keyAllowed } = allowServiceToPublish(target, masterKey, { service: 'cloudwatch.amazonaws.com', conditions, keyConditions: conditions });
  if (!published || !keyAllowed) {
    const keyActions = SERVICE_PUBLISH_KEY_ACTIONS.join(' and ');
    Annotations.of(scope).addWarningV2('cdk-mlops:alarmTopicPolicy',
      `The monitor cannot change the policies of the notification topic${keyAllowed ? '' : ' or of its KMS key'} (imported): allow the service `
      + `principal cloudwatch.amazonaws.com sns:Publish${keyAllowed ? '' : `, ${keyActions}`} for the alarms named '${alarmPrefix}*'`
      // A topic imported by its ARN alone may be encrypted with a key the monitor cannot see.
      + `${masterKey ? '' : ` (and, if the topic is encrypted, ${keyActions} on its key)`}, or alarms will not notify`);
  }
  return target;
}
