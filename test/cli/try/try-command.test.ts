import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CaseResult, RunResult } from './support/try-harness';
import { SAMPLE_USERS, TRY_EMAIL_DOMAIN } from '../../../src/cli/try/sample-users';
import type { TryReport } from '../../../src/cli/try/scenario';
import { BUCKET_NAME, READ_CLAIM } from '../../runtime/support/handler-environment';

/*
 * `try` end to end: the command on a real commander program, the REAL ingest and read handlers on a
 * local HTTP API, a fake user pool with SRP, new-password and TOTP challenges. It runs in a child
 * Node.js process (support/try-harness.ts): commander and otplib are ES modules that Jest cannot load.
 */
const USER_POOL_ID = 'eu-west-1_InstPool1';
const TRY_EMAILS = Object.values(SAMPLE_USERS).map((user) => user.email).sort();
const CASES = ['mfa-required', 'json', 'mfa-off', 'wrong-write-claim', 'cleanup', 'cleanup-nothing', 'run-cleanup-run',
  'earlier-run', 'throttled-create', 'access-denied-create', 'throttled-delete'];

let results: Record<string, CaseResult>;

beforeAll(async () => {
  const folder = mkdtempSync(join(tmpdir(), 'try-harness-'));
  try {
    const output = join(folder, 'results.json');
    await promisify(execFile)(process.execPath, ['-r', 'ts-node/register', join(__dirname, 'support', 'try-harness.ts'), output, ...CASES], {
      cwd: join(__dirname, '..', '..', '..'),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: 'tsconfig.dev.json', NODE_NO_WARNINGS: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    results = JSON.parse(readFileSync(output, 'utf8')) as Record<string, CaseResult>;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}, 120_000);

function only(name: string): RunResult {
  const { runs } = results[name];
  expect(runs).toHaveLength(1);
  return runs[0];
}

/** The rows of the printed table: step, expected, actual, ok. */
function rowsOf(stdout: string): string[][] {
  return stdout.split('\n')
    .filter((line) => line.startsWith('│') && !line.includes('│ step '))
    .map((line) => line.split('│').slice(1, -1).map((cell) => cell.trim()));
}

describe('try against the real handlers on a local API', () => {
  test('GIVEN a lake that requires MFA WHEN try runs THEN every step prints its expected and actual outcome, all match, and the exit code is 0', () => {
    const { exitCode, stdout, stderr, progress, sleptMs } = only('mfa-required');
    const { poolEmails, attributes, bucketKeys } = results['mfa-required'];

    expect(stderr).toBe('');
    expect(rowsOf(stdout)).toEqual([
      ['a-writer-reader signs in for the first time', 'ID token', 'ID token (NEW_PASSWORD_REQUIRED, MFA_SETUP)', 'yes'],
      ['a-reader signs in for the first time', 'ID token', 'ID token (NEW_PASSWORD_REQUIRED, MFA_SETUP)', 'yes'],
      ['a-writer signs in for the first time', 'ID token', 'ID token (NEW_PASSWORD_REQUIRED, MFA_SETUP)', 'yes'],
      ['b-writer-reader signs in for the first time', 'ID token', 'ID token (NEW_PASSWORD_REQUIRED, MFA_SETUP)', 'yes'],
      ['no-institute signs in for the first time', 'ID token', 'ID token (NEW_PASSWORD_REQUIRED, MFA_SETUP)', 'yes'],
      ['a-writer-reader sends message 1', '201 (stored)', '201 stored', 'yes'],
      ['a-writer-reader sends message 1 again', '409 DUPLICATE_MESSAGE (duplicate)', '409 DUPLICATE_MESSAGE', 'yes'],
      ['a-writer sends message 2', '201 (stored)', '201 stored', 'yes'],
      ['a-reader sends message 3', '403 NO_WRITE_INSTITUTE (reader only: no write institute)', '403 NO_WRITE_INSTITUTE', 'yes'],
      ['no-institute sends message 3', '403 NO_WRITE_INSTITUTE (no institute)', '403 NO_WRITE_INSTITUTE', 'yes'],
      ['a-writer-reader sends a note that is not HL7', '400 (invalid message)', expect.stringMatching(/^400 [A-Z_]+$/), 'yes'],
      ['a-writer-reader reads message 1', '200 same text (read back)', '200 same text', 'yes'],
      ['a-reader reads message 2', '200 same text (read back, written by a-writer)', '200 same text', 'yes'],
      ['a-writer reads message 1', '403 NO_READ_INSTITUTE (writer only: no read institute)', '403 NO_READ_INSTITUTE', 'yes'],
      ['no-institute reads message 1', '403 NO_READ_INSTITUTE (no institute)', '403 NO_READ_INSTITUTE', 'yes'],
      ['b-writer-reader reads message 1', '404 MESSAGE_NOT_FOUND (cross-institute read refused: message 1 belongs to try-institute-a)', '404 MESSAGE_NOT_FOUND', 'yes'],
      ['b-writer-reader sends message 1', '201 (stored for try-institute-b: duplicates are per institute)', '201 stored', 'yes'],
      ['a-writer-reader signs in again', 'ID token (SOFTWARE_TOKEN_MFA)', 'ID token (SOFTWARE_TOKEN_MFA)', 'yes'],
    ]);
    expect(stdout).toContain('Every step gave the expected outcome (18 steps).');
    expect(stdout).toContain(`The messages try stored stay in the bucket ${BUCKET_NAME} under the key prefixes try-institute-a/ and try-institute-b/`);
    expect(exitCode).toBe(0);
    // The users exist with the institutes of their roles; the API stored exactly the three messages.
    expect(poolEmails).toEqual(TRY_EMAILS);
    expect(attributes[SAMPLE_USERS.aReader.email]).toEqual({ email: SAMPLE_USERS.aReader.email, email_verified: 'true', [READ_CLAIM]: 'try-institute-a' });
    expect(attributes[SAMPLE_USERS.noInstitute.email]).toEqual({ email: SAMPLE_USERS.noInstitute.email, email_verified: 'true' });
    expect(bucketKeys.map((key) => key.split('/')[0]).sort()).toEqual(['try-institute-a', 'try-institute-a', 'try-institute-b']);
    // The TOTP code of the set-up is not used twice: the second sign-in waited for the next step.
    expect(sleptMs).toBeGreaterThan(0);
    expect(progress.some((line) => line.startsWith('Waiting') && line.includes('next TOTP code'))).toBe(true);
  });

  test('GIVEN --json WHEN try runs THEN the report is JSON with every step, the users created and where the messages stay', () => {
    const { exitCode, stdout } = only('json');

    const report = JSON.parse(stdout) as TryReport;
    expect(report).toMatchObject({
      mode: 'scenario',
      ok: true,
      users: Object.values(SAMPLE_USERS).map((user) => user.email),
      messages: { bucketName: BUCKET_NAME, keyPrefixes: ['try-institute-a/', 'try-institute-b/'] },
    });
    expect(report.steps).toHaveLength(18);
    expect(report.steps.every((step) => step.ok)).toBe(true);
    expect(exitCode).toBe(0);
  });

  test('GIVEN a lake with MFA off WHEN try runs THEN the first sign-ins answer only the new-password challenge and no TOTP sign-in is tried', () => {
    const { exitCode, stdout, sleptMs } = only('mfa-off');

    const rows = rowsOf(stdout);
    expect(rows.filter((row) => row[0].endsWith('signs in for the first time')).map((row) => row[2]))
      .toEqual(Array(5).fill('ID token (NEW_PASSWORD_REQUIRED)'));
    expect(rows.some((row) => row[0].endsWith('signs in again'))).toBe(false);
    expect(sleptMs).toBe(0);
    expect(exitCode).toBe(0);
  });

  test('GIVEN a lake whose handlers read another write claim than the outputs say WHEN try runs THEN the mismatching steps say NO and the exit code is 1', () => {
    const { exitCode, stdout } = only('wrong-write-claim');

    const rows = rowsOf(stdout);
    expect(rows.find((row) => row[0] === 'a-writer-reader sends message 1')).toEqual(
      ['a-writer-reader sends message 1', '201 (stored)', '403 NO_WRITE_INSTITUTE', 'NO'],
    );
    expect(rows.find((row) => row[0] === 'a-writer-reader reads message 1')).toEqual(
      ['a-writer-reader reads message 1', '200 same text (read back)', 'not sent: no message id', 'NO'],
    );
    expect(stdout).toMatch(/\d+ of 18 steps did NOT give the expected outcome\./);
    expect(exitCode).toBe(1);
  });
});

describe('try --cleanup', () => {
  test('GIVEN the users of a run and other users WHEN try --cleanup runs THEN exactly the users of try are deleted and the messages are said to stay', () => {
    // The case adds alice@hospital-a.example, try-someone@example.com (the prefix alone is not enough)
    // and try-admin@<the domain of try> (nor the domain alone) after the run.
    const [run, { exitCode, stdout }] = results.cleanup.runs;
    expect(run.exitCode).toBe(0);

    expect(results.cleanup.poolEmails).toEqual(['alice@hospital-a.example', `try-admin@${TRY_EMAIL_DOMAIN}`, 'try-someone@example.com']);
    expect(rowsOf(stdout).map((row) => row[0]).sort()).toEqual(TRY_EMAILS.map((email) => `delete ${email}`));
    expect(rowsOf(stdout).every((row) => row[2] === 'deleted' && row[3] === 'yes')).toBe(true);
    expect(stdout).toContain(`Deleted 5 user(s) of try from user pool ${USER_POOL_ID}; no other user was touched.`);
    expect(stdout).toContain(`stay in the bucket ${BUCKET_NAME} under the key prefixes try-institute-a/ and try-institute-b/`);
    expect(results.cleanup.bucketKeys).toHaveLength(3);
    expect(exitCode).toBe(0);
  });

  test('GIVEN no user of try WHEN try --cleanup runs THEN it says there is nothing to delete and deletes nothing', () => {
    const { exitCode, stdout } = only('cleanup-nothing');

    expect(stdout).toContain(`No user of try was found in user pool ${USER_POOL_ID}: nothing to delete.`);
    expect(results['cleanup-nothing'].poolEmails).toEqual(['alice@hospital-a.example']);
    expect(exitCode).toBe(0);
  });

  test('GIVEN a run after a cleanup WHEN try runs again THEN it succeeds: new users and new control ids', () => {
    const [first, cleanup, second] = results['run-cleanup-run'].runs;

    expect([first.exitCode, cleanup.exitCode, second.exitCode]).toEqual([0, 0, 0]);
    expect(results['run-cleanup-run'].bucketKeys).toHaveLength(6);
    expect(results['run-cleanup-run'].poolEmails).toEqual(TRY_EMAILS);
  });
});

describe('try when AWS refuses', () => {
  test('GIVEN a user of an earlier run without cleanup WHEN try runs THEN it fails with a sentence that says to run try --cleanup, creating nobody', () => {
    const { exitCode, stdout, stderr } = only('earlier-run');

    expect(stderr).toBe(`The users of an earlier try run still exist in user pool ${USER_POOL_ID} (${SAMPLE_USERS.aReader.email}): `
      + 'their passwords are unknown now. Run try --cleanup first, then try again.\n');
    expect(stdout).toBe('');
    expect(results['earlier-run'].poolEmails).toEqual([SAMPLE_USERS.aReader.email]);
    expect(exitCode).toBe(1);
  });

  test('GIVEN Cognito throttles the third AdminCreateUser WHEN try runs THEN it stops with the throttling sentence naming the users created so far', () => {
    const { exitCode, stdout, stderr } = only('throttled-create');

    expect(stderr).toBe(`Cognito throttled the request (TooManyRequestsException) while creating ${SAMPLE_USERS.aWriter.email}: wait a minute and try again. `
      + `Created so far: ${SAMPLE_USERS.aWriterReader.email}, ${SAMPLE_USERS.aReader.email}; run try --cleanup to remove them.\n`);
    expect(stdout).toBe('');
    expect(exitCode).toBe(1);
  });

  test('GIVEN credentials that may not create users WHEN try runs THEN it fails with the access sentence and no stack trace', () => {
    const { exitCode, stderr } = only('access-denied-create');

    expect(stderr).toBe(`Your AWS credentials may not do this (AccessDeniedException) while creating ${SAMPLE_USERS.aWriterReader.email}: `
      + 'use credentials of an administrator of the user pool. No user was created.\n');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(results['access-denied-create'].poolEmails).toEqual([]);
    expect(exitCode).toBe(1);
  });

  test('GIVEN Cognito throttles the deletion WHEN try --cleanup runs THEN it stops with the throttling sentence and says nothing was deleted', () => {
    const [run, { exitCode, stderr }] = results['throttled-delete'].runs;
    expect(run.exitCode).toBe(0);

    expect(stderr).toMatch(/^Cognito throttled the request \(TooManyRequestsException\) while deleting try-[a-z-]+@try\.health-data-lake\.invalid: wait a minute and try again\. Nothing was deleted\.\n$/);
    expect(results['throttled-delete'].poolEmails).toEqual(TRY_EMAILS);
    expect(exitCode).toBe(1);
  });
});
