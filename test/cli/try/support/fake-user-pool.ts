/**
 * A Cognito user pool in memory, on aws-sdk-client-mock: the administrator calls `try` makes, the
 * SRP sign-in (the server side of SRP-6a as Cognito runs it, so a wrong password fails), the
 * new-password challenge, TOTP set-up and TOTP sign-in (codes checked with otplib at the pool's
 * clock). ID tokens are unsigned JWT-shaped strings whose claims the local API server decodes.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AssociateSoftwareTokenCommand,
  CodeMismatchException,
  CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  NotAuthorizedException,
  RespondToAuthChallengeCommand,
  UserNotFoundException,
  UsernameExistsException,
  UserType,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { generateSecret, verify } from 'otplib';

/** SRP-6a group of Cognito (RFC 5054 3072-bit group, g = 2). */
const N = BigInt('0x' + [
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
].join(''));
const G = 2n;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e % 2n === 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e /= 2n;
  }
  return result;
}

/** Java's `BigInteger.toByteArray` in hex, as Cognito pads (a leading `00` when the high bit is set). */
function padHex(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/i.test(hex) ? `00${hex}` : hex;
}

function hexHash(hex: string): string {
  return createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
}

const K = BigInt('0x' + hexHash(padHex(N) + padHex(G)));

/** One user of the fake pool. */
export interface FakeUser {
  /** Cognito's own username (a UUID: the pool signs in by email). */
  readonly username: string;
  readonly attributes: Record<string, string>;
  password: string;
  status: 'FORCE_CHANGE_PASSWORD' | 'CONFIRMED';
  totpSecret?: string;
  /** TOTP steps already used (Cognito accepts each code once). */
  readonly usedTotpSteps: Set<number>;
}

interface SrpState {
  readonly user: FakeUser;
  readonly b: bigint;
  readonly bigB: bigint;
  readonly salt: string;
  readonly secretBlock: string;
}

interface AuthSession {
  readonly user: FakeUser;
  readonly expects: string;
  srp?: SrpState;
  pendingTotpSecret?: string;
  totpVerified?: boolean;
}

