import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { templateOf, testStack } from '../helpers/app';
import { definitionFromTemplate, validateAsl } from '../helpers/asl';
import { cfnLint } from '../helpers/gates';
import { expectNagClean } from '../helpers/nag';
import { monitorStack } from './monitor-fixture';
import { DataLake } from '../../lib/lake/data-lake';
import { DriftBaseline } from '../../lib/monitoring/drift-baseline';
import { DriftMonitor } from '../../lib/monitoring/drift-monitor';
import { DriftStatistic, ProblemType, QualityMetric } from '../../lib/monitoring/drift-statistics';
import { InferenceDataLocation } from '../../lib/serving/inference-data-location';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';

/** Every cdk-nag pack and CDK's CloudFormation validator on a whole stack: slow on a shared machine. */
const NAG_TIMEOUT = 180_000;

function alarmNamed(template: Template, name: string): any {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
  expect(found).toHaveLength(1);
  return (found[0] as any).Properties;
}

/** The monitor's metric alarms (the endpoint has rollback alarms of its own). */
function alarmNames(template: Template): string[] {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) => id.startsWith('Monitor'))
    .map(([, a]: [string, any]) => a.Properties.AlarmName).sort();
}

/** How a composite alarm rule refers to the alarm named `name`. */
function ruleReference(template: Template, name: string): string {
  const [id] = Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
  return JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
}

function functionWithEnv(template: Template, handlerDescription: RegExp): any {
  const found = Object.values(template.findResources('AWS::Lambda::Function')).filter((f: any) => handlerDescription.test(f.Properties.Description));
  expect(found).toHaveLength(1);
  return (found[0] as any).Properties;
}

function policyOfRole(template: Template, roleLogicalIdPart: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref.includes(roleLogicalIdPart)))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function detectorDefinition(stack: Stack, monitor: DriftMonitor) {
  return definitionFromTemplate(templateOf(stack), stack.getLogicalId(monitor.stateMachine.node.defaultChild as any));
}

const QUALITY = (lake: DataLake) => ({
  groundTruth: InferenceDataLocation.fromDataLake(lake, 'churn-labels/'),
  alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.8, critical: 0.75 } }, { metric: QualityMetric.RECALL, thresholds: { warning: 0.6 } }],
});

