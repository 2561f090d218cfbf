import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesizeExample } from '../example/app';
import { EXAMPLE_REPORT_DIR, exampleReport } from '../example/compliance';

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

describe('GIVEN the committed compliance report of the example (docs/compliance)', () => {
  test('WHEN the example is synthesized and reported again THEN the report is exactly the committed one', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-example-report-'));
    synthesizeExample(outdir);
    const { report, files } = await exampleReport(outdir);
    expect(report.verdict).toBe('pass');
    for (const [name, text] of Object.entries(files)) {
      const committed = fs.readFileSync(path.join(__dirname, '..', EXAMPLE_REPORT_DIR, name), 'utf8');
      // On a difference: run `npx projen example` and commit docs/compliance.
      expect(text).toEqual(committed);
    }
  });
});
