import * as fs from 'fs';
import { awscdk, DependencyType, javascript } from 'projen';

/** The IAM policy simulator (AGPL-3.0) of the tool's `report`: a development dependency, never shipped. */
const IAM_SIMULATOR = '@cloud-copilot/iam-simulate';

// The oldest aws-cdk-lib and constructs the library works with: the peer dependencies are ^ these.
// aws-cdk-lib 2.270.0 is the first whose Validations.acknowledge() also acknowledges the construct's
// warnings (Annotations.addWarningV2: the MFA / threat protection opt-outs, the network warnings); 2.269.0
// the first that accepts the granular acknowledgement ids the construct uses (`AwsSolutions-IAM4[Policy::...]`).
// constructs 10.5.1 is what cdk-nag 3 needs. An older aws-cdk-lib silently ignores props it does not know,
// so the floor is proven by running the synthesis tests against exactly these versions (test:floor, in CI).
const CDK_FLOOR_VERSION = '2.270.0';
const CONSTRUCTS_FLOOR_VERSION = '10.5.1';
// The versions developed and tested with, pinned on purpose: the synthesized templates (and so the
// snapshots and the compliance findings) depend on them.
const CDK_VERSION = '2.276.0';
const CONSTRUCTS_VERSION = '10.5.1';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-health-data-lake',
  description:
    'A secure front door for a healthcare data lake: Cognito sign-in, an HTTP API for HL7 v2 messages, ' +
    'and attribute-based access control (ABAC) with Cognito principal tags on an encrypted S3 bucket.',
  keywords: ['cdk', 'awscdk', 'healthcare', 'hl7', 'data-lake', 'cognito', 'abac', 's3', 'hipaa'],
  license: 'Apache-2.0',
  author: 'cdk-health-data-lake maintainers',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-health-data-lake/cdk-health-data-lake.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  tsconfigDevFile: 'tsconfig.dev.json',

  cdkVersion: CDK_FLOOR_VERSION,
  constructsVersion: CONSTRUCTS_FLOOR_VERSION,
  // Developed against the pinned versions below, not against the floor (see test:floor for that).
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: '~6.0.0',

  // CI is `.ci/run`; no hosted workflows.
  github: false,
  release: false,
  sampleCode: false,

  publishToPypi: {
    distName: 'cdk-health-data-lake',
    module: 'cdk_health_data_lake',
  },

  // The operator's command-line tool is bundled below (assets/cli), not compiled into the library.
  excludeTypescript: ['src/cli/**'],

  // The handlers are bundled below (no generated function classes: they would be public API).
  lambdaAutoDiscover: false,

  devDeps: [
    `aws-cdk-lib@${CDK_VERSION}`,
    'cdk-nag@^3.0.2',
    `${IAM_SIMULATOR}@^0.1.173`,
    'fast-check@^4.10.2',
    'aws-sdk-client-mock@^4.1.0',
    '@aws-sdk/client-s3@^3.1164.0',
    '@aws-sdk/client-cognito-identity@^3.1164.0',
    '@aws-lambda-powertools/logger@^2.36.0',
    '@aws-lambda-powertools/metrics@^2.36.0',
    '@types/aws-lambda@^8.10.164',
    // Benchmark baselines only: existing HL7 v2 parsers our parser is compared with.
    '@medplum/core@^5.2.13',
    'simple-hl7@^3.3.0',
    // The operator's command-line tool (src/cli), bundled by esbuild into the package like the handlers.
    '@aws-sdk/client-cognito-identity-provider@^3.1164.0',
    '@aws-sdk/client-cloudformation@^3.1164.0',
    'commander@^15.1.0',
    'cli-table3@^0.6.5',
    'otplib@^13.5.0',
    'cognito-srp-helper@^2.3.4',
    // The deployable integration test (test/*.integ.ts).
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
  ],

  // Lint every TypeScript file against the dev tsconfig (it includes src, test, example and benchmark).
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'example', 'benchmark', 'projenrc'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },

  jestOptions: {
    // A snapshot that differs must fail the run, in CI and locally; `npx projen test -u` updates.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      // Synthesis with bundled assets and the policy simulation take more than jest's 5 s default.
      testTimeout: 120_000,
      coverageReporters: ['text-summary'],
      // commander is an ECMAScript module only: jest (CommonJS) needs it transformed (test/cli/support).
      // commander and the TOTP library's hash and base32 modules are ECMAScript modules only.
      transformIgnorePatterns: ['/node_modules/(?!(commander|@scure/base|@noble/hashes)/)'],
      transform: {
        '^.+/node_modules/(commander|@scure/base|@noble/hashes)/.+\\.js$': new javascript.Transform('<rootDir>/test/cli/support/esm-to-commonjs.js'),
      },
    },
  },
});