describe('the detector', () => {
  test('runs hourly over the last hour, 10 minutes late, in a Standard state machine with tracing and full logs', () => {
    const { stack, monitor, lake } = monitorStack();
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({
        Arn: stack.resolve(monitor.stateMachine.stateMachineArn),
        InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"job":"drift","time":<time>}' },
      })],
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'churn-drift',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    const env = functionWithEnv(template, /^Plans and checks drift windows/).Environment.Variables;
    expect(env).toEqual({
      ENDPOINT_NAME: 'churn',
      VARIANT_NAME: 'AllTraffic',
      CAPTURE_BUCKET: stack.resolve(lake.captureBucket.bucketName),
      CAPTURE_PREFIX: 'churn-endpoint/',
      BASELINE_BUCKET: stack.resolve(lake.artifactsBucket.bucketName),
      BASELINE_KEY: 'churn/baseline/current.json',
      WORK_BUCKET: stack.resolve(lake.captureBucket.bucketName),
      WORK_PREFIX: 'drift-work/churn/',
      REPORT_PREFIX: 'drift-work/churn/reports/',
      METRIC_NAMESPACE: 'CdkMlops/Drift',
      WINDOW_MINUTES: '60',
      WINDOW_LAG_MINUTES: '10',
      MIN_ROWS: '100',
      FEATURE_DRIFT_PSI: '0.25',
      DATASET_DRIFT_SHARE: '0.5',
    });
  });

  test('plans in drift-detect, fans large windows out over a Distributed Map of drift-partial workers, and merges in drift-merge', () => {
    const { stack, monitor } = monitorStack(() => ({ maxConcurrency: 25 }));
    const definition = detectorDefinition(stack, monitor);
    expect(validateAsl(definition)).toEqual([]);
    expect(definition.StartAt).toBe('DetectDrift');
    expect(definition.States.WindowSize.Choices).toEqual([
      { Variable: '$.mode', StringEquals: 'complete', Next: 'DriftChecked' },
      { Variable: '$.mode', StringEquals: 'fanout', Next: 'FanOut' },
    ]);
    const fanOut = definition.States.FanOut;
    expect(fanOut).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 25,
      ResultPath: null,
      Next: 'MergeBatches',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Bucket.$': '$.items.bucket', 'Key.$': '$.items.key' } },
      // Workers run up to 15 minutes, longer than an Express child may.
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'CountBatch' },
    });
    expect(fanOut.ItemProcessor.States.CountBatch.Resource).toMatch(/function:MonitorDetectorPartialFunction/);
    const merge = definition.States.MergeBatches;
    expect(merge.Resource).toMatch(/function:MonitorDetectorMergeFunction/);
    // Retriers match in order: the named errors come before the catch-all for other task failures.
    expect(merge.Retry.map((r: any) => r.ErrorEquals[0])).toEqual(['Lambda.ClientExecutionTimeoutException', 'Lambda.TooManyRequestsException', 'PartialsMissingError', 'ConfigError', 'States.TaskFailed']);
    expect(merge.Retry[2]).toEqual({ ErrorEquals: ['PartialsMissingError'], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 });
    for (const state of [definition.States.DetectDrift, merge, fanOut.ItemProcessor.States.CountBatch]) {
      expect(state.Retry).toContainEqual({ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 10, MaxAttempts: 6, BackoffRate: 2 });
      expect(state.Retry[0].ErrorEquals).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException']));
      // A configuration error is not retried; any other failure once more, twice.
      expect(state.Retry.slice(-2)).toEqual([
        { ErrorEquals: ['ConfigError'], MaxAttempts: 0 },
        { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2 },
      ]);
    }
  });

  test('functions: 1 GiB, 15 minutes to plan and count, 5 to merge, traced, each with its own encrypted log group', () => {
    const { stack } = monitorStack();
    const template = templateOf(stack);
    const byDescription = (re: RegExp) => functionWithEnv(template, re);
    expect([/^Plans and checks/, /^Counts one batch/, /^Merges batch counts/].map((re) => [byDescription(re).MemorySize, byDescription(re).Timeout]))
      .toEqual([[1024, 900], [1024, 900], [1024, 300]]);
    for (const f of [/^Plans and checks/, /^Counts one batch/, /^Merges batch counts/].map(byDescription)) {
      expect(f.TracingConfig).toEqual({ Mode: 'Active' });
      expect(f.Handler).toBe('index.handler');
      expect(f.ReservedConcurrentExecutions).toBeUndefined();
    }
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup')).filter((g: any) => JSON.stringify(g.Properties.KmsKeyId ?? '').includes('MonitorKey'));
    // The detector's and the three functions'.
    expect(logGroups).toHaveLength(4);
    // Each function logs EMF as text to its own group, kept a year and when the stack goes (not when its first create fails).
    const groups = template.findResources('AWS::Logs::LogGroup');
    const own = [/^Plans and checks/, /^Counts one batch/, /^Merges batch counts/].map(byDescription).map((f) => {
      const group = groups[f.LoggingConfig.LogGroup.Ref];
      return { runtime: f.Runtime, format: f.LoggingConfig.LogFormat, deletion: group.DeletionPolicy, replace: group.UpdateReplacePolicy, days: group.Properties.RetentionInDays };
    });
    expect(own).toEqual(Array(3).fill({ runtime: 'nodejs24.x', format: 'Text', deletion: 'RetainExceptOnCreate', replace: 'Retain', days: 365 }));
  });

  test('least privilege: the capture of this endpoint and variant, the baseline object and the work prefix, and no metric API', () => {
    const { stack, lake } = monitorStack();
    const template = templateOf(stack);
    const detect = policyOfRole(template, 'MonitorDetectorDetectRole');
    const rendered = JSON.stringify(detect);
    expect(detect).toContainEqual({
      Action: 's3:ListBucket', Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^LakeCaptureBucket/), 'Arn'] },
      Condition: { StringLike: { 's3:prefix': ['churn-endpoint/churn/AllTraffic/*'] } },
    });
    expect(rendered).toContain('/churn-endpoint/churn/AllTraffic/*');
    expect(rendered).toContain('/churn/baseline/current.json');
    expect(rendered).toContain('/drift-work/churn/*');
    const partial = policyOfRole(template, 'MonitorDetectorPartialRole');
    expect(partial.filter((st) => st.Action === 's3:ListBucket')).toEqual([]);
    expect(partial).toContainEqual({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: stack.resolve(lake.encryptionKey.keyArn) });
    const all = JSON.stringify(Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => JSON.stringify(p.Properties.Roles).includes('Monitor')));
    expect(all).not.toMatch(/cloudwatch:PutMetricData|s3:DeleteObject|"s3:\*"|"kms:\*"/);
    // The merge function lists and reads the work area but writes only reports.
    const merge = policyOfRole(template, 'MonitorDetectorMergeRole');
    expect(merge).toContainEqual(expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['drift-work/churn/*'] } } }));
    const puts = merge.filter((s) => s.Action === 's3:PutObject');
    expect(JSON.stringify(puts)).toContain('/drift-work/churn/reports/*');
    expect(JSON.stringify(puts)).not.toContain('/drift-work/churn/*"');
  });

  test('writeReports: false sets no report prefix and grants no report writes', () => {
    const { stack } = monitorStack(() => ({ writeReports: false }));
    const template = templateOf(stack);
    expect(functionWithEnv(template, /^Merges batch counts/).Environment.Variables.REPORT_PREFIX).toBeUndefined();
    expect(policyOfRole(template, 'MonitorDetectorMergeRole').filter((s) => s.Action === 's3:PutObject')).toEqual([]);
  });

  test('a rate schedule shorter than the window checks a sliding window and sets the alarm period to the rate', () => {
    const { stack, monitor } = monitorStack(() => ({ window: Duration.hours(2), schedule: events.Schedule.rate(Duration.minutes(30)) }));
    const template = templateOf(stack);
    expect(monitor.period.toMinutes()).toBe(30);
    expect(functionWithEnv(template, /^Plans and checks/).Environment.Variables.WINDOW_MINUTES).toBe('120');
    expect(alarmNamed(template, 'churn-max-psi-critical').Period).toBe(1800);
  });

  test('a cron schedule uses the window as the alarm period', () => {
    const { stack, monitor } = monitorStack(() => ({ window: Duration.minutes(30), schedule: events.Schedule.cron({ minute: '10,40' }), lag: Duration.minutes(5) }));
    expect(monitor.period.toMinutes()).toBe(30);
    const template = templateOf(stack);
    expect(alarmNamed(template, 'churn-max-psi-warning').Period).toBe(1800);
    expect(functionWithEnv(template, /^Plans and checks/).Environment.Variables.WINDOW_LAG_MINUTES).toBe('5');
  });

  test('an imported endpoint needs its capture location, and the variant defaults to AllTraffic', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'Imported', 'fraud');
    const baseline = DriftBaseline.fromDataLake(lake, 'fraud/baseline.json');
    expect(() => new DriftMonitor(stack, 'NoCapture', { endpoint, baseline, monitorName: 'fraud' }))
      .toThrow(/The endpoint has no data capture location: give 'captureLocation'/);
    const monitor = new DriftMonitor(stack, 'Monitor', {
      endpoint, baseline, monitorName: 'fraud2', variantName: 'Blue', captureLocation: InferenceDataLocation.fromDataLake(lake, 'fraud-capture/'),
    });
    expect(monitor.variantName).toBe('Blue');
    const env = functionWithEnv(templateOf(stack), /^Plans and checks drift windows of monitor fraud2/).Environment.Variables;
    expect([env.ENDPOINT_NAME, env.VARIANT_NAME, env.CAPTURE_PREFIX]).toEqual(['fraud', 'Blue', 'fraud-capture/']);
  });
});

