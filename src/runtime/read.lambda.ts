/**
 * `GET /messages/{id}`: an institute user reads one stored HL7 v2 message back, with the CALLER's
 * credentials. IAM allows the read only when the object's `source` tag is the caller's read
 * institute; a message that does not exist and one the caller may not read get the same 404, so
 * the answer never reveals another institute's messages.
 *
 * Never throws; never answers with a stack trace.
 */
import { apiHandler, ApiHandler } from './api-handler';
import {
  CallerAccess,
  CallerAccessFactories,
  createCallerAccess,
  credentialFailure,
  invalidInstituteClaim,
  lazily,
  notAnIdToken,
} from './caller-access';
import { CallerCredentials, CredentialExchangeError } from './credentials';
import { ReadSettings, readSettingsFrom } from './handler-settings';
import { fitsObjectKey, isValidMessageId, messageKey } from './message-key';
import { MessageStoreError } from './message-store';
import { ApiRequest, bearerToken, claimedInstitute, isIdToken, pathParameter, subjectOf } from './request';
import { errorResponse, failure, hl7Response, kindOf, MESSAGES_READ_METRIC, RequestFailure } from './responses';
import { createTelemetry, Telemetry } from './telemetry';
import type { UpstreamErrorDescription } from './upstream-errors';

/** What the read handler is built from; every part has a default for the Lambda runtime. */
export interface ReadHandlerOptions extends CallerAccessFactories {
  /** @default read from the environment at the first request */
  readonly settings?: () => ReadSettings;
  /** @default Powertools logger and metrics (service `health-data-lake-read`) */
  readonly telemetry?: () => Telemetry;
}

/** The read Lambda handler. */
export type ReadHandler = ApiHandler;

type ReadResult = {
  readonly failure?: RequestFailure;
  readonly text?: string;
  readonly institute?: string;
  readonly upstream?: UpstreamErrorDescription;
  readonly unexpected?: unknown;
};

function notFound(institute: string): RequestFailure {
  return failure('MESSAGE_NOT_FOUND', `No message with this id is stored for institute ${institute}.`);
}

/** Reads one message. Expected failures come back as results; only bugs throw. */
async function read(event: ApiRequest, settings: ReadSettings, access: CallerAccess): Promise<ReadResult> {
  if (!isIdToken(event)) {
    return { failure: notAnIdToken() };
  }
  const invalidClaim = invalidInstituteClaim(event, settings);
  if (invalidClaim !== undefined) {
    return { failure: invalidClaim };
  }
  const institute = claimedInstitute(event, settings.readClaim);
  if (institute === undefined) {
    return { failure: failure('NO_READ_INSTITUTE', 'Your account has no read institute, so it may not read messages.') };
  }
  const messageId = pathParameter(event, 'id');
  if (!isValidMessageId(messageId)) {
    return {
      failure: failure('INVALID_MESSAGE_ID', 'The message id in the path is not a valid message id.'),
      institute,
    };
  }
  const idToken = bearerToken(event);
  if (idToken === undefined) {
    return { failure: failure('MISSING_TOKEN', 'The request has no ID token in its Authorization header.'), institute };
  }
  if (!fitsObjectKey(messageKey(institute, messageId))) {
    return { failure: notFound(institute), institute }; // a key S3 cannot hold was never stored
  }

  let credentials: CallerCredentials;
  try {
    credentials = await access.credentials.credentialsFor(idToken, subjectOf(event));
  } catch (error) {
    if (error instanceof CredentialExchangeError) {
      return { failure: credentialFailure(error), institute, upstream: error.upstream };
    }
    throw error;
  }

  try {
    const text = await access.messageStores.forCaller(credentials).fetch(institute, messageId);
    return { text, institute };
  } catch (error) {
    if (error instanceof MessageStoreError) {
      return { failure: fetchFailure(error, institute), institute, upstream: error.upstream };
    }
    throw error;
  }
}

function fetchFailure(error: MessageStoreError, institute: string): RequestFailure {
  switch (error.reason) {
    case 'NOT_FOUND':
    case 'ACCESS_DENIED':
      // The same answer for both: whether another institute's message exists stays unknown.
      return notFound(institute);
    case 'THROTTLED':
      return failure('SERVICE_THROTTLED', 'The data store is busy; send the request again shortly.');
    case 'REJECTED':
      return failure('STORE_REJECTED', 'The data store refused the request; sending it again will not help.');
    default:
      return failure('UPSTREAM_ERROR', 'The data store could not be reached; send the request again.');
  }
}

/** Builds the read handler; state (settings, clients, caches) lives as long as the handler. */
export function createReadHandler(options: ReadHandlerOptions = {}): ReadHandler {
  const settings = lazily(options.settings ?? (() => readSettingsFrom()));
  const access = lazily(() => createCallerAccess(settings(), options));
  return apiHandler<ReadResult>({
    handle: (request) => read(request, settings(), access()),
    render: (result) => result.failure === undefined ? hl7Response(200, result.text ?? '') : errorResponse(result.failure),
    outcome: (result, _request, statusCode) => ({
      statusCode,
      code: result.failure?.code,
      metric: result.failure === undefined ? MESSAGES_READ_METRIC : kindOf(result.failure).metric,
      institute: result.institute,
      upstream: result.upstream,
      unexpected: result.unexpected,
    }),
    internalErrorSentence: 'The message could not be read because of an internal error.',
    telemetry: lazily(options.telemetry ?? (() => createTelemetry('health-data-lake-read'))),
  });
}

/** The Lambda entry point of `GET /messages/{id}`. */
export const handler: ReadHandler = createReadHandler();
