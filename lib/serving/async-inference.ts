import * as sns from 'aws-cdk-lib/aws-sns';
import { InferenceDataLocation } from './inference-data-location';

/**
 * Asynchronous inference: requests are queued from S3 and answered into S3, optionally with
 * notifications; the instance count may scale to zero.
 */
export interface AsyncInferenceOptions {
  /**
   * Where requests are read (`<prefix>input/`), responses written (`<prefix>output/`) and
   * failures written (`<prefix>failures/`), encrypted with the location's key.
   */
  readonly location: InferenceDataLocation;

  /**
   * Topic notified of each successful inference. Use a KMS-encrypted topic; the execution role may publish and use its key.
   *
   * @default - no success notifications
   */
  readonly successTopic?: sns.ITopic;

  /**
   * Topic notified of each failed inference. Use a KMS-encrypted topic; the execution role may publish and use its key.
   *
   * @default - no error notifications
   */
  readonly errorTopic?: sns.ITopic;

  /**
   * Requests each instance processes at once (1 to 1000).
   *
   * @default - SageMaker chooses
   */
  readonly maxConcurrentInvocationsPerInstance?: number;
}

/**
 * The S3 URIs an asynchronous endpoint reads requests from and writes results to.
 */
export interface AsyncInferenceLocations {
  /** Prefix where callers upload request payloads. */
  readonly inputS3Uri: string;
  /** Prefix where SageMaker writes responses. */
  readonly outputS3Uri: string;
  /** Prefix where SageMaker writes failed responses. */
  readonly failureS3Uri: string;
}
