/**
 * Test doubles of the AWS services the handlers call: the Cognito identity pool (through
 * aws-sdk-client-mock) and an in-memory S3 bucket with real conditional-write semantics.
 */
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  NotAuthorizedException,
} from '@aws-sdk/client-cognito-identity';
import { PutObjectCommandInput, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';

export const IDENTITY_ID = 'eu-west-1:aaaaaaaa-bbbb-cccc-dddd-000000000001';

/** The credentials the identity pool issues to the caller (never the function role's). */
export const CALLER_CREDENTIALS = {
  AccessKeyId: 'ASIACALLER0000000001',
  SecretKey: 'caller-secret-key',
  SessionToken: 'caller-session-token',
};

/**
 * An identity pool that gives credentials valid for `lifetimeMs` (from `now`) to every token in
 * `acceptedTokens` (all when omitted). The list is read at each call: emptying it makes the pool
 * refuse the tokens from then on, as after a global sign-out.
 */
export function identityPoolIssuing(
  cognito: AwsStub<any, any, any>,
  options: {
    lifetimeMs?: number;
    acceptedTokens?: readonly string[];
    accessKeyIds?: () => string;
    now?: () => number;
    /** An error GetCredentialsForIdentity throws instead of answering, asked at each call (none when it gives `undefined`). */
    failure?: () => Error | undefined;
  } = {},
): void {
  const accepts = (input: { Logins?: Record<string, string> }) => {
    const tokens = Object.values(input.Logins ?? {});
    return options.acceptedTokens === undefined || tokens.every((token) => options.acceptedTokens!.includes(token));
  };
  const notAuthorized = () => new NotAuthorizedException({ message: 'Invalid login token.', $metadata: { httpStatusCode: 400 } });
  cognito.on(GetIdCommand).callsFake(async (input) => {
    if (!accepts(input)) throw notAuthorized();
    return { IdentityId: IDENTITY_ID };
  });
  cognito.on(GetCredentialsForIdentityCommand).callsFake(async (input) => {
    const failure = options.failure?.();
    if (failure) throw failure;
    if (!accepts(input)) throw notAuthorized();
    return {
      IdentityId: input.IdentityId,
      Credentials: {
        ...CALLER_CREDENTIALS,
        ...(options.accessKeyIds ? { AccessKeyId: options.accessKeyIds() } : {}),
        Expiration: new Date((options.now ?? Date.now)() + (options.lifetimeMs ?? 60 * 60 * 1000)),
      },
    };
  });
}

/** An S3 service error as the SDK throws it. */
export function s3Error(name: string, httpStatusCode: number, fault: 'client' | 'server' = httpStatusCode >= 500 ? 'server' : 'client'): S3ServiceException {
  return new S3ServiceException({ name, $fault: fault, message: `${name} (test double)`, $metadata: { httpStatusCode } });
}

/** The access key id an S3 client signs with (its resolved credentials). */
export async function accessKeyIdOf(client: unknown): Promise<string> {
  const credentials = await (client as S3Client).config.credentials();
  return credentials.accessKeyId;
}

/** One object of the in-memory bucket. */
export interface StoredObject {
  readonly body: string;
  readonly tagging?: string;
  readonly metadata?: Record<string, string>;
  readonly contentType?: string;
  /** Access key id of the credentials that wrote it. */
  readonly writtenWith: string;
}

function randomDelay(maxMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * (maxMs + 1))));
}

/**
 * An S3 bucket in memory with S3's conditional-write semantics: `If-None-Match: *` fails with
 * `PreconditionFailed` (412) when the key exists, and the check and the write happen atomically
 * (no await between them), after a random delay that shuffles concurrent requests.
 */
export class ConditionalWriteBucket {
  readonly objects = new Map<string, StoredObject>();
  /** Keys and bodies in the order the writes reached the atomic check. */
  readonly arrivals: { key: string; body: string; stored: boolean }[] = [];

  constructor(private readonly maxDelayMs = 5) {}

  async putObject(input: PutObjectCommandInput, writtenWith: string): Promise<{ ETag: string }> {
    await randomDelay(this.maxDelayMs);
    const key = String(input.Key);
    const body = typeof input.Body === 'string' ? input.Body : Buffer.from(input.Body as Uint8Array).toString('utf8');
    // Atomic check-and-set: nothing between the check and the write yields to other requests.
    const exists = this.objects.has(key);
    const stored = !(exists && input.IfNoneMatch === '*');
    this.arrivals.push({ key, body, stored });
    if (!stored) {
      await randomDelay(this.maxDelayMs);
      throw s3Error('PreconditionFailed', 412);
    }
    this.objects.set(key, {
      body,
      tagging: input.Tagging,
      metadata: input.Metadata,
      contentType: input.ContentType,
      writtenWith,
    });
    await randomDelay(this.maxDelayMs);
    return { ETag: `"${this.objects.size}"` };
  }

  async getObject(key: string): Promise<{ Body: { transformToString: () => Promise<string> } }> {
    await randomDelay(this.maxDelayMs);
    const object = this.objects.get(key);
    if (!object) {
      throw s3Error('NoSuchKey', 404);
    }
    return { Body: { transformToString: async () => object.body } };
  }
}

export { CognitoIdentityClient, S3Client };
