import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../../core/private/nag';
import { SeverityThresholds } from '../drift-statistics';

/** How every alarm of one monitor evaluates. */
export interface AlarmSettings {
  readonly prefix: string;
  readonly period: Duration;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  readonly topic: sns.ITopic;
  readonly notifyOnWarning: boolean;
}

/** The critical alarms (which the composite alarms combine) and all alarms of one set. */
export interface AlarmSet {
  readonly critical: cloudwatch.Alarm[];
  readonly all: cloudwatch.Alarm[];
}

/**
 * A warning and a critical alarm on one metric, named `<prefix>-<name>-warning|critical`.
 * Critical alarms have no actions of their own: the composite alarm that combines them notifies
 * once, however many of them go off.
 */
export function severityAlarms(scope: Construct, id: string, settings: AlarmSettings, name: string, metric: cloudwatch.IMetric,
  thresholds: Required<SeverityThresholds> | SeverityThresholds, lowerIsWorse: boolean, description: string): AlarmSet {
  const critical: cloudwatch.Alarm[] = [];
  const all: cloudwatch.Alarm[] = [];
  for (const severity of ['warning', 'critical'] as const) {
    const threshold = thresholds[severity];
    if (threshold === undefined) continue;
    const alarm = metricAlarm(scope, `${id}${severity === 'warning' ? 'Warning' : 'Critical'}`, settings, `${name}-${severity}`, metric, threshold,
      lowerIsWorse, `${description} (${severity})`, severity === 'warning' && settings.notifyOnWarning);
    all.push(alarm);
    if (severity === 'critical') critical.push(alarm);
  }
  return { critical, all };
}

/** One metric alarm of the monitor, notifying the topic when `notify` is set. */
export function metricAlarm(scope: Construct, id: string, settings: AlarmSettings, name: string, metric: cloudwatch.IMetric, threshold: number,
  lowerIsWorse: boolean, description: string, notify: boolean): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: `${settings.prefix}-${name}`,
    alarmDescription: description,
    metric,
    threshold,
    comparisonOperator: lowerIsWorse ? cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: settings.evaluationPeriods,
    datapointsToAlarm: settings.datapointsToAlarm,
    treatMissingData: settings.treatMissingData,
  });
  if (notify) {
    alarm.addAlarmAction(new actions.SnsAction(settings.topic));
  } else {
    acknowledgeFindings(alarm, [{
      rules: ['NIST.800.53.R5-CloudWatchAlarmAction', 'HIPAA.Security-CloudWatchAlarmAction', 'PCI.DSS.321-CloudWatchAlarmAction'],
      reason: 'The monitor\'s composite alarm notifies for it (critical), or it is a warning shown on the dashboard that notifies only with notifyOnWarning.',
    }]);
  }
  return alarm;
}

/** A composite alarm that goes off when any of `alarms` does, and notifies on ALARM and on OK. */
export function anyOfAlarm(scope: Construct, id: string, settings: AlarmSettings, name: string, alarms: cloudwatch.IAlarm[], description: string): cloudwatch.CompositeAlarm {
  const composite = new cloudwatch.CompositeAlarm(scope, id, {
    compositeAlarmName: `${settings.prefix}-${name}`,
    alarmDescription: description,
    alarmRule: cloudwatch.AlarmRule.anyOf(...alarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
  });
  const action = new actions.SnsAction(settings.topic);
  composite.addAlarmAction(action);
  composite.addOkAction(action);
  return composite;
}
