/**
 * `users token`: a user's ID token for the lake's API, the way the user signs in (SRP through the
 * lake's app client, as `try` does), answering the first sign-in's challenges when they come: a
 * permanent password (`NEW_PASSWORD_REQUIRED`), TOTP set-up (`MFA_SETUP`: the secret is shown once,
 * as an otpauth URI for an authenticator app), and a TOTP code at every later sign-in
 * (`SOFTWARE_TOKEN_MFA`). `users token --refresh` renews the tokens with a refresh token
 * (`GetTokensFromRefreshToken`; the app client rotates refresh tokens, so a new one comes back).
 *
 * Secrets come from an environment variable, stdin or a prompt, never from the command line. The
 * calls are the user's own (Cognito needs no AWS credentials for them): only `--stack` reads the
 * stack with the operator's credentials.
 */
import { GetTokensFromRefreshTokenCommand } from '@aws-sdk/client-cognito-identity-provider';
import { generate } from 'otplib';
import { parseEmail } from './users';
import { InvalidArgumentError, type Command } from '../commander';
import { CliError, UsageError, type CliContext } from '../context';
import type { Terminal } from '../terminal';
import { signInWith, TOTP_PERIOD_SECONDS, type ChallengeAnswers } from '../try/sign-in';

/** What `users token` prints with `--json`. */
export interface TokenResult {
  /** The user's email address (the ID token's `email` claim). */
  readonly email: string | null;
  /** The ID token: `Authorization: Bearer <idToken>` at the lake's API. */
  readonly idToken: string;
  /** The refresh token; after `--refresh`, the new one (the one given stops working). */
  readonly refreshToken: string | null;
  /** Seconds the ID token is valid, and the moment it expires. */
  readonly expiresIn: number | null;
  readonly expiresAt: string | null;
  /** The challenges of this sign-in, e.g. `NEW_PASSWORD_REQUIRED`, `MFA_SETUP`; empty after `--refresh`. */
  readonly challenges: readonly string[];
  /** The TOTP secret as an otpauth URI, when this sign-in set TOTP up (shown this once); otherwise null. */
  readonly totpUri: string | null;
}

interface TokenOptions {
  readonly email?: string;
  readonly passwordEnv?: string;
  readonly passwordStdin?: boolean;
  readonly newPasswordEnv?: string;
  readonly totpSecretEnv?: string;
  readonly code?: string;
  readonly refresh?: boolean;
  readonly refreshTokenEnv?: string;
}

/** The name of the app client's TOTP device, as Cognito lists it. */
const DEVICE_NAME = 'cdk-health-data-lake';

const CODE_WINDOW = 'each code works once, within its 30 seconds';

function parseCode(value: string): string {
  if (!/^\d{6}$/.test(value)) throw new InvalidArgumentError('Give the 6-digit code of the authenticator app, such as 123456.');
  return value;
}

function parseVariableName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new InvalidArgumentError('Give the name of an environment variable (letters, digits and _), not its value.');
  }
  return value;
}

/** The value of an environment variable the options name; a missing or empty one is a usage error. */
function fromEnvironment(terminal: Terminal, option: string, name: string): string {
  const value = terminal.env[name];
  if (value === undefined || value === '') {
    throw new UsageError(`${option} ${name} names an environment variable that is not set: set ${name} or give the value another way.`);
  }
  return value;
}

/** The otpauth URI an authenticator app reads (as text or a QR code). */
export function otpauthUri(secret: string, email: string, userPoolId: string): string {
  const issuer = `HealthDataLake ${userPoolId}`;
  return `otpauth://totp/${encodeURIComponent(`${issuer}:${email}`)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}` +
    `&algorithm=SHA1&digits=6&period=${TOTP_PERIOD_SECONDS}`;
}

function claim(idToken: string, name: string): string | null {
  try {
    const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof payload[name] === 'string' ? payload[name] : null;
  } catch {
    return null;
  }
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

function cognitoMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().replace(/\.$/, '');
}

/** What was asked last, to say which answer Cognito refused. */
type Asked = 'password' | 'newPassword' | 'setUpCode' | 'signInCode';

function signInFailure(error: unknown, email: string, asked: Asked): unknown {
  const name = errorName(error);
  const message = cognitoMessage(error);
  if (name === 'CodeMismatchException' || name === 'EnableSoftwareTokenMFAException' || name === 'ExpiredCodeException') {
    return asked === 'setUpCode'
      ? new CliError(`Cognito refused the TOTP code of ${email} (${name}: ${message}), so TOTP is not set up: run the command ` +
        `again to set it up with a new secret, and give the code the authenticator app shows for it (${CODE_WINDOW}).`, { cause: error })
      : new CliError(`Cognito refused the TOTP code of ${email} (${name}: ${message}): run the command again with the code ` +
        `the authenticator app shows now (${CODE_WINDOW}).`, { cause: error });
  }
  if (name === 'InvalidPasswordException') {
    return new CliError(`Cognito refused the new password of ${email} (${message}): choose one of 14 or more characters ` +
      'with upper- and lower-case letters, digits and symbols, and run the command again.', { cause: error });
  }
  if (name === 'NotAuthorizedException' || name === 'UserNotFoundException') {
    return new CliError(`Cognito refused the sign-in of ${email} (${name}: ${message}): check the email address and the ` +
      'password (a temporary password expires after 3 days by default; then an administrator deletes and creates the user again).', { cause: error });
  }
  if (name === 'PasswordResetRequiredException') {
    return new CliError(`Cognito asks ${email} to reset the password (${message}): the user resets it, then runs the command again.`,
      { cause: error });
  }
  return error;
}

