/**
 * What an error from an AWS service call says, read without trusting its shape (an SDK service
 * exception, a network error, or anything else a dependency might throw).
 *
 * Pure: no AWS imports.
 */

/** The parts of an upstream error that decide the answer; never its message (it may name keys). */
export interface UpstreamErrorDescription {
  /** Error name, e.g. `PreconditionFailed`, `NotAuthorizedException`, `TimeoutError`. */
  readonly name: string;
  /** HTTP status of the service's answer; `undefined` when there was none (network error). */
  readonly httpStatus?: number;
  /** The service asked the caller to slow down, or was unavailable for a moment. */
  readonly throttled: boolean;
}

const THROTTLING_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Describes an error thrown by an AWS SDK call. */
export function describeUpstreamError(error: unknown): UpstreamErrorDescription {
  const name = isRecord(error) && typeof error.name === 'string' && error.name.length > 0 ? error.name : 'UnknownError';
  const metadata = isRecord(error) && isRecord(error.$metadata) ? error.$metadata : undefined;
  const httpStatus = metadata && typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  const retryable = isRecord(error) && isRecord(error.$retryable) ? error.$retryable : undefined;
  const throttled = THROTTLING_NAMES.has(name)
    || httpStatus === 429
    || httpStatus === 503
    || retryable?.throttling === true;
  return httpStatus === undefined ? { name, throttled } : { name, httpStatus, throttled };
}
