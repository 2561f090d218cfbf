import { progressReporter } from '../../src/cli/output';
import { parseInstitute } from '../../src/cli/users/users';
import { INSTITUTE_NAME_MAX_LENGTH, assignableInstituteNameProblem, instituteNameProblem } from '../../src/contracts/institute-name';
import { claimedInstitute } from '../../src/runtime/request';

function claimOf(value: unknown): string | undefined {
  return claimedInstitute({ requestContext: { authorizer: { jwt: { claims: { 'custom:write': value } } } } }, 'custom:write');
}

function acceptedByTool(value: string): boolean {
  try {
    parseInstitute(value);
    return true;
  } catch {
    return false;
  }
}

describe('one institute-name rule', () => {
  test.each([
    'A', 'St. Mary\'s Hospital', 'Institut für Pathologie', ' padded ', 'x'.repeat(INSTITUTE_NAME_MAX_LENGTH),
    '', '   ', 'a/b', '/', 'a\u0000b', 'a\nb', 'a\u007fb', 'x'.repeat(INSTITUTE_NAME_MAX_LENGTH + 1),
  ])('GIVEN %j WHEN the tool and the handlers check it THEN the tool sets only names the handlers accept, by the shared rule', (value) => {
    const accepted = instituteNameProblem(value) === undefined;
    expect(claimOf(value)).toBe(accepted ? value : undefined);
    expect(acceptedByTool(value)).toBe(accepted && value.length <= INSTITUTE_NAME_MAX_LENGTH);
  });

  test('GIVEN the user pool attribute limit WHEN a name is one longer THEN the rule says so', () => {
    expect(assignableInstituteNameProblem('x'.repeat(256))).toBeUndefined();
    expect(assignableInstituteNameProblem('x'.repeat(257))).toBe('must be at most 256 characters (it has 257)');
    expect(assignableInstituteNameProblem('a/b')).toBe('must not contain "/"');
    expect(instituteNameProblem(42)).toBe('must be a string');
  });
});

describe('progress', () => {
  afterEach(() => jest.useRealTimers());

  test('GIVEN a step longer than a second WHEN it ends THEN its message and "done" are on stderr; a quick step prints nothing', async () => {
    jest.useFakeTimers();
    let stderr = '';
    const progress = progressReporter({ stdout: () => undefined, stderr: (text) => { stderr += text; } });

    await progress.step('Quick', async () => 'ok');
    expect(stderr).toBe('');

    let finish: (value: string) => void = () => undefined;
    const slow = progress.step('Listing users', () => new Promise<string>((resolve) => { finish = resolve; }));
    jest.advanceTimersByTime(1001);
    expect(stderr).toBe('Listing users ...');
    finish('ok');
    await expect(slow).resolves.toBe('ok');
    expect(stderr).toBe('Listing users ... done\n');
  });
});
