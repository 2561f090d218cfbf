import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  InternalErrorException,
  InvalidIdentityPoolConfigurationException,
  NotAuthorizedException,
  TooManyRequestsException,
} from '@aws-sdk/client-cognito-identity';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { claimsOf, headersWith, ID_TOKEN, INSTITUTE, OTHER_ID_TOKEN, postMessage, SUBJECT } from './support/api-events';
import { accessKeyIdOf, CALLER_CREDENTIALS, ConditionalWriteBucket, identityPoolIssuing, IDENTITY_ID, s3Error } from './support/aws-doubles';
import {
  BUCKET_NAME,
  FUNCTION_ROLE_ACCESS_KEY_ID,
  IDENTITY_POOL_ID,
  IDENTITY_PROVIDER_NAME,
  useHandlerEnvironment,
  WRITE_CLAIM,
  READ_CLAIM,
} from './support/handler-environment';
import { ADMISSIONS, admitMessage, base64, CONTROL_ID, messageWithoutControlId, NOT_HL7 } from './support/hl7-messages';
import { captureOutput, recordingTelemetry } from './support/telemetry';
import { HandlerEnvironment } from '../../src/runtime/handler-environment';
import { createIngestHandler, handler as exportedHandler, IngestHandler } from '../../src/runtime/ingest.lambda';
import { messageIdFor } from '../../src/runtime/message-key';
import type { MessageStore } from '../../src/runtime/message-store';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);
const ACK = 'x-application/hl7-v2+er7';
const FIXTURES = join(__dirname, '..', 'fixtures', 'hl7');

useHandlerEnvironment();

let telemetry: ReturnType<typeof recordingTelemetry>;
let handler: IngestHandler;
let putCredentials: string[];

beforeEach(() => {
  s3.reset();
  cognito.reset();
  identityPoolIssuing(cognito);
  putCredentials = [];
  s3.on(PutObjectCommand).callsFake(async (_input, getClient) => {
    putCredentials.push(await accessKeyIdOf(getClient()));
    return { ETag: '"etag"' };
  });
  telemetry = recordingTelemetry();
  handler = createIngestHandler({ telemetry: () => telemetry });
});

afterAll(() => {
  s3.restore();
  cognito.restore();
});

function awsCallCount(): number {
  return s3.calls().length + cognito.calls().length;
}

function jsonOf(response: APIGatewayProxyStructuredResultV2): any {
  expect(response.headers?.['content-type']).toBe('application/json');
  return JSON.parse(response.body ?? '');
}

function expectError(response: APIGatewayProxyStructuredResultV2, status: number, code: string, retryable: boolean): string {
  expect(response.statusCode).toBe(status);
  const body = jsonOf(response);
  expect(body).toEqual({ error: { code, message: expect.any(String), retryable } });
  expect(body.error.message).toMatch(/^[A-Z].*\.$/);
  expect(response.body).not.toMatch(/\n\s+at |\.ts:\d+/); // never a stack trace
  return body.error.message;
}

/** MSA segment fields of an HL7 acknowledgment. */
function msaOf(response: APIGatewayProxyStructuredResultV2): string[] {
  expect(response.headers?.['content-type']).toBe(ACK);
  const segments = (response.body ?? '').split('\r');
  expect(segments[0]).toMatch(/^MSH\|/);
  const msa = segments.find((segment) => segment.startsWith('MSA|'));
  expect(msa).toBeDefined();
  return msa!.split('|');
}

