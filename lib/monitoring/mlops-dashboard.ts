import { ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DriftMonitor } from './drift-monitor';
import { DriftStatistic, SeverityThresholds } from './drift-statistics';
import { checkDashboardName, regionalDashboardName, REGION_SUFFIX_LENGTH } from '../core/private/dashboard-name';
import { PropsValidator } from '../core/private/errors';
import { DRIFT_NAMESPACE, DRIFT_STATISTIC_RULES, QUALITY_LOWER_IS_WORSE } from './private/metric-names';
import { IModelEndpoint, ModelEndpoint } from '../serving/model-endpoint';
import type { TrainingPipeline } from '../training/training-pipeline';

/**
 * Properties of an `MlopsDashboard`.
 */
export interface MlopsDashboardProps {
  /** The endpoint that serves the model. */
  readonly endpoint: IModelEndpoint;

  /**
   * The variant whose metrics are shown.
   *
   * @default - the endpoint's first variant ('AllTraffic' for imported endpoints)
   */
  readonly variantName?: string;

  /**
   * The pipeline that trains the model: its runs (succeeded, failed, duration) and training metrics.
   *
   * @default - no pipeline widgets
   */
  readonly pipeline?: TrainingPipeline;

  /**
   * Training-job metrics to chart per run, e.g. ['validation:auc', 'train:loss'] (namespace
   * `/aws/sagemaker/TrainingJobs`, one line per training job of the pipeline).
   *
   * @default - none
   */
  readonly trainingMetricNames?: string[];

  /**
   * The drift monitor of the endpoint: drift per feature against its thresholds, malformed
   * lines, model quality and the alarms' states.
   *
   * @default - no drift widgets
   */
  readonly driftMonitor?: DriftMonitor;

  /**
   * The endpoint serves asynchronous inference: show its backlog, not the per-request metrics it lacks.
   *
   * @default - true for a `ModelEndpoint` with `asyncInference`, false for imported endpoints
   */
  readonly asyncInference?: boolean;

  /**
   * Show GPU and GPU-memory utilization.
   *
   * @default true
   */
  readonly gpuMetrics?: boolean;

  /**
   * Name of the dashboard. Dashboards are global to the account: a name of your own needs the
   * region in it if the stack deploys to more than one region of the account.
   *
   * @default - derived from the construct path, and the stack's region
   */
  readonly dashboardName?: string;

