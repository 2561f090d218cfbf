import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ts from 'typescript';
import { HealthDataLake } from '../src';
import { compliancePacks } from './support/nag';
import { TEST_APP_CONTEXT } from './support/stacks';

/*
 * A newcomer copies the README's TypeScript examples into one app. Each example must still synthesize
 * beside the others (several stacks with lakes under the same construct paths), with CloudFormation's
 * template validation as errors, and the packs of the README's "Compliance (cdk-nag)" block find nothing
 * in any of the lakes (what they find in the examples' own resources, such as a reader role's grant, is
 * the app's to acknowledge, as the README says).
 */

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
/** The examples that create an app (the cdk-nag set-up uses the reader's app: its packs are run below). */
const examples = blocks.filter((block) => /\bconst app = new App\(/.test(block));

/** Runs the README blocks in one app: each `new App()` is that app, and a stack id already taken gets the block's number. */
function readmeApp(): { app: App; stacks: Stack[] } {
  const app = new App({ context: TEST_APP_CONTEXT });
  const stacks: Stack[] = [];
  examples.forEach((block, index) => {
    const { outputText } = ts.transpileModule(block, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    /* eslint-disable @typescript-eslint/no-require-imports */
    const requireForSnippet = (id: string) => {
      if (id === 'cdk-health-data-lake') return require('../src');
      if (id !== 'aws-cdk-lib') return require(id);
      const cdk = require('aws-cdk-lib');
      class TheApp {
        constructor() { return app; }
      }
      class OwnStack extends cdk.Stack {
        constructor(scope: App, stackId: string, props?: unknown) {
          super(scope, scope.node.tryFindChild(stackId) ? `${stackId}${index + 1}` : stackId, props);
          stacks.push(this as unknown as Stack);
        }
      }
      return { ...cdk, App: TheApp, Stack: OwnStack };
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    // A block that uses the app without creating one (the cdk-nag set-up) gets this app.
    new Function('require', 'exports', outputText)(requireForSnippet, {});
  });
  return { app, stacks };
}

describe('GIVEN every TypeScript example of the README in one app', () => {
  test('THEN they are several stacks, at least two of them with a lake under the same construct path', () => {
    const { stacks } = readmeApp();
    expect(stacks.length).toBeGreaterThanOrEqual(5);
    const lakePaths = stacks.flatMap((stack) => stack.node.findAll().filter((c) => c.node.path.endsWith('/Lake/Storage/Bucket')).map((c) => c.node.path));
    expect(lakePaths.length).toBeGreaterThanOrEqual(3);
  });

  test('THEN the README\'s cdk-nag block names the packs run here', () => {
    const nagBlock = blocks.find((block) => block.includes('addPlugins'))!;
    expect(nagBlock).toContain('new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app)');
    expect(compliancePacks().map((pack) => pack.constructor.name)).toEqual(['AwsSolutionsChecks', 'HIPAASecurityChecks', 'NIST80053R5Checks']);
  });

  test('THEN the packs find nothing unacknowledged inside any of the lakes', () => {
    const { stacks } = readmeApp();
    const lakes = stacks.flatMap((stack) => stack.node.findAll().filter((c) => c instanceof HealthDataLake).map((c) => `${c.node.path}/`));
    expect(lakes.length).toBeGreaterThanOrEqual(5);
    const inLakes = stacks.flatMap((stack) => compliancePacks().flatMap((pack) => pack.validateScope(stack).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`))))
      .filter((finding) => lakes.some((lake) => finding.split(' at ')[1].startsWith(lake)));
    expect(inLakes).toEqual([]);
  });

  test('THEN the app synthesizes with no error: no perimeter false alarm, no template validation error', () => {
    const { app } = readmeApp();
    let errors = '';
    try {
      app.synth();
    } catch (error) {
      errors = String(error);
    }
    expect(errors).toBe('');
  });
});
