import { App, CfnParameter, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HealthDataLake, HealthDataLakeProps, PrincipalTagMappingMethod } from '../src';
import { newApp, TEST_APP_CONTEXT } from './support/stacks';
import { dedicatedSubnetsProps, importedVpcProps, ownEndpointsProps } from './support/vpcs';

const env = { account: '111122223333', region: 'eu-west-1' };

/** GIVEN a fresh stack WHEN a lake is built with these props THEN the error message, or undefined when it is accepted. */
function refusalOf(props: HealthDataLakeProps | ((stack: Stack) => HealthDataLakeProps)): string | undefined {
  const stack = new Stack(newApp(), 'Lake', { env });
  try {
    new HealthDataLake(stack, 'Lake', typeof props === 'function' ? props(stack) : props);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** The lake's handlers in a template. */
function handlers(stack: Stack): Array<Record<string, any>> {
  return Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
    .filter((f) => f.Properties.Description?.startsWith('Health data lake'));
}

function stageOf(stack: Stack): Record<string, any> {
  const [stage] = Object.values(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Stage'));
  return stage;
}

/** Every warning id a lake stack carries. */
function warningIds(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue())
    .map((warning) => String(warning.entry.data).match(/\[ack: ([^\]]+)\]/)?.[1] ?? String(warning.entry.data));
}

/** A number only known at deployment (a CloudFormation parameter). */
function deployTimeNumber(stack: Stack, id: string): number {
  return new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
}

const MAX_BYTES_RULE = 'HealthDataLake: maxMessageBytes must be a whole number from 1 to 4500000 bytes (the largest body API Gateway ' +
  'can hand to Lambda: 6 MiB of event with the body base64-encoded); got';

describe('GIVEN maxMessageBytes', () => {
  test.each([
    [0, '0'], [-1, '-1'], [1.5, '1.5'], [4_500_001, '4500001'], [20_000_000, '20000000'], [Number.NaN, 'NaN'],
  ])('WHEN it is %s THEN synthesis fails naming the prop, the value and the range', (value, shown) => {
    expect(refusalOf({ maxMessageBytes: value })).toBe(`${MAX_BYTES_RULE} ${shown}.`);
  });

  test.each([1, 4_500_000])('WHEN it is %s (a boundary) THEN both handlers are told that many bytes', (value) => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { maxMessageBytes: value });
    expect(handlers(stack).map((f) => f.Properties.Environment.Variables.MAX_MESSAGE_BYTES)).toEqual([String(value), String(value)]);
  });

  test('WHEN it is only known at deployment THEN it passes through to the handlers unchecked', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { maxMessageBytes: deployTimeNumber(stack, 'MaxBytes') });
    expect(handlers(stack).map((f) => f.Properties.Environment.Variables.MAX_MESSAGE_BYTES))
      .toEqual([{ Ref: 'MaxBytes' }, { Ref: 'MaxBytes' }]);
  });

  test('WHEN it is a token that resolves to 0 at synthesis THEN synthesis fails with the same message', () => {
    const app = newApp();
    const stack = new Stack(app, 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { maxMessageBytes: Lazy.number({ produce: () => 0 }) });
    expect(() => app.synth()).toThrow(`${MAX_BYTES_RULE} 0.`);
  });
});

