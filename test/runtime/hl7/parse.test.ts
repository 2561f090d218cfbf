import {
  DEFAULT_DELIMITERS, escapeText, getComponent, getField, Hl7Delimiters, Hl7ValidationError, parseMessage, peekControlId, unescapeText,
} from '../../../src/runtime/hl7';

/** A valid MSH with the given MSH-9..12 (raw). */
function msh(type = 'ADT^A01^ADT_A01', controlId = 'CTRL-1', processingId = 'P', version = '2.5.1', encoding = '^~\\&'): string {
  return `MSH|${encoding}|SENDAPP^1.2.3^ISO|SENDFAC|RECVAPP|RECVFAC|20240611083015||${type}|${controlId}|${processingId}|${version}`;
}

const PID = 'PID|1||100234567^^^NORTHGATE^MR~8844120913^^^NHS^NH||HARTLEY^ELEANOR^MAY||19580214|F';
const PV1 = 'PV1|1|I|WARD7^B12^1^NORTHGATE';

function failure(text: string): Hl7ValidationError {
  try {
    parseMessage(text);
  } catch (error) {
    expect(error).toBeInstanceOf(Hl7ValidationError);
    return error as Hl7ValidationError;
  }
  throw new Error('expected an Hl7ValidationError, but the message parsed');
}

const TRUNCATING: Hl7Delimiters = { ...DEFAULT_DELIMITERS, truncation: '#' };

describe('parseMessage: segments and fields', () => {
  test('GIVEN a message WHEN parsed THEN field indexes equal HL7 field numbers, MSH included', () => {
    const message = parseMessage([msh(), PID].join('\r'));

    const [header, pid] = message.segments;
    expect(header.id).toBe('MSH');
    expect(header.fields.slice(0, 4)).toEqual(['MSH', '|', '^~\\&', 'SENDAPP^1.2.3^ISO']);
    expect(header.fields[9]).toBe('ADT^A01^ADT_A01');
    expect(header.fields[10]).toBe('CTRL-1');
    expect(header.fields[12]).toBe('2.5.1');
    expect(pid).toEqual({ id: 'PID', fields: PID.split('|') });
    expect(message.delimiters).toEqual(DEFAULT_DELIMITERS);
  });

  test('GIVEN a message WHEN parsed THEN the MSH fields it reports are read from their first component', () => {
    const message = parseMessage(msh('ADT^A01^ADT_A01', 'CTRL-1', 'P^T', '2.5.1^GBR'));

    expect(message).toMatchObject({
      messageType: 'ADT^A01^ADT_A01',
      messageCode: 'ADT',
      triggerEvent: 'A01',
      controlId: 'CTRL-1',
      processingId: 'P',
      version: '2.5.1',
      sendingApplication: 'SENDAPP',
      sendingFacility: 'SENDFAC',
      receivingApplication: 'RECVAPP',
      receivingFacility: 'RECVFAC',
    });
  });

  test('GIVEN a message without optional MSH fields WHEN parsed THEN they are undefined', () => {
    const message = parseMessage('MSH|^~\\&|||||||ACK|C1|P|2.5');

    expect(message.triggerEvent).toBeUndefined();
    expect(message.sendingApplication).toBeUndefined();
    expect(message.sendingFacility).toBeUndefined();
    expect(message.receivingApplication).toBeUndefined();
    expect(message.receivingFacility).toBeUndefined();
  });

  test('GIVEN a segment with only its id WHEN parsed THEN it has one field', () => {
    expect(parseMessage([msh(), 'ZZ1'].join('\r')).segments[1]).toEqual({ id: 'ZZ1', fields: ['ZZ1'] });
  });

  test('GIVEN getField and getComponent WHEN reading fields THEN raw fields and unescaped components come back', () => {
    const message = parseMessage([msh(), 'NTE|1||Ward 7\\T\\8^second~repeat|x'].join('\r'));
    const nte = message.segments[1];

    expect(getField(nte, 3)).toBe('Ward 7\\T\\8^second~repeat');
    expect(getField(nte, 3, 1, message.delimiters)).toBe('Ward 7&8');
    expect(getField(nte, 3, 2, message.delimiters)).toBe('second');
    expect(getField(nte, 3, 3, message.delimiters)).toBe('');
    expect(getField(nte, 99)).toBe('');
    expect(getComponent('a^b~c^d', 2, DEFAULT_DELIMITERS)).toBe('b');
    expect(getComponent('a~c^d', 2, DEFAULT_DELIMITERS)).toBe('');
  });
});

