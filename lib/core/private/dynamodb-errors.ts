/**
 * Error names of Step Functions' optimized DynamoDB integration ("Handling errors" in the Step
 * Functions guide): names follow the SDK's exception classes, which for two DynamoDB errors differ
 * from the API's error codes, so both spellings are listed; an error the SDK does not model
 * (ThrottlingException among them) arrives as AmazonDynamoDBException. Used by every state
 * machine that writes a coordination table (run slots, start claims, the retraining cooldown).
 */
export const DYNAMODB_RETRYABLE_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded', 'DynamoDB.RequestLimitExceededException',
  'DynamoDB.InternalServerError', 'DynamoDB.InternalServerErrorException',
  'DynamoDB.AmazonDynamoDBException',
];

/** A conditional write whose condition did not hold: an answer, caught by the caller, never retried. */
export const DYNAMODB_CONDITION_FAILED = 'DynamoDB.ConditionalCheckFailedException';
