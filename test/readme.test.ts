import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';

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
    const { outputText } = ts.transpileModule(usage, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    const stacks: any[] = [];
    // The snippet's imports, resolved as a consumer's would be (the package name is this repository's src/).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const requireForSnippet = (id: string) => {
      if (id === 'cdk-health-data-lake') return require('../src');
      if (id === 'aws-cdk-lib') {
        const cdk = require('aws-cdk-lib');
        // Capture the stack the snippet creates; keep creation stack traces out.
        class CapturingStack extends cdk.Stack {
          constructor(...args: any[]) { super(...args); stacks.push(this); }
        }
        class QuietApp extends cdk.App {
          constructor() { super({ context: { 'aws:cdk:disable-creation-stack-traces': true } }); }
        }
        return { ...cdk, Stack: CapturingStack, App: QuietApp };
      }
      return require(id);
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    new Function('require', 'exports', outputText)(requireForSnippet, {});

    expect(stacks).toHaveLength(1);
    const template = Template.fromStack(stacks[0]);
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.resourceCountIs('AWS::Cognito::IdentityPool', 1);
    expect(Object.keys(template.toJSON().Outputs)).toHaveLength(5);
  });
});
