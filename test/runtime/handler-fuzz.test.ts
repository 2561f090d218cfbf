/**
 * Property tests of both handlers over hostile requests: whatever arrives, the handler answers
 * (never throws) with a well-formed 4xx, and invalid input never reaches S3.
 */
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { getMessage, ID_TOKEN, postMessage } from './support/api-events';
import { identityPoolIssuing, s3Error } from './support/aws-doubles';
import { READ_CLAIM, useHandlerEnvironment, WRITE_CLAIM } from './support/handler-environment';
import { admitMessage } from './support/hl7-messages';
import { recordingTelemetry } from './support/telemetry';
import { HandlerEnvironment } from '../../src/runtime/handler-environment';
import { createIngestHandler } from '../../src/runtime/ingest.lambda';
import { messageIdFor } from '../../src/runtime/message-key';
import { createReadHandler } from '../../src/runtime/read.lambda';

const NUM_RUNS = 10_000;
const MAX_MESSAGE_BYTES = 4096;
const ACK = 'x-application/hl7-v2+er7';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);

useHandlerEnvironment({ [HandlerEnvironment.MAX_MESSAGE_BYTES]: String(MAX_MESSAGE_BYTES) });

beforeEach(() => {
  s3.reset();
  cognito.reset();
  // Only the real token gets credentials; any other token is refused, as Cognito would.
  identityPoolIssuing(cognito, { acceptedTokens: [ID_TOKEN] });
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).rejects(s3Error('NoSuchKey', 404));
});

afterAll(() => {
  s3.restore();
  cognito.restore();
});

// ---- Bodies -------------------------------------------------------------------------------

interface BodyCase {
  readonly body: unknown;
  readonly isBase64Encoded: unknown;
  /** Whether the body is one acceptable message (only the generators of valid messages say so). */
  readonly valid: boolean;
}

const controlIds = fc.stringMatching(/^[A-Za-z0-9.-]{1,20}$/);
const validMessage: fc.Arbitrary<BodyCase> = fc.tuple(controlIds, fc.boolean()).map(([controlId, encoded]) => {
  const text = admitMessage(controlId);
  return { body: encoded ? Buffer.from(text).toString('base64') : text, isBase64Encoded: encoded, valid: true };
});

/** Edits that always make a valid message invalid. */
const breakages: ((text: string) => string)[] = [
  (text) => text.replace('|ADT^A01^ADT_A01|', '||'), // no MSH-9
  (text) => text.replace(/\|P\|2\.5\.1/, '||2.5.1'), // no MSH-11
  (text) => text.replace(/\|P\|2\.5\.1/, '|P|'), // no MSH-12
  (text) => text.replace(/^MSH/, 'MSX'),
  (text) => text.replace(/^MSH\|/, 'MSHA'),
  (text) => text.replace('^~\\&', '^^\\&'),
  (text) => text.replace('\rPID|', '\rpid|'),
  (text) => text.replace('\rEVN|', '\r|EVN|'),
  (text) => `${text}\r${text}`,
];
const brokenMessage: fc.Arbitrary<BodyCase> = fc.tuple(controlIds, fc.integer({ min: 0, max: breakages.length - 1 }), fc.boolean())
  .map(([controlId, n, encoded]) => {
    const text = breakages[n](admitMessage(controlId));
    return { body: encoded ? Buffer.from(text).toString('base64') : text, isBase64Encoded: encoded, valid: false };
  });
const overlongControlId: fc.Arbitrary<BodyCase> = fc.integer({ min: 200, max: 400 })
  .map((length) => ({ body: admitMessage('C'.repeat(length)), isBase64Encoded: false, valid: false }));
const tooLarge: fc.Arbitrary<BodyCase> = fc.tuple(fc.integer({ min: MAX_MESSAGE_BYTES + 1, max: 3 * MAX_MESSAGE_BYTES }), fc.boolean())
  .map(([size, encoded]) => {
    const text = admitMessage('BIG-1', { note: '' });
    const padded = text + 'x'.repeat(Math.max(0, size - text.length));
    return { body: encoded ? Buffer.from(padded).toString('base64') : padded, isBase64Encoded: encoded, valid: false };
  });
