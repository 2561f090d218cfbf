import { CfnOutput, Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as identitypool from 'aws-cdk-lib/aws-cognito-identitypool';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG } from './access/institute-access-policy';
import { InstituteAccessRole } from './access/institute-access-role';
import { InstituteIdentityPool } from './identity/institute-identity-pool';
import { InstituteUserPool } from './identity/institute-user-pool';
import { PrincipalTagMappingMethod } from './identity/principal-tag-mapping';
import { MessageStorage } from './storage/message-storage';

/**
 * Properties of a {@link HealthDataLake}. Every property is optional: the defaults are the secure choice.
 */
export interface HealthDataLakeProps {
  /**
   * Name of the user pool custom attribute that holds the institute a user may read
   * (the ID token claim is `custom:<name>`; it is mapped to the principal tag `read`).
   *
   * @default 'read'
   */
  readonly readAttributeName?: string;

  /**
   * Name of the user pool custom attribute that holds the institute a user may write for
   * (the ID token claim is `custom:<name>`; it is mapped to the principal tag `write`).
   *
   * @default 'write'
   */
  readonly writeAttributeName?: string;

  /**
   * Multi-factor authentication for institute users. When not `OFF`, users use an authenticator
   * app (TOTP); SMS is not offered.
   *
   * @default cognito.Mfa.REQUIRED
   */
  readonly mfa?: cognito.Mfa;

  /**
   * Cognito threat protection for standard authentication. Any mode other than `NO_ENFORCEMENT`
   * puts the user pool on the Plus feature plan.
   *
   * @default cognito.StandardThreatProtectionMode.FULL_FUNCTION
   */
  readonly threatProtectionMode?: cognito.StandardThreatProtectionMode;

  /**
   * Password policy of the user pool.
   *
   * @default - at least 14 characters with lower case, upper case, digits and symbols; temporary passwords valid 3 days
   */
  readonly passwordPolicy?: cognito.PasswordPolicy;

  /**
   * How the identity pool maps the custom attributes to the principal tags `read` and `write`.
   *
   * @default PrincipalTagMappingMethod.CUSTOM_RESOURCE
   */
  readonly principalTagMappingMethod?: PrincipalTagMappingMethod;

  /**
   * An existing bucket to store the messages in. It must be encrypted with a customer-managed KMS
   * key (pass it as `encryptionKey` when the bucket is imported). Its encryption, versioning,
   * logging and TLS policy are then yours to keep; the construct only grants access to it.
   *
   * @default - a new bucket: SSE-KMS with bucket keys, versioned, TLS only, no public access, access logs
   */
  readonly bucket?: s3.IBucket;

  /**
   * The customer-managed KMS key the messages are encrypted with.
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
   * What happens to the user pool, the data and log buckets and the key when the stack is
   * deleted or they are replaced. Health data is kept unless you opt out explicitly.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Add stack outputs with the user pool id, app client id, identity pool id and bucket name.
   *
   * @default false
   */
  readonly createOutputs?: boolean;
}

/**
 * The secure front door of a healthcare data lake.
 *
 * Institute users sign in to a Cognito user pool; the identity pool exchanges their ID token for
 * credentials of one ABAC role, tagged with the user's read and write institutes; one central IAM
 * policy then decides which messages in the encrypted bucket they may read and write.
 */
export class HealthDataLake extends Construct {
  /** The user pool of the institute users. */
  public readonly userPool: cognito.UserPool;
  /** The app client (no secret) through which users sign in. */
  public readonly userPoolClient: cognito.UserPoolClient;
  /** The identity pool that exchanges ID tokens for tagged credentials of `instituteAccessRole`. */
  public readonly identityPool: identitypool.IdentityPool;
  /** The role of authenticated institute users; its policy is the lake's access control. */
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
  /** The ID token claim that holds the read institute, e.g. `custom:read`. */
  public readonly readClaim: string;
  /** The ID token claim that holds the write institute, e.g. `custom:write`. */
  public readonly writeClaim: string;

  constructor(scope: Construct, id: string, props: HealthDataLakeProps = {}) {
    super(scope, id);
    const readAttributeName = props.readAttributeName ?? 'read';
    const writeAttributeName = props.writeAttributeName ?? 'write';
    if (readAttributeName === writeAttributeName) {
      throw new Error('HealthDataLake: readAttributeName and writeAttributeName must differ.');
    }
    this.readClaim = `custom:${readAttributeName}`;
    this.writeClaim = `custom:${writeAttributeName}`;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Identity: who the users are.
    const users = new InstituteUserPool(this, 'Users', {
      readAttributeName,
      writeAttributeName,
      mfa: props.mfa ?? cognito.Mfa.REQUIRED,
      threatProtectionMode: props.threatProtectionMode ?? cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      passwordPolicy: props.passwordPolicy ?? {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
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
    });
    this.identityPool = identityPool.identityPool;

    if (props.createOutputs) {
      new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
      new CfnOutput(this, 'IdentityPoolId', { value: this.identityPool.identityPoolId });
      new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    }
  }
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
