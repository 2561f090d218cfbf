import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AdminUserGlobalSignOutCommand, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { STACK, USER_POOL_ID, WITH_STACK, awsError, cloudFormation, cognito, givenStack, lakeOutputs, runCli } from './support/run-cli';

beforeEach(() => givenStack());

describe('finding the lake', () => {
  test('GIVEN a stack with two lakes WHEN no --lake THEN exit 2 naming both prefixes', async () => {
    givenStack([...lakeOutputs('Lake'), ...lakeOutputs('Research', { UserPoolId: 'eu-west-1_Pool2' })]);

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result).toEqual({ code: 2, stdout: '', stderr: `Error: Stack ${STACK} holds several lakes (Lake, Research): choose one with --lake.\n` });
    expect(cognito.calls()).toHaveLength(0);
  });

  test('GIVEN a stack with two lakes WHEN --lake Research THEN that lake\'s user pool is used', async () => {
    givenStack([...lakeOutputs('Lake'), ...lakeOutputs('Research', { UserPoolId: 'eu-west-1_Pool2' })]);
    cognito.on(ListUsersCommand).resolves({ Users: [] });

    const result = await runCli([...WITH_STACK, '--lake', 'Research', 'users', 'list']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(ListUsersCommand)[0].args[0].input.UserPoolId).toBe('eu-west-1_Pool2');
  });

  test('GIVEN a stack WHEN --lake names no lake of it THEN exit 2 listing the lakes there are', async () => {
    const result = await runCli([...WITH_STACK, '--lake', 'Other', 'users', 'list']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`Error: Stack ${STACK} has no lake with the output prefix Other: give --lake one of Lake.\n`);
  });

  test('GIVEN a stack without lake outputs WHEN any users command runs THEN exit 1 saying to set createOutputs', async () => {
    givenStack([{ OutputKey: 'SomethingElse', OutputValue: 'x' }]);

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: Stack ${STACK} has no lake outputs (such as <id>UserPoolId, <id>ReadClaim): set createOutputs: true on the ` +
        'HealthDataLake and deploy again, or give --user-pool-id instead of --stack.\n',
    });
  });

  test('GIVEN a stack of an older lake without RevocationDelaySeconds WHEN a command runs THEN exit 1 naming the missing output', async () => {
    givenStack(lakeOutputs().filter((output) => output.OutputKey !== 'LakeRevocationDelaySeconds'));

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Error: Stack ${STACK} lacks the lake outputs LakeRevocationDelaySeconds: deploy it again with ` +
      'this version of cdk-health-data-lake and createOutputs: true.\n');
  });

  test('GIVEN a stack that does not exist WHEN a command runs THEN exit 1 saying to check --stack and --region', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id Nope does not exist'));

    const result = await runCli(['--stack', 'Nope', '--region', 'eu-west-1', 'users', 'list']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Stack with id Nope does not exist: check --stack and --region (and --profile for the account).\n',
    });
  });

  test('GIVEN explicit ids WHEN signing out THEN no stack is read and the given delay is printed', async () => {
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});

    const result = await runCli(['--user-pool-id', 'eu-west-1_X', '--revocation-delay-seconds', '45', '--region', 'eu-west-1',
      'users', 'sign-out', '--email', 'alice@example.org']);

    expect(result.code).toBe(0);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)[0].args[0].input.UserPoolId).toBe('eu-west-1_X');
    expect(result.stdout).toContain('within 45 seconds');
  });

  test('GIVEN neither --stack nor --user-pool-id WHEN a command runs THEN exit 2 naming both ways', async () => {
    const result = await runCli(['--region', 'eu-west-1', 'users', 'list']);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: This command needs --user-pool-id: give --stack NAME to read it from the lake\'s stack outputs, or give --user-pool-id.\n',
    });
  });

  test('GIVEN --stack and --user-pool-id together WHEN a command runs THEN exit 2', async () => {
    const result = await runCli([...WITH_STACK, '--user-pool-id', 'eu-west-1_X', 'users', 'list']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: Give either --stack or explicit ids (--user-pool-id and the like), not both.\n');
  });

  test('GIVEN a bad --revocation-delay-seconds WHEN parsing THEN exit 2', async () => {
    const result = await runCli(['--user-pool-id', 'p', '--revocation-delay-seconds', 'soon', 'users', 'list']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Give a whole number of seconds, such as 60.');
  });
});

describe('AWS errors', () => {
  test('GIVEN Cognito throttles WHEN listing THEN exit 1 saying to wait and retry, without a stack trace', async () => {
    cognito.on(ListUsersCommand).rejects(awsError('TooManyRequestsException', 'Too many requests', 429));

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: AWS throttled the request (TooManyRequestsException: Too many requests): wait a moment and run the command again.\n',
    });
  });

  test('GIVEN CloudFormation throttles WHEN reading the stack THEN exit 1 with the same advice', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('Throttling', 'Rate exceeded'));

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: AWS throttled the request (Throttling: Rate exceeded): wait a moment and run the command again.\n');
  });

  test('GIVEN IAM denies the admin call WHEN signing out THEN exit 1 saying which credentials to use', async () => {
    const denied = 'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: cognito-idp:AdminUserGlobalSignOut';
    cognito.on(AdminUserGlobalSignOutCommand).rejects(awsError('AccessDeniedException', denied, 403));

    const result = await runCli([...WITH_STACK, 'users', 'sign-out', '--email', 'alice@example.org']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: AWS denied access (${denied}): use credentials (--profile) whose IAM policy allows this action on the lake.\n`,
    });
  });

  test('GIVEN --debug WHEN an AWS call fails THEN the sentence is followed by the stack trace and the request metadata', async () => {
    cognito.on(ListUsersCommand).rejects(awsError('AccessDeniedException', 'denied', 403));

    const result = await runCli([...WITH_STACK, '--debug', 'users', 'list']);

    expect(result.code).toBe(1);
    const [sentence, ...rest] = result.stderr.split('\n');
    expect(sentence).toBe('Error: AWS denied access (denied): use credentials (--profile) whose IAM policy allows this action on the lake.');
    expect(rest.join('\n')).toMatch(/AccessDeniedException: denied\n\s+at /);
    expect(result.stderr).toContain('AWS: {"httpStatusCode":403,"requestId":"req-1"}');
  });

  test('GIVEN an unexpected AWS error WHEN a command runs THEN exit 1 with its name and message and a pointer to --debug', async () => {
    cognito.on(ListUsersCommand).rejects(awsError('InternalErrorException', 'Internal error.', 500));

    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: InternalErrorException: Internal error. Run the command again with --debug for details.\n',
    });
  });
});

test('GIVEN --region and --profile WHEN the clients are made THEN both reach the client configuration', async () => {
  const seen: Array<{ region: string; profile?: string }> = [];
  cloudFormation.on(DescribeStacksCommand).callsFake(async (_input, getClient) => {
    const client = getClient() as CloudFormationClient;
    seen.push({ region: await client.config.region(), profile: client.config.profile });
    return { Stacks: [{ StackName: STACK, CreationTime: new Date(0), StackStatus: 'CREATE_COMPLETE', Outputs: lakeOutputs() }] };
  });
  cognito.on(ListUsersCommand).resolves({ Users: [] });

  const result = await runCli(['--stack', STACK, '--region', 'ap-southeast-2', '--profile', 'ops', 'users', 'list']);

  expect(result.code).toBe(0);
  expect(seen).toEqual([{ region: 'ap-southeast-2', profile: 'ops' }]);
  expect(cognito.commandCalls(ListUsersCommand)[0].args[0].input.UserPoolId).toBe(USER_POOL_ID);
});
