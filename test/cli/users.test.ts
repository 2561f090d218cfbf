import {
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  ListUsersCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { BUCKET, STACK, USER_POOL_ID, WITH_STACK, awsError, cloudFormation, cognito, givenStack, lakeOutputs, runCli } from './support/run-cli';

function user(email: string, read?: string, write?: string, overrides: Partial<UserType> = {}): UserType {
  return {
    Username: `sub-${email}`,
    UserStatus: 'CONFIRMED',
    Enabled: true,
    UserCreateDate: new Date('2025-01-02T03:04:05Z'),
    Attributes: [
      { Name: 'email', Value: email },
      ...(read !== undefined ? [{ Name: 'custom:read', Value: read }] : []),
      ...(write !== undefined ? [{ Name: 'custom:write', Value: write }] : []),
    ],
    ...overrides,
  };
}

beforeEach(() => givenStack());

describe('users create', () => {
  test('GIVEN a lake stack WHEN creating a user with both institutes THEN AdminCreateUser gets the email and the claims the outputs name', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: user('alice@example.org', 'A', 'A', { UserStatus: 'FORCE_CHANGE_PASSWORD' }) });

    const result = await runCli([...WITH_STACK, 'users', 'create', '--email', 'alice@example.org', '--read', 'A', '--write', 'A']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(cognito.commandCalls(AdminCreateUserCommand)[0].args[0].input).toEqual({
      UserPoolId: USER_POOL_ID,
      Username: 'alice@example.org',
      UserAttributes: [
        { Name: 'email', Value: 'alice@example.org' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'custom:read', Value: 'A' },
        { Name: 'custom:write', Value: 'A' },
      ],
      DesiredDeliveryMediums: ['EMAIL'],
    });
    expect(result.stdout).toBe('Created alice@example.org: reads A, writes A.\n' +
      'Cognito emailed a temporary password to alice@example.org; at the first sign-in they choose a password and set up TOTP MFA.\n');
  });

  test('GIVEN a lake with other attribute names WHEN creating a user THEN the attributes are those of the ReadClaim and WriteClaim outputs', async () => {
    givenStack(lakeOutputs('Lake', { ReadClaim: 'custom:readInstitute', WriteClaim: 'custom:writeInstitute' }));
    cognito.on(AdminCreateUserCommand).resolves({});

    const result = await runCli([...WITH_STACK, 'users', 'create', '--email', 'bob@example.org', '--read', 'B']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminCreateUserCommand)[0].args[0].input.UserAttributes).toEqual([
      { Name: 'email', Value: 'bob@example.org' },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'custom:readInstitute', Value: 'B' },
    ]);
    expect(result.stdout).toContain('Created bob@example.org: reads B, writes nothing.');
  });

  test('GIVEN --json WHEN creating a user without institutes THEN stdout is the user as JSON', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: user('nobody@example.org', undefined, undefined, { UserStatus: 'FORCE_CHANGE_PASSWORD' }) });

    const result = await runCli([...WITH_STACK, '--json', 'users', 'create', '--email', 'nobody@example.org']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      email: 'nobody@example.org', status: 'FORCE_CHANGE_PASSWORD', enabled: true, read: null, write: null, created: '2025-01-02T03:04:05.000Z',
    });
  });

  test.each([
    ['St. Mary\'s', '"St. Mary\'s" has "\'" (U+0027) at position 9, which AWS session tags and S3 object tags do not allow'],
    ['a*b', '"a*b" has "*" (U+002A) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['A#1', '"A#1" has "#" (U+0023) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['A,B', '"A,B" has "," (U+002C) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['Clinic 🏥', '"Clinic 🏥" has "🏥" (U+1F3E5) at position 8, which AWS session tags and S3 object tags do not allow'],
    ['a\u200bb', '"a\\u{200B}b" has the invisible format character U+200B at position 2, which AWS session tags and S3 object tags do not allow'],
    ['Hospital ', '"Hospital " ends with a space (position 9), which is hard to see and makes a second spelling of the institute'],
    ['a/b', '"a/b" has "/" at position 2, which would put its messages\' keys inside another institute\'s prefix'],
    ['   ', '"   " starts with a space, which is hard to see and makes a second spelling of the institute'],
    ['a\tb', '"a\\u{9}b" has the control character U+0009 at position 2, which AWS session tags and S3 object tags do not allow'],
    ['x'.repeat(257), `"${'x'.repeat(40)}…" is 257 characters long, above the 256 that session tags, S3 object tags and the user pool attribute hold`],
  ])('GIVEN the institute %j WHEN creating a user THEN exit 2 with one sentence that names the character, and nothing is created', async (institute, problem) => {
    const result = await runCli([...WITH_STACK, 'users', 'create', '--email', 'alice@example.org', '--write', institute]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(` is invalid. The institute name ${problem}; ` +
      'an institute name has 1 to 256 letters, digits, spaces and _ . : = + - @ (no "/"), no space at either end, and is written in Unicode NFC.\n');
    expect(result.stdout).toBe('');
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(0);
  });

  test.each(['Hôpital Saint-Louis', '病院'])('GIVEN the institute %j (letters beyond ASCII) WHEN creating a user THEN it is set as given', async (institute) => {
    cognito.on(AdminCreateUserCommand).resolves({});

    const result = await runCli([...WITH_STACK, '--json', 'users', 'create', '--email', 'alice@example.org', '--read', institute, '--write', institute]);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminCreateUserCommand)[0].args[0].input.UserAttributes).toEqual(expect.arrayContaining([
      { Name: 'custom:read', Value: institute }, { Name: 'custom:write', Value: institute },
    ]));
  });

  test('GIVEN an existing user WHEN creating them again THEN exit 1 and the tool points at set-institutes', async () => {
    cognito.on(AdminCreateUserCommand).rejects(awsError('UsernameExistsException', 'An account with the given email already exists.'));

    const result = await runCli([...WITH_STACK, 'users', 'create', '--email', 'alice@example.org', '--read', 'A']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: User alice@example.org already exists in user pool ${USER_POOL_ID}: change their institutes with \`users set-institutes\`.\n`,
    });
  });

  test('GIVEN no --email WHEN creating a user THEN exit 2 and commander names the option', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'create', '--read', 'A']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--email <address>' not specified");
  });

  test('GIVEN a malformed email WHEN creating a user THEN exit 2 and the expected form is named', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'create', '--email', 'not an address']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Give the user\'s email address, such as alice@example.org.');
  });
});