describe('alarms', () => {
  test('dataset alarms by severity: the largest PSI (0.1 / 0.25), the drifted share (0.5) and prediction PSI, each 2 of 3 hourly runs, missing data ignored', () => {
    const { stack } = monitorStack();
    const template = templateOf(stack);
    expect(alarmNames(template)).toEqual(['churn-dataset-drift', 'churn-detector-failed', 'churn-max-psi-critical', 'churn-max-psi-warning', 'churn-prediction-psi-critical', 'churn-prediction-psi-warning']);
    const dims = [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'Variant', Value: 'AllTraffic' }];
    const common = { Namespace: 'CdkMlops/Drift', Dimensions: dims, Period: 3600, EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'ignore',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Maximum' };
    expect(alarmNamed(template, 'churn-max-psi-warning')).toMatchObject({ ...common, MetricName: 'MaxPSI', Threshold: 0.1 });
    expect(alarmNamed(template, 'churn-max-psi-critical')).toMatchObject({ ...common, MetricName: 'MaxPSI', Threshold: 0.25 });
    expect(alarmNamed(template, 'churn-dataset-drift')).toMatchObject({ ...common, MetricName: 'DriftedFeatureShare', Threshold: 0.5 });
    expect(alarmNamed(template, 'churn-prediction-psi-critical')).toMatchObject({ ...common, MetricName: 'PredictionPSI', Threshold: 0.25 });
    for (const name of alarmNames(template).filter((n) => n !== 'churn-detector-failed')) expect(alarmNamed(template, name).AlarmActions).toBeUndefined();
  });

  test('a failed detector run, which publishes no metrics, notifies the topic', () => {
    const { stack, monitor } = monitorStack();
    expect(alarmNamed(templateOf(stack), 'churn-detector-failed')).toMatchObject({
      Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: stack.resolve(monitor.stateMachine.stateMachineArn) }],
      Statistic: 'Sum', Period: 3600, Threshold: 1, EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: 'notBreaching',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [stack.resolve(monitor.notificationTopic.topicArn)],
    });
    expect(monitor.alarms).toContain(monitor.detectorFailedAlarm);
  });

  test('the composite "model drifted" alarm combines the critical alarms and notifies the topic on ALARM and OK', () => {
    const { stack, monitor } = monitorStack(() => ({ features: [{ featureName: 'age' }] }));
    const template = templateOf(stack);
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'))[0] as any;
    expect(composite.Properties.AlarmName).toBe('churn-model-drifted');
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    for (const name of ['churn-feature-age-PSI-critical', 'churn-max-psi-critical', 'churn-dataset-drift', 'churn-prediction-psi-critical']) {
      expect(rule).toContain(ruleReference(template, name));
    }
    for (const name of ['churn-feature-age-PSI-warning', 'churn-max-psi-warning']) expect(rule).not.toContain(ruleReference(template, name));
    expect(rule.match(/ALARM\(/g)).toHaveLength(4);
    expect(rule).toContain(' OR ');
    const topic = stack.resolve(monitor.notificationTopic.topicArn);
    expect(composite.Properties.AlarmActions).toEqual([topic]);
    expect(composite.Properties.OKActions).toEqual([topic]);
  });

  test('per-feature alarms by severity, with the defaults of their statistic and custom thresholds', () => {
    const { stack, monitor } = monitorStack(() => ({
      features: [
        { featureName: 'age' },
        { featureName: 'age', statistic: DriftStatistic.KOLMOGOROV_SMIRNOV, thresholds: { critical: 0.3 } },
        { featureName: 'plan', statistic: DriftStatistic.CHI_SQUARE_P_VALUE },
      ],
      evaluationPeriods: 4,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
    const template = templateOf(stack);
    const age = alarmNamed(template, 'churn-feature-age-PSI-critical');
    expect(age).toMatchObject({
      MetricName: 'PSI', Threshold: 0.25, Statistic: 'Maximum', ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'Feature', Value: 'age' }, { Name: 'Variant', Value: 'AllTraffic' }],
      EvaluationPeriods: 4, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching',
    });
    expect(alarmNamed(template, 'churn-feature-age-KolmogorovSmirnov-warning').Threshold).toBe(0.1);
    expect(alarmNamed(template, 'churn-feature-age-KolmogorovSmirnov-critical').Threshold).toBe(0.3);
    // p-values: lower is worse.
    expect(alarmNamed(template, 'churn-feature-plan-ChiSquarePValue-critical')).toMatchObject({
      Threshold: 0.01, Statistic: 'Minimum', ComparisonOperator: 'LessThanOrEqualToThreshold',
    });
    expect(alarmNamed(template, 'churn-feature-plan-ChiSquarePValue-warning').Threshold).toBe(0.05);
    expect(monitor.features.map((f) => [f.featureName, f.statistic, f.thresholds])).toEqual([
      ['age', 'PSI', { warning: 0.1, critical: 0.25 }],
      ['age', 'KolmogorovSmirnov', { warning: 0.1, critical: 0.3 }],
      ['plan', 'ChiSquarePValue', { warning: 0.05, critical: 0.01 }],
    ]);
  });

  test('notifyOnWarning lets warning alarms notify; critical ones still notify only through the composite', () => {
    const { stack, monitor } = monitorStack(() => ({ notifyOnWarning: true }));
    const template = templateOf(stack);
    expect(alarmNamed(template, 'churn-max-psi-warning').AlarmActions).toEqual([stack.resolve(monitor.notificationTopic.topicArn)]);
    expect(alarmNamed(template, 'churn-max-psi-critical').AlarmActions).toBeUndefined();
  });

  test('the default topic is encrypted with the monitor key, which CloudWatch may use for this monitor\'s alarms only', () => {
    const { stack, monitor } = monitorStack();
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: stack.resolve(monitor.encryptionKey.keyArn) });
    const conditions = {
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-*' },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: stack.resolve(monitor.notificationTopic.topicArn), Condition: conditions })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('drift monitor churn'),
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: conditions })]) },
    });
  });

  test('a given topic gets the CloudWatch statements; an imported one gets a warning that says what to allow', () => {
    const owned = monitorStack((f) => ({ notificationTopic: new sns.Topic(f.stack, 'Ops', { masterKey: new kms.Key(f.stack, 'OpsKey') }) }));
    const t = templateOf(owned.stack);
    expect(t.findResources('AWS::SNS::Topic')).not.toHaveProperty('MonitorTopic');
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^Ops') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
    t.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]) } });

    const imported = monitorStack((f) => ({ notificationTopic: sns.Topic.fromTopicArn(f.stack, 'Shared', 'arn:aws:sns:us-east-1:123456789012:ops') }));
    Annotations.fromStack(imported.stack).hasWarning('/TestStack/Monitor', Match.stringLikeRegexp("allow the service principal cloudwatch.amazonaws.com sns:Publish for the alarms named 'churn-\\*'"));
    Annotations.fromStack(imported.stack).hasWarning('/TestStack/Monitor', Match.stringLikeRegexp(
      "for the alarms named 'churn-\\*' \\(and, if the topic is encrypted, kms:Decrypt and kms:GenerateDataKey\\* on its key\\)"));
  });
});

