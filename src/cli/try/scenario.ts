/**
 * `try`: the lake's "Testing it out", replayed against a deployed lake. Sample users of two
 * institutes (and one of none) are created, sign in for the first time (new password, TOTP set-up
 * when the pool requires MFA), send sample HL7 messages through the API and read them back; each
 * step is reported with the outcome the lake's rules predict and the outcome the lake gave.
 *
 * `--cleanup` deletes exactly the users `try` created (see `sample-users.ts` for how they are
 * recognised). Messages stay: the lake never deletes a stored message.
 */
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AttributeType,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  ALL_SAMPLE_USERS,
  isSampleUserEmail,
  NOT_AN_HL7_MESSAGE,
  SAMPLE_USERS,
  SampleUser,
  sampleMessage,
  TRY_EMAIL_DOMAIN,
  TRY_INSTITUTE_A,
  TRY_INSTITUTE_B,
} from './sample-users';
import { signIn, SignInContext, SignInError, SignInSecrets } from './sign-in';
import type { DeployedLake } from '../../contracts/lake-outputs';

/**
 * What `try` needs of the lake: the API, the user pool and its app client, the claim names; the
 * bucket only names where the messages stay (unknown when the lake was given by explicit ids).
 */
export type TryLake = Pick<DeployedLake, 'region' | 'apiUrl' | 'userPoolId' | 'userPoolClientId' | 'readClaim' | 'writeClaim'>
  & { readonly bucketName?: string };

/** The answer of an HTTP request, as far as `try` reads it (a subset of the WHATWG `Response`). */
export interface TryHttpResponse {
  readonly status: number;
  text(): Promise<string>;
}

/** An HTTP client (a subset of the WHATWG `fetch`; the global `fetch` of Node.js fits). */
export type TryFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<TryHttpResponse>;

/** What `try` talks to and how it keeps time; the command builds them from the AWS configuration. */
export interface TryDependencies {
  /** The user pool's client (the lake's region, the caller's AWS credentials). */
  readonly cognito: CognitoIdentityProviderClient;
  /** The HTTP client of the API. */
  readonly fetch: TryFetch;
  /** The clock: TOTP codes and waiting for the next code. */
  readonly clock: {
    now(): Date;
    sleep(ms: number): Promise<void>;
  };
  /** Random bytes (passwords and the run id); must be cryptographically strong, e.g. `crypto.randomBytes`. */
  readonly random: (size: number) => Uint8Array;
  /** Progress of anything that takes a while, one line at a time (the command writes it to stderr). */
  readonly progress: (line: string) => void;
}

/** One step of the report. */
export interface TryStep {
  /** What was done, e.g. `a-reader sends message 2`. */
  readonly step: string;
  /** The outcome the lake's rules predict, e.g. `403 NO_WRITE_INSTITUTE`. */
  readonly expected: string;
  /** The outcome the lake gave. */
  readonly actual: string;
  readonly ok: boolean;
}

/** What `try` did and found. */
export interface TryReport {
  readonly mode: 'scenario' | 'cleanup';
  readonly steps: readonly TryStep[];
  /** Whether every step gave the expected outcome. */
  readonly ok: boolean;
  /** The emails of the users the run created (scenario) or deleted (cleanup). */
  readonly users: readonly string[];
  /** Where the messages of `try` stay: the bucket and the key prefixes (one per sample institute). */
  readonly messages: { readonly bucketName: string | null; readonly keyPrefixes: readonly string[] };
  /** Sentences for the person who ran `try`: what stays behind and what to do next. */
  readonly notes: readonly string[];
}

/** A run of `try` that could not go on; its message says what happened and what to do. */
export class TryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TryError';
  }
}

/** The outcome of one API call: status, error code, text. */
interface ApiOutcome {
  readonly status: number;
  readonly code?: string;
  readonly body: string;
}

