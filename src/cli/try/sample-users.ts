/**
 * The sample users and messages of `try`: who they are, how `try` names them, and how `--cleanup`
 * recognises them.
 *
 * Every user `try` creates has an email address of the fixed form `try-<role>@<TRY_EMAIL_DOMAIN>`,
 * one of the {@link SAMPLE_USERS} addresses exactly. `.invalid` is reserved (RFC 2606): no real
 * mailbox and so no real user of the pool can have such an address, and Cognito never sends mail
 * to it (`try` suppresses the invitation anyway). `--cleanup` deletes a user only when its email is
 * one of these addresses, nothing else.
 *
 * Pure: no AWS imports.
 */

/** The mail domain of every user `try` creates. */
export const TRY_EMAIL_DOMAIN = 'try.health-data-lake.invalid';

/** The institutes of the sample users; they are also the key prefixes of the messages `try` stores. */
export const TRY_INSTITUTE_A = 'try-institute-a';
export const TRY_INSTITUTE_B = 'try-institute-b';

/** One sample user. */
export interface SampleUser {
  /** Short name used in the report, e.g. `a-writer-reader`. */
  readonly role: string;
  /** What the user may do, in words. */
  readonly description: string;
  readonly email: string;
  /** Read institute (`undefined`: none). */
  readonly read?: string;
  /** Write institute (`undefined`: none). */
  readonly write?: string;
}

function sampleUser(role: string, description: string, institutes: { read?: string; write?: string }): SampleUser {
  return { role, description, email: `try-${role}@${TRY_EMAIL_DOMAIN}`, ...institutes };
}

/** The users of the scenario: institute A writer and reader, reader only, writer only; institute B; nobody's. */
export const SAMPLE_USERS = {
  aWriterReader: sampleUser('a-writer-reader', `writes and reads for ${TRY_INSTITUTE_A}`, { read: TRY_INSTITUTE_A, write: TRY_INSTITUTE_A }),
  aReader: sampleUser('a-reader', `reads for ${TRY_INSTITUTE_A} only`, { read: TRY_INSTITUTE_A }),
  aWriter: sampleUser('a-writer', `writes for ${TRY_INSTITUTE_A} only`, { write: TRY_INSTITUTE_A }),
  bWriterReader: sampleUser('b-writer-reader', `writes and reads for ${TRY_INSTITUTE_B}`, { read: TRY_INSTITUTE_B, write: TRY_INSTITUTE_B }),
  noInstitute: sampleUser('no-institute', 'belongs to no institute', {}),
} as const;

/** All sample users, in the order `try` creates them. */
export const ALL_SAMPLE_USERS: readonly SampleUser[] = Object.values(SAMPLE_USERS);

/** Whether an email address is one of the addresses `try` gives its users (letter case ignored, as Cognito does). */
export function isSampleUserEmail(email: string | undefined): boolean {
  if (email === undefined) {
    return false;
  }
  return ALL_SAMPLE_USERS.some((user) => user.email === email.toLowerCase());
}

/**
 * A sample ADT^A01 message of a fictitious patient, segments joined by `\r` (the form the lake stores,
 * so that reading it back gives the very same text). The control id carries the run id: each run
 * sends new messages, since the lake keeps every message it stored and refuses it again as a duplicate.
 */
export function sampleMessage(controlId: string, sendingFacility: string): string {
  return [
    `MSH|^~\\&|TRY|${sendingFacility}|LAKE|HEALTH DATA LAKE|20240102030405||ADT^A01^ADT_A01|${controlId}|P|2.5.1`,
    'EVN|A01|20240102030405',
    'PID|1||TRY0001^^^TRY^MR||TRYOUT^SAMPLE||19700101|U',
    'PV1|1|I',
  ].join('\r');
}

/** A body that is not an HL7 v2 message (no MSH segment). */
export const NOT_AN_HL7_MESSAGE = 'This is a note, not an HL7 v2 message.';
