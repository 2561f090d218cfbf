/**
 * The environment a deployed handler sees, as the construct sets it (see `HandlerEnvironment`),
 * installed before each test and restored after it.
 */
import { HandlerEnvironment } from '../../../src/runtime/handler-environment';

export const REGION = 'eu-west-1';
export const BUCKET_NAME = 'health-data-lake-messages';
export const IDENTITY_POOL_ID = 'eu-west-1:11111111-2222-3333-4444-555555555555';
export const IDENTITY_PROVIDER_NAME = 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_InstPool1';
export const WRITE_CLAIM = 'custom:write';
export const READ_CLAIM = 'custom:read';
/** The function role's own credentials: they must never reach S3. */
export const FUNCTION_ROLE_ACCESS_KEY_ID = 'ASIAFUNCTIONROLE0000';

export const HANDLER_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: FUNCTION_ROLE_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: 'function-role-secret',
  AWS_SESSION_TOKEN: 'function-role-session',
  [HandlerEnvironment.BUCKET_NAME]: BUCKET_NAME,
  [HandlerEnvironment.IDENTITY_POOL_ID]: IDENTITY_POOL_ID,
  [HandlerEnvironment.IDENTITY_PROVIDER_NAME]: IDENTITY_PROVIDER_NAME,
  [HandlerEnvironment.WRITE_CLAIM]: WRITE_CLAIM,
  [HandlerEnvironment.READ_CLAIM]: READ_CLAIM,
};

/** Variables a test may change; all are put back afterwards. */
const TOUCHED = [
  ...Object.keys(HANDLER_ENVIRONMENT),
  HandlerEnvironment.MAX_MESSAGE_BYTES,
  HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS,
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
  'POWERTOOLS_LOG_LEVEL',
];

/** Installs the handler environment around each test of the calling suite. */
export function useHandlerEnvironment(extra: Record<string, string> = {}): void {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const name of TOUCHED) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
    Object.assign(process.env, HANDLER_ENVIRONMENT, extra);
  });
  afterEach(() => {
    for (const name of TOUCHED) {
      if (saved[name] === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = saved[name];
      }
    }
  });
}
