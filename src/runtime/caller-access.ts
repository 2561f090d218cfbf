/**
 * What both handlers share to act for a caller: the credential exchange and the caller's view of
 * the bucket, built once per function instance at the first request, and the answers to their
 * failures.
 */
import { randomBytes } from 'node:crypto';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { CallerCredentialSource, CredentialExchange, CredentialExchangeError } from './credentials';
import type { CallerAccessSettings } from './handler-settings';
import { CallerMessageStores, S3CallerMessageStores } from './message-store';
import { ApiRequest, instituteClaim } from './request';
import { failure, RequestFailure } from './responses';

/** How a handler reaches AWS on behalf of its callers. */
export interface CallerAccess {
  readonly credentials: CallerCredentialSource;
  readonly messageStores: CallerMessageStores;
}

/** How to build a handler's access to AWS from its settings (tests replace parts of it). */
export interface CallerAccessFactories {
  /** @default a `CredentialExchange` with a Cognito client in the identity pool's region */
  readonly credentials?: (settings: CallerAccessSettings) => CallerCredentialSource;
  /** @default `S3CallerMessageStores`: one S3 client per caller credentials */
  readonly messageStores?: (settings: CallerAccessSettings) => CallerMessageStores;
  /**
   * A clock for tests, in milliseconds, that moves forward only: the credential cache uses it both as
   * its wall clock and as its monotonic clock. @default `Date.now` and `performance.now`
   */
  readonly clock?: () => number;
}

/** Builds the caller access of a function instance. */
export function createCallerAccess(settings: CallerAccessSettings, factories: CallerAccessFactories = {}): CallerAccess {
  return {
    credentials: factories.credentials?.(settings) ?? new CredentialExchange({
      identityPoolId: settings.identityPoolId,
      identityProviderName: settings.identityProviderName,
      client: new CognitoIdentityClient({ region: settings.identityPoolRegion }),
      cacheTtlMs: settings.credentialCacheTtlSeconds * 1000,
      ...(factories.clock ? { now: factories.clock, monotonicNow: factories.clock } : {}),
    }),
    messageStores: factories.messageStores?.(settings) ?? new S3CallerMessageStores({
      bucketName: settings.bucketName,
      region: settings.region,
    }),
  };
}

/**
 * A value created at its first use and kept for the life of the function instance (module scope
 * of a handler). A creation that throws is not kept: the next use tries again.
 */
export function lazily<T>(create: () => T): () => T {
  let created: { readonly value: T } | undefined;
  return () => {
    created ??= { value: create() };
    return created.value;
  };
}

/** The answer when the caller's token could not be exchanged for credentials. */
export function credentialFailure(error: CredentialExchangeError): RequestFailure {
  switch (error.reason) {
    case 'NOT_AUTHORIZED':
      return failure('ACCESS_DENIED', 'The identity pool did not accept your ID token, so no access was granted.');
    case 'THROTTLED':
      return failure('SERVICE_THROTTLED', 'The identity service is busy; send the request again shortly.');
    case 'REFUSED':
      return failure('IDENTITY_POOL_REFUSED', 'The identity pool cannot issue credentials for your account (it or AWS STS refused '
        + 'the exchange); sending the request again will not help: ask the lake\'s administrator to check your institutes and the lake.');
    default:
      return failure('UPSTREAM_ERROR', 'The identity service could not be reached; send the request again.');
  }
}

/**
 * The answer when an institute claim of the token (read or write: the identity pool passes both to
 * STS as session tags) is outside the institute-name rule, or `undefined` when neither is. Given
 * before any AWS call: STS would refuse the exchange, and a retry would never help.
 */
export function invalidInstituteClaim(request: ApiRequest, settings: Pick<CallerAccessSettings, 'readClaim' | 'writeClaim'>): RequestFailure | undefined {
  for (const [which, claimName] of [['write', settings.writeClaim], ['read', settings.readClaim]] as const) {
    const { problem } = instituteClaim(request, claimName);
    if (problem !== undefined) {
      return failure('INVALID_INSTITUTE_NAME', `Your account's ${which} institute ${problem}, so the lake cannot act for it; `
        + 'an administrator must give the account a valid institute name (users set-institutes).');
    }
  }
  return undefined;
}

/**
 * The answer when the verified token is not an ID token (an access token of the app client, say):
 * given before any AWS call.
 */
export function notAnIdToken(): RequestFailure {
  return failure('NOT_AN_ID_TOKEN',
    'The token is not an ID token (its token_use claim is not "id"): send the ID token of your sign-in, not its access token.');
}

const ACK_CONTROL_ID = /^[A-Za-z0-9=_-]{1,20}$/;

/**
 * MSH-10 of an acknowledgment: the API Gateway request id when it fits HL7's 20 characters,
 * else 20 random base64url characters.
 */
export function acknowledgmentControlId(requestId: string | undefined): string {
  if (requestId !== undefined && ACK_CONTROL_ID.test(requestId)) {
    return requestId;
  }
  return randomBytes(15).toString('base64url');
}