describe('POST /messages: a valid message', () => {
  test('GIVEN a valid ADT^A01 and a write institute WHEN it is posted THEN it is stored once under <institute>/<id> with the caller\'s credentials and 201 answers a receipt', async () => {
    const text = admitMessage();

    const response = await handler(postMessage(text));

    expect(response.statusCode).toBe(201);
    const id = messageIdFor(CONTROL_ID, ADMISSIONS);
    expect(jsonOf(response)).toEqual({
      id,
      controlId: CONTROL_ID,
      sendingApplication: 'ADT1',
      sendingFacility: 'GOOD HEALTH HOSPITAL',
      messageType: 'ADT^A01^ADT_A01',
      version: '2.5.1',
      institute: INSTITUTE,
      status: 'received',
    });
    expect(cognito.commandCalls(GetIdCommand).map((call) => call.args[0].input)).toEqual([
      { IdentityPoolId: IDENTITY_POOL_ID, Logins: { [IDENTITY_PROVIDER_NAME]: ID_TOKEN } },
    ]);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand).map((call) => call.args[0].input)).toEqual([
      { IdentityId: IDENTITY_ID, Logins: { [IDENTITY_PROVIDER_NAME]: ID_TOKEN } },
    ]);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([{
      Bucket: BUCKET_NAME,
      Key: `${INSTITUTE}/${id}`,
      Body: text,
      ContentType: ACK,
      Tagging: 'source=hospital-a&state=received',
      IfNoneMatch: '*',
      Metadata: {
        'message-type': 'ADT^A01^ADT_A01',
        'control-id': CONTROL_ID,
        'hl7-version': '2.5.1',
        'sending-application': 'ADT1',
        'sending-facility': 'GOOD HEALTH HOSPITAL',
      },
    }]);
    expect(putCredentials).toEqual([CALLER_CREDENTIALS.AccessKeyId]);
    expect(putCredentials).not.toContain(FUNCTION_ROLE_ACCESS_KEY_ID);
    expect(telemetry.counted).toEqual(['MessagesAccepted']);
  });

  test('GIVEN a base64-encoded body with MLLP framing and LF separators WHEN posted THEN the normalised text is stored under the same key', async () => {
    const text = admitMessage();
    const framed = `\x0b${text.replace(/\r/g, '\n')}\x1c\r`;

    const response = await handler(postMessage(base64(framed), { isBase64Encoded: true }));

    expect(response.statusCode).toBe(201);
    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(input.Key).toBe(`${INSTITUTE}/${messageIdFor(CONTROL_ID, ADMISSIONS)}`);
    expect(input.Body).toBe(text);
  });

  test('GIVEN an institute "a+b=state" WHEN a message is stored THEN the tagging holds exactly two tags and the institute is one value', async () => {
    const response = await handler(postMessage(admitMessage(), { claims: claimsOf('a+b=state') }));

    expect(response.statusCode).toBe(201);
    const tagging = s3.commandCalls(PutObjectCommand)[0].args[0].input.Tagging!;
    expect(tagging).toBe('source=a%2Bb%3Dstate&state=received');
    expect([...new URLSearchParams(tagging)]).toEqual([['source', 'a+b=state'], ['state', 'received']]);
  });

  test.each(['Hôpital Saint-Louis', '病院'])('GIVEN the institute %j (letters beyond ASCII) WHEN a message is stored THEN its key and source tag name it', async (institute) => {
    const response = await handler(postMessage(admitMessage(), { claims: claimsOf(institute) }));

    expect(response.statusCode).toBe(201);
    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(input.Key).toBe(`${institute}/${messageIdFor(CONTROL_ID, ADMISSIONS)}`);
    expect(new URLSearchParams(input.Tagging!).get('source')).toBe(institute);
  });

  test('GIVEN a control id that looks like a path WHEN stored THEN the key stays inside the caller\'s institute prefix', async () => {
    const controlId = '../../hospital-b/x';

    const response = await handler(postMessage(admitMessage(controlId)));

    expect(response.statusCode).toBe(201);
    const key = s3.commandCalls(PutObjectCommand)[0].args[0].input.Key!;
    expect(key).toBe(`${INSTITUTE}/${Buffer.from(`ADT1|GOOD HEALTH HOSPITAL|${controlId}`).toString('base64url')}`);
    expect(key.split('/')).toHaveLength(2);
    expect(jsonOf(response).controlId).toBe(controlId);
  });

  test('GIVEN a sending facility with non-ASCII letters WHEN stored THEN every metadata value is printable ASCII and decodes back', async () => {
    const response = await handler(postMessage(admitMessage('MSG-Ü1', { sendingFacility: 'Hôpital Saint-Éloi 100%' })));

    expect(response.statusCode).toBe(201);
    const metadata = s3.commandCalls(PutObjectCommand)[0].args[0].input.Metadata!;
    for (const value of Object.values(metadata)) {
      expect(value).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(decodeURIComponent(metadata['sending-facility'])).toBe('Hôpital Saint-Éloi 100%');
    expect(decodeURIComponent(metadata['control-id'])).toBe('MSG-Ü1');
  });

  test('GIVEN the valid HL7 fixtures WHEN each is posted as bytes THEN each is stored (201)', async () => {
    const files = readdirSync(join(FIXTURES, 'valid')).filter((file) => file.endsWith('.hl7'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(join(FIXTURES, 'valid', file));
      const response = await handler(postMessage(bytes.toString('base64'), { isBase64Encoded: true }));
      expect({ file, status: response.statusCode }).toEqual({ file, status: 201 });
    }
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(files.length);
  });

  test('GIVEN the module\'s exported handler WHEN called with the deployed environment THEN it stores the message', async () => {
    const { result } = await captureOutput(() => exportedHandler(postMessage(admitMessage())));

    expect(result.statusCode).toBe(201);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });
});

