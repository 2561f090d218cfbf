/**
 * What an institute name may be: one rule that the user pool attribute, the handlers (which read it
 * from the ID token) and the operator's command-line tool (which writes it) all apply.
 *
 * An institute is the `source` tag of its messages and the first part of their keys
 * (`<institute>/<message id>`), and the central policy compares it with the caller's principal tag.
 * So a name must be non-blank (a missing or blank attribute means no access, never all access),
 * must not contain `/` (which would nest one institute's prefix inside another's) and must not contain
 * control characters; and it fits the user pool's custom attribute (at most 256 characters).
 *
 * Pure: no AWS or CDK imports, so that the handlers and the bundled command-line tool can import it.
 */

/** The longest institute name: the `maxLen` of the user pool's read and write attributes. */
export const INSTITUTE_NAME_MAX_LENGTH = 256;

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Why a value is not an institute name, as the end of a sentence (`must not contain "/"`), or
 * `undefined` when it is one. This is what the handlers accept in a token's institute claim.
 * (They do not check the length: the user pool never stores a longer value, and the key-length
 * limit of the message store is checked on its own.)
 */
export function instituteNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return 'must be a string';
  }
  if (value.trim().length === 0) {
    return 'must not be empty or blank';
  }
  if (value.includes('/')) {
    return 'must not contain "/"';
  }
  if (CONTROL_CHARACTER.test(value)) {
    return 'must not contain control characters';
  }
  return undefined;
}

/** Whether a value is an institute name (see {@link instituteNameProblem}). */
export function isInstituteName(value: unknown): value is string {
  return instituteNameProblem(value) === undefined;
}

/**
 * Why a value cannot be given to a user as their institute: {@link instituteNameProblem}, or longer
 * than the user pool attribute allows. What administrators (and the command-line tool) may set.
 */
export function assignableInstituteNameProblem(value: unknown): string | undefined {
  const problem = instituteNameProblem(value);
  if (problem !== undefined) {
    return problem;
  }
  const length = (value as string).length;
  return length > INSTITUTE_NAME_MAX_LENGTH ? `must be at most ${INSTITUTE_NAME_MAX_LENGTH} characters (it has ${length})` : undefined;
}
