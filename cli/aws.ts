import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';

/** `--profile` and `--region`; unset, the SDK's own chain decides (AWS_PROFILE, AWS_REGION, config files, SSO, IMDS). */
export interface AwsOptions {
  readonly profile?: string;
  readonly region?: string;
}

export interface Clients {
  readonly sfn: SFNClient;
  readonly sagemaker: SageMakerClient;
  readonly cloudformation: CloudFormationClient;
  readonly cloudwatch: CloudWatchClient;
}

/** The SDK retries throttling and transient errors with backoff; a few more attempts than its 3 ride out a burst. */
export const MAX_ATTEMPTS = 5;

export function clients(options: AwsOptions): Clients {
  const config = { profile: options.profile, region: options.region, maxAttempts: MAX_ATTEMPTS };
  return {
    sfn: new SFNClient(config),
    sagemaker: new SageMakerClient(config),
    cloudformation: new CloudFormationClient(config),
    cloudwatch: new CloudWatchClient(config),
  };
}

/** An error whose message already says what to do; printed as is. */
export class UserError extends Error {}

const THROTTLED = ['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException'];
const DENIED = ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId'];

/** What went wrong and what to do about it, for the errors users meet. */
export function explain(error: unknown, options: AwsOptions = {}): string {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.name ?? e?.Code ?? '';
  const message = e?.message ?? String(error);
  const profile = options.profile ? ` (profile ${options.profile})` : '';
  if (error instanceof UserError) return message;
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return `no AWS credentials found${profile}: ${message}\n`
      + 'Sign in (`aws sso login`, `aws configure`), or name a profile with --profile or AWS_PROFILE.';
  }
  if (/Region is missing/i.test(message)) {
    return 'no AWS region set: pass --region, or set AWS_REGION or a region in your profile.';
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException') {
    return `your AWS session expired${profile}: ${message}\nSign in again (\`aws sso login\`) and retry.`;
  }
  if (DENIED.includes(name)) {
    return `access denied${profile}: ${message}\n`
      + 'Your identity needs the IAM action named above on that resource: ask for it, or use a profile that has it.';
  }
  if (THROTTLED.includes(name)) {
    return `AWS throttled the requests (${name}), still after ${MAX_ATTEMPTS} attempts with backoff: ${message}\n`
      + 'Wait a minute and retry; a longer --interval makes `run` and `watch` poll less often.';
  }
  if (name === 'ValidationError' && /does not exist/.test(message)) {
    return `${message}\nCheck the stack name and the region (--region, AWS_REGION): \`aws cloudformation list-stacks\` lists them.`;
  }
  if (name === 'ValidationException' && /Could not find|not found/i.test(message)) {
    return `${message}\nCheck the name and the region (--region, AWS_REGION).`;
  }
  if (name === 'ExecutionAlreadyExists') {
    return `${message}\nAn execution name is taken for 90 days after its run ended: pass another --name, or leave it out for a new one.`;
  }
  if (name === 'ExecutionDoesNotExist' || name === 'StateMachineDoesNotExist' || name === 'ResourceNotFound') {
    return `${message}\nCheck the name or ARN, and the region (--region, AWS_REGION).`;
  }
  return `${name && name !== 'Error' ? `${name}: ` : ''}${message}`;
}
