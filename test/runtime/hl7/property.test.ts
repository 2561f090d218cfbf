import * as assert from 'assert';
import * as fc from 'fast-check';
import {
  buildAck, decodeBody, escapeText, Hl7Delimiters, Hl7Message, Hl7ValidationError, parseMessage, peekControlId, unescapeText,
} from '../../../src/runtime/hl7';
import { fixtureNames, fixtureText } from '../../fixtures/hl7';

const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;
const FIXTURES = fixtureNames('valid').map(name => fixtureText('valid', name));
const TIMESTAMP = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

/** Runs `run`; anything thrown other than an Hl7ValidationError fails the property. */
function validOrRejected<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (error instanceof Hl7ValidationError) {
      assert.ok(error.message.length > 0);
      return undefined;
    }
    throw error;
  }
}

function codePoints(value: string): number {
  return [...value].length;
}

/**
 * What every message parseMessage returns must satisfy. Uses node's assert rather than expect:
 * it runs thousands of times and expect is far slower when it passes.
 */
function checkMessage(message: Hl7Message): void {
  assert.equal(message.segments[0].id, 'MSH');
  assert.equal(message.segments[0].fields[1], message.delimiters.field);
  for (const segment of message.segments) {
    assert.match(segment.id, SEGMENT_ID);
    assert.equal(segment.fields[0], segment.id);
  }
  assert.notEqual(message.controlId.trim(), '');
  assert.ok(codePoints(message.controlId) <= 199);
  assert.notEqual(message.messageCode.trim(), '');
  assert.notEqual(message.processingId.trim(), '');
  assert.notEqual(message.version.trim(), '');
  assert.ok(!message.text.includes('\n'));
  assert.equal(message.text.split('\r').length, message.segments.length);

  // Normalised text parses to the same message, and an ACK for it parses and answers it.
  const again = parseMessage(message.text);
  assert.equal(again.controlId, message.controlId);
  assert.equal(again.segments.length, message.segments.length);
  const ack = parseMessage(buildAck(message, 'AE', { controlId: 'ACK-1', timestamp: TIMESTAMP, text: message.controlId }));
  assert.equal(unescapeText(ack.segments[1].fields[2], ack.delimiters), message.controlId);
  assert.equal(peekControlId(message.text), message.controlId);
}

const hostileCharacter = fc.oneof(
  fc.constantFrom('|', '^', '~', '\\', '&', '#', '\r', '\n', '\r\n', '\0', '\x0b', '\x1c', ' ', '\t', 'M', 'S', 'H', 'A', '1', '=', '/'),
  fc.constantFrom('é', 'Ü', '\u00a0', '\uFEFF', '\u2028', '\uD800', '\uDC00', '\u{1F600}', '\uFFFD'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

type Mutation =
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'replace'; at: number; text: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'huge'; at: number; length: number; text: string }
  | { kind: 'separators'; separator: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: hostileCharacter }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: hostileCharacter, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), length: fc.integer({ min: 1_000, max: 30_000 }), text: hostileCharacter }),
  fc.record({ kind: fc.constant('separators' as const), separator: fc.constantFrom('\r', '\n', '\r\n', '\n\r', '\r\r', '', '|') }),
);

function mutate(text: string, change: Mutation): string {
  if (change.kind === 'separators') {
    return text.replace(/\r\n|\r|\n/g, change.separator);
  }
  const at = change.at % (text.length + 1);
  switch (change.kind) {
    case 'delete': return text.slice(0, at) + text.slice(at + change.length);
    case 'duplicate': return text.slice(0, at + change.length) + text.slice(at);
    case 'replace': return text.slice(0, at) + change.text + text.slice(at + 1);
    case 'insert': return text.slice(0, at) + change.text + text.slice(at);
    case 'huge': return text.slice(0, at) + change.text.repeat(change.length) + text.slice(at);
  }
}

const mutatedFixture = fc.tuple(fc.constantFrom(...FIXTURES), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([text, changes]) => changes.reduce(mutate, text));

const hostileText = fc.oneof(
  { weight: 4, arbitrary: mutatedFixture },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: hostileCharacter, maxLength: 300 }) },
  { weight: 2, arbitrary: fc.string({ unit: hostileCharacter, maxLength: 300 }).map(tail => `MSH|^~\\&|${tail}`) },
  { weight: 1, arbitrary: fc.string({ unit: hostileCharacter, maxLength: 60 }).map(tail => `MSH|^~\\&|A|B|C|D|20240101||ADT^A01|${tail}`) },
);