// The construct library's setup replaces any constructs devDependency with the peer range: pin it here.
project.deps.addDependency(`constructs@${CONSTRUCTS_VERSION}`, DependencyType.BUILD);

// unrs-resolver 1.13 (pulled in by jest 30 and eslint-import-resolver-typescript) lists platform
// builds that the registry does not serve, which breaks `npm ci` on a fresh clone.
project.package.addPackageResolutions('unrs-resolver@1.12.2');

// The Lambda handlers (src/runtime/NAME.lambda.ts) are bundled at build time into
// assets/runtime/NAME.lambda/index.js, which ships in the package: consumers (TypeScript or Python)
// never need esbuild or Docker at synth. The construct builds its functions from these bundles
// (src/api/handler-function.ts), so no generated function class enters the public API.
// The bundles are built before the tests, which synthesize stacks that reference them.
const handlerEntrypoints = fs.readdirSync('src/runtime').filter((file) => file.endsWith('.lambda.ts')).sort();
for (const file of handlerEntrypoints) {
  const entrypoint = `src/runtime/${file}`;
  project.bundler.addBundle(entrypoint, {
    // The runtime the functions are pinned to (src/api/handler-function.ts).
    target: 'node24',
    platform: 'node',
    // Bundle the AWS SDK too: the handler runs with the SDK version it was tested with.
    externals: [],
    sourcemap: false,
    // Smaller package, faster cold start.
    minify: true,
    tsconfigPath: project.tsconfigDev.fileName,
  });
  project.eslint?.allowDevDeps(entrypoint);
}
// The operator's command-line tool (src/cli), bundled the same way into assets/cli/main/index.js with
// everything it uses (commander, cli-table3, the AWS SDK clients): it is the package's `bin`, and the
// library keeps no runtime dependency. Node 20 is the oldest Node.js the CDK CLI still supports.
project.bundler.addBundle('src/cli/main.ts', {
  target: 'node20',
  platform: 'node',
  // The IAM policy simulator of `report` is AGPL-3.0: never bundled, loaded at run time from the
  // reviewer's own installation (see the optional peer dependency below).
  externals: [IAM_SIMULATOR],
  sourcemap: false,
  minify: true,
  executable: true,
  // Run by npm's bin link (and npx) directly.
  banner: '#!/usr/bin/env node',
  tsconfigPath: project.tsconfigDev.fileName,
});
project.addBins({ 'cdk-health-data-lake': 'assets/cli/main/index.js' });
// `report` needs the simulator, which the reviewer installs (README, "Compliance review"). It is
// declared optional for package managers, but not under peerDependencies: jsii would require a jsii
// assembly of every peer dependency, and the package must stay free of copyleft dependencies.
project.package.addField('peerDependenciesMeta', { [IAM_SIMULATOR]: { optional: true } });
// The tool's sources are bundled, not compiled by jsii: they are no part of the library's API, and
// commander (an ECMAScript module) is loaded in a way only the bundle and the tests resolve.
project.eslint?.allowDevDeps('src/cli/**/*.ts');

const bundle = project.tasks.tryFind('bundle');
if (bundle) project.testTask.prependSpawn(bundle);

// Handler code imports its runtime packages (AWS SDK, Powertools) as devDependencies: esbuild bundles
// them into the assets, so consumers of the library never install them.
project.eslint?.addOverride({
  files: ['src/runtime/**/*.ts', 'src/cli/**/*.ts', 'benchmark/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': 'off' },
});

// The example app that a consumer would write; it is type-checked and linted with the tests.
project.tsconfigDev.addInclude('.projenrc.ts');
project.tsconfigDev.addInclude('example/**/*.ts');
project.tsconfigDev.addInclude('benchmark/**/*.ts');
project.npmignore?.exclude('/example/', '/benchmark/', '/.ci/', '/tsconfig.dev.json', '/rosetta/', '/.jsii.tabl.json');
project.gitignore.exclude('/cdk.out/', '/example/cdk.out/', '/.jsii.tabl.json');

// The main job: synthesize the example app and print a summary of what it created and of the
// compliance checks (cdk-nag AwsSolutions, HIPAA Security and NIST 800-53 rev 5).
const example = project.addTask('example', {
  description: 'Synthesize the example app and print a summary of the resources and compliance checks',
});
if (bundle) example.spawn(bundle);
example.exec('ts-node --project tsconfig.dev.json example/main.ts');

