import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  InvalidIdentityPoolConfigurationException,
  NotAuthorizedException,
  TooManyRequestsException,
} from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { claimsOf, getMessage, ID_TOKEN, INSTITUTE, postMessage, SUBJECT } from './support/api-events';
import { accessKeyIdOf, CALLER_CREDENTIALS, ConditionalWriteBucket, identityPoolIssuing, IDENTITY_ID, s3Error } from './support/aws-doubles';
import { BUCKET_NAME, IDENTITY_POOL_ID, IDENTITY_PROVIDER_NAME, READ_CLAIM, useHandlerEnvironment, WRITE_CLAIM } from './support/handler-environment';
import { ADMISSIONS, admitMessage, CONTROL_ID } from './support/hl7-messages';
import { captureOutput, recordingTelemetry } from './support/telemetry';
import { createIngestHandler } from '../../src/runtime/ingest.lambda';
import { MAX_MESSAGE_ID_LENGTH, messageIdFor } from '../../src/runtime/message-key';
import { createReadHandler, handler as exportedHandler, ReadHandler } from '../../src/runtime/read.lambda';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);
const STORED = admitMessage();
const ID = messageIdFor(CONTROL_ID, ADMISSIONS);

useHandlerEnvironment();

let telemetry: ReturnType<typeof recordingTelemetry>;
let handler: ReadHandler;
let getCredentials: string[];

beforeEach(() => {
  s3.reset();
  cognito.reset();
  identityPoolIssuing(cognito);
  getCredentials = [];
  s3.on(GetObjectCommand).callsFake(async (_input, getClient) => {
    getCredentials.push(await accessKeyIdOf(getClient()));
    return { Body: { transformToString: async () => STORED } };
  });
  telemetry = recordingTelemetry();
  handler = createReadHandler({ telemetry: () => telemetry });
});

afterAll(() => {
  s3.restore();
  cognito.restore();
});

function awsCallCount(): number {
  return s3.calls().length + cognito.calls().length;
}

function expectError(response: APIGatewayProxyStructuredResultV2, status: number, code: string, retryable: boolean): void {
  expect(response.statusCode).toBe(status);
  expect(response.headers?.['content-type']).toBe('application/json');
  expect(JSON.parse(response.body!)).toEqual({ error: { code, message: expect.stringMatching(/^[A-Z].*\.$/), retryable } });
}