describe('model quality', () => {
  test('a second schedule runs drift-quality, whose alarms feed the "model quality" composite alarm', () => {
    const { stack, monitor, lake } = monitorStack((f) => ({ quality: { ...QUALITY(f.lake), problemType: ProblemType.BINARY_CLASSIFICATION, probabilityThreshold: 0.4 } }));
    const template = templateOf(stack);
    const env = functionWithEnv(template, /^Joins ground truth/).Environment.Variables;
    expect(env).toMatchObject({
      ENDPOINT_NAME: 'churn', VARIANT_NAME: 'AllTraffic', CAPTURE_PREFIX: 'churn-endpoint/', GROUND_TRUTH_PREFIX: 'churn-labels/',
      PROBLEM_TYPE: 'BinaryClassification', PROBABILITY_THRESHOLD: '0.4', CAPTURE_LOOKBACK_HOURS: '24', METRIC_NAMESPACE: 'CdkMlops/ModelQuality',
      WINDOW_MINUTES: '60',
    });
    expect(env.GROUND_TRUTH_BUCKET).toEqual(stack.resolve(lake.captureBucket.bucketName));
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"job":"quality","time":<time>}' } })],
    });
    const definition = detectorDefinition(stack, monitor);
    expect(validateAsl(definition)).toEqual([]);
    expect(definition.StartAt).toBe('Job');
    expect(definition.States.Job.Choices).toEqual([{ Variable: '$.job', StringEquals: 'quality', Next: 'CheckQuality' }]);
    expect(definition.States.Job.Default).toBe('DetectDrift');

    expect(alarmNamed(template, 'churn-quality-AUC-critical')).toMatchObject({
      Namespace: 'CdkMlops/ModelQuality', MetricName: 'AUC', Threshold: 0.75, ComparisonOperator: 'LessThanOrEqualToThreshold', Statistic: 'Minimum',
    });
    expect(alarmNamed(template, 'churn-quality-Recall-warning').Threshold).toBe(0.6);
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm', { Properties: { AlarmName: 'churn-model-quality' } }))[0] as any;
    expect(JSON.stringify(composite.Properties.AlarmRule)).toContain(ruleReference(template, 'churn-quality-AUC-critical'));
    expect(JSON.stringify(composite.Properties.AlarmRule)).not.toContain(ruleReference(template, 'churn-quality-Recall-warning'));
    expect(JSON.stringify(composite.Properties.AlarmRule).match(/ALARM\(/g)).toHaveLength(1);
    const quality = JSON.stringify(policyOfRole(template, 'MonitorDetectorQualityRole'));
    expect(quality).toContain('"s3:prefix":["churn-labels/*"]');
    expect(quality).toContain('"s3:prefix":["churn-endpoint/churn/AllTraffic/*"]');
  });

  test('regression models alarm on errors above their thresholds', () => {
    const { stack } = monitorStack((f) => ({
      quality: { groundTruth: InferenceDataLocation.fromDataLake(f.lake, 'labels/'), problemType: ProblemType.REGRESSION, alarms: [{ metric: QualityMetric.RMSE, thresholds: { warning: 5, critical: 8 } }] },
    }));
    expect(alarmNamed(templateOf(stack), 'churn-quality-RMSE-critical')).toMatchObject({ Threshold: 8, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Maximum' });
  });
});

