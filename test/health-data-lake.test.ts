import { Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HealthDataLake, HealthDataLakeProps, PrincipalTagMappingMethod } from '../src';
import { unacknowledgedFindings } from './support/nag';
import { lakeStack, newApp } from './support/stacks';
import { dedicatedSubnetsProps, importedVpcProps, ownEndpointsProps } from './support/vpcs';

/** Replaces what changes with every rebuild of a bundled asset, so the snapshot stays a tripwire for real changes. */
function stableTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip)?/g, (_, zip) => `<asset-hash>${zip ?? ''}`));
}

describe('GIVEN a stack with a HealthDataLake', () => {
  test('THEN the template matches the snapshot', () => {
    expect(stableTemplate(lakeStack().stack)).toMatchSnapshot();
  });

  test('THEN the AwsSolutions, HIPAA Security and NIST 800-53 rev 5 packs report no unacknowledged finding', () => {
    expect(unacknowledgedFindings(lakeStack().stack)).toEqual([]);
  });

  test('WHEN an insecure resource is added beside it THEN the compliance check reports it', () => {
    const { stack } = lakeStack();
    new s3.Bucket(stack, 'Careless');
    const findings = unacknowledgedFindings(stack);
    expect(findings).toEqual(expect.arrayContaining([
      'AwsSolutions-S1 at Lake/Careless/Resource',
      'AwsSolutions-S10 at Lake/Careless/Resource',
      'HIPAA.Security-S3DefaultEncryptionKMS at Lake/Careless/Resource',
      'NIST.800.53.R5-S3BucketVersioningEnabled at Lake/Careless/Resource',
    ]));
  });

  test('WHEN outputs are asked for THEN the ids are stack outputs, and not otherwise', () => {
    const withOutputs = Template.fromStack(lakeStack({ createOutputs: true }).stack).toJSON().Outputs;
    expect(Object.keys(withOutputs)).toEqual([
      'HealthDataLakeApiUrl', 'HealthDataLakeUserPoolId', 'HealthDataLakeUserPoolClientId', 'HealthDataLakeIdentityPoolId',
      'HealthDataLakeBucketName', 'HealthDataLakeLakeName', 'HealthDataLakeReadClaim', 'HealthDataLakeWriteClaim',
      'HealthDataLakeRevocationDelaySeconds',
    ]);
    expect(Template.fromStack(lakeStack().stack).toJSON().Outputs).toBeUndefined();
  });

  test('THEN every created resource is exposed', () => {
    const { lake } = lakeStack();
    expect(lake.userPool.userPoolId).toBeDefined();
    expect(lake.userPoolClient.userPoolClientId).toBeDefined();
    expect(lake.identityPool.identityPoolId).toBeDefined();
    expect(lake.instituteAccessRole.roleArn).toBeDefined();
    expect(lake.bucket.bucketArn).toBeDefined();
    expect(lake.encryptionKey.keyArn).toBeDefined();
    expect(lake.serverAccessLogsBucket).toBeDefined();
    expect(lake.api.apiId).toBeDefined();
    expect(lake.apiUrl).toBeDefined();
    expect(lake.ingestFunction.functionArn).toBeDefined();
    expect(lake.readFunction.functionArn).toBeDefined();
    expect(lake.vpc.vpcId).toBeDefined();
    expect(lake.s3Endpoint.vpcEndpointId).toBeDefined();
    expect(lake.cognitoIdentityEndpoint.vpcEndpointId).toBeDefined();
    expect(lake.logsKey.keyArn).toBeDefined();
  });
});

describe('GIVEN the construct configured in other supported ways', () => {
  const variants: Array<[string, (stack: Stack) => HealthDataLakeProps]> = [
    ['the native principal-tag mapping', () => ({ principalTagMappingMethod: PrincipalTagMappingMethod.CLOUDFORMATION })],
    ['an imported bucket and key', (stack) => ({
      bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'existing-lake'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    })],
    ['the user\'s own VPC with subnets dedicated to the lake', dedicatedSubnetsProps],
    ['the user\'s own VPC with its own S3 and Cognito Identity endpoints', ownEndpointsProps],
    ['an imported VPC', importedVpcProps],
    ['reserved concurrency', () => ({ reservedConcurrentExecutions: 5 })],
    ['the user\'s own bucket created in the app', (stack) => ({
      bucket: new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, enforceSSL: true }),
    })],
    ['a message reader', (stack) => ({
      messageReaders: [new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() })],
    })],
  ];

  test.each(variants)('WHEN it uses %s THEN the compliance packs report nothing unacknowledged in what the construct creates', (_name, props) => {
    const stack = new Stack(newApp(), 'Variant', { env: { account: '111122223333', region: 'eu-west-1' } });
    new HealthDataLake(stack, 'Lake', props(stack));
    // Findings on resources the user brought (their VPC) are theirs to settle.
    const userResources = /at Variant\/(Vpc|Bucket|Key|Reader)\//;
    expect(unacknowledgedFindings(stack).filter((finding) => !userResources.test(finding))).toEqual([]);
  });
});

describe('GIVEN MFA and threat protection turned off', () => {
  const variant = () => {
    const stack = new Stack(newApp(), 'Variant', { env: { account: '111122223333', region: 'eu-west-1' } });
    const lake = new HealthDataLake(stack, 'Lake', {
      mfa: cognito.Mfa.OFF, threatProtectionMode: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT,
    });
    return { stack, lake };
  };

  test('THEN the compliance packs report exactly the two opt-outs, for the app to decide on', () => {
    expect(unacknowledgedFindings(variant().stack)).toEqual([
      'AwsSolutions-COG2 at Variant/Lake/Users/UserPool/Resource',
      'AwsSolutions-COG8 at Variant/Lake/Users/UserPool/Resource',
    ]);
  });

  test('WHEN the app acknowledges them THEN nothing else remains, neither a finding nor a warning', () => {
    const { stack, lake } = variant();
    Validations.of(lake.userPool).acknowledge(
      { id: 'AwsSolutions-COG2', reason: 'Users sign in through the hospital SSO, which enforces MFA.' },
      { id: 'AwsSolutions-COG8', reason: 'Risk-based sign-in checks run in the hospital SSO.' },
      { id: 'cdk-health-data-lake:MfaNotRequired', reason: 'MFA is enforced upstream.' },
      { id: 'cdk-health-data-lake:ThreatProtectionNotEnforced', reason: 'Threat protection runs upstream.' },
    );
    expect(unacknowledgedFindings(stack)).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
