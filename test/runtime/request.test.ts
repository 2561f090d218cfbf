import { bearerToken, claimedInstitute, exceedsSize, instituteClaim, headerValue, headOf, pathParameter, requestIdOf, subjectOf } from '../../src/runtime/request';

const withClaims = (claims: unknown) => ({ requestContext: { authorizer: { jwt: { claims } } } });

describe('reading a request', () => {
  test('GIVEN headers in any letter case WHEN read THEN they are found', () => {
    expect(headerValue({ headers: { accept: 'a' } }, 'Accept')).toBe('a');
    expect(headerValue({ headers: { ACCEPT: 'b' } }, 'accept')).toBe('b');
    expect(headerValue({ headers: { accept: 7 } }, 'accept')).toBeUndefined();
    expect(headerValue({ headers: null }, 'accept')).toBeUndefined();
    expect(headerValue({ headers: ['accept'] }, 'accept')).toBeUndefined();
  });

  test.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER    abc', 'abc'],
    ['  abc  ', 'abc'],
    ['abc', 'abc'],
    ['', undefined],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Bearer a b', undefined],
    ['Basic dXNlcg==', undefined],
  ])('GIVEN authorization %p WHEN the token is read THEN it is %p', (authorization, token) => {
    expect(bearerToken({ headers: { authorization } })).toBe(token);
  });

  test('GIVEN no authorization header WHEN the token is read THEN there is none', () => {
    expect(bearerToken({ headers: {} })).toBeUndefined();
    expect(bearerToken({})).toBeUndefined();
  });

  test.each([
    ['hospital-a', 'hospital-a'],
    ['a+b=c', 'a+b=c'],
    ['Hôpital Nord', 'Hôpital Nord'],
    ['a&source=b', undefined],
    ['St. Mary\'s', undefined],
    ['', undefined],
    ['   ', undefined],
    ['a/b', undefined],
    ['a\nb', undefined],
    [7, undefined],
    [true, undefined],
    [['hospital-a'], undefined],
    [{ name: 'hospital-a' }, undefined],
    [null, undefined],
  ])('GIVEN a claim %p WHEN the institute is read THEN it is %p', (value, institute) => {
    expect(claimedInstitute(withClaims({ 'custom:write': value }), 'custom:write')).toBe(institute);
  });

  test.each([
    ['hospital-a', { institute: 'hospital-a' }],
    ['', {}],
    [7, {}],
    [undefined, {}],
    ['a&b', { problem: 'has "&" (U+0026) at position 2, which AWS session tags and S3 object tags do not allow' }],
    [' a', { problem: 'starts with a space, which is hard to see and makes a second spelling of the institute' }],
  ])('GIVEN a claim %p WHEN read THEN it names an institute, none, or says why it is outside the rule', (value, expected) => {
    expect(instituteClaim(withClaims({ 'custom:read': value }), 'custom:read')).toEqual(expected);
  });

  test('GIVEN claims inherited from the prototype or missing parts WHEN read THEN no institute', () => {
    expect(claimedInstitute(withClaims({}), 'toString')).toBeUndefined();
    expect(claimedInstitute(withClaims(undefined), 'custom:write')).toBeUndefined();
    expect(claimedInstitute({ requestContext: { authorizer: null } }, 'custom:write')).toBeUndefined();
    expect(claimedInstitute({}, 'custom:write')).toBeUndefined();
  });

  test('GIVEN the other parts of an event WHEN read THEN only well-typed values come back', () => {
    expect(subjectOf(withClaims({ sub: 'u-1' }))).toBe('u-1');
    expect(subjectOf(withClaims({ sub: 1 }))).toBeUndefined();
    expect(requestIdOf({ requestContext: { requestId: 'r-1' } })).toBe('r-1');
    expect(requestIdOf({ requestContext: { requestId: 1 } })).toBeUndefined();
    expect(pathParameter({ pathParameters: { id: 'x' } }, 'id')).toBe('x');
    expect(pathParameter({ pathParameters: { id: ['x'] } }, 'id')).toBeUndefined();
    expect(pathParameter({ pathParameters: null }, 'id')).toBeUndefined();
  });

  test('GIVEN bodies around the limit WHEN their size is estimated without decoding THEN only larger ones exceed it', () => {
    const limit = 300;
    const at = 'x'.repeat(limit);
    const over = 'x'.repeat(limit + 1);
    expect(exceedsSize({ text: at, isBase64Encoded: false }, limit)).toBe(false);
    expect(exceedsSize({ text: over, isBase64Encoded: false }, limit)).toBe(true);
    expect(exceedsSize({ text: 'é'.repeat(limit / 2 + 1), isBase64Encoded: false }, limit)).toBe(true);
    expect(exceedsSize({ text: Buffer.from(at).toString('base64'), isBase64Encoded: true }, limit)).toBe(false);
    expect(exceedsSize({ text: Buffer.from(over + 'xxx').toString('base64'), isBase64Encoded: true }, limit)).toBe(true);
    expect(exceedsSize({ text: undefined, isBase64Encoded: false }, limit)).toBe(false);
  });

  test('GIVEN a body WHEN its head is read THEN at most the first kilobytes are decoded', () => {
    const text = 'MSH|^~\\&|' + 'x'.repeat(10_000);
    expect(headOf({ text, isBase64Encoded: false })).toHaveLength(4096);
    expect(headOf({ text: Buffer.from(text).toString('base64'), isBase64Encoded: true })).toBe(text.slice(0, 3072));
    expect(headOf({ text: undefined, isBase64Encoded: true })).toBeUndefined();
  });
});
