/**
 * What each property of a HealthDataLake may be, checked at synthesis: a value that CloudFormation,
 * Cognito, API Gateway or Lambda would refuse at deployment, or that would deploy a lake that cannot
 * work, fails here with one message style:
 *
 *   `HealthDataLake: <prop> must be <what is allowed>; got <value>. <what to do, where it helps>.`
 *
 * A value only known at deployment (a token) passes through unchecked, except where the construct
 * itself must read it at synthesis; a token that resolves to a literal at synthesis (a `Lazy`) is
 * checked then, by a construct validation.
 */
import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { countOf } from './contracts/wording';
import type { HealthDataLakeProps } from './health-data-lake';
import { PrincipalTagMappingMethod } from './identity/principal-tag-mapping';
import { MAX_CREDENTIAL_CACHE_TTL_SECONDS } from './runtime/handler-environment';

/** The message of a property value the construct refuses. */
export function refusal(prop: string, allowed: string, got: string, remedy?: string): string {
  return `HealthDataLake: ${prop} must be ${allowed}; got ${got}.${remedy ? ` ${remedy}` : ''}`;
}

/** Thrown at construction for a property value the construct refuses. */
function refuse(prop: string, allowed: string, got: string, remedy?: string): never {
  throw new Error(refusal(prop, allowed, got, remedy));
}

/** A value as the user would have written it (a construct by its path). */
function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value instanceof Duration) return `a Duration of ${value.toHumanString()}`;
  if (Construct.isConstruct(value)) return `the construct at '${value.node.path}'`;
  if (typeof value === 'object' && value !== null) {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      // A cycle: fall back to the type below.
    }
    if (json !== undefined) return json.length > 80 ? `${json.slice(0, 77)}...` : json;
    return `an object of ${value.constructor?.name ?? 'no class'}`;
  }
  return String(value);
}

/** The bounds of a whole number. */
export interface WholeNumberRange {
  readonly min: number;
  readonly max: number;
  /** What the number counts, after the range, e.g. `bytes`. */
  readonly unit?: string;
  /** Where the bounds come from, after the range, e.g. `the largest body Lambda can be given`. */
  readonly why?: string;
}

/**
 * A whole number within a range. A token passes through; one that resolves to a number at
 * synthesis is checked then.
 */
export function checkWholeNumber(scope: Construct, prop: string, value: number | undefined, range: WholeNumberRange): void {
  checkNumber(scope, prop, value, (n) => Number.isInteger(n) && n >= range.min && n <= range.max,
    `a whole number from ${range.min} to ${range.max}${range.unit ? ` ${range.unit}` : ''}${range.why ? ` (${range.why})` : ''}`);
}

/** A number above zero, fractions allowed (a rate). Tokens as in {@link checkWholeNumber}. */
export function checkPositiveNumber(scope: Construct, prop: string, value: number | undefined, allowed: string): void {
  checkNumber(scope, prop, value, (n) => Number.isFinite(n) && n > 0, allowed);
}

function checkNumber(scope: Construct, prop: string, value: number | undefined, valid: (n: number) => boolean, allowed: string): void {
  if (value === undefined) return;
  if (Token.isUnresolved(value)) {
    // Known only at synthesis (a Lazy) or at deployment (a parameter, a reference): check what can be known.
    scope.node.addValidation({
      validate: () => {
        const resolved: unknown = Stack.of(scope).resolve(value);
        return typeof resolved === 'number' && !valid(resolved) ? [refusal(prop, allowed, shown(resolved))] : [];
      },
    });
    return;
  }
  if (typeof value !== 'number' || !valid(value)) refuse(prop, allowed, shown(value));
}

/** The bounds of a duration, counted in whole units. */
export interface DurationRange {
  readonly unit: 'seconds' | 'minutes' | 'days';
  readonly min: Duration;
  readonly max: Duration;
  /** Where the bounds come from, e.g. `Cognito's limits for ID and access tokens`. */
  readonly why?: string;
  /**
   * Whether a token passes through (it goes to CloudFormation or the handlers as is), or is
   * refused because the construct converts the duration at synthesis.
   * @default false
   */
  readonly tokenPassesThrough?: boolean;
}

