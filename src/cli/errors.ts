/**
 * Turning what a command threw into one sentence on stderr and an exit code.
 */
import { CliError, ExitCode } from './context';

/** What the operator sees: the sentence and the exit code. */
export interface DescribedError {
  readonly message: string;
  readonly exitCode: number;
}

function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const named = error as { name?: unknown; Code?: unknown; code?: unknown };
    for (const candidate of [named.name, named.Code, named.code]) {
      if (typeof candidate === 'string' && candidate !== 'Error') return candidate;
    }
  }
  return 'Error';
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().replace(/\s+/g, ' ').replace(/\.$/, '');
}

const THROTTLING = new Set([
  'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException',
]);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'InvalidClientTokenId']);

/**
 * The sentence for an error: the tool's own errors as they are; AWS errors (throttling, access
 * denied, missing or expired credentials, no region, a stack that does not exist) with what to do.
 */
export function describeError(error: unknown, options: { readonly debug?: boolean } = {}): DescribedError {
  if (error instanceof CliError) {
    return { message: error.message, exitCode: error.exitCode };
  }
  const name = errorName(error);
  const message = errorMessage(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return {
      exitCode: ExitCode.FAILED,
      message: 'No AWS credentials were found: give --profile NAME, set AWS_PROFILE or AWS_ACCESS_KEY_ID, or sign in with `aws sso login`.',
    };
  }
  if (/region is missing/i.test(message)) {
    return { exitCode: ExitCode.USAGE, message: 'No AWS region is set: give --region, set AWS_REGION, or set a region in the profile.' };
  }
  if (EXPIRED.has(name)) {
    return { exitCode: ExitCode.FAILED, message: `AWS refused the credentials (${name}): renew them (for example \`aws sso login\`) and run the command again.` };
  }
  if (THROTTLING.has(name)) {
    return { exitCode: ExitCode.FAILED, message: `AWS throttled the request (${name}: ${message}): wait a moment and run the command again.` };
  }
  if (ACCESS_DENIED.has(name)) {
    return {
      exitCode: ExitCode.FAILED,
      message: `AWS denied access (${message}): use credentials (--profile) whose IAM policy allows this action on the lake.`,
    };
  }
  if (name === 'ValidationError' && /does not exist/i.test(message)) {
    return { exitCode: ExitCode.FAILED, message: `${message}: check --stack and --region (and --profile for the account).` };
  }
  // With --debug the details follow the sentence: no hint to add --debug.
  const hint = options.debug === true ? '' : ' Run the command again with --debug for details.';
  return { exitCode: ExitCode.FAILED, message: `${name}: ${message}.${hint}` };
}