describe('parseMessage: separators and normalisation', () => {
  const segments = [msh(), PID, PV1];
  const normalised = segments.join('\r');

  test.each([
    ['\\r', segments.join('\r')],
    ['\\n', segments.join('\n')],
    ['\\r\\n', segments.join('\r\n')],
    ['mixed', `${segments[0]}\r\n${segments[1]}\n${segments[2]}`],
    ['blank lines', `\r\n${segments[0]}\r\n\r\n${segments[1]}\n\n  \t\n${segments[2]}\r\n\r\n`],
    ['a trailing \\r', `${normalised}\r`],
  ])('GIVEN segments separated by %s WHEN parsed THEN the text is joined by \\r alone', (_, text) => {
    const message = parseMessage(text);

    expect(message.text).toBe(normalised);
    expect(message.segments.map(segment => segment.id)).toEqual(['MSH', 'PID', 'PV1']);
    expect(message.segments[1].fields).toEqual(PID.split('|'));
  });

  test('GIVEN text already normalised WHEN parsed THEN the same string is reused', () => {
    expect(parseMessage(normalised).text).toBe(normalised);
  });
});

describe('parseMessage: escaping', () => {
  test('GIVEN a control id with every escape sequence WHEN parsed THEN it is unescaped exactly', () => {
    const message = parseMessage(msh(undefined, 'A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F'));

    expect(message.controlId).toBe('A|B^C&D~E\\F');
    expect(message.segments[0].fields[10]).toBe('A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F');
  });

  test('GIVEN custom delimiters WHEN parsed THEN escapes use the declared escape character', () => {
    const message = parseMessage('MSH*@!$%*APP*FAC*****ADT@A04*ID$F$1$S$2$E$3*P*2.5\rPID*1**X@@@Y!Z');

    expect(message.delimiters).toEqual({ field: '*', component: '@', repetition: '!', escape: '$', subcomponent: '%' });
    expect(message.controlId).toBe('ID*1@2$3');
    expect(message.messageCode).toBe('ADT');
    expect(message.segments[1].fields).toEqual(['PID', '1', '', 'X@@@Y!Z']);
  });

  test.each([
    ['\\F\\', '|'], ['\\S\\', '^'], ['\\T\\', '&'], ['\\R\\', '~'], ['\\E\\', '\\'],
    ['\\X0D0A\\', '\r\n'], ['\\X41\\', 'A'], ['\\X6a\\', 'j'], ['\\x41\\', '\\x41\\'],
    ['\\XC3A9\\', '\\XC3A9\\'], ['\\X4\\', '\\X4\\'], ['\\XZZ\\', '\\XZZ\\'],
    ['\\H\\bold\\N\\', '\\H\\bold\\N\\'], ['line\\.br\\next', 'line\\.br\\next'],
    ['\\P\\', '\\P\\'], ['unterminated \\F', 'unterminated \\F'], ['\\\\F\\', '\\|'], ['a\\', 'a\\'],
  ])('GIVEN %j WHEN unescaped without a truncation character THEN it reads %j', (raw, expected) => {
    expect(unescapeText(raw, DEFAULT_DELIMITERS)).toBe(expected);
  });

  test('GIVEN a truncation character WHEN unescaping \\P\\ THEN it becomes that character', () => {
    expect(unescapeText('grade A \\P\\ LA', TRUNCATING)).toBe('grade A # LA');
  });

  test('GIVEN text with every delimiter and line breaks WHEN escaped THEN it is safe in one field and unescapes back', () => {
    const text = 'a|b^c~d\\e&f#g\rh\ni';

    const escaped = escapeText(text, TRUNCATING);

    expect(escaped).toBe('a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\P\\g\\X0D\\h\\X0A\\i');
    expect(unescapeText(escaped, TRUNCATING)).toBe(text);
    expect(escapeText('plain', DEFAULT_DELIMITERS)).toBe('plain');
    expect(escapeText('#', DEFAULT_DELIMITERS)).toBe('#');
  });
});

