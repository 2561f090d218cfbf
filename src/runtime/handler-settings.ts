/**
 * The handlers' settings, read from the environment variables the construct sets
 * (see {@link HandlerEnvironment}). Read once, at the first request, never at import time.
 *
 * Pure: no AWS imports.
 */
import {
  DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  HandlerEnvironment,
  MAX_CREDENTIAL_CACHE_TTL_SECONDS,
  METRICS_NAMESPACE,
} from './handler-environment';

/** A setting the function cannot work without is missing or malformed: a deployment error. */
export class HandlerConfigurationError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`Environment variable ${variable} ${reason}.`);
    this.name = 'HandlerConfigurationError';
  }
}

/** What both handlers need to act for a caller. */
export interface CallerAccessSettings {
  /** The data bucket. */
  readonly bucketName: string;
  /** The identity pool that exchanges ID tokens for credentials. */
  readonly identityPoolId: string;
  /** The `Logins` key of the user pool in the identity pool. */
  readonly identityProviderName: string;
  /** Region of the bucket (the function's region). */
  readonly region: string;
  /** Region of the identity pool (the prefix of its id, else the function's region). */
  readonly identityPoolRegion: string;
  /**
   * Whole seconds one identity-pool exchange of a caller's token is trusted before the identity pool
   * is asked again (0: never trusted, every request asks). The revocation delay of a warm handler.
   */
  readonly credentialCacheTtlSeconds: number;
  /**
   * The claim that names the caller's read institute. Both handlers read both institute claims: the
   * identity pool passes both to STS as session tags, so either one outside the institute-name rule
   * fails the exchange.
   */
  readonly readClaim: string;
  /** The claim that names the caller's write institute. */
  readonly writeClaim: string;
}

/** Settings of `POST /messages`. */
export interface IngestSettings extends CallerAccessSettings {
  /** Largest accepted message, in bytes. */
  readonly maxMessageBytes: number;
}

/** Settings of `GET /messages/{id}`. */
export interface ReadSettings extends CallerAccessSettings {}

type Environment = Readonly<Record<string, string | undefined>>;

function required(env: Environment, variable: string): string {
  const value = env[variable]?.trim();
  if (!value) {
    throw new HandlerConfigurationError(variable, 'is not set');
  }
  return value;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function callerAccessSettings(env: Environment): CallerAccessSettings {
  const region = required(env, 'AWS_REGION');
  const identityPoolId = required(env, HandlerEnvironment.IDENTITY_POOL_ID);
  const poolRegion = identityPoolId.split(':')[0];
  return {
    bucketName: required(env, HandlerEnvironment.BUCKET_NAME),
    identityPoolId,
    identityProviderName: required(env, HandlerEnvironment.IDENTITY_PROVIDER_NAME),
    region,
    identityPoolRegion: REGION.test(poolRegion) ? poolRegion : region,
    credentialCacheTtlSeconds: credentialCacheTtlSeconds(env),
    readClaim: required(env, HandlerEnvironment.READ_CLAIM),
    writeClaim: required(env, HandlerEnvironment.WRITE_CLAIM),
  };
}

const WHOLE_NUMBER = /^\d+$/;

function credentialCacheTtlSeconds(env: Environment): number {
  const variable = HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS;
  const raw = env[variable]?.trim();
  if (!raw) {
    return DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS;
  }
  const value = WHOLE_NUMBER.test(raw) ? Number(raw) : NaN;
  if (!(value <= MAX_CREDENTIAL_CACHE_TTL_SECONDS)) {
    throw new HandlerConfigurationError(variable,
      `is ${JSON.stringify(raw)}, not a whole number of seconds from 0 to ${MAX_CREDENTIAL_CACHE_TTL_SECONDS}`);
  }
  return value;
}

function maxMessageBytes(env: Environment): number {
  const raw = env[HandlerEnvironment.MAX_MESSAGE_BYTES]?.trim();
  if (!raw) {
    return DEFAULT_MAX_MESSAGE_BYTES;
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new HandlerConfigurationError(HandlerEnvironment.MAX_MESSAGE_BYTES, 'is not a positive whole number of bytes');
  }
  return value;
}

/** Settings of `POST /messages` from the environment. */
export function ingestSettingsFrom(env: Environment = process.env): IngestSettings {
  return {
    ...callerAccessSettings(env),
    maxMessageBytes: maxMessageBytes(env),
  };
}

/** Settings of `GET /messages/{id}` from the environment. */
export function readSettingsFrom(env: Environment = process.env): ReadSettings {
  return callerAccessSettings(env);
}

/** Where a handler's logs and metrics say they come from. */
export interface TelemetrySettings {
  /** The lake's name: the `service` field of each log line and the `service` dimension of each metric. */
  readonly serviceName: string;
  /** CloudWatch namespace of the metrics. */
  readonly metricsNamespace: string;
}

/**
 * Telemetry settings from the environment. A deployed lake always names itself; a handler run
 * outside a lake (a test, a local run) falls back to `defaultServiceName` and the `HealthDataLake`
 * namespace rather than failing: telemetry never stops a request.
 */
export function telemetrySettingsFrom(defaultServiceName: string, env: Environment = process.env): TelemetrySettings {
  return {
    serviceName: env[HandlerEnvironment.POWERTOOLS_SERVICE_NAME]?.trim() || defaultServiceName,
    metricsNamespace: env[HandlerEnvironment.POWERTOOLS_METRICS_NAMESPACE]?.trim() || METRICS_NAMESPACE,
  };
}
