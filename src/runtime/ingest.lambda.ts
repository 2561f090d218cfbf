/**
 * `POST /messages`: an institute user sends one HL7 v2 message (ER7); it is validated and stored
 * once, under `<write institute>/<message id>` (the id names the sender, MSH-3 and MSH-4, and the
 * control id, MSH-10: see `message-key`), with the CALLER's credentials (the function's own role has
 * no access to the bucket). IAM decides whether the caller may write for the institute.
 *
 * Answers JSON, or an HL7 acknowledgment (AA / AE / AR) when the caller accepts
 * `x-application/hl7-v2+er7`; a message that is already stored is a 409 `DUPLICATE_MESSAGE` in
 * JSON and, as HL7 senders expect after a lost acknowledgment, a 200 `AA` saying so in an
 * acknowledgment. Never throws; never answers with a stack trace.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiHandler, ApiHandler } from './api-handler';
import {
  acknowledgmentControlId,
  CallerAccess,
  CallerAccessFactories,
  createCallerAccess,
  credentialFailure,
  invalidInstituteClaim,
  lazily,
  notAnIdToken,
} from './caller-access';
import { CallerCredentials, CredentialExchangeError } from './credentials';
import { IngestSettings, ingestSettingsFrom } from './handler-settings';
import { AckErrorCode, buildAck, decodeBody, Hl7Message, Hl7ValidationError, parseMessage, peekControlId } from './hl7';
import { fitsObjectKey, MAX_OBJECT_KEY_BYTES, messageIdOf, messageKey, senderOf } from './message-key';
import { MessageStoreError } from './message-store';
import {
  ApiRequest,
  bearerToken,
  claimedInstitute,
  exceedsSize,
  headerValue,
  headOf,
  isIdToken,
  RawBody,
  rawBodyOf,
  requestIdOf,
  subjectOf,
} from './request';
import {
  acceptsHl7Acknowledgment,
  acknowledgmentFor,
  errorResponse,
  failure,
  hl7Response,
  invalidMessage,
  jsonResponse,
  kindOf,
  MESSAGES_ACCEPTED_METRIC,
  RequestFailure,
} from './responses';
import { createTelemetry, reportTelemetryFailure, Telemetry } from './telemetry';
import type { UpstreamErrorDescription } from './upstream-errors';

/** The answer of `POST /messages` when a message was stored. */
export interface MessageReceipt {
  /** The message id: `GET /messages/{id}` reads the message back. */
  readonly id: string;
  /** MSH-10, unescaped. */
  readonly controlId: string;
  /** MSH-3 as sent, written with the standard delimiters `|^~\&`; absent when empty. */
  readonly sendingApplication?: string;
  /** MSH-4 as sent, written with the standard delimiters `|^~\&`; absent when empty. */
  readonly sendingFacility?: string;
  readonly messageType: string;
  readonly version: string;
  readonly institute: string;
  readonly status: 'received';
}

/** What the ingest handler is built from; every part has a default for the Lambda runtime. */
export interface IngestHandlerOptions extends CallerAccessFactories {
  /** @default read from the environment at the first request */
  readonly settings?: () => IngestSettings;
  /** @default Powertools logger and metrics (service `health-data-lake-ingest`) */
  readonly telemetry?: () => Telemetry;
  /** The clock of acknowledgments. @default `() => new Date()` */
  readonly now?: () => Date;
}

/** The ingest Lambda handler. */
export type IngestHandler = ApiHandler;

/** How one request ended, before it is rendered as JSON or as an acknowledgment. */
type IngestResult = {
  readonly failure?: RequestFailure;
  readonly message?: Hl7Message;
  readonly messageId?: string;
  readonly institute?: string;
  readonly hl7ErrorCode?: AckErrorCode;
  /** Text in which to look for the control id of a message that could not be parsed. */
  readonly unparsedText?: string;
  readonly upstream?: UpstreamErrorDescription;
  readonly unexpected?: unknown;
};

