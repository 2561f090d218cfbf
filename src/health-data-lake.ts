import { Duration, Lazy, RemovalPolicy, Stack, Tokenization } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as identitypool from 'aws-cdk-lib/aws-cognito-identitypool';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { checkMessageReader, DataPerimeter } from './access/data-perimeter';
import { apiOnlyStatements, READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG } from './access/institute-access-policy';
import { InstituteAccessRole } from './access/institute-access-role';
import { MessageApi } from './api/message-api';
import { PrivateNetwork } from './api/private-network';
import { messageStoredRule } from './events/message-events';
import { InstituteIdentityPool } from './identity/institute-identity-pool';
import { InstituteUserPool } from './identity/institute-user-pool';
import { PrincipalTagMappingMethod } from './identity/principal-tag-mapping';
import { addLakeOutputs, lakeNameOf } from './lake-identity';
import { firstResourceOf, stampLakePart, stampLakeResources } from './lake-metadata';
import { checkAttributeNames, checkLakeProps, lakePropsOf } from './prop-rules';
import {
  DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS,
  DEFAULT_MAX_MESSAGE_BYTES,
} from './runtime/handler-environment';
import { MessageStorage } from './storage/message-storage';

/** The names of the institute attributes when the app names none. */
const DEFAULT_ATTRIBUTE_NAMES = { read: 'read', write: 'write' };

/**
 * Properties of a `HealthDataLake`.
 *
 * Every property is optional: the defaults are the secure choice. Each value is checked at synthesis,
 * and one outside its allowed range, or of the wrong kind (a number where a `Duration` is expected, a
 * bucket where a role is), fails `cdk synth` with a message that names the property, the value and
 * what is allowed. A value only known at deployment (a token) passes through unchecked. `null`
 * (JavaScript), like `None` (Python), is the same as leaving a property, or all of them, out.
 */
export interface HealthDataLakeProps {
  /**
   * Name of the user pool custom attribute that holds the institute a user may read.
   *
   * The ID token claim is `custom:<name>`, mapped to the principal tag `read`.
   * Allowed: 1 to 20 letters, digits, symbols or punctuation marks (Cognito's rule for custom
   * attribute names: no white space), without the `custom:` prefix, different from `writeAttributeName`.
   *
   * @default 'read'
   */
  readonly readAttributeName?: string;

  /**
   * Name of the user pool custom attribute that holds the institute a user may write for.
   *
   * The ID token claim is `custom:<name>`, mapped to the principal tag `write`.
   * Allowed: as `readAttributeName`, and different from it.
   *
   * @default 'write'
   */
  readonly writeAttributeName?: string;

  /**
   * Multi-factor authentication for institute users.
   *
   * When not `OFF`, users use an authenticator app (TOTP), SMS is not offered.
   *
   * @default cognito.Mfa.REQUIRED
   */
  readonly mfa?: cognito.Mfa;

  /**
   * Cognito threat protection for standard authentication.
   *
   * Any mode other than `NO_ENFORCEMENT` puts the user pool on the Plus feature plan.
   *
   * @default cognito.StandardThreatProtectionMode.FULL_FUNCTION
   */
  readonly threatProtectionMode?: cognito.StandardThreatProtectionMode;

  /**
   * Password policy of the user pool, merged field by field with the secure default.
   *
   * Each field you give replaces that field of the default; each field you leave out keeps it, so
   * `{ minLength: 16 }` still requires all four character classes and 3-day temporary passwords.
   * A field weaker than the default (`minLength` below 14, a `require*` field `false`,
   * `tempPasswordValidity` above 3 days) is followed, and a warning on the user pool
   * (`cdk-health-data-lake:WeakerPasswordPolicy`) names it until you acknowledge it. Allowed
   * (Cognito's limits): `minLength` a whole number from 6 to 99, `passwordHistorySize` from 0 to 24,
   * `tempPasswordValidity` a whole number of days from 1 to 365.
   *
   * @default - at least 14 characters with lower case, upper case, digits and symbols; temporary passwords valid 3 days; no password history
   */
  readonly passwordPolicy?: cognito.PasswordPolicy;

  /**
   * Validity of the ID and access tokens.
   *
   * It is how long a disabled, signed-out or re-attributed user's token still passes the API's
   * authorizer. Allowed (Cognito's limits): a whole number of minutes from 5 minutes to 1 day, as a
   * literal duration (the construct converts it at synthesis).
   *
   * @default Duration.minutes(15)
   */
  readonly tokenValidity?: Duration;

