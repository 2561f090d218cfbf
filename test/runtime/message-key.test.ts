import * as fc from 'fast-check';
import {
  controlIdOf,
  fitsObjectKey,
  isValidMessageId,
  MAX_MESSAGE_ID_LENGTH,
  MAX_OBJECT_KEY_BYTES,
  messageIdFor,
  messageKey,
} from '../../src/runtime/message-key';

describe('message ids and keys', () => {
  test('GIVEN a control id WHEN its message id is derived THEN it is the unpadded base64url of its UTF-8 bytes', () => {
    expect(messageIdFor('MSG00001')).toBe('TVNHMDAwMDE');
    expect(messageIdFor('a/b+c')).toBe('YS9iK2M');
    expect(messageIdFor('Ü?>')).toBe('w5w_Pg');
    expect(messageKey('hospital-a', 'TVNHMDAwMDE')).toBe('hospital-a/TVNHMDAwMDE');
  });

  test('GIVEN any control id WHEN its message id is derived THEN it has no "/", is valid, and maps back to the control id', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 199 }), (controlId) => {
      const id = messageIdFor(controlId);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(isValidMessageId(id)).toBe(true);
      expect(controlIdOf(id)).toBe(controlId);
      expect(messageKey('hospital-a', id).split('/')).toHaveLength(2);
    }), { numRuns: 2_000 });
  });

  test('GIVEN the longest control id the parser accepts (199 four-byte characters) WHEN derived THEN its id is within the bound', () => {
    expect(messageIdFor('𝔐'.repeat(199))).toHaveLength(MAX_MESSAGE_ID_LENGTH);
  });

  test.each([
    ['empty', ''],
    ['a parent directory', '..'],
    ['a path', 'a/b'],
    ['padding', 'TVNHMDAwMDE='],
    ['standard base64', 'YS9iK2M+'],
    ['an impossible length', 'TVNHM'],
    ['stray low bits (non-canonical)', 'TR'],
    ['bytes that are not UTF-8', Buffer.from([0xc3, 0x28]).toString('base64url')],
    ['white space', 'TVNH MDAw'],
    ['too long', 'A'.repeat(MAX_MESSAGE_ID_LENGTH + 4)],
  ])('GIVEN %s WHEN checked THEN it is not a message id', (_name, id) => {
    expect(isValidMessageId(id)).toBe(false);
  });

  test.each([undefined, null, 42, ['TVNH'], {}])('GIVEN %p WHEN checked THEN it is not a message id', (id) => {
    expect(isValidMessageId(id)).toBe(false);
  });

  test('GIVEN keys around 1,024 bytes WHEN checked THEN only those S3 can hold fit', () => {
    expect(fitsObjectKey('a'.repeat(MAX_OBJECT_KEY_BYTES))).toBe(true);
    expect(fitsObjectKey('a'.repeat(MAX_OBJECT_KEY_BYTES + 1))).toBe(false);
    expect(fitsObjectKey('é'.repeat(513))).toBe(false);
  });
});