  /**
   * Period of the endpoint and pipeline graphs.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

const WIDTH = 24;
const HALF = 12;
const THIRD = 8;

/**
 * One CloudWatch dashboard per model: pipeline runs and training metrics, endpoint traffic,
 * latency, errors and utilization, the asynchronous backlog, drift per feature against its
 * thresholds, malformed capture lines, model quality and the state of every alarm.
 */
export class MlopsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MlopsDashboardProps) {
    super(scope, id);
    const endpoint = props.endpoint;
    const owned = endpoint instanceof ModelEndpoint ? endpoint : undefined;
    const variantName = props.variantName ?? owned?.variantNames[0] ?? 'AllTraffic';
    const isAsync = props.asyncInference ?? owned?.asyncInferenceLocations !== undefined;
    const period = props.period ?? Duration.minutes(5);
    const v = { variantName, period };
    const problems = new PropsValidator(this, 'MlopsDashboardInvalidProps');
    checkDashboardName(problems, props.dashboardName, 'churn-models-eu-west-1');
    problems.throwIfInvalid();

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName
        ?? regionalDashboardName(this, Names.uniqueResourceName(this, { maxLength: 255 - REGION_SUFFIX_LENGTH, separator: '-' })),
      defaultInterval: Duration.days(7),
    });
    const rows: cloudwatch.IWidget[][] = [[new cloudwatch.TextWidget({
      markdown: `# Model behind endpoint ${endpoint.endpointName} (${variantName})`, width: WIDTH, height: 1,
    })]];

    if (props.pipeline) rows.push(...this.pipelineRows(props.pipeline, props.trainingMetricNames ?? [], period));

    const errors = [endpoint.metricInvocation4XXErrors(v), endpoint.metricInvocation5XXErrors(v), endpoint.metric('InvocationModelErrors', { ...v, statistic: 'Sum' })];
    if (isAsync) {
      const backlog = (metricName: string) => new cloudwatch.Metric({
        namespace: 'AWS/SageMaker', metricName, dimensionsMap: { EndpointName: endpoint.endpointName }, statistic: 'Average', period,
      });
      rows.push([
        graph('Asynchronous backlog', [backlog('ApproximateBacklogSize'), backlog('ApproximateBacklogSizePerInstance')], THIRD),
        graph('Requests waiting without capacity', [backlog('HasBacklogWithoutCapacity')], THIRD),
        graph('Errors', errors, THIRD),
      ]);
      rows.push([graph('Model latency (microseconds)', [endpoint.metricModelLatency(v), endpoint.metricModelLatency({ ...v, statistic: 'p99' })], WIDTH)]);
    } else {
      rows.push([
        graph('Invocations', [endpoint.metricInvocations(v)], THIRD),
        graph('Invocations per instance', [endpoint.metricInvocationsPerInstance(v)], THIRD),
        graph('Errors', errors, THIRD),
      ]);
      rows.push([
        graph('Model latency (microseconds)', [endpoint.metricModelLatency(v), endpoint.metricModelLatency({ ...v, statistic: 'p99' })], HALF),
        graph('Overhead latency (microseconds)', [endpoint.metricOverheadLatency(v), endpoint.metricOverheadLatency({ ...v, statistic: 'p99' })], HALF),
      ]);
    }
    const utilization = [endpoint.metricCpuUtilization(v), endpoint.metricMemoryUtilization(v), endpoint.metricDiskUtilization(v)];
    const gpu = props.gpuMetrics ?? true;
    rows.push(gpu ? [
      graph('CPU, memory and disk utilization (%)', utilization, HALF),
      graph('GPU and GPU memory utilization (%)', [endpoint.metricGpuUtilization(v), endpoint.metricGpuMemoryUtilization(v)], HALF),
    ] : [graph('CPU, memory and disk utilization (%)', utilization, WIDTH)]);

    if (props.driftMonitor) rows.push(...this.driftRows(props.driftMonitor));
    // An alarm status widget shows at most 100 alarms: the composite ones come first.
    const alarms = [...(props.driftMonitor ? monitorAlarms(props.driftMonitor) : []), ...(owned?.rollbackAlarms ?? []).map((a, i) => byName(this, a, i))].slice(0, 100);
    if (alarms.length > 0) {
      rows.push([new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: WIDTH, height: Math.min(12, 2 + Math.ceil(alarms.length / 4)) })]);
    }
    for (const row of rows) this.dashboard.addWidgets(...row);
  }

  private pipelineRows(pipeline: TrainingPipeline, metricNames: string[], period: Duration): cloudwatch.IWidget[][] {
    const machine = pipeline.stateMachine;
    const rows: cloudwatch.IWidget[][] = [[
      graph(`Pipeline ${pipeline.pipelineName}: runs`, [
        machine.metricSucceeded({ period, label: 'Succeeded' }),
        machine.metricFailed({ period, label: 'Failed' }),
        machine.metricTimedOut({ period, label: 'Timed out' }),
        machine.metricAborted({ period, label: 'Aborted' }),
      ], HALF),
      graph(`Pipeline ${pipeline.pipelineName}: run duration (ms)`, [
        machine.metricTime({ period, label: 'Average' }),
        machine.metricTime({ period, statistic: 'Maximum', label: 'Maximum' }),
      ], HALF),
    ]];
    // One line per training job: the pipeline names its jobs '<pipelineName>-train-<run hash>'.
    const perRun = metricNames.map((name) => graph(`Training metric ${name} per run`, [new cloudwatch.MathExpression({
      expression: `SEARCH('{/aws/sagemaker/TrainingJobs,Host} MetricName="${name}" ${pipeline.pipelineName}-train', 'Maximum', ${Duration.minutes(1).toSeconds()})`,
      label: '',
      period: Duration.minutes(1),
    })], metricNames.length === 1 ? WIDTH : HALF));
    for (let i = 0; i < perRun.length; i += 2) rows.push(perRun.slice(i, i + 2));
    return rows;
  }

  private driftRows(monitor: DriftMonitor): cloudwatch.IWidget[][] {
    const period = monitor.period;
    const dims = `Endpoint="${monitor.endpointName}" Variant="${monitor.variantName}"`;
    const search = (metricName: string, dimension: string, statistic: string) => new cloudwatch.MathExpression({
      expression: `SEARCH('{${DRIFT_NAMESPACE},Endpoint,${dimension},Variant} MetricName="${metricName}" ${dims}', '${statistic}', ${period.toSeconds()})`,
      label: '',
      period,
    });
    const rows: cloudwatch.IWidget[][] = [[
      new cloudwatch.TextWidget({ markdown: `## Drift of monitor ${monitor.monitorName} (one point per ${period.toHumanString()} window)`, width: WIDTH, height: 1 }),
    ], [
      graph('PSI per feature', [search(DriftStatistic.PSI, 'Feature', 'Maximum')], HALF, thresholdLines(monitor.maxFeatureDrift, false)),
      graph('Largest PSI and prediction PSI', [monitor.metricMaxFeatureDrift({ label: 'Max PSI over features' }), monitor.metricPredictionDrift({ label: 'Prediction PSI' })],
        HALF, thresholdLines(monitor.maxFeatureDrift, false)),
    ], [
      graph('Share of drifted features', [monitor.metricDriftedFeatureShare()], THIRD,
        [{ value: monitor.datasetDriftShare, label: 'dataset drift', color: cloudwatch.Color.RED }]),
      graph('Malformed capture lines by kind', [search('MalformedLines', 'Kind', 'Sum')], THIRD),
      graph('Rows checked', [monitor.metricRows(), monitor.metricRecords(), monitor.metricTooFewRows({ label: 'Windows with too few rows' })], THIRD),
    ]];
    const featureGraphs = monitor.features.map((f) => graph(`${f.statistic} of ${f.featureName}`, [monitor.metricFeatureDrift(f.featureName, f.statistic)],
      THIRD, thresholdLines(f.thresholds!, DRIFT_STATISTIC_RULES[f.statistic!].lowerIsWorse)));
    for (let i = 0; i < featureGraphs.length; i += 3) rows.push(featureGraphs.slice(i, i + 3));
    const qualityGraphs = monitor.qualityMetrics.map((q) => graph(`Model quality: ${q.metric}`, [monitor.metricQuality(q.metric)], THIRD,
      thresholdLines(q.thresholds, QUALITY_LOWER_IS_WORSE[q.metric])));
    for (let i = 0; i < qualityGraphs.length; i += 3) rows.push(qualityGraphs.slice(i, i + 3));
    return rows;
  }
}

