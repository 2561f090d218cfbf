import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { unacknowledgedFindings } from './support/nag';
import { lakeStack } from './support/stacks';

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
    expect(Object.keys(withOutputs).sort()).toEqual([
      expect.stringMatching(/ApiUrl/), expect.stringMatching(/BucketName/), expect.stringMatching(/IdentityPoolId/),
      expect.stringMatching(/UserPoolClientId/), expect.stringMatching(/UserPoolId/),
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
