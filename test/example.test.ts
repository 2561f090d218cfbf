import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesizeExample } from '../example/app';

describe('GIVEN the example app', () => {
  test('WHEN it is synthesized with the compliance packs THEN it succeeds and the summary describes the lake', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-example-'));
    const summary = synthesizeExample(outdir);

    expect(fs.existsSync(path.join(outdir, `${summary.stackName}.template.json`))).toBe(true);
    expect(summary.resources).toMatchObject({
      'AWS::Cognito::UserPool': 1,
      'AWS::Cognito::UserPoolClient': 1,
      'AWS::Cognito::IdentityPool': 1,
      'AWS::IAM::ManagedPolicy': 1,
      'AWS::KMS::Key': 2,
      'AWS::ApiGatewayV2::Api': 1,
      'AWS::ApiGatewayV2::Route': 2,
      'AWS::EC2::VPCEndpoint': 2,
      'AWS::S3::Bucket': 2,
    });
    expect(summary.compliancePacks).toEqual(['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5']);
    expect(summary.acknowledgements.length).toBeGreaterThan(0);
    for (const ack of summary.acknowledgements) expect(ack.reason.length).toBeGreaterThan(40);
  });
});