/** A duration of whole units within a range. */
export function checkDuration(prop: string, value: Duration | undefined, range: DurationRange): void {
  if (value === undefined) return;
  checkIsDuration(prop, value, range.min.toHumanString());
  const count = (d: Duration) => inUnit(d, range.unit);
  const allowed = `a whole number of ${range.unit} from ${count(range.min)} to ${count(range.max)} ` +
    `(${range.min.toHumanString()} to ${range.max.toHumanString()}${range.why ? `, ${range.why}` : ''})`;
  if (value.isUnresolved()) {
    if (range.tokenPassesThrough) return;
    refuse(prop, `a literal duration: ${allowed}`, 'a value only known at deployment',
      `The construct converts ${prop} to ${range.unit} at synthesis.`);
  }
  const n = count(value);
  if (!Number.isInteger(n) || n < count(range.min) || n > count(range.max)) {
    const human = value.toHumanString();
    const inUnits = countOf(n, range.unit.slice(0, -1), range.unit);
    refuse(prop, allowed, human === inUnits ? human : `${human} (${inUnits})`);
  }
}

function inUnit(duration: Duration, unit: DurationRange['unit']): number {
  switch (unit) {
    case 'seconds': return duration.toSeconds({ integral: false });
    case 'minutes': return duration.toMinutes({ integral: false });
    case 'days': return duration.toDays({ integral: false });
  }
}

/** One of a fixed set of values (an enum), for apps that pass a raw value. */
export function checkOneOf<T>(prop: string, value: T | undefined, allowed: Record<string, T>, enumName: string): void {
  if (value === undefined || Object.values(allowed).includes(value)) return;
  refuse(prop, `one of ${Object.keys(allowed).filter((name) => !/^\d+$/.test(name)).map((name) => `${enumName}.${name}`).join(', ')}`,
    shown(value));
}

/**
 * A warning for a value above the default quota of every account: it deploys, but only takes
 * effect in an account whose quota was raised.
 */
export function warnAboveDefaultQuota(scope: Construct, id: string, prop: string, value: number | undefined, quota: number, what: string): void {
  if (value === undefined || Token.isUnresolved(value) || value <= quota) return;
  Annotations.of(scope).addWarningV2(`cdk-health-data-lake:${id}`,
    `${prop} is ${value}, above ${what} (${quota} by default). It deploys, but only an account whose quota was raised ` +
    `gets it. If yours was, acknowledge this warning: Validations.of(lake).acknowledge({ id: 'cdk-health-data-lake:${id}', reason: '<why>' }).`);
}

// ---------------------------------------------------------------------------------------------
// The kinds of value each property takes, for apps whose language does not check them (JavaScript,
// or Python past its type hints): a wrong kind fails with the property's name, not a TypeError.
// ---------------------------------------------------------------------------------------------

/** A Duration of any copy of aws-cdk-lib (an app and a library may each load one). */
function isDuration(value: unknown): value is Duration {
  if (value instanceof Duration) return true;
  const candidate = value as Partial<Record<'toMilliseconds' | 'isUnresolved' | 'toHumanString', unknown>> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.toMilliseconds === 'function' &&
    typeof candidate.isUnresolved === 'function' && typeof candidate.toHumanString === 'function';
}

function checkIsDuration(prop: string, value: unknown, example: string): void {
  if (!isDuration(value)) refuse(prop, `a Duration, such as Duration.${durationFactory(example)}`, shown(value));
}

/** `15 minutes` -> `minutes(15)`, the factory call that makes it. */
function durationFactory(human: string): string {
  const [count, unit] = human.split(' ');
  const units = unit.endsWith('s') ? unit : `${unit}s`;
  return `${units}(${count})`;
}

/** A construct of the kind an interface names, recognised by members every such construct has. */
function checkConstruct(prop: string, value: unknown, members: string[], allowed: string): void {
  if (value === undefined) return;
  const has = typeof value === 'object' && value !== null && Construct.isConstruct(value) &&
    members.every((member) => (value as unknown as Record<string, unknown>)[member] !== undefined);
  if (!has) refuse(prop, allowed, shown(value));
}

