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

export function buildManifest(event: ManifestEvent, listings: InputListing[], problems: string[]): Record<string, unknown> {
  const run = event.run ?? {};
  const training = objectOrNote(run, 'training', true, problems);
  const preprocessing = objectOrNote(run, 'preprocessing', false, problems);
  const evaluation = objectOrNote(run, 'evaluation', false, problems);
  return {
    schemaVersion: 1,
    execution: event.execution,
    outcome: run.outcome?.status ?? 'UNKNOWN',
    failure: run.outcome?.status === 'FAILED' ? { step: run.outcome.step, error: run.error?.Error, cause: run.error?.Cause } : undefined,
    gate: run.gate,
    inputs: listings,
    preprocessing: preprocessing && {
      jobName: preprocessing.ProcessingJobName,
      jobArn: preprocessing.ProcessingJobArn,
      imageUri: preprocessing.AppSpecification?.ImageUri,
      arguments: preprocessing.AppSpecification?.ContainerArguments,
      instanceType: preprocessing.ProcessingResources?.ClusterConfig?.InstanceType,
      instanceCount: preprocessing.ProcessingResources?.ClusterConfig?.InstanceCount,
      outputs: (preprocessing.ProcessingOutputConfig?.Outputs ?? []).map((o: any) => ({ name: o.OutputName, uri: o.S3Output?.S3Uri })),
    },
    training: training && {
      jobName: training.TrainingJobName,
      jobArn: training.TrainingJobArn,
      imageUri: training.AlgorithmSpecification?.TrainingImage,
      instanceType: training.ResourceConfig?.InstanceType,
      instanceCount: training.ResourceConfig?.InstanceCount,
      spot: training.EnableManagedSpotTraining ?? false,
      hyperparameters: training.HyperParameters ?? {},
      channels: (training.InputDataConfig ?? []).map((c: any) => ({ name: c.ChannelName, uri: c.DataSource?.S3DataSource?.S3Uri })),
      metrics: metricsOf(training.FinalMetricDataList, problems),
      modelArtifact: training.ModelArtifacts?.S3ModelArtifacts,
      billableSeconds: training.BillableTimeInSeconds,
    },
    evaluation: evaluation && { jobName: evaluation.ProcessingJobName, report: run.evaluationReport },
    modelPackageArn: run.registration?.ModelPackageArn,
    deployment: run.deployment && { outcome: run.deployment.outcome, stackStatus: run.deployment.stack?.status },
    // Start this request (with a new TrainingJobName) to train the model again. With preprocessing,
    // the channels are this run's own prefixes, which later runs never write; without it, they are
    // the input prefixes, whose objects as of the run are listed above with their version ids.
    rerun: training && { createTrainingJobRequest: rerunRequest(training, event.builtInAlgorithm === true) },
    problems,
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
