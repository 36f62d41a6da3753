/**
 * A CDK app for test/monitoring/monitor-moto.test.ts: a data lake and a DriftMonitor over an
 * imported endpoint, with per-feature alarms, model quality and retraining of an imported
 * pipeline, deployed with the real CDK CLI to a local moto server.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DataLake, DriftBaseline, DriftMonitor, InferenceDataLocation, ModelEndpoint, QualityMetric } from '../../lib';

const app = new App();
const stack = new Stack(app, process.env.MOTO_STACK_NAME ?? 'MotoDriftMonitor', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
const lake = new DataLake(stack, 'Lake', { bucketNamePrefix: process.env.MOTO_BUCKET_PREFIX ?? 'moto-monitor-test' });
new DriftMonitor(stack, 'Monitor', {
  endpoint: ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'churn'),
  captureLocation: InferenceDataLocation.fromDataLake(lake, 'churn-endpoint/'),
  baseline: DriftBaseline.fromDataLake(lake, 'churn/baseline.json'),
  monitorName: 'churn-monitor',
  features: [{ featureName: 'age' }],
  quality: { groundTruth: InferenceDataLocation.fromDataLake(lake, 'churn-labels/'), alarms: [{ metric: QualityMetric.AUC, thresholds: { critical: 0.75 } }] },
  retrain: { stateMachine: sfn.StateMachine.fromStateMachineName(stack, 'Pipeline', 'churn') },
});
app.synth();