describe('validation', () => {
  const fails = (props: Parameters<typeof monitorStack>[0]) => () => monitorStack(props);

  test('fails with warning and critical thresholds the wrong way round, naming the property and both values', () => {
    expect(fails(() => ({ maxFeatureDrift: { warning: 0.3, critical: 0.2 } })))
      .toThrow(/'maxFeatureDrift' \(warning 0.3, critical 0.2\): lower values are better here, so the warning threshold must be below the critical one/);
    expect(fails(() => ({ features: [{ featureName: 'plan', statistic: DriftStatistic.CHI_SQUARE_P_VALUE, thresholds: { warning: 0.01, critical: 0.05 } }] })))
      .toThrow(/'features\[0\].thresholds' \(warning 0.01, critical 0.05\): lower values are worse here, so the warning threshold must be above/);
    expect(fails(() => ({ predictionDrift: { critical: -1 } }))).toThrow(/'predictionDrift.critical' \(-1\) must be a number of at least 0/);
  });

  test('fails with empty, quoted or repeated feature names', () => {
    expect(fails(() => ({ features: [{ featureName: ' ' }] }))).toThrow(/'features\[0\].featureName' \(' '\) must be 1 to 200 printable ASCII characters/);
    expect(fails(() => ({ features: [{ featureName: 'a"b' }] }))).toThrow(/without '"'/);
    expect(fails(() => ({ features: [{ featureName: 'age' }, { featureName: 'age', statistic: DriftStatistic.PSI }] }))).toThrow(/'features' repeats the name\(s\) 'age \(PSI\)'/);
  });

  test('fails when the composite alarm would combine more than 100 alarms', () => {
    const features = Array.from({ length: 98 }, (_, i) => ({ featureName: `f${i}` }));
    expect(fails(() => ({ features }))).toThrow(/would combine 101 critical alarms; CloudWatch allows 100/);
  });

  test('fails when an alarm name or the composite alarm\'s rule would be longer than CloudWatch allows', () => {
    // 'churn-feature-<200 x>-ChiSquarePValue-critical' is 239 characters; a 40-character monitor name makes it 274.
    const long = { featureName: 'x'.repeat(200), statistic: DriftStatistic.CHI_SQUARE_P_VALUE };
    expect(() => monitorStack(() => ({ features: [long] }))).not.toThrow();
    expect(fails(() => ({ monitorName: 'm'.repeat(40), features: [long] })))
      .toThrow(/'features\[0\]' would name its alarm 'm{40}-feature-x{200}-ChiSquarePValue-critical' \(274 characters\); CloudWatch allows 255: give a 'monitorName' shorter by 19 characters/);
    // Each ALARM("arn:aws:cloudwatch:<region>:<account>:alarm:<name>") of a 100-character feature name takes about 190 characters.
    const features = Array.from({ length: 60 }, (_, i) => ({ featureName: `${String(i).padStart(3, '0')}${'y'.repeat(97)}` }));
    expect(fails(() => ({ features })))
      .toThrow(/The drift composite alarm's rule would be \d{5} characters \(ALARM\("<ARN>"\) for each of its 63 critical alarms\); CloudWatch allows 10240: give fewer 'features'/);
  });

  test('takes 97 short feature names: 100 critical alarms whose rule fits', () => {
    const features = Array.from({ length: 97 }, (_, i) => ({ featureName: `f${i}` }));
    const { monitor } = monitorStack(() => ({ features }));
    expect(monitor.features).toHaveLength(97);
  });

  test('fails with a schedule that leaves capture unchecked, a short window, or too long an evaluation range', () => {
    expect(fails(() => ({ schedule: events.Schedule.rate(Duration.hours(2)) })))
      .toThrow(/'schedule' \(rate\(2 hours\)\) runs less often than the window \(1 hour\) is long/);
    expect(fails(() => ({ window: Duration.minutes(2), schedule: events.Schedule.rate(Duration.minutes(5)) }))).toThrow(/'window' \(2 minutes\) must be whole minutes between 5 minutes and 7 days/);
    expect(fails(() => ({ window: Duration.seconds(330) }))).toThrow(/^'window' \(5 minutes 30 seconds\) must be whole minutes/);
    expect(fails(() => ({ evaluationPeriods: 200 }))).toThrow(/200 periods of 1 hour, longer than CloudWatch's 7 days/);
    expect(fails(() => ({ window: Duration.minutes(30), evaluationPeriods: 49 }))).toThrow(/longer than CloudWatch's 1 day for that period/);
    expect(fails(() => ({ evaluationPeriods: 2, datapointsToAlarm: 3 }))).toThrow(/'datapointsToAlarm' \(3\) must be a whole number between 1 and 'evaluationPeriods' \(2\)/);
  });

  test('fails with a bad monitor name, share, row count or concurrency, reporting all problems at once', () => {
    expect(fails(() => ({ monitorName: 'churn monitor', datasetDriftShare: 0, minRows: 0, maxConcurrency: 0 })))
      .toThrow(/4 problems:\n- 'monitorName' \('churn monitor'\) must be 1 to 40 letters[\s\S]*'minRows' \(0\)[\s\S]*'maxConcurrency' \(0\)[\s\S]*'datasetDriftShare' \(0\)/);
  });

  test('fails with quality alarms that do not fit the model, or none critical', () => {
    const quality = (lake: DataLake, extra: object) => ({ groundTruth: InferenceDataLocation.fromDataLake(lake, 'l/'), alarms: [], ...extra });
    expect(fails((f) => ({ quality: quality(f.lake, { problemType: ProblemType.REGRESSION, alarms: [{ metric: QualityMetric.AUC, thresholds: { critical: 0.7 } }] }) })))
      .toThrow(/'quality.alarms\[0\].metric' \(AUC\) is not published for Regression models; use RMSE or MAE/);
    expect(fails((f) => ({ quality: quality(f.lake, { alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.8 } }] }) })))
      .toThrow(/'quality.alarms' has no 'critical' threshold/);
    expect(fails((f) => ({ quality: quality(f.lake, { alarms: [] }) }))).toThrow(/'quality.alarms' is empty/);
    expect(fails((f) => ({ quality: quality(f.lake, { alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.7, critical: 0.8 } }] }) })))
      .toThrow(/'quality.alarms\[0\].thresholds' \(warning 0.7, critical 0.8\): lower values are worse here/);
    expect(fails((f) => ({ quality: quality(f.lake, { problemType: ProblemType.REGRESSION, probabilityThreshold: 0.5, alarms: [{ metric: QualityMetric.MAE, thresholds: { critical: 2 } }] }) })))
      .toThrow(/'quality.probabilityThreshold' only applies to BinaryClassification models/);
  });

  test('fails with a baseline key that names no single object, and with an unknown malformed-line kind', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    expect(() => DriftBaseline.fromDataLake(lake, 'churn/baseline/')).toThrow(/The baseline key \('churn\/baseline\/'\) must name one object/);
    const { monitor } = monitorStack();
    expect(() => monitor.metricMalformedLines('typo')).toThrow(/'kind' \('typo'\) is not a malformed-line kind/);
    expect(monitor.metricMalformedLines('nonNumeric').dimensions).toEqual({ Endpoint: 'churn', Variant: 'AllTraffic', Kind: 'nonNumeric' });
  });
});

