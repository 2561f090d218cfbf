/*
 * A hand-written HL7 v2 (ER7) parser. The npm parsers are lenient (they accept almost any text
 * and leave validation to the caller) and heavy to bundle; the ingest API needs the opposite:
 * strict validation with precise machine-readable error codes, exact unescaping of the control
 * id (it names the message and goes back to the sender in the ACK), and a small module that
 * keeps Lambda cold starts short. It makes one pass over the text with `indexOf` and cuts each
 * field out of the text once; components are only looked at for the few MSH fields it reports.
 */
import { Hl7ValidationError } from './errors';
import { Hl7Delimiters, unescapeText } from './escape';

/** One segment: `fields[n]` is HL7 field n (`fields[0]` is the segment id), raw (still escaped). */
export interface Hl7Segment {
  readonly id: string;
  /** For MSH, `fields[1]` is the field separator and `fields[2]` the encoding characters. */
  readonly fields: readonly string[];
}

/** One validated HL7 v2 message. */
/** The header fields (MSH) every stored message is described by. */
export interface Hl7Header {
  /** MSH-9 as sent, e.g. `ADT^A01^ADT_A01` (raw). */
  readonly messageType: string;
  /** MSH-9.1, e.g. `ADT` (unescaped). */
  readonly messageCode: string;
  /** MSH-9.2, e.g. `A01` (unescaped). */
  readonly triggerEvent?: string;
  /** MSH-10 (unescaped). */
  readonly controlId: string;
  /** MSH-11.1, e.g. `P` (unescaped). */
  readonly processingId: string;
  /** MSH-12.1, e.g. `2.5.1` (unescaped). */
  readonly version: string;
  /** MSH-3.1 (unescaped). */
  readonly sendingApplication?: string;
  /** MSH-4.1 (unescaped). */
  readonly sendingFacility?: string;
  /** MSH-5.1 (unescaped). */
  readonly receivingApplication?: string;
  /** MSH-6.1 (unescaped). */
  readonly receivingFacility?: string;
}

export interface Hl7Message extends Hl7Header {
  readonly delimiters: Hl7Delimiters;
  readonly segments: readonly Hl7Segment[];
  /** The message with its segments joined by `\r`. */
  readonly text: string;
}

/** The longest accepted MSH-10 (HL7 v2.7 and later allow 199 characters). */
export const MAX_CONTROL_ID_LENGTH = 199;

const CR = 13;
const LF = 10;

/**
 * Parses and validates one ER7 message. Segments may be separated by `\r`, `\n` or `\r\n`
 * (mixed); blank lines are ignored. Throws {@link Hl7ValidationError} for the first problem found.
 */
export function parseMessage(text: string): Hl7Message {
  const length = text.length;
  const segments: Hl7Segment[] = [];
  // Start and end of every segment, to join them when the separators were not single `\r`s.
  const bounds: number[] = [];
  let contiguous = true;
  // Cursors on the next `\r`, `\n` and field separator (-1: none left): each is searched for at
  // most once per occurrence, so the pass stays linear whatever the input.
  let nextCr = text.indexOf('\r');
  let nextLf = text.indexOf('\n');
  let nextField = -1;
  let delimiters: Hl7Delimiters | undefined;
  let fieldSeparator = '';
  let fieldSeparatorCode = 0;
  let header: Hl7Header | undefined;
  let position = 0;

  while (position < length) {
    if (nextCr !== -1 && nextCr < position) nextCr = text.indexOf('\r', position);
    if (nextLf !== -1 && nextLf < position) nextLf = text.indexOf('\n', position);
    const start = position;
    const end = nextCr === -1
      ? (nextLf === -1 ? length : nextLf)
      : (nextLf === -1 || nextCr < nextLf ? nextCr : nextLf);
    position = end + 1;
    if (end === start || (isBlankStart(text.charCodeAt(start)) && isBlank(text, start, end))) {
      continue;
    }
    const segmentIndex = segments.length + 1;
    let fields: string[];
    let from: number;

    if (delimiters === undefined) {
      if (!startsWithMsh(text, start, end)) {
        throw new Hl7ValidationError('MISSING_MSH_SEGMENT', isBatchHeader(text, start, end)
          ? 'The body starts with a batch or file header, not MSH: send one message per request.'
          : 'The message does not start with an MSH segment.', 1);
      }
      if (end - start < 4 || !isDelimiterCode(text.charCodeAt(start + 3))) {
        throw new Hl7ValidationError('INVALID_FIELD_SEPARATOR',
          'MSH-1 (field separator) must be one printable character that is neither a letter, a digit nor white space.', 1);
      }
      fieldSeparator = text[start + 3];
      fieldSeparatorCode = text.charCodeAt(start + 3);
      nextField = text.indexOf(fieldSeparator, start + 4);
      fields = ['MSH', fieldSeparator];
      from = start + 4;
    } else {
      if (!isSegmentId(text, start, end, fieldSeparatorCode)) {
        throw new Hl7ValidationError('INVALID_SEGMENT_ID',
          `Segment ${segmentIndex} does not start with a valid segment id (an upper-case letter and two upper-case letters or digits).`,
          segmentIndex);
      }
      if (startsWithMsh(text, start, end) || isBatchHeader(text, start, end) || isBatchTrailer(text, start, end)) {
        throw new Hl7ValidationError('INVALID_SEGMENT_ID',
          `Segment ${segmentIndex} starts another message or batch: send one message per request.`, segmentIndex);
      }
      if (start !== bounds[bounds.length - 1] + 1 || text.charCodeAt(start - 1) !== CR) {
        contiguous = false;
      }
      fields = [];
      from = start;
    }

    // Split into fields (faster than String.prototype.split on a substring of the line).
    for (;;) {
      if (nextField !== -1 && nextField < from) nextField = text.indexOf(fieldSeparator, from);
      if (nextField === -1 || nextField >= end) {
        fields.push(text.substring(from, end));
        break;
      }
      fields.push(text.substring(from, nextField));
      from = nextField + 1;
    }

    if (delimiters === undefined) {
      delimiters = readDelimiters(fields[2], fieldSeparator, fieldSeparatorCode);
      header = readHeader(fields, delimiters);
      segments.push({ id: 'MSH', fields });
    } else {
      segments.push({ id: fields[0], fields });
    }
    bounds.push(start, end);
  }

  if (delimiters === undefined || header === undefined) {
    throw new Hl7ValidationError('EMPTY_MESSAGE', 'The message is empty.');
  }
  let normalised: string;
  if (!contiguous) {
    const lines: string[] = [];
    for (let i = 0; i < bounds.length; i += 2) lines.push(text.substring(bounds[i], bounds[i + 1]));
    normalised = lines.join('\r');
  } else if (bounds[0] === 0 && bounds[bounds.length - 1] === length) {
    normalised = text;
  } else {
    normalised = text.substring(bounds[0], bounds[bounds.length - 1]);
  }
  return {
    delimiters,
    segments,
    ...header,
    text: normalised,
  };
}


