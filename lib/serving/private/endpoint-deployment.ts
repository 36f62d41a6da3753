import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { CapacitySize, DeploymentStrategy, DeploymentType, EndpointDeploymentOptions } from '../deployment-strategy';
import { acknowledgeFindings } from '../../core/private/nag';

/** The endpoint's DeploymentConfig and the alarms that roll a deployment back. */
export interface RenderedDeployment {
  readonly deploymentConfig: sagemaker.CfnEndpoint.DeploymentConfigProperty;
  readonly alarms: cloudwatch.IAlarm[];
  /** ARNs of the alarms, for the execution role, which SageMaker reads them with. */
  readonly alarmArns: string[];
}

export interface DeploymentTarget {
  readonly endpointName: string;
  readonly variantNames: string[];
}

/**
 * Renders the deployment guardrails: the traffic-shifting (or rolling) policy and the
 * rollback alarms (per variant on p99 model latency and on 5XX errors, plus the given ones).
 */
export function renderDeployment(scope: Construct, target: DeploymentTarget, options: EndpointDeploymentOptions): RenderedDeployment {
  const strategy = options.strategy ?? DeploymentStrategy.allAtOnce();
  const own = options.createDefaultAlarms ?? true ? defaultAlarms(scope, target, options) : [];
  const given = options.rollbackAlarms ?? [];
  // Our alarms by their literal names: no reference to the alarm resources is needed.
  const names = [...own.map((a) => a.name), ...given.map((a) => a.alarmName)];
  const stack = Stack.of(scope);
  return {
    deploymentConfig: {
      ...renderStrategy(strategy),
      autoRollbackConfiguration: names.length > 0 ? { alarms: names.map((alarmName) => ({ alarmName })) } : undefined,
    },
    alarms: [...own.map((a) => a.alarm), ...given],
    alarmArns: [
      ...own.map((a) => stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: a.name, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
      ...given.map((a) => a.alarmArn),
    ],
  };
}

function renderStrategy(s: DeploymentStrategy): Partial<sagemaker.CfnEndpoint.DeploymentConfigProperty> {
  const timeout = s.maximumExecutionTimeout?.toSeconds();
  if (s.deploymentType === DeploymentType.ROLLING) {
    return {
      rollingUpdatePolicy: {
        maximumBatchSize: capacity(s.stepSize),
        waitIntervalInSeconds: s.waitInterval!.toSeconds(),
        maximumExecutionTimeoutInSeconds: timeout,
        rollbackMaximumBatchSize: s.rollbackMaximumBatchSize ? capacity(s.rollbackMaximumBatchSize) : undefined,
      },
    };
  }
  return {
    blueGreenUpdatePolicy: {
      trafficRoutingConfiguration: {
        type: s.deploymentType,
        // SageMaker requires a wait interval for every type; all-at-once has no steps to wait between.
        waitIntervalInSeconds: s.waitInterval?.toSeconds() ?? 0,
        canarySize: s.deploymentType === DeploymentType.CANARY ? capacity(s.stepSize) : undefined,
        linearStepSize: s.deploymentType === DeploymentType.LINEAR ? capacity(s.stepSize) : undefined,
      },
      terminationWaitInSeconds: s.terminationWait?.toSeconds(),
      maximumExecutionTimeoutInSeconds: timeout,
    },
  };
}

function capacity(size: CapacitySize | undefined): sagemaker.CfnEndpoint.CapacitySizeProperty {
  return { type: size!.sizeType, value: size!.value };
}

function defaultAlarms(scope: Construct, target: DeploymentTarget, options: EndpointDeploymentOptions): Array<{ name: string; alarm: cloudwatch.Alarm }> {
  const group = new Construct(scope, 'RollbackAlarms');
  const latency = options.modelLatencyThreshold ?? Duration.seconds(5);
  const errors = options.serverErrorsThreshold ?? 5;
  const alarms = target.variantNames.flatMap((variantName) => {
    const dimensionsMap = { EndpointName: target.endpointName, VariantName: variantName };
    const named = (name: string, alarm: cloudwatch.Alarm) => ({ name, alarm });
    const latencyName = `${target.endpointName}-${variantName}-model-latency`;
    const errorsName = `${target.endpointName}-${variantName}-5xx-errors`;
    return [
      named(latencyName, new cloudwatch.Alarm(group, `${variantName}ModelLatency`, {
        // Named after the endpoint, which is unique in the account and region.
        alarmName: latencyName,
        alarmDescription: `Rolls back deployments of SageMaker endpoint ${target.endpointName} when p99 model latency of variant ${variantName} stays above ${latency.toHumanString()}`,
        // ModelLatency is published in microseconds.
        metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'ModelLatency', dimensionsMap, statistic: 'p99', period: Duration.minutes(1) }),
        threshold: latency.toMilliseconds() * 1000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })),
      named(errorsName, new cloudwatch.Alarm(group, `${variantName}ServerErrors`, {
        alarmName: errorsName,
        alarmDescription: `Rolls back deployments of SageMaker endpoint ${target.endpointName} when variant ${variantName} returns ${errors} or more 5XX errors a minute`,
        metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors', dimensionsMap, statistic: 'Sum', period: Duration.minutes(1) }),
        threshold: errors,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })),
    ];
  });
  acknowledgeFindings(group, [{
    rules: ['NIST.800.53.R5-CloudWatchAlarmAction', 'HIPAA.Security-CloudWatchAlarmAction', 'PCI.DSS.321-CloudWatchAlarmAction'],
    reason: 'SageMaker reads these alarms\' state during a deployment and rolls it back when one fires; they need no action of their own '
      + '(add one through ModelEndpoint.rollbackAlarms to be notified).',
  }]);
  return alarms;
}