describe('DriftMonitor passes every cdk-nag pack and cfn-lint', () => {
  test('with per-feature alarms, model quality, warnings that notify and retraining', () => {
    const { stack } = monitorStack((f) => ({
      features: [{ featureName: 'age' }, { featureName: 'plan', statistic: DriftStatistic.CHI_SQUARE_P_VALUE }],
      quality: QUALITY(f.lake),
      notifyOnWarning: true,
      retrain: { stateMachine: f.pipeline },
    }));
    expectNagClean(stack.node.root as any);
    const outdir = (stack.node.root as any).outdir as string;
    const lint = cfnLint([path.join(outdir, 'TestStack.template.json')]);
    expect({ status: lint.status, findings: lint.output }).toEqual({ status: 0, findings: '' });
  }, NAG_TIMEOUT);

  test('in a VPC, for an imported endpoint', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0123456789abcdef0'] });
    new DriftMonitor(stack, 'Monitor', {
      endpoint: ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'churn'),
      captureLocation: InferenceDataLocation.fromDataLake(lake, 'capture/'),
      baseline: DriftBaseline.fromDataLake(lake, 'churn/baseline.json'),
      vpc,
      retrain: { stateMachine: sfn.StateMachine.fromStateMachineName(stack, 'Pipeline', 'churn') },
    });
    expectNagClean(stack.node.root as any);
  }, NAG_TIMEOUT);
});