/** Adds `users token` to the `users` command. */
export function registerTokenCommand(users: Command, context: CliContext, terminal: () => Terminal): void {
  users.command('token')
    .description('Sign a user in and print their ID token for the API (the first sign-in sets a password and TOTP MFA); '
      + '--refresh renews it with a refresh token')
    .option('--email <address>', 'the user\'s email address (required, except with --refresh)', parseEmail)
    .option('--password-env <name>', 'read the password from this environment variable', parseVariableName)
    .option('--password-stdin', 'read the password from the first line of stdin (a first sign-in\'s new password from the second)')
    .option('--new-password-env <name>', 'at the first sign-in, read the permanent password from this environment variable', parseVariableName)
    .option('--totp-secret-env <name>', 'make the TOTP code from the secret in this environment variable (for scripts)', parseVariableName)
    .option('--code <code>', 'the TOTP code the authenticator app shows now', parseCode)
    .option('--refresh', 'new tokens from a refresh token (from --refresh-token-env, stdin or a prompt) instead of a sign-in')
    .option('--refresh-token-env <name>', 'with --refresh, read the refresh token from this environment variable', parseVariableName)
    .addHelpText('after', '\nNo secret is ever an argument: a password or refresh token comes from an environment variable, stdin or a\n'
      + 'prompt. The ID token is printed on stdout (with --json: the ID token, the refresh token and the expiry).\n'
      + 'With no --code or --totp-secret-env, a terminal asks for the code; at TOTP set-up without a terminal, the\n'
      + 'code is made from the new secret, which is printed once (otpauth URI): keep it.')
    .action(async (options: TokenOptions) => {
      const io = terminal();
      const result = options.refresh === true ? await refresh(context, io, options) : await signIn(context, io, options);
      const validUntil = result.expiresAt !== null ? ` (valid until ${result.expiresAt})` : '';
      if (!context.output.json) {
        if (result.totpUri !== null && !io.interactive) {
          context.output.note(`TOTP is set up for ${result.email}. Add this secret to an authenticator app now; it is not shown again:\n` +
            result.totpUri);
        }
        if (options.refresh === true && result.refreshToken !== null) {
          context.output.note('Cognito rotated the refresh token: the one given stops working within seconds, and the new one ' +
            'is printed only with --json.');
        }
        context.output.note(`ID token of ${result.email ?? 'the user'} on stdout${validUntil}.`);
      }
      context.output.result(result, result.idToken);
    });
}

