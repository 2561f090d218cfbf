/**
 * A person's sign-in at the lake's user pool, as the app client allows it: SRP (the password never
 * leaves the machine), the new-password challenge of a first sign-in, TOTP set-up when the pool
 * requires MFA, and a TOTP code at later sign-ins. SMS is never offered by the lake.
 *
 * The SRP arithmetic comes from `cognito-srp-helper` and the TOTP codes from `otplib`.
 */
import {
  AssociateSoftwareTokenCommand,
  AuthenticationResultType,
  ChallengeNameType,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createSrpSession, signSrpSession, wrapAuthChallenge, wrapInitiateAuth } from 'cognito-srp-helper';
import { generate } from 'otplib';

/** Seconds of one TOTP step (RFC 6238, what Cognito uses). */
export const TOTP_PERIOD_SECONDS = 30;

/** What a sign-in needs besides the user's password. */
export interface SignInContext {
  readonly cognito: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly progress: (line: string) => void;
}

/** A user's secrets as far as `try` knows them (in memory only, never printed). */
export interface SignInSecrets {
  readonly email: string;
  password: string;
  /** The new password to set when Cognito asks for one. */
  readonly newPassword: string;
  /** The TOTP secret, once set up. */
  totpSecret?: string;
  /** The TOTP step of the last code used: Cognito refuses a code twice. */
  lastTotpStep?: number;
}

/** How a sign-in went. */
export interface SignInResult {
  readonly idToken: string;
  /** The challenges answered, in order, e.g. `PASSWORD_VERIFIER`, `NEW_PASSWORD_REQUIRED`, `MFA_SETUP`. */
  readonly challenges: readonly string[];
}

/** A sign-in that Cognito answered with something `try` cannot complete. */
export class SignInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInError';
  }
}

async function totpCode(context: SignInContext, secrets: SignInSecrets): Promise<string> {
  let seconds = Math.floor(context.now().getTime() / 1000);
  let step = Math.floor(seconds / TOTP_PERIOD_SECONDS);
  if (secrets.lastTotpStep !== undefined && step <= secrets.lastTotpStep) {
    // Cognito accepts each code once: wait for the next one, as a person with an authenticator app would.
    const waitMs = ((secrets.lastTotpStep + 1) * TOTP_PERIOD_SECONDS - seconds) * 1000;
    context.progress(`Waiting ${Math.ceil(waitMs / 1000)} s for the next TOTP code of ${secrets.email} (Cognito accepts each code once).`);
    await context.sleep(waitMs);
    seconds = Math.floor(context.now().getTime() / 1000);
    step = Math.floor(seconds / TOTP_PERIOD_SECONDS);
  }
  secrets.lastTotpStep = step;
  return generate({ secret: secrets.totpSecret!, epoch: seconds });
}

/**
 * What a sign-in asks of the person (or the script) signing in, besides the password: each is asked
 * only when Cognito's challenge needs it.
 */
export interface ChallengeAnswers {
  /** The permanent password (`NEW_PASSWORD_REQUIRED`, the first sign-in). */
  newPassword(): Promise<string>;
  /**
   * A code of the TOTP secret Cognito has just associated with the user (`MFA_SETUP`): the one
   * moment the secret can be seen, so keep it here (an authenticator app, a secret store).
   */
  setUpCode(secret: string): Promise<string>;
  /** A code of the user's TOTP secret (`SOFTWARE_TOKEN_MFA`, every later sign-in). */
  signInCode(): Promise<string>;
}

/** How a sign-in ended: the tokens and the challenges answered on the way. */
export interface SignInTokens extends SignInResult {
  /** The refresh token (for `GetTokensFromRefreshToken`). */
  readonly refreshToken?: string;
  /** Seconds the ID token is valid, as Cognito said. */
  readonly expiresIn?: number;
}

/**
 * Signs a user in with SRP and answers every challenge the lake's pool can ask, asking `answers`
 * for what only the person knows; gives the tokens.
 * @throws SignInError when Cognito asks something that cannot be answered
 * @throws the SDK's error when Cognito refuses a call (a wrong password, a wrong code)
 */