describe('users set-institutes', () => {
  test('GIVEN --read and --no-write WHEN setting institutes THEN read is updated and write is deleted', async () => {
    cognito.on(AdminUpdateUserAttributesCommand).resolves({});
    cognito.on(AdminDeleteUserAttributesCommand).resolves({});

    const result = await runCli([...WITH_STACK, 'users', 'set-institutes', '--email', 'alice@example.org', '--read', 'B', '--no-write']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)[0].args[0].input).toEqual({
      UserPoolId: USER_POOL_ID, Username: 'alice@example.org', UserAttributes: [{ Name: 'custom:read', Value: 'B' }],
    });
    expect(cognito.commandCalls(AdminDeleteUserAttributesCommand)[0].args[0].input).toEqual({
      UserPoolId: USER_POOL_ID, Username: 'alice@example.org', UserAttributeNames: ['custom:write'],
    });
    expect(result.stdout).toBe('Updated alice@example.org: read B, write cleared.\n' +
      'Tokens already issued keep working until they expire (tokenValidity, 15 minutes by default); ' +
      'run `users sign-out --email alice@example.org` to end them within 60 seconds.\n');
  });

  test('GIVEN only --write WHEN setting institutes THEN nothing is deleted and read stays unchanged', async () => {
    cognito.on(AdminUpdateUserAttributesCommand).resolves({});

    const result = await runCli([...WITH_STACK, '--json', 'users', 'set-institutes', '--email', 'alice@example.org', '--write', 'C']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminDeleteUserAttributesCommand)).toHaveLength(0);
    expect(JSON.parse(result.stdout)).toEqual({ email: 'alice@example.org', read: 'unchanged', write: 'C' });
  });

  test('GIVEN neither institute WHEN setting institutes THEN exit 2 and how to set or clear one', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'set-institutes', '--email', 'alice@example.org']);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: Give --read INSTITUTE or --write INSTITUTE to set one, or --no-read or --no-write to clear one.\n',
    });
    expect(cognito.calls()).toHaveLength(0);
  });

  test.each([
    [['--read', 'X', '--no-read'], 'read'],
    [['--no-read', '--read', 'X'], 'read'],
    [['--write', 'X', '--no-write', '--read', 'Y'], 'write'],
    [['--no-write', '--write', 'X'], 'write'],
  ])('GIVEN %j WHEN setting institutes THEN exit 2: setting and clearing one institute contradict each other, and nothing changes', async (args, which) => {
    const result = await runCli([...WITH_STACK, 'users', 'set-institutes', '--email', 'alice@example.org', ...args]);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `Error: --${which} INSTITUTE sets the ${which} institute and --no-${which} clears it: give one of them, not both.\n`,
    });
    expect(cognito.calls()).toHaveLength(0);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  test('GIVEN a user who does not exist WHEN setting institutes THEN exit 1 naming the user and the pool', async () => {
    cognito.on(AdminUpdateUserAttributesCommand).rejects(awsError('UserNotFoundException', 'User does not exist.'));

    const result = await runCli([...WITH_STACK, 'users', 'set-institutes', '--email', 'ghost@example.org', '--read', 'A']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: No user ghost@example.org in user pool ${USER_POOL_ID}: check the address with \`users list\`.\n`,
    });
  });
});

