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
 * Signs a user in with SRP and answers every challenge the lake's pool can ask; gives the ID token.
 * @throws SignInError when Cognito asks something that `try` cannot answer
 * @throws the SDK's error when Cognito refuses a call
 */
export async function signIn(context: SignInContext, secrets: SignInSecrets): Promise<SignInResult> {
  const { cognito, clientId } = context;
  // The pool signs users in by email (an alias): the password is not pre-hashed (see the helper's README).
  const srpSession = createSrpSession(secrets.email, secrets.password, context.userPoolId, false);
  const initiated = await cognito.send(new InitiateAuthCommand(wrapInitiateAuth(srpSession, {
    ClientId: clientId,
    AuthFlow: 'USER_SRP_AUTH',
    AuthParameters: { USERNAME: secrets.email },
  })));
  if (initiated.ChallengeName !== ChallengeNameType.PASSWORD_VERIFIER) {
    throw new SignInError(`Cognito answered the SRP sign-in of ${secrets.email} with ${initiated.ChallengeName ?? 'no challenge'} instead of PASSWORD_VERIFIER.`);
  }
  const userIdForSrp = initiated.ChallengeParameters?.USER_ID_FOR_SRP ?? secrets.email;
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
      return { idToken: idTokenOf(answer.AuthenticationResult, secrets.email), challenges };
    }
    const challenge = answer.ChallengeName;
    const username = answer.ChallengeParameters?.USERNAME ?? userIdForSrp;
    challenges.push(String(challenge));
    switch (challenge) {
      case ChallengeNameType.NEW_PASSWORD_REQUIRED:
        context.progress(`Setting the permanent password of ${secrets.email}.`);
        answer = await cognito.send(new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: challenge,
          ChallengeResponses: { USERNAME: username, NEW_PASSWORD: secrets.newPassword },
          Session: answer.Session,
        }));
        secrets.password = secrets.newPassword;
        break;
      case ChallengeNameType.MFA_SETUP: {
        context.progress(`Setting up TOTP MFA for ${secrets.email}.`);
        const association = await cognito.send(new AssociateSoftwareTokenCommand({ Session: answer.Session }));
        if (!association.SecretCode) {
          throw new SignInError(`Cognito gave no TOTP secret for ${secrets.email}.`);
        }
        secrets.totpSecret = association.SecretCode;
        const verified = await cognito.send(new VerifySoftwareTokenCommand({
          Session: association.Session,
          UserCode: await totpCode(context, secrets),
          FriendlyDeviceName: 'health-data-lake try',
        }));
        if (verified.Status !== 'SUCCESS') {
          throw new SignInError(`Cognito did not accept the TOTP code of ${secrets.email} (status ${verified.Status ?? 'none'}).`);
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
        if (secrets.totpSecret === undefined) {
          throw new SignInError(`Cognito asks ${secrets.email} for a TOTP code, but the TOTP device of this user was not set up by try.`);
        }
        answer = await cognito.send(new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: challenge,
          ChallengeResponses: { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: await totpCode(context, secrets) },
          Session: answer.Session,
        }));
        break;
      default:
        throw new SignInError(`Cognito asked ${secrets.email} for ${challenge ?? 'nothing'}, which try cannot answer.`);
    }
  }
  throw new SignInError(`The sign-in of ${secrets.email} did not end after ${challenges.join(', ')}.`);
}

function idTokenOf(result: AuthenticationResultType, email: string): string {
  if (!result.IdToken) {
    throw new SignInError(`Cognito signed ${email} in without an ID token.`);
  }
  return result.IdToken;
}
