import { ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { USER_POOL_ID, WITH_STACK, cognito, givenStack, runCli } from './support/run-cli';

/** The `try` command as the tool's `run` wires it: the lake from the stack outputs, the exit code back to the caller. */
describe('GIVEN the tool', () => {
  beforeEach(() => givenStack());

  test('WHEN --help THEN try is listed beside users', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\s+users\b/m);
    expect(result.stdout).toMatch(/^\s+try \[options\]/m);
  });

  test('WHEN try finds the users of an earlier run THEN it creates nobody and the tool exits 1 with one sentence', async () => {
    cognito.on(ListUsersCommand).resolves({
      Users: [{ Username: 'u1', Attributes: [{ Name: 'email', Value: 'try-a-reader@try.health-data-lake.invalid' }] }],
    });

    const result = await runCli([...WITH_STACK, 'try']);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/try --cleanup/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(cognito.commandCalls(ListUsersCommand)[0].args[0].input.UserPoolId).toBe(USER_POOL_ID);
    expect(cognito.calls().map((call) => call.args[0].constructor.name)).toEqual(['ListUsersCommand']);
  });
});