describe('GET /messages/{id}', () => {
  test('GIVEN a stored message of the caller\'s read institute WHEN it is read THEN 200 with its HL7 text, fetched with the caller\'s credentials', async () => {
    const response = await handler(getMessage(ID));

    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'x-application/hl7-v2+er7', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
      body: STORED,
      isBase64Encoded: false,
    });
    expect(cognito.commandCalls(GetIdCommand)[0].args[0].input).toEqual({
      IdentityPoolId: IDENTITY_POOL_ID,
      Logins: { [IDENTITY_PROVIDER_NAME]: ID_TOKEN },
    });
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)[0].args[0].input).toEqual({
      IdentityId: IDENTITY_ID,
      Logins: { [IDENTITY_PROVIDER_NAME]: ID_TOKEN },
    });
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET_NAME, Key: `${INSTITUTE}/${ID}` }]);
    expect(getCredentials).toEqual([CALLER_CREDENTIALS.AccessKeyId]);
    expect(telemetry.counted).toEqual(['MessagesRead']);
  });

  test('GIVEN a user who writes for one institute and reads for another WHEN reading THEN the key uses the READ institute', async () => {
    await handler(getMessage(ID, { claims: claimsOf('hospital-a', { [READ_CLAIM]: 'registry-b' }) }));

    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input.Key).toBe(`registry-b/${ID}`);
  });

  test('GIVEN a warm function WHEN the same caller reads again THEN exactly one AWS call is made: the GetObject', async () => {
    await handler(getMessage(ID));
    const cold = awsCallCount();

    await handler(getMessage(ID));

    expect(cold).toBe(3);
    expect(awsCallCount() - cold).toBe(1);
  });

  test('GIVEN the module\'s exported handler WHEN called with the deployed environment THEN it reads the message', async () => {
    const { result } = await captureOutput(() => exportedHandler(getMessage(ID)));

    expect(result.statusCode).toBe(200);
  });

  test('GIVEN a message stored by POST /messages WHEN read back by its id THEN the same text comes back', async () => {
    const bucket = new ConditionalWriteBucket(0);
    s3.on(PutObjectCommand).callsFake(async (input, getClient) => bucket.putObject(input, await accessKeyIdOf(getClient())));
    s3.on(GetObjectCommand).callsFake(async (input) => bucket.getObject(input.Key));
    const ingest = createIngestHandler({ telemetry: () => telemetry });
    const text = admitMessage('ROUND-TRIP-Ω');

    const receipt = JSON.parse((await ingest(postMessage(text))).body!);
    const response = await handler(getMessage(receipt.id));

    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(text);
  });

  test('GIVEN one control id stored from two senders, with components, escapes and non-ASCII in MSH-3 and MSH-4 WHEN each is read back by its id THEN each gets its own message', async () => {
    const bucket = new ConditionalWriteBucket(0);
    s3.on(PutObjectCommand).callsFake(async (input, getClient) => bucket.putObject(input, await accessKeyIdOf(getClient())));
    s3.on(GetObjectCommand).callsFake(async (input) => bucket.getObject(input.Key));
    const ingest = createIngestHandler({ telemetry: () => telemetry });
    const texts = [
      admitMessage('1001', { sendingApplication: 'LAB^1.2.3^ISO', sendingFacility: 'Hôpital\T\Nord&Est' }),
      admitMessage('1001', { sendingApplication: 'PHARMACIE', sendingFacility: 'Hôpital\T\Nord&Est' }),
    ];

    const ids = [];
    for (const text of texts) {
      const receipt = await ingest(postMessage(text));
      expect(receipt.statusCode).toBe(201);
      ids.push(JSON.parse(receipt.body!).id);
    }
    const bodies = [];
    for (const id of ids) {
      const response = await handler(getMessage(id));
      expect(response.statusCode).toBe(200);
      bodies.push(response.body);
    }

    expect(bodies).toEqual(texts);
  });
});

