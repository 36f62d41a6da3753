import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DriftFunction } from './drift-function';
import { DRIFT_NAMESPACE, QUALITY_NAMESPACE } from './metric-names';
import { DriftBaseline } from '../drift-baseline';
import { ModelQualityOptions } from '../drift-monitor-props';
import { ProblemType } from '../drift-statistics';
import { acknowledgeInlinePolicy, acknowledgeWildcards } from '../../core/private/nag';
import { stateMachineLogGroup } from '../../core/private/state-machine-logs';
import { InferenceDataLocation } from '../../serving/inference-data-location';

export interface DetectorProps {
  readonly monitorName: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly capture: InferenceDataLocation;
  readonly baseline: DriftBaseline;
  readonly work: InferenceDataLocation;
  readonly writeReports: boolean;
  readonly window: Duration;
  readonly lag: Duration;
  readonly schedule: events.Schedule;
  readonly minRows: number;
  readonly featureDriftPsi: number;
  readonly datasetDriftShare: number;
  readonly maxConcurrency: number;
  readonly quality?: ModelQualityOptions;
  readonly encryptionKey: kms.Key;
  readonly logRetention: logs.RetentionDays;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
}

const LAMBDA_THROTTLED = ['Lambda.TooManyRequestsException'];

/**
 * The scheduled detector (lambda/drift/CONTRACT.md, "Step Functions shape"): a Standard state
 * machine that plans the window in `drift-detect`, which also runs small windows itself, and fans
 * large ones out over a Distributed Map of `drift-partial` workers whose counts `drift-merge`
 * combines. Standard, because the Map's children run `drift-partial` for up to 15 minutes,
 * longer than an Express workflow may run. A second schedule runs the ground-truth job.
 */
