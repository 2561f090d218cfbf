/** API Gateway HTTP API events (payload format 2.0, JWT authorizer) as the handlers receive them. */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { READ_CLAIM, WRITE_CLAIM } from './handler-environment';

/** A Cognito ID token as far as the handler is concerned: an opaque string. */
export const ID_TOKEN = 'eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJ1c2VyLTEifQ.SECRET-TOKEN-SIGNATURE-1';
export const OTHER_ID_TOKEN = 'eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJ1c2VyLTEifQ.SECRET-TOKEN-SIGNATURE-2';
export const SUBJECT = '7c1e2a3b-0000-4000-8000-000000000001';
export const INSTITUTE = 'hospital-a';

export interface EventOptions {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Record<string, string | undefined>;
  /** Replaces all claims; `undefined` values are left out. */
  readonly claims?: Record<string, unknown>;
  readonly pathParameters?: Record<string, string | undefined>;
  readonly requestId?: string;
  readonly method?: string;
  readonly path?: string;
}

function event(options: EventOptions, routeKey: string): APIGatewayProxyEventV2WithJWTAuthorizer {
  const method = options.method ?? routeKey.split(' ')[0];
  const path = options.path ?? '/messages';
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: options.headers === undefined
      ? { 'authorization': `Bearer ${ID_TOKEN}`, 'content-type': 'x-application/hl7-v2+er7' }
      : Object.fromEntries(Object.entries(options.headers).filter(([, value]) => value !== undefined)) as Record<string, string>,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api1234567.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api1234567',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'jest' },
      requestId: options.requestId ?? 'JYpy5iEmIAMEVZA=',
      routeKey,
      stage: '$default',
      time: '02/Jan/2024:03:04:05 +0000',
      timeEpoch: 1704164645000,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: (options.claims ?? {}) as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer']['jwt']['claims'],
          scopes: null,
        },
      },
    },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
  };
}

/** Claims of a user of `institute` with write (and read) privileges. */
export function claimsOf(institute: string = INSTITUTE, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: SUBJECT,
    token_use: 'id',
    [WRITE_CLAIM]: institute,
    [READ_CLAIM]: institute,
    ...extra,
  };
}

/** `POST /messages`. */
export function postMessage(body: string | undefined, options: EventOptions = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  return event({ claims: claimsOf(), ...options, body }, 'POST /messages');
}

/** `GET /messages/{id}`. */
export function getMessage(id: string | undefined, options: EventOptions = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  return event({ claims: claimsOf(), ...options, pathParameters: { id }, path: `/messages/${id}` }, 'GET /messages/{id}');
}

/** Headers with a bearer token (and extra headers). */
export function headersWith(token: string | undefined, extra: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...extra };
}
