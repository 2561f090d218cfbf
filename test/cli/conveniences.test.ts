import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { STACK, WITH_STACK, awsError, cloudFormation, cognito, givenStack, lakeOutputs, runCli } from './support/run-cli';

const ROOT = join(__dirname, '..', '..');
const GLOBAL_OPTIONS = ['--stack <name>', '--lake <prefix>', '--user-pool-id <id>', '--user-pool-client-id <id>', '--api-url <url>',
  '--region <region>', '--profile <name>', '--json', '--debug'];

beforeEach(() => givenStack());

test('GIVEN --version WHEN the tool runs THEN it prints the package\'s version and exits 0', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

  const result = await runCli(['--version']);

  expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
});

describe('every command\'s help', () => {
  test.each(['users create', 'users set-institutes', 'users delete', 'users list', 'users token', 'try', 'report'])(
    'GIVEN `%s --help` THEN the global options are listed there too', async (command) => {
      const result = await runCli([...command.split(' '), '--help']);

      expect(result.code).toBe(0);
      const globalPart = result.stdout.split(/^Global Options:$/m)[1];
      expect(globalPart).toBeDefined();
      for (const option of GLOBAL_OPTIONS) expect(globalPart).toContain(`  ${option}`);
    });

  test('GIVEN a command with a required option THEN its help marks it (required), and only it', async () => {
    const result = await runCli(['users', 'create', '--help']);

    const help = result.stdout.replace(/\s+/g, ' '); // commander wraps the descriptions
    expect(help).toContain('--email <address> the user\'s email address (their user name) (required)');
    expect(help.match(/\(required\)/g)).toHaveLength(1);
  });
});

describe('try without a stack', () => {
  test('GIVEN explicit ids WHEN try runs THEN it needs nothing else and reaches the user pool', async () => {
    cognito.on(ListUsersCommand).resolves({
      Users: [{ Username: 'u1', Attributes: [{ Name: 'email', Value: 'try-a-reader@try.health-data-lake.invalid' }] }],
    });

    const result = await runCli(['--api-url', 'https://abc.execute-api.eu-west-1.amazonaws.com/', '--user-pool-id', 'eu-west-1_X',
      '--user-pool-client-id', 'client123', '--region', 'eu-west-1', 'try']);

    expect(cloudFormation.calls()).toHaveLength(0);
    expect(cognito.commandCalls(ListUsersCommand)[0].args[0].input.UserPoolId).toBe('eu-west-1_X');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Run try --cleanup first');
  });

  test('GIVEN neither --stack nor the ids WHEN try runs THEN exit 2 naming the options that exist', async () => {
    const result = await runCli(['--region', 'eu-west-1', 'try']);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: This command needs --api-url, --user-pool-id, --user-pool-client-id: give --stack NAME to read it from the ' +
        'lake\'s stack outputs, or give --api-url, --user-pool-id, --user-pool-client-id.\n',
    });
  });
});

describe('a lake in a nested stack', () => {
  const NESTED = 'HealthStack-LakeNestedStackLakeNestedStackResource-1X2Y3Z';

  test('GIVEN a stack whose nested stack holds the lake WHEN a command names the parent THEN exit 2 naming the nested stack', async () => {
    givenStack([{ OutputKey: 'SomethingElse', OutputValue: 'x' }]);
    cloudFormation.on(ListStackResourcesCommand, { StackName: STACK }).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: 'Bucket', ResourceType: 'AWS::S3::Bucket', PhysicalResourceId: 'b', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(0) },
        {
          LogicalResourceId: 'LakeNestedStackLakeNestedStackResource',
          ResourceType: 'AWS::CloudFormation::Stack',
          PhysicalResourceId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${NESTED}/0f0e0d0c`,
          ResourceStatus: 'CREATE_COMPLETE',
          LastUpdatedTimestamp: new Date(0),
        },
      ],
    });
    cloudFormation.on(DescribeStacksCommand, { StackName: NESTED }).resolves({
      Stacks: [{ StackName: NESTED, CreationTime: new Date(0), StackStatus: 'CREATE_COMPLETE', Outputs: lakeOutputs() }],
    });

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `Error: Stack ${STACK} has no lake outputs, but its nested stack ${NESTED} has: give --stack ${NESTED}.\n`,
    });
    expect(cognito.calls()).toHaveLength(0);
  });

  test('GIVEN a stack whose resources cannot be listed WHEN it has no lake outputs THEN the createOutputs sentence stands', async () => {
    givenStack([{ OutputKey: 'SomethingElse', OutputValue: 'x' }]);
    cloudFormation.on(ListStackResourcesCommand).rejects(awsError('AccessDenied', 'not allowed', 403));

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('set createOutputs: true on the HealthDataLake');
  });
});

test('GIVEN --debug WHEN an unexpected AWS error is described THEN the sentence does not ask for --debug again', async () => {
  cognito.on(ListUsersCommand).rejects(awsError('InternalErrorException', 'Internal error.', 500));

  const withDebug = await runCli([...WITH_STACK, '--debug', 'users', 'list']);
  const without = await runCli([...WITH_STACK, 'users', 'list']);

  expect(withDebug.stderr.split('\n')[0]).toBe('Error: InternalErrorException: Internal error.');
  expect(without.stderr).toBe('Error: InternalErrorException: Internal error. Run the command again with --debug for details.\n');
});

describe('the bundled tool on the Node.js it runs on', () => {
  // On Node.js before 22 the AWS SDK warns (NodeVersionSupportWarning, 8 lines) when the first client is made.
  const bin = join(ROOT, 'assets', 'cli', 'main', 'index.js');
  const runBin = async (args: string[], nodeArgs: string[] = []) => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete env.NODE_NO_WARNINGS;
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [...nodeArgs, bin, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  test('GIVEN a command that makes an AWS client WHEN it fails THEN its one sentence is all of stderr: no SDK warning first', async () => {
    const result = await runBin(['users', 'list']);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: This command needs --user-pool-id: give --stack NAME to read it from the lake\'s stack outputs, or give --user-pool-id.\n',
    });
  });

  test('GIVEN --version WHEN the bundled tool runs THEN it prints the version of the package.json beside it', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    expect(await runBin(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('GIVEN another warning WHEN the tool runs THEN that one is still printed', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'warning-'));
    try {
      const preload = join(folder, 'warn.js');
      writeFileSync(preload, "process.emitWarning('something else', 'OtherWarning');\n");

      const result = await runBin(['users', 'list'], ['--require', preload]);

      expect(result.stderr).toContain('OtherWarning: something else');
      expect(result.stderr).not.toContain('NodeVersionSupportWarning');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