function checkBoolean(prop: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') refuse(prop, 'true or false', shown(value));
}

function checkString(prop: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') refuse(prop, 'a string', shown(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Construct.isConstruct(value) && !isDuration(value);
}

function checkObject(prop: string, value: unknown, allowed: string): void {
  if (value !== undefined && !isPlainObject(value)) refuse(prop, allowed, shown(value));
}

function checkList(prop: string, value: unknown, allowed: string): value is unknown[] {
  if (value === undefined) return false;
  if (!Array.isArray(value)) refuse(prop, allowed, shown(value));
  return true;
}

const BUCKET = ['bucketArn', 'bucketName', 'grantRead'];
const BUCKET_ALLOWED = 'an s3.IBucket (a Bucket of the app, or one imported with Bucket.fromBucketName or Bucket.fromBucketAttributes)';
const ROLE_ALLOWED = 'an iam.IRole (a Role of the app, or one imported with Role.fromRoleArn)';

/**
 * The props of a lake as the construct reads them: `null` (JavaScript), like `None` (Python), means
 * left out, for the props object, each prop and each field of a prop that is an object. Anything
 * else but an object is refused.
 */
export function lakePropsOf(props: unknown): HealthDataLakeProps {
  if (props === undefined || props === null) return {};
  if (!isPlainObject(props)) {
    refuse('props', 'an object of HealthDataLakeProps, such as { mfa: Mfa.REQUIRED }, or left out', shown(props));
  }
  const withoutNulls = (object: Record<string, unknown>) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null));
  // One level down too: the fields of passwordPolicy, cors and vpcSubnets.
  return Object.fromEntries(Object.entries(withoutNulls(props))
    .map(([prop, value]) => [prop, isPlainObject(value) ? withoutNulls(value) : value])) as HealthDataLakeProps;
}

/**
 * The kind of value of every property that takes an object, a list, a string or a boolean (numbers
 * and enums are checked with their ranges). It runs first, so no later check meets a wrong kind.
 */
