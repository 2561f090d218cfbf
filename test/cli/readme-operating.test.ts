import * as fs from 'fs';
import * as path from 'path';
import { AdminCreateUserCommand, AdminUserGlobalSignOutCommand } from '@aws-sdk/client-cognito-identity-provider';
import { cognito, givenStack, runCli } from './support/run-cli';

/**
 * The README's "Operating the lake" section shows sessions of the tool (`$ npx cdk-health-data-lake ...`
 * followed by what it prints). Each is replayed here against the same mocked AWS as the tool's tests, so
 * the README shows what the tool really prints.
 */
const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const section = readme.split('\n## Operating the lake\n')[1].split('\n## ')[0];
const sessions = [...section.matchAll(/```console\n([\s\S]*?)```/g)].flatMap(([, block]) =>
  block.split(/^\$ /m).filter(Boolean).map((run) => {
    const [command, ...printed] = run.trimEnd().split('\n');
    return { command, printed: printed.join('\n') };
  }));

describe('GIVEN the README\'s sessions of the operator\'s tool', () => {
  // The reader's environment names the region, as the README says (the standard AWS chain).
  const region = process.env.AWS_REGION;
  beforeAll(() => { process.env.AWS_REGION = 'eu-west-1'; });
  afterAll(() => { if (region === undefined) delete process.env.AWS_REGION; else process.env.AWS_REGION = region; });

  test('THEN there are sessions to replay, each a call of the tool', () => {
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    for (const { command } of sessions) expect(command).toMatch(/^npx cdk-health-data-lake /);
  });

  test.each(sessions.map((session) => [session.command, session]))('WHEN `%s` runs THEN it prints what the README shows', async (_command, { command, printed }) => {
    givenStack();
    // Cognito answers AdminCreateUser with the user it created, attributes included.
    cognito.on(AdminCreateUserCommand).callsFake((input) => ({ User: { Username: '4f1c0a2e', Attributes: input.UserAttributes } }));
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});

    const result = await runCli(command.replace(/^npx cdk-health-data-lake /, '').split(/\s+/));

    expect({ code: result.code, printed: (result.stdout + result.stderr).trimEnd() }).toEqual({ code: 0, printed });
  });
});
