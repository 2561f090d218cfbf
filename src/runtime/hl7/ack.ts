import { Hl7ErrorCode } from './errors';
import { DEFAULT_DELIMITERS, escapeText, Hl7Delimiters } from './escape';
import { Hl7Message } from './parse';

/** MSA-1: application accept, error or reject. */
export type AckCode = 'AA' | 'AE' | 'AR';

/**
 * Why a message was not accepted, for the ERR segment: a validation problem, or
 * `MESSAGE_ID_TOO_LONG` (its sender and control id together are too long to name it in the store).
 */
export type AckErrorCode = Hl7ErrorCode | 'MESSAGE_ID_TOO_LONG';

/** How to build an acknowledgment. */
export interface AckOptions {
  /** MSH-10 of the acknowledgment itself. */
  readonly controlId: string;
  /** MSH-7, written in UTC. */
  readonly timestamp: Date;
  /**
   * A human sentence for the sender (MSA-3 before v2.7, ERR-8 from v2.5; with `AA`, from v2.5, in an
   * ERR segment of severity I, information).
   */
  readonly text?: string;
  /** MSA-2 when the original message could not be parsed (see `peekControlId`). */
  readonly originalControlId?: string;
  /** The validation problem, to pick the HL7 error code (table 0357) and location in ERR. */
  readonly errorCode?: AckErrorCode;
}

/** HL7 table 0357 entry and, for MSH problems, the field at fault. */
interface ErrorCondition {
  readonly code: string;
  readonly name: string;
  readonly mshField?: number;
}

const REQUIRED_FIELD_MISSING = { code: '101', name: 'Required field missing' };
const SEGMENT_SEQUENCE_ERROR = { code: '100', name: 'Segment sequence error' };
const DATA_TYPE_ERROR = { code: '102', name: 'Data type error' };
const APPLICATION_INTERNAL_ERROR: ErrorCondition = { code: '207', name: 'Application internal error' };
const MESSAGE_ACCEPTED: ErrorCondition = { code: '0', name: 'Message accepted' };

const ERROR_CONDITIONS: Record<AckErrorCode, ErrorCondition> = {
  EMPTY_MESSAGE: SEGMENT_SEQUENCE_ERROR,
  MISSING_MSH_SEGMENT: SEGMENT_SEQUENCE_ERROR,
  INVALID_SEGMENT_ID: SEGMENT_SEQUENCE_ERROR,
  INVALID_BODY_ENCODING: DATA_TYPE_ERROR,
  INVALID_FIELD_SEPARATOR: { ...DATA_TYPE_ERROR, mshField: 1 },
  INVALID_ENCODING_CHARACTERS: { ...DATA_TYPE_ERROR, mshField: 2 },
  MISSING_MESSAGE_TYPE: { ...REQUIRED_FIELD_MISSING, mshField: 9 },
  MISSING_CONTROL_ID: { ...REQUIRED_FIELD_MISSING, mshField: 10 },
  CONTROL_ID_TOO_LONG: { ...DATA_TYPE_ERROR, mshField: 10 },
  MISSING_PROCESSING_ID: { ...REQUIRED_FIELD_MISSING, mshField: 11 },
  MISSING_VERSION: { ...REQUIRED_FIELD_MISSING, mshField: 12 },
  MESSAGE_ID_TOO_LONG: DATA_TYPE_ERROR,
};

/**
 * Builds an HL7 v2 acknowledgment (ER7, segments joined by `\r`) for `original`, or for a body
 * that could not be parsed when `original` is undefined.
 *
 * MSH swaps sender and receiver of the original and copies its delimiters, MSH-11 and MSH-12
 * (else `|^~\&`, `P` and `2.5.1`); MSA-2 is the original control id. AE and AR add an ERR
 * segment in the layout of the message's version (ERR-1 before v2.5, ERR-3/4/8 from v2.5).
 */
