import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AssociateSoftwareTokenCommand,
  CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { generate } from 'otplib';
import { lakeOutputs } from './support/run-cli';
import { FakeUserPool, claimsOfToken, type FakeUser } from './try/support/fake-user-pool';
import { run } from '../../src/cli/main';
import type { Terminal } from '../../src/cli/terminal';

/*
 * `users token` against the same fake user pool as `try` (SRP, NEW_PASSWORD_REQUIRED, MFA_SETUP with
 * AssociateSoftwareToken and VerifySoftwareToken, SOFTWARE_TOKEN_MFA, refresh token rotation), with a
 * scripted terminal: environment variables, stdin lines, the questions a person is asked, the clock.
 */
const USER_POOL_ID = 'eu-west-1_Pool1';
const CLIENT_ID = 'client123';
const LAKE = ['--user-pool-id', USER_POOL_ID, '--user-pool-client-id', CLIENT_ID, '--region', 'eu-west-1'];
const EMAIL = 'alice@example.org';
const TEMPORARY = 'Temporary-Pass-1!';
const PERMANENT = 'Permanent-Password-2026!';

let nowMs: number;
let pool: FakeUserPool;

function givenPool(mfaRequired = true): void {
  pool = new FakeUserPool(CognitoIdentityProviderClient, { userPoolId: USER_POOL_ID, clientId: CLIENT_ID, mfaRequired, now: () => nowMs });
}

/** A user as `users create` leaves them: a temporary password, no TOTP yet. */
function newUser(): FakeUser {
  const user = pool.addUser(EMAIL, { 'custom:read': 'A', 'custom:write': 'A' });
  user.status = 'FORCE_CHANGE_PASSWORD';
  user.password = TEMPORARY;
  return user;
}

/** A user who signed in before: a permanent password and a TOTP secret. */
function returningUser(): FakeUser {
  const user = pool.addUser(EMAIL, { 'custom:read': 'A' });
  user.password = PERMANENT;
  user.totpSecret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  return user;
}

interface Asked { readonly question: string; readonly secret: boolean }

interface ScriptedTerminal {
  readonly env?: Record<string, string>;
  readonly stdin?: string[];
  /** Set: a person answers (in order; a function sees the question). */
  readonly answers?: Array<string | ((question: string) => Promise<string>)>;
}

