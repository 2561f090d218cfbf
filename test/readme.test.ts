import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';
import { HealthDataLake } from '../src';
import { unacknowledgedFindings } from './support/nag';
import { TEST_APP_CONTEXT } from './support/stacks';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

function codeBlocks(language: string): string[] {
  return [...readme.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]);
}

function commandsOf(block: string): string[] {
  return block.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter(Boolean);
}

describe('GIVEN the README', () => {
  test('THEN its Quick start has exactly two commands, both run by CI as written', () => {
    const quickStart = readme.split('## Quick start')[1].split('\n## ')[0];
    const commands = commandsOf(quickStart.split('```sh\n')[1].split('```')[0]);
    expect(commands).toEqual(['npm ci && npx projen example', 'npm ci && npx projen test']);
    const ci = commandsOf(fs.readFileSync(path.join(root, '.ci/run'), 'utf8'));
    for (const command of commands) expect(ci).toContain(command);
  });

  test('THEN its Install section states the peer dependencies of package.json, and CI tests their floor', () => {
    const install = readme.split('## Install\n')[1].split('\n## ')[0];
    const peers = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).peerDependencies;
    expect(install).toContain(`Peer dependencies: \`aws-cdk-lib\` ${peers['aws-cdk-lib']} and \`constructs\` ${peers.constructs}.`);
    expect(commandsOf(fs.readFileSync(path.join(root, '.ci/run'), 'utf8'))).toContain('npx projen test:floor');
  });

  test('THEN its Python usage example is valid Python that names the construct with snake_case props', () => {
    const usage = codeBlocks('python').find((block) => block.includes('HealthDataLake('))!;
    const check = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: usage });
    expect(check.stderr.toString()).toBe('');
    expect(check.status).toBe(0);
    expect(usage).toContain('from cdk_health_data_lake import HealthDataLake');
    expect(usage).toMatch(/create_outputs=True/);
  });

  test('THEN its TypeScript usage example synthesizes a stack with the construct', () => {
    const usage = codeBlocks('ts').find((block) => block.includes('new HealthDataLake'))!;
    const [stack] = runSnippet(usage);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.resourceCountIs('AWS::Cognito::IdentityPool', 1);
    expect(Object.keys(template.toJSON().Outputs)).toEqual([
      'LakeApiUrl', 'LakeUserPoolId', 'LakeUserPoolClientId', 'LakeIdentityPoolId', 'LakeBucketName',
      'LakeLakeName', 'LakeReadClaim', 'LakeWriteClaim', 'LakeRevocationDelaySeconds',
    ]);
    expect(template.toJSON().Outputs.LakeLakeName.Value).toBe('HealthDataLake-Lake'); // as its comment says
  });

  test('THEN its TypeScript usage example asks for no lookup at synthesis, so `cdk synth` needs no AWS credentials', () => {
    const usage = codeBlocks('ts').find((block) => block.includes('new HealthDataLake'))!;
    const [stack] = runSnippet(usage);
    // Missing context is what the CDK CLI would look up in the account before synthesizing again.
    expect((stack.node.root as App).synth().manifest.missing ?? []).toEqual([]);
  });

  test('THEN its Python usage example creates the same stack as the TypeScript one', () => {
    const python = codeBlocks('python').find((block) => block.includes('HealthDataLake('))!;
    const typescript = codeBlocks('ts').find((block) => block.includes('new HealthDataLake'))!;
    expect(typescript).toMatch(/new Stack\(app, 'HealthDataLake'\);/);
    expect(python).toMatch(/^stack = Stack\(app, "HealthDataLake"\)$/m);
  });

  test('WHEN a stack has an explicit env THEN the context the Usage section shows is exactly the lookup the lake needs', () => {
    const usageSection = readme.split('## Usage\n')[1].split('\n## ')[0];
    const { context } = JSON.parse(usageSection.match(/```json\n([\s\S]*?)```/)![1]);
    const synthesize = (appContext: Record<string, unknown>) => {
      const app = new App({ context: { ...appContext, 'aws:cdk:disable-creation-stack-traces': true } });
      new HealthDataLake(new Stack(app, 'HealthDataLake', { env: { account: '111122223333', region: 'eu-west-1' } }), 'Lake');
      return app.synth().manifest.missing ?? [];
    };
    expect(synthesize({}).map((missing) => missing.key)).toEqual(Object.keys(context));
    expect(synthesize(context)).toEqual([]);
  });

  test('THEN its own-VPC example synthesizes with the lake\'s endpoints on the lake\'s subnets only, and no warning', () => {
    const example = snippetUnder('### Your own VPC');
    const [stack] = runSnippet(example);
    const template = Template.fromStack(stack).toJSON();
    const lakeRouteTables = Object.entries(template.Resources as Record<string, any>)
      .filter(([id, resource]) => resource.Type === 'AWS::EC2::RouteTable' && id.startsWith('Vpclake'))
      .map(([id]) => ({ Ref: id }));
    expect(lakeRouteTables.length).toBeGreaterThan(0);
    const gateway = Object.values(template.Resources as Record<string, any>)
      .filter((resource) => resource.Type === 'AWS::EC2::VPCEndpoint' && resource.Properties.VpcEndpointType === 'Gateway');
    expect(gateway).toHaveLength(1);
    expect(gateway[0].Properties.RouteTableIds).toEqual(lakeRouteTables);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('THEN its data perimeter example lets the institute role and the pipeline role through the perimeter, and no one else', () => {
    const example = snippetUnder('### Data perimeter');
    const [stack] = runSnippet(example);
    const template = Template.fromStack(stack).toJSON();
    const pipeline = Object.keys(template.Resources).find((id) => id.startsWith('Pipeline') && template.Resources[id].Type === 'AWS::IAM::Role')!;
    const bucketPolicy = Object.values(template.Resources as Record<string, any>)
      .find((resource) => resource.Type === 'AWS::S3::BucketPolicy'
        && JSON.stringify(resource.Properties.PolicyDocument).includes('DenyReadingMessagesOutsideThePerimeter'))!;
    const perimeter = bucketPolicy.Properties.PolicyDocument.Statement
      .find((statement: any) => statement.Sid === 'DenyReadingMessagesOutsideThePerimeter');
    const allowed = perimeter.Condition.ArnNotEquals['aws:PrincipalArn'];
    expect(allowed).toHaveLength(2); // the institute role and the pipeline
    expect(allowed).toContainEqual({ 'Fn::GetAtt': [pipeline, 'Arn'] });
    expect(allowed).toContainEqual({ 'Fn::GetAtt': [expect.stringMatching(/AccessRole/), 'Arn'] });
    // What the README says cdk-nag reports on the reader's own policy, and nothing else.
    expect(unacknowledgedFindings(stack).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::<LakeStorageBucketD1CAFC02.Arn>/*] at Lake/Pipeline/DefaultPolicy/Resource',
      'HIPAA.Security-IAMNoInlinePolicy at Lake/Pipeline/DefaultPolicy/Resource',
      'NIST.800.53.R5-IAMNoInlinePolicy at Lake/Pipeline/DefaultPolicy/Resource',
    ]);
  });

  test('THEN its events example sends exactly the lake\'s stored-message events to the encrypted queue, with nothing unacknowledged', () => {
    const example = snippetUnder('## Events of stored messages');
    const [stack] = runSnippet(example);
    const template = Template.fromStack(stack).toJSON();
    const rules = Object.values(template.Resources as Record<string, any>).filter((resource) => resource.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.EventPattern).toMatchObject({ 'source': ['aws.s3'], 'detail-type': ['Object Created'] });
    expect(rules[0].Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^Events/), 'Arn'] } })]);
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  test('THEN its opt-out example leaves no unacknowledged finding and no warning of the opt-outs', () => {
    const example = snippetUnder('### Opt-outs stay visible');
    const [stack] = runSnippet(example);
    expect(unacknowledgedFindings(stack)).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('MFA|threat protection'))).toEqual([]);
  });
});

/** The first TypeScript block of a README section. */
function snippetUnder(heading: string): string {
  const section = readme.split(`${heading}\n`)[1].split('\n## ')[0].split('\n### ')[0];
  const block = section.match(/```ts\n([\s\S]*?)```/);
  if (!block) throw new Error(`No TypeScript block under ${heading}`);
  return block[1];
}

/**
 * Runs a README TypeScript snippet as a consumer would (the package name resolves to this repository's
 * src/) and returns the stacks it created.
 */
function runSnippet(snippet: string): Stack[] {
  const { outputText } = ts.transpileModule(snippet, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const stacks: Stack[] = [];
  /* eslint-disable @typescript-eslint/no-require-imports */
  const requireForSnippet = (id: string) => {
    if (id === 'cdk-health-data-lake') return require('../src');
    if (id === 'aws-cdk-lib') {
      const cdk = require('aws-cdk-lib');
      // Capture the stack the snippet creates; keep creation stack traces out.
      class CapturingStack extends cdk.Stack {
        constructor(...args: any[]) { super(...args); stacks.push(this as any); }
      }
      // Quiet (no creation stack traces) and strict (CloudFormation schema violations fail synthesis).
      class QuietApp extends cdk.App {
        constructor() { super({ context: TEST_APP_CONTEXT }); }
      }
      return { ...cdk, Stack: CapturingStack, App: QuietApp };
    }
    return require(id);
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  new Function('require', 'exports', outputText)(requireForSnippet, {});
  expect(stacks).toHaveLength(1);
  return stacks;
}

describe('GIVEN the README\'s Compliance review section', () => {
  const section = readme.split('\n## Compliance review\n')[1].split('\n## ')[0];

  test('THEN its excerpt is taken word for word from the committed report of the example', () => {
    const excerpt = section.split('```markdown\n')[1].split('```')[0];
    const report = fs.readFileSync(path.join(root, 'docs/compliance/example.md'), 'utf8');
    const lines = excerpt.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) expect(report.split('\n')).toContain(line);
    const controls = JSON.parse(fs.readFileSync(path.join(root, 'docs/compliance/example.json'), 'utf8')).lakes[0].controls;
    expect(section).toContain(` ${controls.length}\ncontrols with their evidence`);
  });

  test('THEN its commands are the ones CI runs on the packed tarball', () => {
    const printed = spawnSync('node', [path.join(root, '.ci/readme-block.js'), path.join(root, 'README.md'), 'Compliance review'], { encoding: 'utf8' });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(section.split('```sh\n')[1].split('```')[0]);
    expect(commandsOf(printed.stdout)).toEqual([
      'npm install --no-save @cloud-copilot/iam-simulate@^0.1.173',
      'npx cdk-health-data-lake report cdk.out --out compliance-report.md',
      'npx cdk-health-data-lake report cdk.out --out compliance-report.html',
    ]);
    expect(fs.readFileSync(path.join(root, '.ci/run'), 'utf8')).toContain('node "$repo/.ci/readme-block.js" "$repo/README.md" \'Compliance review\'');
  });
});
