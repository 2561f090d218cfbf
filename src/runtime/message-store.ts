/**
 * The data bucket, seen with one caller's credentials: store a message once (an atomic
 * conditional write), read a message back. What the caller may do is decided by IAM on the
 * caller's principal tags and the objects' `source` tag, never here.
 */
import { Agent } from 'node:https';
import { GetObjectCommand, PutObjectCommand, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import type { CallerCredentials } from './credentials';
import { RECEIVED_STATE, SOURCE_TAG, STATE_TAG } from './handler-environment';
import { messageKey } from './message-key';
import { HL7_ER7_CONTENT_TYPE } from './responses';
import { describeUpstreamError, UpstreamErrorDescription } from './upstream-errors';

/** A validated message, ready to be stored for an institute. */
export interface MessageToStore {
  /** The caller's write institute: the key prefix and the `source` tag. */
  readonly institute: string;
  /** See `messageIdOf`: names the sender (MSH-3, MSH-4) and the control id (MSH-10). */
  readonly messageId: string;
  /** The normalised message text. */
  readonly text: string;
  /** MSH-9 as sent, e.g. `ADT^A01`. */
  readonly messageType: string;
  /** MSH-10, unescaped. */
  readonly controlId: string;
  /** MSH-12. */
  readonly version: string;
  /** MSH-3.1, if any. */
  readonly sendingApplication?: string;
  /** MSH-4.1, if any. */
  readonly sendingFacility?: string;
}

/** Why the bucket did not do what was asked. */
export type MessageStoreFailureReason =
  /** A message with this key is already stored (the conditional write failed). */
  | 'ALREADY_STORED'
  /** Another write of the same key is in flight. */
  | 'WRITE_CONFLICT'
  /** IAM refused the caller's credentials. */
  | 'ACCESS_DENIED'
  /** No such message. */
  | 'NOT_FOUND'
  /** S3 asked to slow down. */
  | 'THROTTLED'
  /** S3 refused the request as malformed (e.g. a tag value it does not allow): sending it again will not help. */
  | 'REJECTED'
  /** Any other failure of S3 or of the network. */
  | 'UNAVAILABLE';

/** A bucket operation failed. */
export class MessageStoreError extends Error {
  constructor(readonly reason: MessageStoreFailureReason, readonly upstream: UpstreamErrorDescription) {
    super(`The data bucket refused the request (${upstream.name}).`);
    this.name = 'MessageStoreError';
  }
}

/** The data bucket, for one caller. */
export interface MessageStore {
  /**
   * Stores a message unless one with the same key exists.
   * @throws MessageStoreError
   */
  store(message: MessageToStore): Promise<void>;
  /**
   * The text of a stored message.
   * @throws MessageStoreError
   */
  fetch(institute: string, messageId: string): Promise<string>;
}

/** Gives each caller a view of the bucket with their own credentials. */
export interface CallerMessageStores {
  forCaller(credentials: CallerCredentials): MessageStore;
}

/** User metadata keys of a stored message (S3 prefixes them with `x-amz-meta-`). */
export const MESSAGE_METADATA = {
  MESSAGE_TYPE: 'message-type',
  CONTROL_ID: 'control-id',
  HL7_VERSION: 'hl7-version',
  SENDING_APPLICATION: 'sending-application',
  SENDING_FACILITY: 'sending-facility',
} as const;

/** Longest user metadata value written, in characters (S3 allows 2 KB of metadata in all). */
export const MAX_METADATA_VALUE_LENGTH = 256;

/**
 * The `x-amz-tagging` value of a new message: `source=<institute>&state=received`, built with
 * `URLSearchParams` so that `&` or `=` in an institute cannot add or change a tag.
 */
export function messageTagging(institute: string): string {
  return new URLSearchParams({ [SOURCE_TAG]: institute, [STATE_TAG]: RECEIVED_STATE }).toString();
}

const PRINTABLE_ASCII_WITHOUT_PERCENT = /^[\x20-\x24\x26-\x7e]*$/;
/** A surrogate on its own (iterating a string yields surrogate pairs together). */
const LONE_SURROGATE = /^[\uD800-\uDFFF]$/;

/**
 * A user metadata value: S3 sends metadata as HTTP headers, so only printable ASCII is kept as is;
 * a value with anything else (or with `%`) is percent-encoded with `encodeURIComponent`, so that
 * `decodeURIComponent` always restores the original. Values are cut to
 * {@link MAX_METADATA_VALUE_LENGTH} characters, at a character boundary.
 */
export function metadataValue(value: string): string {
  if (PRINTABLE_ASCII_WITHOUT_PERCENT.test(value)) {
    return value.length <= MAX_METADATA_VALUE_LENGTH ? value : value.slice(0, MAX_METADATA_VALUE_LENGTH);
  }
  let encoded = '';
  for (const character of value) {
    const next = encodeURIComponent(LONE_SURROGATE.test(character) ? '\uFFFD' : character);
    if (encoded.length + next.length > MAX_METADATA_VALUE_LENGTH) {
      break;
    }
    encoded += next;
  }
  return encoded;
}

/** The user metadata of a stored message: what it is, without health data. */
export function messageMetadata(message: MessageToStore): Record<string, string> {
  const metadata: Record<string, string> = {
    [MESSAGE_METADATA.MESSAGE_TYPE]: metadataValue(message.messageType),
    [MESSAGE_METADATA.CONTROL_ID]: metadataValue(message.controlId),
    [MESSAGE_METADATA.HL7_VERSION]: metadataValue(message.version),
  };
  if (message.sendingApplication) {
    metadata[MESSAGE_METADATA.SENDING_APPLICATION] = metadataValue(message.sendingApplication);
  }
  if (message.sendingFacility) {
    metadata[MESSAGE_METADATA.SENDING_FACILITY] = metadataValue(message.sendingFacility);
  }
  return metadata;
}

/** The `PutObject` request that stores a message once (`If-None-Match: *`), tagged with its institute. */
export function storeMessageRequest(bucketName: string, message: MessageToStore): PutObjectCommandInput {
  return {
    Bucket: bucketName,
    Key: messageKey(message.institute, message.messageId),
    Body: message.text,
    ContentType: HL7_ER7_CONTENT_TYPE,
    Tagging: messageTagging(message.institute),
    IfNoneMatch: '*',
    Metadata: messageMetadata(message),
  };
}

function storeFailure(error: unknown): MessageStoreError {
  const upstream = describeUpstreamError(error);
  if (upstream.name === 'PreconditionFailed' || upstream.httpStatus === 412) {
    return new MessageStoreError('ALREADY_STORED', upstream);
  }
  if (upstream.name === 'ConditionalRequestConflict' || upstream.httpStatus === 409) {
    return new MessageStoreError('WRITE_CONFLICT', upstream);
  }
  return commonFailure(upstream);
}

function fetchFailure(error: unknown): MessageStoreError {
  const upstream = describeUpstreamError(error);
  if (upstream.name === 'NoSuchKey' || upstream.name === 'NotFound' || upstream.httpStatus === 404) {
    return new MessageStoreError('NOT_FOUND', upstream);
  }
  return commonFailure(upstream);
}

/** S3 answers 400 to these, yet the same request may succeed later. */
const TRANSIENT_BAD_REQUESTS = new Set(['RequestTimeout', 'ExpiredToken', 'TokenRefreshRequired']);

function commonFailure(upstream: UpstreamErrorDescription): MessageStoreError {
  if (upstream.name === 'AccessDenied' || upstream.httpStatus === 403) {
    return new MessageStoreError('ACCESS_DENIED', upstream);
  }
  if (upstream.throttled) {
    return new MessageStoreError('THROTTLED', upstream);
  }
  if (upstream.httpStatus === 400 && !TRANSIENT_BAD_REQUESTS.has(upstream.name)) {
    return new MessageStoreError('REJECTED', upstream); // InvalidTag, KeyTooLongError, MetadataTooLarge, ...
  }
  return new MessageStoreError('UNAVAILABLE', upstream);
}

/** The data bucket through one S3 client (built with one caller's credentials). */
export class S3MessageStore implements MessageStore {
  constructor(private readonly client: S3Client, private readonly bucketName: string) {}

  async store(message: MessageToStore): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand(storeMessageRequest(this.bucketName, message)));
    } catch (error) {
      throw storeFailure(error);
    }
  }

  async fetch(institute: string, messageId: string): Promise<string> {
    try {
      const answer = await this.client.send(new GetObjectCommand({
        Bucket: this.bucketName,
        Key: messageKey(institute, messageId),
      }));
      const body: { transformToString?: (encoding?: string) => Promise<string> } | undefined = answer.Body;
      return typeof body?.transformToString === 'function' ? await body.transformToString('utf-8') : '';
    } catch (error) {
      throw fetchFailure(error);
    }
  }
}