function readHeader(msh: readonly string[], delimiters: Hl7Delimiters): Hl7Header {
  const messageType = msh.length > 9 ? msh[9] : '';
  const messageCode = getComponent(messageType, 1, delimiters);
  if (isBlankValue(messageCode)) {
    throw new Hl7ValidationError('MISSING_MESSAGE_TYPE', 'MSH-9 (message type) has no message code.', 1);
  }
  const controlId = unescapeText(msh.length > 10 ? msh[10] : '', delimiters);
  if (isBlankValue(controlId)) {
    throw new Hl7ValidationError('MISSING_CONTROL_ID', 'MSH-10 (message control id) is empty.', 1);
  }
  if (codePointLength(controlId) > MAX_CONTROL_ID_LENGTH) {
    throw new Hl7ValidationError('CONTROL_ID_TOO_LONG',
      `MSH-10 (message control id) is longer than ${MAX_CONTROL_ID_LENGTH} characters.`, 1);
  }
  const processingId = getComponent(msh.length > 11 ? msh[11] : '', 1, delimiters);
  if (isBlankValue(processingId)) {
    throw new Hl7ValidationError('MISSING_PROCESSING_ID', 'MSH-11 (processing id) is empty.', 1);
  }
  const version = getComponent(msh.length > 12 ? msh[12] : '', 1, delimiters);
  if (isBlankValue(version)) {
    throw new Hl7ValidationError('MISSING_VERSION', 'MSH-12 (version id) is empty.', 1);
  }
  return {
    messageType,
    messageCode,
    triggerEvent: optionalComponent(messageType, 2, delimiters),
    controlId,
    processingId,
    version,
    sendingApplication: optionalComponent(msh[3], 1, delimiters),
    sendingFacility: optionalComponent(msh[4], 1, delimiters),
    receivingApplication: optionalComponent(msh[5], 1, delimiters),
    receivingFacility: optionalComponent(msh[6], 1, delimiters),
  };
}

function readDelimiters(encoding: string, field: string, fieldCode: number): Hl7Delimiters {
  const length = encoding.length;
  let valid = length === 4 || length === 5;
  for (let i = 0; valid && i < length; i++) {
    const code = encoding.charCodeAt(i);
    valid = isDelimiterCode(code) && code !== fieldCode && encoding.indexOf(encoding[i], i + 1) === -1;
  }
  if (!valid) {
    throw new Hl7ValidationError('INVALID_ENCODING_CHARACTERS',
      'MSH-2 (encoding characters) must be 4 or 5 distinct printable characters that are neither letters, digits, white space nor the field separator.',
      1);
  }
  return length === 5
    ? { field, component: encoding[0], repetition: encoding[1], escape: encoding[2], subcomponent: encoding[3], truncation: encoding[4] }
    : { field, component: encoding[0], repetition: encoding[1], escape: encoding[2], subcomponent: encoding[3] };
}

/**
 * Returns field `n` of a segment (raw), or `''` when absent. With `component`, returns that
 * 1-based component of the field's first repetition, unescaped.
 */
export function getField(segment: Hl7Segment, n: number, component?: number, delimiters?: Hl7Delimiters): string {
  const raw = n < segment.fields.length ? segment.fields[n] : '';
  if (component === undefined || delimiters === undefined) {
    return raw;
  }
  return getComponent(raw, component, delimiters);
}

