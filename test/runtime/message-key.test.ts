import * as fc from 'fast-check';
import { DEFAULT_DELIMITERS, escapeText, normalizeField, parseMessage } from '../../src/runtime/hl7';
import {
  fitsObjectKey,
  isValidMessageId,
  MAX_MESSAGE_ID_LENGTH,
  MAX_OBJECT_KEY_BYTES,
  messageIdFor,
  messageIdOf,
  messageIdParts,
  messageKey,
  senderOf,
} from '../../src/runtime/message-key';
import { fixtureNames, fixtureText } from '../fixtures/hl7';

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const LAB = { application: 'LABSYS', facility: 'NORTHGATE' };

/** An id of 3n+1 bytes whose last character carries bits that no byte needs (A, Q, g, w become B, R, h, x). */
function strayLowBits(id: string): string {
  expect(id.length % 4).toBe(2);
  return id.slice(0, -1) + String.fromCharCode(id.charCodeAt(id.length - 1) + 1);
}

/** An MSH segment with the given MSH-3, MSH-4 and MSH-10 (raw, as sent). */
function withSender(application: string, facility: string, controlId = 'MSG00001', encoding = '|^~\\&'): string {
  const f = encoding[0];
  const c = encoding[1];
  return ['MSH', encoding.slice(1), application, facility, 'LAKE', 'LAKE', '20240102030405', '', `ADT${c}A01`, controlId, 'P', '2.5.1'].join(f);
}