describe('GIVEN the API throttling', () => {
  const RATE_RULE = 'HealthDataLake: throttlingRateLimit must be a number of requests per second above 0 (0 would throttle every request); got';
  const BURST_RULE = 'HealthDataLake: throttlingBurstLimit must be a whole number from 1 to 2147483647 requests ' +
    '(a burst of 0 would throttle every request); got';

  test.each([
    [{ throttlingRateLimit: 0 }, `${RATE_RULE} 0.`],
    [{ throttlingRateLimit: -5 }, `${RATE_RULE} -5.`],
    [{ throttlingRateLimit: 'Infinity' }, `${RATE_RULE} Infinity.`],
    [{ throttlingBurstLimit: 0 }, `${BURST_RULE} 0.`],
    [{ throttlingBurstLimit: -1 }, `${BURST_RULE} -1.`],
    [{ throttlingBurstLimit: 2.5 }, `${BURST_RULE} 2.5.`],
    [{ throttlingBurstLimit: 2_147_483_648 }, `${BURST_RULE} 2147483648.`],
  ])('WHEN %j THEN synthesis fails naming the prop, the value and the range', (props, message) => {
    // JSON has no Infinity: the table names it, the lake gets the number.
    const value = Object.fromEntries(Object.entries(props).map(([key, v]) => [key, v === 'Infinity' ? Number.POSITIVE_INFINITY : v]));
    expect(refusalOf(value as HealthDataLakeProps)).toBe(message);
  });

  test('WHEN the rate is a fraction and the burst is 1 (the smallest) THEN the stage gets them, and a burst below the rate is allowed', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { throttlingRateLimit: 0.5, throttlingBurstLimit: 1 });
    expect(stageOf(stack).Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 0.5, ThrottlingBurstLimit: 1 });
    expect(refusalOf({ throttlingRateLimit: 100, throttlingBurstLimit: 10 })).toBeUndefined();
  });

  test('WHEN they are only known at deployment THEN they pass through to the stage unchecked', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { throttlingRateLimit: deployTimeNumber(stack, 'Rate'), throttlingBurstLimit: deployTimeNumber(stack, 'Burst') });
    expect(stageOf(stack).Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: { Ref: 'Rate' }, ThrottlingBurstLimit: { Ref: 'Burst' } });
  });

  test('WHEN they are above the default account quotas THEN a warning each, which says how to acknowledge it; at the quotas none', () => {
    const atQuota = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(atQuota, 'Lake', { throttlingRateLimit: 10_000, throttlingBurstLimit: 5_000 });
    expect(warningIds(atQuota)).toEqual([]);

    const above = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(above, 'Lake', { throttlingRateLimit: 10_001, throttlingBurstLimit: 5_001 });
    const warnings = Annotations.fromStack(above).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
    expect(warnings).toEqual([
      'throttlingRateLimit is 10001, above API Gateway\'s account-level rate quota per region, which every API of the account shares ' +
      '(10000 by default). It deploys, but only an account whose quota was raised gets it. If yours was, acknowledge this warning: ' +
      'Validations.of(lake).acknowledge({ id: \'cdk-health-data-lake:ThrottlingRateAboveAccountQuota\', reason: \'<why>\' }). ' +
      '[ack: cdk-health-data-lake:ThrottlingRateAboveAccountQuota]',
      'throttlingBurstLimit is 5001, above API Gateway\'s account-level burst quota per region, which every API of the account shares ' +
      '(5000 by default). It deploys, but only an account whose quota was raised gets it. If yours was, acknowledge this warning: ' +
      'Validations.of(lake).acknowledge({ id: \'cdk-health-data-lake:ThrottlingBurstAboveAccountQuota\', reason: \'<why>\' }). ' +
      '[ack: cdk-health-data-lake:ThrottlingBurstAboveAccountQuota]',
    ]);
  });

  test('WHEN a burst token resolves to 0 at synthesis THEN synthesis fails with the same message', () => {
    const app = newApp();
    const stack = new Stack(app, 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { throttlingBurstLimit: Lazy.number({ produce: () => 0 }) });
    expect(() => app.synth()).toThrow(`${BURST_RULE} 0.`);
  });
});

describe('GIVEN reservedConcurrentExecutions', () => {
  const RULE = 'HealthDataLake: reservedConcurrentExecutions must be a whole number from 1 to 2147483647 executions per handler ' +
    '(0 would stop the handlers; leave it out to reserve none); got';

  test.each([[0, '0'], [-1, '-1'], [2.5, '2.5']])('WHEN it is %s THEN synthesis fails naming the prop, the value and the range', (value, shown) => {
    expect(refusalOf({ reservedConcurrentExecutions: value })).toBe(`${RULE} ${shown}.`);
  });

  test('WHEN it is 1 (the smallest) THEN each handler reserves it; up to 450 without a warning, above with one', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { reservedConcurrentExecutions: 1 });
    expect(handlers(stack).map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([1, 1]);

    const at = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(at, 'Lake', { reservedConcurrentExecutions: 450 });
    expect(warningIds(at)).toEqual([]);
    const above = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(above, 'Lake', { reservedConcurrentExecutions: 451 });
    expect(warningIds(above)).toEqual(['cdk-health-data-lake:ReservedConcurrencyAboveAccountQuota']);
  });

  test('WHEN it is only known at deployment THEN it passes through unchecked', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { reservedConcurrentExecutions: deployTimeNumber(stack, 'Reserved') });
    expect(handlers(stack).map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([{ Ref: 'Reserved' }, { Ref: 'Reserved' }]);
  });
});

