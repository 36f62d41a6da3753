import * as kms from 'aws-cdk-lib/aws-kms';
import { InferenceDataLocation } from './inference-data-location';

/**
 * Capture of requests and responses, the input of drift monitoring.
 * SageMaker writes JSON Lines files under `<prefix><endpoint>/<variant>/yyyy/mm/dd/hh/`.
 */
export interface DataCaptureOptions {
  /** Where captured data is written, e.g. `InferenceDataLocation.fromDataLake(lake, 'endpoints/churn/')`. */
  readonly location: InferenceDataLocation;

  /**
   * Percentage of requests captured (0 to 100). Lower it on busy endpoints.
   *
   * @default 100
   */
  readonly samplingPercentage?: number;

  /**
   * Capture the requests (model input).
   *
   * @default true
   */
  readonly captureRequests?: boolean;

  /**
   * Capture the responses (model output).
   *
   * @default true
   */
  readonly captureResponses?: boolean;

  /**
   * Content types captured as JSON text (others are captured base64-encoded).
   *
   * @default ['application/json']
   */
  readonly jsonContentTypes?: string[];

  /**
   * Content types captured as CSV text (others are captured base64-encoded).
   *
   * @default ['text/csv']
   */
  readonly csvContentTypes?: string[];

  /**
   * The KMS key SageMaker encrypts captured data with.
   *
   * @default - the location's key
   */
  readonly encryptionKey?: kms.IKey;
}
