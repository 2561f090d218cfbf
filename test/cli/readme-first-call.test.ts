import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { generate } from 'otplib';
import { lakeOutputs } from './support/run-cli';
import { FakeUserPool, claimsOfToken } from './try/support/fake-user-pool';
import { startLocalApi, type LocalApi } from './try/support/local-api';
import { run } from '../../src/cli/main';
import type { Terminal } from '../../src/cli/terminal';
import { HANDLER_ENVIRONMENT } from '../runtime/support/handler-environment';

/*
 * The README's "First call", replayed: its shell blocks run in bash as written. `npx` is a stand-in
 * that hands each command to this test: `cdk bootstrap` and `cdk deploy` are recorded (no AWS here)
 * and the deploy writes the outputs file a real deploy writes; `cdk-health-data-lake` is the REAL
 * tool, run in this process against a fake user pool (SRP, new password, TOTP set-up and sign-in,
 * refresh token rotation) and the stack's outputs. `curl` is the real curl, against the lake's REAL
 * handlers on a local port. The test plays Alice at her terminal and reads the emails Cognito sends.
 */
const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = readme.split('\n### First call: from `cdk deploy` to a stored message\n')[1].split('\n### ')[0];
/** The shell blocks of the section, in order, without the indentation of the numbered list. */
const script = [...section.matchAll(/^( *)```sh\n([\s\S]*?)^\1```/gm)]
  .map(([, indent, block]) => block.split('\n').map((line) => line.slice(indent.length)).join('\n'))
  .join('\n');
/** The stack of the README's Usage example. */
const usageStack = /new Stack\(app, '([^']+)'\)/.exec(readme.split('\n## Usage\n')[1])![1];

const USER_POOL_ID = 'eu-west-1_InstPool1';
const CLIENT_ID = 'firstcallclient0000000000';
const TEMPORARY = 'Emailed-Temporary-1!';
const ALICE_PASSWORD = 'Alice-Permanent-Password-1!';
const ENGINE_PASSWORD = 'Engine-Permanent-Password-1!';

const NPX_STAND_IN = `#!/usr/bin/env node
const fs = require('fs');
const http = require('http');
let stdin = '';
try { stdin = fs.readFileSync(0, 'utf8'); } catch {}
const request = http.request(process.env.README_REPLAY_SERVER, { method: 'POST' }, (response) => {
  let text = '';
  response.on('data', (chunk) => { text += chunk; });
  response.on('end', () => {
    const { stdout, stderr, code } = JSON.parse(text);
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    process.exitCode = code;
  });
});
request.end(JSON.stringify({ argv: process.argv.slice(2), env: process.env, stdin, cwd: process.cwd() }));
`;

interface ToolRun { readonly argv: string[]; readonly code: number; readonly stderr: string; readonly asked: string[] }

let api: LocalApi;
let pool: FakeUserPool;
let cloudFormation: ReturnType<typeof mockClient>;
let server: Server;
let folder: string;
let nowMs = Date.UTC(2026, 0, 5, 9, 0, 0);
const cdkCalls: string[][] = [];
const toolRuns: ToolRun[] = [];
let bash: { code: number | null; stdout: string; stderr: string };
const savedEnvironment = { ...process.env };

/** Alice at her terminal: the emailed password, her own one twice, the code her app shows for the new secret. */
async function alice(question: string): Promise<string> {
  if (question.startsWith('Password of alice@example.org')) return TEMPORARY;
  if (/choose a permanent password|The same password again/.test(question)) return ALICE_PASSWORD;
  const secret = /secret=([A-Z2-7]+)&/.exec(question)?.[1];
  if (secret !== undefined) return generate({ secret, epoch: Math.floor(nowMs / 1000) });
  throw new Error(`Alice was asked something the README does not say: ${question}`);
}

async function runTool(argv: string[], env: Record<string, string>, stdin: string): Promise<{ stdout: string; stderr: string; code: number }> {
  nowMs += 31_000; // the steps are at least a TOTP period apart
  let stdout = '';
  let stderr = '';
  const asked: string[] = [];
  const lines = stdin.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const terminal: Terminal = {
    env,
    // A person types the answers when nothing comes on stdin and no option gives them.
    interactive: stdin === '' && !argv.some((arg) => /^--(password|new-password|refresh|totp|code)/.test(arg)),
    readLine: async () => lines.shift(),
    ask: async (question) => { asked.push(question); return alice(question); },
    now: () => new Date(nowMs),
  };
  const code = await run(argv, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; }, terminal });
  toolRuns.push({ argv, code, stderr, asked });
  // Cognito's invitation email: the temporary password of every user just created.
  for (const user of pool.users.values()) if (user.password === undefined) user.password = TEMPORARY;
  return { stdout, stderr, code };
}

