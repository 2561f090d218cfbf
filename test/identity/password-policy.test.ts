import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { HealthDataLake } from '../../src';
import { unacknowledgedFindings } from '../support/nag';
import { newApp } from '../support/stacks';
import { onlyResource } from '../support/template';

/** The lake's password policy when the app gives none, as CloudFormation gets it. */
const SECURE = {
  MinimumLength: 14,
  RequireLowercase: true,
  RequireUppercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
  TemporaryPasswordValidityDays: 3,
};

function lakeWith(passwordPolicy: cognito.PasswordPolicy | undefined) {
  const stack = new Stack(newApp(), 'Lake', { env: { account: '111122223333', region: 'eu-west-1' } });
  const lake = new HealthDataLake(stack, 'Lake', { passwordPolicy });
  const policy = onlyResource(Template.fromStack(stack), 'AWS::Cognito::UserPool').Properties.Policies.PasswordPolicy;
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
  return { stack, lake, policy, warnings };
}

const WEAKER_ID = 'cdk-health-data-lake:WeakerPasswordPolicy';

describe('GIVEN a password policy that gives some fields', () => {
  test.each<[string, cognito.PasswordPolicy | undefined, Record<string, unknown>]>([
    ['none', undefined, {}],
    ['an empty one', {}, {}],
    ['a longer minimum only', { minLength: 16 }, { MinimumLength: 16 }],
    ['the longest minimum only', { minLength: 99 }, { MinimumLength: 99 }],
    ['a shorter temporary password validity only', { tempPasswordValidity: Duration.days(1) }, { TemporaryPasswordValidityDays: 1 }],
    ['a password history only', { passwordHistorySize: 5 }, { PasswordHistorySize: 5 }],
    ['every character class again', { requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true }, {}],
    ['a longer minimum and a shorter validity', { minLength: 20, tempPasswordValidity: Duration.days(2) },
      { MinimumLength: 20, TemporaryPasswordValidityDays: 2 }],
  ])('WHEN it is %s THEN every other field keeps the secure default, and no warning', (_name, given, overrides) => {
    const { policy, warnings } = lakeWith(given);
    expect(policy).toEqual({ ...SECURE, ...overrides });
    expect(warnings).toEqual([]);
  });
});

describe('GIVEN a password policy that weakens a field explicitly', () => {
  const cog1 = 'AwsSolutions-COG1 at Lake/Lake/Users/UserPool/Resource';
  test.each<[string, cognito.PasswordPolicy, Record<string, unknown>, string, string[]]>([
    ['a shorter minimum', { minLength: 8 }, { MinimumLength: 8 }, 'minLength 8 (the default is 14)', []],
    ['a minimum cdk-nag refuses', { minLength: 6 }, { MinimumLength: 6 }, 'minLength 6 (the default is 14)', [cog1]],
    ['no lower case', { requireLowercase: false }, { RequireLowercase: false }, 'requireLowercase false', []],
    ['no upper case', { requireUppercase: false }, { RequireUppercase: false }, 'requireUppercase false', [cog1]],
    ['no digits', { requireDigits: false }, { RequireNumbers: false }, 'requireDigits false', [cog1]],
    ['no symbols', { requireSymbols: false }, { RequireSymbols: false }, 'requireSymbols false', [cog1]],
    ['a longer temporary password validity', { tempPasswordValidity: Duration.days(7) }, { TemporaryPasswordValidityDays: 7 },
      'tempPasswordValidity 7 days (the default is 3 days)', []],
  ])('WHEN it is %s THEN the app\'s value wins, the rest keeps the default, and a warning names it', (_name, given, overrides, named, findings) => {
    const { stack, policy, warnings } = lakeWith(given);
    expect(policy).toEqual({ ...SECURE, ...overrides });
    expect(warnings).toEqual([
      `The password policy is weaker than the lake's default in ${named}. ` +
      (findings.length ? 'cdk-nag reports AwsSolutions-COG1 on the user pool. ' : '') +
      'If this is your decision, acknowledge it in your app: Validations.of(lake.userPool).acknowledge(' +
      (findings.length ? "{ id: 'AwsSolutions-COG1', reason: '<why>' }, " : '') +
      `{ id: '${WEAKER_ID}', reason: '<why>' }). [ack: ${WEAKER_ID}]`,
    ]);
    expect(unacknowledgedFindings(stack)).toEqual(findings);
  });

  test('WHEN several fields are weaker THEN one warning names each, and acknowledging it leaves nothing', () => {
    const { stack, lake, warnings } = lakeWith({ minLength: 10, requireSymbols: false, tempPasswordValidity: Duration.days(5) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('weaker than the lake\'s default in minLength 10 (the default is 14), requireSymbols false, ' +
      'tempPasswordValidity 5 days (the default is 3 days).');
    Validations.of(lake.userPool).acknowledge(
      { id: WEAKER_ID, reason: 'Passwords are a second factor behind the hospital SSO.' },
      { id: 'AwsSolutions-COG1', reason: 'Passwords are a second factor behind the hospital SSO.' },
    );
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });
});