async function token(argv: string[], script: ScriptedTerminal = {}) {
  let stdout = '';
  let stderr = '';
  const asked: Asked[] = [];
  const stdin = [...(script.stdin ?? [])];
  const answers = [...(script.answers ?? [])];
  const terminal: Terminal = {
    env: script.env ?? {},
    interactive: script.answers !== undefined,
    readLine: async () => stdin.shift(),
    ask: async (question, secret) => {
      asked.push({ question, secret });
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected question: ${question}`);
      return typeof answer === 'string' ? answer : answer(question);
    },
    now: () => new Date(nowMs),
  };
  const code = await run(argv, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; }, terminal });
  return { code, stdout, stderr, asked };
}

/** The Cognito calls made, as `Command(challenge)`. */
function calls(): string[] {
  return pool.mock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { ChallengeName?: string } };
    return `${command.constructor.name.replace(/Command$/, '')}${command.input.ChallengeName ? `(${command.input.ChallengeName})` : ''}`;
  });
}

const FIRST_SIGN_IN = ['InitiateAuth', 'RespondToAuthChallenge(PASSWORD_VERIFIER)', 'RespondToAuthChallenge(NEW_PASSWORD_REQUIRED)',
  'AssociateSoftwareToken', 'VerifySoftwareToken', 'RespondToAuthChallenge(MFA_SETUP)'];

const codeAt = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

beforeEach(() => {
  nowMs = Date.UTC(2026, 0, 5, 9, 0, 5);
  givenPool();
});
afterEach(() => pool.mock.restore());

describe('the first sign-in', () => {
  test('GIVEN a new user and a script (passwords from environment variables) WHEN users token THEN every challenge is answered, ' +
    'the TOTP secret is printed once as an otpauth URI, and stdout is the ID token', async () => {
    const user = newUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, '--password-env', 'LAKE_PASSWORD', '--new-password-env', 'LAKE_NEW_PASSWORD'],
      { env: { LAKE_PASSWORD: TEMPORARY, LAKE_NEW_PASSWORD: PERMANENT } });

    expect(result.code).toBe(0);
    expect(calls()).toEqual(FIRST_SIGN_IN);
    expect(user).toMatchObject({ status: 'CONFIRMED', password: PERMANENT });
    expect(user.totpSecret).toMatch(/^[A-Z2-7]{16,}$/);
    const [idToken, ...rest] = result.stdout.split('\n');
    expect(rest).toEqual(['']);
    expect(claimsOfToken(idToken)).toMatchObject({ 'email': EMAIL, 'custom:read': 'A', 'aud': CLIENT_ID });
    const uri = `otpauth://totp/HealthDataLake%20${USER_POOL_ID}%3A${encodeURIComponent(EMAIL)}?secret=${user.totpSecret}` +
      `&issuer=HealthDataLake%20${USER_POOL_ID}&algorithm=SHA1&digits=6&period=30`;
    expect(result.stderr.split(uri)).toHaveLength(2); // printed exactly once
    expect(result.stderr).toContain('ID token of alice@example.org on stdout (valid until 2026-01-05T09:15:05Z).');
    expect(result.stderr).not.toContain(TEMPORARY);
    expect(result.stderr).not.toContain(PERMANENT);
  });

  test('GIVEN a new user WHEN users token --json THEN the ID token, the refresh token, the expiry, the challenges and the TOTP URI', async () => {
    const user = newUser();

    const result = await token([...LAKE, '--json', 'users', 'token', '--email', EMAIL, '--password-stdin'],
      { stdin: [TEMPORARY, PERMANENT] });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Setting the permanent password of alice@example.org.\nSetting up TOTP MFA for alice@example.org.\n');
    const printed = JSON.parse(result.stdout);
    expect(printed).toEqual({
      email: EMAIL,
      idToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^refresh-/),
      expiresIn: 900,
      expiresAt: '2026-01-05T09:15:05Z',
      challenges: ['NEW_PASSWORD_REQUIRED', 'MFA_SETUP'],
      totpUri: expect.stringContaining(`secret=${user.totpSecret}&`),
    });
    expect(pool.refreshTokens.has(printed.refreshToken)).toBe(true);
  });

  test('GIVEN a person at a terminal WHEN users token THEN they are asked the password (hidden), a new one twice (hidden) and ' +
    'the code of the secret they were shown', async () => {
    const user = newUser();
    const codeOfShownSecret = async (question: string) => codeAt(/secret=([A-Z2-7]+)&/.exec(question)![1], nowMs);

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL], { answers: [TEMPORARY, PERMANENT, PERMANENT, codeOfShownSecret] });

    expect(result.code).toBe(0);
    expect(result.asked.map(({ question, secret }) => [question.split('\n')[0], secret])).toEqual([
      ['Password of alice@example.org: ', true],
      ['First sign-in of alice@example.org: choose a permanent password (14+ characters, upper and lower case, digits, symbols): ', true],
      ['The same password again: ', true],
      ['TOTP set-up of alice@example.org. Add this secret to an authenticator app now (it is not shown again):', false],
    ]);
    expect(result.asked[3].question).toContain(`secret=${user.totpSecret}&`);
    expect(result.stderr).not.toContain('otpauth://'); // shown in the question, once
    expect(calls()).toEqual(FIRST_SIGN_IN);
  });

  test('GIVEN a person who takes their time to answer WHEN users token THEN no progress line runs into the questions', async () => {
    newUser();
    const slowly = (answer: string) => () => new Promise<string>((resolve) => setTimeout(() => resolve(answer), 1200));
    const codeOfShownSecret = async (question: string) => codeAt(/secret=([A-Z2-7]+)&/.exec(question)![1], nowMs);

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL], { answers: [TEMPORARY, slowly(PERMANENT), PERMANENT, codeOfShownSecret] });

    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('Signing in');
  });

  test('GIVEN a person who types a wrong code at TOTP set-up WHEN users token THEN exit 1, one sentence, TOTP not set up, no token', async () => {
    const user = newUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL], { answers: [TEMPORARY, PERMANENT, PERMANENT, '000000'] });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n').pop()).toBe('Error: Cognito refused the TOTP code of alice@example.org ' +
      '(CodeMismatchException: Invalid code received for user), so TOTP is not set up: run the command again to set it up ' +
      'with a new secret, and give the code the authenticator app shows for it (each code works once, within its 30 seconds).');
    expect(user.totpSecret).toBeUndefined();
    expect(calls()).not.toContain('RespondToAuthChallenge(MFA_SETUP)');
  });

  test('GIVEN a pool without MFA WHEN a new user gets a token THEN only the new password is asked', async () => {
    pool.mock.restore();
    givenPool(false);
    newUser();

    const result = await token([...LAKE, '--json', 'users', 'token', '--email', EMAIL, '--password-stdin'], { stdin: [TEMPORARY, PERMANENT] });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ challenges: ['NEW_PASSWORD_REQUIRED'], totpUri: null });
    expect(calls()).not.toContain('AssociateSoftwareToken');
  });

  test('GIVEN a script without a new password WHEN Cognito asks for one THEN exit 2 naming the ways to give it', async () => {
    newUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, '--password-env', 'P'], { env: { P: TEMPORARY } });

    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr.split('\n').slice(-2)[0]).toBe('Error: Cognito asks alice@example.org for a permanent password (the first ' +
      'sign-in): give it with --new-password-env NAME or as the second line of stdin with --password-stdin.');
  });

  test('GIVEN a new password Cognito refuses WHEN users token THEN exit 1 with the password rule', async () => {
    newUser();
    pool.failures.set('RespondToAuthChallenge', () => (calls().includes('RespondToAuthChallenge(NEW_PASSWORD_REQUIRED)')
      ? Object.assign(new Error('Password does not conform to policy: Password not long enough'), { name: 'InvalidPasswordException' })
      : undefined));

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, '--password-stdin'], { stdin: [TEMPORARY, 'short'] });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: Cognito refused the new password of alice@example.org (Password does not conform to policy: ' +
      'Password not long enough): choose one of 14 or more characters');
  });
});