describe('POST /messages: requests answered without any AWS call', () => {
  test('GIVEN a body over MAX_MESSAGE_BYTES WHEN posted THEN 413 MESSAGE_TOO_LARGE', async () => {
    process.env[HandlerEnvironment.MAX_MESSAGE_BYTES] = '1024';
    handler = createIngestHandler({ telemetry: () => telemetry });

    const response = await handler(postMessage(admitMessage(CONTROL_ID, { note: 'x'.repeat(1024) })));

    expectError(response, 413, 'MESSAGE_TOO_LARGE', false);
    expect(awsCallCount()).toBe(0);
    expect(telemetry.counted).toEqual(['InvalidMessages']);
  });

  test('GIVEN a huge body that is not even valid base64 WHEN posted THEN 413, not 400: the size is checked before decoding', async () => {
    const hugeGarbage = '!'.repeat(2 * 1024 * 1024);

    const response = await handler(postMessage(hugeGarbage, { isBase64Encoded: true }));

    expectError(response, 413, 'MESSAGE_TOO_LARGE', false);
    expect(awsCallCount()).toBe(0);
  });

  test('GIVEN the default limit of 1 MiB WHEN a message of exactly 1 MiB and one of 1 MiB + 1 byte are posted THEN 201 and 413', async () => {
    const base = admitMessage('LIMIT-1', { note: '' });
    const exact = base + 'x'.repeat(1024 * 1024 - Buffer.byteLength(base));
    const over = admitMessage('LIMIT-2', { note: '' }) + 'x'.repeat(1024 * 1024 - Buffer.byteLength(base) + 1);

    expect((await handler(postMessage(exact))).statusCode).toBe(201);
    expectError(await handler(postMessage(over)), 413, 'MESSAGE_TOO_LARGE', false);
    expectError(await handler(postMessage(base64(over), { isBase64Encoded: true })), 413, 'MESSAGE_TOO_LARGE', false);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  test.each([
    ['not HL7 at all', NOT_HL7, 'MISSING_MSH_SEGMENT'],
    ['no control id', messageWithoutControlId(), 'MISSING_CONTROL_ID'],
    ['an empty body', '', 'EMPTY_MESSAGE'],
  ])('GIVEN %s WHEN posted THEN 400 with the parser\'s code and nothing is stored', async (_name, body, code) => {
    const response = await handler(postMessage(body));

    expectError(response, 400, code, false);
    expect(awsCallCount()).toBe(0);
    expect(telemetry.counted).toEqual(['InvalidMessages']);
  });

  test('GIVEN no body at all WHEN posted THEN 400 EMPTY_MESSAGE', async () => {
    expectError(await handler(postMessage(undefined)), 400, 'EMPTY_MESSAGE', false);
    expect(awsCallCount()).toBe(0);
  });

  test('GIVEN invalid base64 WHEN posted THEN 400 INVALID_BODY_ENCODING', async () => {
    expectError(await handler(postMessage('not base64 at all!', { isBase64Encoded: true })), 400, 'INVALID_BODY_ENCODING', false);
    expect(awsCallCount()).toBe(0);
  });

  test('GIVEN the invalid HL7 fixtures WHEN each is posted as bytes THEN each gets 400 with the code its file is named after', async () => {
    const files = readdirSync(join(FIXTURES, 'invalid')).filter((file) => file.endsWith('.hl7'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const expected = file.replace(/(--.*)?\.hl7$/, '');
      const bytes = readFileSync(join(FIXTURES, 'invalid', file));
      const response = await handler(postMessage(bytes.toString('base64'), { isBase64Encoded: true }));
      expect({ file, status: response.statusCode, code: JSON.parse(response.body!).error.code }).toEqual({ file, status: 400, code: expected });
    }
    expect(awsCallCount()).toBe(0);
  });

  test.each([
    ['no write claim', {}],
    ['an empty write claim', { [WRITE_CLAIM]: '' }],
    ['a numeric write claim', { [WRITE_CLAIM]: 42 }],
    ['a boolean write claim', { [WRITE_CLAIM]: true }],
    ['an array write claim', { [WRITE_CLAIM]: ['hospital-a'] }],
    ['an object write claim', { [WRITE_CLAIM]: { name: 'hospital-a' } }],
    ['only a read claim', { 'custom:read': 'hospital-a' }],
  ])('GIVEN %s WHEN a valid message is posted THEN 403 NO_WRITE_INSTITUTE', async (_name, claims) => {
    const response = await handler(postMessage(admitMessage(), { claims: { sub: SUBJECT, token_use: 'id', ...claims } }));

    expectError(response, 403, 'NO_WRITE_INSTITUTE', false);
    expect(awsCallCount()).toBe(0);
    expect(telemetry.counted).toEqual(['AccessDenied']);
  });

  test.each([
    ['St. Mary\'s', 'has "\'" (U+0027) at position 9'],
    ['a*b', 'has "*" (U+002A) at position 2'],
    ['A#1', 'has "#" (U+0023) at position 2'],
    ['A,B', 'has "," (U+002C) at position 2'],
    ['Clinic 🏥', 'has "🏥" (U+1F3E5) at position 8'],
    ['a\u200bb', 'has the invisible format character U+200B at position 2'],
    ['Hospital ', 'ends with a space'],
    ['   ', 'starts with a space'],
    ['x'.repeat(257), 'is 257 characters long'],
    ['hospital-a/ward-1', 'has "/" at position 11'],
  ])('GIVEN a write claim %j, which STS would refuse as a session tag, WHEN a valid message is posted THEN 403 INVALID_INSTITUTE_NAME, not retryable, before any AWS call', async (institute, problem) => {
    const response = await handler(postMessage(admitMessage(), { claims: claimsOf(INSTITUTE, { [WRITE_CLAIM]: institute }) }));

    const message = expectError(response, 403, 'INVALID_INSTITUTE_NAME', false);
    expect(message).toContain(`Your account's write institute ${problem}`);
    expect(s3.calls()).toHaveLength(0);
    expect(cognito.calls()).toHaveLength(0);
    expect(telemetry.counted).toEqual(['AccessDenied']);
  });

  test('GIVEN a valid write institute and a read claim STS would refuse WHEN posted THEN 403 INVALID_INSTITUTE_NAME naming the read institute: the exchange carries both tags', async () => {
    const response = await handler(postMessage(admitMessage(), { claims: claimsOf(INSTITUTE, { [READ_CLAIM]: 'St. Mary\'s' }) }));

    const message = expectError(response, 403, 'INVALID_INSTITUTE_NAME', false);
    expect(message).toMatch(/^Your account's read institute has "'" \(U\+0027\) at position 9, /);
    expect(cognito.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  test('GIVEN a claim STS would refuse WHEN posted with accept ACK THEN 403 with an AR (not AE): an interface engine does not retry it', async () => {
    const response = await handler(postMessage(admitMessage(), {
      claims: claimsOf('St. Mary\'s'),
      headers: headersWith(ID_TOKEN, { accept: ACK }),
    }));

    expect(response.statusCode).toBe(403);
    expect(msaOf(response).slice(0, 3)).toEqual(['MSA', 'AR', CONTROL_ID]);
    expect(awsCallCount()).toBe(0);
  });

  test('GIVEN no authorizer context at all WHEN posted THEN 401 NOT_AN_ID_TOKEN: no verified ID token, no access', async () => {
    const event = postMessage(admitMessage());
    (event.requestContext as any).authorizer = undefined;

    expectError(await handler(event), 401, 'NOT_AN_ID_TOKEN', false);
    expect(awsCallCount()).toBe(0);
  });

  test.each([
    ['no authorization header', {}],
    ['an empty authorization header', { authorization: '' }],
    ['a bare "Bearer"', { authorization: 'Bearer' }],
    ['"Bearer " and spaces', { authorization: 'Bearer    ' }],
    ['two tokens', { authorization: 'Bearer one two' }],
  ])('GIVEN %s WHEN a valid message is posted THEN 401 MISSING_TOKEN', async (_name, headers) => {
    const response = await handler(postMessage(admitMessage(), { headers }));

    expectError(response, 401, 'MISSING_TOKEN', false);
    expect(awsCallCount()).toBe(0);
  });

  test.each([
    ['Bearer ', `Bearer ${ID_TOKEN}`],
    ['lower-case bearer ', `bearer ${ID_TOKEN}`],
    ['upper-case BEARER ', `BEARER  ${ID_TOKEN}`],
    ['no prefix', ID_TOKEN],
  ])('GIVEN a token with %s WHEN posted THEN the bare token is exchanged', async (_name, authorization) => {
    const response = await handler(postMessage(admitMessage(), { headers: { Authorization: authorization } }));

    expect(response.statusCode).toBe(201);
    expect(cognito.commandCalls(GetIdCommand)[0].args[0].input.Logins).toEqual({ [IDENTITY_PROVIDER_NAME]: ID_TOKEN });
  });

  test('GIVEN a control id whose key would exceed S3\'s 1,024 bytes WHEN posted THEN 400 MESSAGE_ID_TOO_LONG', async () => {
    const response = await handler(postMessage(admitMessage('𝔐'.repeat(199))));

    const message = expectError(response, 400, 'MESSAGE_ID_TOO_LONG', false);
    expect(message).toMatch(/MSH-3 .*MSH-4 .*MSH-10 .*1024 bytes\.$/);
    expect(awsCallCount()).toBe(0);
    expect(telemetry.counted).toEqual(['InvalidMessages']);
  });

  test('GIVEN a key of exactly 1,024 bytes and one of 1,025 WHEN posted THEN the first is stored and the second is 400 MESSAGE_ID_TOO_LONG', async () => {
    // The longest institute of three-byte letters: 256 characters, 768 bytes; then "/" and the id.
    const institute = '病'.repeat(256);
    // "ADT1|GOOD HEALTH HOSPITAL|" and the control id: 26 + 165 = 191 bytes, 255 base64url characters.
    const id = messageIdFor('C'.repeat(165), ADMISSIONS);
    expect(Buffer.byteLength(institute) + 1 + id.length).toBe(1024);

    expect((await handler(postMessage(admitMessage('C'.repeat(165)), { claims: claimsOf(institute) }))).statusCode).toBe(201);
    expect(Buffer.byteLength(s3.commandCalls(PutObjectCommand)[0].args[0].input.Key!)).toBe(1024);
    expectError(await handler(postMessage(admitMessage('C'.repeat(166)), { claims: claimsOf(institute) })), 400, 'MESSAGE_ID_TOO_LONG', false);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  test('GIVEN a long sending facility WHEN the key would exceed 1,024 bytes THEN 400 MESSAGE_ID_TOO_LONG with an AR naming the control id', async () => {
    const response = await handler(postMessage(admitMessage(CONTROL_ID, { sendingFacility: 'Hôpital '.repeat(100) }), {
      headers: headersWith(ID_TOKEN, { accept: ACK }),
    }));

    expect(response.statusCode).toBe(400);
    expect(msaOf(response).slice(0, 3)).toEqual(['MSA', 'AR', CONTROL_ID]);
    expect(response.body).toMatch(/\rERR\|\|\|102\^Data type error\^HL70357\|E\|/);
    expect(awsCallCount()).toBe(0);
  });
});

describe('POST /messages: the identity pool fails', () => {
  test('GIVEN a token the identity pool refuses WHEN posted THEN 403 ACCESS_DENIED and S3 is never called', async () => {
    cognito.on(GetIdCommand).rejects(new NotAuthorizedException({ message: 'Token expired', $metadata: { httpStatusCode: 400 } }));

    const response = await handler(postMessage(admitMessage()));

    expectError(response, 403, 'ACCESS_DENIED', false);
    expect(s3.calls()).toHaveLength(0);
    expect(telemetry.counted).toEqual(['AccessDenied']);
  });

  test('GIVEN the identity pool throttles WHEN posted THEN 503 SERVICE_THROTTLED, retryable', async () => {
    cognito.on(GetCredentialsForIdentityCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    expectError(await handler(postMessage(admitMessage())), 503, 'SERVICE_THROTTLED', true);
    expect(s3.calls()).toHaveLength(0);
    expect(telemetry.counted).toEqual(['UpstreamErrors']);
  });

  test('GIVEN the identity pool fails internally WHEN posted THEN 502 UPSTREAM_ERROR, retryable', async () => {
    cognito.on(GetIdCommand).rejects(new InternalErrorException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));

    expectError(await handler(postMessage(admitMessage())), 502, 'UPSTREAM_ERROR', true);
  });

  test('GIVEN the identity pool answers InvalidIdentityPoolConfigurationException (STS refused the role or a tag) WHEN posted THEN 502 IDENTITY_POOL_REFUSED, not retryable, nothing stored', async () => {
    cognito.on(GetCredentialsForIdentityCommand).rejects(new InvalidIdentityPoolConfigurationException({
      message: 'Invalid identity pool configuration. Check assigned IAM roles for this pool.', $metadata: { httpStatusCode: 400 },
    }));

    expectError(await handler(postMessage(admitMessage())), 502, 'IDENTITY_POOL_REFUSED', false);
    const acknowledged = await handler(postMessage(admitMessage(), { headers: headersWith(ID_TOKEN, { accept: ACK }) }));
    expect(acknowledged.statusCode).toBe(502);
    expect(msaOf(acknowledged).slice(0, 3)).toEqual(['MSA', 'AE', CONTROL_ID]);
    expect(s3.calls()).toHaveLength(0);
    expect(telemetry.counted).toEqual(['UpstreamErrors', 'UpstreamErrors']);
  });

  test('GIVEN the network to the identity pool fails WHEN posted THEN 502 UPSTREAM_ERROR', async () => {
    cognito.on(GetIdCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));

    expectError(await handler(postMessage(admitMessage())), 502, 'UPSTREAM_ERROR', true);
  });

  test('GIVEN a failed exchange WHEN the caller sends again THEN the failure was not cached', async () => {
    cognito.on(GetIdCommand)
      .rejectsOnce(new InternalErrorException({ message: 'boom', $metadata: { httpStatusCode: 500 } }))
      .resolves({ IdentityId: IDENTITY_ID });

    expect((await handler(postMessage(admitMessage()))).statusCode).toBe(502);
    expect((await handler(postMessage(admitMessage()))).statusCode).toBe(201);
  });
});

describe('POST /messages: S3 answers', () => {
  test.each([
    { name: 'PreconditionFailed (412): already stored', error: s3Error('PreconditionFailed', 412), status: 409, code: 'DUPLICATE_MESSAGE', retryable: false, metric: 'DuplicateMessages' },
    { name: 'ConditionalRequestConflict (409): a write of the key in flight', error: s3Error('ConditionalRequestConflict', 409), status: 409, code: 'WRITE_CONFLICT', retryable: true, metric: 'WriteConflicts' },
    { name: 'AccessDenied (403)', error: s3Error('AccessDenied', 403), status: 403, code: 'ACCESS_DENIED', retryable: false, metric: 'AccessDenied' },
    { name: 'SlowDown (503)', error: s3Error('SlowDown', 503), status: 503, code: 'SERVICE_THROTTLED', retryable: true, metric: 'UpstreamErrors' },
    { name: 'ServiceUnavailable (503)', error: s3Error('ServiceUnavailable', 503), status: 503, code: 'SERVICE_THROTTLED', retryable: true, metric: 'UpstreamErrors' },
    { name: 'InternalError (500)', error: s3Error('InternalError', 500), status: 502, code: 'UPSTREAM_ERROR', retryable: true, metric: 'UpstreamErrors' },
    { name: 'a network error', error: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), status: 502, code: 'UPSTREAM_ERROR', retryable: true, metric: 'UpstreamErrors' },
    { name: 'InvalidTag (400): S3 refuses the institute as a tag value', error: s3Error('InvalidTag', 400), status: 502, code: 'STORE_REJECTED', retryable: false, metric: 'UpstreamErrors' },
  ])('GIVEN PutObject fails with $name WHEN posted THEN $status $code (retryable: $retryable)', async ({ error, status, code, retryable, metric }) => {
    s3.on(PutObjectCommand).rejects(error);

    expectError(await handler(postMessage(admitMessage())), status, code, retryable);
    expect(telemetry.counted).toEqual([metric]);
  });

  test('GIVEN S3 denies the write WHEN posted THEN the sentence names the institute', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));

    const message = expectError(await handler(postMessage(admitMessage())), 403, 'ACCESS_DENIED', false);

    expect(message).toBe('Your credentials do not allow storing messages for institute hospital-a.');
  });

  test('GIVEN a bug in the store WHEN posted THEN 500 INTERNAL_ERROR with a generic sentence and no details', async () => {
    const broken: MessageStore = {
      store: async () => { throw new TypeError('Cannot read properties of undefined (reading \'secret\')'); },
      fetch: async () => '',
    };
    handler = createIngestHandler({ telemetry: () => telemetry, messageStores: () => ({ forCaller: () => broken }) });

    const response = await handler(postMessage(admitMessage()));

    const message = expectError(response, 500, 'INTERNAL_ERROR', false);
    expect(message).not.toMatch(/secret|TypeError/);
    expect(telemetry.counted).toEqual(['InternalErrors']);
  });

  test('GIVEN a missing BUCKET_NAME WHEN posted THEN 500 INTERNAL_ERROR, and once it is set the same handler works', async () => {
    delete process.env[HandlerEnvironment.BUCKET_NAME];

    expectError(await handler(postMessage(admitMessage())), 500, 'INTERNAL_ERROR', false);
    expect(awsCallCount()).toBe(0);

    process.env[HandlerEnvironment.BUCKET_NAME] = BUCKET_NAME;
    expect((await handler(postMessage(admitMessage()))).statusCode).toBe(201);
  });

  test.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'POST /messages'],
    ['an empty object', {}],
  ])('GIVEN %s as the event WHEN handled THEN a JSON 4xx answer, never a throw', async (_name, event) => {
    const response = await handler(event as any);

    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(jsonOf(response).error.code).toEqual(expect.any(String));
  });

  test('GIVEN metrics that cannot be published WHEN posted THEN the answer is unaffected', async () => {
    telemetry.metrics.publishStoredMetrics = () => { throw new Error('EMF broken'); };
    telemetry.metrics.addMetric = () => { throw new Error('metric broken'); };
    telemetry.logger.info = () => { throw new Error('logger broken'); };

    expect((await handler(postMessage(admitMessage()))).statusCode).toBe(201);
  });
});

describe('POST /messages: HL7 acknowledgments on request', () => {
  const acceptAck = { accept: ACK };

  test('GIVEN accept x-application/hl7-v2+er7 WHEN a message is stored THEN 201 with an AA acknowledgment of its control id', async () => {
    const response = await handler(postMessage(admitMessage(), {
      headers: headersWith(ID_TOKEN, acceptAck),
      requestId: 'JYpy5iEmIAMEVZA=',
    }));

    expect(response.statusCode).toBe(201);
    expect(msaOf(response).slice(0, 3)).toEqual(['MSA', 'AA', CONTROL_ID]);
    const msh = response.body!.split('\r')[0].split('|');
    expect(msh[8]).toBe('ACK^A01^ACK');
    expect(msh[9]).toBe('JYpy5iEmIAMEVZA=');
  });

  test('GIVEN an unusable request id WHEN acknowledged THEN the ACK has its own 20-character control id', async () => {
    const response = await handler(postMessage(admitMessage(), {
      headers: headersWith(ID_TOKEN, acceptAck),
      requestId: 'a request id that is far too long for MSH-10',
    }));

    expect(response.body!.split('\r')[0].split('|')[9]).toMatch(/^[A-Za-z0-9_-]{20}$/);
  });

  test.each([
    { name: 'a message without MSH-12', body: admitMessage().replace('|P|2.5.1', '|P|'), options: {}, status: 400, code: 'AR' },
    { name: 'a message over the limit', body: admitMessage(CONTROL_ID, { note: 'x'.repeat(2 * 1024 * 1024) }), options: {}, status: 413, code: 'AR' },
    { name: 'no write institute', body: admitMessage(), options: { claims: { sub: SUBJECT, token_use: 'id' } }, status: 403, code: 'AR' },
    { name: 'an access token', body: admitMessage(), options: { claims: claimsOf(INSTITUTE, { token_use: 'access' }) }, status: 401, code: 'AR' },
    { name: 'no token', body: admitMessage(), options: { headers: acceptAck }, status: 401, code: 'AR' },
  ])('GIVEN $name WHEN posted with accept ACK THEN $status with an $code naming the original control id', async ({ body, options, status, code }) => {
    const response = await handler(postMessage(body, { headers: headersWith(ID_TOKEN, acceptAck), ...options }));

    expect(response.statusCode).toBe(status);
    expect(msaOf(response).slice(0, 3)).toEqual(['MSA', code, CONTROL_ID]);
    expect(response.body).toMatch(/\rERR\|/);
  });

  test('GIVEN a body that is not HL7 WHEN posted with accept ACK THEN 400 AR with an empty MSA-2', async () => {
    const response = await handler(postMessage(NOT_HL7, { headers: headersWith(ID_TOKEN, acceptAck) }));

    expect(response.statusCode).toBe(400);
    expect(msaOf(response).slice(0, 3)).toEqual(['MSA', 'AR', '']);
  });

  test('GIVEN a resend of a stored message WHEN posted with accept ACK THEN it is answered like the original: 200 with an AA whose text says it was already stored, and counted as a duplicate', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));

    const response = await handler(postMessage(admitMessage(), { headers: headersWith(ID_TOKEN, acceptAck) }));

    expect(response.statusCode).toBe(200);
    const msa = msaOf(response);
    expect(msa.slice(0, 3)).toEqual(['MSA', 'AA', CONTROL_ID]);
    expect(msa[3]).toMatch(/already stored for institute hospital-a/); // MSA-3 (v2.5.1)
    const err = response.body!.split('\r').find((segment) => segment.startsWith('ERR|'))!.split('|');
    expect(err.slice(3, 5)).toEqual(['0^Message accepted^HL70357', 'I']); // information, not an error
    expect(telemetry.counted).toEqual(['DuplicateMessages']);
  });

  test('GIVEN a resend of a stored message WHEN posted for JSON THEN it stays 409 DUPLICATE_MESSAGE', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));

    const message = expectError(await handler(postMessage(admitMessage())), 409, 'DUPLICATE_MESSAGE', false);

    expect(message).toMatch(/same control id, MSH-10, from the same sender, MSH-3 and MSH-4\) is already stored/);
    expect(telemetry.counted).toEqual(['DuplicateMessages']);
  });

  test.each([
    { error: s3Error('SlowDown', 503), status: 503 },
    { error: s3Error('InternalError', 500), status: 502 },
  ])('GIVEN S3 fails with $error.name WHEN posted with accept ACK THEN $status with an AE', async ({ error, status }) => {
    s3.on(PutObjectCommand).rejects(error);

    const response = await handler(postMessage(admitMessage(), { headers: headersWith(ID_TOKEN, acceptAck) }));

    expect(response.statusCode).toBe(status);
    expect(msaOf(response)[1]).toBe('AE');
  });

  test('GIVEN a bug WHEN posted with accept ACK THEN 500 with an AE', async () => {
    handler = createIngestHandler({
      telemetry: () => telemetry,
      messageStores: () => ({ forCaller: () => { throw new Error('bug'); } }),
    });

    const response = await handler(postMessage(admitMessage(), { headers: headersWith(ID_TOKEN, acceptAck) }));

    expect(response.statusCode).toBe(500);
    expect(msaOf(response)[1]).toBe('AE');
  });

  test.each([
    ['application/json', false],
    [`${ACK};q=0`, false],
    ['*/*', false],
    ['application/json, X-Application/HL7-v2+ER7; charset=utf-8', true],
  ])('GIVEN accept %p WHEN posted THEN the answer is an ACK: %p', async (accept, isAck) => {
    const response = await handler(postMessage(admitMessage(), { headers: headersWith(ID_TOKEN, { accept }) }));

    expect(response.headers?.['content-type']).toBe(isAck ? ACK : 'application/json');
  });
});