function graph(title: string, metrics: cloudwatch.IMetric[], width: number, annotations?: cloudwatch.HorizontalAnnotation[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width, height: 6, leftAnnotations: annotations });
}

/** The warning and critical thresholds as horizontal lines, shaded on the bad side. */
function thresholdLines(t: SeverityThresholds, lowerIsWorse: boolean): cloudwatch.HorizontalAnnotation[] {
  const fill = lowerIsWorse ? cloudwatch.Shading.BELOW : cloudwatch.Shading.ABOVE;
  return [
    ...(t.warning !== undefined ? [{ value: t.warning, label: 'warning', color: cloudwatch.Color.ORANGE }] : []),
    ...(t.critical !== undefined ? [{ value: t.critical, label: 'critical', color: cloudwatch.Color.RED, fill }] : []),
  ];
}

/**
 * An alarm referred to by its name where it has a literal one, not by its resource: an endpoint's
 * rollback alarms exist only while the endpoint does (ModelVersionParameter.serveOnlyWhenPromoted).
 */
function byName(scope: Construct, alarm: cloudwatch.IAlarm, index: number): cloudwatch.IAlarm {
  const cfn = alarm.node.defaultChild;
  const name = cfn instanceof cloudwatch.CfnAlarm ? cfn.alarmName : undefined;
  if (name === undefined || Token.isUnresolved(name)) return alarm;
  return cloudwatch.Alarm.fromAlarmArn(scope, `EndpointAlarm${index}`,
    Stack.of(scope).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
}

function monitorAlarms(monitor: DriftMonitor): cloudwatch.IAlarm[] {
  return [monitor.driftAlarm, ...(monitor.qualityAlarm ? [monitor.qualityAlarm] : []), ...monitor.alarms];
}