describe('hostile input', () => {
  test('GIVEN any text WHEN decoded, parsed and peeked THEN the result is a valid message or an Hl7ValidationError, never another exception', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(fc.property(hostileText, fc.uint8Array({ maxLength: 64 }), fc.string({ unit: 'binary-ascii', maxLength: 40 }), (text, bytes, base64ish) => {
      const parsed = validOrRejected(() => parseMessage(text));
      if (parsed !== undefined) {
        checkMessage(parsed);
        accepted++;
      } else {
        rejected++;
      }
      const decoded = validOrRejected(() => parseMessage(decodeBody(text, false)));
      if (decoded !== undefined) {
        checkMessage(decoded);
      }
      validOrRejected(() => parseMessage(decodeBody(Buffer.from(text, 'utf8').toString('base64'), true)));
      validOrRejected(() => decodeBody(Buffer.from(bytes).toString('base64'), true));
      validOrRejected(() => decodeBody(base64ish, true));

      const peeked = peekControlId(text);
      if (peeked !== undefined) {
        assert.notEqual(peeked.trim(), '');
        assert.ok(codePoints(peeked) <= 199);
      }
    }), { numRuns: 10_000 });

    // Both outcomes must be common, or the inputs are not exercising the parser.
    expect(accepted).toBeGreaterThan(1_000);
    expect(rejected).toBeGreaterThan(1_000);
  });
});

const PUNCTUATION = [...'|^~\\&#!$%*@+=/:;?\'"`,.<>{}[]()_-'];

const delimiters: fc.Arbitrary<Hl7Delimiters> = fc.tuple(
  fc.shuffledSubarray(PUNCTUATION, { minLength: 6, maxLength: 6 }),
  fc.boolean(),
).map(([[field, component, repetition, escape, subcomponent, truncation], withTruncation]) => withTruncation
  ? { field, component, repetition, escape, subcomponent, truncation }
  : { field, component, repetition, escape, subcomponent });

const controlId = fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom(...PUNCTUATION, '\r', '\n')), minLength: 1, maxLength: 120 })
  .filter(value => value.trim() !== '' && codePoints(value) <= 199);

/** Any segment id but those that start a message or batch. */
const segmentId = fc.tuple(
  fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
  fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
  fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
).map(parts => parts.join('')).filter(id => !['MSH', 'BHS', 'BTS', 'FHS', 'FTS'].includes(id));

const generatedMessage = fc.record({
  delimiters,
  controlId,
  messageCode: fc.constantFrom('ADT', 'ORU', 'ORM', 'SIU', 'MDM', 'VXU', 'DFT', 'OML', 'ZZZ'),
  trigger: fc.constantFrom('A01', 'R01', 'O01', 'S12', 'T02', 'V04', 'P03', 'O21'),
  version: fc.constantFrom('2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.9'),
  processingId: fc.constantFrom('P', 'T', 'D'),
  sendingApplication: fc.string({ unit: 'grapheme', maxLength: 20 }),
  segments: fc.array(fc.tuple(segmentId, fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 8 })), { maxLength: 10 }),
  separator: fc.constantFrom('\r', '\n', '\r\n'),
  mllp: fc.boolean(),
});

describe('generated valid messages', () => {
  test('GIVEN a generated message WHEN encoded, decoded and parsed THEN the control id and header survive the escape round-trip', () => {
    fc.assert(fc.property(generatedMessage, generated => {
      const d = generated.delimiters;
      const encoding = d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '');
      const header = [
        'MSH', encoding, escapeText(generated.sendingApplication, d), 'FAC', 'RECV', 'RFAC', '20240101120000', '',
        `${generated.messageCode}${d.component}${generated.trigger}`, escapeText(generated.controlId, d), generated.processingId, escapeText(generated.version, d),
      ].join(d.field);
      // A closing segment keeps white space at the end of a generated field (decodeBody trims the body).
      const lines = [
        header,
        ...generated.segments.map(([id, fields]) => [id, ...fields.map(field => escapeText(field, d))].join(d.field)),
        `ZEN${d.field}end`,
      ];
      const text = lines.join(generated.separator);
      const body = generated.mllp ? `\x0b${text}\x1c\r` : text;

      const message = parseMessage(decodeBody(Buffer.from(body, 'utf8').toString('base64'), true));

      assert.equal(message.controlId, generated.controlId);
      assert.equal(message.messageCode, generated.messageCode);
      assert.equal(message.triggerEvent, generated.trigger);
      assert.equal(message.version, generated.version);
      assert.equal(message.processingId, generated.processingId);
      assert.equal(message.sendingApplication, generated.sendingApplication === '' ? undefined : generated.sendingApplication);
      assert.deepStrictEqual({ ...message.delimiters }, d);
      assert.deepStrictEqual(message.segments.map(s => s.id), ['MSH', ...generated.segments.map(([id]) => id), 'ZEN']);
      message.segments.slice(1, -1).forEach((segment, i) => {
        assert.deepStrictEqual(segment.fields.slice(1).map(field => unescapeText(field, d)), generated.segments[i][1]);
      });
      assert.equal(peekControlId(body), generated.controlId);
      checkMessage(message);
    }), { numRuns: 10_000 });
  });

  test('GIVEN any text and delimiters WHEN escaped THEN it unescapes to the same text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), delimiters, (text, d) => {
      const escaped = escapeText(text, d);

      assert.equal(unescapeText(escaped, d), text);
      for (const delimiter of [d.field, d.component, d.repetition, d.subcomponent, d.truncation ?? d.field, '\r', '\n']) {
        assert.ok(!escaped.includes(delimiter));
      }
    }), { numRuns: 10_000 });
  });
});