  /**
   * Validity of the refresh token, counted from sign-in.
   *
   * Rotation keeps that end date: the token is rotated on every refresh (refresh with
   * `GetTokensFromRefreshToken`, the `REFRESH_TOKEN_AUTH` flow is not offered). Allowed (Cognito's
   * limits): a whole number of minutes from 60 minutes to 3650 days, not shorter than `tokenValidity`,
   * as a literal duration.
   *
   * @default Duration.days(1)
   */
  readonly refreshTokenValidity?: Duration;

  /**
   * How the identity pool maps the custom attributes to the principal tags `read` and `write`.
   *
   * It can be switched on a deployed stack: the new method's resource sets the mapping, and the old
   * one's removal leaves it alone. A stack deployed with an earlier release, whose removal emptied the
   * mapping, needs one deployment with the method unchanged first (README, "Upgrading from an earlier release").
   *
   * @default PrincipalTagMappingMethod.CUSTOM_RESOURCE
   */
  readonly principalTagMappingMethod?: PrincipalTagMappingMethod;

  /**
   * An existing bucket to store the messages in.
   *
   * Its encryption, versioning, logging and TLS policy are then yours to keep, the construct only
   * grants access to it. Allowed: a bucket encrypted by default with a customer-managed KMS key
   * (SSE-KMS or DSSE-KMS, not S3-managed keys or the AWS-managed `aws/s3` key). Pass that key as
   * `encryptionKey` when the bucket is imported.
   *
   * @default - a new bucket: SSE-KMS with bucket keys, versioned, TLS only, no public access, access logs
   */
  readonly bucket?: s3.IBucket;

  /**
   * The customer-managed KMS key the messages are encrypted with.
   *
   * Allowed with `bucket`: the bucket's own default encryption key.
   *
   * @default - a new key with yearly rotation (or the key of `bucket`)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Bucket that receives the server access logs of the data bucket (ignored with `bucket`).
   *
   * @default - a new SSE-S3, versioned, TLS-only bucket
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Roles of downstream pipelines allowed to read every message, of every institute, outside the API.
   *
   * Each gets what `grantReadMessages` gives. Every other principal of the account is kept away
   * from the messages by the data perimeter of the bucket policy and of the data key. A role of
   * another stack of the app: import it here with `iam.Role.fromRoleArn`, or the two stacks would
   * reference each other.
   *
   * @default - none: only the institute role, through the API
   */
  readonly messageReaders?: iam.IRole[];

  /**
   * What happens to the user pool, the buckets, the keys and the log groups on stack deletion.
   *
   * The same applies when they are replaced. Health data is kept unless you opt out explicitly.
   * With `DESTROY` the user pool also loses its deletion protection (buckets are never emptied by
   * the construct, so a bucket that holds messages still survives the stack). Allowed: `RETAIN` or
   * `DESTROY` (`SNAPSHOT` means nothing for these resources, and `RETAIN_ON_UPDATE_OR_DELETE` could
   * not roll back a failed first deployment of the protected user pool).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Add stack outputs that name the lake's resources.
   *
   * Each output has a description, and its id starts with the lake's construct path in the stack:
   * `<id>ApiUrl`, `<id>UserPoolId`, `<id>UserPoolClientId`, `<id>IdentityPoolId`, `<id>BucketName`,
   * and, for tools that find the lake with `DescribeStacks`, `<id>LakeName`, `<id>ReadClaim`,
   * `<id>WriteClaim` and `<id>RevocationDelaySeconds`. Two lakes whose ids would clash fail at synthesis.
   *
   * @default false
   */
  readonly createOutputs?: boolean;

  /**
   * The lake's name in its logs, metrics and API.
   *
   * It is the `service` field of the handlers' log lines, the `service` dimension of their metrics
   * (namespace `HealthDataLake`) and the name of the HTTP API, so that two lakes in one account keep
   * their logs and metrics apart. Allowed: 1 to 64 letters, digits and hyphens, starting with a letter
   * or a digit, unique among the lakes of the stack.
   *
   * @default - the stack name and the construct path joined by hyphens, e.g. `ClinicStack-Lake`
   * (unique per account and region; cut to 64 characters with a hash when longer)
   */
  readonly lakeName?: string;

