import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { lakeStack } from './support/stacks';
import { checkControls } from '../src/cli/report/controls';
import { findLakes } from '../src/cli/report/lakes';
import { countOf } from '../src/contracts/wording';

describe('durations in words', () => {
  test.each([
    [{ tokenValidity: Duration.minutes(1) }, 'got 1 minute.'],
    [{ refreshTokenValidity: Duration.minutes(1) }, 'got 1 minute.'],
    [{ tokenValidity: Duration.days(2) }, 'got 2 days (2880 minutes).'],
    [{ tokenValidity: Duration.seconds(90) }, 'got 1 minute 30 seconds (1.5 minutes).'],
  ])('GIVEN %p WHEN the construct refuses it THEN the value is worded once, in the right number', (props, ending) => {
    expect(() => lakeStack(props)).toThrow(ending);
  });

  test('GIVEN counts WHEN worded THEN one is singular, every other count plural', () => {
    expect([0, 1, 2, 1.5].map((count) => countOf(count, 'second'))).toEqual(['0 seconds', '1 second', '2 seconds', '1.5 seconds']);
    expect(countOf(1, 'day')).toBe('1 day');
  });
});

describe('durations in words: the compliance report', () => {
  const template = Template.fromStack(lakeStack().stack).toJSON() as any;
  const resources = Object.values(template.Resources) as any[];
  for (const resource of resources) {
    if (resource.Type === 'AWS::Cognito::UserPool') resource.Properties.Policies.PasswordPolicy.TemporaryPasswordValidityDays = 1;
    if (resource.Properties?.Environment?.Variables?.CREDENTIAL_CACHE_TTL_SECONDS !== undefined) {
      resource.Properties.Environment.Variables.CREDENTIAL_CACHE_TTL_SECONDS = '1';
    }
  }
  const logGroup = resources.find((resource) => resource.Type === 'AWS::Logs::LogGroup' && resource.Properties.RetentionInDays !== undefined);
  logGroup.Properties.RetentionInDays = 1;
  const lakes = findLakes([{ stackName: 'Lake', file: 'Lake.template.json', template }]);
  const controls = Object.fromEntries(checkControls(lakes[0]).map((control) => [control.id, control]));

  test.each([
    ['identity.password-policy', 'temporary passwords are valid 1 day.'],
    ['identity.revocation-delay', 'after at most 1 second (CREDENTIAL_CACHE_TTL_SECONDS), so a signed-out or deleted user is refused within 1 second;'],
    ['audit.log-retention', ' (1 day) keeps logs less than'],
  ])('GIVEN a template with a count of one WHEN %s is checked THEN its detail says %j', (id, words) => {
    expect(controls[id].detail).toContain(words);
    expect(controls[id].detail).not.toMatch(/\b1 (days|seconds)\b/);
  });
});
