/*
 * Compares the project's HL7 v2 parser with two npm parsers on the valid test fixtures.
 * Run: npx ts-node --project tsconfig.dev.json benchmark/parse.ts
 * Prints figures only; performance is never asserted in tests.
 */
import { createRequire } from 'module';
import { decodeBody, parseMessage } from '../src/runtime/hl7';
import { fixtureBytes, fixtureNames } from '../test/fixtures/hl7';

/** Rounds over the whole corpus before measuring, so that every parser runs optimised code. */
const WARM_UP_ROUNDS = 1_000;

interface Candidate {
  readonly name: string;
  /** Rounds over the whole corpus: fixed per parser, chosen for about 1-2 s each. */
  readonly rounds: number;
  /** Parses one message and returns a number derived from the result, so no work is optimised away. */
  readonly parse: (text: string) => number;
}

const requireModule = createRequire(__filename);

function ours(): Candidate {
  return {
    name: 'ours: parseMessage (validated, fields split)',
    rounds: 70_000,
    parse: text => parseMessage(text).segments.length,
  };
}

interface MedplumMessage {
  readonly segments: { readonly fields: readonly unknown[] }[];
  readonly header: { getField(index: number): { toString(): string } };
}

function medplum(): Candidate[] {
  // @medplum/core 5 reads a global WebSocket when it loads; Node 20 has none without
  // --experimental-websocket. The HL7 classes never use it, so a stub is enough here.
  const globals = globalThis as { WebSocket?: unknown };
  const stubbed = globals.WebSocket === undefined;
  if (stubbed) {
    globals.WebSocket = class {};
  }
  let core: { Hl7Message: { parse(text: string): MedplumMessage } };
  try {
    core = requireModule('@medplum/core');
  } catch (error) {
    console.log(`@medplum/core did not load: ${(error as Error).message}`);
    return [];
  }
  const note = stubbed ? ' [WebSocket stubbed]' : '';
  return [
    {
      name: `@medplum/core Hl7Message.parse + MSH-10 (lazy)${note}`,
      rounds: 45_000,
      parse: text => core.Hl7Message.parse(text).header.getField(10).toString().length,
    },
    {
      name: `@medplum/core Hl7Message.parse + all fields${note}`,
      rounds: 4_000,
      parse: text => {
        let count = 0;
        for (const segment of core.Hl7Message.parse(text).segments) count += segment.fields.length;
        return count;
      },
    },
  ];
}

function simpleHl7(): Candidate[] {
  let Parser: new () => { parse(text: string): { segments: unknown[] } };
  try {
    Parser = requireModule('simple-hl7').Parser;
  } catch (error) {
    console.log(`simple-hl7 did not load: ${(error as Error).message}`);
    return [];
  }
  const parser = new Parser();
  return [{ name: 'simple-hl7 Parser.parse (components split)', rounds: 8_000, parse: text => parser.parse(text).segments.length }];
}

function run(candidate: Candidate, corpus: readonly string[], rounds: number): number {
  let checksum = 0;
  const start = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < corpus.length; i++) {
      checksum += candidate.parse(corpus[i]);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (checksum === 0) {
    throw new Error(`${candidate.name} produced nothing`);
  }
  return seconds;
}

function main(): void {
  // Every parser gets the same text: the fixtures without MLLP framing, segments joined by \r
  // (simple-hl7 only splits on \r).
  const corpus = fixtureNames('valid').map(name => parseMessage(decodeBody(fixtureBytes('valid', name).toString('utf8'), false)).text);
  const bytes = corpus.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  const candidates = [ours(), ...medplum(), ...simpleHl7()];

  console.log(`Node ${process.version} on ${process.platform}/${process.arch}`);
  console.log(`Input: ${corpus.length} messages (the valid fixtures), ${bytes} bytes (UTF-8) per round`);
  console.log('');

  const results: { name: string; rounds: number; seconds: number }[] = [];
  for (const candidate of candidates) {
    run(candidate, corpus, WARM_UP_ROUNDS);
    results.push({ name: candidate.name, rounds: candidate.rounds, seconds: run(candidate, corpus, candidate.rounds) });
  }

  const oursPerRound = results[0].seconds / results[0].rounds;
  const nameWidth = Math.max(...results.map(r => r.name.length));
  console.log(`${'parser'.padEnd(nameWidth)}  ${'messages'.padStart(9)}  ${'time (s)'.padStart(8)}  ${'messages/s'.padStart(10)}  ${'MB/s'.padStart(6)}  relative speed (ours = 1.00)`);
  for (const { name, rounds, seconds } of results) {
    const messagesPerSecond = (corpus.length * rounds) / seconds;
    const megabytesPerSecond = (bytes * rounds) / seconds / 1e6;
    const relative = (oursPerRound / (seconds / rounds)).toFixed(2);
    console.log(`${name.padEnd(nameWidth)}  ${String(corpus.length * rounds).padStart(9)}  ${seconds.toFixed(2).padStart(8)}  `
      + `${Math.round(messagesPerSecond).toLocaleString('en-US').padStart(10)}  ${megabytesPerSecond.toFixed(1).padStart(6)}  ${relative}`);
  }
}

main();