describe('parseMessage: truncation character (v2.7+)', () => {
  test('GIVEN MSH-2 with five characters WHEN parsed THEN the fifth is the truncation character', () => {
    const message = parseMessage([msh(undefined, 'T\\P\\1', 'P', '2.7', '^~\\&#'), 'OBX|1|TX|||text cut he#'].join('\r'));

    expect(message.delimiters.truncation).toBe('#');
    expect(message.controlId).toBe('T#1');
    expect(message.segments[0].fields[2]).toBe('^~\\&#');
    expect(message.segments[1].fields[5]).toBe('text cut he#');
  });

  test('GIVEN MSH-2 with four characters WHEN parsed THEN there is no truncation character', () => {
    const message = parseMessage(msh(undefined, 'T\\P\\1'));

    expect(message.delimiters.truncation).toBeUndefined();
    expect(message.controlId).toBe('T\\P\\1');
  });
});

describe('parseMessage: validation', () => {
  test.each([
    ['no text', ''],
    ['only blank lines', '\r\n\r\n'],
    ['only spaces and tabs', '  \t \n\t'],
  ])('GIVEN %s WHEN parsed THEN EMPTY_MESSAGE', (_, text) => {
    expect(failure(text).code).toBe('EMPTY_MESSAGE');
  });

  test.each([
    ['PID first', `${PID}\r${msh()}`],
    ['lower-case msh', msh().toLowerCase()],
    ['MSX', msh().replace('MSH', 'MSX')],
    ['MLLP framing left on', `\x0b${msh()}\x1c\r`],
    ['leading spaces', `  ${msh()}`],
    ['a short first line', 'MS'],
    ['a batch header', `BHS|^~\\&|APP\r${msh()}`],
  ])('GIVEN %s WHEN parsed THEN MISSING_MSH_SEGMENT', (_, text) => {
    const error = failure(text);
    expect(error.code).toBe('MISSING_MSH_SEGMENT');
    expect(error.segmentIndex).toBe(1);
  });

  test.each([
    ['no MSH-1 at all', 'MSH'],
    ['a letter', 'MSHX^~\\&X'],
    ['a digit', 'MSH1^~\\&1'],
    ['a space', 'MSH ^~\\& '],
    ['a tab', 'MSH\t^~\\&\t'],
    ['a NUL', 'MSH\0^~\\&\0'],
    ['a non-ASCII character', 'MSH¦^~\\&¦'],
  ])('GIVEN MSH-1 is %s WHEN parsed THEN INVALID_FIELD_SEPARATOR', (_, text) => {
    expect(failure(text).code).toBe('INVALID_FIELD_SEPARATOR');
  });

  test.each([
    ['empty', ''],
    ['three characters', '^~\\'],
    ['six characters', '^~\\&#!'],
    ['a duplicate', '^~\\^'],
    ['a letter', '^~\\A'],
    ['a space', '^~\\ '],
    ['a control character', '^~\\\x01'],
  ])('GIVEN MSH-2 %s WHEN parsed THEN INVALID_ENCODING_CHARACTERS', (_, encoding) => {
    expect(failure(msh(undefined, undefined, undefined, undefined, encoding)).code).toBe('INVALID_ENCODING_CHARACTERS');
  });

  test('GIVEN the MSH line ends after MSH-1 WHEN parsed THEN INVALID_ENCODING_CHARACTERS', () => {
    expect(failure('MSH|').code).toBe('INVALID_ENCODING_CHARACTERS');
  });

  test.each([
    ['MSH-9 missing', 'MSH|^~\\&|APP', 'MISSING_MESSAGE_TYPE'],
    ['MSH-9 empty', msh(''), 'MISSING_MESSAGE_TYPE'],
    ['MSH-9 without a message code', msh('^A01'), 'MISSING_MESSAGE_TYPE'],
    ['MSH-9 blank', msh('  ^A01'), 'MISSING_MESSAGE_TYPE'],
    ['MSH-10 empty', msh(undefined, ''), 'MISSING_CONTROL_ID'],
    ['MSH-10 blank', msh(undefined, '   '), 'MISSING_CONTROL_ID'],
    ['MSH-10 missing', 'MSH|^~\\&|APP|FAC|||20240101||ADT^A01', 'MISSING_CONTROL_ID'],
    ['MSH-11 empty', msh(undefined, undefined, ''), 'MISSING_PROCESSING_ID'],
    ['MSH-11 without a processing id', msh(undefined, undefined, '^T'), 'MISSING_PROCESSING_ID'],
    ['MSH-12 empty', msh(undefined, undefined, undefined, ''), 'MISSING_VERSION'],
    ['MSH-12 without a version id', msh(undefined, undefined, undefined, '^GBR'), 'MISSING_VERSION'],
  ])('GIVEN %s WHEN parsed THEN %s', (_, text, code) => {
    const error = failure(text);
    expect(error.code).toBe(code);
    expect(error.segmentIndex).toBe(1);
  });

  test('GIVEN MSH-10 of 199 characters WHEN parsed THEN it is accepted', () => {
    expect(parseMessage(msh(undefined, 'C'.repeat(199))).controlId).toHaveLength(199);
  });

  test('GIVEN MSH-10 of 200 characters WHEN parsed THEN CONTROL_ID_TOO_LONG', () => {
    expect(failure(msh(undefined, 'C'.repeat(200))).code).toBe('CONTROL_ID_TOO_LONG');
  });

  test('GIVEN MSH-10 of 199 characters outside the BMP WHEN parsed THEN it is accepted: characters, not UTF-16 units, count', () => {
    expect(parseMessage(msh(undefined, '\u{1F600}'.repeat(199))).controlId).toHaveLength(398);
    expect(failure(msh(undefined, '\u{1F600}'.repeat(200))).code).toBe('CONTROL_ID_TOO_LONG');
  });

  test('GIVEN MSH-10 that is 199 characters once unescaped WHEN parsed THEN it is accepted', () => {
    expect(parseMessage(msh(undefined, `${'C'.repeat(197)}\\F\\\\S\\`)).controlId).toBe(`${'C'.repeat(197)}|^`);
  });

  test.each([
    ['a lower-case id', 'pid|1'],
    ['a two-letter id', 'PI|1'],
    ['a four-letter id', 'PIDX|1'],
    ['an id starting with a digit', '1ID|1'],
    ['an id followed by another separator', 'PID^1'],
    ['leading white space', ' PID|1'],
    ['a non-ASCII id', 'PÏD|1'],
  ])('GIVEN segment 3 has %s WHEN parsed THEN INVALID_SEGMENT_ID at segment 3', (_, segment) => {
    const error = failure([msh(), PV1, segment].join('\r'));

    expect(error.code).toBe('INVALID_SEGMENT_ID');
    expect(error.segmentIndex).toBe(3);
    expect(error.message).toBe('Segment 3 does not start with a valid segment id (an upper-case letter and two upper-case letters or digits).');
  });

  test('GIVEN blank lines before a bad segment WHEN parsed THEN segmentIndex counts segments, not lines', () => {
    expect(failure([msh(), '', '', 'pid|1'].join('\r\n')).segmentIndex).toBe(2);
  });

  test.each(['ZPD|1', 'Z01|1', 'ZZZ', 'OBX|1|NM', 'IN1|1'])('GIVEN the segment %j WHEN parsed THEN its id is valid', segment => {
    expect(parseMessage([msh(), segment].join('\r')).segments[1].fields[0]).toBe(segment.substring(0, 3));
  });

  test.each(['MSH|^~\\&|X', 'BHS|^~\\&', 'BTS|1', 'FHS|^~\\&', 'FTS|1'])('GIVEN %j after the first segment WHEN parsed THEN INVALID_SEGMENT_ID: one message per request', segment => {
    const error = failure([msh(), PID, segment].join('\r'));

    expect(error.code).toBe('INVALID_SEGMENT_ID');
    expect(error.segmentIndex).toBe(3);
    expect(error.message).toContain('one message per request');
  });

  test('GIVEN several problems WHEN parsed THEN the first one in the message is reported', () => {
    expect(failure([msh(undefined, ''), 'pid|1'].join('\r')).code).toBe('MISSING_CONTROL_ID');
    expect(failure([msh('', ''), 'pid|1'].join('\r')).code).toBe('MISSING_MESSAGE_TYPE');
    expect(failure([msh(), 'pid|1', 'MSH|^~\\&'].join('\r')).segmentIndex).toBe(2);
  });
});