const randomText: fc.Arbitrary<BodyCase> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('M', 'S', 'H', '|', '^', '~', '\\', '&', '\r', '\n', '\x0b', '\x1c', '1', ' '), maxLength: 200 }),
).map((body) => ({ body, isBase64Encoded: false, valid: false }));
const randomBytes: fc.Arbitrary<BodyCase> = fc.uint8Array({ maxLength: 400 })
  .map((bytes) => ({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true, valid: false }));
const base64Garbage: fc.Arbitrary<BodyCase> = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n%!'.split('')),
  maxLength: 400,
}).map((body) => ({ body, isBase64Encoded: true, valid: false }));
const notAString: fc.Arbitrary<BodyCase> = fc.tuple(fc.anything(), fc.anything())
  .filter(([body]) => typeof body !== 'string')
  .map(([body, isBase64Encoded]) => ({ body, isBase64Encoded, valid: false }));

const bodies: fc.Arbitrary<BodyCase> = fc.oneof(
  { arbitrary: validMessage, weight: 3 },
  { arbitrary: brokenMessage, weight: 2 },
  { arbitrary: overlongControlId, weight: 1 },
  { arbitrary: tooLarge, weight: 1 },
  { arbitrary: randomText, weight: 2 },
  { arbitrary: randomBytes, weight: 1 },
  { arbitrary: base64Garbage, weight: 1 },
  { arbitrary: notAString, weight: 1 },
);

// ---- Claims, headers and the event's shape ------------------------------------------------

const hostileStrings = fc.constantFrom(
  '', ' ', '\t', 'a&source=b', 'a=b&c=d', '../hospital-b', 'hospital-a/..', '/', '*', '%2F', '\u0000', 'Ω-institute',
  'hospital-a\nstate=deleted', '${aws:PrincipalTag/write}', 'null', 'undefined', '🙂',
  'St. Mary\'s', 'a*b', 'A#1', 'A,B', 'a\u200bb', 'hospital-a ', 'x'.repeat(257), 'Hôpital Saint-Louis', '病院',
);

/** What STS accepts as a session tag value: the identity pool passes the institute claims to it. */
const STS_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** Whether a claim holds a string that STS would refuse as a session tag: such a claim must never reach the identity pool. */
function claimStsRefuses(claims: unknown, claimName: string): boolean {
  if (typeof claims !== 'object' || claims === null || !Object.prototype.hasOwnProperty.call(claims, claimName)) return false;
  const value = (claims as Record<string, unknown>)[claimName];
  return typeof value === 'string' && !STS_TAG_VALUE.test(value);
}
const claimValues: fc.Arbitrary<unknown> = fc.oneof(
  hostileStrings,
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
/** Mostly an ID token; else an access token, a look-alike, or anything at all. */
const tokenUses: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant('id'), weight: 6 },
  { arbitrary: fc.constantFrom('access', 'ID', 'id ', '', undefined), weight: 2 },
  { arbitrary: claimValues, weight: 1 },
);
function claimsArbitrary(claimName: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constant({ sub: 'user-1', token_use: 'id', [claimName]: 'hospital-a' }),
    fc.tuple(claimValues, tokenUses).map(([value, tokenUse]) => ({ sub: 'user-1', token_use: tokenUse, [claimName]: value })),
    fc.dictionary(fc.string({ maxLength: 12 }), claimValues, { maxKeys: 4 }),
    fc.anything({ maxDepth: 1 }),
  );
}

interface TokenCase {
  readonly authorization?: unknown;
  /** Whether the header carries the one token the identity pool accepts. */
  readonly good: boolean;
}
const tokens: fc.Arbitrary<TokenCase> = fc.oneof(
  fc.constantFrom(`Bearer ${ID_TOKEN}`, `bearer ${ID_TOKEN}`, ID_TOKEN).map((authorization) => ({ authorization, good: true })),
  fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', 'Bearer  ', 'Basic dXNlcjpwYXNzd29yZA==', `Bearer ${ID_TOKEN} extra`, `${ID_TOKEN}x`)
    .map((authorization) => ({ authorization, good: false })),
  fc.string({ maxLength: 60 }).map((value) => ({ authorization: `Bearer ${value}`, good: false })),
  fc.string({ unit: 'binary', maxLength: 60 }).map((authorization) => ({ authorization, good: false })),
  fc.anything({ maxDepth: 1 }).filter((value) => typeof value !== 'string').map((authorization) => ({ authorization, good: false })),
);
const accepts: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.constant(ACK),
  fc.constantFrom(ACK, 'application/json', '*/*', 'X-APPLICATION/HL7-V2+ER7; q=0.5', `${ACK};q=0`, `${ACK};q=abc`, ',,;;'),
  fc.string({ maxLength: 40 }),
  fc.integer(),
);