  /**
   * Largest HL7 message `POST /messages` accepts, in bytes (larger ones get 413).
   *
   * Allowed: a whole number from 1 to 4500000 (4.5 MB). API Gateway hands the body to Lambda
   * base64-encoded inside an event of at most 6 MiB, Lambda's limit for a synchronous invocation.
   *
   * @default 1048576 (1 MiB)
   */
  readonly maxMessageBytes?: number;

  /**
   * How long a handler trusts one exchange of a caller's ID token at the identity pool.
   *
   * After it, the handler asks the identity pool again, which refuses the tokens of users who were
   * disabled, deleted or signed out globally: this is the longest such a user keeps access through a
   * warm handler (the revocation delay). Allowed: a whole number of seconds from 0 (no cache, every
   * request asks the identity pool) to 55 minutes (identity-pool credentials last one hour and are
   * renewed five minutes early).
   *
   * @default Duration.seconds(60)
   */
  readonly credentialCacheTtl?: Duration;

  /**
   * Steady-state requests per second the API stage accepts (beyond: 429).
   *
   * Allowed: a number above 0 (fractions too). Above 10000, API Gateway's default account quota
   * per region, a warning says it takes effect only where the quota was raised.
   *
   * @default 50
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst of requests the API stage accepts.
   *
   * Allowed: a whole number from 1 to 2147483647 (it may be below the rate). Above 5000, API
   * Gateway's default account quota per region, a warning says it takes effect only where the quota
   * was raised.
   *
   * @default 100
   */
  readonly throttlingBurstLimit?: number;

  /**
   * CORS preflight of the API, for browser clients.
   *
   * Allowed: `maxAge` a whole number of seconds from 0 to 1 day (API Gateway's limits).
   *
   * @default - no CORS: browsers on other origins cannot call the API
   */
  readonly cors?: apigwv2.CorsPreflightOptions;

  /**
   * Reserved concurrent executions of each handler.
   *
   * Allowed: a whole number of at least 1 (leave it out to reserve none). Above 450, what each of
   * the two handlers can reserve with Lambda's default account quota (1000, of which 100 stay
   * unreserved), a warning says so.
   *
   * @default - none reserved (the stage throttling limits the load)
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Your VPC for the handlers.
   *
   * The institute role may reach the data only through one S3 gateway endpoint, and every workload
   * on the route tables of that endpoint passes that gate. So with `vpc`, also pass `vpcSubnets`
   * (subnets dedicated to the lake, to which the construct attaches its own S3 endpoint) or
   * `s3Endpoint` (an endpoint you vouch for). Anything else fails at synthesis.
   *
   * @default - a new VPC with two isolated subnets (no internet access), with flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` dedicated to the lake's handlers.
   *
   * The construct's S3 gateway endpoint is attached to their route tables, so anything routed
   * through those route tables passes the API-only gate. Allowed: subnets of `vpc` that are not
   * public (isolated ones: subnets with a route to the internet get a warning). Requires `vpc`.
   *
   * @default - required with `vpc` unless `s3Endpoint` is given; then the isolated subnets of `vpc`
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * An existing S3 gateway endpoint of `vpc`, attached to the route tables of the handlers' subnets.
   *
   * The construct then creates no S3 endpoint, and the API-only gate means "requests through this
   * endpoint": every workload on its route tables may use a user's identity-pool credentials against
   * the data. Its endpoint policy stays yours and must allow `s3:GetObject`, `s3:PutObject` and
   * `s3:PutObjectTagging` on the lake's objects. Requires `vpc`.
   *
   * @default - the construct creates an S3 gateway endpoint limited to the lake's objects on the route tables of `vpcSubnets`
   */
  readonly s3Endpoint?: ec2.IGatewayVpcEndpoint;

  /**
   * An existing Cognito Identity interface endpoint of `vpc` with private DNS (a VPC can have only one).
   *
   * The construct then creates none. It allows HTTPS from the handlers into the endpoint's security
   * groups, and the endpoint's policy stays yours and must allow `cognito-identity:GetId` and
   * `cognito-identity:GetCredentialsForIdentity` for this lake's identity pool. An endpoint that
   * another HealthDataLake created has its policy extended to this lake's identity pool. Requires
   * `vpc`, and not `lookupSupportedAzs`.
   *
   * @default - the construct creates one in the handlers' subnets, whose policy allows only the token exchange of this identity pool
   */
  readonly cognitoIdentityEndpoint?: ec2.IInterfaceVpcEndpoint;

