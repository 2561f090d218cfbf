/**
 * Where a message lives in the data bucket.
 *
 * A message is stored under `<institute>/<messageId>`, where the message id is the base64url form
 * (RFC 4648 section 5, no padding) of the UTF-8 bytes of its HL7 control id (MSH-10). The id is
 * therefore deterministic (a resent message lands on the same key and is rejected as a duplicate)
 * and can never contain `/`, so no control id can move a message out of its institute's prefix,
 * the only prefix the caller's credentials may write to.
 *
 * Pure: no AWS imports.
 */

/**
 * Longest message id accepted, in characters: the base64url form of the longest control id the
 * HL7 parser accepts (199 characters, HL7 v2.7+), each up to 4 bytes in UTF-8 (796 bytes).
 */
export const MAX_MESSAGE_ID_LENGTH = 1062;

/** Longest S3 object key, in UTF-8 bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The message id of a control id: base64url (no padding) of its UTF-8 bytes. */
export function messageIdFor(controlId: string): string {
  return Buffer.from(controlId, 'utf8').toString('base64url');
}

/** The object key of a message: `<institute>/<messageId>`. */
export function messageKey(institute: string, messageId: string): string {
  return `${institute}/${messageId}`;
}

/** Whether a key is short enough for S3 (a long institute plus a long control id may not be). */
export function fitsObjectKey(key: string): boolean {
  return Buffer.byteLength(key, 'utf8') <= MAX_OBJECT_KEY_BYTES;
}

/**
 * Whether `id` is a message id this library could have produced: canonical unpadded base64url of
 * a non-empty, well-formed UTF-8 control id, at most {@link MAX_MESSAGE_ID_LENGTH} characters.
 * Anything else (`../`, padding, whitespace, unicode, over-long ids) is rejected before any AWS call.
 */
export function isValidMessageId(id: unknown): id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_MESSAGE_ID_LENGTH) {
    return false;
  }
  if (!BASE64URL.test(id)) {
    return false;
  }
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.length === 0 || bytes.toString('base64url') !== id) {
    return false; // not canonical (e.g. a length of 4n+1 or stray low bits)
  }
  // The bytes must be valid UTF-8, so that the id round-trips through a control id.
  return messageIdFor(bytes.toString('utf8')) === id;
}

/** The control id a message id was derived from (the inverse of {@link messageIdFor}). */
export function controlIdOf(messageId: string): string {
  return Buffer.from(messageId, 'base64url').toString('utf8');
}
