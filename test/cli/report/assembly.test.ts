import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, NestedStack, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HealthDataLake } from '../../../src';
import { CliError, ExitCode } from '../../../src/cli/context';
import { readAssembly } from '../../../src/cli/report/assembly';
import { LAKE_ANALYSIS } from '../../../src/cli/report/command';
import { findLakes } from '../../../src/cli/report/lakes';
import { nagSection } from '../../../src/cli/report/nag';
import { buildReport, NoLakeError } from '../../../src/cli/report/report';
import { TEST_APP_CONTEXT } from '../../support/stacks';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lake-report-'));

/** An app synthesized into a folder; a failed validation (open cdk-nag findings) still writes its report there. */
function synthesize(build: (app: App) => void, options: { nag?: boolean } = {}): string {
  const outdir = tmp();
  const app = new App({ outdir, context: TEST_APP_CONTEXT });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  build(app);
  try {
    app.synth();
  } catch (error) {
    if (!/ValidationFailed|Validation failed/.test(String(error))) throw error;
  }
  return outdir;
}

const NO_ANALYSIS = {
  accessMatrix: async () => { throw new Error('not reached'); },
  controls: () => { throw new Error('not reached'); },
};

describe('GIVEN an input the report cannot read', () => {
  test('WHEN the path does not exist THEN a usage error (exit 2) says what to give', () => {
    const missing = path.join(tmp(), 'nope');
    expect(() => readAssembly(missing)).toThrow(expect.objectContaining({
      exitCode: ExitCode.USAGE,
      message: `${missing} does not exist: give the cdk.out folder that \`cdk synth\` wrote, or one of its *.template.json files.`,
    }));
  });

  test('WHEN the file is not JSON THEN a failed operation (exit 1) says it is not a template', () => {
    const file = path.join(tmp(), 'template.yaml');
    fs.writeFileSync(file, 'Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n');
    expect(() => readAssembly(file)).toThrow(expect.objectContaining({
      exitCode: ExitCode.FAILED,
      message: expect.stringMatching(/template\.yaml is not a CloudFormation template: it is not JSON/),
    }));
  });

  test('WHEN the JSON has no Resources section THEN it is refused as not a template', () => {
    const file = path.join(tmp(), 'package.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'x', version: '1.0.0' }));
    expect(() => readAssembly(file)).toThrow(`${file} is not a CloudFormation template: it has no Resources section.`);
  });

  test('WHEN a folder is not a cloud assembly THEN it is refused and the message names manifest.json', () => {
    const folder = tmp();
    expect(() => readAssembly(folder)).toThrow(CliError);
    expect(() => readAssembly(folder)).toThrow(/is not a cloud assembly \(it has no manifest\.json\)/);
  });

  test('WHEN the template holds no lake THEN the report is refused with NoLakeError', async () => {
    const outdir = synthesize((app) => new s3.Bucket(new Stack(app, 'Plain'), 'Bucket', { enforceSSL: true }));
    const assembly = readAssembly(outdir);
    expect(assembly.stacks.map((stack) => stack.file)).toEqual(['Plain.template.json']);
    await expect(buildReport('cdk.out', assembly, NO_ANALYSIS)).rejects.toThrow(NoLakeError);
    await expect(buildReport('cdk.out', assembly, NO_ANALYSIS)).rejects.toThrow(
      /^cdk\.out holds no HealthDataLake \(no resource of Plain\.template\.json carries the construct's metadata\)/);
  });
});

describe('GIVEN a lake in a nested stack of a stage', () => {
  const outdir = synthesize((app) => {
    const stage = new Stage(app, 'Prod');
    const parent = new Stack(stage, 'Clinical', { stackName: 'renamed-by-the-app' });
    const nested = new NestedStack(parent, 'Storage');
    new HealthDataLake(nested, 'Lake', { lakeName: 'records' });
    new s3.Bucket(parent, 'Loose');
    Validations.of(parent).acknowledge({ id: 'AwsSolutions-S10', reason: 'The loose bucket is a test fixture without data.' });
  }, { nag: true });

  test('WHEN the whole cdk.out is read THEN the nested template is found and its lake is found by its metadata', () => {
    const assembly = readAssembly(outdir);
    const files = assembly.stacks.map((stack) => stack.file);
    expect(files).toHaveLength(2);
    expect(files.filter((file) => file.endsWith('.nested.template.json'))).toHaveLength(1);
    expect(files.every((file) => file.startsWith(`assembly-Prod${path.sep}`))).toBe(true);

    const lakes = findLakes(assembly.stacks);
    expect(lakes.map((lake) => lake.name)).toEqual(['records']);
    expect(lakes[0].stack.file).toMatch(/\.nested\.template\.json$/);
    expect(Object.keys(lakes[0].parts)).toEqual(expect.arrayContaining(['data-bucket', 'data-key', 'institute-role', 'user-pool', 's3-endpoint']));
  });

  test('WHEN cdk-nag reported an open finding THEN the section lists it with the template and logical id of the resource', () => {
    const section = nagSection(readAssembly(outdir));
    expect(section.validationReport).toBe('validation-report.json');
    const s1 = section.open.find((finding) => finding.rule === 'AwsSolutions-S1');
    expect(s1).toEqual(expect.objectContaining({ plugin: 'AwsSolutions', severity: 'error' }));
    expect(s1!.resources).toEqual([expect.stringMatching(/^assembly-Prod[\\/]ProdClinical[0-9A-F]+\.template\.json Loose[0-9A-F]+$/)]);
  });

  test('WHEN findings were acknowledged THEN each is listed with its rule, its construct and the reason given', () => {
    const section = nagSection(readAssembly(outdir));
    expect(section.acknowledged).toContainEqual({
      rule: 'AwsSolutions-S10', reason: 'The loose bucket is a test fixture without data.', constructPath: 'Prod/Clinical',
    });
    // The construct's own acknowledgements are there too, with their reasons.
    expect(section.acknowledged.filter((ack) => ack.constructPath.startsWith('Prod/Clinical/Storage/Lake')).length).toBeGreaterThan(0);
    for (const ack of section.acknowledged) expect(ack.reason.length).toBeGreaterThan(20);
  });

  test('WHEN only the nested template file is given THEN that template is read with the assembly\'s nag results', () => {
    const assembly = readAssembly(outdir);
    const nestedFile = assembly.stacks.find((stack) => stack.file.endsWith('.nested.template.json'))!.file;
    const single = readAssembly(path.join(outdir, nestedFile));
    expect(single.selected).toBe(path.basename(nestedFile));
    // aws-cdk-lib writes the validation report at the top of the assembly, not in the stage's folder.
    expect(single.validationReport?.file).toBe(path.join('..', 'validation-report.json'));
    expect(findLakes(single.stacks).filter((lake) => lake.stack.file === single.selected).map((lake) => lake.name)).toEqual(['records']);
  });
});

describe('GIVEN an assembly synthesized without validation plugins and without its validation report', () => {
  test('WHEN the nag section is made THEN it has no results and a note that says why and what to do', () => {
    const outdir = synthesize((app) => new HealthDataLake(new Stack(app, 'Lake'), 'Lake'));
    fs.rmSync(path.join(outdir, 'validation-report.json'), { force: true });
    const section = nagSection(readAssembly(outdir));
    expect(section).toEqual(expect.objectContaining({ validationReport: null, open: [] }));
    expect(section.note).toMatch(/^The input has no validation report \(validation-report\.json beside the templates\), so this report has no cdk-nag results/);
  });

  test('WHEN a template file outside any assembly is given THEN it is read alone, without nag results', () => {
    const outdir = synthesize((app) => new HealthDataLake(new Stack(app, 'Lake'), 'Lake'));
    const lone = path.join(tmp(), 'lake.json');
    fs.copyFileSync(path.join(outdir, 'Lake.template.json'), lone);
    const assembly = readAssembly(lone);
    expect(assembly.stacks.map((stack) => [stack.stackName, stack.file])).toEqual([['lake', 'lake.json']]);
    expect(assembly.validationReport).toBeUndefined();
    expect(findLakes(assembly.stacks)).toHaveLength(1);
  });
});

describe('GIVEN a lake in a nested stack whose bucket and key the app created in the parent stack', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = synthesize((app) => {
      const parent = new Stack(app, 'Parent', { env: { account: '111122223333', region: 'eu-west-1' } });
      const key = new kms.Key(parent, 'Key', { enableKeyRotation: true });
      const bucket = new s3.Bucket(parent, 'Bucket', {
        encryptionKey: key,
        encryption: s3.BucketEncryption.KMS,
        enforceSSL: true,
        versioned: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      });
      new HealthDataLake(new NestedStack(parent, 'Inner'), 'Lake', { bucket, encryptionKey: key });
    });
  });

  test('WHEN the lakes are found THEN there is one lake, in the nested template, joined with its bucket and key of the parent', () => {
    const assembly = readAssembly(outdir);
    const parent = assembly.stacks.find((stack) => stack.file === 'Parent.template.json')!;
    expect(Object.values(parent.nestedStacks ?? {})).toEqual([expect.stringMatching(/\.nested\.template\.json$/)]);

    const lakes = findLakes(assembly.stacks);
    expect(lakes.map((lake) => [lake.name, lake.stack.file])).toEqual([['Parent-Inner-Lake', expect.stringMatching(/\.nested\.template\.json$/)]]);
    const [lake] = lakes;
    const bucketId = lake.parts['data-bucket']!;
    expect(lake.otherFiles).toEqual(expect.objectContaining({ [bucketId]: 'Parent.template.json', [lake.parts['data-key']!]: 'Parent.template.json' }));
    // The nested stack's parameters are replaced by what the parent passes: the institute policy names the parent's bucket.
    const policy = lake.stack.template.Resources![lake.parts['institute-policy']!];
    expect(JSON.stringify(policy)).toContain(`{"Fn::GetAtt":["${bucketId}","Arn"]}`);
    expect(JSON.stringify(policy)).not.toMatch(/"Ref":"referenceto/);
    // And the parent's bucket policy names the nested stack's institute role, through the nested stack's outputs.
    const bucketPolicy = lake.stack.template.Resources![lake.parts['data-bucket-policy']!];
    expect(JSON.stringify(bucketPolicy)).toContain(`{"Fn::GetAtt":["${lake.parts['institute-role']}","Arn"]}`);
  });

  test('WHEN the report is built THEN the bucket policy of the parent is evaluated and the evidence cites the parent\'s template', async () => {
    const report = await buildReport('cdk.out', readAssembly(outdir), LAKE_ANALYSIS);
    const [lake] = report.lakes;
    expect(lake.accessMatrix.policies).toEqual(expect.arrayContaining([expect.stringMatching(/^bucket-policy BucketPolicy/), expect.stringMatching(/^key-policy Key/)]));
    const cell = (caller: string, operation: string) => lake.accessMatrix.cells.find((c) => c.caller === caller && c.operation === operation)!;
    expect(cell('institute-a-read-write', 'read-own').decision).toBe('allowed');
    expect(cell('institute-b-read-write', 'read-other').decision).toBe('denied');
    // The perimeter of the bucket policy (in the parent) keeps the account's administrator out of the messages.
    expect(cell('account-principal', 'read-own')).toEqual(expect.objectContaining({ decision: 'denied', denial: 'explicit' }));
    const encryption = lake.controls.find((control) => control.id === 'data-protection.bucket-encryption')!;
    expect(encryption.evidence.map((evidence) => evidence.file)).toContain('Parent.template.json');
  });

  test('WHEN only the nested template of the assembly is given THEN it is reported, joined through the assembly', async () => {
    const assembly = readAssembly(outdir);
    const nestedFile = assembly.stacks.find((stack) => stack.file.endsWith('.nested.template.json'))!.file;
    const report = await buildReport(nestedFile, readAssembly(path.join(outdir, nestedFile)), LAKE_ANALYSIS);
    expect(report.lakes.map((lake) => lake.name)).toEqual(['Parent-Inner-Lake']);
    expect(report.lakes[0].accessMatrix.policies).toEqual(expect.arrayContaining([expect.stringMatching(/^bucket-policy /)]));
  });

  test('WHEN only the parent template of the assembly is given THEN it holds no lake of its own', async () => {
    await expect(buildReport('Parent.template.json', readAssembly(path.join(outdir, 'Parent.template.json')), LAKE_ANALYSIS))
      .rejects.toThrow(/^Parent\.template\.json holds no HealthDataLake \(no resource of Parent\.template\.json carries/);
  });

  test('WHEN the nested template is copied out of its assembly THEN the report says what it cannot resolve and what to give', async () => {
    const nestedFile = readAssembly(outdir).stacks.find((stack) => stack.file.endsWith('.nested.template.json'))!.file;
    const lone = path.join(tmp(), 'inner.json');
    fs.copyFileSync(path.join(outdir, nestedFile), lone);
    await expect(buildReport(lone, readAssembly(lone), LAKE_ANALYSIS)).rejects.toThrow(
      /^inner\.json: the lake Parent-Inner-Lake cannot be evaluated \(.*\); give the whole cdk\.out folder, so that references to other templates can be resolved\.$/);
  });
});