// The compatibility floor: the synthesis tests against the oldest aws-cdk-lib and constructs the peer
// dependencies allow, installed in a scratch copy of the repository (.ci/test-floor says how).
project.addTask('test:floor', {
  description: 'Run the synthesis tests against the lowest aws-cdk-lib and constructs of the peer dependencies',
  exec: '.ci/test-floor',
  receiveArgs: true,
});

// Benchmarks: scripts that print figures (never timed assertions in tests).
const bench = project.addTask('bench', {
  description: 'Print the parser throughput, handler latency and AWS calls, and handler bundle sizes and cold import times',
});
if (bundle) bench.spawn(bundle);
for (const script of ['parse', 'handler', 'bundles']) {
  bench.exec(`ts-node --project tsconfig.dev.json benchmark/${script}.ts`);
}

// Python packaging without PyPI: generate the Python sources with jsii-pacmak, then build the
// wheel and sdist with Debian's python3-build (no isolated venv, so nothing is downloaded).
// The package's description (its PyPI page) is the README with every TypeScript example in Python:
// jsii-rosetta translates them (compiled against the assembly, so props become keyword arguments), then
// rosetta/python-examples.js puts in the hand-written Python of rosetta/*.py where a translation would not run
// and ends each whole app with `app.synth()`; pacmak fails on an example left untranslated.
const ROSETTA_TABLET = '.jsii.tabl.json';
const packagePython = project.tasks.tryFind('package:python');
if (packagePython) {
  packagePython.reset();
  packagePython.exec(`rm -rf dist/.pysrc dist/python ${ROSETTA_TABLET}`);
  packagePython.exec('jsii-rosetta extract --compile');
  packagePython.exec(`node rosetta/python-examples.js ${ROSETTA_TABLET}`);
  packagePython.exec(
    `jsii-pacmak -v --target python --code-only --rosetta-tablet ${ROSETTA_TABLET} --rosetta-unknown-snippets fail --outdir dist/.pysrc`,
  );
  packagePython.exec(
    '/usr/bin/python3 -m build --no-isolation --skip-dependency-check --outdir dist/python dist/.pysrc/python',
  );
}

// The Python package, proven: the wheel of package:python installed in a venv built without PyPI (from the
// python-jsii-kit beside the repository), every Python example of its description and the apps of
// test/python/apps synthesized and compared with the same apps in TypeScript (test/python/run.sh says how).
project.addTask('test:python', {
  description: 'Install the Python wheel in a venv built without PyPI, synthesize the Python examples and apps, and compare each template with its TypeScript twin',
  exec: 'test/python/run.sh',
});

// The deployable integration test (test/NAME.integ.ts): its snapshot is synthesized by running the app
// with CDK_OUTDIR set, which needs no cdk CLI (the app sets the context the CLI would), so `test`
// checks it offline with what is installed. Deploying it needs the cdk CLI, fetched on demand: only
// someone with an AWS account runs integ:NAME:deploy and integ:NAME:destroy.
project.deps.removeDependency('aws-cdk');
const CDK_CLI = ['npx', '--yes', 'aws-cdk@^2'];
for (const file of fs.readdirSync('test').filter((name) => name.endsWith('.integ.ts')).sort()) {
  const name = file.replace(/\.integ\.ts$/, '');
  const entrypoint = `test/${file}`;
  const snapshotDir = `test/${name}.integ.snapshot`;
  const assertDir = `test/.tmp/${name}.integ/assert.cdk.out`;
  const app = `ts-node -P ${project.tsconfigDev.fileName} ${entrypoint}`;
  const synth = (outdir: string) => `rm -rf ${outdir} && CDK_OUTDIR=${outdir} ${app}`;
  project.tasks.tryFind(`integ:${name}:snapshot`)?.reset(synth(snapshotDir));
  project.tasks.tryFind(`integ:${name}:assert`)?.reset(
    `[ -d "${snapshotDir}" ] || (echo "No snapshot available for integration test '${name}'. Run 'projen integ:${name}:deploy' to capture." && exit 1)`);
  project.tasks.tryFind(`integ:${name}:assert`)?.exec(synth(assertDir));
  project.tasks.tryFind(`integ:${name}:assert`)?.exec(
    `diff -r -x 'asset.*' -x cdk.out -x manifest.json -x tree.json ${snapshotDir}/ ${assertDir}/`);
  for (const verb of ['deploy', 'watch', 'destroy']) {
    const task = project.tasks.tryFind(`integ:${name}:${verb}`);
    for (const step of task?.steps ?? []) {
      const args = step.execArgs;
      if (args?.[0] === 'cdk') (step as { execArgs?: string[] }).execArgs = [...CDK_CLI, ...args.slice(1)];
    }
  }
}

project.synth();