function tooLarge(maxBytes: number, body: RawBody): IngestResult {
  return {
    failure: failure('MESSAGE_TOO_LARGE', `The message is larger than the limit of ${maxBytes} bytes.`),
    unparsedText: headOf(body),
  };
}

/**
 * Validates and stores one message. Expected failures come back as results; only bugs throw.
 * The order matters: everything that needs no AWS call is checked first.
 */
async function ingest(event: ApiRequest, settings: IngestSettings, access: CallerAccess): Promise<IngestResult> {
  const body = rawBodyOf(event);
  if (exceedsSize(body, settings.maxMessageBytes)) {
    return tooLarge(settings.maxMessageBytes, body); // before decoding: a huge body is never decoded
  }

  let text: string | undefined;
  let message: Hl7Message;
  try {
    text = decodeBody(body.text, body.isBase64Encoded);
    if (text.length > settings.maxMessageBytes || Buffer.byteLength(text, 'utf8') > settings.maxMessageBytes) {
      return tooLarge(settings.maxMessageBytes, body);
    }
    message = parseMessage(text);
  } catch (error) {
    if (error instanceof Hl7ValidationError) {
      return {
        failure: invalidMessage(error.code, error.message),
        hl7ErrorCode: error.code,
        unparsedText: text ?? headOf(body),
      };
    }
    throw error;
  }

  if (!isIdToken(event)) {
    return { failure: notAnIdToken(), message };
  }
  const invalidClaim = invalidInstituteClaim(event, settings);
  if (invalidClaim !== undefined) {
    return { failure: invalidClaim, message };
  }
  const institute = claimedInstitute(event, settings.writeClaim);
  if (institute === undefined) {
    return {
      failure: failure('NO_WRITE_INSTITUTE', 'Your account has no write institute, so it may not store messages.'),
      message,
    };
  }
  const idToken = bearerToken(event);
  if (idToken === undefined) {
    return {
      failure: failure('MISSING_TOKEN', 'The request has no ID token in its Authorization header.'),
      message,
      institute,
    };
  }
  const messageId = messageIdOf(message);
  if (!fitsObjectKey(messageKey(institute, messageId))) {
    return {
      failure: failure('MESSAGE_ID_TOO_LONG',
        'MSH-3 (sending application), MSH-4 (sending facility) and MSH-10 (message control id) are together too long to name '
        + `a message of your institute: its key may be at most ${MAX_OBJECT_KEY_BYTES} bytes.`),
      hl7ErrorCode: 'MESSAGE_ID_TOO_LONG',
      message,
      institute,
    };
  }

  let credentials: CallerCredentials;
  try {
    credentials = await access.credentials.credentialsFor(idToken, subjectOf(event));
  } catch (error) {
    if (error instanceof CredentialExchangeError) {
      return { failure: credentialFailure(error), message, institute, upstream: error.upstream };
    }
    throw error;
  }

  try {
    await access.messageStores.forCaller(credentials).store({
      institute,
      messageId,
      text: message.text,
      messageType: message.messageType,
      controlId: message.controlId,
      version: message.version,
      sendingApplication: message.sendingApplication,
      sendingFacility: message.sendingFacility,
    });
  } catch (error) {
    if (error instanceof MessageStoreError) {
      return { failure: storeFailure(error, institute), message, institute, upstream: error.upstream };
    }
    throw error;
  }
  return { message, messageId, institute };
}

function storeFailure(error: MessageStoreError, institute: string): RequestFailure {
  switch (error.reason) {
    case 'ALREADY_STORED':
      return failure('DUPLICATE_MESSAGE',
        `Duplicate message: this message (the same control id, MSH-10, from the same sender, MSH-3 and MSH-4) is already stored for institute ${institute}; the stored message was not changed.`);
    case 'WRITE_CONFLICT':
      return failure('WRITE_CONFLICT', 'Another request is storing this message (the same control id from the same sender) right now; send it again shortly.');
    case 'ACCESS_DENIED':
      return failure('ACCESS_DENIED', `Your credentials do not allow storing messages for institute ${institute}.`);
    case 'THROTTLED':
      return failure('SERVICE_THROTTLED', 'The data store is busy; send the message again shortly.');
    case 'REJECTED':
      return failure('STORE_REJECTED', `The data store refused the message for institute ${institute}; sending it again will not help.`);
    default:
      return failure('UPSTREAM_ERROR', 'The data store could not be reached; send the message again.');
  }
}