describe('a later sign-in', () => {
  test('GIVEN a returning user and the TOTP secret in an environment variable WHEN users token THEN SOFTWARE_TOKEN_MFA with a code of it', async () => {
    returningUser();

    const result = await token([...LAKE, '--json', 'users', 'token', '--email', EMAIL, '--password-env', 'P', '--totp-secret-env', 'TOTP'],
      { env: { P: PERMANENT, TOTP: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' } });

    expect(result.code).toBe(0);
    expect(calls()).toEqual(['InitiateAuth', 'RespondToAuthChallenge(PASSWORD_VERIFIER)', 'RespondToAuthChallenge(SOFTWARE_TOKEN_MFA)']);
    expect(JSON.parse(result.stdout)).toMatchObject({ email: EMAIL, challenges: ['SOFTWARE_TOKEN_MFA'], totpUri: null });
  });

  test('GIVEN a returning user and --code WHEN users token THEN the code is the one answered', async () => {
    const user = returningUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, '--password-env', 'P', '--code', await codeAt(user.totpSecret!, nowMs)],
      { env: { P: PERMANENT } });

    expect(result.code).toBe(0);
    const answered = pool.mock.commandCalls(RespondToAuthChallengeCommand).map((call) => call.args[0].input)
      .find((input) => input.ChallengeName === 'SOFTWARE_TOKEN_MFA');
    expect(answered?.ChallengeResponses?.SOFTWARE_TOKEN_MFA_CODE).toBe(await codeAt(user.totpSecret!, nowMs));
    expect(claimsOfToken(result.stdout.trim())).toMatchObject({ email: EMAIL });
  });

  test('GIVEN a wrong code WHEN users token THEN exit 1, one sentence that says to use the current code, no token', async () => {
    returningUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, '--password-env', 'P', '--code', '123456'], { env: { P: PERMANENT } });

    expect(result).toEqual({
      code: 1,
      stdout: '',
      asked: [],
      stderr: 'Error: Cognito refused the TOTP code of alice@example.org (CodeMismatchException: Invalid code received for user): run ' +
        'the command again with the code the authenticator app shows now (each code works once, within its 30 seconds).\n',
    });
  });

  test('GIVEN a code already used WHEN it is given again in the same 30 seconds THEN Cognito refuses it', async () => {
    const user = returningUser();
    const code = await codeAt(user.totpSecret!, nowMs);
    const argv = [...LAKE, 'users', 'token', '--email', EMAIL, '--password-env', 'P', '--code', code];

    expect((await token(argv, { env: { P: PERMANENT } })).code).toBe(0);
    nowMs += 1000;
    expect((await token(argv, { env: { P: PERMANENT } })).stderr).toContain('Cognito refused the TOTP code');
  });

  test('GIVEN a returning user and a script without a code WHEN Cognito asks for one THEN exit 2 naming --code and --totp-secret-env', async () => {
    returningUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, '--password-env', 'P'], { env: { P: PERMANENT } });

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: Cognito asks alice@example.org for a TOTP code: give --code CODE or --totp-secret-env NAME.\n');
  });

  test('GIVEN a wrong password WHEN users token THEN exit 1 saying to check the email address and the password', async () => {
    returningUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, '--password-env', 'P'], { env: { P: 'Wrong-Password-99!' } });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: Cognito refused the sign-in of alice@example.org (NotAuthorizedException: Incorrect username or ' +
      'password): check the email address and the password (a temporary password expires after 3 days by default; then an ' +
      'administrator deletes and creates the user again).\n');
    expect(calls()).toEqual(['InitiateAuth', 'RespondToAuthChallenge(PASSWORD_VERIFIER)']);
  });
});

