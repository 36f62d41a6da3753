/** What every drift run does with its report: metrics, a log line with malformed samples, an optional report object. */
import { S3Client } from '@aws-sdk/client-s3';
import { DriftConfig } from './config';
import { driftMetrics, writeEmf } from './emf';
import { putJson } from './s3';
import { DriftReport } from './types';

export async function publishReport(s3: S3Client, config: DriftConfig, report: DriftReport, timestamp: number): Promise<void> {
  writeEmf(driftMetrics(report, config.endpointName, config.variantName, config.namespace, timestamp));
  if ((report.malformed.total ?? 0) > 0) {
    console.warn(JSON.stringify({
      message: 'malformed capture lines counted and skipped',
      endpoint: config.endpointName,
      variant: config.variantName,
      window: report.window,
      malformed: report.malformed,
      samples: report.malformedSamples,
    }));
  }
  if (config.reportPrefix && config.workBucket && report.window) {
    const key = `${config.reportPrefix}${config.endpointName}/${config.variantName}/${report.window.end.replace(/:/g, '-')}.json`;
    await putJson(s3, { bucket: config.workBucket, key }, report);
  }
}

/** Step Functions passes at most 256 KB between states; a report returned into the state stays below this. */
export const MAX_STATE_REPORT_CHARS = 200_000;

/**
 * The report as a handler returns it into the state machine: whole when small, else without the
 * per-feature entries and samples (they are in the metrics, the log and the report object), so a
 * model with hundreds of features cannot fail the execution with States.DataLimitExceeded.
 */
export function reportForState(report: DriftReport): DriftReport & { featuresOmitted?: number } {
  if (JSON.stringify(report).length <= MAX_STATE_REPORT_CHARS) return report;
  return { ...report, features: [], malformedSamples: {}, featuresOmitted: report.features.length };
}
