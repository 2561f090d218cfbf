import { AckCode, buildAck, DEFAULT_DELIMITERS, getComponent, Hl7Message, Hl7Segment, parseMessage, unescapeText } from '../../../src/runtime/hl7';
import { fixtureNames, fixtureText } from '../../fixtures/hl7';

const ORIGINAL = parseMessage([
  'MSH|^~\\&|LABSYS^2.16.840.1.113883.3.72.9^ISO|RIVERSIDE_LAB|DATALAKE|RIVERSIDE_HIE|20240613071544||ORU^R01^ORU_R01|LAB\\F\\318|T|2.5.1',
  'PID|1||100234567^^^NORTHGATE^MR||HARTLEY^ELEANOR^MAY||19580214|F',
].join('\r'));
const TIMESTAMP = new Date(Date.UTC(2024, 5, 13, 7, 15, 44, 123));

function segment(message: Hl7Message, id: string): Hl7Segment {
  const found = message.segments.find(s => s.id === id);
  if (found === undefined) throw new Error(`no ${id} segment`);
  return found;
}

describe('buildAck', () => {
  test('GIVEN a parsed message WHEN accepted THEN MSH swaps sender and receiver and MSA-2 is the original control id', () => {
    const ack = buildAck(ORIGINAL, 'AA', { controlId: 'ACK-0001', timestamp: TIMESTAMP });

    expect(ack).toBe([
      'MSH|^~\\&|DATALAKE|RIVERSIDE_HIE|LABSYS^2.16.840.1.113883.3.72.9^ISO|RIVERSIDE_LAB|20240613071544+0000||ACK^R01^ACK|ACK-0001|T|2.5.1',
      'MSA|AA|LAB\\F\\318',
    ].join('\r'));
    const parsed = parseMessage(ack);
    expect(parsed).toMatchObject({
      messageCode: 'ACK',
      triggerEvent: 'R01',
      controlId: 'ACK-0001',
      processingId: 'T',
      version: '2.5.1',
      sendingApplication: 'DATALAKE',
      sendingFacility: 'RIVERSIDE_HIE',
      receivingApplication: 'LABSYS',
      receivingFacility: 'RIVERSIDE_LAB',
    });
    expect(unescapeText(segment(parsed, 'MSA').fields[2], parsed.delimiters)).toBe(ORIGINAL.controlId);
    expect(parsed.segments.map(s => s.id)).toEqual(['MSH', 'MSA']);
  });

  test('GIVEN an application error WHEN acknowledged THEN MSA-3 and ERR carry the escaped text', () => {
    const text = 'Storage failed | retry ^ later & call ~ desk \\ now\r\nthanks';

    const ack = parseMessage(buildAck(ORIGINAL, 'AE', { controlId: 'ACK-0002', timestamp: TIMESTAMP, text }));

    const msa = segment(ack, 'MSA');
    const err = segment(ack, 'ERR');
    expect(msa.fields[1]).toBe('AE');
    expect(unescapeText(msa.fields[3], ack.delimiters)).toBe(text);
    expect(err.fields[3]).toBe('207^Application internal error^HL70357');
    expect(err.fields[4]).toBe('E');
    expect(unescapeText(err.fields[8], ack.delimiters)).toBe(text);
    expect(ack.text.split('\r')).toHaveLength(3);
  });

  test('GIVEN a body that could not be parsed WHEN rejected THEN defaults are used and MSA-2 is the peeked control id', () => {
    const ack = buildAck(undefined, 'AR', {
      controlId: 'ACK-0003', timestamp: TIMESTAMP, text: 'MSH-12 (version id) is empty.', originalControlId: 'WC|9', errorCode: 'MISSING_VERSION',
    });

    expect(ack).toBe([
      'MSH|^~\\&|||||20240613071544+0000||ACK|ACK-0003|P|2.5.1',
      'MSA|AR|WC\\F\\9|MSH-12 (version id) is empty.',
      'ERR||MSH^1^12|101^Required field missing^HL70357|E||||MSH-12 (version id) is empty.',
    ].join('\r'));
    expect(parseMessage(ack).messageType).toBe('ACK');
  });

  test.each([
    ['MISSING_CONTROL_ID', 'MSH^1^10', '101'],
    ['CONTROL_ID_TOO_LONG', 'MSH^1^10', '102'],
    ['INVALID_ENCODING_CHARACTERS', 'MSH^1^2', '102'],
    ['INVALID_SEGMENT_ID', '', '100'],
    ['INVALID_BODY_ENCODING', '', '102'],
  ] as const)('GIVEN the validation problem %s WHEN rejected THEN ERR-2 is %j and ERR-3 is HL7 error %s', (errorCode, location, hl7Code) => {
    const err = segment(parseMessage(buildAck(undefined, 'AR', { controlId: 'A1', timestamp: TIMESTAMP, errorCode })), 'ERR');

    expect(err.fields[2]).toBe(location);
    expect(getComponent(err.fields[3], 1, DEFAULT_DELIMITERS)).toBe(hl7Code);
  });

  test('GIVEN no original and no peeked control id WHEN rejected THEN MSA-2 is empty', () => {
    const ack = parseMessage(buildAck(undefined, 'AR', { controlId: 'A1', timestamp: TIMESTAMP }));

    expect(segment(ack, 'MSA').fields).toEqual(['MSA', 'AR', '']);
  });

  test('GIVEN a v2.3 message WHEN an error is acknowledged THEN ERR-1 uses the v2.3 layout and MSA-3 the text', () => {
    const original = parseMessage(fixtureText('valid', 'adt-a04-v2.3-lf.hl7'));

    const ack = parseMessage(buildAck(original, 'AR', { controlId: 'A1', timestamp: TIMESTAMP, text: 'Rejected.', errorCode: 'MISSING_PROCESSING_ID' }));

    expect(ack.version).toBe('2.3');
    expect(ack.processingId).toBe('T');
    expect(segment(ack, 'MSA').fields).toEqual(['MSA', 'AR', 'WC240612101500001', 'Rejected.']);
    expect(segment(ack, 'ERR').fields).toEqual(['ERR', 'MSH^1^11^101&Required field missing&HL70357']);
  });

  test('GIVEN a v2.4 message WHEN an error without location is acknowledged THEN ERR-1 holds only the code', () => {
    const original = parseMessage(fixtureText('valid', 'adt-a08-v2.4-crlf.hl7'));

    const ack = parseMessage(buildAck(original, 'AE', { controlId: 'A1', timestamp: TIMESTAMP }));

    expect(segment(ack, 'ERR').fields).toEqual(['ERR', '^^^207&Application internal error&HL70357']);
    expect(segment(ack, 'MSA').fields).toEqual(['MSA', 'AE', 'PAS\\E\\A08\\E\\0042']);
    expect(unescapeText(segment(ack, 'MSA').fields[2], ack.delimiters)).toBe('PAS\\A08\\0042');
  });

  test('GIVEN a v2.8 message with a truncation character WHEN an error is acknowledged THEN the delimiters are kept and MSA-3 is left out', () => {
    const original = parseMessage(fixtureText('valid', 'dft-p03-v2.8.hl7'));

    const ack = parseMessage(buildAck(original, 'AE', { controlId: 'A#1', timestamp: TIMESTAMP, text: 'Item #2 failed.' }));

    expect(ack.delimiters.truncation).toBe('#');
    expect(ack.segments[0].fields[2]).toBe('^~\\&#');
    expect(ack.segments[0].fields[10]).toBe('A\\P\\1');
    expect(ack.controlId).toBe('A#1');
    expect(segment(ack, 'MSA').fields).toEqual(['MSA', 'AE', 'BIL-2024-06-16-00077']);
    expect(unescapeText(segment(ack, 'ERR').fields[8], ack.delimiters)).toBe('Item #2 failed.');
  });

  test('GIVEN custom delimiters WHEN acknowledged THEN the ACK uses them and escapes text with them', () => {
    const original = parseMessage(fixtureText('valid', 'adt-a04-v2.5-custom-delimiters.hl7'));

    const text = buildAck(original, 'AE', { controlId: 'A!1', timestamp: TIMESTAMP, text: 'Bad $ and ! and @' });

    expect(text.startsWith('MSH!@*$%!DATALAKE!RIVERSIDE_HIE!LEGACYREG!EASTBROOK!')).toBe(true);
    const ack = parseMessage(text);
    expect(ack.controlId).toBe('A!1');
    expect(segment(ack, 'MSA').fields[2]).toBe('LEGACY$F$7781');
    expect(unescapeText(segment(ack, 'MSA').fields[3], ack.delimiters)).toBe('Bad $ and ! and @');
  });

  const codes: AckCode[] = ['AA', 'AE', 'AR'];
  test.each(fixtureNames('valid').flatMap(name => codes.map(code => [name, code] as const)))(
    'GIVEN %s WHEN acknowledged with %s THEN the ACK parses and answers the original', (name, code) => {
      const original = parseMessage(fixtureText('valid', name).replace(/^\x0b|\x1c\r$/g, ''));

      const ack = parseMessage(buildAck(original, code, { controlId: 'ACK-1', timestamp: TIMESTAMP, text: 'A sentence | with ^ delimiters.' }));

      expect(ack.messageCode).toBe('ACK');
      expect(ack.triggerEvent).toBe(original.triggerEvent);
      expect(ack.version).toBe(original.version);
      expect(ack.delimiters).toEqual(original.delimiters);
      expect(ack.sendingApplication).toBe(original.receivingApplication);
      expect(ack.receivingFacility).toBe(original.sendingFacility);
      const msa = segment(ack, 'MSA');
      expect(msa.fields[1]).toBe(code);
      expect(unescapeText(msa.fields[2], ack.delimiters)).toBe(original.controlId);
      // AE and AR always explain themselves in ERR; an AA with a sentence does so from v2.5 on (severity I).
      const err = ack.segments.find(s => s.id === 'ERR');
      const [major, minor] = original.version.split('.').map(Number);
      expect(err !== undefined).toBe(code !== 'AA' || major > 2 || minor >= 5);
      if (code === 'AA' && err) {
        expect(err.fields[3].split(ack.delimiters.component)[0]).toBe('0');
        expect(err.fields[4]).toBe('I');
        expect(unescapeText(err.fields[8], ack.delimiters)).toBe('A sentence | with ^ delimiters.');
      }
    });

  test('GIVEN an AA without a sentence WHEN built THEN it has no ERR segment', () => {
    const original = parseMessage(fixtureText('valid', 'dft-p03-v2.8.hl7'));

    const ack = parseMessage(buildAck(original, 'AA', { controlId: 'ACK-1', timestamp: TIMESTAMP }));

    expect(ack.segments.map(s => s.id)).toEqual(['MSH', 'MSA']);
  });

  test('GIVEN an AA with a sentence for v2.8 WHEN built THEN the sentence is in ERR-8 (MSA-3 is withdrawn), severity I, code 0', () => {
    const original = parseMessage(fixtureText('valid', 'dft-p03-v2.8.hl7'));

    const ack = buildAck(original, 'AA', { controlId: 'ACK-1', timestamp: TIMESTAMP, text: 'Already stored.' });

    expect(ack.split('\r').slice(1)).toEqual([
      'MSA|AA|BIL-2024-06-16-00077',
      'ERR|||0^Message accepted^HL70357|I||||Already stored.',
    ]);
  });

  test('GIVEN MESSAGE_ID_TOO_LONG WHEN rejected THEN ERR carries 102 Data type error without a location', () => {
    const original = parseMessage(fixtureText('valid', 'oml-o21-v2.5.1.hl7'));

    const ack = buildAck(original, 'AR', { controlId: 'ACK-1', timestamp: TIMESTAMP, text: 'Too long.', errorCode: 'MESSAGE_ID_TOO_LONG' });

    expect(ack.split('\r')[2]).toBe('ERR|||102^Data type error^HL70357|E||||Too long.');
  });

  test('GIVEN an invalid timestamp WHEN building an ACK THEN a RangeError says so', () => {
    expect(() => buildAck(ORIGINAL, 'AA', { controlId: 'A1', timestamp: new Date(NaN) })).toThrow(RangeError);
  });
});
