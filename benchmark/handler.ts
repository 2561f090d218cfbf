/*
 * Latency and AWS calls per request of the HTTP API handlers, with AWS mocked
 * (aws-sdk-client-mock): the figures are the handlers' own cost (validation, credential cache,
 * client set-up, logging and metrics), without network time.
 * Run: npx ts-node --project tsconfig.dev.json benchmark/handler.ts
 * Prints figures only; performance is never asserted in tests.
 */
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS } from '../src/runtime/handler-environment';
import { createIngestHandler } from '../src/runtime/ingest.lambda';
import { messageIdFor } from '../src/runtime/message-key';
import { createReadHandler } from '../src/runtime/read.lambda';
import { claimsOf, getMessage, headersWith, postMessage } from '../test/runtime/support/api-events';
import { HANDLER_ENVIRONMENT } from '../test/runtime/support/handler-environment';
import { ADMISSIONS, admitMessage } from '../test/runtime/support/hl7-messages';

const REQUESTS = 2_000;
const WARM_UP = 200;

Object.assign(process.env, HANDLER_ENVIRONMENT, { POWERTOOLS_SERVICE_NAME: 'benchmark' });

/** The credential cache's clock: real time, plus what the "after the TTL" scenario skips ahead. */
let skippedMs = 0;
const clock = () => Date.now() + skippedMs;

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);
cognito.on(GetIdCommand).callsFake(async (input) => ({ IdentityId: `eu-west-1:${Object.values(input.Logins as object)[0]}` }));
cognito.on(GetCredentialsForIdentityCommand).callsFake(async (input) => ({
  IdentityId: input.IdentityId,
  Credentials: { AccessKeyId: 'ASIABENCHMARK', SecretKey: 'secret', SessionToken: 'session', Expiration: new Date(clock() + 3_600_000) },
}));
s3.on(PutObjectCommand).resolves({ ETag: '"1"' });
s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => admitMessage() } } as never);

function awsCalls(): number {
  return s3.calls().length + cognito.calls().length;
}

type Handler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2>;

interface Figures {
  readonly scenario: string;
  readonly requests: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly callsPerRequest: string;
}

/** Runs the requests one after the other with stdout muted (the handlers log to it), timing each. */
async function measure(
  scenario: string,
  handler: Handler,
  events: APIGatewayProxyEventV2WithJWTAuthorizer[],
  expectedStatus: number,
  beforeEach: () => void = () => undefined,
): Promise<Figures> {
  const durations: number[] = [];
  const calls: number[] = [];
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (const event of events) {
      beforeEach();
      const before = awsCalls();
      const start = process.hrtime.bigint();
      const response = await handler(event);
      durations.push(Number(process.hrtime.bigint() - start) / 1e6);
      calls.push(awsCalls() - before);
      if (response.statusCode !== expectedStatus) {
        throw new Error(`${scenario}: expected ${expectedStatus}, got ${response.statusCode} ${response.body}`);
      }
    }
  } finally {
    process.stdout.write = write;
  }
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const least = Math.min(...calls);
  const most = Math.max(...calls);
  return {
    scenario,
    requests: events.length,
    p50: at(0.5),
    p95: at(0.95),
    mean: durations.reduce((sum, d) => sum + d, 0) / durations.length,
    callsPerRequest: least === most ? String(least) : `${least}-${most}`,
  };
}

function tokenOf(n: number): string {
  return `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLSR7bn0ifQ.signature-${n}`;
}

/** A request of a user (`sub`) with a token. */
function post(n: number, token: string, subject: string): APIGatewayProxyEventV2WithJWTAuthorizer {
  return postMessage(admitMessage(`MSG${n}`), { headers: headersWith(token), claims: claimsOf('hospital-a', { sub: subject }) });
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

async function main(): Promise<void> {
  const rows: Figures[] = [];

  // The very first request of a function instance: settings, clients, Powertools, credentials.
  const first = createIngestHandler();
  rows.push(await measure('ingest, first request of an instance', first, [post(0, tokenOf(0), 'first-user')], 201));

  const ingest: Handler = createIngestHandler({ clock });
  await measure('warm-up', ingest, range(1, WARM_UP).map((n) => post(n, tokenOf(n), `warm-up-${n}`)), 201);

  // Cold caller: a token and a user the instance has never seen (GetId + GetCredentialsForIdentity + PutObject).
  rows.push(await measure('ingest, cold caller (new user, new token)', ingest,
    range(10_000, REQUESTS).map((n) => post(n, tokenOf(n), `user-${n}`)), 201));

  // A known user with a new token (e.g. after an hour, or an attribute change): GetCredentialsForIdentity + PutObject.
  await measure('warm-up', ingest, [post(1, tokenOf(20_000), 'returning-user')], 201);
  rows.push(await measure('ingest, known user, new token', ingest,
    range(20_001, REQUESTS).map((n) => post(n, tokenOf(n), 'returning-user')), 201));

  // Warm, inside the TTL: the same token again and again: PutObject only.
  const warmToken = tokenOf(30_000);
  await measure('warm-up', ingest, range(0, WARM_UP).map((n) => post(n, warmToken, 'warm-user')), 201);
  rows.push(await measure(`ingest, warm inside the TTL (${DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS} s)`, ingest,
    range(30_001, REQUESTS).map((n) => post(n, warmToken, 'warm-user')), 201));

  // Warm, after the TTL: the same token, each request a TTL after the previous exchange, so the
  // identity pool is asked again (GetCredentialsForIdentity; the identity id is remembered) + PutObject.
  const ttlMs = DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS * 1000;
  rows.push(await measure('ingest, warm after the TTL (identity pool asked again)', ingest,
    range(40_001, REQUESTS).map((n) => post(n, warmToken, 'warm-user')), 201, () => { skippedMs += ttlMs; }));

  // Rejected before any AWS call.
  rows.push(await measure('ingest, invalid message (400)', ingest,
    range(0, REQUESTS).map(() => postMessage('not an HL7 message', { headers: headersWith(warmToken) })), 400));

  const read: Handler = createReadHandler({ clock });
  const id = messageIdFor('MSG1', ADMISSIONS);
  await measure('warm-up', read, range(0, WARM_UP).map(() => getMessage(id, { headers: headersWith(warmToken) })), 200);
  rows.push(await measure('read, warm (cached credentials)', read,
    range(0, REQUESTS).map(() => getMessage(id, { headers: headersWith(warmToken) })), 200));

  const table = rows.map((row) => ({
    'scenario': row.scenario,
    'requests': row.requests,
    'p50 ms': row.p50.toFixed(3),
    'p95 ms': row.p95.toFixed(3),
    'mean ms': row.mean.toFixed(3),
    'AWS calls / request': row.callsPerRequest,
  }));
  console.log(`Handlers with mocked AWS (no network time), Node ${process.version}, ${REQUESTS} requests per row.`);
  console.table(table);
  const inside = rows.find((row) => row.scenario.startsWith('ingest, warm inside'));
  const after = rows.find((row) => row.scenario.startsWith('ingest, warm after'));
  console.log(`Warm ingest makes ${inside?.callsPerRequest} AWS call(s) per request inside the credential cache TTL (PutObject)`
    + ` and ${after?.callsPerRequest} after it (GetCredentialsForIdentity + PutObject).`);
  s3.restore();
  cognito.restore();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
