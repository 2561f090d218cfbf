import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { HealthDataLake, HealthDataLakeProps } from '../../src';
import { unacknowledgedFindings } from '../support/nag';
import { lakeStack, newApp } from '../support/stacks';
import { onlyResource } from '../support/template';

describe('GIVEN a HealthDataLake with default props', () => {
  const template = Template.fromStack(lakeStack().stack);
  const userPool = onlyResource(template, 'AWS::Cognito::UserPool');
  const client = onlyResource(template, 'AWS::Cognito::UserPoolClient');

  test('THEN only administrators can create users, who sign in with their email address', () => {
    expect(userPool.Properties.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(userPool.Properties.UsernameAttributes).toEqual(['email']);
  });

  test('THEN the read and write institutes are custom string attributes that administrators can change', () => {
    const schema = Object.fromEntries(userPool.Properties.Schema.map((a: any) => [a.Name, a]));
    expect(schema.read).toMatchObject({ AttributeDataType: 'String', Mutable: true });
    expect(schema.write).toMatchObject({ AttributeDataType: 'String', Mutable: true });
  });

  test('THEN the password policy is strong, MFA is required (TOTP only) and threat protection is enforced', () => {
    expect(userPool.Properties.Policies.PasswordPolicy).toEqual({
      MinimumLength: 14,
      RequireLowercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      RequireUppercase: true,
      TemporaryPasswordValidityDays: 3,
    });
    expect(userPool.Properties.MfaConfiguration).toBe('ON');
    expect(userPool.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(userPool.Properties.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
    expect(userPool.Properties.UserPoolTier).toBe('PLUS');
  });

  test('THEN the user pool has deletion protection and is kept when the stack is deleted', () => {
    expect(userPool.Properties.DeletionProtection).toBe('ACTIVE');
    expect(userPool.DeletionPolicy).toBe('Retain');
    expect(userPool.UpdateReplacePolicy).toBe('Retain');
  });

  test('THEN the app client has no secret, SRP and admin auth only, no OAuth flows, and hides user existence', () => {
    expect(client.Properties.GenerateSecret).toBe(false);
    expect(client.Properties.ExplicitAuthFlows.sort()).toEqual(
      ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(client.Properties.AllowedOAuthFlows).toBeUndefined();
    expect(client.Properties.CallbackURLs).toBeUndefined();
    expect(client.Properties.PreventUserExistenceErrors).toBe('ENABLED');
  });

  test('THEN the app client can read the institute attributes but no user can write them', () => {
    expect(client.Properties.ReadAttributes).toEqual(expect.arrayContaining(['custom:read', 'custom:write']));
    // An explicit, non-empty list: an absent WriteAttributes would mean "all writable attributes".
    expect(client.Properties.WriteAttributes).toEqual(['name']);
    expect(client.Properties.WriteAttributes).not.toContain('custom:read');
    expect(client.Properties.WriteAttributes).not.toContain('custom:write');
  });
  test('THEN ID and access tokens live 15 minutes and the refresh token 1 day', () => {
    expect(client.Properties).toMatchObject({
      IdTokenValidity: 15,
      AccessTokenValidity: 15,
      RefreshTokenValidity: 1440,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  test('THEN refresh tokens rotate on every refresh, with a short retry grace period, and can be revoked', () => {
    expect(client.Properties.RefreshTokenRotation).toEqual({ Feature: 'ENABLED', RetryGracePeriodSeconds: 10 });
    // Rotation needs the Essentials or Plus feature plan, and refreshes through GetTokensFromRefreshToken only.
    expect(['ESSENTIALS', 'PLUS']).toContain(userPool.Properties.UserPoolTier);
    expect(client.Properties.ExplicitAuthFlows).not.toContain('ALLOW_REFRESH_TOKEN_AUTH');
    expect(client.Properties.EnableTokenRevocation).toBe(true);
  });

  test('THEN the lake\'s own configuration raises no warning', () => {
    expect(Annotations.fromStack(lakeStack().stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('GIVEN token lifetimes', () => {
  const clientOf = (props: HealthDataLakeProps) => onlyResource(Template.fromStack(lakeStack(props).stack), 'AWS::Cognito::UserPoolClient');

  test('WHEN they are set THEN the ID and access tokens and the refresh token follow them', () => {
    expect(clientOf({ tokenValidity: Duration.minutes(5), refreshTokenValidity: Duration.days(30) }).Properties).toMatchObject({
      IdTokenValidity: 5, AccessTokenValidity: 5, RefreshTokenValidity: 43200,
    });
    expect(clientOf({ tokenValidity: Duration.days(1), refreshTokenValidity: Duration.days(1) }).Properties).toMatchObject({
      IdTokenValidity: 1440, AccessTokenValidity: 1440, RefreshTokenValidity: 1440,
    });
  });

  test.each([
    ['tokenValidity 4 minutes', { tokenValidity: Duration.minutes(4) },
      'HealthDataLake: tokenValidity must be a whole number of minutes from 5 to 1440 (5 minutes to 1 day, Cognito\'s limits for ID and access tokens); got 4 minutes.'],
    ['tokenValidity 25 hours', { tokenValidity: Duration.hours(25) },
      'HealthDataLake: tokenValidity must be a whole number of minutes from 5 to 1440 (5 minutes to 1 day, Cognito\'s limits for ID and access tokens); got 1 day 1 hour (1500 minutes).'],
    ['tokenValidity 330 seconds', { tokenValidity: Duration.seconds(330) },
      'HealthDataLake: tokenValidity must be a whole number of minutes from 5 to 1440 (5 minutes to 1 day, Cognito\'s limits for ID and access tokens); got 5 minutes 30 seconds (5.5 minutes).'],
    ['refreshTokenValidity 59 minutes', { refreshTokenValidity: Duration.minutes(59) },
      'HealthDataLake: refreshTokenValidity must be a whole number of minutes from 60 to 5256000 (1 hour to 3650 days, Cognito\'s limits for refresh tokens); got 59 minutes.'],
    ['refreshTokenValidity 3651 days', { refreshTokenValidity: Duration.days(3651) },
      'HealthDataLake: refreshTokenValidity must be a whole number of minutes from 60 to 5256000 (1 hour to 3650 days, Cognito\'s limits for refresh tokens); got 3651 days (5257440 minutes).'],
    ['a refresh token shorter than the tokens', { tokenValidity: Duration.hours(2), refreshTokenValidity: Duration.hours(1) },
      'HealthDataLake: refreshTokenValidity must be at least tokenValidity (2 hours); got 1 hour. A refresh token that ends before the tokens it renews renews nothing.'],
  ])('WHEN %s is asked for THEN synthesis refuses it, naming the prop, the value and the range', (_name, props, message) => {
    expect(() => lakeStack(props)).toThrow(message);
  });

  test('WHEN one is only known at deployment THEN synthesis refuses it with the range (the app client needs whole minutes)', () => {
    const app = newApp();
    const stack = new Stack(app, 'Tokens');
    const minutes = new CfnParameter(stack, 'TokenMinutes', { type: 'Number' }).valueAsNumber;
    expect(() => new HealthDataLake(stack, 'Lake', { tokenValidity: Duration.minutes(minutes) })).toThrow(
      'HealthDataLake: tokenValidity must be a literal duration: a whole number of minutes from 5 to 1440 (5 minutes to 1 day, ' +
      'Cognito\'s limits for ID and access tokens); got a value only known at deployment. The construct converts tokenValidity to minutes at synthesis.');
    expect(() => new HealthDataLake(stack, 'Lake2', { refreshTokenValidity: Duration.millis(minutes) })).toThrow(
      'HealthDataLake: refreshTokenValidity must be a literal duration: a whole number of minutes from 60 to 5256000 (1 hour to 3650 days, ' +
      'Cognito\'s limits for refresh tokens); got a value only known at deployment. The construct converts refreshTokenValidity to minutes at synthesis.');
  });
});

describe('GIVEN another app client of the lake\'s user pool', () => {
  const institutes = /custom:read and custom:write/;
  /** The message synthesis fails with (empty when it succeeds). */
  const synthesisError = (app: App): string => {
    try {
      app.synth();
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  test('WHEN it is added with default settings THEN synthesis fails, naming the client and the attributes', () => {
    const { app, lake } = lakeStack();
    lake.userPool.addClient('Portal');
    const error = synthesisError(app);
    expect(error).toMatch(/the app client Lake\/HealthDataLake\/Users\/UserPool\/Portal of the lake's user pool has no writeAttributes/);
    expect(error).toMatch(institutes);
  });

  test('WHEN it is created elsewhere in the app, in another stack, without writeAttributes THEN synthesis fails, naming it', () => {
    const { app, lake } = lakeStack();
    const other = new Stack(app, 'Portal', { env: { account: '111122223333', region: 'eu-west-1' } });
    new cognito.UserPoolClient(other, 'X', { userPool: lake.userPool });
    expect(synthesisError(app)).toMatch(/the app client Portal\/X of the lake's user pool has no writeAttributes/);
  });

  test('WHEN it is a low-level CfnUserPoolClient without WriteAttributes THEN synthesis fails, naming it', () => {
    const { app, stack, lake } = lakeStack();
    new cognito.CfnUserPoolClient(stack, 'Raw', { userPoolId: lake.userPool.userPoolId });
    expect(() => Template.fromStack(stack)).toThrow(/the app client Lake\/Raw of the lake's user pool has no writeAttributes/);
    expect(synthesisError(app)).toMatch(institutes);
  });

  test('WHEN it lists an institute attribute among its writeAttributes THEN synthesis fails, naming that attribute', () => {
    const { app, lake } = lakeStack();
    lake.userPool.addClient('Portal', {
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }).withCustomAttributes('write'),
    });
    expect(synthesisError(app)).toMatch(/the app client Lake\/HealthDataLake\/Users\/UserPool\/Portal of the lake's user pool lets its users write custom:write:/);
  });

  test('WHEN the attribute names are custom THEN the rule follows them', () => {
    const { app, lake } = lakeStack({ readAttributeName: 'readInstitute', writeAttributeName: 'writeInstitute' });
    lake.userPool.addClient('Portal', {
      writeAttributes: new cognito.ClientAttributes().withCustomAttributes('readInstitute', 'write'),
    });
    expect(synthesisError(app)).toMatch(/lets its users write custom:readInstitute:/);
  });

  test('WHEN its writeAttributes are an empty list THEN synthesis fails as for none', () => {
    const { app, lake } = lakeStack();
    lake.userPool.addClient('Portal', { writeAttributes: new cognito.ClientAttributes() });
    expect(synthesisError(app)).toMatch(/Portal of the lake's user pool has no writeAttributes/);
  });

  test('WHEN its writeAttributes are only known at deployment THEN synthesis fails, since it cannot prove them safe', () => {
    const { app, stack, lake } = lakeStack();
    const attributes = new CfnParameter(stack, 'Attributes', { type: 'CommaDelimitedList' }).valueAsList;
    new cognito.CfnUserPoolClient(stack, 'Raw', { userPoolId: lake.userPool.userPoolId, writeAttributes: attributes });
    expect(synthesisError(app)).toMatch(
      /the writeAttributes of the app client Lake\/Raw of the lake's user pool are only known at deployment, so synthesis cannot prove that custom:read and custom:write are left out/);
  });

  test('WHEN it lists only safe writeAttributes THEN synthesis succeeds', () => {
    const { app, lake } = lakeStack();
    lake.userPool.addClient('Portal', {
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true, phoneNumber: true }),
    });
    expect(synthesisError(app)).toBe('');
  });

  test('WHEN a client belongs to another user pool THEN the lake leaves it alone', () => {
    const { app, stack } = lakeStack();
    new cognito.UserPool(stack, 'OtherPool').addClient('Portal');
    expect(synthesisError(app)).toBe('');
  });
});

describe('GIVEN custom attribute names', () => {
  const { stack, lake } = lakeStack({ readAttributeName: 'readInstitute', writeAttributeName: 'writeInstitute' });
  const client = onlyResource(Template.fromStack(stack), 'AWS::Cognito::UserPoolClient');

  test('THEN the claims and the client attributes follow them', () => {
    expect(lake.readClaim).toBe('custom:readInstitute');
    expect(lake.writeClaim).toBe('custom:writeInstitute');
    expect(client.Properties.ReadAttributes).toEqual(expect.arrayContaining(['custom:readInstitute', 'custom:writeInstitute']));
    expect(client.Properties.WriteAttributes).toEqual(['name']);
  });

  test('WHEN both names are equal THEN the construct refuses them', () => {
    expect(() => lakeStack({ readAttributeName: 'institute', writeAttributeName: 'institute' })).toThrow("HealthDataLake: readAttributeName must be different from writeAttributeName; got 'institute' for both. " +
      'Each institute attribute needs its own name: give the other one another name.');
  });
});

describe('GIVEN MFA and threat protection turned off explicitly', () => {
  const { stack, lake } = lakeStack({ mfa: cognito.Mfa.OFF, threatProtectionMode: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT });
  const userPool = onlyResource(Template.fromStack(stack), 'AWS::Cognito::UserPool');

  test('THEN the user pool follows the opt-out', () => {
    expect(userPool.Properties.MfaConfiguration).toBe('OFF');
    expect(userPool.Properties.UserPoolTier).toBe('ESSENTIALS');
    expect(userPool.Properties.UserPoolAddOns).toBeUndefined();
  });

  test('THEN the construct acknowledges nothing for it: cdk-nag reports the opt-outs on the user pool', () => {
    expect(unacknowledgedFindings(stack)).toEqual([
      'AwsSolutions-COG2 at Lake/HealthDataLake/Users/UserPool/Resource',
      'AwsSolutions-COG8 at Lake/HealthDataLake/Users/UserPool/Resource',
    ]);
  });

  test('THEN a warning on the user pool says what was turned off and how the app acknowledges it', () => {
    const warnings = Annotations.fromStack(stack);
    warnings.hasWarning('/Lake/HealthDataLake/Users/UserPool', Match.stringLikeRegexp(
      '^MFA is turned off \\(prop mfa = Mfa.OFF\\).*AwsSolutions-COG2.*Validations.of\\(lake.userPool\\).acknowledge\\(' +
      ".*'AwsSolutions-COG2'.*'cdk-health-data-lake:MfaNotRequired'.*\\[ack: cdk-health-data-lake:MfaNotRequired\\]$"));
    warnings.hasWarning('/Lake/HealthDataLake/Users/UserPool', Match.stringLikeRegexp(
      '^Threat protection is turned off .*StandardThreatProtectionMode.NO_ENFORCEMENT.*risky sign-ins are not blocked, and cdk-nag reports AwsSolutions-COG8 on the user pool.*' +
      "'AwsSolutions-COG8'.*'cdk-health-data-lake:ThreatProtectionNotEnforced'.*\\[ack: cdk-health-data-lake:ThreatProtectionNotEnforced\\]$"));
    expect(lake.userPool.node.path).toBe('Lake/HealthDataLake/Users/UserPool');
  });
});

describe('GIVEN MFA optional and threat protection only auditing', () => {
  const { stack } = lakeStack({ mfa: cognito.Mfa.OPTIONAL, threatProtectionMode: cognito.StandardThreatProtectionMode.AUDIT_ONLY });

  test('THEN cdk-nag reports the MFA opt-out, and a warning names each opt-out, the audit-only one included', () => {
    // Audit-only keeps the Plus feature plan, which is all cdk-nag checks: only the warning shows it.
    expect(unacknowledgedFindings(stack)).toEqual(['AwsSolutions-COG2 at Lake/HealthDataLake/Users/UserPool/Resource']);
    const warnings = Annotations.fromStack(stack);
    warnings.hasWarning('/Lake/HealthDataLake/Users/UserPool', Match.stringLikeRegexp('^MFA is optional \\(prop mfa = Mfa.OPTIONAL\\)'));
    warnings.hasWarning('/Lake/HealthDataLake/Users/UserPool', Match.stringLikeRegexp(
      "^Threat protection is only auditing .*AUDIT_ONLY.*acknowledge\\(\\{ id: 'cdk-health-data-lake:ThreatProtectionNotEnforced'"));
  });
});
