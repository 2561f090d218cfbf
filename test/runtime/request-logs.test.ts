import { CognitoIdentityClient, GetIdCommand, NotAuthorizedException } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { getMessage, headersWith, ID_TOKEN, postMessage } from './support/api-events';
import { identityPoolIssuing, s3Error } from './support/aws-doubles';
import { useHandlerEnvironment } from './support/handler-environment';
import { admitMessage, base64, CONTROL_ID, messageWithoutControlId, NOT_HL7, PATIENT_FAMILY_NAME, PATIENT_GIVEN_NAME } from './support/hl7-messages';
import { captureOutput } from './support/telemetry';
import { createIngestHandler } from '../../src/runtime/ingest.lambda';
import { messageIdFor } from '../../src/runtime/message-key';
import { createReadHandler } from '../../src/runtime/read.lambda';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);
/** Parts of the token that identify it; none may be logged. */
const TOKEN_SIGNATURE = ID_TOKEN.split('.')[2];

useHandlerEnvironment({ POWERTOOLS_SERVICE_NAME: 'ingest-under-test', POWERTOOLS_METRICS_NAMESPACE: 'LogTest' });

beforeEach(() => {
  s3.reset();
  cognito.reset();
  identityPoolIssuing(cognito);
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => admitMessage() } } as any);
});

afterAll(() => {
  s3.restore();
  cognito.restore();
});

function logLines(output: string): Record<string, unknown>[] {
  return output.split('\n').filter((line) => line.trim().length > 0).map((line) => JSON.parse(line));
}

function expectNoHealthDataOrToken(output: string): void {
  expect(output).not.toContain(PATIENT_FAMILY_NAME);
  expect(output).not.toContain(PATIENT_GIVEN_NAME);
  expect(output).not.toContain(TOKEN_SIGNATURE);
  expect(output).not.toContain(ID_TOKEN);
  expect(output).not.toContain('PID|');
  expect(output).not.toContain(CONTROL_ID); // the control id's length is logged, not the id
}

describe('request logs and metrics', () => {
  test('GIVEN a stored message WHEN the request is logged THEN one structured line with outcome, code, institute, message type and control id length, and an EMF metric MessagesAccepted', async () => {
    const handler = createIngestHandler();

    const { result, output } = await captureOutput(() => handler(postMessage(admitMessage())));

    expect(result.statusCode).toBe(201);
    expectNoHealthDataOrToken(output);
    const lines = logLines(output);
    const requestLines = lines.filter((line) => line.message === 'Request handled');
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: 'INFO',
      service: 'ingest-under-test',
      outcome: 'success',
      statusCode: 201,
      institute: 'hospital-a',
      messageType: 'ADT^A01^ADT_A01',
      controlIdLength: CONTROL_ID.length,
    });
    const emf = lines.find((line) => line._aws !== undefined) as any;
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'LogTest', Metrics: [{ Name: 'MessagesAccepted', Unit: 'Count' }] });
    expect(emf.MessagesAccepted).toBe(1);
  });

  test('GIVEN no POWERTOOLS_METRICS_NAMESPACE WHEN a metric is published THEN it goes to the HealthDataLake namespace', async () => {
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    const handler = createIngestHandler();

    const { output } = await captureOutput(() => handler(postMessage(admitMessage())));

    const emf = logLines(output).find((line) => line._aws !== undefined) as any;
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('HealthDataLake');
  });

  const cases: { name: string; event: () => APIGatewayProxyEventV2WithJWTAuthorizer; arrange?: () => void; status: number }[] = [
    { name: 'a stored message', event: () => postMessage(admitMessage()), status: 201 },
    { name: 'a stored message sent base64-encoded with an ACK', event: () => postMessage(base64(admitMessage()), { isBase64Encoded: true, headers: headersWith(ID_TOKEN, { accept: 'x-application/hl7-v2+er7' }) }), status: 201 },
    { name: 'a message without control id', event: () => postMessage(messageWithoutControlId()), status: 400 },
    { name: 'a body that is not HL7', event: () => postMessage(NOT_HL7), status: 400 },
    { name: 'a message over the limit', event: () => postMessage(admitMessage(CONTROL_ID, { note: 'x'.repeat(1024 * 1024) }), { headers: headersWith(ID_TOKEN, { accept: 'x-application/hl7-v2+er7' }) }), status: 413 },
    { name: 'a duplicate', event: () => postMessage(admitMessage()), arrange: () => s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412)), status: 409 },
    { name: 'an S3 outage', event: () => postMessage(admitMessage()), arrange: () => s3.on(PutObjectCommand).rejects(s3Error('InternalError', 500)), status: 502 },
    {
      name: 'a refused token',
      event: () => postMessage(admitMessage()),
      arrange: () => cognito.on(GetIdCommand).rejects(new NotAuthorizedException({ message: `Invalid login token ${ID_TOKEN}`, $metadata: { httpStatusCode: 400 } })),
      status: 403,
    },
    {
      name: 'a bug whose error message quotes the body',
      event: () => postMessage(admitMessage()),
      arrange: () => s3.on(PutObjectCommand).callsFake(() => { throw new TypeError(`cannot store ${admitMessage()} with ${ID_TOKEN}`); }),
      status: 502,
    },
  ];

  test.each(cases)('GIVEN $name WHEN handled THEN no log line holds the body, a patient name, the control id or the token', async ({ event, arrange, status }) => {
    arrange?.();
    const handler = createIngestHandler();

    const { result, output } = await captureOutput(() => handler(event()));

    expect(result.statusCode).toBe(status);
    expect(logLines(output).filter((line) => typeof line.message === 'string' && String(line.message).startsWith('Request'))).toHaveLength(1);
    expectNoHealthDataOrToken(output);
  });

  test('GIVEN an unexpected error carrying health data WHEN logged THEN only its name and stack frames are, not its message', async () => {
    const handler = createIngestHandler({
      messageStores: () => ({ forCaller: () => { throw new Error(`patient ${PATIENT_FAMILY_NAME} ${ID_TOKEN}`); } }),
    });

    const { result, output } = await captureOutput(() => handler(postMessage(admitMessage())));

    expect(result.statusCode).toBe(500);
    expectNoHealthDataOrToken(output);
    const line = logLines(output).find((entry) => entry.message === 'Request failed unexpectedly') as any;
    expect(line).toMatchObject({ level: 'ERROR', code: 'INTERNAL_ERROR', unexpected: { name: 'Error' } });
    expect(line.unexpected.stack).toMatch(/^at /);
  });

  test('GIVEN a message read back WHEN the request is logged THEN the message text is not', async () => {
    const handler = createReadHandler();

    const { result, output } = await captureOutput(() => handler(getMessage(messageIdFor(CONTROL_ID))));

    expect(result.statusCode).toBe(200);
    expect(result.body).toContain(PATIENT_FAMILY_NAME);
    expectNoHealthDataOrToken(output);
    expect(logLines(output).find((line) => line.message === 'Request handled')).toMatchObject({ statusCode: 200, institute: 'hospital-a' });
  });
});
