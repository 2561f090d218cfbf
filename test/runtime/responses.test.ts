import {
  acceptsHl7Acknowledgment,
  acknowledgmentFor,
  errorResponse,
  failure,
  FAILURE_KINDS,
  hl7Response,
  internalErrorResponse,
  invalidMessage,
  kindOf,
} from '../../src/runtime/responses';

describe('responses', () => {
  test('GIVEN a failure WHEN answered THEN JSON { error: { code, message, retryable } } with its status and safe headers', () => {
    const response = errorResponse(failure('DUPLICATE_MESSAGE', 'Duplicate message.'));

    expect(response).toEqual({
      statusCode: 409,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
      body: '{"error":{"code":"DUPLICATE_MESSAGE","message":"Duplicate message.","retryable":false}}',
      isBase64Encoded: false,
    });
  });

  test('GIVEN an HL7 validation code WHEN answered THEN 400, not retryable, acknowledged AR', () => {
    const failed = invalidMessage('MISSING_VERSION', 'MSH-12 (version id) is empty.');

    expect(failed).toEqual({ status: 400, code: 'MISSING_VERSION', message: 'MSH-12 (version id) is empty.', retryable: false });
    expect(acknowledgmentFor(failed)).toBe('AR');
    expect(kindOf(failed).metric).toBe('InvalidMessages');
  });

  test('GIVEN the catalogue WHEN read THEN 4xx are never retryable except a write conflict, a duplicate is acknowledged AA, and 5xx are AE', () => {
    for (const [code, kind] of Object.entries(FAILURE_KINDS)) {
      if (kind.status >= 500) {
        expect({ code, acknowledgment: kind.acknowledgment }).toEqual({ code, acknowledgment: 'AE' });
        expect({ code, retryable: kind.retryable }).toEqual({ code, retryable: !['INTERNAL_ERROR', 'STORE_REJECTED', 'IDENTITY_POOL_REFUSED'].includes(code) });
      } else {
        expect({ code, retryable: kind.retryable }).toEqual({ code, retryable: code === 'WRITE_CONFLICT' });
      }
    }
    // A duplicate is accepted (it is stored already), so that the sender's queue moves on.
    expect(acknowledgmentFor(failure('DUPLICATE_MESSAGE', 'x.'))).toBe('AA');
    expect(acknowledgmentFor(failure('NOT_AN_ID_TOKEN', 'x.'))).toBe('AR');
    expect(acknowledgmentFor(failure('MESSAGE_ID_TOO_LONG', 'x.'))).toBe('AR');
    expect(acknowledgmentFor(failure('NO_WRITE_INSTITUTE', 'x.'))).toBe('AR');
    expect(acknowledgmentFor(failure('INVALID_INSTITUTE_NAME', 'x.'))).toBe('AR');
    expect(acknowledgmentFor({ status: 502, code: 'SOMETHING_NEW', message: 'x.', retryable: true })).toBe('AE');
  });

  test('GIVEN an HL7 body WHEN answered THEN its content type is x-application/hl7-v2+er7', () => {
    expect(hl7Response(201, 'MSH|...').headers?.['content-type']).toBe('x-application/hl7-v2+er7');
  });

  test('GIVEN an internal error WHEN answered THEN 500 with a generic sentence', () => {
    const body = JSON.parse(internalErrorResponse().body!);

    expect(body.error).toEqual({ code: 'INTERNAL_ERROR', message: expect.stringMatching(/internal error\.$/), retryable: false });
  });

  test.each([
    [undefined, false],
    ['', false],
    ['application/json', false],
    ['*/*', false],
    ['x-application/hl7-v2+er7', true],
    ['X-Application/HL7-V2+ER7', true],
    ['application/json;q=0.9, x-application/hl7-v2+er7;q=1', true],
    [' x-application/hl7-v2+er7 ; charset=utf-8', true],
    ['x-application/hl7-v2+er7;q=0', false],
    ['x-application/hl7-v2+er7;q=0.0', false],
    ['x-application/hl7-v2+er7;q=nonsense', false],
    ['x-application/hl7-v2+er7x', false],
  ])('GIVEN accept %p WHEN negotiated THEN an HL7 acknowledgment is wanted: %p', (accept, wanted) => {
    expect(acceptsHl7Acknowledgment(accept)).toBe(wanted);
  });
});
