import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { templateOf, testStack } from '../helpers/app';
import { regionalDashboardName } from '../../lib/core/private/dashboard-name';
import { cfnLint } from '../helpers/gates';
import { expectNagClean } from '../helpers/nag';
import { fullPipelineProps } from '../helpers/pipeline';
import { MlInstanceType } from '../../lib/core/instance-type';
import { SageMakerImage } from '../../lib/core/sagemaker-image';
import { DataLake } from '../../lib/lake/data-lake';
import { DriftBaseline } from '../../lib/monitoring/drift-baseline';
import { DriftMonitor } from '../../lib/monitoring/drift-monitor';
import { DriftStatistic, QualityMetric } from '../../lib/monitoring/drift-statistics';
import { MlopsDashboard, MlopsDashboardProps } from '../../lib/monitoring/mlops-dashboard';
import { InferenceDataLocation } from '../../lib/serving/inference-data-location';
import { ModelEndpoint } from '../../lib/serving/model-endpoint';
import { ModelEndpointProps } from '../../lib/serving/model-endpoint-props';
import { ModelSource } from '../../lib/serving/model-source';
import { TrainingPipeline } from '../../lib/training/training-pipeline';

/** Every cdk-nag pack and CDK's CloudFormation validator on a whole stack: slow on a shared machine. */
const NAG_TIMEOUT = 180_000;

interface Widget {
  readonly type: string;
  readonly width: number;
  readonly properties: { title?: string; metrics?: any[][]; annotations?: { horizontal?: any[] }; alarms?: string[]; markdown?: string };
}

/** The dashboard body, with every CloudFormation reference replaced by `<LogicalId>` so it parses as JSON. */
function dashboardWidgets(template: Template): Widget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as any[];
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0].Properties.DashboardBody;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1]
    .map((part: any) => (typeof part === 'string' ? part : `<${part.Ref ?? part['Fn::GetAtt']?.join('.') ?? JSON.stringify(part).replace(/"/g, "'")}>`)).join('');
  return JSON.parse(text).widgets;
}

function titled(widgets: Widget[], title: string): Widget {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The metric names of a graph (plain metrics: [namespace, name, ...dims, options]; expressions: [{ expression }]). */
function metricsOf(widget: Widget): string[] {
  return (widget.properties.metrics ?? []).map((m) => (typeof m[0] === 'object' ? m[0].expression : `${m[0]} ${m[1]}`));
}

function modelStack(endpointProps: (lake: DataLake) => Partial<ModelEndpointProps> = () => ({})) {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const pipeline = new TrainingPipeline(stack, 'Pipeline', fullPipelineProps(lake));
  const endpoint = new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'churn',
    model: ModelSource.fromArtifact(SageMakerImage.sklearn('1.2-1-cpu-py3'), lake.artifactsBucket, 'churn/model.tar.gz'),
    variants: [{ instanceType: MlInstanceType.ML_G5_XLARGE, variantName: 'Blue' }],
    dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'churn-endpoint/') },
    ...endpointProps(lake),
  });
  return { stack, lake, pipeline, endpoint };
}

function dashboard(stack: Stack, props: MlopsDashboardProps): Widget[] {
  new MlopsDashboard(stack, 'Dashboard', { dashboardName: 'churn', ...props });
  return dashboardWidgets(templateOf(stack));
}

