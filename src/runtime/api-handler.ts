/**
 * The frame every handler of the HTTP API runs in: expected failures come back as results, a bug
 * becomes a 500 with a generic sentence (never a stack trace), the handler never throws, and each
 * request is logged and counted once, without its telemetry ever failing the request.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ApiRequest } from './request';
import { failure, internalErrorResponse, RequestFailure } from './responses';
import { recordOutcome, reportTelemetryFailure, RequestOutcome, Telemetry } from './telemetry';

/** A Lambda handler of the lake's HTTP API (payload format 2.0, JWT authorizer). */
export type ApiHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** What every request result can say about how it ended. */
export interface HandledRequest {
  readonly failure?: RequestFailure;
  /** An error nobody expected (a bug), for the log only. */
  readonly unexpected?: unknown;
}

export interface ApiHandlerParts<R extends HandledRequest> {
  /** Handles one request. Expected failures come back as results; only bugs throw. */
  readonly handle: (request: ApiRequest) => Promise<R>;
  /** Turns a result into the HTTP answer. */
  readonly render: (result: R, request: ApiRequest) => APIGatewayProxyStructuredResultV2;
  /** What the log line and the metric say about a result. */
  readonly outcome: (result: R, request: ApiRequest, statusCode: number) => RequestOutcome;
  /** The sentence of the 500 answer when `handle` throws. */
  readonly internalErrorSentence: string;
  readonly telemetry: () => Telemetry;
}

export function apiHandler<R extends HandledRequest>(parts: ApiHandlerParts<R>): ApiHandler {
  const internalError = (sentence: string, error: unknown) =>
    ({ failure: failure('INTERNAL_ERROR', sentence), unexpected: error }) as R;

  return async (event, context) => {
    const startedAt = Date.now();
    const request: ApiRequest = typeof event === 'object' && event !== null ? event : {};
    let result: R;
    let response: APIGatewayProxyStructuredResultV2;
    try {
      try {
        result = await parts.handle(request);
      } catch (error) {
        result = internalError(parts.internalErrorSentence, error);
      }
      response = parts.render(result, request);
    } catch (error) {
      result = internalError('The request could not be completed because of an internal error.', error);
      response = internalErrorResponse();
    }

    try {
      recordOutcome(parts.telemetry(), parts.outcome(result, request, response.statusCode ?? 500), startedAt, context);
    } catch (error) {
      reportTelemetryFailure('outcome', error); // telemetry never fails a request
    }
    return response;
  };
}