/** Component `n` (1-based) of the first repetition of a raw field, unescaped; `''` when absent. */
export function getComponent(raw: string, n: number, delimiters: Hl7Delimiters): string {
  let limit = raw.indexOf(delimiters.repetition);
  if (limit === -1) limit = raw.length;
  let start = 0;
  for (let k = 1; k < n; k++) {
    const separator = raw.indexOf(delimiters.component, start);
    if (separator === -1 || separator >= limit) {
      return '';
    }
    start = separator + 1;
  }
  let end = raw.indexOf(delimiters.component, start);
  if (end === -1 || end > limit) end = limit;
  return unescapeText(start === 0 && end === raw.length ? raw : raw.substring(start, end), delimiters);
}

function optionalComponent(raw: string | undefined, n: number, delimiters: Hl7Delimiters): string | undefined {
  if (raw === undefined || raw.length === 0) {
    return undefined;
  }
  const value = getComponent(raw, n, delimiters);
  return value.length === 0 ? undefined : value;
}

/**
 * Best effort: MSH-10 of a text that may not be a valid message (to acknowledge a rejected
 * message), unescaped; `undefined` when it cannot be found. Never throws.
 */
export function peekControlId(text: string): string | undefined {
  try {
    if (typeof text !== 'string') {
      return undefined;
    }
    let start = text.indexOf('MSH');
    while (start > 0 && !isLineStart(text.charCodeAt(start - 1))) {
      start = text.indexOf('MSH', start + 1);
    }
    if (start === -1) {
      return undefined;
    }
    const field = text.charAt(start + 3);
    if (field === '' || field === '\r' || field === '\n') {
      return undefined;
    }
    let lineEnd = start + 4;
    while (lineEnd < text.length && text.charCodeAt(lineEnd) !== CR && text.charCodeAt(lineEnd) !== LF) lineEnd++;
    // Split on the field separator counts MSH-2 as the first field: MSH-10 is the 9th one.
    let fieldStart = start + 4;
    let encoding = '';
    for (let n = 2; n < 10; n++) {
      const separator = text.indexOf(field, fieldStart);
      if (separator === -1 || separator >= lineEnd) {
        return undefined;
      }
      if (n === 2) encoding = text.substring(fieldStart, separator);
      fieldStart = separator + 1;
    }
    let fieldEnd = text.indexOf(field, fieldStart);
    if (fieldEnd === -1 || fieldEnd > lineEnd) fieldEnd = lineEnd;
    let controlId = text.substring(fieldStart, fieldEnd);
    if (encoding.length >= 4) {
      controlId = unescapeText(controlId, {
        field,
        component: encoding[0],
        repetition: encoding[1],
        escape: encoding[2],
        subcomponent: encoding[3],
        truncation: encoding.length > 4 ? encoding[4] : undefined,
      });
    }
    if (isBlankValue(controlId) || codePointLength(controlId) > MAX_CONTROL_ID_LENGTH) {
      return undefined;
    }
    return controlId;
  } catch {
    return undefined;
  }
}

/** Printable ASCII that is neither a letter nor a digit. */
function isDelimiterCode(code: number): boolean {
  return code > 32 && code < 127
    && !(code >= 48 && code <= 57) && !(code >= 65 && code <= 90) && !(code >= 97 && code <= 122);
}

function isSegmentId(text: string, start: number, end: number, fieldSeparatorCode: number): boolean {
  if (end - start < 3 || (end - start > 3 && text.charCodeAt(start + 3) !== fieldSeparatorCode)) {
    return false;
  }
  const first = text.charCodeAt(start);
  return first >= 65 && first <= 90 && isUpperOrDigit(text.charCodeAt(start + 1)) && isUpperOrDigit(text.charCodeAt(start + 2));
}

function isUpperOrDigit(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
}

function startsWithMsh(text: string, start: number, end: number): boolean {
  return end - start >= 3 && text.charCodeAt(start) === 77 && text.charCodeAt(start + 1) === 83 && text.charCodeAt(start + 2) === 72;
}

/** FHS or BHS. */
function isBatchHeader(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  return end - start >= 3 && (first === 70 || first === 66) && text.charCodeAt(start + 1) === 72 && text.charCodeAt(start + 2) === 83;
}

/** FTS or BTS. */
function isBatchTrailer(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  return end - start >= 3 && (first === 70 || first === 66) && text.charCodeAt(start + 1) === 84 && text.charCodeAt(start + 2) === 83;
}

function isBlankStart(code: number): boolean {
  return code === 32 || code === 9 || code === 11 || code === 12;
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (!isBlankStart(text.charCodeAt(i))) return false;
  }
  return true;
}

function isLineStart(previous: number): boolean {
  return previous === CR || previous === LF || previous === 11 || isBlankStart(previous);
}

function isBlankValue(value: string): boolean {
  return value.length === 0 || value.trim().length === 0;
}

function codePointLength(value: string): number {
  if (value.length <= MAX_CONTROL_ID_LENGTH) {
    return value.length;
  }
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    count++;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}