describe('GIVEN the names of the institute attributes', () => {
  const RULE = (prop: string) => `HealthDataLake: ${prop} must be 1 to 20 letters, digits, symbols or punctuation marks ` +
    '(Cognito\'s rule for custom attribute names, without the custom: prefix); got';

  test.each([
    [{ readAttributeName: 'custom:read' }, 'HealthDataLake: readAttributeName must be the attribute name without the custom: prefix; ' +
      'got \'custom:read\'. Pass \'read\': the construct adds the prefix (the ID token claim is then custom:read).'],
    [{ writeAttributeName: 'read institute' }, `${RULE('writeAttributeName')} 'read institute' (it contains white space).`],
    [{ readAttributeName: 'r\u0001' }, `${RULE('readAttributeName')} 'r\u0001' (it contains a control or separator character).`],
    [{ readAttributeName: 'a'.repeat(21) }, `${RULE('readAttributeName')} '${'a'.repeat(21)}' (21 characters).`],
    [{ writeAttributeName: '' }, `${RULE('writeAttributeName')} '' (an empty name).`],
    [{ readAttributeName: 'write' }, 'HealthDataLake: readAttributeName must be different from writeAttributeName; got \'write\' for both ' +
      '(writeAttributeName is the default \'write\'). Each institute attribute needs its own name: give the other one another name.'],
    [{ writeAttributeName: 'read' }, 'HealthDataLake: readAttributeName must be different from writeAttributeName; got \'read\' for both ' +
      '(readAttributeName is the default \'read\'). Each institute attribute needs its own name: give the other one another name.'],
  ])('WHEN %j THEN synthesis fails naming the prop, the value and the rule', (props, message) => {
    expect(refusalOf(props)).toBe(message);
  });

  test('WHEN a name has 20 characters (the longest) or letters of any script THEN the pool and the claims use it', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    const lake = new HealthDataLake(stack, 'Lake', { readAttributeName: 'r'.repeat(20), writeAttributeName: 'écriture' });
    expect(lake.readClaim).toBe(`custom:${'r'.repeat(20)}`);
    expect(lake.writeClaim).toBe('custom:écriture');
    const [pool] = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPool'));
    expect(pool.Properties.Schema.map((a: { Name: string }) => a.Name)).toEqual(expect.arrayContaining(['r'.repeat(20), 'écriture']));
  });
});

describe('GIVEN removalPolicy', () => {
  test.each([
    [RemovalPolicy.SNAPSHOT, 'HealthDataLake: removalPolicy must be RemovalPolicy.RETAIN (the default: everything is kept) or ' +
      'RemovalPolicy.DESTROY; got RemovalPolicy.SNAPSHOT. None of the lake\'s resources (a user pool, buckets, KMS keys, log groups) ' +
      'can be snapshotted, and CloudFormation refuses the policy for them.'],
    [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, 'HealthDataLake: removalPolicy must be RemovalPolicy.RETAIN (the default: everything is ' +
      'kept) or RemovalPolicy.DESTROY; got RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE. It deletes what a failed first deployment created, ' +
      'but the user pool keeps its deletion protection unless the policy is DESTROY, so that rollback could not delete it. Use RETAIN.'],
    ['archive' as RemovalPolicy, 'HealthDataLake: removalPolicy must be RemovalPolicy.RETAIN (the default: everything is kept) or ' +
      'RemovalPolicy.DESTROY; got \'archive\'.'],
  ])('WHEN it is %s THEN synthesis fails naming the prop, the value and what is allowed', (value, message) => {
    expect(refusalOf({ removalPolicy: value })).toBe(message);
  });

  test.each([RemovalPolicy.RETAIN, RemovalPolicy.DESTROY])('WHEN it is %s THEN the lake is built', (value) => {
    expect(refusalOf({ removalPolicy: value })).toBeUndefined();
  });
});

