import { HANDLER_ENVIRONMENT } from './support/handler-environment';
import { HandlerConfigurationError, ingestSettingsFrom, readSettingsFrom } from '../../src/runtime/handler-settings';

describe('handler settings', () => {
  test('GIVEN the deployed environment WHEN read THEN every setting comes from its variable, with a 1 MiB default limit', () => {
    expect(ingestSettingsFrom(HANDLER_ENVIRONMENT)).toEqual({
      bucketName: 'health-data-lake-messages',
      identityPoolId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
      identityProviderName: 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_InstPool1',
      region: 'eu-west-1',
      identityPoolRegion: 'eu-west-1',
      writeClaim: 'custom:write',
      maxMessageBytes: 1024 * 1024,
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

  test.each(['AWS_REGION', 'BUCKET_NAME', 'IDENTITY_POOL_ID', 'IDENTITY_PROVIDER_NAME', 'WRITE_CLAIM'])(
    'GIVEN no %s WHEN the ingest settings are read THEN a configuration error names it', (variable) => {
      const env: Record<string, string | undefined> = { ...HANDLER_ENVIRONMENT, [variable]: ' ' };

      expect(() => ingestSettingsFrom(env)).toThrow(`Environment variable ${variable} is not set.`);
    });
});