export function checkPropKinds(props: HealthDataLakeProps): void {
  checkString('readAttributeName', props.readAttributeName);
  checkString('writeAttributeName', props.writeAttributeName);
  checkString('lakeName', props.lakeName);
  checkBoolean('createOutputs', props.createOutputs);
  checkBoolean('lookupSupportedAzs', props.lookupSupportedAzs);

  checkObject('passwordPolicy', props.passwordPolicy, 'a cognito.PasswordPolicy object, such as { minLength: 16 }');
  for (const field of ['requireLowercase', 'requireUppercase', 'requireDigits', 'requireSymbols'] as const) {
    checkBoolean(`passwordPolicy.${field}`, props.passwordPolicy?.[field] ?? undefined);
  }
  if (props.passwordPolicy?.tempPasswordValidity != null) {
    checkIsDuration('passwordPolicy.tempPasswordValidity', props.passwordPolicy.tempPasswordValidity, '3 days');
  }
  for (const [prop, example] of [['tokenValidity', '15 minutes'], ['refreshTokenValidity', '1 day'], ['credentialCacheTtl', '60 seconds']] as const) {
    if (props[prop] !== undefined) checkIsDuration(prop, props[prop], example);
  }

  checkConstruct('bucket', props.bucket, BUCKET, BUCKET_ALLOWED);
  checkConstruct('serverAccessLogsBucket', props.serverAccessLogsBucket, BUCKET, BUCKET_ALLOWED);
  checkConstruct('encryptionKey', props.encryptionKey, ['keyArn', 'keyId', 'grantDecrypt'],
    'a kms.IKey (a Key of the app, or one imported with Key.fromKeyArn)');
  if (checkList('messageReaders', props.messageReaders, 'a list of roles, such as [reader], each an iam.IRole (a Role of the app, or one ' +
    'imported with Role.fromRoleArn)')) {
    props.messageReaders!.forEach((reader, index) =>
      checkConstruct(`messageReaders[${index}]`, reader, ['roleArn', 'roleName', 'grantPrincipal'], ROLE_ALLOWED));
  }

  checkObject('cors', props.cors, 'an apigwv2.CorsPreflightOptions object, such as { allowOrigins: [\'https://lab.example.org\'] }');
  if (props.cors?.maxAge != null) checkIsDuration('cors.maxAge', props.cors.maxAge, '10 minutes');
  for (const [field, example] of [['allowOrigins', '\'https://lab.example.org\''], ['allowHeaders', '\'Authorization\', \'Content-Type\''],
    ['exposeHeaders', '\'Location\''], ['allowMethods', 'CorsHttpMethod.POST, CorsHttpMethod.GET']] as const) {
    checkList(`cors.${field}`, props.cors?.[field] ?? undefined, `a list, such as [${example}]`);
  }
  checkBoolean('cors.allowCredentials', props.cors?.allowCredentials ?? undefined);

  checkConstruct('vpc', props.vpc, ['vpcId', 'selectSubnets'],
    'an ec2.IVpc (a Vpc of the app, or one imported with Vpc.fromLookup or Vpc.fromVpcAttributes)');
  checkObject('vpcSubnets', props.vpcSubnets, 'an ec2.SubnetSelection object, such as { subnetGroupName: \'lake\' }');
  checkConstruct('s3Endpoint', props.s3Endpoint, ['vpcEndpointId'],
    'an ec2.IGatewayVpcEndpoint (vpc.addGatewayEndpoint, or one imported with GatewayVpcEndpoint.fromGatewayVpcEndpointId)');
  checkConstruct('cognitoIdentityEndpoint', props.cognitoIdentityEndpoint, ['vpcEndpointId', 'connections'],
    'an ec2.IInterfaceVpcEndpoint (vpc.addInterfaceEndpoint, or one imported with InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes)');
}

// ---------------------------------------------------------------------------------------------
// The lake's rules, in the domain's words.
// ---------------------------------------------------------------------------------------------

/**
 * The largest message `POST /messages` can accept: API Gateway hands the body to Lambda inside a
 * JSON event of at most 6 MiB (6,291,456 bytes, Lambda's synchronous invocation payload), base64
 * encoded (4 characters per 3 bytes) for every content type that is not text, such as HL7's
 * `x-application/hl7-v2+er7`. 4,500,000 bytes take 6,000,000 characters, which leaves 291,456 bytes
 * for the rest of the event (the request line and headers, at most 10,240 bytes on an HTTP API,
 * the verified token claims and the request context). HTTP APIs accept up to 10 MB, more than
 * Lambda can be given.
 */
export const MAX_MESSAGE_BYTES_LIMIT = 4_500_000;

/** Cognito's rule for the name of a custom attribute (without its `custom:` prefix). */
const ATTRIBUTE_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;
const MAX_ATTRIBUTE_NAME_LENGTH = 20;

/**
 * The names of the custom attributes that hold a user's read and write institutes: Cognito's rule
 * for custom attribute names, without the `custom:` prefix the construct adds, and different.
 */
