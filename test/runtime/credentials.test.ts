import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  InvalidIdentityPoolConfigurationException,
  NotAuthorizedException,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-cognito-identity';
import { mockClient } from 'aws-sdk-client-mock';
import { CredentialExchange, CredentialExchangeError } from '../../src/runtime/credentials';

const cognito = mockClient(CognitoIdentityClient);
const POOL = 'eu-west-1:11111111-2222-3333-4444-555555555555';
const PROVIDER = 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_InstPool1';
const HOUR = 60 * 60 * 1000;

let clock: number;
let issued: number;

function exchange(options: { maxCachedCallers?: number; cacheTtlMs?: number } = {}): CredentialExchange {
  return new CredentialExchange({
    identityPoolId: POOL,
    identityProviderName: PROVIDER,
    client: new CognitoIdentityClient({ region: 'eu-west-1' }),
    now: () => clock,
    monotonicNow: () => clock,
    ...options,
  });
}

beforeEach(() => {
  cognito.reset();
  clock = Date.UTC(2024, 0, 2, 3, 4, 5);
  issued = 0;
  cognito.on(GetIdCommand).callsFake(async (input) => ({ IdentityId: `eu-west-1:id-of-${Object.values(input.Logins)[0]}` }));
  cognito.on(GetCredentialsForIdentityCommand).callsFake(async (input) => ({
    IdentityId: input.IdentityId,
    Credentials: { AccessKeyId: `ASIA${++issued}`, SecretKey: 'secret', SessionToken: 'session', Expiration: new Date(clock + HOUR) },
  }));
});

afterAll(() => cognito.restore());

