import { Annotations, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function';
import { addRetries } from './retry-policies';
import { FeatureSchema } from '../feature-schema';
import { BaselineStepOptions } from '../step-options';
import type { TrainingPipelineProps } from '../training-pipeline-props';
import { PropsValidator } from '../../core/private/errors';
import { acknowledgeWildcards } from '../../core/private/nag';
import { grantObjectRead } from '../../core/private/s3-grants';
import { IDataLake } from '../../lake/data-lake';
import { DeployOutcome } from '../../serving/private/deploy-states';

/** Lambda's limit, and what the drift contract suggests for the baseline handler. */
const MAX_TIMEOUT = Duration.minutes(15);
/** Categories the drift core tracks per column while reading (lambda/drift-core/baseline.ts). */
const MAX_TRACKED_CATEGORIES = 10_000;

/** The baseline step of one pipeline, resolved from its props; undefined when it is off. */
export interface ResolvedBaseline {
  readonly schema: FeatureSchema;
  readonly trainingFileName: string;
  readonly maxCategories: number;
  readonly timeout: Duration;
}

/**
 * Whether the pipeline computes baselines by default: with preprocessing (the split is the run's
 * own), except for a built-in algorithm without a schema, whose CSV has no header row to name the
 * features, so an inferred schema would fail every run.
 */
export function baselineByDefault(props: TrainingPipelineProps): boolean {
  return props.preprocessing !== undefined && (props.baseline?.schema !== undefined || !props.training.image.reportsOwnMetrics);
}

/** Whether the pipeline computes baselines, with its defaults filled in; checks the options. */
export function resolveBaseline(scope: Construct, props: TrainingPipelineProps): ResolvedBaseline | undefined {
  const options: BaselineStepOptions = props.baseline ?? {};
  if (options.enabled === undefined && props.preprocessing !== undefined && !baselineByDefault(props)) {
    Annotations.of(scope).addWarningV2('cdk-mlops:baselineNeedsSchema',
      "No drift baseline is computed: a built-in algorithm's CSV has no header row to name the features; give 'baseline.schema', "
      + "e.g. FeatureSchema.of([{ name: 'tenure', featureType: FeatureType.NUMERIC }], { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }), or 'baseline.enabled: false'");
  }
  if (!(options.enabled ?? baselineByDefault(props))) return undefined;
  if (options.schema === undefined) {
    Annotations.of(scope).addWarningV2('cdk-mlops:baselineSchemaInferred',
      "The drift baseline takes feature names from the train split's header row; a split without one (label first, as SageMaker's built-in algorithms and "
      + "the example preprocess.py write it) fails the run before training: give 'baseline.schema' with TrainingDataLayout.LABEL_FIRST_NO_HEADER, or 'baseline.enabled: false'");
  }
  const v = new PropsValidator(scope, 'TrainingPipelineInvalidProps');
  const file = options.trainingFileName ?? 'train.csv';
  v.checkResolved([file], () => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(file),
    `'baseline.trainingFileName' ('${file}') must be one object's name under the train/ split: letters, digits, '.', '_' and '-'; use e.g. 'train.csv'`);
  const max = options.maxCategories ?? 50;
  v.check(!Number.isInteger(max) || max < 1 || max > MAX_TRACKED_CATEGORIES,
    `'baseline.maxCategories' (${max}) must be a whole number from 1 to ${MAX_TRACKED_CATEGORIES}; use 50 to keep the 50 most frequent categories`);
  const timeout = options.timeout ?? MAX_TIMEOUT;
  v.check(timeout.toSeconds() < 60 || timeout.toSeconds() > MAX_TIMEOUT.toSeconds(),
    `'baseline.timeout' (${timeout.toHumanString()}) must be from 1 to 15 minutes (Lambda's limit); use Duration.minutes(15) for large splits`);
  v.throwIfInvalid();
  return { schema: options.schema ?? FeatureSchema.infer(), trainingFileName: file, maxCategories: max, timeout };
}

/** The run-relative keys the baseline step reads and writes, for the plan and the grants. */
export function baselinePaths(runsPrefix: string, inputPrefix: string, preprocessed: boolean, baseline: ResolvedBaseline) {
  return {
    /** The train split object: the run's own with preprocessing, else a fixed key of the raw zone. */
    train: preprocessed ? `${runsPrefix}*/train/${baseline.trainingFileName}` : `${inputPrefix}train/${baseline.trainingFileName}`,
    output: `${runsPrefix}*/baseline/baseline.json`,
  };
}

export interface BaselineFunctionProps {
  readonly lake: IDataLake;
  readonly runsPrefix: string;
  readonly inputPrefix: string;
  readonly preprocessed: boolean;
  readonly baseline: ResolvedBaseline;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** With an in-run deployment: the key the function copies the served model's baseline to. */
  readonly currentKey?: string;
}

/**
 * The function that computes baselines (the bundled `drift-baseline` handler). It reads the train
 * split object of a run and writes that run's baseline.json; with an in-run deployment it also
 * copies a run's baseline to the current key. Nothing else: no listing beyond the split's own key.
 */
export function createBaselineFunction(scope: Construct, id: string, props: BaselineFunctionProps): PipelineFunction {
  const fn = new PipelineFunction(scope, id, {
    handler: 'drift-baseline',
    description: 'Computes the drift baseline of a training pipeline run\'s training split',
    // The drift contract's suggestion: the core streams the split twice and holds its reservoirs (200,000 values per numeric column).
    memorySize: 1024,
    timeout: props.baseline.timeout,
    encryptionKey: props.encryptionKey,
    logRetention: props.logRetention,
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
  });
  const paths = baselinePaths(props.runsPrefix, props.inputPrefix, props.preprocessed, props.baseline);
  const source = props.preprocessed ? props.lake.curatedBucket : props.lake.rawBucket;
  // ListBucket on the key itself: a missing split then reads NoSuchKey instead of AccessDenied.
  grantObjectRead(fn, source, paths.train, props.lake.encryptionKey);
  const output = props.lake.artifactsBucket.arnForObjects(paths.output);
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [output] }));
  // One PutObject of a small JSON (no multipart upload), so no kms:Decrypt is needed for writing.
  props.lake.encryptionKey.grant(fn, 'kms:GenerateDataKey');
  if (props.currentKey) grantPromotion(fn, props.lake, props.runsPrefix, props.currentKey);
  const wildcards = [...(paths.train.includes('*') ? [source.arnForObjects(paths.train)] : []), output];
  acknowledgeWildcards(fn.role, { actions: ['s3:GetObject*'], resources: wildcards },
    `The function reads one object of the training split (${paths.train}) and writes (and, to promote it, reads) one baseline (${paths.output}); the wildcard is the run's execution name.`);
  return fn;
}

