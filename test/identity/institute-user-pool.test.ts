import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { lakeStack } from '../support/stacks';
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
      ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
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
    expect(() => lakeStack({ readAttributeName: 'institute', writeAttributeName: 'institute' })).toThrow(/must differ/);
  });
});

describe('GIVEN MFA and threat protection turned off explicitly', () => {
  const { stack } = lakeStack({ mfa: cognito.Mfa.OFF, threatProtectionMode: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT });
  const userPool = onlyResource(Template.fromStack(stack), 'AWS::Cognito::UserPool');

  test('THEN the user pool follows the opt-out', () => {
    expect(userPool.Properties.MfaConfiguration).toBe('OFF');
    expect(userPool.Properties.UserPoolTier).toBe('ESSENTIALS');
    expect(userPool.Properties.UserPoolAddOns).toBeUndefined();
  });
});
