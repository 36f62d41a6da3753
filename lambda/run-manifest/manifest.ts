/**
 * Builds a run manifest from what the training pipeline's state machine carries: the job
 * descriptions that SageMaker's `.sync` integrations return, the gate decision, the model
 * package, and the input objects with their S3 version ids. Pure, so it is tested directly.
 */

export interface InputObject {
  readonly uri: string;
  readonly versionId: string;
  readonly etag?: string;
  readonly size?: number;
  readonly lastModified?: string;
}

export interface InputListing {
  readonly prefixUri: string;
  readonly objects: InputObject[];
  readonly truncated: boolean;
}

export interface ManifestEvent {
  readonly manifestBucket: string;
  readonly manifestKey: string;
  readonly inputs: Array<{ readonly bucket: string; readonly prefix: string }>;
  readonly execution: Record<string, unknown>;
  /** The training image is a SageMaker built-in algorithm (it defines its own metrics). */
  readonly builtInAlgorithm?: boolean;
  readonly run: Record<string, any>;
}

/** Fields of DescribeTrainingJob that CreateTrainingJob takes back unchanged. */
const TRAINING_REQUEST_FIELDS = [
  'AlgorithmSpecification', 'RoleArn', 'HyperParameters', 'InputDataConfig', 'OutputDataConfig',
  'ResourceConfig', 'StoppingCondition', 'EnableManagedSpotTraining', 'CheckpointConfig', 'VpcConfig',
  'EnableNetworkIsolation', 'EnableInterContainerTrafficEncryption', 'Environment', 'RetryStrategy',
  'DebugHookConfig', 'DebugRuleConfigurations', 'ProfilerConfig', 'ProfilerRuleConfigurations',
  'TensorBoardOutputConfig', 'ExperimentConfig',
];

/** When the inputs were read, and what says so. */
export interface InputsAsOf {
  /** ISO time; absent when no time is known and the current versions were listed. */
  readonly time?: string;
  /** 'preprocessing job start', 'training job start', 'execution start' or 'current versions'. */
  readonly source: string;
}

/**
 * The time the run read its inputs: when the preprocessing job started (it copies the raw data
 * into its container then), or the training job when there is no preprocessing, falling back to
 * the execution's start for runs that failed before the job started. SageMaker reports times as
 * epoch seconds (the SDK's JSON) or milliseconds; ISO strings are taken too.
 */
export function inputsAsOf(event: ManifestEvent, problems: string[]): InputsAsOf {
  const run = event?.run ?? {};
  const job = isObject(run.preprocessing)
    ? { field: 'ProcessingStartTime', value: run.preprocessing.ProcessingStartTime, source: 'preprocessing job start' }
    : { field: 'TrainingStartTime', value: isObject(run.training) ? run.training.TrainingStartTime : undefined, source: 'training job start' };
  if (job.value !== undefined && job.value !== null) {
    const time = parseTime(job.value);
    if (time) return { time: time.toISOString(), source: job.source };
    problems.push(`${job.field} ${JSON.stringify(job.value).slice(0, 60)} is not a time; inputs are listed as of the execution start`);
  }
  const start = parseTime(event?.execution?.startTime);
  return start ? { time: start.toISOString(), source: 'execution start' } : { source: 'current versions' };
}

