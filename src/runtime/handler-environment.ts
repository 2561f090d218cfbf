/**
 * The contract between the construct (which sets these environment variables on the Lambda
 * functions) and the handlers (which read them). Shared by both sides so that a renamed variable
 * breaks the build, not a deployment.
 */
export const HandlerEnvironment = {
  /** Name of the data bucket. */
  BUCKET_NAME: 'BUCKET_NAME',
  /** Identity pool id, e.g. `eu-west-1:0000...`. */
  IDENTITY_POOL_ID: 'IDENTITY_POOL_ID',
  /**
   * The identity pool's provider name for the user pool, used as the `Logins` key:
   * `cognito-idp.<region>.amazonaws.com/<userPoolId>`.
   */
  IDENTITY_PROVIDER_NAME: 'IDENTITY_PROVIDER_NAME',
  /** Name of the ID-token claim that holds the caller's read institute, e.g. `custom:read`. */
  READ_CLAIM: 'READ_CLAIM',
  /** Name of the ID-token claim that holds the caller's write institute, e.g. `custom:write`. */
  WRITE_CLAIM: 'WRITE_CLAIM',
  /** Largest accepted message, in bytes, after base64 decoding. */
  MAX_MESSAGE_BYTES: 'MAX_MESSAGE_BYTES',
  /**
   * Whole seconds a handler trusts one identity-pool exchange of a caller's token before it asks the
   * identity pool again (which refuses revoked, signed-out and disabled users); `0` turns the cache off.
   */
  CREDENTIAL_CACHE_TTL_SECONDS: 'CREDENTIAL_CACHE_TTL_SECONDS',
  /**
   * The lake's name, as Powertools' service name: the `service` field of every log line and the
   * `service` dimension of every metric, so that two lakes in one account keep their figures apart.
   */
  POWERTOOLS_SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
  /** CloudWatch namespace of the handlers' metrics (see {@link METRICS_NAMESPACE}). */
  POWERTOOLS_METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** Object tag that names the institute a message belongs to; IAM decides reads on it. */
export const SOURCE_TAG = 'source';
/** Object tag that records the processing state of a message (`received` on ingest). */
export const STATE_TAG = 'state';
/** The only state an ingested message may be created with. */
export const RECEIVED_STATE = 'received';
/** Default largest accepted message: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Default time a handler trusts one identity-pool exchange: 60 seconds (the revocation delay). */
export const DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS = 60;
/**
 * Longest time a handler may trust one identity-pool exchange: identity-pool credentials last one hour
 * and are renewed five minutes before they expire, so 55 minutes.
 */
export const MAX_CREDENTIAL_CACHE_TTL_SECONDS = 55 * 60;
/**
 * The CloudWatch namespace of every lake's metrics; the `service` dimension (the lake's name) tells
 * the lakes apart, so one dashboard or alarm definition serves any lake.
 */
export const METRICS_NAMESPACE = 'HealthDataLake';
