import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { INSTITUTE, postMessage } from './support/api-events';
import { accessKeyIdOf, CALLER_CREDENTIALS, ConditionalWriteBucket, identityPoolIssuing } from './support/aws-doubles';
import { useHandlerEnvironment } from './support/handler-environment';
import { ADMISSIONS, admitMessage, CONTROL_ID } from './support/hl7-messages';
import { recordingTelemetry } from './support/telemetry';
import { createIngestHandler } from '../../src/runtime/ingest.lambda';
import { messageIdFor } from '../../src/runtime/message-key';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);

useHandlerEnvironment();

afterAll(() => {
  s3.restore();
  cognito.restore();
});

describe('POST /messages: concurrent duplicates (security invariant 6)', () => {
  test('GIVEN 50 simultaneous sends of one message WHEN they race THEN exactly one is stored (201), 49 get 409 DUPLICATE_MESSAGE, and the stored object is the first write', async () => {
    s3.reset();
    cognito.reset();
    identityPoolIssuing(cognito);
    const bucket = new ConditionalWriteBucket(5);
    s3.on(PutObjectCommand).callsFake(async (input, getClient) => bucket.putObject(input, await accessKeyIdOf(getClient())));
    const telemetry = recordingTelemetry();
    const handler = createIngestHandler({ telemetry: () => telemetry });
    // One sender and one control id, so one key; each copy differs in a note, to tell which write was kept.
    const copies = Array.from({ length: 50 }, (_, n) => admitMessage(CONTROL_ID, { note: `copy ${n}` }));

    const responses = await Promise.all(copies.map((text) => handler(postMessage(text))));

    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      expect(JSON.parse(response.body!).error).toMatchObject({ code: 'DUPLICATE_MESSAGE', retryable: false });
    }
    const key = `${INSTITUTE}/${messageIdFor(CONTROL_ID, ADMISSIONS)}`;
    expect([...bucket.objects.keys()]).toEqual([key]);
    expect(bucket.arrivals).toHaveLength(50);
    const first = bucket.arrivals[0];
    expect(first.stored).toBe(true);
    expect(bucket.arrivals.slice(1).every((arrival) => !arrival.stored)).toBe(true);
    const stored = bucket.objects.get(key)!;
    expect(stored.body).toBe(first.body);
    expect(stored.body).toBe(copies[statuses.indexOf(201)]);
    expect(stored.tagging).toBe('source=hospital-a&state=received');
    expect(stored.writtenWith).toBe(CALLER_CREDENTIALS.AccessKeyId);
    expect(telemetry.counted.filter((name) => name === 'DuplicateMessages')).toHaveLength(49);
    // Concurrent requests of one caller share one credential exchange.
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(1);
  });

  test('GIVEN 50 simultaneous sends of one control id, half from the admissions system and half from the laboratory WHEN they race THEN exactly one message per sender is stored and 48 get 409 DUPLICATE_MESSAGE', async () => {
    s3.reset();
    cognito.reset();
    identityPoolIssuing(cognito);
    const bucket = new ConditionalWriteBucket(5);
    s3.on(PutObjectCommand).callsFake(async (input, getClient) => bucket.putObject(input, await accessKeyIdOf(getClient())));
    const handler = createIngestHandler({ telemetry: recordingTelemetry });
    const copies = Array.from({ length: 50 }, (_, n) => admitMessage(CONTROL_ID, {
      note: `copy ${n}`,
      ...(n % 2 === 0 ? {} : { sendingApplication: 'LAB' }),
    }));

    const responses = await Promise.all(copies.map((text) => handler(postMessage(text))));

    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(2);
    expect(statuses.filter((status) => status === 409)).toHaveLength(48);
    const stored = responses.flatMap((response, n) => response.statusCode === 201 ? [n % 2] : []);
    expect(stored.sort()).toEqual([0, 1]);
    expect([...bucket.objects.keys()].sort()).toEqual([
      `${INSTITUTE}/${messageIdFor(CONTROL_ID, ADMISSIONS)}`,
      `${INSTITUTE}/${messageIdFor(CONTROL_ID, { ...ADMISSIONS, application: 'LAB' })}`,
    ].sort());
  });
});