export class Detector extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly functions: DriftFunction[] = [];

  constructor(scope: Construct, id: string, props: DetectorProps) {
    super(scope, id);
    const capturePath = `${props.capture.keyPrefix}${props.endpointName}/${props.variantName}/`;
    const reportPrefix = `${props.work.keyPrefix}reports/`;
    const common = {
      ENDPOINT_NAME: props.endpointName,
      VARIANT_NAME: props.variantName,
      CAPTURE_BUCKET: props.capture.bucket.bucketName,
      CAPTURE_PREFIX: props.capture.keyPrefix,
      WINDOW_MINUTES: String(props.window.toMinutes()),
      WINDOW_LAG_MINUTES: String(props.lag.toMinutes()),
      MIN_ROWS: String(props.minRows),
    };
    const driftEnv = {
      ...common,
      BASELINE_BUCKET: props.baseline.bucket.bucketName,
      BASELINE_KEY: props.baseline.key,
      WORK_BUCKET: props.work.bucket.bucketName,
      WORK_PREFIX: props.work.keyPrefix,
      METRIC_NAMESPACE: DRIFT_NAMESPACE,
      FEATURE_DRIFT_PSI: String(props.featureDriftPsi),
      DATASET_DRIFT_SHARE: String(props.datasetDriftShare),
      ...(props.writeReports ? { REPORT_PREFIX: reportPrefix } : {}),
    };
    const fn = (handlerId: string, handler: 'drift-detect' | 'drift-partial' | 'drift-merge' | 'drift-quality', description: string,
      timeout: Duration, environment: Record<string, string>) => {
      const f = new DriftFunction(this, handlerId, {
        handler, description, timeout, environment,
        encryptionKey: props.encryptionKey, logRetention: props.logRetention, vpc: props.vpc, vpcSubnets: props.vpcSubnets,
      });
      this.functions.push(f);
      return f;
    };
    const detect = fn('Detect', 'drift-detect', `Plans and checks drift windows of monitor ${props.monitorName}`, Duration.minutes(15), driftEnv);
    const partial = fn('Partial', 'drift-partial', `Counts one batch of capture for monitor ${props.monitorName}`, Duration.minutes(15), driftEnv);
    const merge = fn('Merge', 'drift-merge', `Merges batch counts and publishes drift metrics of monitor ${props.monitorName}`, Duration.minutes(5), driftEnv);

    // Capture: list the variant's hour folders, read its files. Work area: item lists and partials.
    for (const f of [detect, partial]) this.grantListAndRead(f, props.capture, capturePath, f === detect);
    for (const f of [detect, partial, merge]) props.baseline.grantRead(f);
    for (const f of [detect, partial]) this.grantObjects(f, props.work, ['s3:PutObject'], props.work.keyPrefix, ['kms:GenerateDataKey']);
    // drift-merge lists the partials before it reads them, to name the missing ones.
    this.grantListAndRead(merge, props.work, props.work.keyPrefix, true,
      `The monitor names its work files per run under ${props.work.keyPrefix}; the grant is limited to that prefix.`);
    if (props.writeReports) this.grantObjects(merge, props.work, ['s3:PutObject'], reportPrefix, ['kms:GenerateDataKey']);

    let quality: DriftFunction | undefined;
    if (props.quality) {
      const q = props.quality;
      quality = fn('Quality', 'drift-quality', `Joins ground truth with captured predictions for monitor ${props.monitorName}`, Duration.minutes(15), {
        ...common,
        METRIC_NAMESPACE: QUALITY_NAMESPACE,
        GROUND_TRUTH_BUCKET: q.groundTruth.bucket.bucketName,
        GROUND_TRUTH_PREFIX: q.groundTruth.keyPrefix,
        PROBLEM_TYPE: q.problemType ?? ProblemType.BINARY_CLASSIFICATION,
        PROBABILITY_THRESHOLD: String(q.probabilityThreshold ?? 0.5),
        CAPTURE_LOOKBACK_HOURS: String((q.captureLookback ?? Duration.hours(24)).toHours()),
      });
      this.grantListAndRead(quality, props.capture, capturePath, true);
      this.grantListAndRead(quality, q.groundTruth, q.groundTruth.keyPrefix, true);
    }

    const name = `${props.monitorName}-drift`;
    const logGroup = stateMachineLogGroup(this, 'Logs', { name: name, encryptionKey: props.encryptionKey, retention: props.logRetention });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(props, detect, partial, merge, quality)),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `Drift detection${quality ? ' and model quality' : ''} for endpoint ${props.endpointName}, variant ${props.variantName}`,
    });
    // The Distributed Map reads the item list that drift-detect wrote.
    this.grantObjects(this.stateMachine, props.work, ['s3:GetObject'], props.work.keyPrefix, ['kms:Decrypt']);
    const role = this.stateMachine.role;
    acknowledgeWildcards(role, { resources: [props.work.arnForObjects(), ...this.functions.map((f) => `${f.function.functionArn}:*`)] },
      `The Distributed Map reads item lists under the monitor's work prefix (${props.work.keyPrefix}), named per run; Step Functions may invoke any version of the functions it owns.`);
    acknowledgeWildcards(role, { resources: ['*'] }, 'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level permissions.');
    acknowledgeInlinePolicy(role);
    this.acknowledgeChildExecutions();

    const ruleRole = new iam.Role(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
    acknowledgeInlinePolicy(ruleRole);
    const scheduled = (ruleId: string, job: string, schedule: events.Schedule) => new events.Rule(this, ruleId, {
      description: `Runs the ${job} job of monitor ${props.monitorName}`,
      schedule,
      targets: [new targets.SfnStateMachine(this.stateMachine, {
        role: ruleRole,
        input: events.RuleTargetInput.fromObject({ job, time: events.EventField.time }),
      })],
    });
    scheduled('DriftSchedule', 'drift', props.schedule);
    if (props.quality) scheduled('QualitySchedule', 'quality', props.quality.schedule ?? props.schedule);
  }

  private definition(props: DetectorProps, detect: DriftFunction, partial: DriftFunction, merge: DriftFunction, quality?: DriftFunction): sfn.IChainable {
    // Retriers match in order: Lambda's own transient errors (CDK's), throttling, the handler's named
    // errors, then one more try for any other failure, such as an S3 body that broke mid-stream.
    const invoke = (id: string, f: DriftFunction, comment: string, options: { resultSelector?: Record<string, string>; retries?: sfn.RetryProps[] } = {}) => {
      const task = new tasks.LambdaInvoke(this, id, { comment, lambdaFunction: f.function, payloadResponseOnly: true, resultSelector: options.resultSelector });
      task.addRetry({ errors: LAMBDA_THROTTLED, interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 6 });
      for (const retry of options.retries ?? []) task.addRetry(retry);
      task.addRetry({ errors: ['ConfigError'], maxAttempts: 0 });
      task.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 2 });
      return task;
    };

    const detectTask = invoke('DetectDrift', detect, 'Plans the window; checks it here when it is small');
    const partialTask = invoke('CountBatch', partial, 'Counts one batch of capture objects into a partial');
    const mergeTask = invoke('MergeBatches', merge, 'Merges the partials and publishes the metrics', {
      resultSelector: { 'mode.$': '$.mode', 'status.$': '$.report.status', 'window.$': '$.report.window' },
      retries: [{ errors: ['PartialsMissingError'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 3 }],
    });
    const fanOut = new sfn.DistributedMap(this, 'FanOut', {
      comment: 'One worker per batch of capture objects; the partial counts go to S3, not into the state',
      itemReader: new sfn.S3JsonItemReader({ bucketNamePath: sfn.JsonPath.stringAt('$.items.bucket'), key: sfn.JsonPath.stringAt('$.items.key') }),
      mapExecutionType: sfn.StateMachineType.STANDARD,
      maxConcurrency: props.maxConcurrency,
      label: 'DriftBatches',
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(partialTask);
    const checked = new sfn.Succeed(this, 'DriftChecked');
    const drift = detectTask.next(new sfn.Choice(this, 'WindowSize')
      .when(sfn.Condition.stringEquals('$.mode', 'complete'), checked)
      .when(sfn.Condition.stringEquals('$.mode', 'fanout'), fanOut.next(mergeTask).next(checked))
      .otherwise(new sfn.Fail(this, 'UnknownDetectResult', { error: 'UnknownDetectResult', cause: "drift-detect returned a mode other than 'complete' or 'fanout'" })));
    if (!quality) return drift;
    const qualityTask = invoke('CheckQuality', quality, 'Joins the window\'s labels with the captured predictions and publishes quality metrics');
    return new sfn.Choice(this, 'Job')
      .when(sfn.Condition.stringEquals('$.job', 'quality'), qualityTask.next(new sfn.Succeed(this, 'QualityChecked')))
      .otherwise(drift);
  }

  /** The policy CDK adds for the Distributed Map's child executions: this machine's executions only. */
  private acknowledgeChildExecutions(): void {
    const policy = this.stateMachine.node.findChild('DistributedMapPolicy');
    const stack = Stack.of(this);
    const name = Arn.split(this.stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    const executions = (suffix: string) => stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}${suffix}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    acknowledgeWildcards(policy, { resources: [executions(':*'), executions('/DriftBatches:*')] },
      'The Distributed Map describes, stops and redrives the child executions of this state machine, which Step Functions names.');
    acknowledgeInlinePolicy(policy);
  }

  /** Lists (optionally) and reads the objects under `prefix` of a location, with its key. */
  private grantListAndRead(grantee: DriftFunction, location: InferenceDataLocation, prefix: string, list: boolean,
    reason = `SageMaker and users name capture and label files under ${prefix}, one folder per hour; the grant is limited to that prefix.`): void {
    if (list) {
      grantee.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [location.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }));
    }
    this.grantObjects(grantee, location, ['s3:GetObject'], prefix, ['kms:Decrypt'], reason);
  }

  private grantObjects(grantee: iam.IGrantable, location: InferenceDataLocation, actions: string[], prefix: string, keyActions: string[],
    reason = `The monitor names its work files per run under ${prefix}; the grant is limited to that prefix.`): void {
    const objects = location.bucket.arnForObjects(`${prefix}*`);
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [objects] });
    location.encryptionKey?.grant(grantee, ...keyActions);
    if (grantee instanceof DriftFunction) acknowledgeWildcards(grantee.role, { resources: [objects] }, reason);
  }
}
