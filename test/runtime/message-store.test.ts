import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { accessKeyIdOf, s3Error } from './support/aws-doubles';
import type { CallerCredentials } from '../../src/runtime/credentials';
import {
  callerS3Client,
  MAX_METADATA_VALUE_LENGTH,
  MessageStoreError,
  messageTagging,
  metadataValue,
  S3CallerMessageStores,
  S3MessageStore,
  storeMessageRequest,
} from '../../src/runtime/message-store';

const s3 = mockClient(S3Client);
const credentials = (accessKeyId: string): CallerCredentials => ({
  accessKeyId,
  secretAccessKey: 'secret',
  sessionToken: 'session',
  expiration: new Date(Date.now() + 3_600_000),
  identityId: 'eu-west-1:id',
});
const MESSAGE = {
  institute: 'hospital-a',
  messageId: 'TVNHMDAwMDE',
  text: 'MSH|^~\\&|...',
  messageType: 'ADT^A01',
  controlId: 'MSG00001',
  version: '2.5.1',
};

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

describe('the message store', () => {
  test.each([
    ['hospital-a', 'source=hospital-a&state=received'],
    ['a&source=b', 'source=a%26source%3Db&state=received'],
    ['a=b&state=deleted', 'source=a%3Db%26state%3Ddeleted&state=received'],
    ['Hôpital Nord', 'source=H%C3%B4pital+Nord&state=received'],
  ])('GIVEN institute %p WHEN tagged THEN the tagging is %p: exactly two tags', (institute, tagging) => {
    expect(messageTagging(institute)).toBe(tagging);
    expect([...new URLSearchParams(tagging)]).toEqual([['source', institute], ['state', 'received']]);
  });

  test.each([
    ['ADT^A01', 'ADT^A01'],
    ['100%', '100%25'],
    ['Hôpital', 'H%C3%B4pital'],
    ['tab\there', 'tab%09here'],
    ['\uD800lone', '%EF%BF%BDlone'],
  ])('GIVEN metadata %p WHEN written THEN %p, which decodes back (or to U+FFFD)', (value, written) => {
    expect(metadataValue(value)).toBe(written);
  });

  test('GIVEN long metadata WHEN written THEN it is cut to the bound at a character boundary', () => {
    expect(metadataValue('x'.repeat(1000))).toHaveLength(MAX_METADATA_VALUE_LENGTH);
    const cut = metadataValue('é'.repeat(1000));
    expect(cut.length).toBeLessThanOrEqual(MAX_METADATA_VALUE_LENGTH);
    expect(decodeURIComponent(cut)).toMatch(/^é+$/);
  });

  test('GIVEN a message WHEN its PutObject request is built THEN it is conditional, typed, tagged and described', () => {
    expect(storeMessageRequest('bucket', { ...MESSAGE, sendingFacility: 'NORTHGATE' })).toEqual({
      Bucket: 'bucket',
      Key: 'hospital-a/TVNHMDAwMDE',
      Body: MESSAGE.text,
      ContentType: 'x-application/hl7-v2+er7',
      Tagging: 'source=hospital-a&state=received',
      IfNoneMatch: '*',
      Metadata: { 'message-type': 'ADT^A01', 'control-id': 'MSG00001', 'hl7-version': '2.5.1', 'sending-facility': 'NORTHGATE' },
    });
    expect(storeMessageRequest('bucket', MESSAGE).Metadata).not.toHaveProperty('sending-facility');
  });

  test.each([
    ['PreconditionFailed', 412, 'ALREADY_STORED'],
    ['ConditionalRequestConflict', 409, 'WRITE_CONFLICT'],
    ['AccessDenied', 403, 'ACCESS_DENIED'],
    ['SlowDown', 503, 'THROTTLED'],
    ['InternalError', 500, 'UNAVAILABLE'],
    ['NoSuchBucket', 404, 'UNAVAILABLE'],
    ['InvalidTag', 400, 'REJECTED'],
    ['KeyTooLongError', 400, 'REJECTED'],
    ['RequestTimeout', 400, 'UNAVAILABLE'],
  ])('GIVEN PutObject fails with %s (%i) WHEN storing THEN %s', async (name, status, reason) => {
    s3.on(PutObjectCommand).rejects(s3Error(name, status));

    const failure = await new S3MessageStore(new S3Client({}), 'bucket').store(MESSAGE).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MessageStoreError);
    expect(failure).toMatchObject({ reason, upstream: { name, httpStatus: status } });
  });

  test.each([
    ['NoSuchKey', 404, 'NOT_FOUND'],
    ['AccessDenied', 403, 'ACCESS_DENIED'],
    ['SlowDown', 503, 'THROTTLED'],
    ['InternalError', 500, 'UNAVAILABLE'],
  ])('GIVEN GetObject fails with %s (%i) WHEN fetching THEN %s', async (name, status, reason) => {
    s3.on(GetObjectCommand).rejects(s3Error(name, status));

    await expect(new S3MessageStore(new S3Client({}), 'bucket').fetch('hospital-a', 'TVNH')).rejects.toMatchObject({ reason });
  });

  test('GIVEN a stored message WHEN fetched THEN its text comes back from <institute>/<id>', async () => {
    s3.on(GetObjectCommand, { Bucket: 'bucket', Key: 'hospital-a/TVNH' }).resolves({ Body: { transformToString: async () => 'MSH|x' } } as any);

    expect(await new S3MessageStore(new S3Client({}), 'bucket').fetch('hospital-a', 'TVNH')).toBe('MSH|x');
  });

  test('GIVEN caller credentials WHEN a client is built THEN it signs with them in the given region', async () => {
    const client = callerS3Client(credentials('ASIACALLER'), 'eu-central-1');

    expect(await accessKeyIdOf(client)).toBe('ASIACALLER');
    expect(await client.config.region()).toBe('eu-central-1');
  });

  test('GIVEN the same credentials object WHEN asked twice THEN one store (and client); renewed credentials get a new one', () => {
    const clientFor = jest.fn(callerS3Client);
    const stores = new S3CallerMessageStores({ bucketName: 'bucket', region: 'eu-west-1', clientFor });
    const first = credentials('ASIA1');

    expect(stores.forCaller(first)).toBe(stores.forCaller(first));
    expect(stores.forCaller(credentials('ASIA2'))).not.toBe(stores.forCaller(first));
    expect(clientFor).toHaveBeenCalledTimes(2);
    expect(clientFor.mock.calls.map(([used]) => used.accessKeyId)).toEqual(['ASIA1', 'ASIA2']);
  });
});
