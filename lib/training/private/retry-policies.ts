import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DYNAMODB_RETRYABLE_ERRORS } from '../../core/private/dynamodb-errors';

/**
 * The retries of each kind of Task in a training pipeline, by integration: the error names differ
 * per integration (Step Functions' "Handling errors" page), and only throttling, capacity and
 * internal errors are retried, never validation errors where the integration names them apart.
 */
export const RETRY_POLICIES = {
  /**
   * Optimized `.sync` SageMaker jobs: a capacity error is named, every other SageMaker API error
   * (throttling included) arrives as AmazonSageMakerException. The job was not created when
   * either is raised, so the retry creates it under the same name.
   */
  sageMakerJob: [
    { errors: ['SageMaker.ResourceLimitExceededException'], interval: Duration.seconds(60), backoffRate: 2, maxAttempts: 5 },
    { errors: ['SageMaker.AmazonSageMakerException'], interval: Duration.seconds(1), backoffRate: 1.1, maxAttempts: 8 },
  ],
  /** SDK integration (aws-sdk:sagemaker:*): modeled errors by name, unmodeled ones (throttling) as SageMakerException. */
  sageMakerSdk: [
    { errors: ['SageMaker.ResourceLimitExceededException'], interval: Duration.seconds(60), backoffRate: 2, maxAttempts: 5 },
    { errors: ['SageMaker.ConflictException', 'SageMaker.SageMakerException'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 5 },
  ],
  /**
   * Optimized DynamoDB integration: throttling and internal errors (core/private/dynamodb-errors.ts);
   * ConditionalCheckFailed is an answer, caught by the caller. AmazonDynamoDBException also carries
   * validation errors, which the library's fixed expressions do not raise.
   */
  dynamoDb: [
    { errors: DYNAMODB_RETRYABLE_ERRORS, interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 6 },
  ],
  /** Optimized SNS integration. */
  sns: [
    { errors: ['SNS.ThrottledException', 'SNS.InternalErrorException', 'SNS.KMSThrottlingException', 'SNS.SdkClientException'], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 5 },
  ],
  /** Lambda throttling (a reserved concurrency, or the account's limit); CDK's LambdaInvoke adds the service errors itself. */
  lambda: [
    { errors: ['Lambda.TooManyRequestsException'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 6 },
  ],
  /** SDK integration (aws-sdk:sfn:*): throttling is unmodeled (SfnException). */
  sfnSdk: [
    { errors: ['Sfn.SfnException', 'Sfn.SdkClientException'], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 5 },
  ],
  /** SDK integration (aws-sdk:s3:*): SlowDown and internal errors are unmodeled (S3Exception); NoSuchKey is not retried. */
  s3Sdk: [
    { errors: ['S3.S3Exception', 'S3.SdkClientException'], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 4 },
  ],
} satisfies Record<string, sfn.RetryProps[]>;

export type RetryPolicy = keyof typeof RETRY_POLICIES;

/** Adds the retries of one policy to a task. */
export function addRetries(task: sfn.TaskStateBase, policy: RetryPolicy): void {
  for (const retry of RETRY_POLICIES[policy]) task.addRetry(retry);
}
