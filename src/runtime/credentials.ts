/**
 * The caller's own AWS credentials: the caller's Cognito ID token is exchanged at the identity
 * pool (`GetId`, then `GetCredentialsForIdentity`) for temporary credentials of the ABAC role,
 * tagged with the caller's institutes. IAM, not this code, decides what they allow.
 *
 * Revocation: the API's JWT authorizer checks only a token's signature and expiry; the identity
 * pool (server-side token check) also refuses tokens of users who were signed out globally or
 * deleted, and it does so in `GetCredentialsForIdentity`, which always carries the token. So an
 * exchange is trusted for at most `cacheTtlMs` after it was asked for (default 60 seconds), and never
 * past the credentials' expiry less the refresh margin (five minutes); after that the next request of
 * the caller asks the identity pool again, and a token it now refuses gets no access. A handler
 * therefore serves a revoked token for at most `cacheTtlMs` after the identity pool starts refusing
 * it. With `cacheTtlMs` 0 nothing is cached: every request asks the identity pool. The window is counted
 * with a monotonic clock (`performance.now`), so a step of the wall clock (an NTP correction) never
 * lengthens it; the wall clock only tells how long the credentials have left when they arrive.
 *
 * Exchanges are cached per token (by its SHA-256, never the token itself); a failed exchange is
 * never cached. The identity id is cached per user (`sub`): it is an identifier, not a permission
 * (`GetCredentialsForIdentity` still checks the token against it), so a new token of a known user
 * and a renewal cost one Cognito call, and a warm request inside the TTL costs none.
 */
import { createHash } from 'node:crypto';
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import { DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS } from './handler-environment';
import { describeUpstreamError, UpstreamErrorDescription } from './upstream-errors';

/** Temporary credentials of one caller. */
export interface CallerCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** When the credentials stop working; `undefined` if Cognito did not say (then never cached). */
  readonly expiration?: Date;
  /** The caller's identity in the identity pool. */
  readonly identityId: string;
}

/** Why no credentials could be obtained. */
export type CredentialFailureReason =
  /** Cognito refused the token (expired, revoked, wrong pool): the caller gets no access. */
  | 'NOT_AUTHORIZED'
  /** Cognito asked to slow down: a retry later may work. */
  | 'THROTTLED'
  /**
   * The identity pool cannot issue credentials for this caller, whatever the timing: STS refused to
   * assume the role (a session tag it does not accept, a trust policy that does not fit) or the
   * request does not fit the pool. A retry does not help.
   */
  | 'REFUSED'
  /** Any other failure of Cognito or of the network: a retry may work. */
  | 'UNAVAILABLE';

/** The token could not be exchanged for credentials. */
export class CredentialExchangeError extends Error {
  constructor(readonly reason: CredentialFailureReason, readonly upstream: UpstreamErrorDescription) {
    super(`The identity pool did not issue credentials (${upstream.name}).`);
    this.name = 'CredentialExchangeError';
  }
}

/** Where handlers get a caller's credentials from. */
export interface CallerCredentialSource {
  /**
   * The credentials of the caller who holds `idToken`.
   * @param idToken the caller's Cognito ID token, as sent (already verified by the API's authorizer)
   * @param subject the token's `sub` claim, to reuse the caller's identity id across tokens
   * @throws CredentialExchangeError
   */
  credentialsFor(idToken: string, subject?: string): Promise<CallerCredentials>;
}

/** How to reach the identity pool and how long to keep what it answers. */
export interface CredentialExchangeOptions {
  /** The identity pool, e.g. `eu-west-1:00000000-0000-0000-0000-000000000000`. */
  readonly identityPoolId: string;
  /** The `Logins` key of the user pool: `cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  readonly identityProviderName: string;
  /** The Cognito identity client (region of the identity pool). */
  readonly client: CognitoIdentityClient;
  /**
   * The wall clock, in milliseconds since the epoch: read once per exchange, to tell how long the
   * credentials have left before their `Expiration`. @default `Date.now`
   */
  readonly now?: () => number;
  /**
   * A monotonic clock in milliseconds (any origin), which counts how long an exchange has been trusted:
   * it never goes back when the wall clock is set back. @default `performance.now`
   */
  readonly monotonicNow?: () => number;
  /** Most callers (tokens, and users) remembered; the oldest is forgotten first. @default 1000 */
  readonly maxCachedCallers?: number;
  /** How long before expiry credentials are renewed, in milliseconds. @default 5 minutes */
  readonly refreshBeforeExpiryMs?: number;
  /**
   * How long one exchange is trusted after it was asked for, in milliseconds (never past expiry less
   * `refreshBeforeExpiryMs`); 0 turns the cache of exchanges off. @default 60 seconds
   */
  readonly cacheTtlMs?: number;
}

/**
 * Cognito errors that a retry does not cure. `InvalidIdentityPoolConfigurationException` is what
 * `GetCredentialsForIdentity` answers when STS refuses to assume the role, for example for a
 * principal tag value STS does not accept.
 */
const REFUSING_ERRORS = new Set(['InvalidIdentityPoolConfigurationException', 'InvalidParameterException']);

/** Most callers remembered by default. */
export const DEFAULT_MAX_CACHED_CALLERS = 1_000;
/** Credentials are renewed this long before they expire by default: 5 minutes. */
export const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000;
/** An exchange is trusted this long by default: 60 seconds. */
export const DEFAULT_CACHE_TTL_MS = DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS * 1000;

/** A map that forgets its least recently used entry once it holds more than `capacity`. */
class RecentlyUsed<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** An exchange in flight (shared by concurrent requests of one caller) or its result. */
interface CachedExchange {
  /** When the identity pool was asked, on the monotonic clock: trust is counted from here. */
  readonly askedAt: number;
  pending?: Promise<CallerCredentials>;
  credentials?: CallerCredentials;
  /** Until when (monotonic clock) the credentials may be used without asking the identity pool again. */
  trustedUntil?: number;
}

