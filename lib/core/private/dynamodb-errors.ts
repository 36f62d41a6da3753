/**
 * Error names of Step Functions' optimized DynamoDB integration ("Handling errors" in the Step
 * Functions guide): names follow the SDK's exception classes, which for two DynamoDB errors differ
 * from the API's error codes, so both spellings are listed. An error the SDK does not model arrives
 * as AmazonDynamoDBException: throttling the integration reports as ThrottlingException where it
 * models it, and as that otherwise, so both are retried. The price: an unmodeled permanent error
 * (a ValidationException, a definition's mistake) is retried too, and fails after the retries
 * (about a minute) instead of at once. Used by every state machine that writes a coordination
 * table (run slots, start claims, the retraining cooldown).
 */
export const DYNAMODB_RETRYABLE_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded', 'DynamoDB.RequestLimitExceededException',
  'DynamoDB.InternalServerError', 'DynamoDB.InternalServerErrorException',
  'DynamoDB.AmazonDynamoDBException',
];

/** A conditional write whose condition did not hold: an answer, caught by the caller, never retried. */
export const DYNAMODB_CONDITION_FAILED = 'DynamoDB.ConditionalCheckFailedException';
