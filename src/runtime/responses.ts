/**
 * What the HTTP API answers: the error catalogue (status, machine code, whether a retry may help,
 * which HL7 acknowledgment code an ACK carries) and the response builders.
 *
 * Pure: no AWS imports. Responses never contain a stack trace or health data.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Content type of an HL7 v2 message in its pipe-delimited (ER7) encoding. */
export const HL7_ER7_CONTENT_TYPE = 'x-application/hl7-v2+er7';
/** Content type of every JSON answer. */
export const JSON_CONTENT_TYPE = 'application/json';

/** HL7 acknowledgment code: accept, error, reject (a duplicate is accepted: it is stored already). */
export type AcknowledgmentCode = 'AA' | 'AE' | 'AR';

/** A request that did not succeed, as the caller sees it. */
export interface RequestFailure {
  /** HTTP status. */
  readonly status: number;
  /** Machine-readable code, e.g. `DUPLICATE_MESSAGE`. */
  readonly code: string;
  /** One human sentence, without health data. */
  readonly message: string;
  /** Whether sending the same request again may succeed. */
  readonly retryable: boolean;
}

/** One row of the error catalogue. */
export interface FailureKind {
  readonly status: number;
  readonly retryable: boolean;
  /** The acknowledgment code of an HL7 ACK answer (POST /messages only). */
  readonly acknowledgment: AcknowledgmentCode;
  /** The metric counted for this failure. */
  readonly metric: string;
}

/** Every failure the handlers answer with, except HL7 validation codes (see {@link invalidMessage}). */
export const FAILURE_KINDS = {
  MESSAGE_TOO_LARGE: { status: 413, retryable: false, acknowledgment: 'AR', metric: 'InvalidMessages' },
  MESSAGE_ID_TOO_LONG: { status: 400, retryable: false, acknowledgment: 'AR', metric: 'InvalidMessages' },
  MISSING_TOKEN: { status: 401, retryable: false, acknowledgment: 'AR', metric: 'AccessDenied' },
  NOT_AN_ID_TOKEN: { status: 401, retryable: false, acknowledgment: 'AR', metric: 'AccessDenied' },
  NO_WRITE_INSTITUTE: { status: 403, retryable: false, acknowledgment: 'AR', metric: 'AccessDenied' },
  NO_READ_INSTITUTE: { status: 403, retryable: false, acknowledgment: 'AR', metric: 'AccessDenied' },
  ACCESS_DENIED: { status: 403, retryable: false, acknowledgment: 'AR', metric: 'AccessDenied' },
  // An institute attribute outside the institute-name rule: STS would refuse it as a session tag.
  INVALID_INSTITUTE_NAME: { status: 403, retryable: false, acknowledgment: 'AR', metric: 'AccessDenied' },
  INVALID_MESSAGE_ID: { status: 400, retryable: false, acknowledgment: 'AR', metric: 'InvalidMessageIds' },
  MESSAGE_NOT_FOUND: { status: 404, retryable: false, acknowledgment: 'AE', metric: 'MessagesNotFound' },
  // A resend after a lost acknowledgment is normal: the sender is told AA, as for the original.
  DUPLICATE_MESSAGE: { status: 409, retryable: false, acknowledgment: 'AA', metric: 'DuplicateMessages' },
  WRITE_CONFLICT: { status: 409, retryable: true, acknowledgment: 'AE', metric: 'WriteConflicts' },
  SERVICE_THROTTLED: { status: 503, retryable: true, acknowledgment: 'AE', metric: 'UpstreamErrors' },
  UPSTREAM_ERROR: { status: 502, retryable: true, acknowledgment: 'AE', metric: 'UpstreamErrors' },
  STORE_REJECTED: { status: 502, retryable: false, acknowledgment: 'AE', metric: 'UpstreamErrors' },
  // The identity pool cannot issue credentials for this caller at all (its configuration, or STS refusing a tag).
  IDENTITY_POOL_REFUSED: { status: 502, retryable: false, acknowledgment: 'AE', metric: 'UpstreamErrors' },
  INTERNAL_ERROR: { status: 500, retryable: false, acknowledgment: 'AE', metric: 'InternalErrors' },
} as const satisfies Record<string, FailureKind>;

/** A failure code of the catalogue. */
export type FailureCode = keyof typeof FAILURE_KINDS;

/** HL7 validation failures: 400, not retryable, AR. */
export const INVALID_MESSAGE_KIND: FailureKind = { status: 400, retryable: false, acknowledgment: 'AR', metric: 'InvalidMessages' };

/** Metric counted for a stored message. */
export const MESSAGES_ACCEPTED_METRIC = 'MessagesAccepted';
/** Metric counted for a message read back. */
export const MESSAGES_READ_METRIC = 'MessagesRead';

/** A failure of the catalogue with its sentence. */
export function failure(code: FailureCode, message: string): RequestFailure {
  const kind = FAILURE_KINDS[code];
  return { status: kind.status, code, message, retryable: kind.retryable };
}

/** A 400 answer for a message that is not valid HL7 v2, with the parser's code and sentence. */
export function invalidMessage(code: string, message: string): RequestFailure {
  return { status: INVALID_MESSAGE_KIND.status, code, message, retryable: INVALID_MESSAGE_KIND.retryable };
}

/** The catalogue row of a failure (HL7 validation codes share one row). */
export function kindOf(failed: RequestFailure): FailureKind {
  return (FAILURE_KINDS as Record<string, FailureKind>)[failed.code] ?? INVALID_MESSAGE_KIND;
}

/** The acknowledgment code an HL7 ACK carries for a failure. */
export function acknowledgmentFor(failed: RequestFailure): AcknowledgmentCode {
  const kind = (FAILURE_KINDS as Record<string, FailureKind>)[failed.code];
  if (kind) {
    return kind.acknowledgment;
  }
  return failed.status >= 500 ? 'AE' : 'AR';
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** A JSON answer. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { ...COMMON_HEADERS, ...headers, 'content-type': JSON_CONTENT_TYPE },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** The JSON answer of a failure: `{ "error": { "code", "message", "retryable" } }`. */
export function errorResponse(failed: RequestFailure): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(failed.status, {
    error: { code: failed.code, message: failed.message, retryable: failed.retryable },
  });
}

/** An HL7 v2 (ER7) answer: a stored message or an acknowledgment. */
export function hl7Response(status: number, body: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { ...COMMON_HEADERS, 'content-type': HL7_ER7_CONTENT_TYPE },
    body,
    isBase64Encoded: false,
  };
}

/** The answer of a request that failed in an unexpected way; never carries details. */
export function internalErrorResponse(): APIGatewayProxyStructuredResultV2 {
  return errorResponse(failure('INTERNAL_ERROR', 'The request could not be completed because of an internal error.'));
}

/**
 * Whether the caller asked for an HL7 acknowledgment instead of JSON: its `accept` header lists
 * `x-application/hl7-v2+er7` (media-type parameters and letter case ignored; `q=0` means "not").
 */
export function acceptsHl7Acknowledgment(accept: string | undefined): boolean {
  if (!accept) {
    return false;
  }
  return accept.split(',').some((range) => {
    const [mediaType, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    if (mediaType !== HL7_ER7_CONTENT_TYPE) {
      return false;
    }
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}