/** What a step expects: a status and optionally an error code or the text read back. */
interface Expectation {
  readonly status: number;
  readonly code?: string;
  /** Any HL7 validation code is fine (a 400 with a code other than the catalogue's). */
  readonly anyCode?: boolean;
  readonly text?: string;
  readonly words: string;
}

const STORED = (words = 'stored'): Expectation => ({ status: 201, words });

function describeOutcome(outcome: ApiOutcome, expectation: Expectation): string {
  if (outcome.status === 200 && expectation.text !== undefined) {
    return outcome.body === expectation.text ? '200 same text' : '200 different text';
  }
  if (outcome.status === 201) {
    return '201 stored';
  }
  return `${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
}

function expected(expectation: Expectation): string {
  if (expectation.text !== undefined) {
    return `${expectation.status} same text (${expectation.words})`;
  }
  return `${expectation.status}${expectation.code ? ` ${expectation.code}` : ''} (${expectation.words})`;
}

function matches(outcome: ApiOutcome, expectation: Expectation): boolean {
  if (outcome.status !== expectation.status) {
    return false;
  }
  if (expectation.text !== undefined) {
    return outcome.body === expectation.text;
  }
  if (expectation.anyCode) {
    return outcome.code !== undefined;
  }
  return expectation.code === undefined || outcome.code === expectation.code;
}

function errorCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed?.error?.code === 'string' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

function messageIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    return typeof parsed?.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/** A password that meets any policy Cognito allows (upper, lower, digit, symbol, 32 characters or more). */
function randomPassword(random: (size: number) => Uint8Array): string {
  return `${Buffer.from(random(24)).toString('base64url')}Aa1!`;
}

/** The name and cause of an AWS error, for a sentence. */
function awsErrorName(error: unknown): string {
  if (error instanceof Error) {
    return error.name && error.name !== 'Error' ? error.name : error.message;
  }
  return String(error);
}

const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException']);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'NotAuthorizedException', 'UnrecognizedClientException']);

/** A sentence for an AWS error while doing `what`, with what the person can do about it. */
function awsFailure(error: unknown, what: string, afterwards: string): TryError {
  const name = awsErrorName(error);
  if (THROTTLING.has(name)) {
    return new TryError(`Cognito throttled the request (${name}) while ${what}: wait a minute and try again. ${afterwards}`.trim());
  }
  if (ACCESS_DENIED.has(name)) {
    return new TryError(`Your AWS credentials may not do this (${name}) while ${what}: use credentials of an administrator of the user pool. ${afterwards}`.trim());
  }
  return new TryError(`Cognito failed (${name}) while ${what}. ${afterwards}`.trim());
}

function emailOf(user: UserType): string | undefined {
  return user.Attributes?.find((attribute) => attribute.Name === 'email')?.Value;
}

/** The users of the pool that `try` created: an email of the sample users, nothing else. */
async function findSampleUsers(cognito: CognitoIdentityProviderClient, userPoolId: string): Promise<UserType[]> {
  const found: UserType[] = [];
  let paginationToken: string | undefined;
  do {
    const page = await cognito.send(new ListUsersCommand({
      UserPoolId: userPoolId,
      Filter: 'email ^= "try-"',
      ...(paginationToken ? { PaginationToken: paginationToken } : {}),
    }));
    found.push(...(page.Users ?? []).filter((user) => isSampleUserEmail(emailOf(user))));
    paginationToken = page.PaginationToken;
  } while (paginationToken);
  return found;
}

function messageNotes(lake: TryLake): string[] {
  return [
    `The messages try stored stay in ${lake.bucketName !== undefined ? `the bucket ${lake.bucketName}` : 'the lake\'s bucket (the stack output <id>BucketName)'} under the key prefixes ${TRY_INSTITUTE_A}/ and ${TRY_INSTITUTE_B}/: `
    + 'the lake never deletes a stored message. An administrator with access to the bucket can remove them there.',
  ];
}

function keyPrefixes(): string[] {
  return [`${TRY_INSTITUTE_A}/`, `${TRY_INSTITUTE_B}/`];
}

/** `try --cleanup`: deletes the users `try` created, and only them. */
async function cleanup(lake: TryLake, deps: TryDependencies): Promise<TryReport> {
  deps.progress(`Looking for the users of try (emails try-<role>@${TRY_EMAIL_DOMAIN}) in user pool ${lake.userPoolId}.`);
  let users: UserType[];
  try {
    users = await findSampleUsers(deps.cognito, lake.userPoolId);
  } catch (error) {
    throw awsFailure(error, `listing the users of user pool ${lake.userPoolId}`, 'Nothing was deleted.');
  }
  const steps: TryStep[] = [];
  const deleted: string[] = [];
  for (const user of users) {
    const email = emailOf(user)!;
    deps.progress(`Deleting ${email}.`);
    try {
      await deps.cognito.send(new AdminDeleteUserCommand({ UserPoolId: lake.userPoolId, Username: user.Username }));
      deleted.push(email);
      steps.push({ step: `delete ${email}`, expected: 'deleted', actual: 'deleted', ok: true });
    } catch (error) {
      if (awsErrorName(error) === 'UserNotFoundException') {
        steps.push({ step: `delete ${email}`, expected: 'deleted', actual: 'already gone', ok: true });
        continue;
      }
      throw awsFailure(error, `deleting ${email}`,
        deleted.length === 0 ? 'Nothing was deleted.' : `Deleted so far: ${deleted.join(', ')}; run try --cleanup again for the rest.`);
    }
  }
  const notes = [
    users.length === 0
      ? `No user of try was found in user pool ${lake.userPoolId}: nothing to delete.`
      : `Deleted ${deleted.length} user(s) of try from user pool ${lake.userPoolId}; no other user was touched.`,
    ...messageNotes(lake),
  ];
  return { mode: 'cleanup', steps, ok: true, users: deleted, messages: { bucketName: lake.bucketName ?? null, keyPrefixes: keyPrefixes() }, notes };
}

function userAttributes(lake: TryLake, user: SampleUser): AttributeType[] {
  return [
    { Name: 'email', Value: user.email },
    { Name: 'email_verified', Value: 'true' },
    ...(user.read === undefined ? [] : [{ Name: lake.readClaim, Value: user.read }]),
    ...(user.write === undefined ? [] : [{ Name: lake.writeClaim, Value: user.write }]),
  ];
}

/** A signed-in sample user. */
interface SignedInUser {
  readonly user: SampleUser;
  readonly secrets: SignInSecrets;
  idToken: string;
}

/** The scenario itself. */
async function scenario(lake: TryLake, deps: TryDependencies): Promise<TryReport> {
  const { cognito } = deps;
  const steps: TryStep[] = [];
  const created: string[] = [];
  const cleanupHint = () => (created.length === 0
    ? 'No user was created.'
    : `Created so far: ${created.join(', ')}; run try --cleanup to remove them.`);

  // 1. Users: refuse to start over users of an earlier run, whose passwords and TOTP secrets are lost.
  let existing: UserType[];
  try {
    existing = await findSampleUsers(cognito, lake.userPoolId);
  } catch (error) {
    throw awsFailure(error, `listing the users of user pool ${lake.userPoolId}`, cleanupHint());
  }
  if (existing.length > 0) {
    throw new TryError(`The users of an earlier try run still exist in user pool ${lake.userPoolId} `
      + `(${existing.map(emailOf).join(', ')}): their passwords are unknown now. Run try --cleanup first, then try again.`);
  }

  const signedIn = new Map<SampleUser, SignedInUser>();
  for (const user of ALL_SAMPLE_USERS) {
    const temporaryPassword = randomPassword(deps.random);
    deps.progress(`Creating ${user.email} (${user.description}).`);
    try {
      await cognito.send(new AdminCreateUserCommand({
        UserPoolId: lake.userPoolId,
        Username: user.email,
        TemporaryPassword: temporaryPassword,
        MessageAction: 'SUPPRESS',
        UserAttributes: userAttributes(lake, user),
      }));
    } catch (error) {
      if (awsErrorName(error) === 'UsernameExistsException') {
        throw new TryError(`${user.email} already exists in user pool ${lake.userPoolId} (created by an earlier try run meanwhile). `
          + `${cleanupHint()} Run try --cleanup, then try again.`);
      }
      throw awsFailure(error, `creating ${user.email}`, cleanupHint());
    }
    created.push(user.email);
    signedIn.set(user, { user, secrets: { email: user.email, password: temporaryPassword, newPassword: randomPassword(deps.random) }, idToken: '' });
  }

  // 2. First sign-ins.
  const context: SignInContext = {
    cognito,
    userPoolId: lake.userPoolId,
    clientId: lake.userPoolClientId,
    now: () => deps.clock.now(),
    sleep: (ms) => deps.clock.sleep(ms),
    progress: deps.progress,
  };
  for (const entry of signedIn.values()) {
    deps.progress(`Signing in ${entry.user.email} for the first time.`);
    try {
      const result = await signIn(context, entry.secrets);
      entry.idToken = result.idToken;
      steps.push({
        step: `${entry.user.role} signs in for the first time`,
        expected: 'ID token',
        actual: `ID token (${result.challenges.slice(1).join(', ') || 'no challenge'})`,
        ok: true,
      });
    } catch (error) {
      if (error instanceof SignInError) {
        throw new TryError(`${error.message} ${cleanupHint()}`);
      }
      if (awsErrorName(error) === 'NotAuthorizedException') {
        // Here Cognito refuses the user's sign-in, not the administrator's credentials.
        throw new TryError(`Cognito refused the sign-in of ${entry.user.email} (NotAuthorizedException: ${(error as Error).message}). `
          + `The lake's app client must allow SRP sign-in. ${cleanupHint()}`);
      }
      throw awsFailure(error, `signing in ${entry.user.email}`, cleanupHint());
    }
  }

  // 3. Messages through the API.
  const runId = Buffer.from(deps.random(4)).toString('hex').toUpperCase();
  const first = sampleMessage(`TRY-${runId}-1`, 'TRY HOSPITAL A');
  const second = sampleMessage(`TRY-${runId}-2`, 'TRY HOSPITAL A');
  const third = sampleMessage(`TRY-${runId}-3`, 'TRY HOSPITAL A');
  const apiUrl = lake.apiUrl.replace(/\/+$/, '');
  const token = (user: SampleUser) => signedIn.get(user)!.idToken;

  const call = async (user: SampleUser, method: 'POST' | 'GET', path: string, body?: string): Promise<ApiOutcome> => {
    try {
      const response = await deps.fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token(user)}`,
          ...(body === undefined ? {} : { 'content-type': 'x-application/hl7-v2+er7' }),
        },
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      return { status: response.status, code: errorCodeOf(text), body: text };
    } catch (error) {
      throw new TryError(`The API at ${apiUrl} could not be reached (${awsErrorName(error)}). ${cleanupHint()}`);
    }
  };
  const ids = new Map<string, string>();
  const send = async (user: SampleUser, label: string, text: string, expectation: Expectation) => {
    deps.progress(`${user.role} sends ${label}.`);
    const outcome = await call(user, 'POST', '/messages', text);
    const id = outcome.status === 201 ? messageIdOf(outcome.body) : undefined;
    if (id !== undefined && !ids.has(label)) {
      ids.set(label, id);
    }
    steps.push({ step: `${user.role} sends ${label}`, expected: expected(expectation), actual: describeOutcome(outcome, expectation), ok: matches(outcome, expectation) });
  };
  const read = async (user: SampleUser, label: string, expectation: Expectation) => {
    deps.progress(`${user.role} reads ${label}.`);
    const id = ids.get(label);
    if (id === undefined) {
      steps.push({ step: `${user.role} reads ${label}`, expected: expected(expectation), actual: 'not sent: no message id', ok: false });
      return;
    }
    const outcome = await call(user, 'GET', `/messages/${encodeURIComponent(id)}`);
    steps.push({ step: `${user.role} reads ${label}`, expected: expected(expectation), actual: describeOutcome(outcome, expectation), ok: matches(outcome, expectation) });
  };

  const { aWriterReader, aReader, aWriter, bWriterReader, noInstitute } = SAMPLE_USERS;
  await send(aWriterReader, 'message 1', first, STORED());
  await send(aWriterReader, 'message 1 again', first, { status: 409, code: 'DUPLICATE_MESSAGE', words: 'duplicate' });
  await send(aWriter, 'message 2', second, STORED());
  await send(aReader, 'message 3', third, { status: 403, code: 'NO_WRITE_INSTITUTE', words: 'reader only: no write institute' });
  await send(noInstitute, 'message 3', third, { status: 403, code: 'NO_WRITE_INSTITUTE', words: 'no institute' });
  await send(aWriterReader, 'a note that is not HL7', NOT_AN_HL7_MESSAGE, { status: 400, anyCode: true, words: 'invalid message' });
  await read(aWriterReader, 'message 1', { status: 200, text: first, words: 'read back' });
  await read(aReader, 'message 2', { status: 200, text: second, words: 'read back, written by a-writer' });
  await read(aWriter, 'message 1', { status: 403, code: 'NO_READ_INSTITUTE', words: 'writer only: no read institute' });
  await read(noInstitute, 'message 1', { status: 403, code: 'NO_READ_INSTITUTE', words: 'no institute' });
  await read(bWriterReader, 'message 1', { status: 404, code: 'MESSAGE_NOT_FOUND', words: `cross-institute read refused: message 1 belongs to ${TRY_INSTITUTE_A}` });
  await send(bWriterReader, 'message 1', first, STORED(`stored for ${TRY_INSTITUTE_B}: duplicates are per institute`));

  // 4. A later sign-in: with MFA set up, Cognito asks for a TOTP code now.
  const returning = signedIn.get(aWriterReader)!;
  if (returning.secrets.totpSecret !== undefined) {
    deps.progress(`Signing ${aWriterReader.email} in again with a TOTP code.`);
    try {
      const result = await signIn(context, returning.secrets);
      const mfa = result.challenges.includes('SOFTWARE_TOKEN_MFA');
      steps.push({
        step: `${aWriterReader.role} signs in again`,
        expected: 'ID token (SOFTWARE_TOKEN_MFA)',
        actual: `ID token (${result.challenges.slice(1).join(', ') || 'no challenge'})`,
        ok: mfa,
      });
    } catch (error) {
      if (error instanceof SignInError) {
        steps.push({ step: `${aWriterReader.role} signs in again`, expected: 'ID token (SOFTWARE_TOKEN_MFA)', actual: error.message, ok: false });
      } else {
        throw awsFailure(error, `signing in ${aWriterReader.email} again`, cleanupHint());
      }
    }
  }

  return {
    mode: 'scenario',
    steps,
    ok: steps.every((step) => step.ok),
    users: created,
    messages: { bucketName: lake.bucketName ?? null, keyPrefixes: keyPrefixes() },
    notes: [
      `The ${created.length} users of try stay in user pool ${lake.userPoolId} until you run try --cleanup.`,
      ...messageNotes(lake),
    ],
  };
}

/**
 * Runs the scenario against a deployed lake (`cleanup: false`), or deletes the users an earlier run
 * created (`cleanup: true`).
 * @throws TryError when the run cannot go on (AWS refused a call, users of an earlier run exist);
 *   its message says what to do
 */
export async function runTryScenario(lake: TryLake, deps: TryDependencies, options: { cleanup: boolean }): Promise<TryReport> {
  return options.cleanup ? cleanup(lake, deps) : scenario(lake, deps);
}
