import * as fs from 'fs';
import * as path from 'path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
import { HealthDataLake, HealthDataLakeProps, PrincipalTagMappingMethod } from '../src';
import { unacknowledgedFindings } from './support/nag';
import { TEST_APP_CONTEXT } from './support/stacks';

/**
 * The feature flags `cdk init` writes into a new app's cdk.json: the CLI copies the recommended flags
 * of the aws-cdk-lib it was built with, which aws-cdk-lib ships as recommended-feature-flags.json.
 */
const CDK_INIT_FLAGS: Record<string, unknown> = JSON.parse(fs.readFileSync(
  path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'recommended-feature-flags.json'), 'utf8'));

const contexts: Array<[string, Record<string, unknown>]> = [
  ['no feature flags', TEST_APP_CONTEXT],
  ['the feature flags of cdk init', { ...CDK_INIT_FLAGS, ...TEST_APP_CONTEXT }],
];

const configurations: Array<[string, HealthDataLakeProps]> = [
  ['the default lake', {}],
  ['a lake whose resources are destroyed with the stack', { removalPolicy: RemovalPolicy.DESTROY }],
  ['the native principal-tag mapping', { principalTagMappingMethod: PrincipalTagMappingMethod.CLOUDFORMATION }],
];

describe.each(contexts)('GIVEN an app with %s and template validation as errors', (_name, context) => {
  test('THEN the flags of cdk init include the one that gives every Lambda function a log group of its own', () => {
    expect(CDK_INIT_FLAGS['@aws-cdk/aws-lambda:useCdkManagedLogGroup']).toBe(true);
  });

  describe.each(configurations)('WHEN it holds %s', (_config, props) => {
    const build = () => {
      const app = new App({ context });
      const stack = new Stack(app, 'Lake', { env: { account: '111122223333', region: 'eu-west-1' } });
      new HealthDataLake(stack, 'Lake', props);
      return { app, stack };
    };

    test('THEN the three compliance packs report nothing unacknowledged, and the app synthesizes', () => {
      const { app, stack } = build();
      expect(unacknowledgedFindings(stack)).toEqual([]);
      expect(() => app.synth()).not.toThrow();
    });

    test('THEN every log group is encrypted with the lake\'s logs key, kept a year, and removed only as the lake\'s removalPolicy says', () => {
      const { stack } = build();
      const groups = Template.fromStack(stack).findResources('AWS::Logs::LogGroup');
      const deletionPolicy = props.removalPolicy === RemovalPolicy.DESTROY ? 'Delete' : 'Retain';
      expect(Object.values(groups).map((group) => ({
        key: group.Properties.KmsKeyId, days: group.Properties.RetentionInDays, deletion: group.DeletionPolicy,
      }))).toEqual(Object.keys(groups).map(() => ({
        key: { 'Fn::GetAtt': [expect.stringMatching(/^LakeLogsKey/), 'Arn'] }, days: 365, deletion: deletionPolicy,
      })));
    });

    test('THEN the function of the principal-tag custom resource writes to the lake\'s encrypted log group', () => {
      const { stack } = build();
      const template = Template.fromStack(stack);
      const logGroupOf = (prefix: string) => Object.entries(template.findResources('AWS::Lambda::Function'))
        .filter(([id]) => id.startsWith(prefix)).map(([, fn]) => fn.Properties.LoggingConfig?.LogGroup);
      const expected = props.principalTagMappingMethod === PrincipalTagMappingMethod.CLOUDFORMATION
        ? [] : [{ Ref: expect.stringMatching(/^LakeIdentitiesPrincipalTagsLogs/) }];
      expect(logGroupOf(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`)).toEqual(expected);
    });
  });
});

describe('GIVEN two lakes in one stack, with the feature flags of cdk init', () => {
  test('THEN the one principal-tag function of the stack gets one encrypted log group, and the packs report nothing', () => {
    const app = new App({ context: { ...CDK_INIT_FLAGS, ...TEST_APP_CONTEXT } });
    const stack = new Stack(app, 'Lakes', { env: { account: '111122223333', region: 'eu-west-1' } });
    new HealthDataLake(stack, 'Clinic');
    new HealthDataLake(stack, 'Research');
    const groups = Template.fromStack(stack).findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups).filter((id) => /PrincipalTagsLogs/.test(id))).toEqual([expect.stringMatching(/^ClinicIdentitiesPrincipalTagsLogs/)]);
    expect(unacknowledgedFindings(stack)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});