  /**
   * Place the Cognito Identity endpoint the construct creates only in the availability zones that offer the service.
   *
   * This looks the zones up at synthesis, which needs AWS credentials and a stack with an explicit
   * account and region (the result is cached in `cdk.context.json`). Without it the endpoint goes
   * into one handler subnet per zone, and the deployment fails in a region where a zone of those
   * subnets does not offer Cognito Identity. Not with `cognitoIdentityEndpoint`.
   *
   * @default false
   */
  readonly lookupSupportedAzs?: boolean;

  /**
   * How long the lake's log groups keep their logs.
   *
   * They are the handlers', the API access logs, the VPC flow logs and the logs of the function that sets the
   * principal-tag mapping.
   *
   * Allowed: a member of `logs.RetentionDays`.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The secure front door of a healthcare data lake.
 *
 * Institute users sign in to a Cognito user pool; the identity pool exchanges their ID token for
 * credentials of one ABAC role, tagged with the user's read and write institutes; one central IAM
 * policy then decides which messages in the encrypted bucket they may read and write.
 *
 * The HTTP API (every route needs the user's Cognito ID token, `token_use` = `id`, as
 * `Authorization: Bearer <token>`):
 *
 * - `POST /messages`: body = one HL7 v2 ER7 message (raw or base64; `\r`, `\n` or `\r\n` between
 *   segments; MLLP framing stripped). Stored once with the caller's credentials under
 *   `<write institute>/<id>`, where id = base64url (no padding) of `<MSH-3>|<MSH-4>|<MSH-10>`: the
 *   sending application and facility as sent (written with the standard delimiters `|^~\&`) and the
 *   control id, so only the same control id from the same sender is a duplicate. Tagged
 *   `source=<write institute>` and `state=received`. 201 answers `{ id, controlId,
 *   sendingApplication, sendingFacility, messageType, version, institute, status }`.
 *   With `Accept: x-application/hl7-v2+er7` the answer is an HL7 ACK instead (MSA-1 `AA` stored, or
 *   stored already (200), `AE` not stored / retry, `AR` rejected; MSA-2 the original control id).
 * - `GET /messages/{id}`: 200 with the stored message when it belongs to the caller's read
 *   institute; another institute's message and a missing one both give 404.
 *
 * Errors are JSON `{ "error": { "code", "message", "retryable" } }`: 400 (invalid HL7, with a
 * precise code such as `MISSING_CONTROL_ID`, `MESSAGE_ID_TOO_LONG`, or `INVALID_MESSAGE_ID`),
 * 401 `MISSING_TOKEN` / `NOT_AN_ID_TOKEN`, 403 `NO_WRITE_INSTITUTE` / `NO_READ_INSTITUTE` / `ACCESS_DENIED`, 404 `MESSAGE_NOT_FOUND`,
 * 409 `DUPLICATE_MESSAGE` / `WRITE_CONFLICT` (retryable), 413 `MESSAGE_TOO_LARGE`,
 * 502 `UPSTREAM_ERROR` (retryable) / `STORE_REJECTED`, 503 `SERVICE_THROTTLED` (retryable).
 */
export class HealthDataLake extends Construct {
  /** The user pool of the institute users. */
  public readonly userPool: cognito.UserPool;
  /** The app client (no secret) through which users sign in. */
  public readonly userPoolClient: cognito.UserPoolClient;
  /** The identity pool that exchanges ID tokens for tagged credentials of `instituteAccessRole`. */
  public readonly identityPool: identitypool.IIdentityPool;
  /** The role of authenticated institute users. Its policy is the lake's access control. */
  public readonly instituteAccessRole: iam.Role;
  /** The bucket that holds the messages. */
  public readonly bucket: s3.IBucket;
  /** The KMS key the messages are encrypted with. */
  public readonly encryptionKey: kms.IKey;
  /**
   * The bucket that receives the data bucket's server access logs.
   * Undefined when you passed your own `bucket`.
   */
  public readonly serverAccessLogsBucket?: s3.IBucket;
  /** The ID token claim that holds the read institute (`custom:read` with the default `readAttributeName`). */
  public readonly readClaim: string;
  /** The ID token claim that holds the write institute (`custom:write` with the default `writeAttributeName`). */
  public readonly writeClaim: string;
  /** The HTTP API (`POST /messages`, `GET /messages/{id}`). */
  public readonly api: apigwv2.HttpApi;
  /** The URL of the API, such as `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  public readonly apiUrl: string;
  /** The handler of `POST /messages`. */
  public readonly ingestFunction: lambda.IFunction;
  /** The handler of `GET /messages/{id}`. */
  public readonly readFunction: lambda.IFunction;
  /** The VPC the handlers run in. */
  public readonly vpc: ec2.IVpc;
  /**
   * The S3 gateway endpoint of the handlers' subnets (the construct's, or `s3Endpoint`).
   * It is the only path through which institute credentials reach the data.
   */
  public readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
  /**
   * The Cognito Identity interface endpoint (the construct's, or `cognitoIdentityEndpoint`).
   * The handlers exchange the callers' ID tokens for credentials through it.
   */
  public readonly cognitoIdentityEndpoint: ec2.IInterfaceVpcEndpoint;
  /**
   * The KMS key that encrypts the lake's log groups.
   *
   * They are the handlers', the API access logs, the VPC flow logs and the logs of the function that sets
   * the principal-tag mapping.
   */
  public readonly logsKey: kms.IKey;
  /**
   * The lake's name in its logs, metrics and API.
   *
   * The `lakeName` prop, or the name derived from the stack name and the construct path.
   */
  public readonly lakeName: string;
  private readonly perimeter: DataPerimeter;
  private readonly lakeCreatedBucket: boolean;