describe('credential exchange', () => {
  test('GIVEN a token WHEN exchanged THEN GetId and GetCredentialsForIdentity get the pool and the token as the login', async () => {
    const credentials = await exchange().credentialsFor('token-1', 'user-1');

    expect(credentials).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      expiration: new Date(clock + HOUR),
      identityId: 'eu-west-1:id-of-token-1',
    });
    expect(cognito.commandCalls(GetIdCommand)[0].args[0].input).toEqual({ IdentityPoolId: POOL, Logins: { [PROVIDER]: 'token-1' } });
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)[0].args[0].input).toEqual({
      IdentityId: 'eu-west-1:id-of-token-1',
      Logins: { [PROVIDER]: 'token-1' },
    });
  });

  test('GIVEN the default TTL WHEN the same token comes again within 60 seconds THEN no Cognito call; at 60 seconds THEN the identity pool is asked again', async () => {
    const credentials = exchange();
    const first = await credentials.credentialsFor('token-1', 'user-1');

    clock += 60_000 - 1;
    expect(await credentials.credentialsFor('token-1', 'user-1')).toBe(first);
    expect(cognito.calls()).toHaveLength(2);

    clock += 1;
    const asked = await credentials.credentialsFor('token-1', 'user-1');
    expect(asked.accessKeyId).toBe('ASIA2');
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });

  test('GIVEN the longest TTL (55 minutes) WHEN the same token comes again THEN it is trusted until expiry less 5 minutes, not a moment longer', async () => {
    const credentials = exchange({ cacheTtlMs: 3300 * 1000 });
    const first = await credentials.credentialsFor('token-1', 'user-1');
    clock += HOUR - 5 * 60 * 1000 - 1; // just before the renewal margin

    expect(await credentials.credentialsFor('token-1', 'user-1')).toBe(first);
    expect(cognito.calls()).toHaveLength(2);
  });

  test('GIVEN a TTL longer than the credentials last WHEN the token comes again THEN the TTL stops at expiry less the 5-minute margin', async () => {
    cognito.on(GetCredentialsForIdentityCommand).callsFake(async (input) => ({
      IdentityId: input.IdentityId,
      Credentials: { AccessKeyId: `ASIA${++issued}`, SecretKey: 's', SessionToken: 't', Expiration: new Date(clock + 6 * 60 * 1000) },
    }));
    const credentials = exchange({ cacheTtlMs: 3300 * 1000 });
    const first = await credentials.credentialsFor('token-1', 'user-1');

    clock += 60_000 - 1; // credentials of 6 minutes are trusted for 1 minute, whatever the TTL
    expect(await credentials.credentialsFor('token-1', 'user-1')).toBe(first);
    clock += 1;
    expect((await credentials.credentialsFor('token-1', 'user-1')).accessKeyId).toBe('ASIA2');
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });

  test('GIVEN a TTL of 0 WHEN the same token comes again, or many times at once THEN every request asks the identity pool', async () => {
    const credentials = exchange({ cacheTtlMs: 0 });
    await credentials.credentialsFor('token-1', 'user-1');
    await credentials.credentialsFor('token-1', 'user-1');
    await Promise.all(Array.from({ length: 5 }, () => credentials.credentialsFor('token-1', 'user-1')));

    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(7);
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1); // the identity id is not a permission
    expect(credentials.cachedTokens).toBe(0);
  });

  test('GIVEN a cached success WHEN, after the TTL, the identity pool refuses the token THEN the refusal is answered, not the old credentials, and it is not cached', async () => {
    const credentials = exchange();
    await credentials.credentialsFor('token-1', 'user-1');
    cognito.on(GetCredentialsForIdentityCommand).rejects(new NotAuthorizedException({ message: 'Token is revoked', $metadata: { httpStatusCode: 400 } }));
    clock += 60_000;

    await expect(credentials.credentialsFor('token-1', 'user-1')).rejects.toMatchObject({ reason: 'NOT_AUTHORIZED' });
    await expect(credentials.credentialsFor('token-1', 'user-1')).rejects.toMatchObject({ reason: 'NOT_AUTHORIZED' });
    expect(credentials.cachedTokens).toBe(0);
  });

  test('GIVEN concurrent requests sharing one exchange WHEN it fails THEN all get the failure and the next request asks again', async () => {
    cognito.on(GetCredentialsForIdentityCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'x', $metadata: { httpStatusCode: 429 } }))
      .resolves({ Credentials: { AccessKeyId: 'ASIAOK', SecretKey: 's', SessionToken: 't', Expiration: new Date(clock + HOUR) } });
    const credentials = exchange();

    const all = await Promise.allSettled(Array.from({ length: 5 }, () => credentials.credentialsFor('token-1', 'user-1')));

    expect(all.map((result) => result.status)).toEqual(Array(5).fill('rejected'));
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(1);
    expect((await credentials.credentialsFor('token-1', 'user-1')).accessKeyId).toBe('ASIAOK');
  });

  test('GIVEN credentials within 5 minutes of expiry WHEN the token comes again THEN they are renewed with one call', async () => {
    const credentials = exchange({ cacheTtlMs: 3300 * 1000 });
    await credentials.credentialsFor('token-1', 'user-1');
    clock += HOUR - 5 * 60 * 1000;

    const renewed = await credentials.credentialsFor('token-1', 'user-1');

    expect(renewed.accessKeyId).toBe('ASIA2');
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });

  test('GIVEN a user known by sub WHEN they come with a new token THEN the identity id is reused: one call', async () => {
    const credentials = exchange();
    await credentials.credentialsFor('token-1', 'user-1');

    const second = await credentials.credentialsFor('token-2', 'user-1');

    expect(second.accessKeyId).toBe('ASIA2');
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)[1].args[0].input.Logins).toEqual({ [PROVIDER]: 'token-2' });
  });

  test('GIVEN no sub WHEN tokens are exchanged THEN each new token costs both calls', async () => {
    const credentials = exchange();
    await credentials.credentialsFor('token-1');
    await credentials.credentialsFor('token-2');

    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(2);
  });

  test('GIVEN concurrent requests with one token WHEN exchanged THEN they share one exchange', async () => {
    const credentials = exchange();

    const all = await Promise.all(Array.from({ length: 20 }, () => credentials.credentialsFor('token-1', 'user-1')));

    expect(new Set(all).size).toBe(1);
    expect(cognito.calls()).toHaveLength(2);
  });

  test('GIVEN a cache of 2 callers WHEN a third token comes THEN the least recently used one is forgotten', async () => {
    const credentials = exchange({ maxCachedCallers: 2 });
    await credentials.credentialsFor('token-1');
    await credentials.credentialsFor('token-2');
    await credentials.credentialsFor('token-1'); // token-1 is now the most recently used
    await credentials.credentialsFor('token-3');
    const calls = cognito.calls().length;

    await credentials.credentialsFor('token-1');
    expect(cognito.calls().length).toBe(calls);
    await credentials.credentialsFor('token-2');
    expect(cognito.calls().length).toBe(calls + 2);
    expect(credentials.cachedTokens).toBe(2);
  });

  test.each([
    { name: 'NotAuthorizedException', error: new NotAuthorizedException({ message: 'x', $metadata: { httpStatusCode: 400 } }), reason: 'NOT_AUTHORIZED' },
    { name: 'TooManyRequestsException', error: new TooManyRequestsException({ message: 'x', $metadata: { httpStatusCode: 429 } }), reason: 'THROTTLED' },
    { name: 'a 503', error: Object.assign(new Error('x'), { name: 'InternalErrorException', $metadata: { httpStatusCode: 503 } }), reason: 'THROTTLED' },
    { name: 'a network error', error: new Error('ECONNRESET'), reason: 'UNAVAILABLE' },
    {
      name: 'InvalidIdentityPoolConfigurationException (STS refused the role or a session tag)',
      error: new InvalidIdentityPoolConfigurationException({ message: 'x', $metadata: { httpStatusCode: 400 } }),
      reason: 'REFUSED',
    },
  ])('GIVEN Cognito fails with $name WHEN exchanged THEN a CredentialExchangeError $reason, not cached', async ({ error, reason }) => {
    cognito.on(GetIdCommand).rejectsOnce(error).resolves({ IdentityId: 'eu-west-1:id' });
    const credentials = exchange();

    await expect(credentials.credentialsFor('token-1', 'user-1')).rejects.toMatchObject({ name: 'CredentialExchangeError', reason });
    await expect(credentials.credentialsFor('token-1', 'user-1')).resolves.toMatchObject({ accessKeyId: 'ASIA1' });
  });

  test('GIVEN a remembered identity that was deleted WHEN a new token comes THEN the identity is looked up again once', async () => {
    const credentials = exchange();
    await credentials.credentialsFor('token-1', 'user-1');
    cognito.on(GetCredentialsForIdentityCommand).callsFake(async (input) => {
      if (input.IdentityId === 'eu-west-1:id-of-token-1') {
        throw new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 400 } });
      }
      return { Credentials: { AccessKeyId: 'ASIANEW', SecretKey: 's', SessionToken: 't', Expiration: new Date(clock + HOUR) } };
    });

    const renewed = await credentials.credentialsFor('token-2', 'user-1');

    expect(renewed).toMatchObject({ accessKeyId: 'ASIANEW', identityId: 'eu-west-1:id-of-token-2' });
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(2);
  });

  test('GIVEN Cognito answers without credentials WHEN exchanged THEN UNAVAILABLE', async () => {
    cognito.on(GetCredentialsForIdentityCommand).resolves({ IdentityId: 'x', Credentials: { AccessKeyId: 'A' } });

    const failure = await exchange().credentialsFor('token-1').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CredentialExchangeError);
    expect(failure).toMatchObject({ reason: 'UNAVAILABLE', upstream: { name: 'IncompleteCredentials' } });
  });

  test('GIVEN credentials without an expiry WHEN the token comes again THEN they are not reused', async () => {
    cognito.on(GetCredentialsForIdentityCommand).resolves({ Credentials: { AccessKeyId: 'A', SecretKey: 's', SessionToken: 't' } });
    const credentials = exchange();

    await credentials.credentialsFor('token-1', 'user-1');
    await credentials.credentialsFor('token-1', 'user-1');

    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });
});