describe('POST /messages: credential caching', () => {
  test('GIVEN a caller who sent a message WHEN they send another with the same token THEN exactly one AWS call is made: the PutObject', async () => {
    expect((await handler(postMessage(admitMessage('M-1')))).statusCode).toBe(201);
    const coldCalls = awsCallCount();

    expect((await handler(postMessage(admitMessage('M-2')))).statusCode).toBe(201);

    expect(coldCalls).toBe(3);
    expect(awsCallCount() - coldCalls).toBe(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
    expect(putCredentials).toEqual([CALLER_CREDENTIALS.AccessKeyId, CALLER_CREDENTIALS.AccessKeyId]);
  });

  test('GIVEN cached credentials WHEN requests follow THEN the same S3 client is reused', async () => {
    const clients: unknown[] = [];
    s3.on(PutObjectCommand).callsFake((_input, getClient) => { clients.push(getClient()); return {}; });

    await handler(postMessage(admitMessage('M-1')));
    await handler(postMessage(admitMessage('M-2')));

    expect(clients).toHaveLength(2);
    expect(clients[1]).toBe(clients[0]);
  });

  test('GIVEN credentials that expire within 5 minutes WHEN the caller sends again THEN they are renewed (one GetCredentialsForIdentity, no GetId)', async () => {
    cognito.reset();
    let issued = 0;
    identityPoolIssuing(cognito, { lifetimeMs: 4 * 60 * 1000, accessKeyIds: () => `ASIACALLER${++issued}` });

    await handler(postMessage(admitMessage('M-1')));
    await handler(postMessage(admitMessage('M-2')));

    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
    expect(putCredentials).toEqual(['ASIACALLER1', 'ASIACALLER2']);
  });

  test('GIVEN a new token of the same user (e.g. after an attribute change) WHEN sent THEN credentials are exchanged again with one Cognito call', async () => {
    await handler(postMessage(admitMessage('M-1')));
    const before = cognito.calls().length;

    const response = await handler(postMessage(admitMessage('M-2'), { headers: headersWith(OTHER_ID_TOKEN) }));

    expect(response.statusCode).toBe(201);
    expect(cognito.calls().length - before).toBe(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)[1].args[0].input).toEqual({
      IdentityId: IDENTITY_ID,
      Logins: { [IDENTITY_PROVIDER_NAME]: OTHER_ID_TOKEN },
    });
  });

  test('GIVEN a new token of another user WHEN sent THEN both GetId and GetCredentialsForIdentity are called with that token', async () => {
    await handler(postMessage(admitMessage('M-1')));

    await handler(postMessage(admitMessage('M-2'), {
      headers: headersWith(OTHER_ID_TOKEN),
      claims: claimsOf(INSTITUTE, { sub: 'another-user' }),
    }));

    expect(cognito.commandCalls(GetIdCommand).map((call) => call.args[0].input.Logins)).toEqual([
      { [IDENTITY_PROVIDER_NAME]: ID_TOKEN },
      { [IDENTITY_PROVIDER_NAME]: OTHER_ID_TOKEN },
    ]);
  });
});