async function signIn(context: CliContext, terminal: Terminal, options: TokenOptions): Promise<TokenResult> {
  if (options.refreshTokenEnv !== undefined) throw new UsageError('--refresh-token-env goes with --refresh: give --refresh too.');
  if (options.email === undefined) {
    throw new UsageError('Give --email ADDRESS to sign a user in, or --refresh to renew tokens with a refresh token.');
  }
  if (options.passwordEnv !== undefined && options.passwordStdin === true) {
    throw new UsageError('Give the password one way: --password-env NAME or --password-stdin, not both.');
  }
  if (options.code !== undefined && options.totpSecretEnv !== undefined) {
    throw new UsageError('Give the TOTP code one way: --code CODE or --totp-secret-env NAME, not both.');
  }
  const email = options.email;
  // Each source is checked before anything is sent to Cognito.
  const totpSecret = options.totpSecretEnv !== undefined ? fromEnvironment(terminal, '--totp-secret-env', options.totpSecretEnv) : undefined;
  const givenNewPassword = options.newPasswordEnv !== undefined
    ? fromEnvironment(terminal, '--new-password-env', options.newPasswordEnv) : undefined;
  let password: string;
  if (options.passwordEnv !== undefined) {
    password = fromEnvironment(terminal, '--password-env', options.passwordEnv);
  } else if (options.passwordStdin === true) {
    const line = await terminal.readLine();
    if (line === undefined || line === '') throw new UsageError('--password-stdin found no password on stdin: give it as the first line.');
    password = line;
  } else if (terminal.interactive) {
    password = await terminal.ask(`Password of ${email}: `, true);
  } else {
    throw new UsageError('Give the password with --password-env NAME or --password-stdin (never as an argument), or run ' +
      'the command in a terminal to be asked for it.');
  }

  const lake = await context.resolveLake(['userPoolId', 'userPoolClientId']);
  let totpUri: string | null = null;
  let asked: Asked = 'password';
  const answers: ChallengeAnswers = {
    async newPassword() {
      asked = 'newPassword';
      if (givenNewPassword !== undefined) return givenNewPassword;
      if (options.passwordStdin === true) {
        const line = await terminal.readLine();
        if (line !== undefined && line !== '') return line;
      } else if (terminal.interactive) {
        const first = await terminal.ask(`First sign-in of ${email}: choose a permanent password (14+ characters, upper and lower case, digits, symbols): `, true);
        const again = await terminal.ask('The same password again: ', true);
        if (first !== again) throw new UsageError('The two passwords differ: run the command again.');
        return first;
      }
      throw new UsageError(`Cognito asks ${email} for a permanent password (the first sign-in): give it with --new-password-env NAME ` +
        'or as the second line of stdin with --password-stdin.');
    },
    async setUpCode(secret) {
      asked = 'setUpCode';
      totpUri = otpauthUri(secret, email, lake.userPoolId);
      if (terminal.interactive && options.code === undefined) {
        return terminal.ask(`TOTP set-up of ${email}. Add this secret to an authenticator app now (it is not shown again):\n` +
          `${totpUri}\nThe code the app shows: `, false);
      }
      // A script keeps the secret (printed once) and proves it with a code made from it.
      return generate({ secret, epoch: Math.floor(terminal.now().getTime() / 1000) });
    },
    async signInCode() {
      asked = 'signInCode';
      if (options.code !== undefined) return options.code;
      if (totpSecret !== undefined) return generate({ secret: totpSecret, epoch: Math.floor(terminal.now().getTime() / 1000) });
      if (terminal.interactive) return terminal.ask(`TOTP code of ${email} (from the authenticator app): `, false);
      throw new UsageError(`Cognito asks ${email} for a TOTP code: give --code CODE or --totp-secret-env NAME.`);
    },
  };
  const signInContext = {
    cognito: context.cognito(),
    userPoolId: lake.userPoolId,
    clientId: lake.userPoolClientId,
    now: () => terminal.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    progress: (line: string) => context.output.note(line),
  };
  let tokens;
  try {
    const signingIn = () => signInWith(signInContext, email, password, answers, DEVICE_NAME);
    // At a terminal the person answers questions meanwhile: no progress line may run into them.
    tokens = terminal.interactive ? await signingIn() : await context.progress.step(`Signing in ${email}`, signingIn);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (errorName(error) === 'SignInError') throw new CliError((error as Error).message, { cause: error });
    throw signInFailure(error, email, asked);
  }
  return {
    email: claim(tokens.idToken, 'email') ?? email,
    idToken: tokens.idToken,
    refreshToken: tokens.refreshToken ?? null,
    ...expiry(terminal, tokens.expiresIn),
    challenges: tokens.challenges.slice(1),
    totpUri,
  };
}

function expiry(terminal: Terminal, expiresIn: number | undefined): { expiresIn: number | null; expiresAt: string | null } {
  if (expiresIn === undefined) return { expiresIn: null, expiresAt: null };
  const at = new Date(terminal.now().getTime() + expiresIn * 1000);
  return { expiresIn, expiresAt: at.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

async function refresh(context: CliContext, terminal: Terminal, options: TokenOptions): Promise<TokenResult> {
  const signInOptions = (['passwordEnv', 'passwordStdin', 'newPasswordEnv', 'totpSecretEnv', 'code'] as const)
    .filter((name) => options[name] !== undefined);
  if (signInOptions.length > 0 || options.email !== undefined) {
    throw new UsageError('--refresh needs no email, password or TOTP code: give only the refresh token (--refresh-token-env NAME, stdin or a prompt).');
  }
  let refreshToken: string | undefined;
  if (options.refreshTokenEnv !== undefined) {
    refreshToken = fromEnvironment(terminal, '--refresh-token-env', options.refreshTokenEnv);
  } else if (terminal.interactive) {
    refreshToken = await terminal.ask('Refresh token: ', true);
  } else {
    refreshToken = await terminal.readLine();
  }
  if (refreshToken === undefined || refreshToken.trim() === '') {
    throw new UsageError('--refresh found no refresh token: give it with --refresh-token-env NAME or as the first line of stdin.');
  }
  const lake = await context.resolveLake(['userPoolClientId']);
  let response;
  try {
    response = await context.progress.step('Renewing the tokens', () => context.cognito().send(new GetTokensFromRefreshTokenCommand({
      ClientId: lake.userPoolClientId, RefreshToken: refreshToken.trim(),
    })));
  } catch (error) {
    if (errorName(error) === 'NotAuthorizedException') {
      throw new CliError(`Cognito refused the refresh token (${cognitoMessage(error)}): it expired, was rotated out or revoked ` +
        '(users sign-out); sign in again with `users token --email ADDRESS`.', { cause: error });
    }
    throw error;
  }
  const result = response.AuthenticationResult;
  if (!result?.IdToken) throw new CliError('Cognito renewed the tokens without an ID token: sign in again with `users token --email ADDRESS`.');
  return {
    email: claim(result.IdToken, 'email'),
    idToken: result.IdToken,
    refreshToken: result.RefreshToken ?? null,
    ...expiry(terminal, result.ExpiresIn),
    challenges: [],
    totpUri: null,
  };
}
