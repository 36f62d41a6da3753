/**
 * What `mlops drift <endpoint>` relies on in the alarms a DriftMonitor synthesizes: one alarm on
 * each variant's drifted-feature share named `<monitorName>-dataset-drift`, and every metric alarm
 * of the monitor named `<monitorName>-...`.
 */
import { MONITOR_ANCHOR_METRIC, MONITOR_ANCHOR_SUFFIX } from '../../cli/drift-metrics';
import { templateOf } from '../helpers/app';
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
