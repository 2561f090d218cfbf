/**
 * Reading what a caller sent through the HTTP API (payload format 2.0, JWT authorizer): headers,
 * the bearer token, the institute claims and the size of the body.
 *
 * Pure: no AWS imports. Every function accepts hostile input (missing parts, wrong types) and
 * answers `undefined` rather than throwing.
 */
import { instituteNameProblem } from '../contracts/institute-name';

/** The HTTP event parts the handlers read. Everything is optional: nothing is trusted blindly. */
export interface ApiRequest {
  readonly body?: unknown;
  readonly isBase64Encoded?: unknown;
  readonly headers?: unknown;
  readonly pathParameters?: unknown;
  readonly requestContext?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A header value; header names are matched without regard to letter case. */
export function headerValue(request: ApiRequest, name: string): string | undefined {
  const headers = request.headers;
  if (!isRecord(headers)) {
    return undefined;
  }
  const wanted = name.toLowerCase();
  const exact = headers[wanted];
  if (typeof exact === 'string') {
    return exact;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') {
      return value;
    }
  }
  return undefined;
}

const BEARER_PREFIX = /^bearer\s+/i;

/**
 * The caller's ID token: the `authorization` header without an optional `Bearer ` prefix.
 * `undefined` when missing, empty or not a single token.
 */
export function bearerToken(request: ApiRequest): string | undefined {
  const authorization = headerValue(request, 'authorization');
  if (authorization === undefined) {
    return undefined;
  }
  const token = authorization.trim().replace(BEARER_PREFIX, '');
  if (token.length === 0 || /\s/.test(token) || /^bearer$/i.test(token)) {
    return undefined;
  }
  return token;
}

/** The verified claims of the caller's ID token, as the JWT authorizer passed them on. */
export function tokenClaims(request: ApiRequest): Record<string, unknown> | undefined {
  const context = request.requestContext;
  if (!isRecord(context) || !isRecord(context.authorizer)) {
    return undefined;
  }
  const jwt = context.authorizer.jwt;
  if (!isRecord(jwt) || !isRecord(jwt.claims)) {
    return undefined;
  }
  return jwt.claims;
}

/**
 * What a claim (`custom:read` or `custom:write`) says about an institute:
 * - `{}`: none. A missing, empty or non-string claim names no institute (a missing attribute means
 *   no access, never all access);
 * - `{ institute }`: an institute name by the rule of src/contracts/institute-name.ts;
 * - `{ problem }`: a string outside the rule (which STS would refuse as a session tag), with why,
 *   as the rest of a sentence whose subject is the claim.
 */
export function instituteClaim(request: ApiRequest, claimName: string): { readonly institute?: string; readonly problem?: string } {
  const claims = tokenClaims(request);
  if (!claims || !Object.prototype.hasOwnProperty.call(claims, claimName)) {
    return {};
  }
  const value = claims[claimName];
  if (typeof value !== 'string' || value.length === 0) {
    return {};
  }
  const problem = instituteNameProblem(value);
  return problem === undefined ? { institute: value } : { problem };
}

/** The institute named by a claim, or `undefined` when it names none or is outside the rule (see {@link instituteClaim}). */
export function claimedInstitute(request: ApiRequest, claimName: string): string | undefined {
  return instituteClaim(request, claimName).institute;
}

/**
 * Whether the verified token is a Cognito ID token (`token_use` is `id`). The JWT authorizer also
 * lets the app client's access tokens through (it checks their `client_id` as the audience); they
 * carry no institute attributes and are not what the identity pool exchanges, so they are refused.
 */
export function isIdToken(request: ApiRequest): boolean {
  return tokenClaims(request)?.token_use === 'id';
}

/** The `sub` claim: the caller's stable user id. */
export function subjectOf(request: ApiRequest): string | undefined {
  const subject = tokenClaims(request)?.sub;
  return typeof subject === 'string' && subject.length > 0 ? subject : undefined;
}

/** The request id API Gateway gave the request, if any. */
export function requestIdOf(request: ApiRequest): string | undefined {
  const context = request.requestContext;
  if (!isRecord(context) || typeof context.requestId !== 'string' || context.requestId.length === 0) {
    return undefined;
  }
  return context.requestId;
}

/** A path parameter, e.g. `id` of `GET /messages/{id}`. */
export function pathParameter(request: ApiRequest, name: string): string | undefined {
  const parameters = request.pathParameters;
  if (!isRecord(parameters)) {
    return undefined;
  }
  const value = parameters[name];
  return typeof value === 'string' ? value : undefined;
}

/** The raw body as API Gateway delivered it. */
export interface RawBody {
  readonly text: string | undefined;
  readonly isBase64Encoded: boolean;
}

/** The body and whether API Gateway base64-encoded it. A non-string body counts as missing. */
export function rawBodyOf(request: ApiRequest): RawBody {
  return {
    text: typeof request.body === 'string' ? request.body : undefined,
    isBase64Encoded: request.isBase64Encoded === true,
  };
}

/**
 * An upper bound of the size in bytes of a body once decoded, computed without decoding it:
 * three bytes per four base64 characters, or the UTF-8 length of a text body. The UTF-8 length is
 * only measured when the string is short enough for it to matter, so a huge body costs nothing.
 */
export function exceedsSize(body: RawBody, maxBytes: number): boolean {
  const text = body.text;
  if (text === undefined) {
    return false;
  }
  if (body.isBase64Encoded) {
    return Math.floor((text.length * 3) / 4) > maxBytes + 2; // + 2: padding is not data
  }
  if (text.length > maxBytes) {
    return true; // every UTF-16 code unit is at least one UTF-8 byte
  }
  return Buffer.byteLength(text, 'utf8') > maxBytes;
}

/** Characters of a body's head that are enough to find its MSH segment and control id. */
const HEAD_CHARACTERS = 4096;

/**
 * The first few kilobytes of a body, decoded on a best-effort basis, for reading the control id of
 * a message that is too large or not valid. Never throws; never decodes more than the head.
 */
export function headOf(body: RawBody): string | undefined {
  const text = body.text;
  if (text === undefined) {
    return undefined;
  }
  try {
    if (body.isBase64Encoded) {
      const head = text.slice(0, HEAD_CHARACTERS - (HEAD_CHARACTERS % 4));
      return Buffer.from(head, 'base64').toString('utf8');
    }
    return text.slice(0, HEAD_CHARACTERS);
  } catch {
    return undefined;
  }
}
