/** The delimiters a message declares in MSH-1 and MSH-2. */
export interface Hl7Delimiters {
  /** MSH-1, usually `|`. */
  readonly field: string;
  /** MSH-2.1, usually `^`. */
  readonly component: string;
  /** MSH-2.2, usually `~`. */
  readonly repetition: string;
  /** MSH-2.3, usually `\`. */
  readonly escape: string;
  /** MSH-2.4, usually `&`. */
  readonly subcomponent: string;
  /** MSH-2.5 (HL7 v2.7 and later, optional), usually `#`. */
  readonly truncation?: string;
}

/** The delimiters HL7 recommends: `|^~\&`. */
export const DEFAULT_DELIMITERS: Hl7Delimiters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

const CR = 13;
const LF = 10;

/**
 * Decodes HL7 escape sequences: `\F\ \S\ \T\ \R\ \E\`, `\P\` (when the message declares a
 * truncation character) and `\Xhh..\` when every byte is ASCII. Any other sequence (formatting
 * such as `\.br\`, highlighting, character sets) and an unterminated escape are kept as they are.
 */
export function unescapeText(value: string, delimiters: Hl7Delimiters): string {
  const escape = delimiters.escape;
  let open = value.indexOf(escape);
  if (open === -1) {
    return value;
  }
  let out = '';
  let copied = 0;
  while (open !== -1) {
    const close = value.indexOf(escape, open + 1);
    if (close === -1) {
      break;
    }
    if (close === open + 1) {
      // An empty sequence: the first escape is a stray literal, the second may open a sequence.
      open = close;
      continue;
    }
    const decoded = decodeSequence(value, open + 1, close, delimiters);
    if (decoded !== undefined) {
      out += value.substring(copied, open) + decoded;
      copied = close + 1;
      open = value.indexOf(escape, copied);
    } else {
      open = value.indexOf(escape, close + 1);
    }
  }
  return copied === 0 ? value : out + value.substring(copied);
}

function decodeSequence(value: string, start: number, end: number, delimiters: Hl7Delimiters): string | undefined {
  if (end - start === 1) {
    switch (value.charCodeAt(start)) {
      case 70: return delimiters.field; // F
      case 83: return delimiters.component; // S
      case 84: return delimiters.subcomponent; // T
      case 82: return delimiters.repetition; // R
      case 69: return delimiters.escape; // E
      case 80: return delimiters.truncation; // P
      default: return undefined;
    }
  }
  if (value.charCodeAt(start) !== 88 /* X */ || (end - start - 1) % 2 !== 0) {
    return undefined;
  }
  let decoded = '';
  for (let i = start + 1; i < end; i += 2) {
    const byte = hexValue(value.charCodeAt(i)) * 16 + hexValue(value.charCodeAt(i + 1));
    // Non-ASCII bytes depend on the message's character set (MSH-18): keep the sequence as sent.
    if (!(byte >= 0 && byte < 0x80)) {
      return undefined;
    }
    decoded += String.fromCharCode(byte);
  }
  return decoded;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1000;
}

/**
 * Escapes text for use as one HL7 field value: every delimiter becomes its escape sequence and
 * line breaks become `\X0D\` / `\X0A\`, so that `unescapeText(escapeText(s)) === s` for any `s`.
 */
export function escapeText(value: string, delimiters: Hl7Delimiters): string {
  const field = delimiters.field.charCodeAt(0);
  const component = delimiters.component.charCodeAt(0);
  const repetition = delimiters.repetition.charCodeAt(0);
  const escape = delimiters.escape.charCodeAt(0);
  const subcomponent = delimiters.subcomponent.charCodeAt(0);
  const truncation = delimiters.truncation === undefined ? -1 : delimiters.truncation.charCodeAt(0);
  const e = delimiters.escape;
  let out = '';
  let copied = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let sequence: string;
    if (c === field) sequence = 'F';
    else if (c === component) sequence = 'S';
    else if (c === repetition) sequence = 'R';
    else if (c === escape) sequence = 'E';
    else if (c === subcomponent) sequence = 'T';
    else if (c === truncation) sequence = 'P';
    else if (c === CR) sequence = 'X0D';
    else if (c === LF) sequence = 'X0A';
    else continue;
    out += value.substring(copied, i) + e + sequence + e;
    copied = i + 1;
  }
  return copied === 0 ? value : out + value.substring(copied);
}

/** Drops the empty parts at the end of a list (HL7 treats `A^^` as `A`). */
function withoutTrailingEmpties(parts: string[]): string[] {
  let end = parts.length;
  while (end > 0 && parts[end - 1].length === 0) end--;
  return end === parts.length ? parts : parts.slice(0, end);
}

/**
 * A raw field written again with the standard delimiters `|^~\&`: its repetitions, components and
 * sub-components are split with the message's own delimiters, each value's escape sequences are
 * decoded and the value is escaped again for the standard delimiters, and empty parts at the end of
 * each level are dropped. So one value gives one text whatever delimiters and equivalent escape
 * sequences the message used, while different structures (`A&B` as two sub-components versus
 * `A\T\B` as one value holding `&`) stay different. Normalizing a normalized field with the standard
 * delimiters changes nothing.
 */
export function normalizeField(raw: string, delimiters: Hl7Delimiters): string {
  return withoutTrailingEmpties(raw.split(delimiters.repetition).map((repetition) =>
    withoutTrailingEmpties(repetition.split(delimiters.component).map((component) =>
      withoutTrailingEmpties(component.split(delimiters.subcomponent).map((value) =>
        escapeText(unescapeText(value, delimiters), DEFAULT_DELIMITERS),
      )).join(DEFAULT_DELIMITERS.subcomponent),
    )).join(DEFAULT_DELIMITERS.component),
  )).join(DEFAULT_DELIMITERS.repetition);
}