interface HeaderCase {
  readonly headers: unknown;
  readonly good: boolean;
}
const usualHeaders: fc.Arbitrary<HeaderCase> = fc.tuple(tokens, accepts)
  .map(([token, accept]) => ({ headers: { authorization: token.authorization, accept }, good: token.good }));
const oddHeaders: fc.Arbitrary<HeaderCase> = fc.oneof(
  fc.constantFrom(undefined, null, [], 'authorization: x'),
  fc.dictionary(fc.string({ maxLength: 15 }), fc.anything({ maxDepth: 0 }), { maxKeys: 4 }),
).map((headers) => ({ headers, good: false }));
const headerCases: fc.Arbitrary<HeaderCase> = fc.oneof({ arbitrary: usualHeaders, weight: 6 }, { arbitrary: oddHeaders, weight: 2 });

/** Takes a well-formed event apart: the parts a real API Gateway always sends may be missing or odd. */
const eventShapes = fc.oneof(
  { arbitrary: fc.constant('intact'), weight: 10 },
  { arbitrary: fc.constantFrom('no-request-context', 'no-authorizer', 'null-jwt', 'claims-array', 'event-null'), weight: 3 },
);
function shaped(event: APIGatewayProxyEventV2WithJWTAuthorizer, shape: string): APIGatewayProxyEventV2WithJWTAuthorizer {
  const copy: any = { ...event, requestContext: { ...event.requestContext } };
  switch (shape) {
    case 'no-request-context': delete copy.requestContext; break;
    case 'no-authorizer': delete copy.requestContext.authorizer; break;
    case 'null-jwt': copy.requestContext.authorizer = { jwt: null }; break;
    case 'claims-array': copy.requestContext.authorizer = { jwt: { claims: ['custom:write', 'hospital-a'] } }; break;
    case 'event-null': return null as any;
    default: break;
  }
  return copy;
}

// ---- The properties ------------------------------------------------------------------------

/** Checks an answer and says which outcome it was, e.g. `403 NO_WRITE_INSTITUTE` or `400 ACK AR`. */
function expectWellFormedClientError(response: APIGatewayProxyStructuredResultV2): string {
  expect(Number.isInteger(response.statusCode)).toBe(true);
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  const contentType = response.headers?.['content-type'];
  expect(typeof response.body).toBe('string');
  if (contentType === ACK) {
    const segments = response.body!.split('\r');
    expect(segments[0]).toMatch(/^MSH\|\^~\\&\|/);
    expect(segments[1]).toMatch(/^MSA\|A[RE]\|/);
    expect(segments[2]).toMatch(/^ERR\|/);
    return `${response.statusCode} ACK ${segments[1].slice(4, 6)}`;
  }
  expect(contentType).toBe('application/json');
  const body = JSON.parse(response.body!);
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'retryable']);
  expect(body.error.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  expect(body.error.message).toMatch(/^\S.*\.$/);
  expect(body.error.retryable).toBe(false);
  expect(response.body).not.toMatch(/\n\s+at |\.ts:\d+/);
  return `${response.statusCode} ${body.error.code}`;
}

async function neverThrows<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Error(`The handler threw: ${String(error)}`);
  }
}