  /**
   * Creates the lake's user pool, identity pool, access role, bucket, API and handlers.
   *
   * @param scope The scope in which to define the lake, usually a stack.
   * @param id The construct id, unique within the scope.
   * @param props The lake's configuration. Every property is optional.
   */
  constructor(scope: Construct, id: string, props: HealthDataLakeProps = {}) {
    super(scope, id);
    props = lakePropsOf(props);
    checkLakeProps(this, props);
    const readAttributeName = props.readAttributeName ?? DEFAULT_ATTRIBUTE_NAMES.read;
    const writeAttributeName = props.writeAttributeName ?? DEFAULT_ATTRIBUTE_NAMES.write;
    checkAttributeNames(readAttributeName, writeAttributeName, DEFAULT_ATTRIBUTE_NAMES);
    this.readClaim = `custom:${readAttributeName}`;
    this.writeClaim = `custom:${writeAttributeName}`;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.lakeName = lakeNameOf(this, props.lakeName);

    // Identity: who the users are.
    const users = new InstituteUserPool(this, 'Users', {
      readAttributeName,
      writeAttributeName,
      mfa: props.mfa ?? cognito.Mfa.REQUIRED,
      threatProtectionMode: props.threatProtectionMode ?? cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      passwordPolicy: props.passwordPolicy,
      tokenValidity: props.tokenValidity ?? Duration.minutes(15),
      refreshTokenValidity: props.refreshTokenValidity ?? Duration.days(1),
      removalPolicy,
    });
    this.userPool = users.userPool;
    this.userPoolClient = users.userPoolClient;

    // Storage: where the messages live.
    const storage = new MessageStorage(this, 'Storage', {
      bucket: props.bucket,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      removalPolicy,
    });
    this.bucket = storage.bucket;
    this.encryptionKey = storage.encryptionKey;
    this.serverAccessLogsBucket = storage.serverAccessLogsBucket;
    this.lakeCreatedBucket = storage.createdBucket !== undefined;

    // Logs: encrypted with their own key, kept for a year unless told otherwise.
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.logsKey = logsKey(this, removalPolicy);

    // Access: one role, one policy, decided on the caller's principal tags.
    let identityPool: InstituteIdentityPool | undefined;
    const access = new InstituteAccessRole(this, 'Access', {
      identityPoolId: lazyIdentityPoolId(() => identityPool),
      bucketArn: this.bucket.bucketArn,
      keyArn: this.encryptionKey.keyArn,
    });
    this.instituteAccessRole = access.role;

    identityPool = new InstituteIdentityPool(this, 'Identities', {
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
      authenticatedRole: this.instituteAccessRole,
      principalTags: {
        [READ_PRINCIPAL_TAG]: this.readClaim,
        [WRITE_PRINCIPAL_TAG]: this.writeClaim,
      },
      principalTagMappingMethod: props.principalTagMappingMethod ?? PrincipalTagMappingMethod.CUSTOM_RESOURCE,
      logsKey: this.logsKey,
      logRetention,
      removalPolicy,
    });
    this.identityPool = identityPool.identityPool;

    // Network: the handlers' private path to S3 and Cognito Identity.
    const network = new PrivateNetwork(this, 'Network', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      s3Endpoint: props.s3Endpoint,
      cognitoIdentityEndpoint: props.cognitoIdentityEndpoint,
      lookupSupportedAzs: props.lookupSupportedAzs,
      identityPoolArn: this.identityPool.identityPoolArn,
      bucket: this.bucket,
      logsKey: this.logsKey,
      logRetention,
      removalPolicy,
    });
    this.vpc = network.vpc;
    this.s3Endpoint = network.s3Endpoint;
    this.cognitoIdentityEndpoint = network.cognitoIdentityEndpoint;