export function checkAttributeNames(readAttributeName: string, writeAttributeName: string, defaults: { read: string; write: string }): void {
  const allowed = `1 to ${MAX_ATTRIBUTE_NAME_LENGTH} letters, digits, symbols or punctuation marks (Cognito's rule for custom attribute names, ` +
    'without the custom: prefix)';
  for (const [prop, name] of [['readAttributeName', readAttributeName], ['writeAttributeName', writeAttributeName]] as const) {
    if (Token.isUnresolved(name)) continue;
    if (typeof name !== 'string') refuse(prop, allowed, shown(name));
    if (name.startsWith('custom:')) {
      refuse(prop, 'the attribute name without the custom: prefix', shown(name),
        `Pass '${name.slice('custom:'.length)}': the construct adds the prefix (the ID token claim is then ${name}).`);
    }
    const length = [...name].length;
    if (length === 0) refuse(prop, allowed, "'' (an empty name)");
    if (length > MAX_ATTRIBUTE_NAME_LENGTH) refuse(prop, allowed, `${shown(name)} (${length} characters)`);
    if (!ATTRIBUTE_NAME.test(name)) {
      refuse(prop, allowed, `${shown(name)}${/\s/u.test(name) ? ' (it contains white space)' : ' (it contains a control or separator character)'}`);
    }
  }
  if (readAttributeName === writeAttributeName && !Token.isUnresolved(readAttributeName)) {
    const which = readAttributeName === defaults.write
      ? ` (writeAttributeName is the default '${defaults.write}')`
      : readAttributeName === defaults.read ? ` (readAttributeName is the default '${defaults.read}')` : '';
    refuse('readAttributeName', 'different from writeAttributeName', `${shown(readAttributeName)} for both${which}`,
      'Each institute attribute needs its own name: give the other one another name.');
  }
}

/**
 * What happens to the lake's stateful resources on stack deletion: only RETAIN and DESTROY mean
 * something for all of them (a user pool, buckets, KMS keys and log groups).
 */
export function checkRemovalPolicy(value: RemovalPolicy | undefined): void {
  if (value === undefined || value === RemovalPolicy.RETAIN || value === RemovalPolicy.DESTROY) return;
  const allowed = 'RemovalPolicy.RETAIN (the default: everything is kept) or RemovalPolicy.DESTROY';
  if (value === RemovalPolicy.SNAPSHOT) {
    refuse('removalPolicy', allowed, 'RemovalPolicy.SNAPSHOT',
      'None of the lake\'s resources (a user pool, buckets, KMS keys, log groups) can be snapshotted, and CloudFormation refuses the policy for them.');
  }
  if (value === RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE) {
    refuse('removalPolicy', allowed, 'RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE',
      'It deletes what a failed first deployment created, but the user pool keeps its deletion protection unless ' +
      'the policy is DESTROY, so that rollback could not delete it. Use RETAIN.');
  }
  refuse('removalPolicy', allowed, shown(value));
}

/** Cognito's limits for ID and access tokens. */
export const TOKEN_VALIDITY_RANGE: DurationRange = {
  unit: 'minutes', min: Duration.minutes(5), max: Duration.days(1), why: 'Cognito\'s limits for ID and access tokens',
};
/** Cognito's limits for refresh tokens. */
export const REFRESH_TOKEN_VALIDITY_RANGE: DurationRange = {
  unit: 'minutes', min: Duration.minutes(60), max: Duration.days(3650), why: 'Cognito\'s limits for refresh tokens',
};

/** The token lifetimes of the app client (converted to minutes at synthesis, so tokens are refused). */
export function checkTokenLifetimes(tokenValidity: Duration, refreshTokenValidity: Duration): void {
  checkDuration('tokenValidity', tokenValidity, TOKEN_VALIDITY_RANGE);
  checkDuration('refreshTokenValidity', refreshTokenValidity, REFRESH_TOKEN_VALIDITY_RANGE);
  if (refreshTokenValidity.toMilliseconds() < tokenValidity.toMilliseconds()) {
    refuse('refreshTokenValidity', `at least tokenValidity (${tokenValidity.toHumanString()})`, refreshTokenValidity.toHumanString(),
      'A refresh token that ends before the tokens it renews renews nothing.');
  }
}

/** Cognito's limit for a temporary password (whole days); 0 days would leave created users no time to sign in. */
const TEMP_PASSWORD_VALIDITY_RANGE: DurationRange = {
  unit: 'days', min: Duration.days(1), max: Duration.days(365), why: 'Cognito\'s limit', tokenPassesThrough: true,
};

/** API Gateway's default account-level quotas per region (all APIs of the account share them). */
const ACCOUNT_RATE_QUOTA = 10_000;
const ACCOUNT_BURST_QUOTA = 5_000;
/**
 * Each of the two handlers reserves `reservedConcurrentExecutions`, and Lambda keeps at least 100
 * of the account's concurrency (1,000 by default, less in new accounts) unreserved.
 */
