/**
 * The security controls of a lake, each checked against its synthesized template: what the template
 * shows in place (`met`), weakened or missing (`not-met`, a finding), or leaves to the account's
 * operator (`operator`), with the logical ids and property paths a reviewer can look up.
 *
 * Every status is derived from the template. A resource the app imported (its own bucket, key or
 * VPC, not defined in the template) cannot be checked here: its controls say so and name what the
 * operator must check.
 */
import { referencesOf } from './frameworks';
import type { Control, Evidence, LakeInTemplate, TemplateResource } from './model';
import {
  appliesToEveryone, conditionIs, conditionKeys, conditionValue, coversActions, evidenceOf, flatten, FoundResource,
  listOf, LocatedStatement, mentions, refersTo, statementsAt, valueAt,
} from './template-reading';
import { isLakeResourceMetadata, LAKE_METADATA_KEY, LakePart } from '../../contracts/lake-metadata';
import { READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG } from '../../contracts/principal-tags';
import { countOf } from '../../contracts/wording';
import {
  DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS, HandlerEnvironment, MAX_CREDENTIAL_CACHE_TTL_SECONDS, METRICS_NAMESPACE, SOURCE_TAG,
} from '../../runtime/handler-environment';

type Status = Control['status'];
type Category = Control['category'];

/**
 * Shortest password for a user who also has a second factor, and for one who has none (NIST SP
 * 800-63B-4, 3.1.1.2: at least 15 characters for a password used alone, at least 8 for one used in
 * multi-factor authentication).
 */
export const MIN_PASSWORD_LENGTH = { withMfa: 8, withoutMfa: 15 };
/** Longest validity of a temporary password, in days (Cognito's default; it arrives by email). */
export const MAX_TEMPORARY_PASSWORD_DAYS = 7;
/**
 * Longest validity of ID and access tokens, in minutes: Cognito's default. A revoked token passes the
 * API's authorizer until it expires, so a longer one keeps a signed-out user's session open longer.
 */
export const MAX_SESSION_TOKEN_MINUTES = 60;
/**
 * Shortest retention of the lake's logs, in days: one year, the lake's default (and the twelve months
 * of active storage that OMB M-21-31 asks of federal agencies' logs).
 */
export const MIN_LOG_RETENTION_DAYS = 365;

/** The actions a gate on the objects must cover to mean anything: reading and writing a message. */
const OBJECT_ACCESS = ['s3:GetObject', 's3:PutObject'];
/** What the handlers need from the Cognito Identity endpoint (its policy should allow no more). */
const COGNITO_IDENTITY_EXCHANGE = ['cognito-identity:GetId', 'cognito-identity:GetCredentialsForIdentity'];
const RETAGGING = ['s3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'];
const MFA_FACTORS: Record<string, string> = {
  SOFTWARE_TOKEN_MFA: 'an authenticator app (TOTP)',
  SMS_MFA: 'SMS',
  EMAIL_OTP: 'email',
};

/** One control before its framework references are attached. */
interface Check {
  readonly id: string;
  readonly category: Category;
  readonly title: string;
  readonly status: Status;
  readonly detail: string;
  readonly evidence: readonly Evidence[];
}

/** Every control of the lake, in a stable order (identity, data protection, network, audit). */
export function checkControls(lake: LakeInTemplate): Control[] {
  const template = new LakeTemplate(lake);
  const checks: Check[] = [
    adminOnlyUsers(template),
    mfaRequired(template),
    passwordPolicy(template),
    instituteAttributeWriters(template),
    apiAuthorizer(template),
    tokenLifetimes(template),
    revocationDelay(template),
    threatProtection(template),
    noUnauthenticatedIdentities(template),
    instituteRoleTrust(template),
    identityPoolProviders(template),
    identityPoolRoleMapping(template),
    principalTagMapping(template),
    userPoolTriggers(template),
    appClients(template),
    dataKey(template),
    bucketEncryption(template),
    refusedEncryptionTypes(template),
    tlsOnly(template),
    versioning(template),
    publicAccessBlock(template),
    retentionOnDeletion(template),
    tagsSetOnce(template),
    handlersInLakeSubnets(template),
    isolatedSubnets(template),
    s3Endpoint(template),
    cognitoIdentityEndpoint(template),
    apiOnlyGate(template),
    s3AccessLogs(template),
    vpcFlowLogs(template),
    apiAccessLogs(template),
    logRetention(template),
    logEncryption(template),
    cloudTrail(template),
    configurationMonitoring(template),
    backups(template),
    incidentResponse(template),
  ];
  return checks.map((check) => ({ ...check, references: referencesOf(check.id) }));
}

/** The lake's resources in its template, found by part, by type and by reference. */
class LakeTemplate {
  public readonly file: string;
  private readonly resources: Record<string, TemplateResource>;

  constructor(public readonly lake: LakeInTemplate) {
    this.file = lake.stack.file;
    this.resources = lake.stack.template.Resources ?? {};
  }

  /** A named part of the lake, when it is in the template (not when the app imported it). */
  public part(part: LakePart): FoundResource | undefined {
    const logicalId = this.lake.parts[part];
    const resource = logicalId === undefined ? undefined : this.resources[logicalId];
    return resource && logicalId ? { logicalId, resource } : undefined;
  }

  /** The lake's resources of a type, by logical id. */
  public lakeResourcesOfType(type: string): FoundResource[] {
    return this.lake.resources
      .filter((logicalId) => this.resources[logicalId]?.Type === type)
      .map((logicalId) => ({ logicalId, resource: this.resources[logicalId] }));
  }

  /** Every resource of a type in the whole template (the app's too), by logical id. */
  public allOfType(type: string): FoundResource[] {
    return Object.keys(this.resources).sort()
      .filter((logicalId) => this.resources[logicalId]?.Type === type)
      .map((logicalId) => ({ logicalId, resource: this.resources[logicalId] }));
  }

  /** The resources of the template that are a part of any lake (this one's and the others'), by logical id. */
  public partsOfEveryLake(part: LakePart): FoundResource[] {
    return Object.keys(this.resources).sort()
      .filter((logicalId) => {
        const metadata = this.resources[logicalId]?.Metadata?.[LAKE_METADATA_KEY];
        return isLakeResourceMetadata(metadata) && metadata.lakes.some((membership) => membership.part === part);
      })
      .map((logicalId) => ({ logicalId, resource: this.resources[logicalId] }));
  }

  /** The resource a value refers to (`Ref` or `Fn::GetAtt`), when it is in the template. */
  public referenced(value: unknown): FoundResource | undefined {
    return Object.keys(this.resources).sort()
      .filter((logicalId) => refersTo(value, logicalId))
      .map((logicalId) => ({ logicalId, resource: this.resources[logicalId] }))[0];
  }

  /** The statement of a policy that shows a control, or the policy's statements when none does; nothing without a policy. */
  public statementEvidence(policy: FoundResource | undefined, statement: LocatedStatement | undefined): Evidence[] {
    if (!policy) return [];
    return [this.evidence(policy, statement ? statement.property : 'Properties.PolicyDocument.Statement')];
  }

  public evidence(found: FoundResource, property: string): Evidence {
    // A resource the app created in another template (its own bucket in a parent stack) is cited there.
    return evidenceOf(this.lake.otherFiles?.[found.logicalId] ?? this.file, found, property);
  }