describe('POST /messages: one control id, several senders of one institute', () => {
  let bucket: ConditionalWriteBucket;

  beforeEach(() => {
    bucket = new ConditionalWriteBucket(0);
    s3.on(PutObjectCommand).callsFake(async (input, getClient) => bucket.putObject(input, await accessKeyIdOf(getClient())));
  });

  test.each([
    ['another sending application (MSH-3)', { sendingApplication: 'LAB' }],
    ['another sending facility (MSH-4)', { sendingFacility: 'EASTBROOK' }],
    ['another universal id in MSH-4.2', { sendingFacility: 'GOOD HEALTH HOSPITAL^2.16.840.1.113883.3.72.9^ISO' }],
    ['MSH-4 with an escaped "&" instead of two sub-components', { sendingFacility: 'GOOD HEALTH\\T\\HOSPITAL' }],
  ])('GIVEN control id 1001 already stored from the admissions system WHEN 1001 comes from %s THEN both are stored (201), under two keys', async (_name, sender) => {
    const admissions = admitMessage('1001', { sendingFacility: 'GOOD HEALTH&HOSPITAL' });
    const other = admitMessage('1001', { sendingFacility: 'GOOD HEALTH&HOSPITAL', ...sender });

    const first = await handler(postMessage(admissions));
    const second = await handler(postMessage(other));

    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(jsonOf(first).id).not.toBe(jsonOf(second).id);
    expect([...bucket.objects.values()].map((object) => object.body)).toEqual([admissions, other]);
    expect([...bucket.objects.keys()].every((key) => key.startsWith(`${INSTITUTE}/`) && key.split('/').length === 2)).toBe(true);
    expect(telemetry.counted).toEqual(['MessagesAccepted', 'MessagesAccepted']);
  });

  test('GIVEN a message stored WHEN the same sender sends the same control id again THEN one object: the second is 409 DUPLICATE_MESSAGE and the first is kept', async () => {
    const original = admitMessage('1001', { note: 'original' });

    const first = await handler(postMessage(original));
    const again = await handler(postMessage(admitMessage('1001', { note: 'resent' })));

    expect(first.statusCode).toBe(201);
    expectError(again, 409, 'DUPLICATE_MESSAGE', false);
    expect([...bucket.objects.values()].map((object) => object.body)).toEqual([original]);
    expect(telemetry.counted).toEqual(['MessagesAccepted', 'DuplicateMessages']);
  });

  test('GIVEN one sender spelling MSH-3 and MSH-4 the same way with other delimiters and a trailing "^" WHEN it resends THEN it is the same sender: a duplicate', async () => {
    const standard = admitMessage('1001', { sendingFacility: 'GOOD HEALTH HOSPITAL^2.16.840.1.113883.3.72.5.1^ISO' });
    const custom = [
      'MSH!@*$%!ADT1@!GOOD HEALTH HOSPITAL@2.16.840.1.113883.3.72.5.1@ISO!LAB!CENTRAL LAB!20240102030405!!ADT@A01@ADT_A01!1001!P!2.5.1',
      'EVN!A01!20240102030405',
    ].join('\r');

    expect((await handler(postMessage(standard))).statusCode).toBe(201);
    expectError(await handler(postMessage(custom)), 409, 'DUPLICATE_MESSAGE', false);
    expect(bucket.objects.size).toBe(1);
  });

  test('GIVEN the sender fixtures (components, escapes, non-ASCII in MSH-3 and MSH-4) WHEN each is posted with one control id THEN each is stored under its own key, and names its sender as sent', async () => {
    const files = readdirSync(join(FIXTURES, 'senders')).filter((file) => file.endsWith('.hl7')).sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const receipts = [];
    for (const file of files) {
      const response = await handler(postMessage(readFileSync(join(FIXTURES, 'senders', file)).toString('base64'), { isBase64Encoded: true }));
      expect({ file, status: response.statusCode }).toEqual({ file, status: 201 });
      receipts.push({ file, ...jsonOf(response) });
    }

    expect(new Set(receipts.map((receipt) => receipt.controlId))).toEqual(new Set(['1001']));
    expect(new Set(receipts.map((receipt) => receipt.id)).size).toBe(files.length);
    expect(bucket.objects.size).toBe(files.length);
    expect(receipts.map(({ file, sendingApplication, sendingFacility }) => ({ file, sendingApplication, sendingFacility }))).toEqual([
      { file: 'lab-components.hl7', sendingApplication: 'LABSYS^2.16.840.1.113883.3.72.9^ISO', sendingFacility: 'RIVERSIDE^2.16.840.1.113883.3.72^ISO' },
      { file: 'lab-escapes.hl7', sendingApplication: 'LAB\\F\\SYS', sendingFacility: 'ST_BRIDE\\T\\ST_JUDE&WARD 4' },
      { file: 'lab-non-ascii.hl7', sendingApplication: 'LABORATOIRE', sendingFacility: 'Hôpital Saint-Éloi^1.2.250.1.71^ISO' },
      { file: 'lab-plain.hl7', sendingApplication: 'LABSYS', sendingFacility: 'RIVERSIDE' },
      { file: 'pharmacy-plain.hl7', sendingApplication: 'PHARMACY', sendingFacility: 'RIVERSIDE' },
    ]);
    for (const object of bucket.objects.values()) {
      expect(Object.values(object.metadata!).every((value) => /^[\x20-\x7e]*$/.test(value))).toBe(true);
    }
  });
});

describe('POST /messages: only ID tokens', () => {
  test.each([
    ['an access token', { token_use: 'access' }],
    ['no token_use claim', { token_use: undefined }],
    ['an upper-case "ID"', { token_use: 'ID' }],
    ['a token_use that is not a string', { token_use: ['id'] }],
  ])('GIVEN %s WHEN a valid message is posted THEN 401 NOT_AN_ID_TOKEN before any AWS call', async (_name, extra) => {
    const claims = Object.fromEntries(Object.entries(claimsOf(INSTITUTE, extra)).filter(([, value]) => value !== undefined));

    const message = expectError(await handler(postMessage(admitMessage(), { claims })), 401, 'NOT_AN_ID_TOKEN', false);

    expect(message).toMatch(/not an ID token/);
    expect(awsCallCount()).toBe(0);
    expect(telemetry.counted).toEqual(['AccessDenied']);
  });
});
