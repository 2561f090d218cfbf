import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { synthesizeExample } from '../../../example/app';
import { HealthDataLake } from '../../../src';
import type { ComplianceReport, TemplateJson } from '../../../src/cli/report/model';
import { LAKE_METADATA_KEY } from '../../../src/contracts/lake-metadata';
import { TEST_APP_CONTEXT } from '../../support/stacks';
import { runCli } from '../support/run-cli';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lake-report-cli-'));

let example: string;
let exampleTemplate: string;
let twoLakes: string;

beforeAll(() => {
  example = synthesizeExample(tmp()).outdir;
  exampleTemplate = path.join(example, 'HealthDataLakeExample.template.json');
  const outdir = tmp();
  const app = new App({ outdir, context: TEST_APP_CONTEXT });
  const stack = new Stack(app, 'TwoLakes', { env: { account: '111122223333', region: 'eu-west-1' } });
  new HealthDataLake(stack, 'Cardiology');
  new HealthDataLake(stack, 'Oncology');
  app.synth();
  twoLakes = outdir;
});

/** A copy of a template, changed, as a file of its own. */
function weakened(change: (template: TemplateJson & { Resources: Record<string, any> }) => void): string {
  const template = JSON.parse(fs.readFileSync(exampleTemplate, 'utf8'));
  change(template);
  const file = path.join(tmp(), 'weakened.template.json');
  fs.writeFileSync(file, JSON.stringify(template));
  return file;
}

