/**
 * Where a message lives in the data bucket.
 *
 * HL7 only asks control ids (MSH-10) to be unique per sending system, and an institute runs several
 * (admissions, laboratory, pharmacy) with their own counters. So a message is named by its sender
 * and its control id together: only the same control id from the same sender is the same message.
 *
 * A message is stored under `<institute>/<messageId>`. The message id is the base64url form
 * (RFC 4648 section 5, no padding) of the UTF-8 bytes of
 *
 *     <MSH-3>|<MSH-4>|<MSH-10>
 *
 * where MSH-3 (sending application) and MSH-4 (sending facility) are the whole fields as sent (every
 * component), written with the standard delimiters `|^~\&` (see `normalizeField`), and MSH-10 is the
 * control id escaped for those delimiters; a `|` inside any part is therefore escaped (`\F\`), so the
 * three parts always split apart again. The id is deterministic (a resent message lands on the same
 * key and is refused as a duplicate, atomically, by S3), opaque to callers, and never contains `/`,
 * so no header field can move a message out of its institute's prefix, the only prefix the caller's
 * credentials may write to. The key must fit S3's 1,024 bytes; the ingest handler refuses a message
 * whose key would not.
 *
 * Pure: no AWS imports.
 */
import { DEFAULT_DELIMITERS, escapeText, Hl7Message, MAX_CONTROL_ID_LENGTH, normalizeField, unescapeText } from './hl7';

/** Longest S3 object key, in UTF-8 bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;

/**
 * Longest message id, in characters: an S3 key of 1,024 bytes less the shortest institute prefix
 * (one character and `/`). A longer id can never have been stored.
 */
export const MAX_MESSAGE_ID_LENGTH = MAX_OBJECT_KEY_BYTES - 2;

/** The sending system of a message: MSH-3 and MSH-4, each normalized with `normalizeField`. */
export interface MessageSender {
  /** MSH-3 (sending application), normalized; `''` when empty. */
  readonly application: string;
  /** MSH-4 (sending facility), normalized; `''` when empty. */
  readonly facility: string;
}

/** What a message id names: the sender and the control id. */
export interface MessageIdParts extends MessageSender {
  /** MSH-10, unescaped. */
  readonly controlId: string;
}

/** A message that names no sending application and no sending facility. */
export const UNNAMED_SENDER: MessageSender = Object.freeze({ application: '', facility: '' });

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const PART_SEPARATOR = DEFAULT_DELIMITERS.field;

/** The sender of a parsed message (MSH-3 and MSH-4 as sent, normalized). */
export function senderOf(message: Hl7Message): MessageSender {
  const msh = message.segments[0].fields;
  return {
    application: normalizeField(msh.length > 3 ? msh[3] : '', message.delimiters),
    facility: normalizeField(msh.length > 4 ? msh[4] : '', message.delimiters),
  };
}

/**
 * The message id of a control id from a sender: base64url (no padding) of the UTF-8 bytes of
 * `<MSH-3>|<MSH-4>|<escaped MSH-10>`.
 */
export function messageIdFor(controlId: string, sender: MessageSender = UNNAMED_SENDER): string {
  const text = [sender.application, sender.facility, escapeText(controlId, DEFAULT_DELIMITERS)].join(PART_SEPARATOR);
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The message id of a parsed message. */
export function messageIdOf(message: Hl7Message): string {
  return messageIdFor(message.controlId, senderOf(message));
}

/** The object key of a message: `<institute>/<messageId>`. */
export function messageKey(institute: string, messageId: string): string {
  return `${institute}/${messageId}`;
}

/** Whether a key is short enough for S3 (a long institute, sender and control id may not be). */
export function fitsObjectKey(key: string): boolean {
  return Buffer.byteLength(key, 'utf8') <= MAX_OBJECT_KEY_BYTES;
}

function codePoints(value: string): number {
  return [...value].length;
}

/**
 * The sender and control id a message id names, or `undefined` when `id` is not a message id this
 * library could have produced: canonical unpadded base64url of well-formed UTF-8, at most
 * {@link MAX_MESSAGE_ID_LENGTH} characters, three parts of which the first two are normalized
 * fields and the last a non-blank control id the parser accepts. Anything else (`../`, padding,
 * white space, unicode, over-long ids, ids of another layout) is rejected before any AWS call.
 */
export function messageIdParts(id: unknown): MessageIdParts | undefined {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_MESSAGE_ID_LENGTH || !BASE64URL.test(id)) {
    return undefined;
  }
  const parts = Buffer.from(id, 'base64url').toString('utf8').split(PART_SEPARATOR);
  if (parts.length !== 3) {
    return undefined;
  }
  const [application, facility, escapedControlId] = parts;
  const controlId = unescapeText(escapedControlId, DEFAULT_DELIMITERS);
  if (controlId.trim().length === 0 || codePoints(controlId) > MAX_CONTROL_ID_LENGTH) {
    return undefined;
  }
  if (normalizeField(application, DEFAULT_DELIMITERS) !== application || normalizeField(facility, DEFAULT_DELIMITERS) !== facility) {
    return undefined;
  }
  // Encoding the parts again must give the very same id: this refuses non-canonical base64
  // (a length of 4n+1, stray low bits), bytes that are not UTF-8 and non-canonical escapes.
  return messageIdFor(controlId, { application, facility }) === id ? { application, facility, controlId } : undefined;
}

/** Whether `id` is a message id this library could have produced (see {@link messageIdParts}). */
export function isValidMessageId(id: unknown): id is string {
  return messageIdParts(id) !== undefined;
}