/** Claims of the ID tokens the pool issues, as the API's JWT authorizer would pass them on. */
export function claimsOfToken(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface FakeUserPoolOptions {
  readonly userPoolId: string;
  readonly clientId: string;
  /** Whether the pool requires MFA (TOTP only, as the lake configures it). */
  readonly mfaRequired: boolean;
  /** The pool's clock, in milliseconds since the epoch. */
  readonly now: () => number;
}

/** The fake pool and the mock that serves it. */
export class FakeUserPool {
  readonly users = new Map<string, FakeUser>();
  /** Errors to throw instead of answering, by command name, asked at each call. */
  readonly failures = new Map<string, () => Error | undefined>();
  readonly mock;
  private readonly sessions = new Map<string, AuthSession>();
  /** Valid refresh tokens and their users (rotation retires each one used). */
  readonly refreshTokens = new Map<string, FakeUser>();

  /** `client` is one client, or the client class (every client the code under test makes). */
  constructor(client: CognitoIdentityProviderClient | typeof CognitoIdentityProviderClient, private readonly options: FakeUserPoolOptions) {
    this.mock = mockClient(client);
    this.install();
  }

  /** Adds a user directly (someone else's, or one of an earlier run). */
  addUser(email: string, attributes: Record<string, string> = {}): FakeUser {
    const user: FakeUser = {
      username: randomUUID(),
      attributes: { email, ...attributes },
      password: 'Unknown-Password-1!',
      status: 'CONFIRMED',
      usedTotpSteps: new Set(),
    };
    this.users.set(user.username, user);
    return user;
  }

  /** The user with this email address or Cognito username. */
  find(name: string | undefined): FakeUser | undefined {
    if (name === undefined) return undefined;
    return this.users.get(name) ?? [...this.users.values()].find((user) => user.attributes.email === name.toLowerCase());
  }

  emails(): string[] {
    return [...this.users.values()].map((user) => user.attributes.email).sort();
  }

  private fail(command: string): void {
    const failure = this.failures.get(command)?.();
    if (failure) throw failure;
  }

  private newSession(session: AuthSession): string {
    const id = randomBytes(24).toString('base64url');
    this.sessions.set(id, session);
    return id;
  }

  private takeSession(id: string | undefined, expects: string): AuthSession {
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (!session || session.expects !== expects) {
      throw new NotAuthorizedException({ message: 'Invalid session for the user.', $metadata: { httpStatusCode: 400 } });
    }
    this.sessions.delete(id!);
    return session;
  }

  private idToken(user: FakeUser): string {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({
      sub: user.username,
      token_use: 'id',
      aud: this.options.clientId,
      iss: `https://cognito-idp.eu-west-1.amazonaws.com/${this.options.userPoolId}`,
      ...user.attributes,
    })).toString('base64url');
    return `${header}.${payload}.unsigned-test-token`;
  }

  /** What comes after a verified password. */
  private afterPassword(user: FakeUser) {
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      return { ChallengeName: 'NEW_PASSWORD_REQUIRED' as const, ChallengeParameters: { USERNAME: user.username }, Session: this.newSession({ user, expects: 'NEW_PASSWORD_REQUIRED' }) };
    }
    return this.afterNewPassword(user);
  }

  private afterNewPassword(user: FakeUser) {
    if (user.totpSecret !== undefined) {
      return { ChallengeName: 'SOFTWARE_TOKEN_MFA' as const, ChallengeParameters: { USERNAME: user.username }, Session: this.newSession({ user, expects: 'SOFTWARE_TOKEN_MFA' }) };
    }
    if (this.options.mfaRequired) {
      return { ChallengeName: 'MFA_SETUP' as const, ChallengeParameters: { USERNAME: user.username, MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' }, Session: this.newSession({ user, expects: 'MFA_SETUP' }) };
    }
    return this.tokens(user);
  }

  private tokens(user: FakeUser) {
    const refreshToken = `refresh-${randomBytes(12).toString('base64url')}`;
    this.refreshTokens.set(refreshToken, user);
    return { ChallengeParameters: {}, AuthenticationResult: { IdToken: this.idToken(user), AccessToken: 'access', RefreshToken: refreshToken, ExpiresIn: 900, TokenType: 'Bearer' } };
  }

  private async checkTotp(user: FakeUser, secret: string, code: string | undefined): Promise<void> {
    const seconds = Math.floor(this.options.now() / 1000);
    const step = Math.floor(seconds / 30);
    const valid = code !== undefined && (await verify({ secret, token: code, epoch: seconds })).valid;
    if (!valid || user.usedTotpSteps.has(step)) {
      throw new CodeMismatchException({ message: 'Invalid code received for user', $metadata: { httpStatusCode: 400 } });
    }
    user.usedTotpSteps.add(step);
  }

  private verifyPasswordClaim(srp: SrpState, responses: Record<string, string>): void {
    const bigA = BigInt('0x' + responses.SRP_A);
    const poolName = this.options.userPoolId.split('_')[1];
    const u = BigInt('0x' + hexHash(padHex(bigA) + padHex(srp.bigB)));
    const userHash = createHash('sha256').update(`${poolName}${srp.user.username}:${srp.user.password}`).digest('hex');
    const x = BigInt('0x' + hexHash(padHex(BigInt('0x' + srp.salt)) + userHash));
    const v = modPow(G, x, N);
    const s = modPow(bigA * modPow(v, u, N), srp.b, N);
    const prk = createHmac('sha256', Buffer.from(padHex(u), 'hex')).update(Buffer.from(padHex(s), 'hex')).digest();
    const key = createHmac('sha256', prk).update(Buffer.concat([Buffer.from('Caldera Derived Key', 'utf8'), Buffer.from([1])])).digest().subarray(0, 16);
    const signature = createHmac('sha256', key).update(Buffer.concat([
      Buffer.from(poolName, 'utf8'),
      Buffer.from(srp.user.username, 'utf8'),
      Buffer.from(responses.PASSWORD_CLAIM_SECRET_BLOCK ?? '', 'base64'),
      Buffer.from(responses.TIMESTAMP ?? '', 'utf8'),
    ])).digest('base64');
    if (responses.PASSWORD_CLAIM_SECRET_BLOCK !== srp.secretBlock || signature !== responses.PASSWORD_CLAIM_SIGNATURE) {
      throw new NotAuthorizedException({ message: 'Incorrect username or password.', $metadata: { httpStatusCode: 400 } });
    }
  }

  private install(): void {
    const { userPoolId, clientId } = this.options;
    const checkPool = (input: { UserPoolId?: string }) => {
      if (input.UserPoolId !== userPoolId) throw new Error(`unexpected user pool ${input.UserPoolId}`);
    };
    const checkClient = (input: { ClientId?: string }) => {
      if (input.ClientId !== clientId) throw new Error(`unexpected app client ${input.ClientId}`);
    };

    this.mock.on(AdminCreateUserCommand).callsFake(async (input) => {
      this.fail('AdminCreateUser');
      checkPool(input);
      const email = String(input.Username).toLowerCase();
      if (this.find(email)) {
        throw new UsernameExistsException({ message: 'An account with the given email already exists.', $metadata: { httpStatusCode: 400 } });
      }
      const attributes = Object.fromEntries((input.UserAttributes ?? [])
        .map((attribute: { Name?: string; Value?: string }) => [attribute.Name!, attribute.Value!]));
      const user: FakeUser = {
        username: randomUUID(),
        attributes: { ...attributes, email },
        password: input.TemporaryPassword!,
        status: 'FORCE_CHANGE_PASSWORD',
        usedTotpSteps: new Set(),
      };
      this.users.set(user.username, user);
      return {
        User: {
          Username: user.username,
          UserStatus: user.status,
          Enabled: true,
          Attributes: Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
        },
      };
    });

    this.mock.on(ListUsersCommand).callsFake(async (input) => {
      this.fail('ListUsers');
      checkPool(input);
      const prefix = /^email \^= "(.*)"$/.exec(input.Filter ?? '')?.[1];
      if (input.Filter !== undefined && prefix === undefined) throw new Error(`filter not supported by the fake: ${input.Filter}`);
      // Two users per page, to exercise pagination.
      const matching = [...this.users.values()].filter((user) => prefix === undefined || (user.attributes.email ?? '').startsWith(prefix));
      const start = input.PaginationToken === undefined ? 0 : Number(input.PaginationToken);
      const page = matching.slice(start, start + 2);
      const users: UserType[] = page.map((user) => ({
        Username: user.username,
        UserStatus: user.status,
        Attributes: Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
      }));
      return { Users: users, ...(start + 2 < matching.length ? { PaginationToken: String(start + 2) } : {}) };
    });

    this.mock.on(AdminDeleteUserCommand).callsFake(async (input) => {
      this.fail('AdminDeleteUser');
      checkPool(input);
      const user = this.find(input.Username);
      if (!user) throw new UserNotFoundException({ message: 'User does not exist.', $metadata: { httpStatusCode: 400 } });
      this.users.delete(user.username);
      return {};
    });

    this.mock.on(InitiateAuthCommand).callsFake(async (input) => {
      this.fail('InitiateAuth');
      checkClient(input);
      if (input.AuthFlow !== 'USER_SRP_AUTH') throw new Error(`auth flow not allowed by the app client: ${input.AuthFlow}`);
      const user = this.find(input.AuthParameters?.USERNAME);
      if (!user) throw new NotAuthorizedException({ message: 'Incorrect username or password.', $metadata: { httpStatusCode: 400 } });
      const b = BigInt('0x' + randomBytes(128).toString('hex'));
      const salt = randomBytes(16).toString('hex');
      const poolName = userPoolId.split('_')[1];
      const userHash = createHash('sha256').update(`${poolName}${user.username}:${user.password}`).digest('hex');
      const x = BigInt('0x' + hexHash(padHex(BigInt('0x' + salt)) + userHash));
      const bigB = (K * modPow(G, x, N) + modPow(G, b, N)) % N;
      const secretBlock = randomBytes(64).toString('base64');
      const session = this.newSession({ user, expects: 'PASSWORD_VERIFIER', srp: { user, b, bigB, salt, secretBlock } });
      return {
        ChallengeName: 'PASSWORD_VERIFIER',
        ChallengeParameters: {
          SALT: salt, SRP_B: bigB.toString(16), SECRET_BLOCK: secretBlock, USER_ID_FOR_SRP: user.username, USERNAME: user.username,
        },
        Session: session,
      };
    });

    this.mock.on(RespondToAuthChallengeCommand).callsFake(async (input) => {
      this.fail('RespondToAuthChallenge');
      checkClient(input);
      const responses = (input.ChallengeResponses ?? {}) as Record<string, string>;
      const session = this.takeSession(input.Session, String(input.ChallengeName));
      const user = session.user;
      if (responses.USERNAME !== user.username && responses.USERNAME !== user.attributes.email) {
        throw new NotAuthorizedException({ message: 'The user in the answer is not the user of the session.', $metadata: { httpStatusCode: 400 } });
      }
      switch (input.ChallengeName) {
        case 'PASSWORD_VERIFIER':
          this.verifyPasswordClaim(session.srp!, responses);
          return this.afterPassword(user);
        case 'NEW_PASSWORD_REQUIRED':
          if (!responses.NEW_PASSWORD || responses.NEW_PASSWORD.length < 14) throw new Error('the fake pool needs a new password of 14 characters or more');
          user.password = responses.NEW_PASSWORD;
          user.status = 'CONFIRMED';
          return this.afterNewPassword(user);
        case 'MFA_SETUP':
          if (!session.totpVerified) {
            throw new NotAuthorizedException({ message: 'MFA is not set up.', $metadata: { httpStatusCode: 400 } });
          }
          return this.tokens(user);
        case 'SOFTWARE_TOKEN_MFA':
          await this.checkTotp(user, user.totpSecret!, responses.SOFTWARE_TOKEN_MFA_CODE);
          return this.tokens(user);
        default:
          throw new Error(`challenge not supported by the fake: ${input.ChallengeName}`);
      }
    });

    // Refresh token rotation, as the lake's app client has it: a new refresh token, the used one retired.
    this.mock.on(GetTokensFromRefreshTokenCommand).callsFake(async (input) => {
      this.fail('GetTokensFromRefreshToken');
      checkClient(input);
      const user = input.RefreshToken === undefined ? undefined : this.refreshTokens.get(input.RefreshToken);
      if (!user) throw new NotAuthorizedException({ message: 'Invalid Refresh Token.', $metadata: { httpStatusCode: 400 } });
      this.refreshTokens.delete(input.RefreshToken!);
      return { AuthenticationResult: this.tokens(user).AuthenticationResult };
    });

    this.mock.on(AssociateSoftwareTokenCommand).callsFake(async (input) => {
      this.fail('AssociateSoftwareToken');
      const session = this.takeSession(input.Session, 'MFA_SETUP');
      const secret = generateSecret();
      return { SecretCode: secret, Session: this.newSession({ ...session, expects: 'VERIFY_SOFTWARE_TOKEN', pendingTotpSecret: secret }) };
    });

    this.mock.on(VerifySoftwareTokenCommand).callsFake(async (input) => {
      this.fail('VerifySoftwareToken');
      const session = this.takeSession(input.Session, 'VERIFY_SOFTWARE_TOKEN');
      await this.checkTotp(session.user, session.pendingTotpSecret!, input.UserCode);
      session.user.totpSecret = session.pendingTotpSecret;
      return { Status: 'SUCCESS', Session: this.newSession({ user: session.user, expects: 'MFA_SETUP', totpVerified: true }) };
    });
  }
}
