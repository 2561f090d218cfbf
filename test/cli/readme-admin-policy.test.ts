import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { WITH_STACK, cloudFormation, cognito, givenStack, runCli } from './support/run-cli';

/*
 * The administrator's IAM policy of the README's "First call" is exactly what the tool calls with
 * AWS credentials: every AWS SDK command the tool's sources send, less the operations Cognito takes
 * without credentials (the user's own sign-in calls), as the SDK itself marks them.
 */
const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const firstCall = readme.split('\n### First call: from `cdk deploy` to a stored message\n')[1].split('\n### ')[0];
const policyBlock = /^( *)```json\n([\s\S]*?)^\1```/m.exec(firstCall)!;
const policy = JSON.parse(policyBlock[2]) as { Statement: Array<{ Effect: string; Action: string[]; Resource: string }> };
const policyActions = policy.Statement.flatMap((statement) => statement.Action).sort();

const SERVICES: Record<string, string> = { 'cognito-identity-provider': 'cognito-idp', 'cloudformation': 'cloudformation' };

/** The operations a Cognito user pools client sends without AWS credentials, read from the SDK. */
function unauthenticatedOperations(): Set<string> {
  const sdk = readFileSync(require.resolve('@aws-sdk/client-cognito-identity-provider'), 'utf8');
  return new Set([...sdk.matchAll(/case "(\w+)":\s*\{\s*options\.push\(createSmithyApiNoAuthHttpAuthOption\(\)\)/g)].map(([, name]) => name));
}

function sourcesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const file = join(folder, name);
    return statSync(file).isDirectory() ? sourcesUnder(file) : file.endsWith('.ts') ? [file] : [];
  });
}

/** The IAM actions of the AWS SDK commands the sources import, as `service:Operation`, with or without credentials. */
function commandsOf(files: string[]): { signed: string[]; unsigned: string[] } {
  const unauthenticated = unauthenticatedOperations();
  const signed = new Set<string>();
  const unsigned = new Set<string>();
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const [, names, client] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([\w-]+)'/g)) {
      for (const [, operation] of names.matchAll(/\b(\w+)Command\b/g)) {
        const service = SERVICES[client];
        if (service === undefined) throw new Error(`${file} sends ${operation} of ${client}: add it to the policy test`);
        (service === 'cognito-idp' && unauthenticated.has(operation) ? unsigned : signed).add(`${service}:${operation}`);
      }
    }
  }
  return { signed: [...signed].sort(), unsigned: [...unsigned].sort() };
}

describe('GIVEN the administrator\'s IAM policy in the README', () => {
  test('THEN it allows exactly the signed calls of the tool\'s sources (users, try and the stack lookup)', () => {
    const { signed } = commandsOf(sourcesUnder(join(root, 'src', 'cli')));

    expect(policyActions).toEqual(signed);
    expect(new Set(policyActions).size).toBe(policyActions.length);
  });

  test('THEN try\'s calls are the three the README names for it', () => {
    const { signed } = commandsOf(sourcesUnder(join(root, 'src', 'cli', 'try')));

    expect(signed).toEqual(['cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:ListUsers']);
    expect(firstCall).toContain('`try` needs `AdminCreateUser`, `ListUsers` and `AdminDeleteUser` of them.');
  });

  test('THEN users token signs in with calls Cognito takes without AWS credentials only', () => {
    const { signed, unsigned } = commandsOf([join(root, 'src', 'cli', 'users', 'token.ts'), join(root, 'src', 'cli', 'try', 'sign-in.ts')]);

    expect(signed).toEqual([]);
    expect(unsigned).toEqual(['cognito-idp:AssociateSoftwareToken', 'cognito-idp:GetTokensFromRefreshToken', 'cognito-idp:InitiateAuth',
      'cognito-idp:RespondToAuthChallenge', 'cognito-idp:VerifySoftwareToken']);
  });

  test('THEN each statement allows, and names the stack or the user pool as its resource', () => {
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      const services = new Set(statement.Action.map((action) => action.split(':')[0]));
      expect(services.size).toBe(1);
      expect(statement.Resource).toMatch(services.has('cloudformation')
        ? /^arn:aws:cloudformation:[a-z0-9-]+:\d{12}:stack\/HealthDataLake\*$/
        : /^arn:aws:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[a-z0-9-]+_\w+$/);
    }
  });

  test('WHEN every users command runs THEN each call it sends is one the policy allows', async () => {
    const sent = new Set<string>();
    const record = () => {
      for (const [service, calls] of [['cognito-idp', cognito.calls()], ['cloudformation', cloudFormation.calls()]] as const) {
        for (const call of calls) sent.add(`${service}:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`);
      }
    };
    const email = ['--email', 'alice@example.org'];
    const runs: string[][] = [
      ['users', 'create', ...email, '--read', 'A'], ['users', 'set-institutes', ...email, '--read', 'B', '--no-write'],
      ['users', 'disable', ...email], ['users', 'enable', ...email], ['users', 'sign-out', ...email], ['users', 'list'],
      ['users', 'delete', ...email, '--yes'],
    ];
    for (const args of runs) {
      givenStack();
      cognito.on(AdminCreateUserCommand).resolves({});
      cognito.on(AdminUpdateUserAttributesCommand).resolves({});
      cognito.on(AdminDeleteUserAttributesCommand).resolves({});
      cognito.on(AdminDisableUserCommand).resolves({});
      cognito.on(AdminEnableUserCommand).resolves({});
      cognito.on(AdminUserGlobalSignOutCommand).resolves({});
      cognito.on(AdminDeleteUserCommand).resolves({});
      cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'u', Attributes: [{ Name: 'email', Value: 'alice@example.org' }] }] });
      expect((await runCli([...WITH_STACK, ...args])).code).toBe(0);
      record();
    }
    // A stack without lake outputs: the tool looks for a nested stack that has them.
    givenStack([]);
    cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    await runCli([...WITH_STACK, 'users', 'list']);
    record();

    expect([...sent].sort()).toEqual(policyActions);
  });
});