describe('GIVEN the synthesized example app', () => {
  test('WHEN report is run on its cdk.out THEN the Markdown report goes to stdout with a pass verdict and exit 0', async () => {
    const { code, stdout, stderr } = await runCli(['report', example]);
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^# Compliance report: HealthDataLake\n/);
    expect(stdout).toMatch(/\*\*Verdict: pass\*\*: 0 findings in 1 lake, and \d+ controls are left to the operator/);
    expect(stdout).toContain('## Lake `HealthDataLakeExample-HealthDataLake`');
    expect(stdout).toContain('### Access matrix');
    expect(stdout).toContain('## cdk-nag');
  });

  test('WHEN --format json is given THEN the report is JSON with a full matrix for the lake', async () => {
    const { code, stdout } = await runCli(['report', example, '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ComplianceReport;
    expect(report.verdict).toBe('pass');
    const [lake] = report.lakes;
    expect(lake.accessMatrix.cells).toHaveLength(lake.accessMatrix.callers.length * lake.accessMatrix.operations.length);
    expect(lake.controls.length).toBeGreaterThan(10);
    expect(report.nag.validationReport).toBe('validation-report.json');
  });

  test('WHEN the tool\'s global --json is given THEN the report on stdout is the JSON one', async () => {
    const { code, stdout } = await runCli(['--json', 'report', example]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as ComplianceReport).schemaVersion).toBe(1);
  });

  test('WHEN --out ends in .html THEN an HTML page is written and a note on stderr says where', async () => {
    const out = path.join(tmp(), 'nested', 'report.html');
    const { code, stdout, stderr } = await runCli(['report', example, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(stderr).toContain(`Wrote the html report of 1 lake to ${out}: verdict pass, 0 findings.`);
  });

  test('WHEN the same input is reported twice THEN the reports are identical, byte for byte', async () => {
    const first = await runCli(['report', example, '--format', 'json']);
    const second = await runCli(['report', example, '--format', 'json']);
    expect(second.stdout).toBe(first.stdout);
  });

  test('WHEN --out has an extension the tool does not know and no --format THEN it is bad usage (exit 2)', async () => {
    const { code, stderr } = await runCli(['report', example, '--out', path.join(tmp(), 'report.txt')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/give --format \(md, json or html\), or a file ending in \.md, \.json or \.html\./);
  });

  test('WHEN --format names an unknown format THEN commander refuses it (exit 2)', async () => {
    const { code, stderr } = await runCli(['report', example, '--format', 'pdf']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/argument 'pdf' is invalid\. Allowed choices are md, json, html/);
  });
});

describe('GIVEN a weakened template', () => {
  const withoutEndpointGate = () => weakened((template) => {
    // Remove every statement that denies requests from outside the lake's S3 endpoint.
    for (const resource of Object.values(template.Resources)) {
      const document = resource.Properties?.PolicyDocument;
      if (!document?.Statement) continue;
      document.Statement = document.Statement.filter((statement: any) => !JSON.stringify(statement.Condition ?? {}).includes('aws:SourceVpce'));
    }
  });

  test('WHEN the API-only gate is removed THEN the verdict is fail and a finding names the outside caller', async () => {
    const { code, stdout } = await runCli(['report', withoutEndpointGate(), '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ComplianceReport;
    expect(report.verdict).toBe('fail');
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.lakes[0].accessMatrix.cells.filter((cell) => cell.finding).length).toBeGreaterThan(0);
  });

  test('WHEN --fail-on-findings is given THEN a fail verdict exits 1, and the report is still written', async () => {
    const { code, stdout } = await runCli(['report', withoutEndpointGate(), '--fail-on-findings']);
    expect(code).toBe(1);
    expect(stdout).toContain('**Verdict: fail**');
    expect(stdout).toContain('## Findings');
  });

  test('WHEN --fail-on-findings is given on the example THEN a pass verdict exits 0', async () => {
    const { code } = await runCli(['report', example, '--fail-on-findings']);
    expect(code).toBe(0);
  });
});

describe('GIVEN the example\'s template weakened in one way at a time', () => {
  type Resources = Record<string, any>;
  const statements = (resources: Resources) => Object.values(resources)
    .flatMap((resource) => resource.Properties?.PolicyDocument?.Statement ?? []) as any[];
  const withoutSid = (resources: Resources, sid: string) => {
    for (const resource of Object.values(resources)) {
      const document = resource.Properties?.PolicyDocument;
      if (document?.Statement) document.Statement = document.Statement.filter((statement: any) => statement.Sid !== sid);
    }
  };
  const WEAKENINGS: Array<{ name: string; change: (resources: Resources) => void; finding: RegExp }> = [
    {
      name: 'the cross-institute read restriction dropped (the Deny and the Allow\'s tag comparison)',
      change: (resources) => {
        withoutSid(resources, 'DenyReadingOtherInstitutes');
        for (const statement of statements(resources).filter((s) => s.Sid === 'ReadOwnInstituteMessages')) delete statement.Condition.StringEquals;
      },
      finding: /User of institute B, read and write: Read the other institute's message is allowed, where the lake's model says denied/,
    },
    {
      name: 'the tag condition of the create widened to any institute',
      change: (resources) => {
        withoutSid(resources, 'DenyWritingForOtherInstitutes');
        for (const statement of statements(resources).filter((s) => ['CreateOwnInstituteMessages', 'TagOwnInstituteMessagesOnCreate'].includes(s.Sid))) {
          delete statement.Condition.StringEquals['s3:RequestObjectTag/source'];
          statement.Condition.StringLike = { ...statement.Condition.StringLike, 's3:RequestObjectTag/source': '*' };
        }
      },
      finding: /User of institute A, read and write: Create a message for the other institute is allowed, where the lake's model says denied/,
    },
    {
      name: 'the API-only gate removed',
      change: (resources) => {
        withoutSid(resources, 'DenyOutsideTheLakeApi');
        withoutSid(resources, 'DenyEverythingOutsideTheLakeApi');
        withoutSid(resources, 'DenyInstituteUsersOutsideTheLakeApi');
      },
      finding: /Identity pool credentials used outside the lake's VPC: Read own institute's message is allowed, where the lake's model says denied/,
    },
    {
      name: 'SSE-C allowed (the bucket\'s block and the policies\' denies removed)',
      change: (resources) => {
        withoutSid(resources, 'DenyCustomerProvidedKeys');
        for (const resource of Object.values(resources)) {
          for (const rule of resource.Properties?.BucketEncryption?.ServerSideEncryptionConfiguration ?? []) delete rule.BlockedEncryptionTypes;
        }
      },
      finding: /SSE-C\): the bucket blocks it and the bucket policy denies it: not met/,
    },
    {
      name: 'an institute attribute made writable by the app client',
      change: (resources) => {
        for (const resource of Object.values(resources).filter((r) => r.Type === 'AWS::Cognito::UserPoolClient')) {
          resource.Properties.WriteAttributes = [...resource.Properties.WriteAttributes ?? [], 'custom:read'];
        }
      },
      finding: /No user can change their own institute: no app client of the user pool may write the institute attributes: not met/,
    },
  ];

  test.each(WEAKENINGS)('WHEN $name THEN the verdict is fail and a finding says what changed', async ({ change, finding }) => {
    const { code, stdout } = await runCli(['report', weakened((template) => change(template.Resources)), '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ComplianceReport;
    expect(report.verdict).toBe('fail');
    expect(report.findings).toContainEqual(expect.stringMatching(finding));
  });

  test('WHEN the template is not weakened THEN none of those findings is there', async () => {
    const report = JSON.parse((await runCli(['report', weakened(() => undefined), '--format', 'json'])).stdout) as ComplianceReport;
    expect(report.verdict).toBe('pass');
    expect(report.findings).toEqual([]);
  });
});

describe('GIVEN a template whose names carry markup', () => {
  test('WHEN the HTML report is written THEN every text from the template is escaped, and the Markdown table is not broken', async () => {
    const hostile = '<img src=x onerror=alert(1)>|pipe';
    const file = weakened((template) => {
      // The deciding statements are named by their Sid: give the one that allows reads a hostile one.
      for (const resource of Object.values(template.Resources)) {
        for (const statement of resource.Properties?.PolicyDocument?.Statement ?? []) {
          if (statement.Sid === 'ReadOwnInstituteMessages') statement.Sid = hostile;
        }
      }
    });
    const out = path.join(tmp(), 'report.html');
    expect((await runCli(['report', file, '--out', out])).code).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;|pipe');
    expect(html).not.toContain('<img');
    const markdown = (await runCli(['report', file])).stdout;
    expect(markdown).toContain('<img src=x onerror=alert(1)>\\|pipe');
  });
});

describe('GIVEN a template with two lakes', () => {
  test('WHEN it is reported THEN each lake has its own matrix and controls, in name order', async () => {
    const { code, stdout } = await runCli(['report', twoLakes, '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ComplianceReport;
    expect(report.lakes.map((lake) => lake.name)).toEqual(['TwoLakes-Cardiology', 'TwoLakes-Oncology']);
    expect(report.verdict).toBe('pass');
    for (const lake of report.lakes) {
      expect(lake.accessMatrix.cells.some((cell) => cell.decision === 'allowed')).toBe(true);
      // Each lake's policies are its own: no logical id of the other lake is evaluated for it.
      const other = report.lakes.find((entry) => entry !== lake)!;
      const otherPrefix = other.name.split('-')[1];
      expect(lake.accessMatrix.policies.join(' ')).not.toContain(otherPrefix);
    }
  });
});

describe('GIVEN inputs that are not what the report reads', () => {
  test('WHEN the path does not exist THEN exit 2 and one sentence on stderr', async () => {
    const { code, stderr } = await runCli(['report', path.join(tmp(), 'cdk.out')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^Error: .*cdk\.out does not exist: give the cdk\.out folder that `cdk synth` wrote, or one of its \*\.template\.json files\.\n$/);
  });

  test('WHEN the file is not a template THEN exit 1 and the sentence says so', async () => {
    const file = path.join(tmp(), 'notes.json');
    fs.writeFileSync(file, '{"notes": []}');
    const { code, stderr } = await runCli(['report', file]);
    expect(code).toBe(1);
    expect(stderr).toBe(`Error: ${file} is not a CloudFormation template: it has no Resources section.\n`);
  });

  test('WHEN the template has no lake THEN exit 1 and the sentence says what to give', async () => {
    const file = weakened((template) => {
      for (const resource of Object.values(template.Resources)) delete resource.Metadata?.[LAKE_METADATA_KEY];
    });
    const { code, stderr } = await runCli(['report', file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/holds no HealthDataLake \(no resource of weakened\.template\.json carries the construct's metadata\)/);
  });

  test('WHEN the assembly has no validation report THEN the report is written without the nag results, with a note', async () => {
    const copy = tmp();
    fs.cpSync(example, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'validation-report.json'));
    const { code, stdout } = await runCli(['report', copy]);
    expect(code).toBe(0);
    expect(stdout).toContain('No validation report: this section has no cdk-nag results.');
    expect(stdout).toContain('> The input has no validation report');
    expect(stdout).not.toContain('### Open findings');
  });
});
