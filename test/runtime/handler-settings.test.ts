import { HANDLER_ENVIRONMENT } from './support/handler-environment';
import { HandlerConfigurationError, ingestSettingsFrom, readSettingsFrom, telemetrySettingsFrom } from '../../src/runtime/handler-settings';

describe('handler settings', () => {
  test('GIVEN the deployed environment WHEN read THEN every setting comes from its variable, with a 1 MiB default limit', () => {
    expect(ingestSettingsFrom(HANDLER_ENVIRONMENT)).toEqual({
      bucketName: 'health-data-lake-messages',
      identityPoolId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
      identityProviderName: 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_InstPool1',
      region: 'eu-west-1',
      identityPoolRegion: 'eu-west-1',
      readClaim: 'custom:read',
      writeClaim: 'custom:write',
      maxMessageBytes: 1024 * 1024,
      credentialCacheTtlSeconds: 60,
    });
    expect(readSettingsFrom(HANDLER_ENVIRONMENT).readClaim).toBe('custom:read');
  });

  test('GIVEN an identity pool in another region WHEN read THEN its region comes from its id', () => {
    const settings = readSettingsFrom({ ...HANDLER_ENVIRONMENT, IDENTITY_POOL_ID: 'us-east-1:abc' });

    expect(settings.identityPoolRegion).toBe('us-east-1');
    expect(settings.region).toBe('eu-west-1');
  });

  test('GIVEN MAX_MESSAGE_BYTES WHEN read THEN it is the limit; nonsense is a configuration error', () => {
    expect(ingestSettingsFrom({ ...HANDLER_ENVIRONMENT, MAX_MESSAGE_BYTES: '2048' }).maxMessageBytes).toBe(2048);
    for (const value of ['0', '-1', '1.5', 'lots']) {
      expect(() => ingestSettingsFrom({ ...HANDLER_ENVIRONMENT, MAX_MESSAGE_BYTES: value })).toThrow(HandlerConfigurationError);
    }
  });

  test.each([
    ['0', 0],
    ['1', 1],
    [' 60 ', 60],
    ['3300', 3300],
    ['', 60],
  ])('GIVEN CREDENTIAL_CACHE_TTL_SECONDS %p WHEN read THEN both handlers trust an exchange for %p seconds', (value, seconds) => {
    const env = { ...HANDLER_ENVIRONMENT, CREDENTIAL_CACHE_TTL_SECONDS: value };

    expect(ingestSettingsFrom(env).credentialCacheTtlSeconds).toBe(seconds);
    expect(readSettingsFrom(env).credentialCacheTtlSeconds).toBe(seconds);
  });

  test.each(['3301', '-1', '1.5', '1e3', '0x10', 'sixty', '60s'])(
    'GIVEN CREDENTIAL_CACHE_TTL_SECONDS %p WHEN read THEN a configuration error names the variable and the allowed range', (value) => {
      const env = { ...HANDLER_ENVIRONMENT, CREDENTIAL_CACHE_TTL_SECONDS: value };

      expect(() => readSettingsFrom(env)).toThrow(HandlerConfigurationError);
      expect(() => ingestSettingsFrom(env)).toThrow(
        `Environment variable CREDENTIAL_CACHE_TTL_SECONDS is "${value}", not a whole number of seconds from 0 to 3300.`);
    });

  test.each(['AWS_REGION', 'BUCKET_NAME', 'IDENTITY_POOL_ID', 'IDENTITY_PROVIDER_NAME', 'WRITE_CLAIM'])(
    'GIVEN no %s WHEN the ingest settings are read THEN a configuration error names it', (variable) => {
      const env: Record<string, string | undefined> = { ...HANDLER_ENVIRONMENT, [variable]: ' ' };

      expect(() => ingestSettingsFrom(env)).toThrow(`Environment variable ${variable} is not set.`);
    });

  test('GIVEN the lake\'s name as POWERTOOLS_SERVICE_NAME WHEN telemetry settings are read THEN it is the service name, in the namespace given', () => {
    const env = { ...HANDLER_ENVIRONMENT, POWERTOOLS_SERVICE_NAME: ' ClinicStack-Lake ', POWERTOOLS_METRICS_NAMESPACE: 'HealthDataLake' };

    expect(telemetrySettingsFrom('health-data-lake-ingest', env)).toEqual({ serviceName: 'ClinicStack-Lake', metricsNamespace: 'HealthDataLake' });
  });

  test.each([undefined, '', '  '])('GIVEN POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE %p WHEN telemetry settings are read THEN the handler\'s own name and HealthDataLake are used', (value) => {
    const env = { ...HANDLER_ENVIRONMENT, POWERTOOLS_SERVICE_NAME: value, POWERTOOLS_METRICS_NAMESPACE: value };

    expect(telemetrySettingsFrom('health-data-lake-read', env)).toEqual({ serviceName: 'health-data-lake-read', metricsNamespace: 'HealthDataLake' });
  });
});