function parseTime(value: unknown): Date | undefined {
  let time: Date | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Below 1e11 it is seconds (1e11 s is the year 5138; 1e11 ms is 1973).
    time = new Date(value < 1e11 ? value * 1000 : value);
  } else if (typeof value === 'string' && value.trim() !== '') {
    time = /^[0-9.]+$/.test(value.trim()) ? parseTime(Number(value)) : new Date(value);
  }
  return time && !isNaN(time.getTime()) ? time : undefined;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function buildManifest(event: ManifestEvent, listings: InputListing[], problems: string[]): Record<string, unknown> {
  const run = event.run ?? {};
  const asOf = inputsAsOf(event, []);
  const training = objectOrNote(run, 'training', true, problems);
  const preprocessing = objectOrNote(run, 'preprocessing', false, problems);
  const evaluation = objectOrNote(run, 'evaluation', false, problems);
  return {
    schemaVersion: 1,
    execution: event.execution,
    outcome: run.outcome?.status ?? 'UNKNOWN',
    failure: run.outcome?.status === 'FAILED' ? { step: run.outcome.step, error: run.error?.Error, cause: run.error?.Cause } : undefined,
    gate: run.gate,
    inputsAsOf: asOf,
    inputs: listings,
    preprocessing: preprocessing && {
      jobName: preprocessing.ProcessingJobName,
      jobArn: preprocessing.ProcessingJobArn,
      imageUri: preprocessing.AppSpecification?.ImageUri,
      arguments: preprocessing.AppSpecification?.ContainerArguments,
      instanceType: preprocessing.ProcessingResources?.ClusterConfig?.InstanceType,
      instanceCount: preprocessing.ProcessingResources?.ClusterConfig?.InstanceCount,
      startTime: preprocessing.ProcessingStartTime,
      outputKmsKeyId: preprocessing.ProcessingOutputConfig?.KmsKeyId,
      outputs: (preprocessing.ProcessingOutputConfig?.Outputs ?? []).map((o: any) => ({ name: o.OutputName, uri: o.S3Output?.S3Uri })),
    },
    training: training && {
      jobName: training.TrainingJobName,
      jobArn: training.TrainingJobArn,
      imageUri: training.AlgorithmSpecification?.TrainingImage,
      instanceType: training.ResourceConfig?.InstanceType,
      instanceCount: training.ResourceConfig?.InstanceCount,
      spot: training.EnableManagedSpotTraining ?? false,
      startTime: training.TrainingStartTime,
      // Checkpoints have no key of their own in CreateTrainingJob: only the output config names one.
      outputKmsKeyId: training.OutputDataConfig?.KmsKeyId,
      hyperparameters: training.HyperParameters ?? {},
      channels: (training.InputDataConfig ?? []).map((c: any) => ({ name: c.ChannelName, uri: c.DataSource?.S3DataSource?.S3Uri })),
      metrics: metricsOf(training.FinalMetricDataList, problems),
      modelArtifact: training.ModelArtifacts?.S3ModelArtifacts,
      billableSeconds: training.BillableTimeInSeconds,
    },
    evaluation: evaluation && {
      jobName: evaluation.ProcessingJobName,
      outputKmsKeyId: evaluation.ProcessingOutputConfig?.KmsKeyId,
      report: run.evaluationReport,
    },
    // The drift baseline of the training split (absent when the pipeline computes none, or the run failed before it),
    // and where the drift monitor reads it once the run's model serves.
    baseline: baselineOf(run.baseline, problems),
    modelPackageArn: run.registration?.ModelPackageArn,
    deployment: run.deployment && { outcome: run.deployment.outcome, stackStatus: run.deployment.stack?.status },
    // Start this request (with a new TrainingJobName) to train the model again. With preprocessing,
    // the channels are this run's own prefixes, which later runs never write; without it, they are
    // the input prefixes, whose objects as of the run are listed above with their version ids.
    rerun: training && { createTrainingJobRequest: rerunRequest(training, event.builtInAlgorithm === true) },
    problems,
  };
}

function baselineOf(value: unknown, problems: string[]): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.uri !== 'string') {
    problems.push(`run field 'baseline' has no uri: ${JSON.stringify(value).slice(0, 100)}`);
    return undefined;
  }
  return {
    uri: value.uri,
    rows: value.rows,
    features: value.features,
    skipped: value.problems,
    currentUri: isObject(value.current) ? value.current.uri : undefined,
  };
}

function objectOrNote(run: Record<string, unknown>, field: string, required: boolean, problems: string[]): any {
  const value = run[field];
  if (value === undefined || value === null) {
    if (required) problems.push(`run has no ${field} result`);
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`run field '${field}' is not an object: ${JSON.stringify(value).slice(0, 100)}`);
    return undefined;
  }
  return value;
}

function metricsOf(list: unknown, problems: string[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  if (!Array.isArray(list)) return metrics;
  for (const item of list) {
    if (typeof item?.MetricName === 'string' && typeof item?.Value === 'number') {
      metrics[item.MetricName] = item.Value;
    } else {
      problems.push(`malformed metric skipped: ${JSON.stringify(item).slice(0, 100)}`);
    }
  }
  return metrics;
}

/**
 * CreateTrainingJob from the job's own description. Built-in algorithms get their metric
 * definitions from SageMaker, which rejects them in a request, so they are left out there.
 */
function rerunRequest(training: Record<string, any>, builtInAlgorithm: boolean): Record<string, unknown> {
  const request: Record<string, any> = pick(training, TRAINING_REQUEST_FIELDS);
  if (builtInAlgorithm && request.AlgorithmSpecification) {
    request.AlgorithmSpecification = { ...request.AlgorithmSpecification };
    delete request.AlgorithmSpecification.MetricDefinitions;
  }
  return request;
}

function pick(source: Record<string, any>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
}
