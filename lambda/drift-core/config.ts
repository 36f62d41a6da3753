/** Handler settings from the environment (set by the DriftMonitor construct), events may override some. */
import { S3Location } from './s3';
import { DriftThresholds } from './types';

export interface DriftEvent {
  readonly time?: string;
  readonly windowEnd?: string;
  readonly windowMinutes?: number;
  readonly endpointName?: string;
  readonly variantName?: string;
  readonly baseline?: S3Location;
}

export interface DriftConfig {
  readonly endpointName: string;
  readonly variantName: string;
  readonly captureBucket: string;
  readonly capturePrefix: string;
  readonly baseline?: S3Location;
  readonly workBucket?: string;
  readonly workPrefix: string;
  readonly reportPrefix?: string;
  readonly namespace: string;
  readonly windowMinutes: number;
  readonly lagMinutes: number;
  readonly thresholds: DriftThresholds;
  readonly singleMaxBytes: number;
  readonly singleMaxObjects: number;
  readonly batchMaxBytes: number;
  readonly batchMaxObjects: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.length === 0) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

export function numberFrom(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new ConfigError(`environment variable ${name} must be a number of at least ${min}, got '${raw}'`);
  return value;
}

export function driftConfig(event: DriftEvent, env: Env = process.env): DriftConfig {
  const baselineBucket = env.BASELINE_BUCKET;
  const baselineKey = env.BASELINE_KEY;
  return {
    endpointName: event.endpointName ?? required(env, 'ENDPOINT_NAME'),
    variantName: event.variantName ?? env.VARIANT_NAME ?? 'AllTraffic',
    captureBucket: env.CAPTURE_BUCKET ?? '',
    capturePrefix: env.CAPTURE_PREFIX ?? '',
    baseline: event.baseline ?? (baselineBucket && baselineKey ? { bucket: baselineBucket, key: baselineKey } : undefined),
    workBucket: env.WORK_BUCKET || undefined,
    workPrefix: env.WORK_PREFIX ?? 'drift-work/',
    reportPrefix: env.REPORT_PREFIX || undefined,
    namespace: env.METRIC_NAMESPACE || 'CdkMlops/Drift',
    windowMinutes: numberFrom(env, 'WINDOW_MINUTES', 60, 1),
    lagMinutes: numberFrom(env, 'WINDOW_LAG_MINUTES', 10),
    thresholds: {
      minRows: numberFrom(env, 'MIN_ROWS', 100, 1),
      featureDriftPsi: numberFrom(env, 'FEATURE_DRIFT_PSI', 0.25),
      datasetDriftShare: numberFrom(env, 'DATASET_DRIFT_SHARE', 0.5),
    },
    singleMaxBytes: numberFrom(env, 'SINGLE_INVOCATION_MAX_BYTES', 256 * 1024 * 1024),
    singleMaxObjects: numberFrom(env, 'SINGLE_INVOCATION_MAX_OBJECTS', 1000),
    batchMaxBytes: numberFrom(env, 'BATCH_MAX_BYTES', 256 * 1024 * 1024, 1),
    batchMaxObjects: numberFrom(env, 'BATCH_MAX_OBJECTS', 500, 1),
  };
}

export function requireCapture(config: DriftConfig): string {
  if (!config.captureBucket) throw new ConfigError('environment variable CAPTURE_BUCKET is required');
  return config.captureBucket;
}

export function requireBaseline(config: DriftConfig): S3Location {
  if (!config.baseline) throw new ConfigError('no baseline: set BASELINE_BUCKET and BASELINE_KEY or pass "baseline": {"bucket", "key"} in the event');
  return config.baseline;
}