const DEFAULT_RESERVABLE_PER_HANDLER = (1_000 - 100) / 2;

/**
 * Every property of the lake that has a range, a pattern or a fixed set of values, checked at
 * construction (network properties are checked by the network, which knows the VPC).
 */
export function checkLakeProps(scope: Construct, props: HealthDataLakeProps): void {
  checkPropKinds(props);
  checkOneOf('mfa', props.mfa, cognito.Mfa, 'Mfa');
  checkOneOf('threatProtectionMode', props.threatProtectionMode, cognito.StandardThreatProtectionMode, 'StandardThreatProtectionMode');
  checkOneOf('principalTagMappingMethod', props.principalTagMappingMethod, PrincipalTagMappingMethod, 'PrincipalTagMappingMethod');
  checkOneOf('logRetention', props.logRetention, logs.RetentionDays, 'RetentionDays');
  checkRemovalPolicy(props.removalPolicy);

  const password = props.passwordPolicy;
  checkWholeNumber(scope, 'passwordPolicy.minLength', password?.minLength, { min: 6, max: 99, unit: 'characters', why: 'Cognito\'s limits' });
  checkWholeNumber(scope, 'passwordPolicy.passwordHistorySize', password?.passwordHistorySize,
    { min: 0, max: 24, unit: 'passwords', why: 'Cognito\'s limits' });
  checkDuration('passwordPolicy.tempPasswordValidity', password?.tempPasswordValidity, TEMP_PASSWORD_VALIDITY_RANGE);

  checkWholeNumber(scope, 'maxMessageBytes', props.maxMessageBytes, {
    min: 1,
    max: MAX_MESSAGE_BYTES_LIMIT,
    unit: 'bytes',
    why: 'the largest body API Gateway can hand to Lambda: 6 MiB of event with the body base64-encoded',
  });
  checkDuration('credentialCacheTtl', props.credentialCacheTtl, {
    unit: 'seconds',
    min: Duration.seconds(0),
    max: Duration.seconds(MAX_CREDENTIAL_CACHE_TTL_SECONDS),
    why: 'identity-pool credentials last one hour and are renewed five minutes early',
    tokenPassesThrough: true,
  });

  checkPositiveNumber(scope, 'throttlingRateLimit', props.throttlingRateLimit,
    'a number of requests per second above 0 (0 would throttle every request)');
  checkWholeNumber(scope, 'throttlingBurstLimit', props.throttlingBurstLimit, {
    min: 1, max: 2_147_483_647, unit: 'requests', why: 'a burst of 0 would throttle every request',
  });
  warnAboveDefaultQuota(scope, 'ThrottlingRateAboveAccountQuota', 'throttlingRateLimit', props.throttlingRateLimit,
    ACCOUNT_RATE_QUOTA, 'API Gateway\'s account-level rate quota per region, which every API of the account shares');
  warnAboveDefaultQuota(scope, 'ThrottlingBurstAboveAccountQuota', 'throttlingBurstLimit', props.throttlingBurstLimit,
    ACCOUNT_BURST_QUOTA, 'API Gateway\'s account-level burst quota per region, which every API of the account shares');

  checkWholeNumber(scope, 'reservedConcurrentExecutions', props.reservedConcurrentExecutions, {
    min: 1, max: 2_147_483_647, unit: 'executions per handler', why: '0 would stop the handlers; leave it out to reserve none',
  });
  warnAboveDefaultQuota(scope, 'ReservedConcurrencyAboveAccountQuota', 'reservedConcurrentExecutions', props.reservedConcurrentExecutions,
    DEFAULT_RESERVABLE_PER_HANDLER, 'what each of the two handlers can reserve in an account with Lambda\'s default concurrency quota ' +
    '(1000, of which 100 stay unreserved; new accounts have less)');

  checkDuration('cors.maxAge', props.cors?.maxAge, {
    unit: 'seconds', min: Duration.seconds(0), max: Duration.days(1), why: 'API Gateway\'s limits', tokenPassesThrough: true,
  });
}