describe('users disable / enable', () => {
  test('GIVEN a user WHEN disabling THEN AdminDisableUser is called and the sign-out hint names the delay', async () => {
    cognito.on(AdminDisableUserCommand).resolves({});

    const result = await runCli([...WITH_STACK, 'users', 'disable', '--email', 'alice@example.org']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminDisableUserCommand)[0].args[0].input).toEqual({ UserPoolId: USER_POOL_ID, Username: 'alice@example.org' });
    expect(result.stdout).toContain('Disabled alice@example.org: they can no longer sign in.');
    expect(result.stdout).toContain('to end them within 60 seconds');
  });

  test('GIVEN a disabled user WHEN enabling THEN AdminEnableUser is called', async () => {
    cognito.on(AdminEnableUserCommand).resolves({});

    const result = await runCli([...WITH_STACK, '--json', 'users', 'enable', '--email', 'alice@example.org']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminEnableUserCommand)[0].args[0].input).toEqual({ UserPoolId: USER_POOL_ID, Username: 'alice@example.org' });
    expect(JSON.parse(result.stdout)).toEqual({ email: 'alice@example.org', enabled: true });
  });

  test('GIVEN a user who does not exist WHEN disabling THEN exit 1 naming the user', async () => {
    cognito.on(AdminDisableUserCommand).rejects(awsError('UserNotFoundException', 'User does not exist.'));

    const result = await runCli([...WITH_STACK, 'users', 'disable', '--email', 'ghost@example.org']);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Error: No user ghost@example.org in user pool ${USER_POOL_ID}: check the address with \`users list\`.\n`);
  });
});

