/**
 * The lake's HTTP API on a local port: the REAL ingest and read handlers behind a node:http server
 * that plays API Gateway (routes, payload format 2.0) and its JWT authorizer (a token must decode
 * and name the app client as its audience, else 401 as API Gateway answers; its claims are passed
 * on). AWS behind the handlers: an identity pool double and an in-memory bucket with S3's
 * conditional writes (test/runtime/support).
 */
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { claimsOfToken } from './fake-user-pool';
import { createIngestHandler } from '../../../../src/runtime/ingest.lambda';
import { createReadHandler } from '../../../../src/runtime/read.lambda';
import { getMessage, postMessage } from '../../../runtime/support/api-events';
import { accessKeyIdOf, ConditionalWriteBucket, identityPoolIssuing } from '../../../runtime/support/aws-doubles';
import { recordingTelemetry } from '../../../runtime/support/telemetry';

export interface LocalApi {
  readonly url: string;
  readonly bucket: ConditionalWriteBucket;
  /** Every request as `METHOD path -> status`. */
  readonly requests: string[];
  close(): Promise<void>;
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Starts the API; the handler environment must be installed (`useHandlerEnvironment`). */
export async function startLocalApi(clientId: string): Promise<LocalApi> {
  const s3 = mockClient(S3Client);
  const identity = mockClient(CognitoIdentityClient);
  identityPoolIssuing(identity);
  const bucket = new ConditionalWriteBucket(1);
  s3.on(PutObjectCommand).callsFake(async (input, getClient) => bucket.putObject(input, await accessKeyIdOf(getClient())));
  s3.on(GetObjectCommand).callsFake(async (input) => bucket.getObject(String(input.Key)));
  const telemetry = recordingTelemetry();
  const ingest = createIngestHandler({ telemetry: () => telemetry });
  const read = createReadHandler({ telemetry: () => telemetry });
  const requests: string[] = [];

  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = (request.url ?? '/').split('?')[0];
      const reply = (result: APIGatewayProxyStructuredResultV2) => {
        requests.push(`${request.method} ${path} -> ${result.statusCode}`);
        // One connection a request: a kept-alive socket that sat idle through a slow step (a loaded CI
        // machine) can be reset by the server's timeout checks just as the client reuses it (ECONNRESET).
        response.writeHead(result.statusCode ?? 500, { ...(result.headers ?? {}) as Record<string, string>, connection: 'close' });
        response.end(result.body ?? '');
      };
      const body = await bodyOf(request);
      const authorization = request.headers.authorization ?? '';
      const token = authorization.replace(/^Bearer\s+/i, '');
      const claims = claimsOfToken(token);
      if (!claims || claims.aud !== clientId) {
        reply({ statusCode: 401, headers: { 'content-type': 'application/json' }, body: '{"message":"Unauthorized"}' });
        return;
      }
      const headers = {
        authorization: authorization,
        ...(request.headers['content-type'] ? { 'content-type': request.headers['content-type'] } : {}),
      };
      if (request.method === 'POST' && path === '/messages') {
        reply(await ingest(postMessage(body, { claims, headers })));
        return;
      }
      const read_ = /^\/messages\/([^/]+)$/.exec(path);
      if (request.method === 'GET' && read_) {
        reply(await read(getMessage(decodeURIComponent(read_[1]), { claims, headers })));
        return;
      }
      reply({ statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' });
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    bucket,
    requests,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      s3.restore();
      identity.restore();
    },
  };
}