describe('credential exchange: the trust window on a monotonic clock', () => {
  afterEach(() => jest.useRealTimers());

  test('GIVEN a cached exchange WHEN the wall clock steps back an hour THEN the window still ends 60 seconds after the ask', async () => {
    let wall = clock;
    let monotonic = 5_000;
    const credentials = new CredentialExchange({
      identityPoolId: POOL,
      identityProviderName: PROVIDER,
      client: new CognitoIdentityClient({ region: 'eu-west-1' }),
      now: () => wall,
      monotonicNow: () => monotonic,
    });
    await credentials.credentialsFor('token-1', 'user-1');

    monotonic += 30_000;
    wall -= HOUR; // an NTP correction sets the wall clock back
    await credentials.credentialsFor('token-1', 'user-1');
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(1);

    monotonic += 30_000;
    wall += 30_000;
    await credentials.credentialsFor('token-1', 'user-1');
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });

  test('GIVEN the default clocks WHEN the system time steps back an hour after an exchange THEN the identity pool is asked again 60 seconds after the ask all the same', async () => {
    // Date, performance.now and hrtime are faked; promises and the SDK's own timers stay real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    jest.setSystemTime(clock);
    const credentials = new CredentialExchange({
      identityPoolId: POOL, identityProviderName: PROVIDER, client: new CognitoIdentityClient({ region: 'eu-west-1' }),
    });
    cognito.on(GetCredentialsForIdentityCommand).callsFake(async (input) => ({
      IdentityId: input.IdentityId,
      Credentials: { AccessKeyId: `ASIA${++issued}`, SecretKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + HOUR) },
    }));
    await credentials.credentialsFor('token-1', 'user-1');

    jest.advanceTimersByTime(30_000);
    jest.setSystemTime(Date.now() - HOUR);
    await credentials.credentialsFor('token-1', 'user-1');
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(1);

    jest.advanceTimersByTime(30_000);
    await credentials.credentialsFor('token-1', 'user-1');
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(2);
  });
});