describe('users delete', () => {
  beforeEach(() => {
    cognito.on(ListUsersCommand, { Filter: 'email = "alice@example.org"' }).resolves({ Users: [user('alice@example.org', 'A', 'A')] });
    cognito.on(ListUsersCommand, { Filter: 'email = "ghost@example.org"' }).resolves({ Users: [] });
    cognito.on(AdminDeleteUserCommand).resolves({});
  });

  test('GIVEN no --yes WHEN deleting THEN a preview (exit 0) naming the user, the pool and the bucket, and nothing is deleted', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'delete', '--email', 'alice@example.org']);

    expect(result).toEqual({
      code: 0,
      stdout: `Would delete user alice@example.org (reads A, writes A, CONFIRMED) from user pool ${USER_POOL_ID}; ` +
        `the messages they sent stay in bucket ${BUCKET}. Nothing was deleted: run it again with --yes to delete.\n`,
      stderr: '',
    });
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  test('GIVEN no --yes and --json WHEN deleting THEN the preview says deleted: false', async () => {
    const result = await runCli([...WITH_STACK, '--json', 'users', 'delete', '--email', 'alice@example.org']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deleted: false, userPoolId: USER_POOL_ID, wouldDelete: { email: 'alice@example.org' } });
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  test('GIVEN --yes WHEN deleting THEN AdminDeleteUser deletes exactly that user and the output says what stays', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'delete', '--email', 'alice@example.org', '--yes']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminDeleteUserCommand).map((call) => call.args[0].input)).toEqual([
      { UserPoolId: USER_POOL_ID, Username: 'alice@example.org' },
    ]);
    expect(result.stdout).toBe(`Deleted user alice@example.org (reads A, writes A, CONFIRMED) from user pool ${USER_POOL_ID}. ` +
      `The messages they sent stay in bucket ${BUCKET}. Their tokens stop working at the API within 60 seconds.\n`);
  });

  test('GIVEN a user who does not exist WHEN deleting with --yes THEN exit 1 and nothing is deleted', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'delete', '--email', 'ghost@example.org', '--yes']);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Error: No user ghost@example.org in user pool ${USER_POOL_ID}: check the address with \`users list\`.\n`);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });
});

describe('users list', () => {
  beforeEach(() => {
    cognito.on(ListUsersCommand, { UserPoolId: USER_POOL_ID, PaginationToken: undefined }).resolves({
      Users: [user('carol@example.org', 'B', undefined), user('alice@example.org', 'A', 'A')],
      PaginationToken: 'page-2',
    });
    cognito.on(ListUsersCommand, { UserPoolId: USER_POOL_ID, PaginationToken: 'page-2' }).resolves({
      Users: [user('bob@example.org', undefined, 'B', { Enabled: false, UserStatus: 'FORCE_CHANGE_PASSWORD' })],
    });
  });

  test('GIVEN two pages of users WHEN listing THEN a table of every user, sorted by email', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'list']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(ListUsersCommand)).toHaveLength(2);
    expect(result.stdout).toBe([
      '┌───────────────────┬───────────────────────┬─────────┬──────┬───────┬────────────┐',
      '│ EMAIL             │ STATUS                │ ENABLED │ READ │ WRITE │ CREATED    │',
      '├───────────────────┼───────────────────────┼─────────┼──────┼───────┼────────────┤',
      '│ alice@example.org │ CONFIRMED             │ yes     │ A    │ A     │ 2025-01-02 │',
      '│ bob@example.org   │ FORCE_CHANGE_PASSWORD │ no      │ -    │ B     │ 2025-01-02 │',
      '│ carol@example.org │ CONFIRMED             │ yes     │ B    │ -     │ 2025-01-02 │',
      '└───────────────────┴───────────────────────┴─────────┴──────┴───────┴────────────┘',
      '',
    ].join('\n'));
  });

  test('GIVEN a user of an earlier release whose institute breaks the rule WHEN listing by it THEN they are found, to be given a valid name', async () => {
    cognito.on(ListUsersCommand, { UserPoolId: USER_POOL_ID, PaginationToken: undefined }).resolves({ Users: [user('dave@example.org', 'St. Mary\'s', undefined)] });

    const result = await runCli([...WITH_STACK, '--json', 'users', 'list', '--institute', 'St. Mary\'s']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).map((found: { email: string }) => found.email)).toEqual(['dave@example.org']);
  });

  test('GIVEN --institute B --json WHEN listing THEN only the users who read or write B, as JSON', async () => {
    const result = await runCli([...WITH_STACK, '--json', 'users', 'list', '--institute', 'B']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { email: 'bob@example.org', status: 'FORCE_CHANGE_PASSWORD', enabled: false, read: null, write: 'B', created: '2025-01-02T03:04:05.000Z' },
      { email: 'carol@example.org', status: 'CONFIRMED', enabled: true, read: 'B', write: null, created: '2025-01-02T03:04:05.000Z' },
    ]);
  });

  test('GIVEN no user of an institute WHEN listing it THEN a sentence, not an empty table', async () => {
    const result = await runCli([...WITH_STACK, 'users', 'list', '--institute', 'Z']);

    expect(result).toEqual({ code: 0, stdout: `No users of institute Z in user pool ${USER_POOL_ID}.\n`, stderr: '' });
  });
});