describe('GIVEN the password policy', () => {
  const MIN_LENGTH = 'HealthDataLake: passwordPolicy.minLength must be a whole number from 6 to 99 characters (Cognito\'s limits); got';
  const HISTORY = 'HealthDataLake: passwordPolicy.passwordHistorySize must be a whole number from 0 to 24 passwords (Cognito\'s limits); got';
  const TEMPORARY = 'HealthDataLake: passwordPolicy.tempPasswordValidity must be a whole number of days from 1 to 365 (1 day to 365 days, ' +
    'Cognito\'s limit); got';

  test.each([
    ['minLength 5', { minLength: 5 }, `${MIN_LENGTH} 5.`],
    ['minLength 100', { minLength: 100 }, `${MIN_LENGTH} 100.`],
    ['minLength 8.5', { minLength: 8.5 }, `${MIN_LENGTH} 8.5.`],
    ['passwordHistorySize 25', { passwordHistorySize: 25 }, `${HISTORY} 25.`],
    ['passwordHistorySize -1', { passwordHistorySize: -1 }, `${HISTORY} -1.`],
    ['tempPasswordValidity 0 days', { tempPasswordValidity: Duration.days(0) }, `${TEMPORARY} 0 days.`],
    ['tempPasswordValidity 366 days', { tempPasswordValidity: Duration.days(366) }, `${TEMPORARY} 366 days.`],
    ['tempPasswordValidity 36 hours', { tempPasswordValidity: Duration.hours(36) }, `${TEMPORARY} 1 day 12 hours (1.5 days).`],
  ])('WHEN its %s THEN synthesis fails naming the field, the value and the range', (_label, passwordPolicy, message) => {
    expect(refusalOf({ passwordPolicy })).toBe(message);
  });

  test('WHEN its values are at the boundaries THEN the pool gets them', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { passwordPolicy: { minLength: 99, passwordHistorySize: 24, tempPasswordValidity: Duration.days(365) } });
    new HealthDataLake(stack, 'Lake2', { passwordPolicy: { minLength: 6, passwordHistorySize: 0, tempPasswordValidity: Duration.days(1) } });
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPool')).map((p) => p.Properties.Policies.PasswordPolicy);
    expect(policies).toEqual([
      expect.objectContaining({ MinimumLength: 99, PasswordHistorySize: 24, TemporaryPasswordValidityDays: 365 }),
      expect.objectContaining({ MinimumLength: 6, PasswordHistorySize: 0, TemporaryPasswordValidityDays: 1 }),
    ]);
  });
});

describe('GIVEN the CORS preflight', () => {
  const RULE = 'HealthDataLake: cors.maxAge must be a whole number of seconds from 0 to 86400 (0 seconds to 1 day, API Gateway\'s limits); got';

  test.each([
    [Duration.seconds(86_401), `${RULE} 1 day 1 second (86401 seconds).`],
    [Duration.millis(1500), `${RULE} 1 second 500 millis (1.5 seconds).`],
  ])('WHEN maxAge is %s THEN synthesis fails naming the field, the value and the range', (maxAge, message) => {
    expect(refusalOf({ cors: { allowOrigins: ['https://lab.example.org'], maxAge } })).toBe(message);
  });

  test('WHEN maxAge is 1 day (the longest) THEN the API gets it', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    new HealthDataLake(stack, 'Lake', { cors: { allowOrigins: ['https://lab.example.org'], maxAge: Duration.days(1) } });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ MaxAge: 86400 }) });
  });
});