  /** The lake's two handlers that are in the template. */
  public handlers(): FoundResource[] {
    return (['ingest-function', 'read-function'] as const).map((part) => this.part(part)).filter(isDefined);
  }
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

function sentenceList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

function notInTemplate(id: string, category: Category, title: string, what: string, operatorTask: string): Check {
  return { id, category, title, status: 'operator', detail: `${what} is not in the template (imported by the app). ${operatorTask}`, evidence: [] };
}

function adminOnlyUsers(t: LakeTemplate): Check {
  const id = 'identity.admin-only-users';
  const title = 'Only administrators create users: there is no self sign-up.';
  const pool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The user pool', 'Check that it refuses self sign-up.');
  const path = 'Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly';
  const adminOnly = valueAt(pool.resource, path) === true;
  return {
    id,
    category: 'identity',
    title,
    status: adminOnly ? 'met' : 'not-met',
    detail: adminOnly
      ? 'The user pool allows only administrators to create users (AdminCreateUser); each user is one person, identified by their email address.'
      : 'The user pool lets anyone sign up: a stranger gets an account, and every account is one attribute change away from an institute.',
    evidence: [t.evidence(pool, path), t.evidence(pool, 'Properties.UsernameAttributes')],
  };
}

function mfaRequired(t: LakeTemplate): Check {
  const id = 'identity.mfa-required';
  const title = 'Every user signs in with a second factor (MFA required).';
  const pool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The user pool', 'Check that it requires MFA.');
  const configuration = valueAt(pool.resource, 'Properties.MfaConfiguration');
  const factors = listOf(valueAt(pool.resource, 'Properties.EnabledMfas')).map((factor) => MFA_FACTORS[String(factor)] ?? String(factor));
  const required = configuration === 'ON' && factors.length > 0;
  const setting = configuration === undefined ? 'not set (Cognito then turns MFA off)' : JSON.stringify(configuration);
  return {
    id,
    category: 'identity',
    title,
    status: required ? 'met' : 'not-met',
    detail: required
      ? `MFA is required at every sign-in, with ${sentenceList(factors)}.`
      : `MFA is ${setting} in the user pool, not ON: a stolen password alone signs a user in.`,
    evidence: [t.evidence(pool, 'Properties.MfaConfiguration'), t.evidence(pool, 'Properties.EnabledMfas')],
  };
}

function passwordPolicy(t: LakeTemplate): Check {
  const id = 'identity.password-policy';
  const title = 'Passwords are long, use every character class, and temporary passwords expire soon.';
  const pool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The user pool', 'Check its password policy.');
  const base = 'Properties.Policies.PasswordPolicy';
  const policy = (valueAt(pool.resource, base) ?? {}) as Record<string, unknown>;
  const withMfa = valueAt(pool.resource, 'Properties.MfaConfiguration') === 'ON';
  const minimum = withMfa ? MIN_PASSWORD_LENGTH.withMfa : MIN_PASSWORD_LENGTH.withoutMfa;
  // Cognito's defaults when the template leaves a setting out.
  const length = typeof policy.MinimumLength === 'number' ? policy.MinimumLength : 8;
  const temporaryDays = typeof policy.TemporaryPasswordValidityDays === 'number' ? policy.TemporaryPasswordValidityDays : 7;
  const classes = [['RequireLowercase', 'lower case'], ['RequireUppercase', 'upper case'], ['RequireNumbers', 'digits'], ['RequireSymbols', 'symbols']];
  const required = classes.filter(([key]) => policy[key] === true).map(([, name]) => name);
  const missing = classes.filter(([key]) => policy[key] !== true).map(([, name]) => name);
  const shortfalls = [
    ...length < minimum ? [`a minimum length of ${length}, below ${minimum} (NIST SP 800-63B-4 for a password ${withMfa ? 'with' : 'without'} a second factor)`] : [],
    ...missing.length > 0 ? [`no requirement of ${sentenceList(missing)}`] : [],
    ...temporaryDays > MAX_TEMPORARY_PASSWORD_DAYS ? [`temporary passwords valid ${countOf(temporaryDays, 'day')}, above ${MAX_TEMPORARY_PASSWORD_DAYS}`] : [],
  ];
  return {
    id,
    category: 'identity',
    title,
    status: shortfalls.length === 0 ? 'met' : 'not-met',
    detail: shortfalls.length === 0
      ? `Passwords have at least ${length} characters with ${sentenceList(required)}; temporary passwords are valid ${countOf(temporaryDays, 'day')}.`
      : `The password policy has ${sentenceList(shortfalls)}.`,
    evidence: ['MinimumLength', 'RequireLowercase', 'RequireUppercase', 'RequireNumbers', 'RequireSymbols', 'TemporaryPasswordValidityDays']
      .map((key) => t.evidence(pool, `${base}.${key}`)),
  };
}

/**
 * The ID-token claims that carry the institutes: from the identity pool's principal-tag mapping and
 * the handlers' claim settings, or else every custom attribute of the user pool.
 */
function instituteClaims(t: LakeTemplate, pool: FoundResource): string[] {
  const claims = new Set<string>();
  for (const mapping of t.allOfType('Custom::IdentityPoolPrincipalTags')) {
    // The custom resource's SDK call is JSON with references spliced in (inside strings): they read as `${...}`.
    try {
      const call = JSON.parse(flatten(valueAt(mapping.resource, 'Properties.Create')));
      Object.values(call?.parameters?.PrincipalTags ?? {}).forEach((claim) => claims.add(String(claim)));
    } catch {
      // Not the layout the construct writes: the other sources below still name the claims.
    }
  }
  for (const mapping of t.allOfType('AWS::Cognito::IdentityPoolPrincipalTag')) {
    Object.values((valueAt(mapping.resource, 'Properties.PrincipalTags') ?? {}) as Record<string, unknown>)
      .forEach((claim) => claims.add(String(claim)));
  }
  for (const handler of t.handlers()) {
    for (const variable of [HandlerEnvironment.READ_CLAIM, HandlerEnvironment.WRITE_CLAIM]) {
      const claim = valueAt(handler.resource, `Properties.Environment.Variables.${variable}`);
      if (typeof claim === 'string') claims.add(claim);
    }
  }
  if (claims.size === 0) {
    listOf(valueAt(pool.resource, 'Properties.Schema'))
      .filter((attribute: any) => attribute?.AttributeDataType !== undefined && typeof attribute?.Name === 'string')
      .forEach((attribute: any) => claims.add(`custom:${attribute.Name}`));
  }
  // Standard attributes too: a mapping from `name` or `email` makes them institute attributes, writable by default.
  return [...claims].sort();
}

function instituteAttributeWriters(t: LakeTemplate): Check {
  const id = 'identity.institute-attribute-writers';
  const title = 'No user can change their own institute: no app client of the user pool may write the institute attributes.';
  const pool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The user pool', 'Check that none of its app clients may write the institute attributes.');
  const claims = instituteClaims(t, pool);
  const clients = t.allOfType('AWS::Cognito::UserPoolClient').filter((client) => refersTo(valueAt(client.resource, 'Properties.UserPoolId'), pool.logicalId));
  const writers: string[] = [];
  for (const client of clients) {
    const writable = valueAt(client.resource, 'Properties.WriteAttributes');
    if (!Array.isArray(writable) || writable.length === 0) {
      writers.push(`${client.logicalId} (no WriteAttributes: its users may write every attribute)`);
    } else if (writable.some((attribute) => typeof attribute !== 'string')) {
      writers.push(`${client.logicalId} (WriteAttributes known only at deployment)`);
    } else {
      const institutes = writable.filter((attribute) => claims.includes(attribute));
      if (institutes.length > 0) writers.push(`${client.logicalId} (may write ${sentenceList(institutes)})`);
    }
  }
  const claimEvidence = t.handlers().slice(0, 1).flatMap((handler) => [HandlerEnvironment.READ_CLAIM, HandlerEnvironment.WRITE_CLAIM]
    .map((variable) => t.evidence(handler, `Properties.Environment.Variables.${variable}`)));
  return {
    id,
    category: 'identity',
    title,
    status: claims.length === 0 ? 'not-met' : writers.length === 0 ? 'met' : 'not-met',
    detail: claims.length === 0
      ? 'The template names no institute attribute (no principal-tag mapping, no claim setting of the handlers, no custom attribute), so who may write it cannot be checked.'
      : writers.length === 0
        ? `${clients.length === 1 ? 'The only app client' : `None of the ${clients.length} app clients`} of the user pool in this template `
          + `${clients.length === 1 ? 'may not' : 'may'} write ${sentenceList(claims)}: only administrators can set a user's institutes.`
        : `App clients of the user pool let their users write the institute attributes, so a user could give themselves any institute: ${sentenceList(writers)}.`,
    evidence: [...claimEvidence, ...clients.map((client) => t.evidence(client, 'Properties.WriteAttributes'))],
  };
}

function apiAuthorizer(t: LakeTemplate): Check {
  const id = 'identity.api-authorizer';
  const title = 'Every API route needs an ID token of the lake\'s user pool and app client.';
  const api = t.part('api');
  const authorizer = t.part('authorizer');
  const pool = t.part('user-pool');
  const client = t.part('app-client');
  if (!api || !authorizer) return notInTemplate(id, 'identity', title, 'The API or its authorizer', 'Check that every route requires a token of the lake\'s user pool.');
  const routes = t.lakeResourcesOfType('AWS::ApiGatewayV2::Route').filter((route) => refersTo(valueAt(route.resource, 'Properties.ApiId'), api.logicalId));
  const open = routes.filter((route) => valueAt(route.resource, 'Properties.AuthorizationType') !== 'JWT'
    || !refersTo(valueAt(route.resource, 'Properties.AuthorizerId'), authorizer.logicalId));
  const issuer = valueAt(authorizer.resource, 'Properties.JwtConfiguration.Issuer');
  const audience = listOf(valueAt(authorizer.resource, 'Properties.JwtConfiguration.Audience'));
  const rightIssuer = pool !== undefined && mentions(issuer, pool.logicalId);
  const rightAudience = client !== undefined && audience.length > 0 && audience.every((value) => refersTo(value, client.logicalId));
  const problems = [
    ...open.map((route) => `route ${String(valueAt(route.resource, 'Properties.RouteKey'))} (${route.logicalId}) is not behind the authorizer`),
    ...rightIssuer ? [] : ['the authorizer\'s issuer is not the lake\'s user pool'],
    ...rightAudience ? [] : ['the authorizer\'s audience is not only the lake\'s app client'],
    ...routes.length === 0 ? ['the API has no route in the template'] : [],
  ];
  return {
    id,
    category: 'identity',
    title,
    status: problems.length === 0 ? 'met' : 'not-met',
    detail: problems.length === 0
      ? `Each of the ${routes.length} routes uses the JWT authorizer whose issuer is the lake's user pool and whose audience is its app client.`
      : `${problems.join('; ')}.`.replace(/^./, (first) => first.toUpperCase()),
    evidence: [
      t.evidence(authorizer, 'Properties.JwtConfiguration.Issuer'),
      t.evidence(authorizer, 'Properties.JwtConfiguration.Audience'),
      ...routes.map((route) => t.evidence(route, 'Properties.AuthorizationType')),
    ],
  };
}

/** A token validity in minutes, with Cognito's units and defaults. */
function validityMinutes(client: FoundResource, token: 'IdToken' | 'AccessToken' | 'RefreshToken'): number | undefined {
  const value = valueAt(client.resource, `Properties.${token}Validity`);
  const defaultUnit = token === 'RefreshToken' ? 'days' : 'hours';
  const unit = String(valueAt(client.resource, `Properties.TokenValidityUnits.${token}`) ?? defaultUnit);
  const amount = value === undefined ? (token === 'RefreshToken' ? 30 : 1) : value;
  if (typeof amount !== 'number') return undefined;
  const perUnit: Record<string, number> = { seconds: 1 / 60, minutes: 1, hours: 60, days: 1440 };
  return perUnit[unit] === undefined ? undefined : amount * perUnit[unit];
}

function describeMinutes(minutes: number | undefined): string {
  if (minutes === undefined) return 'unknown (set at deployment)';
  if (minutes >= 1440 && minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes >= 60 && minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function tokenLifetimes(t: LakeTemplate): Check {
  const id = 'identity.token-lifetimes';
  const title = 'Sessions are short: ID and access tokens expire within the hour, refresh tokens rotate, tokens can be revoked.';
  const client = t.part('app-client');
  if (!client) return notInTemplate(id, 'identity', title, 'The app client', 'Check its token validities, refresh token rotation and token revocation.');
  const idToken = validityMinutes(client, 'IdToken');
  const accessToken = validityMinutes(client, 'AccessToken');
  const refreshToken = validityMinutes(client, 'RefreshToken');
  const rotation = valueAt(client.resource, 'Properties.RefreshTokenRotation.Feature') === 'ENABLED';
  // CloudFormation turns revocation on for a new client when the property is left out.
  const revocation = valueAt(client.resource, 'Properties.EnableTokenRevocation') !== false;
  const problems = [
    ...[['ID', idToken], ['access', accessToken]].filter(([, minutes]) => minutes === undefined || (minutes as number) > MAX_SESSION_TOKEN_MINUTES)
      .map(([name, minutes]) => `${name} tokens are valid ${describeMinutes(minutes as number | undefined)}, longer than ${MAX_SESSION_TOKEN_MINUTES} minutes`),
    ...rotation ? [] : ['refresh tokens are not rotated (a stolen one keeps working until it expires)'],
    ...revocation ? [] : ['token revocation is off (signing a user out does not revoke their refresh tokens)'],
  ];
  return {
    id,
    category: 'identity',
    title,
    status: problems.length === 0 ? 'met' : 'not-met',
    detail: problems.length === 0
      ? `${idToken === accessToken ? `ID and access tokens are valid ${describeMinutes(idToken)}` : `ID tokens are valid ${describeMinutes(idToken)}, access tokens ${describeMinutes(accessToken)}`}; refresh tokens ${describeMinutes(refreshToken)} `
        + 'from sign-in, rotated on every refresh; token revocation is on.'
      : `${sentenceList(problems)}.`.replace(/^./, (first) => first.toUpperCase()),
    evidence: ['IdTokenValidity', 'AccessTokenValidity', 'RefreshTokenValidity', 'TokenValidityUnits', 'RefreshTokenRotation', 'EnableTokenRevocation']
      .map((property) => t.evidence(client, `Properties.${property}`)),
  };
}

interface HandlerDelay {
  readonly handler: FoundResource;
  /** The seconds the handler trusts one exchange, when the template states a valid number. */
  readonly seconds?: number;
  /** Why the template does not bound it: `deferred` (known only at deployment) or `invalid`. */
  readonly problem?: { readonly kind: 'deferred' | 'invalid'; readonly text: string };
}

function revocationDelay(t: LakeTemplate): Check {
  const id = 'identity.revocation-delay';
  const title = 'A signed-out or deleted user loses API access within a stated number of seconds.';
  const handlers = t.handlers();
  if (handlers.length === 0) return notInTemplate(id, 'identity', title, 'The lake\'s handlers', 'Check how long they trust an identity-pool exchange.');
  const variable = HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS;
  const path = `Properties.Environment.Variables.${variable}`;
  const delays = handlers.map((handler): HandlerDelay => {
    const raw = valueAt(handler.resource, path);
    // Without the variable the handler uses its default.
    if (raw === undefined) return { handler, seconds: DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS };
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      return { handler, problem: { kind: 'deferred', text: `${handler.logicalId} sets it only at deployment` } };
    }
    const seconds = /^\d+$/.test(String(raw).trim()) ? Number(raw) : NaN;
    if (seconds <= MAX_CREDENTIAL_CACHE_TTL_SECONDS) return { handler, seconds };
    return {
      handler,
      problem: {
        kind: 'invalid',
        text: `${handler.logicalId} sets ${JSON.stringify(raw)}, not a whole number of seconds from 0 to ${MAX_CREDENTIAL_CACHE_TTL_SECONDS} (the handler refuses to start)`,
      },
    };
  });
  const problems = (kind: 'deferred' | 'invalid') => delays.filter((delay) => delay.problem?.kind === kind).map((delay) => delay.problem!.text);
  const longest = Math.max(...delays.map((delay) => delay.seconds ?? 0));
  const status: Status = problems('invalid').length > 0 ? 'not-met' : problems('deferred').length > 0 ? 'operator' : 'met';
  return {
    id,
    category: 'identity',
    title,
    status,
    detail: status === 'met'
      ? `Each handler asks the identity pool again after at most ${countOf(longest, 'second')} (${variable}), `
        + `so a signed-out or deleted user is refused within ${countOf(longest, 'second')}; a disabled user within the ID token's validity, unless also signed out.`
      : status === 'operator'
        ? `The revocation delay is set only at deployment: ${sentenceList(problems('deferred'))}. Check the deployed value.`
        : `The revocation delay is not bounded: ${sentenceList(problems('invalid'))}.`,
    evidence: handlers.map((handler) => t.evidence(handler, path)),
  };
}

function threatProtection(t: LakeTemplate): Check {
  const id = 'identity.threat-protection';
  const title = 'Cognito threat protection blocks risky and compromised-credential sign-ins.';
  const pool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The user pool', 'Check its threat protection mode.');
  const mode = valueAt(pool.resource, 'Properties.UserPoolAddOns.AdvancedSecurityMode');
  const tier = valueAt(pool.resource, 'Properties.UserPoolTier');
  return {
    id,
    category: 'identity',
    title,
    status: mode === 'ENFORCED' ? 'met' : 'not-met',
    detail: mode === 'ENFORCED'
      ? `Threat protection is enforced (feature plan ${String(tier ?? 'not stated')}): Cognito blocks sign-ins it rates risky and passwords known to be compromised.`
      : mode === 'AUDIT'
        ? 'Threat protection only audits: risky sign-ins and compromised passwords are logged, not blocked.'
        : `Threat protection is off (${mode === undefined ? 'not set' : JSON.stringify(mode)}; feature plan ${String(tier ?? 'not stated')}): risky sign-ins are not blocked.`,
    evidence: [t.evidence(pool, 'Properties.UserPoolAddOns.AdvancedSecurityMode'), t.evidence(pool, 'Properties.UserPoolTier')],
  };
}

function noUnauthenticatedIdentities(t: LakeTemplate): Check {
  const id = 'identity.no-unauthenticated-identities';
  const title = 'The identity pool gives credentials to signed-in users of the lake only: no guest identities.';
  const pool = t.part('identity-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The identity pool', 'Check that it allows no unauthenticated identities.');
  const roles = t.part('identity-pool-roles');
  const unauthenticated = valueAt(pool.resource, 'Properties.AllowUnauthenticatedIdentities') !== false;
  const guestRole = roles !== undefined && valueAt(roles.resource, 'Properties.Roles.unauthenticated') !== undefined;
  const classicFlow = valueAt(pool.resource, 'Properties.AllowClassicFlow') === true;
  const providers = listOf(valueAt(pool.resource, 'Properties.CognitoIdentityProviders'));
  const unchecked = providers.filter((provider: any) => provider?.ServerSideTokenCheck !== true).length;
  const problems = [
    ...unauthenticated ? ['it allows unauthenticated identities'] : [],
    ...guestRole ? ['its role attachment names an unauthenticated role'] : [],
    ...classicFlow ? ['it allows the classic (basic) flow, which skips the role attachment\'s rules'] : [],
    ...unchecked > 0 ? [`${unchecked} of its providers skip the server-side token check (signed-out users keep getting credentials)`] : [],
  ];
  return {
    id,
    category: 'identity',
    title,
    status: problems.length === 0 ? 'met' : 'not-met',
    detail: problems.length === 0
      ? 'The identity pool allows no unauthenticated identities and has no unauthenticated role; the classic flow is off and every provider has the server-side token check on.'
      : `The identity pool: ${sentenceList(problems)}.`,
    evidence: [
      t.evidence(pool, 'Properties.AllowUnauthenticatedIdentities'),
      t.evidence(pool, 'Properties.AllowClassicFlow'),
      t.evidence(pool, 'Properties.CognitoIdentityProviders'),
      ...roles ? [t.evidence(roles, 'Properties.Roles')] : [],
    ],
  };
}

/** The only principal the institute role may trust, and what it may do. */
const COGNITO_IDENTITY_PRINCIPAL = 'cognito-identity.amazonaws.com';
const WEB_IDENTITY_TRUST = ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'];

/** Why one Allow statement of the institute role's trust policy lets more in than the lake's signed-in users, or undefined. */
function trustProblem(statement: LocatedStatement['statement'], identityPool: FoundResource | undefined): string | undefined {
  const principal = statement.Principal as Record<string, unknown> | string | undefined;
  const federated = principal && typeof principal === 'object' ? listOf(principal.Federated).map(String) : [];
  const others = principal && typeof principal === 'object'
    ? Object.entries(principal).filter(([kind]) => kind !== 'Federated').flatMap(([kind, value]) => listOf(value).map((entry) => `${kind} ${flatten(entry)}`))
    : [String(principal ?? '(none)')];
  if (statement.NotPrincipal !== undefined) return 'it uses NotPrincipal (every principal but the ones named)';
  if (others.length > 0 || federated.some((entry) => entry !== COGNITO_IDENTITY_PRINCIPAL)) {
    return `it trusts ${sentenceList([...others, ...federated.filter((entry) => entry !== COGNITO_IDENTITY_PRINCIPAL).map((entry) => `Federated ${entry}`)])}`;
  }
  if (statement.NotAction !== undefined) return 'it uses NotAction (every action but the ones named)';
  const extra = listOf(statement.Action).map(String)
    .filter((action) => !WEB_IDENTITY_TRUST.some((allowed) => allowed.toLowerCase() === action.toLowerCase()));
  if (extra.length > 0) return `it allows ${sentenceList(extra)}, beyond sts:AssumeRoleWithWebIdentity and sts:TagSession`;
  const aud = conditionValue(statement, 'StringEquals', `${COGNITO_IDENTITY_PRINCIPAL}:aud`);
  if (aud === undefined || listOf(aud).length !== 1 || !(identityPool ? refersTo(listOf(aud)[0], identityPool.logicalId) : typeof listOf(aud)[0] !== 'string' || !String(listOf(aud)[0]).includes('*'))) {
    return `its StringEquals ${COGNITO_IDENTITY_PRINCIPAL}:aud is ${aud === undefined ? 'missing' : flatten(aud)}, not the lake's identity pool alone (identities of any identity pool could assume the role)`;
  }
  const amr = conditionValue(statement, 'ForAnyValue:StringLike', `${COGNITO_IDENTITY_PRINCIPAL}:amr`)
    ?? conditionValue(statement, 'ForAnyValue:StringEquals', `${COGNITO_IDENTITY_PRINCIPAL}:amr`);
  if (!conditionIs(amr, 'authenticated')) {
    return `its ${COGNITO_IDENTITY_PRINCIPAL}:amr condition is ${amr === undefined ? 'missing' : JSON.stringify(amr)}, not "authenticated" (guest identities could assume the role)`;
  }
  return undefined;
}

function instituteRoleTrust(t: LakeTemplate): Check {
  const id = 'identity.institute-role-trust';
  const title = 'Only signed-in users of the lake\'s identity pool assume the institute role (web identity, session tags), nobody else.';
  const role = t.part('institute-role');
  if (!role) return notInTemplate(id, 'identity', title, 'The institute role', 'Check that its trust policy trusts only cognito-identity.amazonaws.com with aud = the lake\'s identity pool and amr = authenticated.');
  const pool = t.part('identity-pool');
  const statements = statementsAt(role, 'Properties.AssumeRolePolicyDocument').filter(({ statement }) => (statement.Effect ?? 'Allow') === 'Allow');
  const problems = statements.map((located) => ({ located, problem: trustProblem(located.statement, pool) }))
    .filter((entry) => entry.problem !== undefined);
  const status: Status = statements.length > 0 && problems.length === 0 ? 'met' : 'not-met';
  return {
    id,
    category: 'identity',
    title,
    status,
    detail: status === 'met'
      ? `The trust policy of the institute role ${role.logicalId} allows only sts:AssumeRoleWithWebIdentity and sts:TagSession, to ${COGNITO_IDENTITY_PRINCIPAL}, `
        + `with aud = the lake's identity pool${pool ? ` ${pool.logicalId}` : ''} and amr = authenticated.`
      : statements.length === 0
        ? `The trust policy of the institute role ${role.logicalId} has no Allow statement the report can read.`
        : `The trust policy of the institute role ${role.logicalId} lets more than the lake's signed-in users assume it: `
          + `${problems.map(({ located, problem }) => `${located.property} (${problem})`).join('; ')}.`,
    evidence: (problems.length > 0 ? problems.map(({ located }) => located) : statements).map((located) => t.evidence(role, located.property)),
  };
}

/** The identity providers an identity pool accepts besides its Cognito user pools. */
const OTHER_PROVIDER_PROPERTIES = ['SupportedLoginProviders', 'OpenIdConnectProviderARNs', 'SamlProviderARNs', 'DeveloperProviderName', 'CognitoEvents', 'CognitoStreams', 'PushSync'];

function identityPoolProviders(t: LakeTemplate): Check {
  const id = 'identity.identity-pool-providers';
  const title = 'The identity pool accepts only ID tokens of the lake\'s user pool and app client, checked with the user pool at every exchange.';
  const pool = t.part('identity-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The identity pool', 'Check that its only provider is the lake\'s user pool and app client, with the server-side token check on.');
  const userPool = t.part('user-pool');
  const client = t.part('app-client');
  const providers = listOf(valueAt(pool.resource, 'Properties.CognitoIdentityProviders'));
  const problems: string[] = [];
  providers.forEach((provider: any, index) => {
    const ownPool = userPool ? mentions(provider?.ProviderName, userPool.logicalId) : false;
    const ownClient = client ? refersTo(provider?.ClientId, client.logicalId) : false;
    if (!ownPool || !ownClient) {
      problems.push(`provider ${index + 1} (${flatten(provider?.ProviderName)}, client ${flatten(provider?.ClientId)}) is not the lake's user pool and app client`);
    }
    if (provider?.ServerSideTokenCheck !== true) problems.push(`provider ${index + 1} skips the server-side token check`);
  });
  if (providers.length === 0) problems.push('it names no Cognito user pool provider');
  const others = OTHER_PROVIDER_PROPERTIES
    .map((property) => ({ property, value: valueAt(pool.resource, `Properties.${property}`) }))
    .filter(({ value }) => value !== undefined && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0));
  for (const { property, value } of others) {
    const named = property === 'SupportedLoginProviders' && typeof value === 'object' && value !== null ? Object.keys(value) : listOf(value).map(flatten);
    problems.push(`${property} adds ${sentenceList(named)}`);
  }
  return {
    id,
    category: 'identity',
    title,
    status: problems.length === 0 ? 'met' : 'not-met',
    detail: problems.length === 0
      ? `The identity pool ${pool.logicalId} has one provider, the lake's user pool${userPool ? ` ${userPool.logicalId}` : ''} with its app client${client ? ` ${client.logicalId}` : ''}, `
        + 'with the server-side token check on, and no other login provider.'
      : `The identity pool ${pool.logicalId} gives the institute role's credentials to more than the lake's users: ${sentenceList(problems)}.`,
    evidence: [t.evidence(pool, 'Properties.CognitoIdentityProviders'), ...others.map(({ property }) => t.evidence(pool, `Properties.${property}`))],
  };
}

function identityPoolRoleMapping(t: LakeTemplate): Check {
  const id = 'identity.identity-pool-role-mapping';
  const title = 'The identity pool gives every signed-in user the institute role, and only it: no role chosen by the token or by rules on its claims.';
  const pool = t.part('identity-pool');
  const role = t.part('institute-role');
  if (!pool) return notInTemplate(id, 'identity', title, 'The identity pool', 'Check that its role attachment has the institute role as authenticated role and no role mappings.');
  const attachments = t.allOfType('AWS::Cognito::IdentityPoolRoleAttachment').filter((attachment) => refersTo(valueAt(attachment.resource, 'Properties.IdentityPoolId'), pool.logicalId));
  const problems: string[] = [];
  if (attachments.length === 0) problems.push('no role attachment of the identity pool is in the template');
  if (attachments.length > 1) problems.push(`${attachments.length} role attachments (${attachments.map((attachment) => attachment.logicalId).join(', ')}) compete for one identity pool`);
  for (const attachment of attachments) {
    const authenticated = valueAt(attachment.resource, 'Properties.Roles.authenticated');
    if (!role || !refersTo(authenticated, role.logicalId)) problems.push(`${attachment.logicalId} gives signed-in users ${authenticated === undefined ? 'no role' : flatten(authenticated)}, not the institute role`);
    const mappings = valueAt(attachment.resource, 'Properties.RoleMappings');
    for (const [name, mapping] of Object.entries((mappings ?? {}) as Record<string, any>)) {
      const type = String(mapping?.Type ?? '(no type)');
      const roles = listOf(mapping?.RulesConfiguration?.Rules).map((rule: any) => flatten(rule?.RoleARN));
      problems.push(`${attachment.logicalId} has the role mapping ${name} of type ${type}`
        + (type === 'Token' ? ' (the token\'s cognito:roles and cognito:preferred_role claims choose the role)' : '')
        + (roles.length > 0 ? ` (rules on the token's claims choose ${sentenceList(roles)})` : ''));
    }
  }
  return {
    id,
    category: 'identity',
    title,
    status: problems.length === 0 ? 'met' : 'not-met',
    detail: problems.length === 0
      ? `The role attachment ${attachments[0].logicalId} gives signed-in users the institute role${role ? ` ${role.logicalId}` : ''}, with no role mapping.`
      : `The identity pool ${pool.logicalId} may hand out another role than the institute role: ${sentenceList(problems)}.`,
    evidence: attachments.flatMap((attachment) => [t.evidence(attachment, 'Properties.Roles'), t.evidence(attachment, 'Properties.RoleMappings')]),
  };
}

/** One principal-tag mapping of the identity pool: the tag → claim map of each place the template states it. */
interface TagMapping {
  readonly found: FoundResource;
  readonly property: string;
  /** Principal tag to claim; undefined when the template's layout cannot be read. */
  readonly tags?: Record<string, string>;
  readonly useDefaults?: unknown;
}

function tagMappings(t: LakeTemplate, pool: FoundResource): TagMapping[] {
  const mappings: TagMapping[] = [];
  for (const custom of t.allOfType('Custom::IdentityPoolPrincipalTags')) {
    for (const call of ['Create', 'Update']) {
      const value = valueAt(custom.resource, `Properties.${call}`);
      if (value === undefined || !mentions(value, pool.logicalId)) continue;
      try {
        const parsed = JSON.parse(flatten(value));
        const tags = parsed?.parameters?.PrincipalTags;
        mappings.push({
          found: custom,
          property: `Properties.${call}`,
          tags: tags && typeof tags === 'object' ? Object.fromEntries(Object.entries(tags).map(([tag, claim]) => [tag, String(claim)])) : undefined,
          useDefaults: parsed?.parameters?.UseDefaults,
        });
      } catch {
        mappings.push({ found: custom, property: `Properties.${call}` });
      }
    }
  }
  for (const native of t.allOfType('AWS::Cognito::IdentityPoolPrincipalTag').filter((resource) => refersTo(valueAt(resource.resource, 'Properties.IdentityPoolId'), pool.logicalId))) {
    const tags = valueAt(native.resource, 'Properties.PrincipalTags');
    mappings.push({
      found: native,
      property: 'Properties.PrincipalTags',
      tags: tags && typeof tags === 'object' && Object.values(tags).every((claim) => typeof claim === 'string') ? tags as Record<string, string> : undefined,
      useDefaults: valueAt(native.resource, 'Properties.UseDefaults'),
    });
  }
  return mappings;
}

function principalTagMapping(t: LakeTemplate): Check {
  const id = 'identity.principal-tag-mapping';
  const title = `The principal tags ${READ_PRINCIPAL_TAG} and ${WRITE_PRINCIPAL_TAG} come only from the two institute attributes of the user pool.`;
  const pool = t.part('identity-pool');
  const userPool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The identity pool', `Check that its principal-tag mapping maps ${READ_PRINCIPAL_TAG} and ${WRITE_PRINCIPAL_TAG} from the institute attributes only.`);
  const handlerClaims = (variable: string) => [...new Set(t.handlers().map((handler) => valueAt(handler.resource, `Properties.Environment.Variables.${variable}`))
    .filter((claim): claim is string => typeof claim === 'string'))];
  const custom = userPool ? listOf(valueAt(userPool.resource, 'Properties.Schema'))
    .filter((attribute: any) => attribute?.AttributeDataType !== undefined && typeof attribute?.Name === 'string')
    .map((attribute: any) => `custom:${attribute.Name}`) : [];
  const expected: Record<string, string[]> = {
    [READ_PRINCIPAL_TAG]: handlerClaims(HandlerEnvironment.READ_CLAIM),
    [WRITE_PRINCIPAL_TAG]: handlerClaims(HandlerEnvironment.WRITE_CLAIM),
  };
  const mappings = tagMappings(t, pool);
  const problems: string[] = [];
  if (mappings.length === 0) {
    problems.push(`the template has no principal-tag mapping of the identity pool ${pool.logicalId}, so where the ${READ_PRINCIPAL_TAG} and ${WRITE_PRINCIPAL_TAG} tags come from cannot be checked`);
  }
  for (const mapping of mappings) {
    const where = `${mapping.found.logicalId} ${mapping.property}`;
    if (!mapping.tags) {
      problems.push(`${where} is not a mapping the report can read`);
      continue;
    }
    if (mapping.useDefaults === true) problems.push(`${where} uses Cognito's default mapping (UseDefaults)`);
    for (const tag of [READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG]) {
      const claim = mapping.tags[tag];
      if (claim === undefined) {
        problems.push(`${where} maps no ${tag} tag`);
      } else if (!claim.startsWith('custom:') || (userPool && !custom.includes(claim))) {
        problems.push(`${where} maps the ${tag} tag from ${claim}, not from an institute attribute of the user pool (a standard attribute such as name or email is the user's to write by default)`);
      } else if (expected[tag].length > 0 && !expected[tag].includes(claim)) {
        problems.push(`${where} maps the ${tag} tag from ${claim}, where the handlers read the ${tag} institute from ${sentenceList(expected[tag])}`);
      }
    }
  }
  return {
    id,
    category: 'identity',
    title,
    status: problems.length === 0 ? 'met' : 'not-met',
    detail: problems.length === 0
      ? `The identity pool's principal-tag mapping (${[...new Set(mappings.map((mapping) => mapping.found.logicalId))].join(', ')}) maps `
        + `${sentenceList([READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG].map((tag) => `${tag} from ${mappings[0].tags![tag]}`))}, the user pool's institute attributes, and nothing by default.`
      : `The principal tags that decide every access may not come from the institute attributes: ${sentenceList(problems)}.`,
    evidence: mappings.map((mapping) => t.evidence(mapping.found, mapping.property)),
  };
}

/** What each user pool trigger can do to the lake's model. */
const TRIGGER_RISKS: Record<string, string> = {
  PreTokenGeneration: 'rewrites the claims of every token, the institute claims included',
  PreTokenGenerationConfig: 'rewrites the claims of every token, the institute claims included',
  UserMigration: 'creates users with the attributes its code chooses, institutes included',
  DefineAuthChallenge: 'decides custom sign-in challenges, which can replace the password and MFA',
  CreateAuthChallenge: 'creates custom sign-in challenges',
  VerifyAuthChallengeResponse: 'decides whether a custom challenge is answered',
  PreSignUp: 'can confirm and verify users automatically',
  PreAuthentication: 'runs code at every sign-in',
  PostAuthentication: 'runs code after every sign-in',
  PostConfirmation: 'runs code with every new user',
  CustomMessage: 'writes the messages that carry codes and temporary passwords',
  CustomEmailSender: 'receives codes and temporary passwords to send by email',
  CustomSMSSender: 'receives codes to send by SMS',
  KMSKeyID: 'the key of the custom sender triggers',
};

function userPoolTriggers(t: LakeTemplate): Check {
  const id = 'identity.user-pool-triggers';
  const title = 'No Lambda trigger of the user pool can change who a user is or which institutes their token names.';
  const pool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The user pool', 'Check that it has no Lambda triggers, or review their code: a pre token generation trigger can rewrite the institute claims.');
  const config = valueAt(pool.resource, 'Properties.LambdaConfig');
  const triggers = Object.entries((config ?? {}) as Record<string, unknown>).filter(([, value]) => value !== undefined && value !== null && value !== '');
  return {
    id,
    category: 'identity',
    title,
    status: triggers.length === 0 ? 'met' : 'not-met',
    detail: triggers.length === 0
      ? `The user pool ${pool.logicalId} has no Lambda trigger: the tokens carry the attributes administrators set.`
      : `The user pool ${pool.logicalId} has Lambda triggers whose code the report cannot read: `
        + `${sentenceList(triggers.map(([trigger, value]) => `${trigger} (${flatten(typeof value === 'object' && value !== null && 'LambdaArn' in value ? (value as any).LambdaArn : value)}: it ${TRIGGER_RISKS[trigger] ?? 'runs code in the sign-in path'})`))}. `
        + 'Review their code and who may change it; the report cannot call this a pass.',
    evidence: [t.evidence(pool, 'Properties.LambdaConfig')],
  };
}

/** The sign-in flows the README promises for the lake's app client. */
const PROMISED_AUTH_FLOWS = ['ALLOW_USER_SRP_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH'];
/** Cognito's flows when a client names none. */
const DEFAULT_AUTH_FLOWS = ['ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'];

function appClients(t: LakeTemplate): Check {
  const id = 'identity.app-clients';
  const title = 'The user pool\'s app clients offer only SRP and the administrator\'s password flow: no hosted UI or OAuth, no plain password flow.';
  const pool = t.part('user-pool');
  if (!pool) return notInTemplate(id, 'identity', title, 'The user pool', 'Check that its app clients offer only ALLOW_USER_SRP_AUTH and ALLOW_ADMIN_USER_PASSWORD_AUTH, and no OAuth flows.');
  const clients = t.allOfType('AWS::Cognito::UserPoolClient').filter((client) => refersTo(valueAt(client.resource, 'Properties.UserPoolId'), pool.logicalId));
  const problems: string[] = [];
  for (const client of clients) {
    const properties = (client.resource.Properties ?? {}) as Record<string, any>;
    const declared = properties.ExplicitAuthFlows;
    const flows = declared === undefined ? DEFAULT_AUTH_FLOWS : listOf(declared).map(flatten);
    const extra = flows.filter((flow) => !PROMISED_AUTH_FLOWS.includes(flow));
    const own: string[] = [];
    if (extra.length > 0) {
      own.push(`offers ${sentenceList(extra)}${declared === undefined ? ' (Cognito\'s default without ExplicitAuthFlows)' : ''}`
        + (extra.includes('ALLOW_USER_PASSWORD_AUTH') ? ' (the password goes to Cognito itself instead of SRP)' : ''));
    }
    if (properties.GenerateSecret === true && flows.includes('ALLOW_USER_PASSWORD_AUTH')) own.push('has a client secret with the plain password flow (a server that holds the secret signs users in with their passwords)');
    const oauthFlows = listOf(properties.AllowedOAuthFlows).map(flatten);
    if (properties.AllowedOAuthFlowsUserPoolClient === true || oauthFlows.length > 0) {
      own.push(`offers OAuth (${oauthFlows.length > 0 ? sentenceList(oauthFlows) : 'no flow named'})${oauthFlows.includes('implicit') ? ', the implicit flow returning tokens in the browser\'s URL' : ''}`);
    }
    const callbacks = [...listOf(properties.CallbackURLs), ...listOf(properties.LogoutURLs)].map(flatten);
    const plain = callbacks.filter((url) => !/^https:\/\//i.test(url) && !/^http:\/\/localhost(:\d+)?(\/|$)/i.test(url));
    if (callbacks.length > 0) own.push(`sends tokens to ${sentenceList(callbacks)}${plain.length > 0 ? ` (${sentenceList(plain)} not over HTTPS)` : ''}`);
    if (own.length > 0) problems.push(`${client.logicalId} ${sentenceList(own)}`);
  }
  return {
    id,
    category: 'identity',
    title,
    status: problems.length === 0 && clients.length > 0 ? 'met' : 'not-met',
    detail: clients.length === 0
      ? 'The user pool has no app client in the template.'
      : problems.length === 0
        ? `${clients.length === 1 ? `The app client ${clients[0].logicalId} offers` : `Each of the ${clients.length} app clients offers`} only ${sentenceList(PROMISED_AUTH_FLOWS)}, with no OAuth flow, as the construct documents.`
        : `App clients of the user pool ${pool.logicalId} offer more than the construct documents: ${problems.join('; ')}.`,
    evidence: clients.flatMap((client) => [t.evidence(client, 'Properties.ExplicitAuthFlows'), ...valueAt(client.resource, 'Properties.AllowedOAuthFlows') !== undefined
      ? [t.evidence(client, 'Properties.AllowedOAuthFlows')] : []]),
  };
}

// ---------------------------------------------------------------------------------------------
// Data protection
// ---------------------------------------------------------------------------------------------

function dataKey(t: LakeTemplate): Check {
  const id = 'data-protection.data-key';
  const title = 'The messages are encrypted with a customer-managed KMS key that rotates.';
  const key = t.part('data-key');
  if (!key) {
    return notInTemplate(id, 'data-protection', title, 'The data key',
      'Check that it is a customer-managed key with automatic rotation on, and that its key policy keeps other principals from using it.');
  }
  const rotation = valueAt(key.resource, 'Properties.EnableKeyRotation') === true;
  const enabled = valueAt(key.resource, 'Properties.Enabled') !== false;
  const spec = valueAt(key.resource, 'Properties.KeySpec') ?? 'SYMMETRIC_DEFAULT';
  const days = valueAt(key.resource, 'Properties.RotationPeriodInDays') ?? 365;
  return {
    id,
    category: 'data-protection',
    title,
    status: rotation && enabled ? 'met' : 'not-met',
    detail: rotation && enabled
      ? `The data key is a customer-managed ${String(spec)} KMS key defined in the template, rotated automatically every ${String(days)} days.`
      : `The data key is customer-managed but ${rotation ? 'disabled' : 'its automatic rotation is off'}.`,
    evidence: [t.evidence(key, 'Properties.EnableKeyRotation'), t.evidence(key, 'Properties.KeySpec'), t.evidence(key, 'Properties.Enabled')],
  };
}

const DEFAULT_ENCRYPTION = 'Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]';

function bucketEncryption(t: LakeTemplate): Check {
  const id = 'data-protection.bucket-encryption';
  const title = 'The data bucket encrypts every message by default with the data key.';
  const bucket = t.part('data-bucket');
  if (!bucket) {
    return notInTemplate(id, 'data-protection', title, 'The data bucket',
      'Check that its default encryption is SSE-KMS with the data key the lake was given.');
  }
  const algorithm = valueAt(bucket.resource, `${DEFAULT_ENCRYPTION}.ServerSideEncryptionByDefault.SSEAlgorithm`);
  const keyId = valueAt(bucket.resource, `${DEFAULT_ENCRYPTION}.ServerSideEncryptionByDefault.KMSMasterKeyID`);
  const key = t.part('data-key');
  const kms = algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse';
  // With an imported data key the template names it by ARN: any customer-managed key id passes, the data-key control says the rest.
  const lakeKey = key ? mentions(keyId, key.logicalId) : keyId !== undefined && !/alias\/aws\/s3$/.test(flatten(keyId));
  const bucketKey = valueAt(bucket.resource, `${DEFAULT_ENCRYPTION}.BucketKeyEnabled`) === true;
  return {
    id,
    category: 'data-protection',
    title,
    status: kms && lakeKey ? 'met' : 'not-met',
    detail: kms && lakeKey
      ? `Default encryption is ${String(algorithm)} with the data key${key ? ` ${key.logicalId}` : ` ${flatten(keyId)}`}${bucketKey ? ' (S3 bucket keys on)' : ''}.`
      : !kms
        ? `Default encryption is ${algorithm === undefined ? 'not set (S3 then uses SSE-S3, S3-managed keys)' : JSON.stringify(algorithm)}, not SSE-KMS with the data key.`
        : 'Default encryption is SSE-KMS, but not with the data key (or with the AWS-managed aws/s3 key, whose policy the lake cannot restrict).',
    evidence: [
      t.evidence(bucket, `${DEFAULT_ENCRYPTION}.ServerSideEncryptionByDefault.SSEAlgorithm`),
      t.evidence(bucket, `${DEFAULT_ENCRYPTION}.ServerSideEncryptionByDefault.KMSMasterKeyID`),
      t.evidence(bucket, `${DEFAULT_ENCRYPTION}.BucketKeyEnabled`),
    ],
  };
}

/**
 * A Deny for every principal of the bucket policy on every object, with exactly the given
 * conditions (a further condition would narrow it), covering `actions`.
 */
function denyForEveryone(statements: LocatedStatement[], actions: readonly string[], matches: (statement: LocatedStatement['statement']) => boolean): LocatedStatement | undefined {
  return statements.find(({ statement }) => statement.Effect === 'Deny' && appliesToEveryone(statement)
    && statement.NotResource === undefined && listOf(statement.Resource).some((resource) => /(\/\*|^\*)$/.test(flatten(resource)))
    && coversActions(statement, actions) && matches(statement));
}

function onlyConditions(statement: LocatedStatement['statement'], keys: readonly string[]): boolean {
  return JSON.stringify(conditionKeys(statement)) === JSON.stringify(keys.map((key) => {
    const [operator, name] = key.split(' ');
    return `${operator} ${name.toLowerCase()}`;
  }).sort());
}

function refusedEncryptionTypes(t: LakeTemplate): Check {
  const id = 'data-protection.refused-encryption-types';
  const title = 'No message can be stored with a key the client provides (SSE-C): the bucket blocks it and the bucket policy denies it.';
  const bucket = t.part('data-bucket');
  if (!bucket) {
    return notInTemplate(id, 'data-protection', title, 'The data bucket',
      'Check that it blocks SSE-C (BlockedEncryptionTypes) and that its bucket policy denies s3:PutObject with an SSE-C algorithm header (the institute role\'s own policy denies it).');
  }
  const blockedPath = `${DEFAULT_ENCRYPTION}.BlockedEncryptionTypes.EncryptionType`;
  const blocked = listOf(valueAt(bucket.resource, blockedPath)).includes('SSE-C');
  const policy = t.part('data-bucket-policy');
  const algorithmHeader = 's3:x-amz-server-side-encryption-customer-algorithm';
  const deny = denyForEveryone(statementsAt(policy, 'Properties.PolicyDocument'), ['s3:PutObject'], (statement) =>
    onlyConditions(statement, [`Null ${algorithmHeader}`]) && conditionIs(conditionValue(statement, 'Null', algorithmHeader), 'false'));
  const missing = [
    ...blocked ? [] : ['the bucket does not block SSE-C (BlockedEncryptionTypes)'],
    ...deny ? [] : [policy ? 'the bucket policy has no Deny of s3:PutObject with an SSE-C algorithm header for every principal' : 'the bucket has no bucket policy in the template'],
  ];
  return {
    id,
    category: 'data-protection',
    title,
    status: missing.length === 0 ? 'met' : 'not-met',
    detail: missing.length === 0
      ? 'The bucket blocks SSE-C requests, and its bucket policy denies every principal a PutObject that names an SSE-C algorithm.'
      : `SSE-C is not refused twice: ${sentenceList(missing)}. An object stored with SSE-C is not encrypted with the data key, and only whoever holds the client's key can read it.`,
    evidence: [
      t.evidence(bucket, blockedPath),
      ...t.statementEvidence(policy, deny),
    ],
  };
}

/** The handlers' security groups with every egress rule they have (inline and separate), each cited. */
function handlerEgress(t: LakeTemplate): { rules: Array<{ found: FoundResource; property: string; rule: Record<string, unknown> }> } {
  const groups = [...new Map(t.handlers().flatMap((handler) => listOf(valueAt(handler.resource, 'Properties.VpcConfig.SecurityGroupIds')))
    .map((value) => t.referenced(value)).filter(isDefined).map((group) => [group.logicalId, group])).values()];
  const rules: Array<{ found: FoundResource; property: string; rule: Record<string, unknown> }> = [];
  for (const group of groups) {
    listOf(valueAt(group.resource, 'Properties.SecurityGroupEgress'))
      .forEach((rule, index) => rules.push({ found: group, property: `Properties.SecurityGroupEgress[${index}]`, rule: rule as Record<string, unknown> }));
    for (const egress of t.allOfType('AWS::EC2::SecurityGroupEgress').filter((candidate) => mentions(valueAt(candidate.resource, 'Properties.GroupId'), group.logicalId))) {
      rules.push({ found: egress, property: 'Properties', rule: (egress.resource.Properties ?? {}) as Record<string, unknown> });
    }
  }
  return { rules };
}

function tlsOnly(t: LakeTemplate): Check {
  const id = 'data-protection.tls-only';
  const title = 'Messages travel only over TLS: the bucket refuses plain HTTP, the API serves HTTPS only, the handlers send HTTPS only.';
  const bucket = t.part('data-bucket');
  if (!bucket) return notInTemplate(id, 'data-protection', title, 'The data bucket', 'Check that its bucket policy denies requests with aws:SecureTransport false.');
  const policy = t.part('data-bucket-policy');
  const statements = statementsAt(policy, 'Properties.PolicyDocument');
  const deny = denyForEveryone(statements, OBJECT_ACCESS, (statement) =>
    onlyConditions(statement, ['Bool aws:SecureTransport']) && conditionIs(conditionValue(statement, 'Bool', 'aws:SecureTransport'), 'false'));
  const minimumTls = denyForEveryone(statements, OBJECT_ACCESS, (statement) => onlyConditions(statement, ['NumericLessThan s3:TlsVersion']));
  const version = minimumTls ? listOf(conditionValue(minimumTls.statement, 'NumericLessThan', 's3:TlsVersion'))[0] : undefined;
  const api = t.part('api');
  const protocol = api ? valueAt(api.resource, 'Properties.ProtocolType') : undefined;
  const { rules } = handlerEgress(t);
  const notHttps = rules.filter(({ rule }) => !(String(rule.IpProtocol) === 'tcp' && Number(rule.FromPort) === 443 && Number(rule.ToPort) === 443)
    && !(rule.CidrIp === '255.255.255.255/32' && String(rule.IpProtocol) === 'icmp'));
  const apiText = protocol === 'HTTP'
    ? `The API ${api!.logicalId} is an HTTP API, which API Gateway serves over HTTPS only.`
    : api ? `The API ${api.logicalId} has ProtocolType ${JSON.stringify(protocol ?? null)}, not an HTTP API.` : 'The API is not in the template.';
  const handlerText = rules.length === 0
    ? 'The handlers\' outbound rules are not in the template.'
    : notHttps.length === 0
      ? 'The handlers\' security group allows outbound TCP 443 (HTTPS) only, to the S3 and Cognito Identity endpoints.'
      : `The handlers' security group also allows ${sentenceList(notHttps.map(({ found, rule }) => `${found.logicalId} ${String(rule.IpProtocol)} ${String(rule.FromPort ?? '')}-${String(rule.ToPort ?? '')}`))} out: only the AWS SDK's HTTPS endpoints keep the handlers' calls on TLS.`;
  return {
    id,
    category: 'data-protection',
    title,
    status: deny && protocol === 'HTTP' ? 'met' : 'not-met',
    detail: deny
      ? `The bucket policy denies every principal any request without TLS${version === undefined ? '' : `, and any request with TLS older than ${String(version)}`}. ${apiText} ${handlerText}`
      : `${policy ? 'The bucket policy has no Deny for every principal on aws:SecureTransport false' : 'The bucket has no bucket policy in the template'}: `
        + `messages could be read or written over plain HTTP. ${apiText}`,
    evidence: [
      ...t.statementEvidence(policy, deny),
      ...policy && minimumTls ? [t.evidence(policy, minimumTls.property)] : [],
      ...api ? [t.evidence(api, 'Properties.ProtocolType')] : [],
      ...rules.map(({ found, property }) => t.evidence(found, property)),
    ],
  };
}

function versioning(t: LakeTemplate): Check {
  const id = 'data-protection.versioning';
  const title = 'The data bucket keeps every version of every object.';
  const bucket = t.part('data-bucket');
  if (!bucket) return notInTemplate(id, 'data-protection', title, 'The data bucket', 'Check that versioning is enabled.');
  const path = 'Properties.VersioningConfiguration.Status';
  const on = valueAt(bucket.resource, path) === 'Enabled';
  return {
    id,
    category: 'data-protection',
    title,
    status: on ? 'met' : 'not-met',
    detail: on
      ? 'Versioning is enabled: an overwritten or deleted object keeps its earlier versions.'
      : 'Versioning is not enabled: an overwrite or a deletion (by an administrator, say) destroys the message.',
    evidence: [t.evidence(bucket, path)],
  };
}

function publicAccessBlock(t: LakeTemplate): Check {
  const id = 'data-protection.public-access-block';
  const title = 'The data bucket blocks every form of public access.';
  const bucket = t.part('data-bucket');
  if (!bucket) return notInTemplate(id, 'data-protection', title, 'The data bucket', 'Check that its public access block has all four settings on.');
  const base = 'Properties.PublicAccessBlockConfiguration';
  const settings = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'];
  const off = settings.filter((setting) => valueAt(bucket.resource, `${base}.${setting}`) !== true);
  return {
    id,
    category: 'data-protection',
    title,
    status: off.length === 0 ? 'met' : 'not-met',
    detail: off.length === 0
      ? 'All four public access block settings are on: no ACL or bucket policy can make a message public.'
      : `The public access block leaves ${sentenceList(off)} off.`,
    evidence: [t.evidence(bucket, base)],
  };
}

function retentionOnDeletion(t: LakeTemplate): Check {
  const id = 'data-protection.retention-on-deletion';
  const title = 'Deleting or replacing the stack keeps the messages, the data key and the users.';
  const kept = (policy: unknown) => policy === 'Retain' || policy === 'RetainExceptOnCreate';
  const parts = [['data-bucket', 'the data bucket'], ['data-key', 'the data key'], ['user-pool', 'the user pool']] as const;
  const present = parts.map(([part, name]) => ({ found: t.part(part), name })).filter((entry) => entry.found !== undefined);
  const absent = parts.filter(([part]) => t.part(part) === undefined).map(([, name]) => name);
  const notKept = present.filter(({ found }) => !kept(found!.resource.DeletionPolicy) || valueAt(found!.resource, 'UpdateReplacePolicy') !== 'Retain');
  const pool = t.part('user-pool');
  const protection = pool ? valueAt(pool.resource, 'Properties.DeletionProtection') : undefined;
  const status: Status = notKept.length > 0 ? 'not-met' : absent.length > 0 ? 'operator' : 'met';
  const keptNames = present.filter((entry) => !notKept.includes(entry)).map((entry) => entry.name);
  return {
    id,
    category: 'data-protection',
    title,
    status,
    detail: status === 'not-met'
      ? `${sentenceList(notKept.map((entry) => `${entry.name} (${entry.found!.logicalId})`))} ${notKept.length === 1 ? 'is' : 'are'} deleted with the stack or on replacement: `
        + 'DeletionPolicy and UpdateReplacePolicy are not Retain.'
      : `${sentenceList(keptNames).replace(/^./, (first) => first.toUpperCase())} ${keptNames.length === 1 ? 'is' : 'are'} retained on stack deletion and replacement`
        + `${protection === 'ACTIVE' ? ', and the user pool has deletion protection on' : ''}.`
        + (absent.length > 0 ? ` ${sentenceList(absent)} ${absent.length === 1 ? 'is' : 'are'} not in the template: keeping ${absent.length === 1 ? 'it' : 'them'} is the account's.` : ''),
    evidence: present.flatMap(({ found }) => [t.evidence(found!, 'DeletionPolicy'), t.evidence(found!, 'UpdateReplacePolicy')])
      .concat(pool ? [t.evidence(pool, 'Properties.DeletionProtection')] : []),
  };
}

function tagsSetOnce(t: LakeTemplate): Check {
  const id = 'data-protection.tags-set-once';
  const title = 'The institute tag of a stored message is set once: nobody re-tags or untags it.';
  const key = `s3:ExistingObjectTag/${SOURCE_TAG}`;
  const matches = (statement: LocatedStatement['statement']) => onlyConditions(statement, [`Null ${key}`]) && conditionIs(conditionValue(statement, 'Null', key), 'false');
  const policy = t.part('data-bucket-policy');
  const bucketDeny = denyForEveryone(statementsAt(policy, 'Properties.PolicyDocument'), RETAGGING, matches);
  const rolePolicy = t.part('institute-policy');
  const roleDeny = statementsAt(rolePolicy, 'Properties.PolicyDocument')
    .find(({ statement }) => statement.Effect === 'Deny' && coversActions(statement, RETAGGING) && matches(statement));
  const status: Status = bucketDeny ? 'met' : policy || !roleDeny ? 'not-met' : 'operator';
  return {
    id,
    category: 'data-protection',
    title,
    status,
    detail: status === 'met'
      ? `The bucket policy denies every principal any change of the tags of an object that has a ${SOURCE_TAG} tag; the creating PutObject sets them.`
      : status === 'operator'
        ? 'The institute role\'s policy denies re-tagging a stored message, but the bucket is not in the template: add the same Deny for every principal to its bucket policy.'
        : `No Deny for every principal keeps the ${SOURCE_TAG} tag of a stored message from being changed: re-tagging a message would move it to another institute.`,
    evidence: [
      ...t.statementEvidence(policy, bucketDeny),
      ...rolePolicy && roleDeny ? [t.evidence(rolePolicy, roleDeny.property)] : [],
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------

function handlersInLakeSubnets(t: LakeTemplate): Check {
  const id = 'network.handlers-in-lake-subnets';
  const title = 'The handlers run in the lake\'s VPC subnets, behind a security group.';
  const handlers = t.handlers();
  const vpc = t.part('vpc');
  const problems: string[] = [];
  for (const handler of handlers) {
    const subnets = listOf(valueAt(handler.resource, 'Properties.VpcConfig.SubnetIds'));
    const groups = listOf(valueAt(handler.resource, 'Properties.VpcConfig.SecurityGroupIds'));
    if (subnets.length === 0 || groups.length === 0) {
      problems.push(`${handler.logicalId} has no VpcConfig with subnets and security groups (it runs outside any VPC)`);
      continue;
    }
    if (vpc) {
      const elsewhere = subnets.map((subnet) => t.referenced(subnet))
        .filter((subnet) => subnet !== undefined && !refersTo(valueAt(subnet.resource, 'Properties.VpcId'), vpc.logicalId));
      if (elsewhere.length > 0) problems.push(`${handler.logicalId} runs in subnets of another VPC (${elsewhere.map((subnet) => subnet!.logicalId).join(', ')})`);
    }
  }
  return {
    id,
    category: 'network',
    title,
    status: handlers.length > 0 && problems.length === 0 ? 'met' : 'not-met',
    detail: handlers.length === 0
      ? 'The lake\'s handlers are not in the template.'
      : problems.length === 0
        ? `Both handlers run in the lake's subnets (${vpc ? `of the VPC ${vpc.logicalId}` : 'of a VPC the app imported'}), with security groups.`
        : `${sentenceList(problems)}.`,
    evidence: handlers.map((handler) => t.evidence(handler, 'Properties.VpcConfig')),
  };
}

/** Why a route leads out of the VPC (an internet, NAT or egress-only gateway, a NAT instance, or a default route), or undefined. */
function routeOut(t: LakeTemplate, route: FoundResource): string | undefined {
  const properties = (route.resource.Properties ?? {}) as Record<string, unknown>;
  const gateway = properties.GatewayId;
  const gatewayResource = gateway === undefined ? undefined : t.referenced(gateway);
  if (gatewayResource?.resource.Type === 'AWS::EC2::InternetGateway' || (typeof gateway === 'string' && gateway.startsWith('igw-'))) return 'an internet gateway';
  if (properties.NatGatewayId !== undefined) return 'a NAT gateway';
  if (properties.EgressOnlyInternetGatewayId !== undefined) return 'an egress-only internet gateway';
  if (properties.InstanceId !== undefined) return 'an instance (NAT instance)';
  const destination = [properties.DestinationCidrBlock, properties.DestinationIpv6CidrBlock].find((cidr) => cidr === '0.0.0.0/0' || cidr === '::/0');
  return destination === undefined ? undefined : `a default route ${String(destination)}`;
}

/** The route table of a subnet of the template, with the association that names it. */
function routeTableOf(t: LakeTemplate, subnet: FoundResource): { association: FoundResource; table: FoundResource } | undefined {
  const association = t.allOfType('AWS::EC2::SubnetRouteTableAssociation')
    .find((candidate) => refersTo(valueAt(candidate.resource, 'Properties.SubnetId'), subnet.logicalId));
  const table = association ? t.referenced(valueAt(association.resource, 'Properties.RouteTableId')) : undefined;
  return association && table ? { association, table } : undefined;
}

function isolatedSubnets(t: LakeTemplate): Check {
  const id = 'network.isolated-subnets';
  const title = 'The handlers\' subnets have no route to the internet (no internet or NAT gateway).';
  const vpc = t.part('vpc');
  const subnetValues = [...new Set(t.handlers().flatMap((handler) => listOf(valueAt(handler.resource, 'Properties.VpcConfig.SubnetIds')))
    .map((value) => JSON.stringify(value)))].map((value) => JSON.parse(value) as unknown);
  if (!vpc) {
    return notInTemplate(id, 'network', title, 'The VPC',
      'Check that the route tables of the handlers\' subnets have no route to an internet gateway, a NAT gateway or a default route, and that no other workload uses them.');
  }
  if (subnetValues.length === 0) {
    return { id, category: 'network', title, status: 'not-met', detail: 'The handlers run in no subnet of the VPC.', evidence: [] };
  }
  const subnets = subnetValues.map((value) => t.referenced(value));
  const unknown = subnetValues.filter((_, index) => subnets[index] === undefined).map(flatten);
  const evidence: Evidence[] = [];
  const out: string[] = [];
  for (const subnet of subnets.filter(isDefined)) {
    const { association, table } = routeTableOf(t, subnet) ?? {};
    if (!association || !table) {
      unknown.push(subnet.logicalId);
      continue;
    }
    evidence.push(t.evidence(association, 'Properties.RouteTableId'));
    for (const route of t.allOfType('AWS::EC2::Route').filter((candidate) => refersTo(valueAt(candidate.resource, 'Properties.RouteTableId'), table.logicalId))) {
      const reason = routeOut(t, route);
      if (reason) {
        out.push(`${subnet.logicalId} through ${route.logicalId} (${reason})`);
        evidence.push(t.evidence(route, 'Properties'));
      }
    }
  }
  const status: Status = out.length > 0 ? 'not-met' : unknown.length > 0 ? 'operator' : 'met';
  return {
    id,
    category: 'network',
    title,
    status,
    detail: status === 'not-met'
      ? `Handler subnets reach the internet: ${sentenceList(out)}. The handlers' security group allows HTTPS to any address, so they could reach any HTTPS host.`
      : status === 'operator'
        ? `The routes of the handler subnets ${sentenceList(unknown)} are not in the template: check that they have no route to an internet or NAT gateway.`
        : `None of the ${subnets.length} handler subnets has a route to an internet gateway, a NAT gateway or a default route in the template.`,
    evidence,
  };
}

/** The Allow statements of an endpoint policy. */
function endpointAllows(statements: LocatedStatement[]): LocatedStatement[] {
  return statements.filter(({ statement }) => (statement.Effect ?? 'Allow') === 'Allow');
}

function s3Endpoint(t: LakeTemplate): Check {
  const id = 'network.s3-endpoint';
  const title = 'The handlers reach S3 through a gateway endpoint whose policy allows only the lake\'s object reads and writes (and those of the other lakes that share it).';
  const endpoint = t.part('s3-endpoint');
  if (!endpoint) {
    return notInTemplate(id, 'network', title, 'The S3 gateway endpoint',
      'Check that its policy allows only s3:GetObject, s3:PutObject and s3:PutObjectTagging on the lake\'s objects, and that only the handlers\' route tables use it.');
  }
  const bucket = t.part('data-bucket');
  // A shared endpoint (the README's two lakes on shared subnets) carries the objects of every lake of the template.
  const lakeBuckets = t.partsOfEveryLake('data-bucket');
  const isLakeObjects = (resource: unknown) => (bucket ? [bucket, ...lakeBuckets] : lakeBuckets)
    .some((candidate) => mentions(resource, candidate.logicalId));
  const allows = endpointAllows(statementsAt(endpoint, 'Properties.PolicyDocument'));
  const hasPolicy = valueAt(endpoint.resource, 'Properties.PolicyDocument') !== undefined;
  const wider = ({ statement }: LocatedStatement) => [
    ...statement.NotAction !== undefined ? ['NotAction'] : [],
    ...statement.NotResource !== undefined ? ['NotResource'] : [],
    ...listOf(statement.Action).map(String).filter((action) => action.includes('*')),
    ...listOf(statement.Resource).filter((resource) => (bucket ? !isLakeObjects(resource) : flatten(resource) === '*')).map(flatten),
  ];
  const broad = allows.filter((located) => wider(located).length > 0);
  const ownObjects = bucket
    ? allows.some(({ statement }) => listOf(statement.Resource).some((resource) => mentions(resource, bucket.logicalId)))
    : allows.length > 0;
  const shared = lakeBuckets.filter((candidate) => candidate.logicalId !== bucket?.logicalId
    && allows.some(({ statement }) => listOf(statement.Resource).some((resource) => mentions(resource, candidate.logicalId))));
  const routeTables = listOf(valueAt(endpoint.resource, 'Properties.RouteTableIds'));
  const status: Status = hasPolicy && ownObjects && broad.length === 0 ? 'met' : 'not-met';
  const actions = [...new Set(allows.flatMap(({ statement }) => listOf(statement.Action).map(String)))].sort();
  return {
    id,
    category: 'network',
    title,
    status,
    detail: status === 'met'
      ? `The ${String(valueAt(endpoint.resource, 'Properties.VpcEndpointType') ?? 'Gateway')} endpoint ${endpoint.logicalId} is attached to ${plural(routeTables.length, 'route table')}; `
        + `its policy allows only ${sentenceList(actions)} on the lake's objects${shared.length > 0 ? ` and on those of the other lakes that share it (${shared.map((candidate) => candidate.logicalId).join(', ')})` : ''}, `
        + 'so nothing goes through it to another bucket.'
      : !hasPolicy
        ? `The S3 endpoint ${endpoint.logicalId} has no policy: it carries any S3 request, to any bucket, from its route tables.`
        : `The S3 endpoint ${endpoint.logicalId}'s policy allows more than the lake's object reads and writes `
          + `(${broad.map((located) => `${located.property}: ${sentenceList(wider(located))}`).join('; ') || 'no Allow statement on the lake\'s objects'}).`,
    evidence: [
      ...(broad.length > 0 ? broad : allows).map((located) => t.evidence(endpoint, located.property)),
      ...hasPolicy ? [] : [t.evidence(endpoint, 'Properties.PolicyDocument')],
      t.evidence(endpoint, 'Properties.RouteTableIds'),
    ],
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function cognitoIdentityEndpoint(t: LakeTemplate): Check {
  const id = 'network.cognito-identity-endpoint';
  const title = 'The handlers reach Cognito Identity through an interface endpoint whose policy allows only the token exchange of the lake\'s identity pool (and of the other lakes that share it).';
  const endpoint = t.part('cognito-identity-endpoint');
  if (!endpoint) {
    return notInTemplate(id, 'network', title, 'The Cognito Identity endpoint',
      'Check that it has private DNS on and that its policy allows only GetId and GetCredentialsForIdentity for the lake\'s identity pool.');
  }
  const pool = t.part('identity-pool');
  // A shared endpoint (the README's two lakes in one VPC) carries one statement per lake of the template.
  const lakePools = t.partsOfEveryLake('identity-pool');
  const conditionKey = 'cognito-identity-auth:IdentityPoolArn';
  const allows = endpointAllows(statementsAt(endpoint, 'Properties.PolicyDocument'));
  const hasPolicy = valueAt(endpoint.resource, 'Properties.PolicyDocument') !== undefined;
  const poolsOf = (statement: LocatedStatement['statement']) => listOf(conditionValue(statement, 'StringEquals', conditionKey));
  const isLakePool = (value: unknown) => (pool ? [pool, ...lakePools] : lakePools).some((candidate) => mentions(value, candidate.logicalId));
  const broad = allows.filter(({ statement }) => statement.NotAction !== undefined || statement.NotPrincipal !== undefined
    || listOf(statement.Action).some((action) => !COGNITO_IDENTITY_EXCHANGE.includes(String(action)))
    || poolsOf(statement).length === 0 || (pool ? !poolsOf(statement).every(isLakePool) : false));
  const ownPool = pool ? allows.some(({ statement }) => poolsOf(statement).some((value) => mentions(value, pool.logicalId))) : allows.length > 0;
  const shared = lakePools.filter((candidate) => candidate.logicalId !== pool?.logicalId
    && allows.some(({ statement }) => poolsOf(statement).some((value) => mentions(value, candidate.logicalId))));
  const privateDns = valueAt(endpoint.resource, 'Properties.PrivateDnsEnabled') === true;
  const describe = ({ statement, property }: LocatedStatement) => `${property}: ${sentenceList([
    ...listOf(statement.Action).map(String).filter((action) => !COGNITO_IDENTITY_EXCHANGE.includes(action)),
    ...statement.NotAction !== undefined ? ['NotAction'] : [],
    ...poolsOf(statement).length === 0 ? [`no StringEquals ${conditionKey}`] : poolsOf(statement).filter((value) => !isLakePool(value)).map(flatten),
  ])}`;
  const problems = [
    ...hasPolicy ? [] : ['it has no policy, so it carries any Cognito Identity call (another account\'s identity pool too)'],
    ...hasPolicy && (broad.length > 0 || !ownPool)
      ? [`its policy allows more than GetId and GetCredentialsForIdentity for the identity pools of the lakes in this template (${broad.map(describe).join('; ') || 'no Allow statement for this lake\'s pool'})`] : [],
    ...privateDns ? [] : ['private DNS is off, so the handlers\' calls to Cognito Identity do not go through it'],
  ];
  return {
    id,
    category: 'network',
    title,
    status: problems.length === 0 ? 'met' : 'not-met',
    detail: problems.length === 0
      ? `The interface endpoint ${endpoint.logicalId} has private DNS on; its policy allows only GetId and GetCredentialsForIdentity, on ${conditionKey} = the lake's identity pool`
        + `${shared.length > 0 ? ` and the identity pools of the other lakes that share the endpoint (${shared.map((candidate) => candidate.logicalId).join(', ')})` : ''}.`
      : `The Cognito Identity endpoint ${endpoint.logicalId}: ${sentenceList(problems)}.`,
    evidence: [
      ...(broad.length > 0 ? broad : allows).map((located) => t.evidence(endpoint, located.property)),
      ...hasPolicy ? [] : [t.evidence(endpoint, 'Properties.PolicyDocument')],
      t.evidence(endpoint, 'Properties.PrivateDnsEnabled'),
    ],
  };
}

function apiOnlyGate(t: LakeTemplate): Check {
  const id = 'network.api-only-gate';
  const title = 'The institute role reaches the data only through the lake\'s S3 endpoint (the API path): its credentials open nothing elsewhere.';
  const endpoint = t.part('s3-endpoint');
  const role = t.part('institute-role');
  const rolePolicy = t.part('institute-policy');
  const bucketPolicy = t.part('data-bucket-policy');
  const bucket = t.part('data-bucket');
  const sourceVpce = (statement: LocatedStatement['statement']) => {
    const value = conditionValue(statement, 'StringNotEquals', 'aws:SourceVpce');
    return value !== undefined && listOf(value).length === 1 && (endpoint ? refersTo(listOf(value)[0], endpoint.logicalId) : true);
  };
  const onTheData = (statement: LocatedStatement['statement']) => statement.NotResource === undefined
    && listOf(statement.Resource).some((resource) => flatten(resource) === '*' || (bucket ? mentions(resource, bucket.logicalId) : true));
  const roleDeny = statementsAt(rolePolicy, 'Properties.PolicyDocument').find(({ statement }) => statement.Effect === 'Deny'
    && coversActions(statement, OBJECT_ACCESS) && onTheData(statement) && onlyConditions(statement, ['StringNotEquals aws:SourceVpce']) && sourceVpce(statement));
  const principalArn = (statement: LocatedStatement['statement']) => {
    const value = conditionValue(statement, 'ArnEquals', 'aws:PrincipalArn') ?? conditionValue(statement, 'ArnLike', 'aws:PrincipalArn');
    return role !== undefined && listOf(value).length === 1 && refersTo(listOf(value)[0], role.logicalId);
  };
  const bucketDeny = denyForEveryone(statementsAt(bucketPolicy, 'Properties.PolicyDocument'), OBJECT_ACCESS, (statement) => sourceVpce(statement)
    && principalArn(statement) && (onlyConditions(statement, ['StringNotEquals aws:SourceVpce', 'ArnEquals aws:PrincipalArn'])
      || onlyConditions(statement, ['StringNotEquals aws:SourceVpce', 'ArnLike aws:PrincipalArn'])));
  const problems = [
    ...roleDeny ? [] : [rolePolicy ? 'the institute role\'s policy has no Deny of S3 requests that do not come through the lake\'s S3 endpoint' : 'the institute role\'s policy is not in the template'],
    ...bucketPolicy && !bucketDeny ? ['the bucket policy has no Deny of the institute role\'s S3 requests that do not come through the lake\'s S3 endpoint'] : [],
  ];
  const status: Status = problems.length > 0 ? 'not-met' : bucketPolicy ? 'met' : 'operator';
  const through = endpoint ? `the lake's S3 endpoint ${endpoint.logicalId}` : 'the S3 endpoint the app passed';
  return {
    id,
    category: 'network',
    title,
    status,
    detail: status === 'met'
      ? `Both the institute role's policy and the bucket policy deny the role every S3 request on the data whose aws:SourceVpce is not ${through}: `
        + 'credentials a user takes straight from the identity pool open nothing outside the handlers\' subnets.'
      : status === 'operator'
        ? `The institute role's policy denies every S3 request on the data that does not come through ${through}; the bucket is not in the template, so the second layer, the same Deny in its bucket policy, is the account's to add.`
        : `The API-only gate is open: ${sentenceList(problems)}. A user could use the identity pool's credentials from anywhere.`,
    evidence: [
      ...t.statementEvidence(rolePolicy, roleDeny),
      ...t.statementEvidence(bucketPolicy, bucketDeny),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------

function s3AccessLogs(t: LakeTemplate): Check {
  const id = 'audit.s3-access-logs';
  const title = 'Requests to the data bucket are recorded in S3 server access logs (best effort: S3 does not promise every record, nor when it arrives).';
  const bucket = t.part('data-bucket');
  if (!bucket) return notInTemplate(id, 'audit', title, 'The data bucket', 'Check that its server access logs (or CloudTrail S3 data events) are on.');
  const destination = valueAt(bucket.resource, 'Properties.LoggingConfiguration.DestinationBucketName');
  const logs = t.part('access-log-bucket');
  return {
    id,
    category: 'audit',
    title,
    status: destination !== undefined ? 'met' : 'not-met',
    detail: destination !== undefined
      ? `Server access logs go to ${logs && refersTo(destination, logs.logicalId) ? `the lake's log bucket ${logs.logicalId}` : `the bucket ${flatten(destination)}`}`
        + `${valueAt(bucket.resource, 'Properties.LoggingConfiguration.LogFilePrefix') ? ` under ${String(valueAt(bucket.resource, 'Properties.LoggingConfiguration.LogFilePrefix'))}` : ''}. `
        + 'S3 delivers them on a best-effort basis, usually within hours, and a record may be missing: CloudTrail S3 data events (the operator\'s) are the complete record.'
      : 'The data bucket has no server access logging: requests to it are recorded only if CloudTrail S3 data events are on in the account.',
    evidence: [t.evidence(bucket, 'Properties.LoggingConfiguration')],
  };
}

function vpcFlowLogs(t: LakeTemplate): Check {
  const id = 'audit.vpc-flow-logs';
  const title = 'The lake\'s VPC records the metadata of its network traffic in flow logs (addresses, ports, bytes, accepted or rejected; no content, no caller).';
  const vpc = t.part('vpc');
  if (!vpc) return notInTemplate(id, 'audit', title, 'The VPC', 'Check that its flow logs record all traffic (accepted and rejected).');
  const flowLogs = t.allOfType('AWS::EC2::FlowLog').filter((log) => refersTo(valueAt(log.resource, 'Properties.ResourceId'), vpc.logicalId));
  const all = flowLogs.find((log) => valueAt(log.resource, 'Properties.TrafficType') === 'ALL');
  return {
    id,
    category: 'audit',
    title,
    status: all ? 'met' : 'not-met',
    detail: all
      ? `The flow log ${all.logicalId} records accepted and rejected traffic of the VPC (${String(valueAt(all.resource, 'Properties.LogDestinationType') ?? 'cloud-watch-logs')}): `
        + 'IP addresses, ports, protocols and byte counts per capture window, on a best-effort basis, never the content or who the caller was.'
      : flowLogs.length > 0
        ? `The VPC's flow logs record only ${sentenceList(flowLogs.map((log) => String(valueAt(log.resource, 'Properties.TrafficType'))))} traffic, not all.`
        : 'The VPC has no flow log in the template.',
    evidence: flowLogs.length > 0 ? flowLogs.map((log) => t.evidence(log, 'Properties.TrafficType')) : [t.evidence(vpc, 'Type')],
  };
}

function apiStage(t: LakeTemplate): FoundResource | undefined {
  const api = t.part('api');
  return t.part('api-stage') ?? (api ? t.lakeResourcesOfType('AWS::ApiGatewayV2::Stage').find((stage) => refersTo(valueAt(stage.resource, 'Properties.ApiId'), api.logicalId)) : undefined);
}

/** What an access log line must hold to say who called what, when, and with which outcome: the stage variables that carry each. */
const ACCESS_LOG_FIELDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['caller', ['$context.authorizer.claims.sub', '$context.authorizer.claims.email', '$context.authorizer.claims.username', '$context.authorizer.claims.cognito:username']],
  ['route', ['$context.routeKey', '$context.path', '$context.resourcePath']],
  ['status', ['$context.status']],
  ['time', ['$context.requestTime', '$context.requestTimeEpoch']],
];

function apiAccessLogs(t: LakeTemplate): Check {
  const id = 'audit.api-access-logs';
  const title = 'Each API request is written to access logs with its caller, route, status and time (no bodies or tokens).';
  const stage = apiStage(t);
  if (!stage) return notInTemplate(id, 'audit', title, 'The API stage', 'Check that it writes access logs with the caller, route, status and time.');
  const destination = valueAt(stage.resource, 'Properties.AccessLogSettings.DestinationArn');
  const format = valueAt(stage.resource, 'Properties.AccessLogSettings.Format');
  const logs = t.part('api-access-logs');
  const text = typeof format === 'string' ? format : '';
  // A variable counts only whole: `$context.status` is not `$context.statusCode`, nor part of `$context.integrationStatus`.
  const holds = (variable: string) => new RegExp(`(^|[^\\w.])${variable.replace(/[.$]/g, '\\$&')}(?![\\w.:])`).test(text);
  const missing = ACCESS_LOG_FIELDS.filter(([, variables]) => !variables.some(holds)).map(([field]) => field);
  const on = destination !== undefined && text.length > 0;
  const status: Status = on && missing.length === 0 ? 'met' : 'not-met';
  return {
    id,
    category: 'audit',
    title,
    status,
    detail: status === 'met'
      ? `The stage ${stage.logicalId} writes one access log line per request to ${logs && refersTo(destination, logs.logicalId) ? `the log group ${logs.logicalId}` : flatten(destination)}, `
        + `with the caller (the user's sub), route, status and time among the ${Object.keys(safeJson(text) ?? {}).length || 'other'} fields of its format.`
      : !on
        ? `The API stage ${stage.logicalId} writes no access logs.`
        : `The access log format of the API stage ${stage.logicalId} has no ${sentenceList(missing)} field: its lines do not say ${sentenceList(missing.map((field) => ({ caller: 'who called', route: 'which route', status: 'with which outcome', time: 'when' })[field] ?? field))}.`,
    evidence: [t.evidence(stage, 'Properties.AccessLogSettings.DestinationArn'), t.evidence(stage, 'Properties.AccessLogSettings.Format')],
  };
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

function retentionDays(value: unknown): string {
  return typeof value === 'number' ? countOf(value, 'day') : `${String(value)} days`;
}

/** The shortest number of days a bucket's enabled lifecycle rules keep an object (current or noncurrent), or undefined when none expires them. */
function bucketExpiry(bucket: FoundResource): { days: number; how: string } | undefined {
  const rules = listOf(valueAt(bucket.resource, 'Properties.LifecycleConfiguration.Rules')).filter((rule: any) => rule?.Status !== 'Disabled');
  const expiries = rules.flatMap((rule: any) => [
    ...typeof rule?.ExpirationInDays === 'number' ? [{ days: rule.ExpirationInDays as number, how: `expires logs after ${countOf(rule.ExpirationInDays as number, 'day')}` }] : [],
    ...rule?.ExpirationDate !== undefined ? [{ days: 0, how: `expires every log on ${flatten(rule.ExpirationDate)}` }] : [],
    ...typeof rule?.NoncurrentVersionExpiration?.NoncurrentDays === 'number'
      ? [{ days: rule.NoncurrentVersionExpiration.NoncurrentDays as number, how: `deletes overwritten or deleted logs after ${countOf(rule.NoncurrentVersionExpiration.NoncurrentDays as number, 'day')}` }] : [],
    ...typeof rule?.NoncurrentVersionExpirationInDays === 'number'
      ? [{ days: rule.NoncurrentVersionExpirationInDays as number, how: `deletes overwritten or deleted logs after ${countOf(rule.NoncurrentVersionExpirationInDays as number, 'day')}` }] : [],
  ]);
  return expiries.sort((x, y) => x.days - y.days)[0];
}

function logRetention(t: LakeTemplate): Check {
  const id = 'audit.log-retention';
  const title = `Every log of the lake (its log groups and the server access log bucket) is kept at least ${MIN_LOG_RETENTION_DAYS} days.`;
  const groups = t.lakeResourcesOfType('AWS::Logs::LogGroup');
  const logBucket = t.part('access-log-bucket');
  const short = groups.filter((group) => {
    const days = valueAt(group.resource, 'Properties.RetentionInDays');
    // Without RetentionInDays CloudWatch Logs keeps the logs for ever.
    return days !== undefined && !(typeof days === 'number' && days >= MIN_LOG_RETENTION_DAYS);
  });
  const expiry = logBucket ? bucketExpiry(logBucket) : undefined;
  const shortBucket = expiry !== undefined && expiry.days < MIN_LOG_RETENTION_DAYS;
  const days = [...new Set(groups.map((group) => valueAt(group.resource, 'Properties.RetentionInDays')))].map((value) => value === undefined ? 'never expire' : retentionDays(value));
  const problems = [
    ...short.length > 0 ? [`${sentenceList(short.map((group) => `${group.logicalId} (${retentionDays(valueAt(group.resource, 'Properties.RetentionInDays'))})`))} `
      + `keep${short.length === 1 ? 's' : ''} logs less than ${MIN_LOG_RETENTION_DAYS} days`] : [],
    ...shortBucket ? [`the server access log bucket ${logBucket!.logicalId} ${expiry!.how}, less than ${MIN_LOG_RETENTION_DAYS} days`] : [],
  ];
  return {
    id,
    category: 'audit',
    title,
    status: groups.length > 0 && problems.length === 0 ? 'met' : 'not-met',
    detail: groups.length === 0
      ? 'The lake has no log group in the template.'
      : problems.length === 0
        ? `All ${groups.length} log groups of the lake keep their logs ${sentenceList(days)}`
          + `${logBucket ? `; the server access log bucket ${logBucket.logicalId} ${expiry ? `${expiry.how} and keeps current logs` : 'keeps its logs'} until they are deleted` : ''}.`
        : `${sentenceList(problems)}.`.replace(/^./, (first) => first.toUpperCase()),
    evidence: [
      ...groups.map((group) => t.evidence(group, 'Properties.RetentionInDays')),
      ...logBucket ? [t.evidence(logBucket, 'Properties.LifecycleConfiguration')] : [],
    ],
  };
}

function logEncryption(t: LakeTemplate): Check {
  const id = 'audit.log-encryption';
  const title = 'Every log group of the lake is encrypted with a customer-managed KMS key that rotates.';
  const groups = t.lakeResourcesOfType('AWS::Logs::LogGroup');
  const unencrypted = groups.filter((group) => valueAt(group.resource, 'Properties.KmsKeyId') === undefined);
  const keys = [...new Map(groups.map((group) => t.referenced(valueAt(group.resource, 'Properties.KmsKeyId')))
    .filter(isDefined).map((key) => [key.logicalId, key])).values()];
  const notRotating = keys.filter((key) => valueAt(key.resource, 'Properties.EnableKeyRotation') !== true);
  const problems = [
    ...unencrypted.length > 0 ? [`${sentenceList(unencrypted.map((group) => group.logicalId))} ${unencrypted.length === 1 ? 'has' : 'have'} no KMS key (CloudWatch Logs' own encryption only)`] : [],
    ...notRotating.map((key) => `the key ${key.logicalId} does not rotate`),
  ];
  return {
    id,
    category: 'audit',
    title,
    status: groups.length > 0 && problems.length === 0 ? 'met' : 'not-met',
    detail: groups.length === 0
      ? 'The lake has no log group in the template.'
      : problems.length === 0
        ? `All ${groups.length} log groups are encrypted with ${keys.length > 0 ? `the rotating key ${sentenceList(keys.map((key) => key.logicalId))}` : 'a KMS key the app imported'}.`
        : `${sentenceList(problems)}.`.replace(/^./, (first) => first.toUpperCase()),
    evidence: [
      ...groups.map((group) => t.evidence(group, 'Properties.KmsKeyId')),
      ...keys.map((key) => t.evidence(key, 'Properties.EnableKeyRotation')),
    ],
  };
}

/** Whether a CloudTrail trail records S3 data events on the data bucket's objects. */
function recordsObjectEvents(trail: FoundResource, bucket: FoundResource | undefined): boolean {
  const coversBucket = (values: unknown[]) => values.some((value) => {
    const arn = flatten(value);
    return /^arn:[^:]*:s3:::?$/.test(arn) || arn.endsWith('arn:aws:s3') || (bucket !== undefined && mentions(value, bucket.logicalId));
  });
  const basic = listOf(valueAt(trail.resource, 'Properties.EventSelectors')).some((selector: any) =>
    listOf(selector?.DataResources).some((resource: any) => resource?.Type === 'AWS::S3::Object' && coversBucket(listOf(resource?.Values))));
  const advanced = listOf(valueAt(trail.resource, 'Properties.AdvancedEventSelectors')).some((selector: any) => {
    const fields = listOf(selector?.FieldSelectors) as any[];
    const objects = fields.some((field) => field?.Field === 'resources.type' && listOf(field?.Equals).includes('AWS::S3::Object'));
    const arns = fields.filter((field) => field?.Field === 'resources.ARN');
    return objects && (arns.length === 0 || arns.some((field) => coversBucket([...listOf(field?.StartsWith), ...listOf(field?.Equals)])));
  });
  return basic || advanced;
}

function recordsManagementEvents(trail: FoundResource): boolean {
  const basic = listOf(valueAt(trail.resource, 'Properties.EventSelectors'));
  const advanced = listOf(valueAt(trail.resource, 'Properties.AdvancedEventSelectors'));
  if (basic.length === 0 && advanced.length === 0) return true;
  return basic.some((selector: any) => selector?.IncludeManagementEvents !== false)
    || advanced.some((selector: any) => listOf(selector?.FieldSelectors).some((field: any) => field?.Field === 'eventCategory' && listOf(field?.Equals).includes('Management')));
}

function cloudTrail(t: LakeTemplate): Check {
  const id = 'audit.cloudtrail';
  const title = 'CloudTrail records the account\'s management events and the S3 data events of the data bucket.';
  const bucket = t.part('data-bucket');
  const trails = t.allOfType('AWS::CloudTrail::Trail').filter((trail) => valueAt(trail.resource, 'Properties.IsLogging') !== false);
  const complete = trails.find((trail) => recordsManagementEvents(trail) && recordsObjectEvents(trail, bucket));
  const bucketName = bucket ? `the data bucket ${bucket.logicalId}` : 'the data bucket';
  return {
    id,
    category: 'audit',
    title,
    status: complete ? 'met' : 'operator',
    detail: complete
      ? `The trail ${complete.logicalId} of this template records management events and S3 object data events of ${bucketName}.`
      : `${trails.length > 0 ? `The trails of this template (${trails.map((trail) => trail.logicalId).join(', ')}) do not record both management events and S3 data events of ${bucketName}` : 'The template has no CloudTrail trail'}: `
        + `the account must record management events (who changed the bucket policy, the key policy, the user pool) and S3 data events (GetObject, PutObject) of ${bucketName}, in an organization or account trail, with log file validation.`,
    evidence: trails.map((trail) => t.evidence(trail, 'Properties.EventSelectors')).concat(trails.map((trail) => t.evidence(trail, 'Properties.AdvancedEventSelectors'))),
  };
}

function configurationMonitoring(t: LakeTemplate): Check {
  const id = 'audit.config-security-hub';
  const title = 'AWS Config and Security Hub watch the account\'s configuration continuously.';
  const recorders = t.allOfType('AWS::Config::ConfigurationRecorder');
  const hubs = t.allOfType('AWS::SecurityHub::Hub');
  const both = recorders.length > 0 && hubs.length > 0;
  return {
    id,
    category: 'audit',
    title,
    status: both ? 'met' : 'operator',
    detail: both
      ? `The template turns on AWS Config (${recorders.map((r) => r.logicalId).join(', ')}) and Security Hub (${hubs.map((h) => h.logicalId).join(', ')}).`
      : `The template ${recorders.length > 0 ? 'records configuration with AWS Config but has no Security Hub' : hubs.length > 0 ? 'turns on Security Hub but has no AWS Config recorder' : 'turns on neither AWS Config nor Security Hub'}: `
        + 'the account must record configuration changes (AWS Config) and check them against a standard such as NIST 800-53 or the HIPAA conformance pack (Security Hub), so that a later change to the lake\'s policies is noticed.',
    evidence: [...recorders, ...hubs].map((resource) => t.evidence(resource, 'Type')),
  };
}

function backups(t: LakeTemplate): Check {
  const id = 'audit.backups';
  const title = 'The messages are backed up outside the data bucket.';
  const bucket = t.part('data-bucket');
  const selections = t.allOfType('AWS::Backup::BackupSelection').filter((selection) =>
    listOf(valueAt(selection.resource, 'Properties.BackupSelection.Resources')).some((resource) => flatten(resource) === '*' || (bucket !== undefined && mentions(resource, bucket.logicalId))));
  const replication = bucket ? valueAt(bucket.resource, 'Properties.ReplicationConfiguration') : undefined;
  return {
    id,
    category: 'audit',
    title,
    status: selections.length > 0 ? 'met' : 'operator',
    detail: selections.length > 0
      ? `AWS Backup covers the data bucket (${selections.map((selection) => selection.logicalId).join(', ')}).`
      : `No AWS Backup plan of the template covers the data bucket${replication ? '; the bucket replicates to another bucket' : ' and it does not replicate'}. Versioning keeps earlier versions in the same bucket only: `
        + 'the account must back up the messages (AWS Backup for S3, or replication to another region and account) and test restores. '
        + 'AWS Backup and replication act with their own roles, which the data perimeter denies unless they are named as message readers.',
    evidence: [
      ...selections.map((selection) => t.evidence(selection, 'Properties.BackupSelection.Resources')),
      ...bucket ? [t.evidence(bucket, 'Properties.ReplicationConfiguration')] : [],
    ],
  };
}

function incidentResponse(t: LakeTemplate): Check {
  const id = 'audit.incident-response';
  const title = 'Someone is alerted to, and responds to, a suspected breach.';
  const alarms = t.allOfType('AWS::CloudWatch::Alarm').filter((alarm) => valueAt(alarm.resource, 'Properties.Namespace') === METRICS_NAMESPACE
    || listOf(valueAt(alarm.resource, 'Properties.Metrics')).some((metric: any) => metric?.MetricStat?.Metric?.Namespace === METRICS_NAMESPACE));
  // Procedures, people and notification duties are never in a template: this stays the operator's, whatever the alarms.
  return {
    id,
    category: 'audit',
    title,
    status: 'operator',
    detail: `${alarms.length > 0 ? `The template has ${alarms.length} alarm${alarms.length === 1 ? '' : 's'} on the lake's metrics (${alarms.map((alarm) => alarm.logicalId).join(', ')})` : `The template has no alarm on the lake's metrics (namespace ${METRICS_NAMESPACE}, such as AccessDenied)`}. `
      + 'Incident response is the operator\'s: alarms on the metrics and on Security Hub findings, a runbook (sign users out, break glass), and breach notification.',
    evidence: alarms.map((alarm) => t.evidence(alarm, 'Properties.MetricName')),
  };
}