describe('users: durations in words', () => {
  test.each([
    [['sign-out', '--email', 'alice@example.org'], AdminUserGlobalSignOutCommand, 'the lake refuses their current tokens within 1 second.'],
    [['disable', '--email', 'alice@example.org'], AdminDisableUserCommand, 'to end them within 1 second.'],
    [['set-institutes', '--email', 'alice@example.org', '--read', 'A'], AdminUpdateUserAttributesCommand, 'to end them within 1 second.'],
  ])('GIVEN a lake with a revocation delay of 1 second WHEN running %j THEN the sentence says "1 second", not "1 seconds"', async (args, command, sentence) => {
    givenStack(lakeOutputs('Lake', { RevocationDelaySeconds: '1' }));
    cognito.on(command as any).resolves({});

    const result = await runCli([...WITH_STACK, 'users', ...args]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(sentence);
    expect(result.stdout).not.toMatch(/\b1 seconds\b/);
  });

  test('GIVEN a lake with a revocation delay of 1 second WHEN deleting a user THEN "within 1 second"', async () => {
    givenStack(lakeOutputs('Lake', { RevocationDelaySeconds: '1' }));
    cognito.on(ListUsersCommand).resolves({ Users: [user('alice@example.org', 'A', 'A')] });
    cognito.on(AdminDeleteUserCommand).resolves({});

    const result = await runCli([...WITH_STACK, 'users', 'delete', '--email', 'alice@example.org', '--yes']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Their tokens stop working at the API within 1 second.');
  });
});

describe('users sign-out', () => {
  test('GIVEN a lake with a 30-second revocation delay WHEN signing a user out THEN AdminUserGlobalSignOut and the delay is printed', async () => {
    givenStack(lakeOutputs('Lake', { RevocationDelaySeconds: '30' }));
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});

    const result = await runCli([...WITH_STACK, 'users', 'sign-out', '--email', 'alice@example.org']);

    expect(result.code).toBe(0);
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)[0].args[0].input).toEqual({ UserPoolId: USER_POOL_ID, Username: 'alice@example.org' });
    expect(result.stdout).toBe('Signed out alice@example.org everywhere: their refresh tokens are revoked, and the lake refuses ' +
      'their current tokens within 30 seconds.\n');
  });

  test('GIVEN --json WHEN signing a user out THEN the delay is a number in the JSON', async () => {
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});

    const result = await runCli([...WITH_STACK, '--json', 'users', 'sign-out', '--email', 'alice@example.org']);

    expect(JSON.parse(result.stdout)).toEqual({ email: 'alice@example.org', signedOut: true, revocationDelaySeconds: 60 });
  });

  test('GIVEN a user who does not exist WHEN signing out THEN exit 1 naming the user', async () => {
    cognito.on(AdminUserGlobalSignOutCommand).rejects(awsError('UserNotFoundException', 'User does not exist.'));

    const result = await runCli([...WITH_STACK, 'users', 'sign-out', '--email', 'ghost@example.org']);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Error: No user ghost@example.org in user pool ${USER_POOL_ID}: check the address with \`users list\`.\n`);
  });
});

test('GIVEN the stack name WHEN any users command runs THEN DescribeStacks is asked for exactly that stack', async () => {
  cognito.on(AdminEnableUserCommand).resolves({});

  await runCli([...WITH_STACK, 'users', 'enable', '--email', 'alice@example.org']);

  expect(cloudFormation.calls().map((call) => (call.args[0].input as { StackName?: string }).StackName)).toEqual([STACK]);
});