describe('GIVEN an enum prop set to a raw value no enum member has (as a JavaScript or Python app can)', () => {
  test.each([
    [{ mfa: 'SOMETIMES' as cognito.Mfa }, 'HealthDataLake: mfa must be one of Mfa.OFF, Mfa.OPTIONAL, Mfa.REQUIRED; got \'SOMETIMES\'.'],
    [{ threatProtectionMode: 'BLOCK' as cognito.StandardThreatProtectionMode }, 'HealthDataLake: threatProtectionMode must be one of ' +
      'StandardThreatProtectionMode.FULL_FUNCTION, StandardThreatProtectionMode.AUDIT_ONLY, StandardThreatProtectionMode.NO_ENFORCEMENT; got \'BLOCK\'.'],
    [{ principalTagMappingMethod: 'SDK' as any }, 'HealthDataLake: principalTagMappingMethod must be one of ' +
      'PrincipalTagMappingMethod.CUSTOM_RESOURCE, PrincipalTagMappingMethod.CLOUDFORMATION; got \'SDK\'.'],
  ])('WHEN %j THEN synthesis fails listing the members', (props, message) => {
    expect(refusalOf(props)).toBe(message);
  });

  test('WHEN logRetention is 8 days THEN synthesis fails listing the retention periods CloudWatch Logs offers', () => {
    expect(refusalOf({ logRetention: 8 as logs.RetentionDays }))
      .toMatch(/^HealthDataLake: logRetention must be one of RetentionDays\.ONE_DAY, RetentionDays\.THREE_DAYS, .*RetentionDays\.INFINITE.*; got 8\.$/);
  });
});

describe('GIVEN CDK\'s template validation turned into errors (the test apps\' context)', () => {
  test('WHEN a resource breaks its CloudFormation schema beside a lake THEN synthesis fails, and without the flag it only warns', () => {
    const build = (app: App) => {
      const stack = new Stack(app, 'Lake', { env });
      new HealthDataLake(stack, 'Lake');
      // CloudFormation's schema allows no Snapshot policy on a log group.
      new logs.CfnLogGroup(stack, 'Broken').applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
      return app;
    };
    expect(() => build(newApp()).synth()).toThrow(/DeletionPolicy must be one of Delete, Retain, RetainExceptOnCreate, got 'Snapshot'/);
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => build(new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } })).synth()).not.toThrow();
      expect(report).toHaveBeenCalledWith(expect.stringMatching(/reported as warnings[\s\S]*got 'Snapshot'/));
    } finally {
      report.mockRestore();
    }
  });
});

