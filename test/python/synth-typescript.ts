/**
 * Runs a TypeScript CDK app as `cdk synth` would (the cloud assembly goes to CDK_OUTDIR): an app of
 * test/python/apps, or a README example written out by test/python/description.py. The package name
 * `cdk-health-data-lake` resolves to this repository's src/, from which the wheel is built.
 *
 * Usage: CDK_OUTDIR=<dir> ts-node test/python/synth-typescript.ts <app.ts>
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const [file] = process.argv.slice(2);
const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
});
/* eslint-disable @typescript-eslint/no-require-imports */
const requireForApp = (id: string) => {
  if (id === 'cdk-health-data-lake') return require('../../src');
  return require(id.startsWith('.') ? path.resolve(path.dirname(file), id) : id);
};
/* eslint-enable @typescript-eslint/no-require-imports */
new Function('require', 'exports', outputText)(requireForApp, {});