/** Exchanges ID tokens for the callers' credentials, with a bounded in-memory cache. */
export class CredentialExchange implements CallerCredentialSource {
  private readonly now: () => number;
  private readonly monotonicNow: () => number;
  private readonly refreshBeforeExpiryMs: number;
  private readonly cacheTtlMs: number;
  private readonly exchangesByToken: RecentlyUsed<CachedExchange>;
  private readonly identityIdsBySubject: RecentlyUsed<string>;

  constructor(private readonly options: CredentialExchangeOptions) {
    this.now = options.now ?? Date.now;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
    this.cacheTtlMs = Math.max(0, options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS);
    const capacity = Math.max(1, options.maxCachedCallers ?? DEFAULT_MAX_CACHED_CALLERS);
    this.exchangesByToken = new RecentlyUsed(capacity);
    this.identityIdsBySubject = new RecentlyUsed(capacity);
  }

  /** Number of tokens whose exchange is remembered. */
  get cachedTokens(): number {
    return this.exchangesByToken.size;
  }

  async credentialsFor(idToken: string, subject?: string): Promise<CallerCredentials> {
    if (this.cacheTtlMs === 0) {
      return this.exchange(idToken, subject); // no cache: every request asks the identity pool
    }
    const key = createHash('sha256').update(idToken, 'utf8').digest('base64url');
    const cached = this.exchangesByToken.get(key);
    if (cached?.credentials && cached.trustedUntil !== undefined && this.monotonicNow() < cached.trustedUntil) {
      return cached.credentials;
    }
    if (cached?.pending) {
      return cached.pending;
    }
    const entry: CachedExchange = { askedAt: this.monotonicNow() };
    entry.pending = this.exchange(idToken, subject).then(
      (credentials) => {
        entry.pending = undefined;
        entry.credentials = credentials;
        entry.trustedUntil = this.trustedUntil(entry.askedAt, credentials);
        return credentials;
      },
      (error: unknown) => {
        // A failure is never remembered: the entry goes, and with it any earlier success.
        if (this.exchangesByToken.peek(key) === entry) {
          this.exchangesByToken.delete(key);
        }
        throw error;
      },
    );
    this.exchangesByToken.set(key, entry);
    return entry.pending;
  }

  /**
   * Until when (monotonic clock) credentials asked for at `askedAt` may be used without asking the
   * identity pool again: `cacheTtlMs` after the ask, and never past their expiry less the refresh
   * margin (their remaining life is read on the wall clock once, now that they have arrived).
   */
  private trustedUntil(askedAt: number, credentials: CallerCredentials): number {
    if (credentials.expiration === undefined) {
      return -Infinity; // an unknown lifetime is never trusted
    }
    const usableFor = credentials.expiration.getTime() - this.refreshBeforeExpiryMs - this.now();
    return askedAt + Math.min(this.cacheTtlMs, usableFor);
  }

  private async exchange(idToken: string, subject: string | undefined): Promise<CallerCredentials> {
    const logins = { [this.options.identityProviderName]: idToken };
    const knownIdentityId = subject === undefined ? undefined : this.identityIdsBySubject.get(subject);
    const identityId = knownIdentityId ?? await this.identityIdOf(logins, subject);
    try {
      return await this.credentialsOf(identityId, logins);
    } catch (error) {
      if (subject !== undefined) {
        this.identityIdsBySubject.delete(subject);
      }
      // A remembered identity may have been deleted from the pool since: look it up once more.
      if (knownIdentityId !== undefined && error instanceof CredentialExchangeError
        && error.upstream.name === 'ResourceNotFoundException') {
        return this.credentialsOf(await this.identityIdOf(logins, subject), logins);
      }
      throw error;
    }
  }

  private async identityIdOf(logins: Record<string, string>, subject: string | undefined): Promise<string> {
    const answer = await this.send(() => this.options.client.send(new GetIdCommand({
      IdentityPoolId: this.options.identityPoolId,
      Logins: logins,
    })));
    if (!answer.IdentityId) {
      throw new CredentialExchangeError('UNAVAILABLE', { name: 'MissingIdentityId', throttled: false });
    }
    if (subject !== undefined) {
      this.identityIdsBySubject.set(subject, answer.IdentityId);
    }
    return answer.IdentityId;
  }

  private async credentialsOf(identityId: string, logins: Record<string, string>): Promise<CallerCredentials> {
    const answer = await this.send(() => this.options.client.send(new GetCredentialsForIdentityCommand({
      IdentityId: identityId,
      Logins: logins,
    })));
    const credentials = answer.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretKey || !credentials.SessionToken) {
      throw new CredentialExchangeError('UNAVAILABLE', { name: 'IncompleteCredentials', throttled: false });
    }
    const expiration = credentials.Expiration instanceof Date && !Number.isNaN(credentials.Expiration.getTime())
      ? credentials.Expiration
      : undefined;
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretKey,
      sessionToken: credentials.SessionToken,
      identityId: answer.IdentityId ?? identityId,
      ...(expiration ? { expiration } : {}),
    };
  }

  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const upstream = describeUpstreamError(error);
      if (upstream.name === 'NotAuthorizedException') {
        throw new CredentialExchangeError('NOT_AUTHORIZED', upstream);
      }
      if (REFUSING_ERRORS.has(upstream.name)) {
        throw new CredentialExchangeError('REFUSED', upstream);
      }
      throw new CredentialExchangeError(upstream.throttled ? 'THROTTLED' : 'UNAVAILABLE', upstream);
    }
  }
}
