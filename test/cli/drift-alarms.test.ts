/**
 * What `mlops drift <endpoint>` relies on in the alarms a DriftMonitor synthesizes: one alarm on
 * each variant's drifted-feature share named `<monitorName>-dataset-drift`, and every metric alarm
 * of the monitor named `<monitorName>-<kind>`, in the kinds the CLI tells from another monitor's.
 */
import { isMonitorAlarm, MONITOR_ANCHOR_METRIC, MONITOR_ANCHOR_SUFFIX } from '../../cli/drift-metrics';
import { templateOf } from '../helpers/app';
import { DriftStatistic, ProblemType, QualityMetric } from '../../lib/monitoring/drift-statistics';
import { InferenceDataLocation } from '../../lib/serving/inference-data-location';
import { monitorStack } from '../monitoring/monitor-fixture';

test('the monitor alarms on the metric the CLI finds it by, under the name the CLI reads its prefix from', () => {
  const { stack, monitor } = monitorStack(() => ({ monitorName: 'churn-drift' }));
  const alarms = Object.values(templateOf(stack).findResources('AWS::CloudWatch::Alarm')).map((r: any) => r.Properties);
  const anchor = alarms.filter((a) => a.MetricName === MONITOR_ANCHOR_METRIC);
  expect(anchor).toEqual([expect.objectContaining({
    AlarmName: `${monitor.monitorName}${MONITOR_ANCHOR_SUFFIX}`, Namespace: 'CdkMlops/Drift',
    Dimensions: [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'Variant', Value: 'AllTraffic' }],
  })]);
  // and every alarm of the monitor on its metrics shares the prefix the CLI reads by
  const onDriftMetrics = alarms.filter((a) => a.Namespace === 'CdkMlops/Drift' || a.Namespace === 'CdkMlops/ModelQuality');
  expect(onDriftMetrics.length).toBeGreaterThan(3);
  expect(onDriftMetrics.filter((a) => !String(a.AlarmName).startsWith('churn-drift-'))).toEqual([]);
});

test('the CLI takes every metric alarm of a monitor with features, quality and a prediction as the monitor\'s, and none as another\'s', () => {
  const { stack } = monitorStack((f) => ({
    monitorName: 'churn',
    features: [{ featureName: 'age' }, { featureName: 'plan', statistic: DriftStatistic.CHI_SQUARE_P_VALUE }],
    quality: { groundTruth: InferenceDataLocation.fromDataLake(f.lake, 'labels/'), problemType: ProblemType.REGRESSION, alarms: [{ metric: QualityMetric.RMSE, thresholds: { warning: 5, critical: 8 } }] },
  }));
  // The monitor's alarms: those on its drift and quality metrics (the endpoint's own alarms are named after the endpoint).
  const names = Object.values(templateOf(stack).findResources('AWS::CloudWatch::Alarm')).map((r: any) => r.Properties)
    .filter((a) => a.Namespace === 'CdkMlops/Drift' || a.Namespace === 'CdkMlops/ModelQuality' || String(a.AlarmName).endsWith('-detector-failed'))
    .map((a) => String(a.AlarmName));
  for (const kind of ['feature-age-PSI-', 'feature-plan-', 'quality-RMSE-', 'prediction-psi-', 'max-psi-', 'dataset-drift', 'detector-failed']) {
    expect(names.filter((n) => n.startsWith(`churn-${kind}`)).length).toBeGreaterThan(0);
  }
  expect(names.filter((n) => !isMonitorAlarm(n, 'churn'))).toEqual([]);
  // a monitor whose name extends this one's: its alarms share the prefix 'churn-', not the monitor
  expect(names.map((n) => n.replace(/^churn-/, 'churn-v2-')).filter((n) => isMonitorAlarm(n, 'churn'))).toEqual([]);
});