describe('GET /messages/{id}: requests answered without any AWS call', () => {
  test.each([
    { name: 'no read claim', claims: { 'sub': SUBJECT, 'token_use': 'id', 'custom:write': INSTITUTE } },
    { name: 'an empty read claim', claims: { token_use: 'id', [READ_CLAIM]: '' } },
    { name: 'a numeric read claim', claims: { token_use: 'id', [READ_CLAIM]: 7 } },
    { name: 'an array read claim', claims: { token_use: 'id', [READ_CLAIM]: ['hospital-a', 'hospital-b'] } },
    { name: 'an object read claim', claims: { token_use: 'id', [READ_CLAIM]: { institute: 'hospital-a' } } },
  ])('GIVEN $name WHEN reading THEN 403 NO_READ_INSTITUTE', async ({ claims }) => {
    expectError(await handler(getMessage(ID, { claims })), 403, 'NO_READ_INSTITUTE', false);
    expect(awsCallCount()).toBe(0);
    expect(telemetry.counted).toEqual(['AccessDenied']);
  });

  test.each([
    { name: 'a read claim with a slash', claims: claimsOf(INSTITUTE, { [READ_CLAIM]: 'hospital-a/..' }), which: 'read' },
    { name: 'a read claim "St. Mary\'s"', claims: claimsOf(INSTITUTE, { [READ_CLAIM]: 'St. Mary\'s' }), which: 'read' },
    { name: 'a read claim with a zero-width space', claims: claimsOf(INSTITUTE, { [READ_CLAIM]: 'hospital\u200b-a' }), which: 'read' },
    { name: 'a read claim with an emoji', claims: claimsOf(INSTITUTE, { [READ_CLAIM]: '🏥' }), which: 'read' },
    { name: 'a read claim with a trailing space', claims: claimsOf(INSTITUTE, { [READ_CLAIM]: 'hospital-a ' }), which: 'read' },
    { name: 'a read claim of 257 characters', claims: claimsOf(INSTITUTE, { [READ_CLAIM]: 'x'.repeat(257) }), which: 'read' },
    { name: 'a valid read claim and a write claim "A,B"', claims: claimsOf(INSTITUTE, { [WRITE_CLAIM]: 'A,B' }), which: 'write' },
  ])('GIVEN $name, which STS would refuse as a session tag, WHEN reading THEN 403 INVALID_INSTITUTE_NAME, not retryable, before any AWS call', async ({ claims, which }) => {
    const response = await handler(getMessage(ID, { claims }));

    expectError(response, 403, 'INVALID_INSTITUTE_NAME', false);
    expect(JSON.parse(response.body!).error.message).toMatch(new RegExp(`^Your account's ${which} institute `));
    expect(cognito.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
    expect(telemetry.counted).toEqual(['AccessDenied']);
  });

  test.each(['Hôpital Saint-Louis', '病院'])('GIVEN the read institute %j (letters beyond ASCII) WHEN reading THEN the key names it', async (institute) => {
    const response = await handler(getMessage(ID, { claims: claimsOf(institute) }));

    expect(response.statusCode).toBe(200);
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input.Key).toBe(`${institute}/${ID}`);
  });

  test.each([
    { name: 'a missing id', id: undefined },
    { name: 'an empty id', id: '' },
    { name: 'a parent directory', id: '..' },
    { name: 'a path', id: '../hospital-b/TVNHMDAwMDE' },
    { name: 'a slash', id: 'TVNH/MDAwMDE' },
    { name: 'padding', id: 'TVNHMDAwMDE=' },
    { name: 'standard base64 characters', id: 'a+b/' },
    { name: 'a non-canonical encoding', id: 'TR' },
    { name: 'an impossible length', id: 'TVNHM' },
    { name: 'unicode', id: 'Ωmega' },
    { name: 'percent-encoding', id: '%2e%2e%2f' },
    { name: 'bytes that are not UTF-8', id: Buffer.from([0xff, 0xfe]).toString('base64url') },
    { name: 'an over-long id', id: 'A'.repeat(MAX_MESSAGE_ID_LENGTH + 2) },
  ])('GIVEN $name as the message id WHEN reading THEN 400 INVALID_MESSAGE_ID', async ({ id }) => {
    expectError(await handler(getMessage(id)), 400, 'INVALID_MESSAGE_ID', false);
    expect(awsCallCount()).toBe(0);
  });

  test.each([
    ['an access token', { token_use: 'access' }],
    ['no token_use claim', { token_use: undefined }],
    ['a token_use that is not a string', { token_use: { value: 'id' } }],
  ])('GIVEN %s WHEN reading THEN 401 NOT_AN_ID_TOKEN before any AWS call', async (_name, extra) => {
    const claims = Object.fromEntries(Object.entries(claimsOf(INSTITUTE, extra)).filter(([, value]) => value !== undefined));

    expectError(await handler(getMessage(ID, { claims })), 401, 'NOT_AN_ID_TOKEN', false);
    expect(awsCallCount()).toBe(0);
    expect(telemetry.counted).toEqual(['AccessDenied']);
  });

  test('GIVEN an id of the former layout (base64url of the control id alone) WHEN reading THEN 400 INVALID_MESSAGE_ID', async () => {
    expectError(await handler(getMessage(Buffer.from(CONTROL_ID).toString('base64url'))), 400, 'INVALID_MESSAGE_ID', false);
    expect(awsCallCount()).toBe(0);
  });

  test('GIVEN no authorization header WHEN reading THEN 401 MISSING_TOKEN', async () => {
    expectError(await handler(getMessage(ID, { headers: {} })), 401, 'MISSING_TOKEN', false);
    expect(awsCallCount()).toBe(0);
  });
});

