import { decodeBody, Hl7ValidationError } from '../../../src/runtime/hl7';

const MESSAGE = 'MSH|^~\\&|LABSYS|RIVERSIDE_LAB|DATALAKE|RIVERSIDE_HIE|20240613071544||ORU^R01^ORU_R01|LAB-1|P|2.5.1\rPID|1||100234567^^^NORTHGATE^MR||MÜLLER^JÖRG';

function base64(value: string | Buffer): string {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64');
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(Hl7ValidationError);
    return (error as Hl7ValidationError).code;
  }
  return 'no error';
}

describe('decodeBody', () => {
  test('GIVEN a raw body WHEN decoded THEN it is returned as is', () => {
    expect(decodeBody(MESSAGE, false)).toBe(MESSAGE);
  });

  test('GIVEN a base64 body WHEN decoded THEN the UTF-8 text is returned', () => {
    expect(decodeBody(base64(MESSAGE), true)).toBe(MESSAGE);
  });

  test('GIVEN base64 with MIME line breaks WHEN decoded THEN the breaks are ignored', () => {
    const wrapped = base64(MESSAGE).replace(/(.{76})/g, '$1\r\n');

    expect(decodeBody(wrapped, true)).toBe(MESSAGE);
  });

  test.each([
    ['MLLP framed', `\x0b${MESSAGE}\x1c\r`],
    ['MLLP framed without the final CR', `\x0b${MESSAGE}\x1c`],
    ['surrounded by blank lines', `\r\n\r\n${MESSAGE}\r\n\n`],
    ['surrounded by spaces and tabs', ` \t${MESSAGE}\t `],
    ['preceded by a byte order mark', `\uFEFF${MESSAGE}`],
  ])('GIVEN a body %s WHEN decoded raw or from base64 THEN only the message is left', (_, body) => {
    expect(decodeBody(body, false)).toBe(MESSAGE);
    expect(decodeBody(base64(body), true)).toBe(MESSAGE);
  });

  test.each([
    ['characters outside the alphabet', '@@@'],
    ['a length that no encoding produces', 'QUJDR'],
    ['padding in the middle', 'QQ==QUJD'],
    ['padding on an unpadded length', 'QUJD='],
    ['URL-safe characters', 'TVNI-_8'],
  ])('GIVEN base64 with %s WHEN decoded THEN INVALID_BODY_ENCODING', (_, body) => {
    expect(codeOf(() => decodeBody(body, true))).toBe('INVALID_BODY_ENCODING');
  });

  test.each([
    ['a lone continuation byte', [0x4d, 0x53, 0x48, 0x80]],
    ['a truncated two-byte sequence', [0x4d, 0xc3, 0x28]],
    ['an overlong encoding', [0x4d, 0xc0, 0xaf]],
    ['an encoded surrogate', [0x4d, 0xed, 0xa0, 0x80]],
    ['the byte 0xFF', [0x4d, 0xff]],
    ['ISO-8859-1 text', [...Buffer.from('MSH|^~\\&|PAS\rPID|1||M', 'latin1'), 0xfc, 0x4c, 0x4c, 0x45, 0x52]],
  ])('GIVEN base64 of bytes with %s WHEN decoded THEN INVALID_BODY_ENCODING', (_, bytes) => {
    expect(codeOf(() => decodeBody(base64(Buffer.from(bytes)), true))).toBe('INVALID_BODY_ENCODING');
  });

  test('GIVEN a raw body with a lone surrogate WHEN decoded THEN INVALID_BODY_ENCODING', () => {
    expect(codeOf(() => decodeBody(`${MESSAGE}\uD800`, false))).toBe('INVALID_BODY_ENCODING');
    expect(codeOf(() => decodeBody(`${MESSAGE}\uDC00x`, false))).toBe('INVALID_BODY_ENCODING');
  });

  test('GIVEN a raw body with a surrogate pair WHEN decoded THEN it is kept', () => {
    expect(decodeBody(`${MESSAGE}\u{1F600}`, false)).toBe(`${MESSAGE}\u{1F600}`);
  });

  test.each([
    ['undefined', undefined, false],
    ['null', null, false],
    ['an empty string', '', false],
    ['an empty base64 string', '', true],
    ['only blank lines', '\r\n\r\n  \n', false],
    ['an empty MLLP frame', '\x0b\x1c\r', false],
    ['base64 of spaces', base64('   '), true],
    ['base64 of an empty MLLP frame', base64('\x0b\r\n\x1c\r'), true],
  ])('GIVEN %s WHEN decoded THEN EMPTY_MESSAGE', (_, body, isBase64Encoded) => {
    expect(codeOf(() => decodeBody(body, isBase64Encoded))).toBe('EMPTY_MESSAGE');
  });

  test('GIVEN an invalid body WHEN decoding fails THEN the message is a sentence without the body', () => {
    let message = '';
    try {
      decodeBody(base64(Buffer.from([0x53, 0x45, 0x43, 0x52, 0x45, 0x54, 0xff])), true);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('The request body is not valid UTF-8 text.');
  });
});