describe('MlopsDashboard', () => {
  test('without a name, the default carries the stack\'s region: dashboards are global to the account', () => {
    const { stack, pipeline, endpoint } = modelStack();
    new MlopsDashboard(stack, 'Unnamed', { endpoint, pipeline });
    const names = Object.values(templateOf(stack).findResources('AWS::CloudWatch::Dashboard')).map((r) => r.Properties.DashboardName);
    expect(names).toEqual([expect.stringMatching(/^[A-Za-z0-9-]+Unnamed[A-Za-z0-9-]*-us-east-1$/)]);
    expect(names[0].length).toBeLessThanOrEqual(255);
    // An environment-agnostic stack names it by the region it deploys to.
    const agnostic = new Stack();
    expect(agnostic.resolve(regionalDashboardName(agnostic, 'churn'))).toEqual({ 'Fn::Join': ['', ['churn-', { Ref: 'AWS::Region' }]] });
  });

  test('a name of one\'s own that CloudWatch refuses (over 255 characters) fails at synth, naming its length and the fix', () => {
    const { stack, endpoint } = modelStack();
    expect(() => new MlopsDashboard(stack, 'Long', { endpoint, dashboardName: 'd'.repeat(256) }))
      .toThrow(/'dashboardName' \('d{256}', 256 characters\) must be 1 to 255 letters, digits, hyphens and underscores .*use e\.g\. 'churn-models-eu-west-1'/);
    expect(() => new MlopsDashboard(stack, 'Longest', { endpoint, dashboardName: 'd'.repeat(255) })).not.toThrow();
  });

  test('shows the pipeline runs, training metrics per run, traffic, latency, errors and utilization of the endpoint\'s variant', () => {
    const { stack, pipeline, endpoint } = modelStack();
    const widgets = dashboard(stack, { endpoint, pipeline, trainingMetricNames: ['validation:auc'] });
    templateOf(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'churn' });

    const runs = titled(widgets, 'Pipeline churn: runs');
    expect(metricsOf(runs)).toEqual(['AWS/States ExecutionsSucceeded', 'AWS/States ExecutionsFailed', 'AWS/States ExecutionsTimedOut', 'AWS/States ExecutionsAborted']);
    expect(runs.properties.metrics![0]).toContain('StateMachineArn');
    expect(metricsOf(titled(widgets, 'Pipeline churn: run duration (ms)'))).toEqual(['AWS/States ExecutionTime', 'AWS/States ExecutionTime']);
    expect(metricsOf(titled(widgets, 'Training metric validation:auc per run')))
      .toEqual(["SEARCH('{/aws/sagemaker/TrainingJobs,Host} MetricName=\"validation:auc\" churn-train', 'Maximum', 60)"]);

    const invocations = titled(widgets, 'Invocations');
    expect(invocations.properties.metrics![0].slice(0, 6)).toEqual(['AWS/SageMaker', 'Invocations', 'EndpointName', 'churn', 'VariantName', 'Blue']);
    expect(metricsOf(titled(widgets, 'Invocations per instance'))).toEqual(['AWS/SageMaker InvocationsPerInstance']);
    expect(metricsOf(titled(widgets, 'Errors'))).toEqual(['AWS/SageMaker Invocation4XXErrors', 'AWS/SageMaker Invocation5XXErrors', 'AWS/SageMaker InvocationModelErrors']);
    const latency = titled(widgets, 'Model latency (microseconds)');
    expect(metricsOf(latency)).toEqual(['AWS/SageMaker ModelLatency', 'AWS/SageMaker ModelLatency']);
    expect(latency.properties.metrics![1].at(-1)).toMatchObject({ stat: 'p99' });
    expect(metricsOf(titled(widgets, 'Overhead latency (microseconds)'))).toEqual(['AWS/SageMaker OverheadLatency', 'AWS/SageMaker OverheadLatency']);
    expect(metricsOf(titled(widgets, 'CPU, memory and disk utilization (%)')))
      .toEqual(['/aws/sagemaker/Endpoints CPUUtilization', '/aws/sagemaker/Endpoints MemoryUtilization', '/aws/sagemaker/Endpoints DiskUtilization']);
    expect(metricsOf(titled(widgets, 'GPU and GPU memory utilization (%)')))
      .toEqual(['/aws/sagemaker/Endpoints GPUUtilization', '/aws/sagemaker/Endpoints GPUMemoryUtilization']);
    expect(widgets.some((w) => /backlog/i.test(w.properties.title ?? ''))).toBe(false);
    // The canary's rollback alarms.
    // By name, not by resource: the endpoint's alarms may be conditional (ModelVersionParameter.serveOnlyWhenPromoted).
    expect(titled(widgets, 'Alarms').properties.alarms).toEqual(endpoint.rollbackAlarms.map((a) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${(a.node.defaultChild as any).alarmName}`));
    expect(endpoint.rollbackAlarms.length).toBe(2);
    // Rows are full width: 24 columns each.
    expect(widgets.every((w) => [8, 12, 24].includes(w.width))).toBe(true);
  });

  test('shows drift per feature against its thresholds, malformed lines, model quality and the monitor\'s alarms', () => {
    const { stack, lake, endpoint } = modelStack();
    const monitor = new DriftMonitor(stack, 'Monitor', {
      endpoint,
      monitorName: 'churn',
      baseline: DriftBaseline.fromDataLake(lake, 'churn/baseline.json'),
      features: [{ featureName: 'age', thresholds: { warning: 0.2, critical: 0.4 } }, { featureName: 'plan', statistic: DriftStatistic.CHI_SQUARE_P_VALUE }],
      quality: { groundTruth: InferenceDataLocation.fromDataLake(lake, 'labels/'), alarms: [{ metric: QualityMetric.AUC, thresholds: { warning: 0.8, critical: 0.75 } }] },
    });
    const widgets = dashboard(stack, { endpoint, driftMonitor: monitor });

    const perFeature = titled(widgets, 'PSI per feature');
    expect(metricsOf(perFeature)).toEqual(["SEARCH('{CdkMlops/Drift,Endpoint,Feature,Variant} MetricName=\"PSI\" Endpoint=\"churn\" Variant=\"Blue\"', 'Maximum', 3600)"]);
    expect(perFeature.properties.annotations?.horizontal).toEqual([
      { value: 0.1, label: 'warning', color: '#ff7f0e', yAxis: 'left' },
      { value: 0.25, label: 'critical', color: '#d62728', fill: 'above', yAxis: 'left' },
    ]);
    const age = titled(widgets, 'PSI of age');
    expect(age.properties.metrics![0].slice(0, 8)).toEqual(['CdkMlops/Drift', 'PSI', 'Endpoint', 'churn', 'Feature', 'age', 'Variant', 'Blue']);
    expect(age.properties.annotations?.horizontal?.map((a) => a.value)).toEqual([0.2, 0.4]);
    // Lower p-values are worse: the critical band is shaded below.
    expect(titled(widgets, 'ChiSquarePValue of plan').properties.annotations?.horizontal?.[1]).toEqual({ value: 0.01, label: 'critical', color: '#d62728', fill: 'below', yAxis: 'left' });
    expect(titled(widgets, 'Share of drifted features').properties.annotations?.horizontal?.[0].value).toBe(0.5);
    expect(metricsOf(titled(widgets, 'Largest PSI and prediction PSI'))).toEqual(['CdkMlops/Drift MaxPSI', 'CdkMlops/Drift PredictionPSI']);
    expect(metricsOf(titled(widgets, 'Malformed capture lines by kind')))
      .toEqual(["SEARCH('{CdkMlops/Drift,Endpoint,Kind,Variant} MetricName=\"MalformedLines\" Endpoint=\"churn\" Variant=\"Blue\"', 'Sum', 3600)"]);
    expect(metricsOf(titled(widgets, 'Rows checked'))).toEqual(['CdkMlops/Drift Rows', 'CdkMlops/Drift Records', 'CdkMlops/Drift TooFewRows']);
    const auc = titled(widgets, 'Model quality: AUC');
    expect(metricsOf(auc)).toEqual(['CdkMlops/ModelQuality AUC']);
    expect(auc.properties.annotations?.horizontal?.map((a) => [a.value, a.fill])).toEqual([[0.8, undefined], [0.75, 'below']]);

    const alarms = titled(widgets, 'Alarms').properties.alarms!;
    // Composite alarms first, then every metric alarm of the monitor, then the endpoint's.
    expect(alarms[0]).toBe(`<${stack.getLogicalId(monitor.driftAlarm.node.defaultChild as any)}.Arn>`);
    expect(alarms[1]).toBe(`<${stack.getLogicalId(monitor.qualityAlarm!.node.defaultChild as any)}.Arn>`);
    expect(alarms.length).toBe(2 + monitor.alarms.length + endpoint.rollbackAlarms.length);
  });

  test('an asynchronous endpoint shows its backlog instead of the per-request metrics it does not publish', () => {
    const { stack, endpoint } = modelStack((lake) => ({
      asyncInference: { location: InferenceDataLocation.fromDataLake(lake, 'async/') },
      dataCapture: undefined,
    }));
    const widgets = dashboard(stack, { endpoint, gpuMetrics: false, period: Duration.minutes(1) });
    const backlog = titled(widgets, 'Asynchronous backlog');
    expect(backlog.properties.metrics!.map((m) => m.slice(0, 4))).toEqual([
      ['AWS/SageMaker', 'ApproximateBacklogSize', 'EndpointName', 'churn'],
      ['AWS/SageMaker', 'ApproximateBacklogSizePerInstance', 'EndpointName', 'churn'],
    ]);
    expect(backlog.properties.metrics![0].at(-1)).toMatchObject({ period: 60 });
    expect(metricsOf(titled(widgets, 'Requests waiting without capacity'))).toEqual(['AWS/SageMaker HasBacklogWithoutCapacity']);
    expect(widgets.some((w) => ['Invocations', 'Invocations per instance', 'Overhead latency (microseconds)'].includes(w.properties.title ?? ''))).toBe(false);
    expect(widgets.some((w) => /GPU/.test(w.properties.title ?? ''))).toBe(false);
  });

  test('an imported endpoint alone gets the endpoint rows, for the variant it is told, and no alarm widget', () => {
    const stack = testStack();
    const widgets = dashboard(stack, { endpoint: ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'fraud'), variantName: 'Green' });
    expect(titled(widgets, 'Invocations').properties.metrics![0].slice(0, 6)).toEqual(['AWS/SageMaker', 'Invocations', 'EndpointName', 'fraud', 'VariantName', 'Green']);
    expect(widgets.some((w) => w.properties.title === 'Alarms' || /Pipeline/.test(w.properties.title ?? ''))).toBe(false);
    expect(widgets[0].properties.markdown).toBe('# Model behind endpoint fraud (Green)');
  });
});

describe('a model\'s whole loop', () => {
  test('pipeline, endpoint, drift monitor that retrains the pipeline, and dashboard pass every cdk-nag pack and cfn-lint', () => {
    const { stack, lake, pipeline, endpoint } = modelStack();
    const monitor = new DriftMonitor(stack, 'Monitor', {
      endpoint,
      monitorName: 'churn-monitor',
      baseline: DriftBaseline.fromDataLake(lake, 'churn/baseline.json'),
      features: [{ featureName: 'age' }],
      retrain: { stateMachine: pipeline.stateMachine },
    });
    new MlopsDashboard(stack, 'Dashboard', { endpoint, pipeline, driftMonitor: monitor, trainingMetricNames: ['validation:auc'] });
    const startsPipeline = Object.values(templateOf(stack).findResources('AWS::IAM::Policy')).some((p: any) => p.Properties.PolicyDocument.Statement
      .some((st: any) => st.Action === 'states:StartExecution' && JSON.stringify(st.Resource) === JSON.stringify(stack.resolve(pipeline.stateMachine.stateMachineArn))
        && JSON.stringify(p.Properties.Roles).includes('MonitorRetrain')));
    expect(startsPipeline).toBe(true);
    expectNagClean(stack.node.root as any);
    const outdir = (stack.node.root as any).outdir as string;
    const lint = cfnLint([path.join(outdir, 'TestStack.template.json')]);
    expect({ status: lint.status, findings: lint.output }).toEqual({ status: 0, findings: '' });
  }, NAG_TIMEOUT);
});