    // API-only access: the institute role reaches the data only through the lake's S3 endpoint.
    const apiOnly = apiOnlyStatements({
      bucketArn: this.bucket.bucketArn,
      roleArn: this.instituteAccessRole.roleArn,
      s3EndpointId: network.s3Endpoint.vpcEndpointId,
    });
    access.policy.addStatements(apiOnly.rolePolicy, apiOnly.everyServicePolicy);

    // Data perimeter: only the institute role and the message readers reach the messages.
    this.perimeter = new DataPerimeter(this, 'Perimeter', {
      bucket: this.bucket,
      encryptionKey: this.encryptionKey,
      createdKey: storage.createdKey,
      instituteAccessRole: this.instituteAccessRole,
      instituteStatements: [apiOnly.bucketPolicy],
      institutePolicies: [access.policy],
    });
    (props.messageReaders ?? []).forEach((reader, i) => this.addMessageReader(reader, `messageReaders[${i}]`));

    // API: the front door.
    const ttlSeconds = credentialCacheTtlSeconds(props.credentialCacheTtl);
    const messageApi = new MessageApi(this, 'Api', {
      lakeName: this.lakeName,
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
      identityPoolId: this.identityPool.identityPoolId,
      bucket: this.bucket,
      readClaim: this.readClaim,
      writeClaim: this.writeClaim,
      maxMessageBytes: props.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      credentialCacheTtlSeconds: ttlSeconds,
      throttlingRateLimit: props.throttlingRateLimit ?? 50,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
      cors: props.cors,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      securityGroup: network.handlerSecurityGroup,
      logsKey: this.logsKey,
      logRetention,
      removalPolicy,
    });
    this.api = messageApi.api;
    this.apiUrl = messageApi.api.apiEndpoint;
    this.ingestFunction = messageApi.ingestFunction;
    this.readFunction = messageApi.readFunction;

    // Metadata that lets a reader of the template alone (the compliance report) find the lake's parts.
    stampLakeResources(this, this.lakeName, {
      'user-pool': this.userPool,
      'app-client': this.userPoolClient,
      'identity-pool': this.identityPool,
      'identity-pool-roles': firstResourceOf(identityPool, 'AWS::Cognito::IdentityPoolRoleAttachment'),
      'institute-role': this.instituteAccessRole,
      'institute-policy': access.policy,
      'data-bucket': this.bucket,
      'data-bucket-policy': this.bucket.policy,
      'data-key': this.encryptionKey,
      'access-log-bucket': this.serverAccessLogsBucket,
      'logs-key': this.logsKey,
      'vpc': this.vpc,
      'flow-log': firstResourceOf(this.vpc, 'AWS::EC2::FlowLog') ?? firstResourceOf(this, 'AWS::EC2::FlowLog'),
      's3-endpoint': this.s3Endpoint,
      'cognito-identity-endpoint': this.cognitoIdentityEndpoint,
      'api': this.api,
      'api-stage': firstResourceOf(messageApi, 'AWS::ApiGatewayV2::Stage'),
      'api-access-logs': messageApi.accessLogGroup,
      'authorizer': firstResourceOf(this.api, 'AWS::ApiGatewayV2::Authorizer'),
      'ingest-function': this.ingestFunction,
      'ingest-role': this.ingestFunction.role,
      'read-function': this.readFunction,
      'read-role': this.readFunction.role,
    });

    if (props.createOutputs) {
      addLakeOutputs(this, {
        apiUrl: this.apiUrl,
        userPoolId: this.userPool.userPoolId,
        userPoolClientId: this.userPoolClient.userPoolClientId,
        identityPoolId: this.identityPool.identityPoolId,
        bucketName: this.bucket.bucketName,
        lakeName: this.lakeName,
        readClaim: this.readClaim,
        writeClaim: this.writeClaim,
        revocationDelaySeconds: Tokenization.stringifyNumber(ttlSeconds),
      });
    }
  }