describe('GIVEN a bucket of your own that is not encrypted with a customer-managed key', () => {
  const ALLOWED = 'HealthDataLake: bucket must be a bucket encrypted by default with a customer-managed KMS key (SSE-KMS or DSSE-KMS); got';
  const FIX = 'Create it with encryption: s3.BucketEncryption.KMS (with your key as encryptionKey of the bucket, or none to let CDK create one).';

  test.each([
    ['S3-managed keys', s3.BucketEncryption.S3_MANAGED, `${ALLOWED} Lake/Yours, encrypted with S3-managed keys (BucketEncryption.S3_MANAGED). ${FIX}`],
    ['the AWS-managed key', s3.BucketEncryption.KMS_MANAGED, `${ALLOWED} Lake/Yours, encrypted with the AWS-managed key aws/s3 ` +
      `(BucketEncryption.KMS_MANAGED). The data perimeter needs a key whose policy the lake can extend. ${FIX}`],
    ['no default encryption set', undefined, `${ALLOWED} Lake/Yours, which sets no default encryption (S3 then uses SSE-S3, S3-managed keys). ${FIX}`],
  ])('WHEN it is created in the app with %s THEN synthesis fails saying so, not that it is imported', (_name, encryption, message) => {
    expect(refusalOf((stack) => ({ bucket: new s3.Bucket(stack, 'Yours', { encryption }) }))).toBe(message);
  });

  test('WHEN it is created with S3-managed keys and a key is passed THEN synthesis still fails (messages would not use that key)', () => {
    expect(refusalOf((stack) => ({
      bucket: new s3.Bucket(stack, 'Yours', { encryption: s3.BucketEncryption.S3_MANAGED }),
      encryptionKey: new kms.Key(stack, 'Key'),
    }))).toBe(`${ALLOWED} Lake/Yours, encrypted with S3-managed keys (BucketEncryption.S3_MANAGED). ${FIX}`);
  });

  test('WHEN it is imported without its key THEN synthesis asks for the key', () => {
    expect(refusalOf((stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Yours', 'existing-lake') }))).toBe(
      'HealthDataLake: encryptionKey must be the customer-managed KMS key of the bucket you pass; got nothing, and the bucket ' +
      'Lake/Yours is imported, so its key is not known. Pass that key as encryptionKey (for example kms.Key.fromKeyArn).');
  });

  test('WHEN its key differs from encryptionKey THEN synthesis fails naming both', () => {
    expect(refusalOf((stack) => ({
      bucket: new s3.Bucket(stack, 'Yours', { encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(stack, 'BucketKey') }),
      encryptionKey: new kms.Key(stack, 'OtherKey'),
    }))).toBe('HealthDataLake: encryptionKey must be the key the bucket Lake/Yours encrypts with (Lake/BucketKey); got Lake/OtherKey. ' +
      'Messages are stored under the bucket\'s default encryption and the institute role may use only encryptionKey: ' +
      'leave encryptionKey out, or pass the bucket\'s key.');
  });

  test('WHEN it is created with its own KMS key, passed again as encryptionKey THEN the lake is built', () => {
    expect(refusalOf((stack) => {
      const key = new kms.Key(stack, 'BucketKey');
      return { bucket: new s3.Bucket(stack, 'Yours', { encryption: s3.BucketEncryption.KMS, encryptionKey: key }), encryptionKey: key };
    })).toBeUndefined();
  });
});

describe('GIVEN every configuration the README documents, in one app with CloudFormation schema validation as errors', () => {
  const configurations: Array<[string, (stack: Stack) => HealthDataLakeProps]> = [
    ['the defaults', () => ({})],
    ['every identity prop', () => ({
      readAttributeName: 'readInstitute',
      writeAttributeName: 'writeInstitute',
      mfa: cognito.Mfa.OPTIONAL,
      threatProtectionMode: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
      passwordPolicy: { minLength: 16, requireSymbols: true, passwordHistorySize: 24, tempPasswordValidity: Duration.days(1) },
      tokenValidity: Duration.days(1),
      refreshTokenValidity: Duration.days(3650),
      principalTagMappingMethod: PrincipalTagMappingMethod.CLOUDFORMATION,
    })],
    ['MFA and threat protection off, the shortest tokens', () => ({
      mfa: cognito.Mfa.OFF,
      threatProtectionMode: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT,
      tokenValidity: Duration.minutes(5),
      refreshTokenValidity: Duration.minutes(60),
    })],
    ['an imported bucket and key, and a message reader', (stack) => ({
      bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'existing-lake'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      messageReaders: [new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() })],
    })],
    ['a bucket created in the app', (stack) => ({ bucket: new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, enforceSSL: true }) })],
    ['its own key and log bucket, destroyed with the stack, with outputs', (stack) => ({
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
      serverAccessLogsBucket: new s3.Bucket(stack, 'Logs', { enforceSSL: true }),
      removalPolicy: RemovalPolicy.DESTROY,
      createOutputs: true,
    })],
    ['every API prop at its boundaries', () => ({
      maxMessageBytes: 4_500_000,
      credentialCacheTtl: Duration.seconds(0),
      throttlingRateLimit: 0.5,
      throttlingBurstLimit: 1,
      cors: { allowOrigins: ['https://lab.example.org'], allowHeaders: ['authorization', 'content-type'], maxAge: Duration.days(1) },
      reservedConcurrentExecutions: 1,
      logRetention: logs.RetentionDays.INFINITE,
    })],
    ['the longest credential cache and the largest throttling', () => ({
      credentialCacheTtl: Duration.minutes(55), throttlingRateLimit: 10_000, throttlingBurstLimit: 5_000, logRetention: logs.RetentionDays.ONE_DAY,
    })],
    ['your VPC with subnets dedicated to the lake', dedicatedSubnetsProps],
    ['your VPC with your own S3 and Cognito Identity endpoints', ownEndpointsProps],
    ['an imported VPC, with the endpoint zones looked up', (stack) => ({
      ...importedVpcProps(stack),
      lookupSupportedAzs: true,
    })],
  ];

  test('WHEN the app is synthesized THEN every stack passes CloudFormation\'s schemas', () => {
    const app = new App({
      context: {
        ...TEST_APP_CONTEXT,
        // What the CLI would look up (the region's zones; those offering Cognito Identity), as cdk.context.json holds it.
        'availability-zones:account=111122223333:region=eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
        'endpoint-service-availability-zones:account=111122223333:region=eu-west-1:serviceName=com.amazonaws.eu-west-1.cognito-identity':
          ['eu-west-1a', 'eu-west-1b'],
      },
    });
    configurations.forEach(([_name, props], index) => {
      const stack = new Stack(app, `Configuration${index}`, { env });
      new HealthDataLake(stack, 'Lake', props(stack));
    });
    const assembly = app.synth();
    expect(assembly.stacks.map((stack) => stack.stackName)).toHaveLength(configurations.length);
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });
});