describe('peekControlId', () => {
  test.each([
    ['a valid message', [msh(), PID].join('\r'), 'CTRL-1'],
    ['a message with no version', 'MSH|^~\\&|APP|FAC|||20240101||ADT^A01|CTRL-2|P', 'CTRL-2'],
    ['a message whose control id is the last field', 'MSH|^~\\&|APP|FAC|||20240101||ADT^A01|CTRL-3', 'CTRL-3'],
    ['an MLLP framed message', `\x0b${msh()}\x1c\r`, 'CTRL-1'],
    ['a message after garbage lines', `garbage\r\n${msh()}`, 'CTRL-1'],
    ['an escaped control id', msh(undefined, 'A\\F\\B'), 'A|B'],
    ['an escaped control id with truncation', msh(undefined, 'A\\P\\B', 'P', '2.7', '^~\\&#'), 'A#B'],
    ['a bad segment later', [msh(), 'pid|1'].join('\r'), 'CTRL-1'],
    ['an invalid field separator', 'MSHX^~\\&XAPPXFACXXX20240101XXADT^A01XCTRL-4XP', 'CTRL-4'],
  ])('GIVEN %s WHEN peeking THEN MSH-10 is found', (_, text, expected) => {
    expect(peekControlId(text)).toBe(expected);
  });

  test.each([
    ['no MSH', PID],
    ['an empty text', ''],
    ['MSH only inside another segment', 'PID|1||MSH|^~\\&|||||||X|Y|P|2.5'],
    ['MSH with too few fields', 'MSH|^~\\&|APP|FAC'],
    ['an empty MSH-10', msh(undefined, '')],
    ['a blank MSH-10', msh(undefined, '  ')],
    ['an MSH-10 of 200 characters', msh(undefined, 'C'.repeat(200))],
    ['MSH at the very end', 'MSH'],
    ['a line break after MSH', 'MSH\r|'],
  ])('GIVEN %s WHEN peeking THEN undefined', (_, text) => {
    expect(peekControlId(text)).toBeUndefined();
  });

  test('GIVEN something that is not a string WHEN peeking THEN undefined, not an exception', () => {
    expect(peekControlId(undefined as unknown as string)).toBeUndefined();
    expect(peekControlId({ indexOf: () => { throw new Error('boom'); } } as unknown as string)).toBeUndefined();
  });
});