describe('handlers under hostile input (property tests)', () => {
  test(`GIVEN ${NUM_RUNS} hostile POST /messages requests WHEN handled THEN each gets a well-formed 4xx and invalid input never reaches S3`, async () => {
    const handler = createIngestHandler({ telemetry: recordingTelemetry });
    const outcomes = new Set<string>();

    await fc.assert(
      fc.asyncProperty(bodies, claimsArbitrary(WRITE_CLAIM), headerCases, eventShapes, fc.string({ maxLength: 30 }),
        async (body, claims, headers, shape, requestId) => {
          // Only a request that is valid in every part may be stored: skip the rare fully valid one.
          fc.pre(!(body.valid && headers.good));
          s3.resetHistory();
          cognito.resetHistory();
          const event: any = postMessage(undefined, { requestId });
          event.body = body.body;
          event.isBase64Encoded = body.isBase64Encoded;
          event.headers = headers.headers;
          event.requestContext.authorizer.jwt.claims = claims;

          const response = await neverThrows(() => handler(shaped(event, shape)));

          outcomes.add(expectWellFormedClientError(response));
          expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
          if (!body.valid || claimStsRefuses(claims, WRITE_CLAIM)) {
            expect(cognito.calls()).toHaveLength(0); // nothing that fails validation costs an AWS call
          }
        }),
      { numRuns: NUM_RUNS },
    );

    // The generators reach every rejection, in JSON and as acknowledgments.
    expect([...outcomes]).toEqual(expect.arrayContaining([
      '413 MESSAGE_TOO_LARGE', '400 EMPTY_MESSAGE', '400 INVALID_BODY_ENCODING', '400 MISSING_MSH_SEGMENT',
      '400 MISSING_MESSAGE_TYPE', '400 MISSING_PROCESSING_ID', '400 MISSING_VERSION', '400 INVALID_FIELD_SEPARATOR',
      '400 INVALID_ENCODING_CHARACTERS', '400 INVALID_SEGMENT_ID', '400 CONTROL_ID_TOO_LONG',
      '403 NO_WRITE_INSTITUTE', '403 INVALID_INSTITUTE_NAME', '401 MISSING_TOKEN', '401 NOT_AN_ID_TOKEN', '403 ACCESS_DENIED',
      '400 ACK AR', '403 ACK AR', '401 ACK AR', '413 ACK AR',
    ]));
  });

  test(`GIVEN ${NUM_RUNS} hostile GET /messages/{id} requests WHEN handled THEN each gets a well-formed 4xx and only a well-formed id inside the caller's institute reaches S3`, async () => {
    const handler = createReadHandler({ telemetry: recordingTelemetry });
    const outcomes = new Set<string>();
    const ids: fc.Arbitrary<unknown> = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('../', '..', '../../etc/passwd', '%2e%2e%2f', '/', 'a/b', '', '.', 'TVNH==', 'TVNHMDAwMDE/', '\u0000', 'Ω'),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
      fc.string({ minLength: 1, maxLength: 30 }).map(messageIdFor),
      fc.integer({ min: 1000, max: 3000 }).map((length) => 'A'.repeat(length)),
      fc.anything({ maxDepth: 0 }),
    );

    await fc.assert(
      fc.asyncProperty(ids, claimsArbitrary(READ_CLAIM), headerCases, eventShapes, async (id, claims, headers, shape) => {
        s3.resetHistory();
        cognito.resetHistory();
        const event: any = getMessage('placeholder');
        event.pathParameters = { id };
        event.headers = headers.headers;
        event.requestContext.authorizer.jwt.claims = claims;

        const response = await neverThrows(() => handler(shaped(event, shape)));

        outcomes.add(expectWellFormedClientError(response));
        const reads = s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key!);
        if (typeof id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(id) || claimStsRefuses(claims, READ_CLAIM)) {
          expect(reads).toHaveLength(0);
          expect(cognito.calls()).toHaveLength(0);
        }
        for (const key of reads) {
          const institute = (claims as Record<string, unknown>)[READ_CLAIM];
          expect(key).toBe(`${String(institute)}/${String(id)}`);
          expect(key.split('/')).toHaveLength(2);
          expect(response.statusCode).toBe(404);
        }
      }),
      { numRuns: NUM_RUNS },
    );

    expect([...outcomes].sort()).toEqual([
      '400 INVALID_MESSAGE_ID', '401 MISSING_TOKEN', '401 NOT_AN_ID_TOKEN', '403 ACCESS_DENIED', '403 INVALID_INSTITUTE_NAME', '403 NO_READ_INSTITUTE', '404 MESSAGE_NOT_FOUND',
    ]);
  });
});