describe('message ids and keys', () => {
  test('GIVEN a sender and a control id WHEN the message id is derived THEN it is the unpadded base64url of "<MSH-3>|<MSH-4>|<MSH-10>"', () => {
    expect(messageIdFor('MSG00001', LAB)).toBe(base64url('LABSYS|NORTHGATE|MSG00001'));
    expect(messageIdFor('MSG00001', LAB)).toBe('TEFCU1lTfE5PUlRIR0FURXxNU0cwMDAwMQ');
    expect(messageIdFor('a|b^c')).toBe(base64url('||a\\F\\b\\S\\c'));
    expect(messageKey('hospital-a', 'TVNH')).toBe('hospital-a/TVNH');
  });

  test('GIVEN one control id from two senders WHEN derived THEN two ids; from the same sender twice THEN one id', () => {
    const adt = { application: 'EPICADT', facility: 'NORTHGATE' };
    const otherFacility = { application: 'LABSYS', facility: 'EASTBROOK' };

    expect(new Set([messageIdFor('1001', adt), messageIdFor('1001', LAB), messageIdFor('1001', otherFacility)]).size).toBe(3);
    expect(messageIdFor('1001', { ...LAB })).toBe(messageIdFor('1001', LAB));
  });

  test('GIVEN parts that would run together if joined naively WHEN derived THEN the ids differ', () => {
    // "A|B" + "" and "A" + "B" as application and facility; a control id holding the separator.
    expect(messageIdFor('1', { application: normalizeField('A\\F\\B', DEFAULT_DELIMITERS), facility: '' }))
      .not.toBe(messageIdFor('1', { application: 'A', facility: 'B' }));
    expect(messageIdFor('B|1', { application: 'A', facility: '' })).not.toBe(messageIdFor('1', { application: 'A', facility: 'B' }));
  });

  test('GIVEN MSH-3 and MSH-4 with components, sub-components, escapes and non-ASCII WHEN a message is named THEN all of it counts, as sent', () => {
    const idOf = (application: string, facility: string) => messageIdOf(parseMessage(withSender(application, facility)));

    // Every component counts: the same namespace id with another universal id is another sender.
    expect(idOf('LAB', 'NORTHGATE^2.16.840.1.113883.3.72.5.1^ISO')).not.toBe(idOf('LAB', 'NORTHGATE^2.16.840.1.113883.3.72.9^ISO'));
    expect(idOf('LAB', 'NORTHGATE^2.16.840.1.113883.3.72.5.1^ISO')).not.toBe(idOf('LAB', 'NORTHGATE'));
    // Sub-components and an escaped "&" are different values.
    expect(idOf('PAS', 'ST_BRIDE&ST_JUDE')).not.toBe(idOf('PAS', 'ST_BRIDE\\T\\ST_JUDE'));
    // Letter case and non-ASCII are kept as sent.
    expect(idOf('Lab', 'Hôpital Nord')).not.toBe(idOf('LAB', 'Hôpital Nord'));
    expect(messageIdParts(idOf('Lab', 'Hôpital Nord'))).toEqual({ application: 'Lab', facility: 'Hôpital Nord', controlId: 'MSG00001' });
    // Equivalent spellings of one value are one sender: trailing empty components, an \X..\ escape, other delimiters.
    expect(idOf('LAB^^', 'NORTHGATE^')).toBe(idOf('LAB', 'NORTHGATE'));
    expect(idOf('\\X4C\\AB', 'NORTHGATE')).toBe(idOf('LAB', 'NORTHGATE'));
    expect(messageIdOf(parseMessage(withSender('LAB@1.2@ISO', 'NORTH$T$GATE', 'M$F$1', '!@*$%'))))
      .toBe(messageIdOf(parseMessage(withSender('LAB^1.2^ISO', 'NORTH%GATE', 'M!1'))));
  });

  test('GIVEN a message with custom delimiters WHEN its sender is read THEN it is written with the standard delimiters', () => {
    const message = parseMessage(withSender('LAB@1.2@ISO', 'NORTH$T$GATE%WEST', 'M$F$1', '!@*$%'));

    // `$T$` is the message's own sub-component character (`%`) as a literal; `%` separates sub-components.
    expect(senderOf(message)).toEqual({ application: 'LAB^1.2^ISO', facility: 'NORTH%GATE&WEST' });
    expect(messageIdParts(messageIdOf(message))).toEqual({ application: 'LAB^1.2^ISO', facility: 'NORTH%GATE&WEST', controlId: 'M!1' });
  });

  test('GIVEN every valid fixture WHEN named THEN its id is valid, has no "/", and names its sender and control id', () => {
    const names = fixtureNames('valid');
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const message = parseMessage(fixtureText('valid', name).replace(/^\x0b|\x1c\r$/g, ''));
      const id = messageIdOf(message);
      expect({ name, valid: isValidMessageId(id) }).toEqual({ name, valid: true });
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(messageIdParts(id)).toEqual({ ...senderOf(message), controlId: message.controlId });
    }
  });

  const values = fc.string({ unit: 'grapheme', maxLength: 40 });
  const rawFields = fc.array(fc.oneof(values, fc.constantFrom('^', '&', '~', '\\T\\', '\\S\\', '\\E\\', '\\X41\\', '\\.br\\', '\\')), { maxLength: 8 })
    .map((parts) => parts.join(''));
  const controlIds = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 199 }).filter((id) => id.trim().length > 0);

  test('GIVEN any sender and control id WHEN the id is derived THEN it has no "/", is valid, and gives back its parts', () => {
    fc.assert(fc.property(rawFields, rawFields, controlIds, (application, facility, controlId) => {
      const sender = { application: normalizeField(application, DEFAULT_DELIMITERS), facility: normalizeField(facility, DEFAULT_DELIMITERS) };
      const id = messageIdFor(controlId, sender);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(messageKey('hospital-a', id).split('/')).toHaveLength(2);
      expect(messageIdParts(id)).toEqual({ ...sender, controlId });
    }), { numRuns: 2_000 });
  });

  test('GIVEN any raw field WHEN normalized twice THEN the second time changes nothing', () => {
    fc.assert(fc.property(rawFields, (raw) => {
      const normalized = normalizeField(raw, DEFAULT_DELIMITERS);
      expect(normalizeField(normalized, DEFAULT_DELIMITERS)).toBe(normalized);
    }), { numRuns: 2_000 });
  });

  test.each([
    ['empty', ''],
    ['a parent directory', '..'],
    ['a path', 'a/b'],
    ['padding', `${messageIdFor('MSG00001', LAB)}=`],
    ['standard base64', Buffer.from('LAB|N|a?>').toString('base64')],
    ['an impossible length', 'TVNHM'],
    ['stray low bits (non-canonical)', strayLowBits(messageIdFor('MSG1', { application: 'LAB', facility: 'N' }))],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from('LAB|N|'), Buffer.from([0xc3, 0x28])]).toString('base64url')],
    ['white space', 'TVNH MDAw'],
    ['too long', 'A'.repeat(MAX_MESSAGE_ID_LENGTH + 1)],
    ['the layout of a bare control id (no sender parts)', base64url('MSG00001')],
    ['four parts', base64url('A|B|C|D')],
    ['a blank control id', base64url('LAB|N| ')],
    ['an empty control id', base64url('LAB|N|')],
    ['a control id over 199 characters', base64url(`LAB|N|${'C'.repeat(200)}`)],
    ['a control id with a needless escape', base64url('LAB|N|\\X41\\')],
    ['an unescaped delimiter in the control id', base64url('LAB|N|a^b')],
    ['a sender with a trailing empty component', base64url('LAB^|N|1')],
    ['a sender with a needless escape', base64url('\\X41\\|N|1')],
  ])('GIVEN %s WHEN checked THEN it is not a message id', (_name, id) => {
    expect(isValidMessageId(id)).toBe(false);
    expect(messageIdParts(id)).toBeUndefined();
  });

  test.each([undefined, null, 42, ['TVNH'], {}])('GIVEN %p WHEN checked THEN it is not a message id', (id) => {
    expect(isValidMessageId(id)).toBe(false);
  });

  test('GIVEN ids around the longest a key can hold WHEN checked THEN 1,022 characters may be an id and 1,023 never are', () => {
    const controlId = 'C'.repeat(199);
    const application = (length: number) => 'A'.repeat(length);
    // base64url of n bytes (n divisible by 3) has 4n/3 characters: 1,022 characters need 766.5 bytes, so take 766.
    const longest = messageIdFor(controlId, { application: application(766 - 2 - 199), facility: '' });
    expect(longest.length).toBe(1022);
    expect(longest.length).toBe(MAX_MESSAGE_ID_LENGTH);
    expect(isValidMessageId(longest)).toBe(true);
    expect(fitsObjectKey(messageKey('a', longest))).toBe(true);
    expect(fitsObjectKey(messageKey('ab', longest))).toBe(false);
    const tooLong = messageIdFor(controlId, { application: application(767 - 2 - 199), facility: '' });
    expect(tooLong.length).toBe(1023);
    expect(isValidMessageId(tooLong)).toBe(false);
  });

  test('GIVEN keys around 1,024 bytes WHEN checked THEN only those S3 can hold fit', () => {
    expect(fitsObjectKey('a'.repeat(MAX_OBJECT_KEY_BYTES))).toBe(true);
    expect(fitsObjectKey('a'.repeat(MAX_OBJECT_KEY_BYTES + 1))).toBe(false);
    expect(fitsObjectKey('é'.repeat(513))).toBe(false);
  });

  test('GIVEN a control id escaped for the standard delimiters WHEN it is part of an id THEN it is escaped once', () => {
    expect(Buffer.from(messageIdFor('a&b', LAB), 'base64url').toString('utf8')).toBe(`LABSYS|NORTHGATE|${escapeText('a&b', DEFAULT_DELIMITERS)}`);
  });
});