/** Where the bucket is and, for tests, how to build a caller's S3 client. */
export interface S3CallerMessageStoresOptions {
  readonly bucketName: string;
  readonly region: string;
  /** Builds the S3 client of a caller. @default a client with the caller's credentials and a shared keep-alive connection pool */
  readonly clientFor?: (credentials: CallerCredentials, region: string) => S3Client;
}

let sharedAgent: Agent | undefined;

/** An S3 client that signs with the caller's credentials (never the function's role). */
export function callerS3Client(credentials: CallerCredentials, region: string): S3Client {
  sharedAgent ??= new Agent({ keepAlive: true });
  return new S3Client({
    region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      ...(credentials.expiration ? { expiration: credentials.expiration } : {}),
    },
    // Callers change; connections need not: every caller's client shares one pool of sockets.
    requestHandler: { httpsAgent: sharedAgent },
  });
}

/**
 * One store per caller credentials, kept as long as the credentials are (a `WeakMap`): cached
 * credentials come with a ready S3 client, renewed credentials get a new one.
 */
export class S3CallerMessageStores implements CallerMessageStores {
  private readonly stores = new WeakMap<CallerCredentials, MessageStore>();
  private readonly clientFor: (credentials: CallerCredentials, region: string) => S3Client;

  constructor(private readonly options: S3CallerMessageStoresOptions) {
    this.clientFor = options.clientFor ?? callerS3Client;
  }

  forCaller(credentials: CallerCredentials): MessageStore {
    let store = this.stores.get(credentials);
    if (!store) {
      store = new S3MessageStore(this.clientFor(credentials, this.options.region), this.options.bucketName);
      this.stores.set(credentials, store);
    }
    return store;
  }
}
