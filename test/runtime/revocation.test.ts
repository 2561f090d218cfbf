/**
 * Revocation on warm handlers (security invariant 8), through the real ingest and read handlers
 * with a fake clock: a token the identity pool starts refusing (a global sign-out, a deleted user)
 * is still served for at most CREDENTIAL_CACHE_TTL_SECONDS after it was last exchanged, and refused
 * (403 ACCESS_DENIED) from then on.
 */
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand, TooManyRequestsException } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { getMessage, ID_TOKEN, postMessage } from './support/api-events';
import { identityPoolIssuing } from './support/aws-doubles';
import { useHandlerEnvironment } from './support/handler-environment';
import { ADMISSIONS, admitMessage, CONTROL_ID } from './support/hl7-messages';
import { recordingTelemetry } from './support/telemetry';
import { HandlerEnvironment } from '../../src/runtime/handler-environment';
import { createIngestHandler } from '../../src/runtime/ingest.lambda';
import { messageIdFor } from '../../src/runtime/message-key';
import { createReadHandler } from '../../src/runtime/read.lambda';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

useHandlerEnvironment();

let clock: number;
/** The tokens the identity pool accepts; emptied when the user is signed out. */
let accepted: string[];
let sent: number;

beforeEach(() => {
  s3.reset();
  cognito.reset();
  clock = Date.UTC(2026, 0, 5, 8, 0, 0);
  accepted = [ID_TOKEN];
  sent = 0;
  identityPoolIssuing(cognito, { acceptedTokens: accepted, now: () => clock });
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => admitMessage() } } as never);
});

afterAll(() => {
  s3.restore();
  cognito.restore();
});

function signOut(): void {
  accepted.length = 0;
}

function awsCalls(): number {
  return s3.calls().length + cognito.calls().length;
}

interface Route {
  readonly name: string;
  readonly create: () => (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<{ statusCode?: number; body?: string }>;
  /** A new request of the same caller (each ingest sends a new control id). */
  readonly request: () => APIGatewayProxyEventV2WithJWTAuthorizer;
  readonly success: number;
  readonly s3Command: typeof PutObjectCommand | typeof GetObjectCommand;
}

const ROUTES: Route[] = [
  {
    name: 'POST /messages',
    create: () => createIngestHandler({ telemetry: recordingTelemetry, clock: () => clock }),
    request: () => postMessage(admitMessage(`MSG-${++sent}`)),
    success: 201,
    s3Command: PutObjectCommand,
  },
  {
    name: 'GET /messages/{id}',
    create: () => createReadHandler({ telemetry: recordingTelemetry, clock: () => clock }),
    request: () => getMessage(messageIdFor(CONTROL_ID, ADMISSIONS)),
    success: 200,
    s3Command: GetObjectCommand,
  },
];

function codeOf(response: { body?: string }): string {
  return JSON.parse(response.body!).error.code;
}

describe.each(ROUTES)('$name: revocation on a warm handler', (route) => {
  test('GIVEN the default TTL (60 s) and a signed-out user WHEN the same token comes within 60 s of its exchange THEN it is still served; at 60 s THEN 403 ACCESS_DENIED and S3 is not called', async () => {
    const handler = route.create();
    expect((await handler(route.request())).statusCode).toBe(route.success);
    clock += SECOND;
    signOut();

    clock += 59 * SECOND - 1; // 1 ms before the TTL ends: the stated bound
    expect((await handler(route.request())).statusCode).toBe(route.success);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(1);

    clock += 1;
    const s3CallsBefore = s3.calls().length;
    const refused = await handler(route.request());

    expect(refused.statusCode).toBe(403);
    expect(codeOf(refused)).toBe('ACCESS_DENIED');
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
    expect(s3.calls().length).toBe(s3CallsBefore);
  });

  test('GIVEN CREDENTIAL_CACHE_TTL_SECONDS=10 WHEN the user is signed out THEN the token is refused from 10 s after its exchange', async () => {
    process.env[HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS] = '10';
    const handler = route.create();
    expect((await handler(route.request())).statusCode).toBe(route.success);
    signOut();

    clock += 10 * SECOND - 1;
    expect((await handler(route.request())).statusCode).toBe(route.success);
    clock += 1;
    expect((await handler(route.request())).statusCode).toBe(403);
  });

  test('GIVEN CREDENTIAL_CACHE_TTL_SECONDS=0 WHEN the user is signed out THEN the very next request is refused, without the clock moving', async () => {
    process.env[HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS] = '0';
    const handler = route.create();
    expect((await handler(route.request())).statusCode).toBe(route.success);
    expect((await handler(route.request())).statusCode).toBe(route.success);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2); // every request asks

    signOut();
    const refused = await handler(route.request());

    expect(refused.statusCode).toBe(403);
    expect(codeOf(refused)).toBe('ACCESS_DENIED');
  });

  test('GIVEN the longest TTL (3300 s) and credentials that last 10 minutes WHEN the user is signed out THEN the TTL stops at expiry less the 5-minute margin', async () => {
    cognito.reset();
    identityPoolIssuing(cognito, { acceptedTokens: accepted, now: () => clock, lifetimeMs: 10 * MINUTE });
    process.env[HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS] = '3300';
    const handler = route.create();
    expect((await handler(route.request())).statusCode).toBe(route.success);
    signOut();

    clock += 5 * MINUTE - 1;
    expect((await handler(route.request())).statusCode).toBe(route.success);
    clock += 1;
    expect((await handler(route.request())).statusCode).toBe(403);
  });

  test('GIVEN a signed-out user WHEN refused requests follow THEN each asks the identity pool again and each is refused: a refusal is never cached as a success', async () => {
    process.env[HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS] = '30';
    const handler = route.create();
    expect((await handler(route.request())).statusCode).toBe(route.success);
    signOut();
    clock += 30 * SECOND;
    const cognitoCallsBefore = cognito.calls().length;

    const statuses = [];
    for (let n = 0; n < 3; n++) {
      statuses.push((await handler(route.request())).statusCode);
      clock += SECOND;
    }

    expect(statuses).toEqual([403, 403, 403]);
    // The first refusal comes from GetCredentialsForIdentity; the remembered identity id is then
    // forgotten, so the next ones come from GetId: one call each, never an answer from memory.
    expect(cognito.calls().length - cognitoCallsBefore).toBe(3);
    expect(s3.commandCalls(route.s3Command)).toHaveLength(1);
  });

  test('GIVEN an exchange that failed (throttled) WHEN the caller comes again at once THEN the identity pool is asked again and the request is served', async () => {
    let throttles = 1;
    cognito.reset();
    identityPoolIssuing(cognito, {
      now: () => clock,
      failure: () => (throttles-- > 0 ? new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }) : undefined),
    });
    const handler = route.create();

    expect((await handler(route.request())).statusCode).toBe(503);
    expect((await handler(route.request())).statusCode).toBe(route.success);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });

  test('GIVEN a warm caller WHEN it comes again inside the TTL THEN one AWS call (S3); after the TTL THEN two (GetCredentialsForIdentity and S3), never GetId again', async () => {
    const handler = route.create();
    await handler(route.request());
    expect(awsCalls()).toBe(3);

    clock += 30 * SECOND;
    let before = awsCalls();
    await handler(route.request());
    expect(awsCalls() - before).toBe(1);
    expect(s3.commandCalls(route.s3Command)).toHaveLength(2);

    clock += 30 * SECOND;
    before = awsCalls();
    expect((await handler(route.request())).statusCode).toBe(route.success);
    expect(awsCalls() - before).toBe(2);
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });
});
