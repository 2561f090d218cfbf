/**
 * The README's API examples, replayed against the handlers: the shell commands that prepare a message
 * run in bash in an empty folder, as a reader would run them; each `curl` in the "The API" section is
 * turned into the API Gateway event it would produce, with the body read from that folder, run with
 * mocked AWS (an in-memory bucket with S3's conditional-write semantics), and its answer compared with
 * the one the README shows.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { claimsOf, getMessage, ID_TOKEN, postMessage } from './runtime/support/api-events';
import { accessKeyIdOf, CognitoIdentityClient, ConditionalWriteBucket, identityPoolIssuing, S3Client } from './runtime/support/aws-doubles';
import { useHandlerEnvironment } from './runtime/support/handler-environment';
import { recordingTelemetry } from './runtime/support/telemetry';
import { createIngestHandler } from '../src/runtime/ingest.lambda';
import { messageIdFor } from '../src/runtime/message-key';
import { createReadHandler } from '../src/runtime/read.lambda';

const root = path.join(__dirname, '..');
/** The id the README shows: base64url of `<MSH-3>|<MSH-4>|<MSH-10>` of the message it sends. */
const ID = messageIdFor('NG-ADT-0001734', { application: 'EPICADT', facility: 'NORTHGATE^2.16.840.1.113883.3.72.5.1^ISO' });
const apiSection = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('## The API')[1].split('\n## ')[0];
const blocks = [...apiSection.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, language, text]) => ({ language, text }));

interface Curl { method: string; path: string; headers: Record<string, string>; bodyFile?: string }

/** Splits one shell command (with `\` line continuations and double quotes) into words. */
function words(command: string): string[] {
  return [...command.replace(/\\\n/g, ' ').matchAll(/"([^"]*)"|(\S+)/g)].map(([, quoted, plain]) => quoted ?? plain);
}

function parseCurl(command: string): Curl {
  const args = words(command);
  expect(args[0]).toBe('curl');
  const curl: Curl = { method: 'GET', path: '', headers: {} };
  for (let i = 1; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-X') {curl.method = args[++i];} else if (arg === '-H') {
      const [name, ...value] = args[++i].split(':');
      curl.headers[name.trim().toLowerCase()] = value.join(':').trim().replace('$ID_TOKEN', ID_TOKEN);
    } else if (arg === '--data-binary') {curl.bodyFile = args[++i].replace(/^@/, '');} else if (arg.startsWith('$API_URL')) {curl.path = arg.slice('$API_URL'.length);} else {expect(arg).toMatch(/^-sS$/);}
  }
  return curl;
}

/**
 * The folder a reader runs the examples in: empty but for what the README's own commands write there,
 * so a curl that sends a file from anywhere else (this repository's test fixtures, say) finds nothing.
 */
const readerFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-api-'));

function eventOf(curl: Curl): APIGatewayProxyEventV2WithJWTAuthorizer {
  const options = { headers: curl.headers, claims: claimsOf('hospital-a'), requestId: 'JYpy5iEmIAMEVZA=' };
  if (curl.method === 'POST') {
    expect(curl.path).toBe('/messages');
    return postMessage(fs.readFileSync(path.join(readerFolder, curl.bodyFile!), 'latin1'), options);
  }
  const id = curl.path.match(/^\/messages\/([^/]+)$/)![1];
  return getMessage(id, options);
}

const shellBlocks = blocks.filter((b) => b.language === 'sh').map((b) => b.text.trim());
/** The commands that prepare what the curls send. */
const preparations = shellBlocks.filter((text) => !text.startsWith('curl '));
const commands = shellBlocks.filter((text) => text.startsWith('curl '));
const curls = commands.map(parseCurl);
/** The block right after the n-th command: the answer the README shows for it. */
const shown = (n: number) => blocks[blocks.findIndex((b) => b.language === 'sh' && b.text.trim() === commands[n]) + 1];

describe('GIVEN the API examples of the README', () => {
  useHandlerEnvironment();

  beforeAll(() => {
    for (const command of preparations) {
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', command], { cwd: readerFolder, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
  });
  afterAll(() => fs.rmSync(readerFolder, { recursive: true, force: true }));
  const s3 = mockClient(S3Client);
  const cognito = mockClient(CognitoIdentityClient);
  let bucket: ConditionalWriteBucket;
  const now = () => new Date('2026-11-24T10:15:00Z');

  beforeEach(() => {
    s3.reset();
    cognito.reset();
    identityPoolIssuing(cognito);
    bucket = new ConditionalWriteBucket(0);
    s3.on(PutObjectCommand).callsFake(async (input, getClient) => bucket.putObject(input, await accessKeyIdOf(getClient())));
    s3.on(GetObjectCommand).callsFake(async (input) => bucket.getObject(String(input.Key)));
  });

  test('THEN there are two POST examples and one GET example', () => {
    expect(curls.map((c) => c.method)).toEqual(['POST', 'POST', 'GET']);
  });

  test('THEN the message the POST examples send is written by the README\'s own command, with \\r between segments', () => {
    const bodyFiles = [...new Set(curls.filter((c) => c.method === 'POST').map((c) => c.bodyFile!))];
    expect(bodyFiles).toEqual(['adt-a01.hl7']);
    const message = fs.readFileSync(path.join(readerFolder, bodyFiles[0]), 'latin1');
    expect(message.split('\r').map((segment) => segment.slice(0, 3))).toEqual(['MSH', 'EVN', 'PID', 'PV1', '']);
    expect(message).not.toContain('\n');
  });

  test('WHEN the first curl is sent THEN the message is stored and the JSON receipt is the one shown', async () => {
    const response = await createIngestHandler({ telemetry: recordingTelemetry, now })(eventOf(curls[0]));
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body!)).toEqual(JSON.parse(shown(0).text));
    expect(cognito.commandCalls(GetIdCommand)).toHaveLength(1);
    expect(cognito.commandCalls(GetCredentialsForIdentityCommand)).toHaveLength(1);
    expect([...bucket.objects.keys()]).toEqual([`hospital-a/${ID}`]);
  });

  test('WHEN the acknowledgment curl is sent THEN the answer is the AA acknowledgment shown', async () => {
    const response = await createIngestHandler({ telemetry: recordingTelemetry, now })(eventOf(curls[1]));
    expect(response.statusCode).toBe(201);
    expect(response.body!.split('\r')).toEqual(shown(1).text.trim().split('\n'));
  });

  test('THEN the GET example reads the id the JSON receipt shows', () => {
    expect(JSON.parse(shown(0).text).id).toBe(ID);
    expect(curls[2].path).toBe(`/messages/${ID}`);
  });

  test('WHEN the GET curl follows the POST THEN it returns the stored message', async () => {
    await createIngestHandler({ telemetry: recordingTelemetry, now })(eventOf(curls[0]));
    const response = await createReadHandler({ telemetry: recordingTelemetry })(eventOf(curls[2]));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(bucket.objects.get(`hospital-a/${ID}`)!.body);
    expect(response.body).toContain('NG-ADT-0001734');
  });
});