describe('the password is never an argument', () => {
  test('GIVEN no terminal and no password option WHEN users token THEN exit 2 before any call', async () => {
    returningUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL]);

    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('Error: Give the password with --password-env NAME or --password-stdin (never as an argument), or run ' +
      'the command in a terminal to be asked for it.\n');
    expect(calls()).toEqual([]);
  });

  test.each([
    [['--password', PERMANENT], "error: unknown option '--password'"],
    [['--password-env', PERMANENT], 'Give the name of an environment variable (letters, digits and _), not its value.'],
    [['--password-env', 'UNSET'], '--password-env UNSET names an environment variable that is not set'],
    [['--password-env', 'P', '--password-stdin'], 'Give the password one way: --password-env NAME or --password-stdin, not both.'],
    [['--password-stdin'], '--password-stdin found no password on stdin: give it as the first line.'],
    [['--password-env', 'P', '--code', '12345'], 'Give the 6-digit code of the authenticator app, such as 123456.'],
  ])('GIVEN %j WHEN users token THEN exit 2 and nothing is sent to Cognito', async (options, sentence) => {
    returningUser();

    const result = await token([...LAKE, 'users', 'token', '--email', EMAIL, ...options], { env: { P: PERMANENT } });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(sentence);
    expect(result.stderr).not.toContain(PERMANENT.slice(0, -1) + '\n');
    expect(calls()).toEqual([]);
  });

  test('GIVEN neither --email nor --refresh WHEN users token THEN exit 2 naming both', async () => {
    const result = await token([...LAKE, 'users', 'token']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: Give --email ADDRESS to sign a user in, or --refresh to renew tokens with a refresh token.\n');
  });
});

