/**
 * A data lake on its own, with named buckets, a Glue database and an SNS notification for
 * new files under raw/incoming/. Synthesize with:
 *   npx cdk synth --app "npx tsx examples/data-lake/app.ts"
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataLake, DataZone } from '../../lib';

const app = new App();
const stack = new Stack(app, 'DataLakeExample');

const lake = new DataLake(stack, 'Lake', {
  bucketNamePrefix: 'example-mlops-lake',
  noncurrentVersionExpiration: Duration.days(30),
  // Capture holds the endpoint's requests: keep a year of it, and a quarter of access logs.
  captureExpiration: Duration.days(365),
  accessLogsExpiration: Duration.days(90),
  glueDatabaseName: 'example_features',
});

const topicKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
const topic = new sns.Topic(stack, 'NewData', { masterKey: topicKey, enforceSSL: true });

lake.onObjectCreated('NewCsv', {
  zone: DataZone.RAW,
  prefix: 'incoming/',
  // EventBridge publishes with a role of this rule's own (sns:Publish on this topic, the topic's
  // key), so neither the topic policy nor the key policy admits events.amazonaws.com at large.
  target: new targets.SnsTopic(topic, { authorizeUsingRole: true }),
});
