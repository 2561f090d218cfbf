/**
 * Runs `try` end to end, in a Node.js process of its own: commander and otplib are ES modules that
 * Jest's module system cannot load (Node.js itself can), so the test starts this script with
 * ts-node and reads the JSON file it writes (the results of the named cases).
 *
 * Each case gets a fresh lake: the REAL handlers on a local HTTP API, a fake user pool, and the
 * `try` command registered on a real commander program, called as `cdk-health-data-lake try ...`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { CognitoIdentityProviderClient, TooManyRequestsException } from '@aws-sdk/client-cognito-identity-provider';
import type { Command as CommandType } from 'commander' with { 'resolution-mode': 'import' };
import { FakeUserPool } from './fake-user-pool';
import { LocalApi, startLocalApi } from './local-api';
import { registerTryCommand } from '../../../../src/cli/try/command';
import { SAMPLE_USERS, TRY_EMAIL_DOMAIN } from '../../../../src/cli/try/sample-users';
import type { DeployedLake } from '../../../../src/contracts/lake-outputs';
import { BUCKET_NAME, HANDLER_ENVIRONMENT, READ_CLAIM, WRITE_CLAIM } from '../../../runtime/support/handler-environment';

// commander is an ES module: Node.js (20.19 and later) requires it; TypeScript's CommonJS output may not import it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Command } = require('commander') as { Command: typeof CommandType };

export const USER_POOL_ID = 'eu-west-1_InstPool1';
export const CLIENT_ID = 'tryappclient0000000000000';

/** One run of the command. */
export interface RunResult {
  readonly args: string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly progress: string[];
  readonly sleptMs: number;
}

/** A case: its runs and the state of the pool and the bucket afterwards. */
export interface CaseResult {
  readonly runs: RunResult[];
  readonly poolEmails: string[];
  readonly attributes: Record<string, Record<string, string>>;
  readonly bucketKeys: string[];
}

interface Lake {
  readonly api: LocalApi;
  readonly pool: FakeUserPool;
  run(args: string[], lakeOverrides?: Partial<DeployedLake>): Promise<RunResult>;
}

async function startLake(mfaRequired: boolean): Promise<Lake> {
  const api = await startLocalApi(CLIENT_ID);
  // 10 s before a TOTP step ends, so that the second sign-in has to wait for the next code.
  let nowMs = Date.UTC(2024, 0, 2, 3, 4, 20);
  const cognito = new CognitoIdentityProviderClient({ region: 'eu-west-1' });
  const pool = new FakeUserPool(cognito, { userPoolId: USER_POOL_ID, clientId: CLIENT_ID, mfaRequired, now: () => nowMs });

  const run = async (args: string[], lakeOverrides: Partial<DeployedLake> = {}): Promise<RunResult> => {
    let stdout = '';
    let stderr = '';
    let sleptMs = 0;
    const progress: string[] = [];
    const lake: DeployedLake = {
      stackName: 'LakeStack',
      region: 'eu-west-1',
      outputPrefix: 'Lake',
      apiUrl: api.url,
      userPoolId: USER_POOL_ID,
      userPoolClientId: CLIENT_ID,
      identityPoolId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
      bucketName: BUCKET_NAME,
      lakeName: 'health-data-lake',
      readClaim: READ_CLAIM,
      writeClaim: WRITE_CLAIM,
      revocationDelaySeconds: 60,
      ...lakeOverrides,
    };
    const program = new Command('cdk-health-data-lake').option('--json', 'print JSON').exitOverride();
    registerTryCommand(program, async () => ({
      lake,
      deps: {
        cognito,
        fetch: (url, init) => fetch(url, init),
        clock: {
          now: () => new Date(nowMs),
          sleep: async (ms) => {
            sleptMs += ms;
            nowMs += ms;
          },
        },
        random: (size) => randomBytes(size),
        progress: (line) => progress.push(line),
      },
      json: program.opts().json === true,
      out: (text) => { stdout += text; },
      err: (text) => { stderr += text; },
    }));
    process.exitCode = undefined;
    await program.parseAsync(['node', 'cdk-health-data-lake', ...args]);
    const exitCode = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return { args, exitCode, stdout, stderr, progress, sleptMs };
  };
  return { api, pool, run };
}