export async function signInWith(
  context: SignInContext, email: string, password: string, answers: ChallengeAnswers, deviceName: string,
): Promise<SignInTokens> {
  const { cognito, clientId } = context;
  // The pool signs users in by email (an alias): the password is not pre-hashed (see the helper's README).
  const srpSession = createSrpSession(email, password, context.userPoolId, false);
  const initiated = await cognito.send(new InitiateAuthCommand(wrapInitiateAuth(srpSession, {
    ClientId: clientId,
    AuthFlow: 'USER_SRP_AUTH',
    AuthParameters: { USERNAME: email },
  })));
  if (initiated.ChallengeName !== ChallengeNameType.PASSWORD_VERIFIER) {
    throw new SignInError(`Cognito answered the SRP sign-in of ${email} with ${initiated.ChallengeName ?? 'no challenge'} instead of PASSWORD_VERIFIER.`);
  }
  const userIdForSrp = initiated.ChallengeParameters?.USER_ID_FOR_SRP ?? email;
  const signed = signSrpSession(srpSession, initiated);
  let answer = await cognito.send(new RespondToAuthChallengeCommand(wrapAuthChallenge(signed, {
    ClientId: clientId,
    ChallengeName: ChallengeNameType.PASSWORD_VERIFIER,
    ChallengeResponses: { USERNAME: userIdForSrp },
    Session: initiated.Session,
  })));
  const challenges: string[] = [ChallengeNameType.PASSWORD_VERIFIER];

  for (let round = 0; round < 5; round++) {
    if (answer.AuthenticationResult) {
      const result = answer.AuthenticationResult;
      return { idToken: idTokenOf(result, email), challenges, refreshToken: result.RefreshToken, expiresIn: result.ExpiresIn };
    }
    const challenge = answer.ChallengeName;
    const username = answer.ChallengeParameters?.USERNAME ?? userIdForSrp;
    challenges.push(String(challenge));
    switch (challenge) {
      case ChallengeNameType.NEW_PASSWORD_REQUIRED:
        context.progress(`Setting the permanent password of ${email}.`);
        answer = await cognito.send(new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: challenge,
          ChallengeResponses: { USERNAME: username, NEW_PASSWORD: await answers.newPassword() },
          Session: answer.Session,
        }));
        break;
      case ChallengeNameType.MFA_SETUP: {
        context.progress(`Setting up TOTP MFA for ${email}.`);
        const association = await cognito.send(new AssociateSoftwareTokenCommand({ Session: answer.Session }));
        if (!association.SecretCode) {
          throw new SignInError(`Cognito gave no TOTP secret for ${email}.`);
        }
        const verified = await cognito.send(new VerifySoftwareTokenCommand({
          Session: association.Session,
          UserCode: await answers.setUpCode(association.SecretCode),
          FriendlyDeviceName: deviceName,
        }));
        if (verified.Status !== 'SUCCESS') {
          throw new SignInError(`Cognito did not accept the TOTP code of ${email} (status ${verified.Status ?? 'none'}).`);
        }
        answer = await cognito.send(new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: challenge,
          ChallengeResponses: { USERNAME: username },
          Session: verified.Session,
        }));
        break;
      }
      case ChallengeNameType.SELECT_MFA_TYPE:
        answer = await cognito.send(new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: challenge,
          ChallengeResponses: { USERNAME: username, ANSWER: ChallengeNameType.SOFTWARE_TOKEN_MFA },
          Session: answer.Session,
        }));
        break;
      case ChallengeNameType.SOFTWARE_TOKEN_MFA:
        answer = await cognito.send(new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: challenge,
          ChallengeResponses: { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: await answers.signInCode() },
          Session: answer.Session,
        }));
        break;
      default:
        throw new SignInError(`Cognito asked ${email} for ${challenge ?? 'nothing'}, which cannot be answered here.`);
    }
  }
  throw new SignInError(`The sign-in of ${email} did not end after ${challenges.join(', ')}.`);
}

/**
 * Signs a sample user of `try` in: the new password and the TOTP codes come from `secrets`, which
 * keeps the TOTP secret for the next sign-in.
 */
export async function signIn(context: SignInContext, secrets: SignInSecrets): Promise<SignInResult> {
  const answers: ChallengeAnswers = {
    newPassword: async () => {
      secrets.password = secrets.newPassword;
      return secrets.newPassword;
    },
    setUpCode: async (secret) => {
      secrets.totpSecret = secret;
      return totpCode(context, secrets);
    },
    signInCode: async () => {
      if (secrets.totpSecret === undefined) {
        throw new SignInError(`Cognito asks ${secrets.email} for a TOTP code, but the TOTP device of this user was not set up by try.`);
      }
      return totpCode(context, secrets);
    },
  };
  const { idToken, challenges } = await signInWith(context, secrets.email, secrets.password, answers, 'health-data-lake try');
  return { idToken, challenges };
}

function idTokenOf(result: AuthenticationResultType, email: string): string {
  if (!result.IdToken) {
    throw new SignInError(`Cognito signed ${email} in without an ID token.`);
  }
  return result.IdToken;
}