describe('GET /messages/{id}: AWS answers', () => {
  test('GIVEN a message that does not exist and one the caller may not read WHEN read THEN both get the very same 404', async () => {
    s3.on(GetObjectCommand).rejectsOnce(s3Error('NoSuchKey', 404)).rejectsOnce(s3Error('AccessDenied', 403));

    const missing = await handler(getMessage(ID));
    const forbidden = await handler(getMessage(ID));

    expectError(missing, 404, 'MESSAGE_NOT_FOUND', false);
    expect(forbidden).toEqual(missing);
    expect(telemetry.counted).toEqual(['MessagesNotFound', 'MessagesNotFound']);
  });

  test.each([
    { name: 'SlowDown (503)', error: s3Error('SlowDown', 503), status: 503, code: 'SERVICE_THROTTLED' },
    { name: 'InternalError (500)', error: s3Error('InternalError', 500), status: 502, code: 'UPSTREAM_ERROR' },
    { name: 'a network error', error: new Error('socket hang up'), status: 502, code: 'UPSTREAM_ERROR' },
  ])('GIVEN GetObject fails with $name WHEN read THEN $status $code, retryable', async ({ error, status, code }) => {
    s3.on(GetObjectCommand).rejects(error);

    expectError(await handler(getMessage(ID)), status, code, true);
  });

  test('GIVEN GetObject is refused as malformed (400) WHEN read THEN 502 STORE_REJECTED, not retryable', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('InvalidArgument', 400));

    expectError(await handler(getMessage(ID)), 502, 'STORE_REJECTED', false);
  });

  test('GIVEN a token the identity pool refuses WHEN reading THEN 403 ACCESS_DENIED and S3 is never called', async () => {
    cognito.on(GetIdCommand).rejects(new NotAuthorizedException({ message: 'Invalid login token', $metadata: { httpStatusCode: 400 } }));

    expectError(await handler(getMessage(ID)), 403, 'ACCESS_DENIED', false);
    expect(s3.calls()).toHaveLength(0);
  });

  test('GIVEN the identity pool answers InvalidIdentityPoolConfigurationException WHEN reading THEN 502 IDENTITY_POOL_REFUSED, not retryable', async () => {
    cognito.on(GetCredentialsForIdentityCommand).rejects(new InvalidIdentityPoolConfigurationException({
      message: 'Invalid identity pool configuration. Check assigned IAM roles for this pool.', $metadata: { httpStatusCode: 400 },
    }));

    expectError(await handler(getMessage(ID)), 502, 'IDENTITY_POOL_REFUSED', false);
    expect(s3.calls()).toHaveLength(0);
  });

  test('GIVEN the identity pool throttles WHEN reading THEN 503 SERVICE_THROTTLED', async () => {
    cognito.on(GetIdCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    expectError(await handler(getMessage(ID)), 503, 'SERVICE_THROTTLED', true);
  });

  test('GIVEN a bug in the store WHEN reading THEN 500 INTERNAL_ERROR without details', async () => {
    handler = createReadHandler({
      telemetry: () => telemetry,
      messageStores: () => ({ forCaller: () => ({ store: async () => undefined, fetch: async () => { throw new RangeError('secret detail'); } }) }),
    });

    const response = await handler(getMessage(ID));

    expectError(response, 500, 'INTERNAL_ERROR', false);
    expect(response.body).not.toMatch(/secret|RangeError/);
  });

  test('GIVEN a missing READ_CLAIM setting WHEN reading THEN 500 INTERNAL_ERROR and no AWS call', async () => {
    delete process.env.READ_CLAIM;

    expectError(await handler(getMessage(ID)), 500, 'INTERNAL_ERROR', false);
    expect(awsCallCount()).toBe(0);
  });

  test.each([null, undefined, 42, {}])('GIVEN %p as the event WHEN handled THEN a JSON 4xx answer, never a throw', async (event) => {
    const response = await handler(event as any);

    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body!).error.code).toBe('NOT_AN_ID_TOKEN');
    expect(awsCallCount()).toBe(0);
  });
});