describe('GIVEN a prop of the wrong type, as a JavaScript or Python app can pass it', () => {
  /** A bucket, a key and a role of the app, to pass where another kind of thing is expected. */
  const bucketOf = (stack: Stack) => new s3.Bucket(stack, 'Other');
  const keyOf = (stack: Stack) => new kms.Key(stack, 'OtherKey');
  const roleOf = (stack: Stack) => new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  type Value = unknown | ((stack: Stack) => unknown);
  const cases: Array<[string, Value, string]> = [
    ['readAttributeName', 15, '15'],
    ['readAttributeName', {}, '{}'],
    ['writeAttributeName', true, 'true'],
    ['mfa', 15, '15'],
    ['mfa', {}, '{}'],
    ['threatProtectionMode', 1, '1'],
    ['passwordPolicy', 15, '15'],
    ['passwordPolicy', 'strong', '\'strong\''],
    ['passwordPolicy', [], '[]'],
    ['passwordPolicy.minLength', '16', '\'16\''],
    ['passwordPolicy.requireSymbols', 'yes', '\'yes\''],
    ['passwordPolicy.tempPasswordValidity', 3, '3'],
    ['passwordPolicy.passwordHistorySize', '5', '\'5\''],
    ['tokenValidity', 15, '15'],
    ['tokenValidity', '15 minutes', '\'15 minutes\''],
    ['tokenValidity', { minutes: 15 }, '{"minutes":15}'],
    ['refreshTokenValidity', 1, '1'],
    ['principalTagMappingMethod', 0, '0'],
    ['bucket', 'existing-lake', '\'existing-lake\''],
    ['bucket', {}, '{}'],
    ['bucket', keyOf, 'the construct at \'Lake/OtherKey\''],
    ['encryptionKey', 'arn:aws:kms:eu-west-1:111122223333:key/1234', '\'arn:aws:kms:eu-west-1:111122223333:key/1234\''],
    ['encryptionKey', bucketOf, 'the construct at \'Lake/Other\''],
    ['serverAccessLogsBucket', 15, '15'],
    ['messageReaders', roleOf, 'the construct at \'Lake/Reader\''],
    ['messageReaders', 'arn:aws:iam::111122223333:role/reader', '\'arn:aws:iam::111122223333:role/reader\''],
    ['messageReaders[0]', (stack: Stack) => [bucketOf(stack)], 'the construct at \'Lake/Other\''],
    ['messageReaders[1]', (stack: Stack) => [roleOf(stack), 'arn:aws:iam::111122223333:role/reader'], '\'arn:aws:iam::111122223333:role/reader\''],
    ['removalPolicy', 15, '15'],
    ['removalPolicy', {}, '{}'],
    ['createOutputs', 'yes', '\'yes\''],
    ['createOutputs', 1, '1'],
    ['lakeName', 15, '15'],
    ['maxMessageBytes', '1000', '\'1000\''],
    ['maxMessageBytes', {}, '{}'],
    ['credentialCacheTtl', 60, '60'],
    ['throttlingRateLimit', '50', '\'50\''],
    ['throttlingBurstLimit', Duration.seconds(1), 'a Duration of 1 second'],
    ['cors', 'https://lab.example.org', '\'https://lab.example.org\''],
    ['cors.maxAge', 600, '600'],
    ['cors.allowOrigins', 'https://lab.example.org', '\'https://lab.example.org\''],
    ['cors.allowCredentials', 'yes', '\'yes\''],
    ['reservedConcurrentExecutions', '5', '\'5\''],
    ['vpc', 'vpc-0123456789abcdef0', '\'vpc-0123456789abcdef0\''],
    ['vpc', bucketOf, 'the construct at \'Lake/Other\''],
    ['vpcSubnets', 'subnet-1', '\'subnet-1\''],
    ['s3Endpoint', 'vpce-1', '\'vpce-1\''],
    ['cognitoIdentityEndpoint', {}, '{}'],
    ['lookupSupportedAzs', 'true', '\'true\''],
    ['logRetention', '365', '\'365\''],
  ];

  /** The props with `value` at `path` (`a`, `a.b` or `a[1]`); a function of the stack is called first. */
  const propsWith = (path: string, value: Value) => (stack: Stack): HealthDataLakeProps => {
    const given = typeof value === 'function' ? (value as (s: Stack) => unknown)(stack) : value;
    const [prop, field] = path.replace(/\[\d+\]$/, '').split('.');
    const base: Record<string, unknown> = prop === 'cors' && field ? { allowOrigins: ['https://lab.example.org'] } : {};
    return { [prop]: field ? { ...base, [field]: given } : given } as HealthDataLakeProps;
  };

  test.each(cases)('WHEN %s is %p THEN synthesis fails naming the prop and the value, not with a TypeError', (path, value, shownValue) => {
    const message = refusalOf(propsWith(path, value));
    expect(message).toMatch(new RegExp(`^HealthDataLake: ${path.replace(/[.[\]]/g, '\\$&')} must be `));
    expect(message).toContain(`; got ${shownValue}.`);
  });

  test('WHEN tokenValidity is a number of minutes THEN the message says it takes a Duration', () => {
    expect(refusalOf({ tokenValidity: 15 as unknown as Duration })).toBe(
      'HealthDataLake: tokenValidity must be a Duration, such as Duration.minutes(15); got 15.');
  });

  test('WHEN a message reader is a bucket THEN the message points at a role', () => {
    expect(refusalOf((stack) => ({ messageReaders: [bucketOf(stack) as unknown as iam.IRole] }))).toBe(
      'HealthDataLake: messageReaders[0] must be an iam.IRole (a Role of the app, or one imported with Role.fromRoleArn); ' +
      'got the construct at \'Lake/Other\'.');
  });

  test.each([[15, '15'], ['all', '\'all\''], [[], '[]']])('WHEN the props are %p THEN synthesis fails naming them', (props, shownValue) => {
    expect(refusalOf(props as HealthDataLakeProps)).toBe(
      `HealthDataLake: props must be an object of HealthDataLakeProps, such as { mfa: Mfa.REQUIRED }, or left out; got ${shownValue}.`);
  });

  test('WHEN the props, or any prop, are null (JavaScript) THEN it is as if they were left out: the secure defaults', () => {
    const template = (props: HealthDataLakeProps | null) => {
      const stack = new Stack(newApp(), 'Lake', { env });
      new HealthDataLake(stack, 'Lake', props as HealthDataLakeProps);
      return JSON.stringify(Template.fromStack(stack).toJSON());
    };
    const nulls = Object.fromEntries(['mfa', 'passwordPolicy', 'tokenValidity', 'bucket', 'encryptionKey', 'messageReaders',
      'removalPolicy', 'createOutputs', 'vpc', 'logRetention', 'cors'].map((prop) => [prop, null]));
    const defaults = template({});
    expect(template(null)).toBe(defaults);
    expect(template(nulls as HealthDataLakeProps)).toBe(defaults);
    expect(template({ passwordPolicy: { minLength: null, requireSymbols: null, tempPasswordValidity: null } } as any)).toBe(defaults);
  });
});