export interface BaselineStateProps {
  readonly function: PipelineFunction;
  readonly lake: IDataLake;
  readonly baseline: ResolvedBaseline;
  readonly preprocessed: boolean;
}

/** The function's own limit decides; the margin covers a cold start and the invoke itself. */
export function baselineTaskTimeout(functionTimeout: Duration): sfn.Timeout {
  return sfn.Timeout.duration(functionTimeout.plus(Duration.minutes(1)));
}

/**
 * The state that computes the run's baseline. Its result is small: the URI and the counts
 * (`$.baseline`), never the baseline itself, which may be larger than a state may hold.
 */
export function baselineState(scope: Construct, props: BaselineStateProps): tasks.LambdaInvoke {
  const train = props.preprocessed ? props.lake.curatedBucket : props.lake.rawBucket;
  const task = new tasks.LambdaInvoke(scope, 'ComputeBaseline', {
    comment: 'Drift baseline of the training split, with the drift detector\'s parser and bins',
    lambdaFunction: props.function.function,
    payloadResponseOnly: true,
    payload: sfn.TaskInput.fromObject({
      train: { bucket: train.bucketName, key: sfn.JsonPath.stringAt('$.plan.baselineTrainKey') },
      output: { bucket: props.lake.artifactsBucket.bucketName, key: sfn.JsonPath.stringAt('$.plan.baselineKey') },
      maxCategories: props.baseline.maxCategories,
      ...props.baseline.schema._renderEvent(),
    }),
    resultSelector: {
      'uri.$': '$.baselineUri',
      'rows.$': '$.rows',
      'features.$': '$.features',
      'problems.$': '$.problems',
    },
    resultPath: '$.baseline',
    taskTimeout: baselineTaskTimeout(props.baseline.timeout),
  });
  addRetries(task, 'lambda');
  return task;
}

/**
 * After a deployment: when the run's model now serves, its baseline becomes the one at
 * `currentKey`, which the drift monitor reads. The baseline function copies it (GET, check, PUT):
 * S3's CopyObject needs a URL-encoded CopySource, which no intrinsic function makes, and
 * execution names may hold '+', which S3 would decode as a space.
 */
export function promoteBaselineState(scope: Construct, fn: PipelineFunction, lake: IDataLake, currentKey: string, timeout: Duration): tasks.LambdaInvoke {
  const bucket = lake.artifactsBucket.bucketName;
  const task = new tasks.LambdaInvoke(scope, 'PromoteBaseline', {
    comment: `Copies the served model's baseline to ${currentKey} for the drift monitor`,
    lambdaFunction: fn.function,
    payloadResponseOnly: true,
    payload: sfn.TaskInput.fromObject({
      promote: {
        from: { bucket, key: sfn.JsonPath.stringAt('$.plan.baselineKey') },
        to: { bucket, key: currentKey },
      },
    }),
    resultSelector: { 'uri.$': '$.currentUri' },
    resultPath: '$.baseline.current',
    // The same function as the baseline step, with its limit.
    taskTimeout: baselineTaskTimeout(timeout),
  });
  addRetries(task, 'lambda');
  return task;
}

/** Lets the baseline function copy run baselines to the current key, and nothing else beyond its own step. */
export function grantPromotion(fn: PipelineFunction, lake: IDataLake, runsPrefix: string, currentKey: string): void {
  const bucket = lake.artifactsBucket;
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${runsPrefix}*/baseline/baseline.json`)] }));
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(currentKey)] }));
  lake.encryptionKey.grant(fn, 'kms:Decrypt');
}

/** Whether the deployment left the run's model serving: DEPLOYED, or UNCHANGED (it already served). */
export function modelServes(): sfn.Condition {
  return sfn.Condition.or(
    sfn.Condition.stringEquals('$.deployment.outcome', DeployOutcome.DEPLOYED),
    sfn.Condition.stringEquals('$.deployment.outcome', DeployOutcome.UNCHANGED),
  );
}