beforeAll(async () => {
  Object.assign(process.env, HANDLER_ENVIRONMENT);
  api = await startLocalApi(CLIENT_ID);
  pool = new FakeUserPool(CognitoIdentityProviderClient, { userPoolId: USER_POOL_ID, clientId: CLIENT_ID, mfaRequired: true, now: () => nowMs });
  cloudFormation = mockClient(CloudFormationClient);
  const outputs = lakeOutputs('Lake', { ApiUrl: api.url.replace(/\/$/, ''), UserPoolId: USER_POOL_ID, UserPoolClientId: CLIENT_ID });
  cloudFormation.on(DescribeStacksCommand, { StackName: usageStack }).resolves({
    Stacks: [{ StackName: usageStack, CreationTime: new Date(0), StackStatus: 'CREATE_COMPLETE', Outputs: outputs }],
  });

  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    request.on('end', () => void (async () => {
      const { argv, env, stdin, cwd } = JSON.parse(body) as { argv: string[]; env: Record<string, string>; stdin: string; cwd: string };
      let result = { stdout: '', stderr: `npx: ${argv[0]} is not part of the replay\n`, code: 127 };
      if (argv[0] === 'cdk') {
        cdkCalls.push(argv.slice(1));
        const file = argv.indexOf('--outputs-file');
        if (argv[1] === 'deploy' && file > 0) {
          // What `cdk deploy --outputs-file` writes: the outputs of each deployed stack, by stack name.
          const values = Object.fromEntries(outputs.map((output) => [output.OutputKey!, output.OutputValue!]));
          writeFileSync(join(cwd, argv[file + 1]), JSON.stringify({ [argv[2]]: values }, null, 2));
        }
        result = { stdout: '', stderr: '', code: 0 };
      } else if (argv[0] === 'cdk-health-data-lake') {
        result = await runTool(argv.slice(1), env, stdin);
      }
      response.end(JSON.stringify(result));
    })());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  folder = mkdtempSync(join(tmpdir(), 'first-call-'));
  mkdirSync(join(folder, 'bin'));
  writeFileSync(join(folder, 'bin', 'npx'), NPX_STAND_IN);
  chmodSync(join(folder, 'bin', 'npx'), 0o755);
  writeFileSync(join(folder, 'first-call.sh'), script);
  bash = await new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', 'first-call.sh'], {
      cwd: folder,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: `${join(folder, 'bin')}:${process.env.PATH}`,
        HOME: folder,
        README_REPLAY_SERVER: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        TEMPORARY_PASSWORD: TEMPORARY,
        ENGINE_PASSWORD,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}, 120_000);

afterAll(async () => {
  server?.close();
  await api?.close();
  pool?.mock.restore();
  cloudFormation?.restore();
  if (folder) rmSync(folder, { recursive: true, force: true });
  process.env = savedEnvironment;
});

describe('GIVEN the README\'s First call, run as written', () => {
  test('THEN the script ends with exit 0 and every call of the tool succeeded', () => {
    expect(script).toContain('npx cdk deploy');
    expect(bash.code).toBe(0);
    expect(bash.stderr).not.toMatch(/error/i);
    expect(toolRuns.map((toolRun) => [toolRun.argv.join(' '), toolRun.code])).toEqual(toolRuns.map((toolRun) => [toolRun.argv.join(' '), 0]));
  });

  test('THEN it bootstraps, then deploys the stack of the Usage example, whose outputs the tool reads', () => {
    expect(cdkCalls).toEqual([['bootstrap'], ['deploy', usageStack, '--outputs-file', 'outputs.json']]);
    for (const toolRun of toolRuns) expect(toolRun.argv.slice(0, 2)).toEqual(['--stack', usageStack]);
  });

  test('THEN Alice\'s first sign-in answered the challenges at her terminal: the secret shown once, passwords hidden', () => {
    const aliceToken = toolRuns.find((toolRun) => toolRun.argv.includes('token') && toolRun.argv.includes('alice@example.org'))!;
    expect(aliceToken.asked.map((question) => question.split('\n')[0])).toEqual([
      'Password of alice@example.org: ',
      'First sign-in of alice@example.org: choose a permanent password (14+ characters, upper and lower case, digits, symbols): ',
      'The same password again: ',
      'TOTP set-up of alice@example.org. Add this secret to an authenticator app now (it is not shown again):',
    ]);
    const alicesAccount = pool.find('alice@example.org')!;
    expect(alicesAccount).toMatchObject({ status: 'CONFIRMED', password: ALICE_PASSWORD });
    expect(aliceToken.asked[3]).toContain(`secret=${alicesAccount.totpSecret}&`);
  });

  test('THEN curl stored Alice\'s message for her institute, tagged with its source', () => {
    expect(bash.stdout.split('\n')).toContain('Created alice@example.org: reads hospital-a, writes hospital-a.');
    const answer = /\{"id":[^}]*\}/.exec(bash.stdout)![0]; // curl prints the API's answer without a line end
    expect(JSON.parse(answer)).toMatchObject({ controlId: 'NG-ADT-0001734', institute: 'hospital-a', status: 'received' });
    const stored = [...api.bucket.objects.entries()];
    expect(stored).toHaveLength(1);
    expect(stored[0][0]).toMatch(/^hospital-a\//);
    expect(stored[0][1].tagging).toContain('source=hospital-a');
    expect(api.requests).toEqual(['POST /messages -> 201']);
  });

  test('THEN the interface engine signed in without a person, refreshed with a rotated token, and signed in again with its kept secret', () => {
    const engineRuns = toolRuns.filter((toolRun) => toolRun.argv.includes('token') && !toolRun.argv.includes('alice@example.org'));
    expect(engineRuns.map((toolRun) => toolRun.asked)).toEqual([[], [], []]);
    const session = JSON.parse(readFileSync(join(folder, 'session.json'), 'utf8'));
    expect(session).toMatchObject({ email: 'engine@example.org', challenges: ['SOFTWARE_TOKEN_MFA'], totpUri: null });
    expect(claimsOfToken(session.idToken)).toMatchObject({ 'email': 'engine@example.org', 'custom:write': 'hospital-a' });
    const engine = pool.find('engine@example.org')!;
    expect(engine).toMatchObject({ status: 'CONFIRMED', password: ENGINE_PASSWORD });
    expect(engine.totpSecret).toBeDefined();
    // The first refresh token was rotated out; the one the refresh returned and the last sign-in's are valid.
    expect([...pool.refreshTokens.values()].filter((user) => user === engine)).toHaveLength(2);
  });
});
