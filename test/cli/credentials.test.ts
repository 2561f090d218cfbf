import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { STACK, cloudFormation, runCli } from './support/run-cli';

// The real CloudFormation client (no mock), so the SDK's own credential and region chain runs and fails
// before any request leaves the machine.
beforeAll(() => cloudFormation.restore());

describe('GIVEN the real AWS credential chain with no credentials', () => {
  const saved = { ...process.env };
  let folder: string;
  beforeEach(() => {
    // The credential chain reads only an empty profile folder.
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'no-credentials-'));
    fs.writeFileSync(path.join(folder, 'config'), '[profile empty]\nregion = eu-west-1\n');
    fs.writeFileSync(path.join(folder, 'credentials'), '');
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('AWS_')) delete process.env[name];
    }
    process.env.AWS_CONFIG_FILE = path.join(folder, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(folder, 'credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterEach(() => {
    process.env = { ...saved };
    fs.rmSync(folder, { recursive: true, force: true });
  });

  test('GIVEN a profile without credentials WHEN reading the stack THEN exit 1 saying how to give credentials', async () => {
    const result = await runCli(['--stack', STACK, '--profile', 'empty', 'users', 'list']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: No AWS credentials were found: give --profile NAME, set AWS_PROFILE or AWS_ACCESS_KEY_ID, or sign in with `aws sso login`.\n',
    });
  });

  test('GIVEN no region anywhere WHEN reading the stack THEN exit 2 saying how to set one', async () => {
    const result = await runCli(['--stack', STACK, 'users', 'list']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: No AWS region is set: give --region, set AWS_REGION, or set a region in the profile.\n');
  });
});