describe('users token --refresh', () => {
  async function signedIn(): Promise<string> {
    returningUser();
    const first = await token([...LAKE, '--json', 'users', 'token', '--email', EMAIL, '--password-env', 'P', '--totp-secret-env', 'T'],
      { env: { P: PERMANENT, T: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' } });
    expect(first.code).toBe(0);
    pool.mock.resetHistory();
    return JSON.parse(first.stdout).refreshToken as string;
  }

  test('GIVEN a refresh token in an environment variable WHEN --refresh --json THEN GetTokensFromRefreshToken gives a new ID token ' +
    'and a new refresh token, and the old one is retired', async () => {
    const refreshToken = await signedIn();
    nowMs += 600_000;

    const result = await token([...LAKE, '--json', 'users', 'token', '--refresh', '--refresh-token-env', 'LAKE_REFRESH_TOKEN'],
      { env: { LAKE_REFRESH_TOKEN: refreshToken } });

    expect(result.code).toBe(0);
    expect(pool.mock.commandCalls(GetTokensFromRefreshTokenCommand).map((call) => call.args[0].input)).toEqual([
      { ClientId: CLIENT_ID, RefreshToken: refreshToken },
    ]);
    const printed = JSON.parse(result.stdout);
    expect(printed).toMatchObject({ email: EMAIL, expiresIn: 900, expiresAt: '2026-01-05T09:25:05Z', challenges: [], totpUri: null });
    expect(printed.refreshToken).toMatch(/^refresh-/);
    expect(printed.refreshToken).not.toBe(refreshToken);
    expect(claimsOfToken(printed.idToken)).toMatchObject({ email: EMAIL });
    expect(calls()).toEqual(['GetTokensFromRefreshToken']); // no password, no code

    const again = await token([...LAKE, 'users', 'token', '--refresh', '--refresh-token-env', 'R'], { env: { R: refreshToken } });
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toBe('Error: Cognito refused the refresh token (Invalid Refresh Token): it expired, was rotated out or ' +
      'revoked (users sign-out); sign in again with `users token --email ADDRESS`.\n');
  });

  test('GIVEN the refresh token on stdin WHEN --refresh without --json THEN stdout is the ID token and a note says the new refresh token needs --json', async () => {
    const refreshToken = await signedIn();

    const result = await token([...LAKE, 'users', 'token', '--refresh'], { stdin: [refreshToken] });

    expect(result.code).toBe(0);
    expect(claimsOfToken(result.stdout.trim())).toMatchObject({ email: EMAIL });
    expect(result.stderr).toContain('Cognito rotated the refresh token: the one given stops working within seconds, and the new one is printed only with --json.');
  });

  test.each([
    [['--email', EMAIL], '--refresh needs no email, password or TOTP code'],
    [['--code', '123456'], '--refresh needs no email, password or TOTP code'],
    [[], '--refresh found no refresh token: give it with --refresh-token-env NAME or as the first line of stdin.'],
  ])('GIVEN --refresh with %j WHEN users token THEN exit 2 and nothing is sent', async (options, sentence) => {
    const result = await token([...LAKE, 'users', 'token', '--refresh', ...options]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(sentence);
    expect(calls()).toEqual([]);
  });
});

test('GIVEN --stack WHEN users token THEN the user pool and app client come from the stack outputs', async () => {
  const cloudFormation = mockClient(CloudFormationClient);
  cloudFormation.on(DescribeStacksCommand, { StackName: 'HealthStack' }).resolves({
    Stacks: [{ StackName: 'HealthStack', CreationTime: new Date(0), StackStatus: 'CREATE_COMPLETE', Outputs: lakeOutputs() }],
  });
  returningUser();
  try {
    const result = await token(['--stack', 'HealthStack', '--region', 'eu-west-1', 'users', 'token', '--email', EMAIL,
      '--password-env', 'P', '--totp-secret-env', 'T'], { env: { P: PERMANENT, T: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' } });

    expect(result.code).toBe(0);
    expect(pool.mock.commandCalls(InitiateAuthCommand)[0].args[0].input.ClientId).toBe(CLIENT_ID);
    expect(pool.mock.commandCalls(AssociateSoftwareTokenCommand)).toHaveLength(0);
    expect(pool.mock.commandCalls(VerifySoftwareTokenCommand)).toHaveLength(0);
  } finally {
    cloudFormation.restore();
  }
});
