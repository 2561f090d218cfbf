import { TextDecoder } from 'util';
import { Hl7ValidationError } from './errors';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE = /\s/;
const WHITESPACE_RUNS = /\s+/g;
const SURROGATE = /[\uD800-\uDFFF]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes an HTTP body as API Gateway delivers it: base64 when `isBase64Encoded`, else as is.
 * Strips MLLP framing (0x0B before, 0x1C 0x0D after) and surrounding white space.
 * Throws {@link Hl7ValidationError} `INVALID_BODY_ENCODING` for invalid base64 or UTF-8, and
 * `EMPTY_MESSAGE` when nothing is left.
 */
export function decodeBody(body: string | undefined | null, isBase64Encoded: boolean): string {
  if (typeof body !== 'string' || body.length === 0) {
    throw new Hl7ValidationError('EMPTY_MESSAGE', 'The request body is empty.');
  }
  let text: string;
  if (isBase64Encoded) {
    text = decodeBase64Utf8(body);
  } else {
    if (SURROGATE.test(body) && !isWellFormedUtf16(body)) {
      throw new Hl7ValidationError('INVALID_BODY_ENCODING', 'The request body is not valid UTF-8 text.');
    }
    text = body;
  }
  let start = 0;
  let end = text.length;
  while (start < end && isFraming(text.charCodeAt(start))) start++;
  while (end > start && isFraming(text.charCodeAt(end - 1))) end--;
  if (start === end) {
    throw new Hl7ValidationError('EMPTY_MESSAGE', 'The request body holds no message.');
  }
  return start === 0 && end === text.length ? text : text.substring(start, end);
}

function decodeBase64Utf8(body: string): string {
  const compact = WHITESPACE.test(body) ? body.replace(WHITESPACE_RUNS, '') : body;
  const padded = compact.charCodeAt(compact.length - 1) === 61; // '='
  if (!BASE64.test(compact) || compact.length % 4 === 1 || (padded && compact.length % 4 !== 0)) {
    throw new Hl7ValidationError('INVALID_BODY_ENCODING', 'The request body is not valid base64.');
  }
  try {
    return utf8.decode(Buffer.from(compact, 'base64'));
  } catch {
    throw new Hl7ValidationError('INVALID_BODY_ENCODING', 'The request body is not valid UTF-8 text.');
  }
}

/** White space (including a byte order mark) and the MLLP start and end blocks. */
function isFraming(code: number): boolean {
  return code <= 32 ? (code >= 9 && code <= 13) || code === 32 || code === 0x1c : code === 0xfeff || code === 0xa0 || code === 0x85;
}

function isWellFormedUtf16(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return false;
    }
  }
  return true;
}