const throttled = () => new TooManyRequestsException({ message: 'Too many requests', $metadata: { httpStatusCode: 429 } });

/** The cases the test asks for, by name. */
const CASES: Record<string, (lake: (mfaRequired: boolean) => Promise<Lake>) => Promise<{ lake: Lake; runs: RunResult[] }>> = {
  'mfa-required': async (start) => {
    const lake = await start(true);
    return { lake, runs: [await lake.run(['try'])] };
  },
  'json': async (start) => {
    const lake = await start(true);
    return { lake, runs: [await lake.run(['--json', 'try'])] };
  },
  'mfa-off': async (start) => {
    const lake = await start(false);
    return { lake, runs: [await lake.run(['try'])] };
  },
  'wrong-write-claim': async (start) => {
    const lake = await start(true);
    return { lake, runs: [await lake.run(['try'], { writeClaim: 'custom:institute' })] };
  },
  'cleanup': async (start) => {
    const lake = await start(true);
    const first = await lake.run(['try']);
    lake.pool.addUser('alice@hospital-a.example', { [READ_CLAIM]: 'hospital-a' });
    lake.pool.addUser('try-someone@example.com'); // the prefix alone is not enough
    lake.pool.addUser(`try-admin@${TRY_EMAIL_DOMAIN}`); // nor the domain alone
    return { lake, runs: [first, await lake.run(['try', '--cleanup'])] };
  },
  'cleanup-nothing': async (start) => {
    const lake = await start(true);
    lake.pool.addUser('alice@hospital-a.example');
    return { lake, runs: [await lake.run(['try', '--cleanup'])] };
  },
  'run-cleanup-run': async (start) => {
    const lake = await start(false);
    return { lake, runs: [await lake.run(['try']), await lake.run(['try', '--cleanup']), await lake.run(['try'])] };
  },
  'earlier-run': async (start) => {
    const lake = await start(true);
    lake.pool.addUser(SAMPLE_USERS.aReader.email);
    return { lake, runs: [await lake.run(['try'])] };
  },
  'throttled-create': async (start) => {
    const lake = await start(true);
    let creations = 0;
    lake.pool.failures.set('AdminCreateUser', () => (++creations === 3 ? throttled() : undefined));
    return { lake, runs: [await lake.run(['try'])] };
  },
  'access-denied-create': async (start) => {
    const lake = await start(true);
    const denied = new Error('User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cognito-idp:AdminCreateUser');
    denied.name = 'AccessDeniedException';
    lake.pool.failures.set('AdminCreateUser', () => denied);
    return { lake, runs: [await lake.run(['try'])] };
  },
  'throttled-delete': async (start) => {
    const lake = await start(false);
    const first = await lake.run(['try']);
    lake.pool.failures.set('AdminDeleteUser', throttled);
    return { lake, runs: [first, await lake.run(['try', '--cleanup'])] };
  },
};

async function main(outputFile: string, names: string[]): Promise<void> {
  Object.assign(process.env, HANDLER_ENVIRONMENT);
  const results: Record<string, CaseResult> = {};
  for (const name of names) {
    const runCase = CASES[name];
    if (!runCase) throw new Error(`unknown case ${name}`);
    const { lake, runs } = await runCase((mfaRequired) => startLake(mfaRequired));
    results[name] = {
      runs,
      poolEmails: lake.pool.emails(),
      attributes: Object.fromEntries([...lake.pool.users.values()].map((user) => [user.attributes.email, user.attributes])),
      bucketKeys: [...lake.api.bucket.objects.keys()].sort(),
    };
    lake.pool.mock.restore();
    await lake.api.close();
  }
  writeFileSync(outputFile, JSON.stringify(results));
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