function render(result: IngestResult, event: ApiRequest, wantsAcknowledgment: boolean, now: () => Date): APIGatewayProxyStructuredResultV2 {
  const { failure: failed, message } = result;
  if (wantsAcknowledgment) {
    try {
      const code = failed === undefined ? 'AA' : acknowledgmentFor(failed);
      // An accepted message is a success for HTTP too: 201 when stored now, 200 when stored before.
      const status = code === 'AA' ? (failed === undefined ? 201 : 200) : failed!.status;
      const ack = buildAck(message, code, {
        controlId: acknowledgmentControlId(requestIdOf(event)),
        timestamp: now(),
        ...(failed === undefined ? {} : { text: failed.message }),
        ...(message === undefined && result.unparsedText !== undefined
          ? optionalControlId(peekControlId(result.unparsedText))
          : {}),
        ...(result.hl7ErrorCode === undefined ? {} : { errorCode: result.hl7ErrorCode }),
      });
      return hl7Response(status, ack);
    } catch (error) {
      // An acknowledgment that cannot be built falls back to the JSON answer below.
      reportTelemetryFailure('acknowledgment', error);
    }
  }
  if (failed !== undefined) {
    return errorResponse(failed);
  }
  const receipt: MessageReceipt = {
    id: result.messageId!,
    controlId: message!.controlId,
    ...optionalSender(message!),
    messageType: message!.messageType,
    version: message!.version,
    institute: result.institute!,
    status: 'received',
  };
  return jsonResponse(201, receipt);
}

function optionalSender(message: Hl7Message): { sendingApplication?: string; sendingFacility?: string } {
  const sender = senderOf(message);
  return {
    ...(sender.application === '' ? {} : { sendingApplication: sender.application }),
    ...(sender.facility === '' ? {} : { sendingFacility: sender.facility }),
  };
}

function optionalControlId(controlId: string | undefined): { originalControlId?: string } {
  return controlId === undefined ? {} : { originalControlId: controlId };
}

/** Builds the ingest handler; state (settings, clients, caches) lives as long as the handler. */
export function createIngestHandler(options: IngestHandlerOptions = {}): IngestHandler {
  const settings = lazily(options.settings ?? (() => ingestSettingsFrom()));
  const access = lazily(() => createCallerAccess(settings(), options));
  const now = options.now ?? (() => new Date());
  const wantsAcknowledgment = (request: ApiRequest) => acceptsHl7Acknowledgment(headerValue(request, 'accept'));
  return apiHandler<IngestResult>({
    handle: (request) => ingest(request, settings(), access()),
    render: (result, request) => render(result, request, wantsAcknowledgment(request), now),
    outcome: (result, request, statusCode) => ({
      statusCode,
      code: result.failure?.code,
      metric: result.failure === undefined ? MESSAGES_ACCEPTED_METRIC : kindOf(result.failure).metric,
      institute: result.institute,
      messageType: result.message?.messageType,
      controlIdLength: result.message === undefined ? undefined : [...result.message.controlId].length,
      acknowledgment: wantsAcknowledgment(request),
      upstream: result.upstream,
      unexpected: result.unexpected,
    }),
    internalErrorSentence: 'The message could not be stored because of an internal error.',
    telemetry: lazily(options.telemetry ?? (() => createTelemetry('health-data-lake-ingest'))),
  });
}

/** The Lambda entry point of `POST /messages`. */
export const handler: IngestHandler = createIngestHandler();