export function buildAck(original: Hl7Message | undefined, code: AckCode, options: AckOptions): string {
  const delimiters: Hl7Delimiters = original?.delimiters ?? DEFAULT_DELIMITERS;
  const f = delimiters.field;
  const c = delimiters.component;
  const version = original?.version ?? '2.5.1';
  const [major, minor] = versionNumbers(version);
  const msh = original?.segments[0].fields;
  const trigger = original?.triggerEvent;
  const encoding = msh?.[2] ?? c + delimiters.repetition + delimiters.escape + delimiters.subcomponent;

  const header = [
    'MSH', encoding,
    field(msh, 5), field(msh, 6), field(msh, 3), field(msh, 4),
    formatTimestamp(options.timestamp, isDelimiter('+', delimiters)), '',
    trigger === undefined ? 'ACK' : `ACK${c}${escapeText(trigger, delimiters)}${c}ACK`,
    escapeText(options.controlId, delimiters),
    escapeText(original?.processingId ?? 'P', delimiters),
    escapeText(version, delimiters),
  ].join(f);

  const msa = ['MSA', code, escapeText(original?.controlId ?? options.originalControlId ?? '', delimiters)];
  // MSA-3 was deprecated in v2.4 and withdrawn in v2.7, where ERR-8 carries the text.
  if (options.text !== undefined && (major < 2 || (major === 2 && minor < 7))) {
    msa.push(escapeText(options.text, delimiters));
  }
  const segments = [header, msa.join(f)];
  const legacy = major === 2 && minor < 5;
  if (code !== 'AA') {
    segments.push(errSegment(options, delimiters, legacy));
  } else if (options.text !== undefined && !legacy) {
    segments.push(errSegment(options, delimiters, false, MESSAGE_ACCEPTED, 'I'));
  }
  return segments.join('\r');
}

function errSegment(
  options: AckOptions,
  delimiters: Hl7Delimiters,
  legacy: boolean,
  accepted?: ErrorCondition,
  severity: 'E' | 'I' = 'E',
): string {
  const f = delimiters.field;
  const c = delimiters.component;
  const condition = accepted
    ?? (options.errorCode === undefined ? APPLICATION_INTERNAL_ERROR : ERROR_CONDITIONS[options.errorCode]);
  const location = condition.mshField === undefined ? '' : `MSH${c}1${c}${condition.mshField}`;
  if (legacy) {
    // ERR-1 (ELD): segment^sequence^field^code, the code (CE) written with sub-components.
    const s = delimiters.subcomponent;
    const error = `${condition.code}${s}${condition.name}${s}HL70357`;
    return `ERR${f}${location === '' ? `${c}${c}${c}${error}` : `${location}${c}${error}`}`;
  }
  // ERR-2 location, ERR-3 HL7 error code (CWE), ERR-4 severity (E = error, I = information), ERR-8 user message.
  const parts = ['ERR', '', location, `${condition.code}${c}${condition.name}${c}HL70357`, severity];
  if (options.text !== undefined) {
    parts.push('', '', '', escapeText(options.text, delimiters));
  }
  return parts.join(f);
}

function field(fields: readonly string[] | undefined, n: number): string {
  return fields !== undefined && n < fields.length ? fields[n] : '';
}

/** `[major, minor]` of a version id such as `2.5.1`; an unreadable major counts as 2, an unreadable minor as the newest. */
function versionNumbers(version: string): [number, number] {
  const dot = version.indexOf('.');
  const major = parseInt(dot === -1 ? version : version.substring(0, dot), 10);
  const minor = dot === -1 ? NaN : parseInt(version.substring(dot + 1), 10);
  return [Number.isNaN(major) ? 2 : major, Number.isNaN(minor) ? 99 : minor];
}

function isDelimiter(character: string, delimiters: Hl7Delimiters): boolean {
  return character === delimiters.field || character === delimiters.component || character === delimiters.repetition
    || character === delimiters.escape || character === delimiters.subcomponent || character === delimiters.truncation;
}

/** HL7 DTM in UTC: `YYYYMMDDHHMMSS+0000`, without the offset when `+` is one of the delimiters. */
export function formatTimestamp(date: Date, withoutOffset = false): string {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError('The acknowledgment timestamp is not a valid date.');
  }
  return String(date.getUTCFullYear()).padStart(4, '0')
    + pad2(date.getUTCMonth() + 1) + pad2(date.getUTCDate())
    + pad2(date.getUTCHours()) + pad2(date.getUTCMinutes()) + pad2(date.getUTCSeconds())
    + (withoutOffset ? '' : '+0000');
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
