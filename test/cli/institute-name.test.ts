import * as fc from 'fast-check';
import { progressReporter } from '../../src/cli/output';
import { parseInstitute } from '../../src/cli/users/users';
import { INSTITUTE_NAME_MAX_LENGTH, instituteNameProblem } from '../../src/contracts/institute-name';
import { claimedInstitute } from '../../src/runtime/request';
import { lakeStack } from '../support/stacks';
import { onlyResource, templateOf } from '../support/template';

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

/** STS session tag values (Tag.Value of AssumeRole*; also S3's tag pattern): at most 256 characters. */
const STS_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** S3 object tag values: letters, digits, spaces and + - = . _ : / @, at most 256 (counted in UTF-16). */
const S3_TAG_VALUE = /^[\p{L}\p{Nd} +\-=._:/@]*$/u;

const ACCEPTED = [
  'A', 'hospital-a', 'St. Marys', 'Hôpital Saint-Louis', '病院', 'Institut für Pathologie', 'Ελληνικό Νοσοκομείο',
  'Maryʼs', // U+02BC, a modifier letter, not the apostrophe
  'مستشفى ١٢٣', 'a+b=c@d:e_f.g-h', 'two  spaces', 'x'.repeat(INSTITUTE_NAME_MAX_LENGTH), '𠀀'.repeat(INSTITUTE_NAME_MAX_LENGTH / 2),
];

describe('one institute-name rule: what STS session tags and S3 object tags accept', () => {
  test.each([
    ['St. Mary\'s', 'has "\'" (U+0027) at position 9, which AWS session tags and S3 object tags do not allow'],
    ['a*b', 'has "*" (U+002A) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['A#1', 'has "#" (U+0023) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['A,B', 'has "," (U+002C) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['Clinic 🏥', 'has "🏥" (U+1F3E5) at position 8, which AWS session tags and S3 object tags do not allow'],
    ['a\u200bb', 'has the invisible format character U+200B at position 2, which AWS session tags and S3 object tags do not allow'],
    ['a\u00a0b', 'has the white-space character U+00A0 (not the ordinary space) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['a\tb', 'has the control character U+0009 at position 2, which AWS session tags and S3 object tags do not allow'],
    ['Ho\u0302pital', 'has the combining mark U+0302 at position 3, which AWS session tags and S3 object tags do not allow'],
    ['x²', 'has "²" (U+00B2) at position 2, which AWS session tags and S3 object tags do not allow'],
    ['a/b', 'has "/" at position 2, which would put its messages\' keys inside another institute\'s prefix'],
    ['Hospital ', 'ends with a space (position 9), which is hard to see and makes a second spelling of the institute'],
    [' Hospital', 'starts with a space, which is hard to see and makes a second spelling of the institute'],
    ['   ', 'starts with a space, which is hard to see and makes a second spelling of the institute'],
    ['', 'is empty'],
    ['x'.repeat(257), 'is 257 characters long, above the 256 that session tags, S3 object tags and the user pool attribute hold'],
    ['𠀀'.repeat(129), 'is 258 characters long in UTF-16 (129 characters), above the 256 that session tags, S3 object tags and the user pool attribute hold'],
    ['\u212b', 'has "\u212b" (U+212B) at position 1, which Unicode normalization (NFC) writes as "Å" (U+00C5); write it as "Å" so that the institute has one spelling'],
    ['\u1112\u1161\u11ab', 'is not written in Unicode normalization form C; write it as "한" so that the institute has one spelling'],
  ])('GIVEN %j WHEN checked THEN the rule says which character and why', (value, problem) => {
    expect(instituteNameProblem(value)).toBe(problem);
    expect(acceptedByTool(value)).toBe(false);
    expect(claimOf(value)).toBeUndefined();
  });

  test.each(ACCEPTED)('GIVEN %j WHEN checked THEN the tool sets it and the handlers accept it', (value) => {
    expect(instituteNameProblem(value)).toBeUndefined();
    expect(parseInstitute(value)).toBe(value);
    expect(claimOf(value)).toBe(value);
  });

  test('GIVEN any string WHEN the rule accepts it THEN STS and S3 accept it as a tag value, it has no "/", no space at an end, and is NFC', () => {
    const characters = fc.oneof(
      fc.constantFrom(' ', '\u00a0', '\u200b', '\u3000', '/', '\'', '*', '#', ',', '&', '%', '\t', '\u0301', '\u212b', '²', '🏥', 'é', '病', '@', '+', '='),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.constantFrom('a', 'B', '7'),
    );
    fc.assert(fc.property(fc.array(characters, { maxLength: 300 }).map((parts) => parts.join('')), (value) => {
      if (instituteNameProblem(value) !== undefined) return;
      expect(value).toMatch(STS_TAG_VALUE);
      expect(value).toMatch(S3_TAG_VALUE);
      expect(value.length).toBeGreaterThan(0);
      expect(value.length).toBeLessThanOrEqual(256);
      expect(value).not.toContain('/');
      expect(value.trim()).toBe(value);
      expect(value.normalize('NFC')).toBe(value);
    }), { numRuns: 2000 });
  });

  test('GIVEN a value that is not a string WHEN checked THEN it is no institute name', () => {
    expect(instituteNameProblem(42)).toBe('is not a string');
    expect(instituteNameProblem(undefined)).toBe('is not a string');
  });

  test('GIVEN the construct WHEN synthesized THEN its institute attributes hold exactly the longest name of the rule', () => {
    const { stack } = lakeStack();
    const schema: { Name: string; StringAttributeConstraints?: { MinLength?: string; MaxLength?: string } }[] =
      onlyResource(templateOf(stack), 'AWS::Cognito::UserPool').Properties.Schema;
    const institutes = schema.filter((attribute) => attribute.Name === 'read' || attribute.Name === 'write');
    expect(institutes.map((attribute) => attribute.StringAttributeConstraints)).toEqual([
      { MinLength: '1', MaxLength: String(INSTITUTE_NAME_MAX_LENGTH) },
      { MinLength: '1', MaxLength: String(INSTITUTE_NAME_MAX_LENGTH) },
    ]);
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
