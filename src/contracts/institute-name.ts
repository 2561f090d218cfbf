/**
 * What an institute name may be: one rule that the user pool attribute, the handlers (which read it
 * from the ID token) and the operator's command-line tool (which writes it) all apply.
 *
 * An institute travels as an AWS STS session tag (the identity pool maps the user's attribute to
 * the principal tags `read` and `write`) and as the `source` tag of its messages in S3, and it is the
 * first part of their keys (`<institute>/<message id>`). So a name is what both kinds of tag accept:
 * - STS session tag values (and S3's tag pattern) allow `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, at most 256
 *   characters; S3 object tag values allow letters, digits, spaces and `+ - = . _ : / @`, at most 256
 *   characters, counted in UTF-16 (a character outside the Basic Multilingual Plane counts twice).
 *   The intersection: letters (`\p{L}`), decimal digits (`\p{Nd}`), the space U+0020, and `_ . : = + - @`.
 * - no `/`, which would nest one institute's key prefix inside another's;
 * - no space at either end, and at least one character (a missing or blank attribute means no
 *   access, never all access);
 * - written in Unicode normalization form C, so that one institute has one spelling (`Å` U+212B and
 *   `Å` U+00C5 look the same, but are different tags).
 * Invisible characters (zero-width spaces and other format characters, Unicode category Cf), other
 * spaces (no-break, ideographic), control characters, combining marks, symbols and emoji are
 * therefore refused. The limit of 256 is also the `maxLen` of the user pool's custom attributes.
 *
 * Pure: no AWS or CDK imports, so that the handlers and the bundled command-line tool can import it.
 */

/** The longest institute name, in UTF-16 code units: the `maxLen` of the user pool's read and write attributes. */
export const INSTITUTE_NAME_MAX_LENGTH = 256;

/** The characters of an institute name besides letters and digits, as the rule's sentences list them. */
export const INSTITUTE_NAME_PUNCTUATION = '_ . : = + - @';

/** What an institute name may hold, in words: the end of the tool's refusal. */
export const INSTITUTE_NAME_RULE = `an institute name has 1 to ${INSTITUTE_NAME_MAX_LENGTH} letters, digits, spaces and ` +
  `${INSTITUTE_NAME_PUNCTUATION} (no "/"), no space at either end, and is written in Unicode NFC`;

const ALLOWED_CHARACTER = /^[\p{L}\p{Nd} _.:=+\-@]$/u;
/** Characters shown by their code point only: invisible, white space other than U+0020, or combining. */
const INVISIBLE = /^[\p{C}\p{Z}\p{M}]$/u;

function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A character as a sentence names it: `"'" (U+0027)`, or its code point alone when it cannot be seen. */
function named(character: string): string {
  if (character === ' ') return 'a space (U+0020)';
  if (/^\p{Cf}$/u.test(character)) return `the invisible format character ${codePoint(character)}`;
  if (/^\p{Z}$/u.test(character)) return `the white-space character ${codePoint(character)} (not the ordinary space)`;
  if (/^\p{Cc}$/u.test(character)) return `the control character ${codePoint(character)}`;
  if (/^\p{M}$/u.test(character)) return `the combining mark ${codePoint(character)}`;
  if (/^\p{Cs}$/u.test(character)) return `the lone surrogate ${codePoint(character)}`;
  return `"${character}" (${codePoint(character)})`;
}

/**
 * A name as a sentence quotes it: invisible characters written as `\u{200B}`, and a long name cut
 * after 40 characters.
 */
export function quotedInstituteName(value: string): string {
  const characters = [...value];
  const shown = characters.slice(0, 40).map((character) => (INVISIBLE.test(character) && character !== ' '
    ? `\\u{${character.codePointAt(0)!.toString(16).toUpperCase()}}`
    : character)).join('');
  return `"${shown}${characters.length > 40 ? '…' : ''}"`;
}

/**
 * Why a value is not an institute name, as the rest of a sentence whose subject is the name
 * (`has "'" (U+0027) at position 9, which ...`), or `undefined` when it is one. Positions count
 * characters (code points) from 1. The handlers refuse a claim for which this is not `undefined`,
 * and the tool refuses to set such a name.
 */
export function instituteNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return 'is not a string';
  }
  if (value.length === 0) {
    return 'is empty';
  }
  if (value.length > INSTITUTE_NAME_MAX_LENGTH) {
    const characters = [...value].length;
    return `is ${value.length} characters long${characters !== value.length ? ` in UTF-16 (${characters} characters)` : ''}, ` +
      `above the ${INSTITUTE_NAME_MAX_LENGTH} that session tags, S3 object tags and the user pool attribute hold`;
  }
  const characters = [...value];
  for (const [index, character] of characters.entries()) {
    const position = index + 1;
    if (character === '/') {
      return `has "/" at position ${position}, which would put its messages' keys inside another institute's prefix`;
    }
    if (!ALLOWED_CHARACTER.test(character)) {
      return `has ${named(character)} at position ${position}, which AWS session tags and S3 object tags do not allow`;
    }
  }
  if (characters[0] === ' ') {
    return 'starts with a space, which is hard to see and makes a second spelling of the institute';
  }
  if (characters[characters.length - 1] === ' ') {
    return `ends with a space (position ${characters.length}), which is hard to see and makes a second spelling of the institute`;
  }
  const normalized = value.normalize('NFC');
  if (normalized !== value) {
    const index = characters.findIndex((character) => character.normalize('NFC') !== character);
    const where = index >= 0
      ? `has ${named(characters[index])} at position ${index + 1}, which Unicode normalization (NFC) writes as ${named(characters[index].normalize('NFC'))}`
      : 'is not written in Unicode normalization form C';
    return `${where}; write it as ${quotedInstituteName(normalized)} so that the institute has one spelling`;
  }
  return undefined;
}

/** Whether a value is an institute name (see {@link instituteNameProblem}). */
export function isInstituteName(value: unknown): value is string {
  return instituteNameProblem(value) === undefined;
}