  /**
   * Lets a downstream pipeline's role read every message, of every institute, outside the API.
   *
   * Adds the role to the data perimeter and grants it `s3:GetObject` on the messages and
   * `kms:Decrypt` of the data key through S3. Use this, not `bucket.grantRead`, which the perimeter
   * refuses (synthesis reports it).
   *
   * @param grantee The role of the pipeline that reads the messages.
   */
  public grantReadMessages(grantee: iam.IRole): iam.Grant {
    return this.addMessageReader(grantee, 'grantReadMessages(role)');
  }

  private addMessageReader(reader: iam.IRole, prop: string): iam.Grant {
    checkMessageReader(this, reader, prop);
    // The compliance report shows each reader the template holds as a row of the access matrix.
    stampLakePart(reader, this.lakeName, 'message-reader');
    return this.perimeter.grantReadMessages(reader);
  }

  /**
   * An EventBridge rule that matches every message the lake stores, for downstream processing.
   *
   * The lake's data bucket sends its object events to EventBridge; the rule (on the account's
   * default event bus) matches S3's `Object Created` events (source `aws.s3`) of this bucket whose key
   * is a message key, `<institute>/<message id>`. Add targets through `options.target` or
   * `rule.addTarget`; `options.eventPattern` can narrow the match further (for example
   * `detail.object.key` to one institute's prefix).
   *
   * The event carries no message content. Its `detail` holds the bucket name, the object key (the
   * institute and the message id, which is base64url of the sending application (MSH-3), the sending
   * facility (MSH-4) and the control id (MSH-10): identifiers of the sending system and of the
   * message, not of a patient), the size, the ETag (a checksum of the encrypted object), the version
   * id, the sequencer, the request id, the requester (the account of the institute role) and the
   * source IP address (the lake's S3 endpoint path, inside the VPC), and the reason (`PutObject`).
   * None of it is protected health information, provided senders do not put patient data into
   * MSH-3, MSH-4 or MSH-10, which HL7 reserves for system and message identifiers. A target that
   * needs the message reads it with a role granted through `grantReadMessages`.
   *
   * EventBridge encrypts events at rest with an AWS owned key. Where a target keeps the event, its
   * encryption is the app's: for example an SQS queue target must be encrypted with a KMS key
   * (cdk-nag reports an unencrypted queue), and a dead-letter queue too.
   *
   * With a `bucket` you passed, the lake does not change its notification settings: turn on its
   * EventBridge notifications yourself (`eventBridgeEnabled: true`); when the lake cannot see that
   * they are on (an imported bucket, or one configured outside CloudFormation), synthesis warns
   * (`cdk-health-data-lake:MessageEventsOfYourBucket`) until you acknowledge it.
   *
   * @param id The construct id of the rule, unique within the lake.
   * @param options The rule's name, description, target and a narrower event pattern.
   */
  public onMessageStored(id: string, options?: events.OnEventOptions): events.Rule {
    return messageStoredRule(this, id, {
      bucket: this.bucket,
      lakeCreatedBucket: this.lakeCreatedBucket,
      options,
      warningScope: this,
    });
  }
}

/** The credential cache TTL in whole seconds (checked by the prop rules; a token passes through). */
function credentialCacheTtlSeconds(ttl: Duration | undefined): number {
  return ttl === undefined ? DEFAULT_CREDENTIAL_CACHE_TTL_SECONDS : ttl.toSeconds({ integral: false });
}

/** A KMS key for CloudWatch Logs, usable by the logs service of this region for this account's log groups only. */
function logsKey(scope: Construct, removalPolicy: RemovalPolicy): kms.Key {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'LogsKey', {
    description: 'Encrypts the health data lake handler, API access and VPC flow logs',
    enableKeyRotation: true,
    removalPolicy,
  });
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
    },
  }));
  return key;
}

/**
 * The role's trust policy names the identity pool, and the identity pool names the role: the id is
 * resolved lazily at synthesis (CloudFormation orders the resources by their references).
 */
function lazyIdentityPoolId(pool: () => InstituteIdentityPool | undefined): string {
  return Lazy.string({
    produce: () => {
      const created = pool();
      if (!created) throw new Error('HealthDataLake: the identity pool was not created.');
      return created.identityPool.identityPoolId;
    },
  });
}
