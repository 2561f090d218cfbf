import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HealthDataLake } from '../../src';
import { lakeStack, newApp } from '../support/stacks';

/** The credential cache TTL each handler is told, by handler description. */
function ttlOfHandlers(stack: Stack): unknown[] {
  const handlers = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
    .filter((f) => f.Properties.Description?.startsWith('Health data lake'));
  expect(handlers).toHaveLength(2);
  return handlers.map((handler) => handler.Properties.Environment.Variables.CREDENTIAL_CACHE_TTL_SECONDS);
}

describe('GIVEN the credential cache TTL (the revocation delay of warm handlers)', () => {
  test('WHEN it is not set THEN both handlers trust an identity-pool exchange for 60 seconds', () => {
    expect(ttlOfHandlers(lakeStack().stack)).toEqual(['60', '60']);
  });

  test.each([
    [Duration.seconds(0), '0'],
    [Duration.seconds(15), '15'],
    [Duration.minutes(55), '3300'],
  ])('WHEN it is %s THEN both handlers are told %s seconds', (ttl, expected) => {
    expect(ttlOfHandlers(lakeStack({ credentialCacheTtl: ttl }).stack)).toEqual([expected, expected]);
  });

  test.each([
    [Duration.seconds(3301), 'HealthDataLake: credentialCacheTtl must be a whole number of seconds from 0 to 3300 (0 seconds to 55 minutes, identity-pool credentials ' +
      'last one hour and are renewed five minutes early); got 55 minutes 1 second (3301 seconds).'],
    [Duration.hours(1), /credentialCacheTtl .* got 1 hour \(3600 seconds\)/],
    [Duration.millis(1500), /credentialCacheTtl .* got 1 second 500 millis \(1\.5 seconds\)/],
  ])('WHEN it is %s THEN synthesis fails with a message that names the prop, the value and the range', (ttl, message) => {
    const stack = new Stack(newApp(), 'Lake', { env: { account: '111122223333', region: 'eu-west-1' } });
    expect(() => new HealthDataLake(stack, 'Lake', { credentialCacheTtl: ttl })).toThrow(message);
  });

  test('WHEN it is a token THEN it passes through to the handlers unchecked', () => {
    const stack = new Stack(newApp(), 'Lake', { env: { account: '111122223333', region: 'eu-west-1' } });
    const ttl = new CfnParameter(stack, 'TtlParameter', { type: 'Number' });
    new HealthDataLake(stack, 'Lake', { credentialCacheTtl: Duration.seconds(ttl.valueAsNumber) });
    expect(ttlOfHandlers(stack)).toEqual([{ Ref: 'TtlParameter' }, { Ref: 'TtlParameter' }]);
  });
});
