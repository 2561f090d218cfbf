import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { sendObjectEventsToEventBridge } from '../events/message-events';
import { refusal } from '../prop-rules';

export interface MessageStorageProps {
  readonly bucket?: s3.IBucket;
  readonly encryptionKey?: kms.IKey;
  readonly serverAccessLogsBucket?: s3.IBucket;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Where the messages live: an SSE-KMS bucket with a customer-managed key (SSE-C blocked),
 * versioning, TLS only, no public access, object ownership enforced and server access logs to a
 * separate bucket.
 */
export class MessageStorage extends Construct {
  public readonly bucket: s3.IBucket;
  public readonly encryptionKey: kms.IKey;
  /** Undefined when the caller brought their own data bucket (its logging is theirs). */
  public readonly serverAccessLogsBucket?: s3.IBucket;
  /** The data key when this construct created it (its key policy is then the lake's to write). */
  public readonly createdKey?: kms.Key;
  /** The data bucket when this construct created it (it then sends its object events to EventBridge). */
  public readonly createdBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: MessageStorageProps) {
    super(scope, id);

    if (props.bucket) {
      this.bucket = props.bucket;
      this.encryptionKey = keyOfYourBucket(props.bucket, props.encryptionKey);
      return;
    }

    if (!props.encryptionKey) {
      this.createdKey = new kms.Key(this, 'Key', {
        description: 'Encrypts the HL7 messages of the health data lake',
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy,
      });
    }
    this.encryptionKey = props.encryptionKey ?? this.createdKey!;

    const logsBucket = props.serverAccessLogsBucket ?? this.createServerAccessLogsBucket(props.removalPolicy);
    this.serverAccessLogsBucket = logsBucket;

    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      // No object with a key the client provides (SSE-C): S3 refuses such requests for this bucket.
      blockedEncryptionTypes: [s3.BlockedEncryptionType.SSE_C],
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
    });
    this.bucket = bucket;
    this.createdBucket = bucket;
    // Every stored message emits an Object Created event (key and size, never content): see onMessageStored.
    sendObjectEventsToEventBridge(bucket);
    this.deliverServerAccessLogs(bucket, logsBucket);
    Validations.of(bucket).acknowledge(...noReplication('messages'));

    // Every object is encrypted with the lake's own key: a request may not ask for another key or
    // for SSE-S3 (the bucket default applies when the request names none).
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyOtherEncryption',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('*')],
      // Only a request that names an encryption decides here: without the header the bucket default applies.
      conditions: {
        Null: { 's3:x-amz-server-side-encryption': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
      },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyOtherKmsKeys',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: {
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.encryptionKey.keyArn },
      },
    }));
  }

  /**
   * Server access logging with a bucket policy for the S3 logging service, never with ACLs
   * (object ownership is enforced on both buckets). CDK only does this under a feature flag that
   * the consumer's app may not set, so the construct does it itself.
   */
  private deliverServerAccessLogs(bucket: s3.Bucket, logsBucket: s3.IBucket): void {
    const prefix = 'data-bucket/';
    (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: logsBucket.bucketName,
      logFilePrefix: prefix,
    };
    logsBucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'S3ServerAccessLogsDelivery',
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [logsBucket.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      },
    }));
  }

  private createServerAccessLogsBucket(removalPolicy: RemovalPolicy): s3.Bucket {
    const logs = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to buckets with SSE-S3 default encryption.
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(365) }],
    });
    const selfLogging = 'This is the server access log bucket itself; logging it into itself would loop.';
    const sseS3Only = 'S3 server access log delivery supports only SSE-S3 on the target bucket; the logs hold no message content.';
    Validations.of(logs).acknowledge(
      { id: 'AwsSolutions-S1', reason: selfLogging },
      { id: 'HIPAA.Security-S3BucketLoggingEnabled', reason: selfLogging },
      { id: 'NIST.800.53.R5-S3BucketLoggingEnabled', reason: selfLogging },
      { id: 'HIPAA.Security-S3DefaultEncryptionKMS', reason: sseS3Only },
      { id: 'NIST.800.53.R5-S3DefaultEncryptionKMS', reason: sseS3Only },
      ...noReplication('server access logs'),
    );
    return logs;
  }
}

/**
 * The customer-managed key of a bucket the app brought. A bucket created in the app shows its default
 * encryption, so each way it falls short gets its own message; an imported bucket shows nothing, so
 * its key must be passed. The handlers store messages under the bucket's default encryption and the
 * institute role may use only `encryptionKey`, so the two must be the same key.
 */
function keyOfYourBucket(bucket: s3.IBucket, encryptionKey: kms.IKey | undefined): kms.IKey {
  const prop = 'bucket';
  const allowed = 'a bucket encrypted by default with a customer-managed KMS key (SSE-KMS or DSSE-KMS)';
  const created = bucket.node.defaultChild instanceof s3.CfnBucket ? bucket.node.defaultChild : undefined;
  if (created) {
    const algorithm = defaultEncryptionOf(created);
    const fix = 'Create it with encryption: s3.BucketEncryption.KMS (with your key as encryptionKey of the bucket, or none to let CDK create one).';
    if (algorithm === undefined) {
      throw new Error(refusal(prop, allowed, `${bucket.node.path}, which sets no default encryption (S3 then uses SSE-S3, S3-managed keys)`, fix));
    }
    if (algorithm === 'AES256') {
      throw new Error(refusal(prop, allowed, `${bucket.node.path}, encrypted with S3-managed keys (BucketEncryption.S3_MANAGED)`, fix));
    }
    if (!bucket.encryptionKey && (algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse')) {
      throw new Error(refusal(prop, allowed, `${bucket.node.path}, encrypted with the AWS-managed key aws/s3 (BucketEncryption.KMS_MANAGED)`,
        'The data perimeter needs a key whose policy the lake can extend. ' + fix));
    }
  }
  const key = encryptionKey ?? bucket.encryptionKey;
  if (!key) {
    throw new Error(refusal('encryptionKey', 'the customer-managed KMS key of the bucket you pass',
      `nothing, and the bucket ${bucket.node.path} is imported, so its key is not known`,
      'Pass that key as encryptionKey (for example kms.Key.fromKeyArn).'));
  }
  if (bucket.encryptionKey && encryptionKey && bucket.encryptionKey !== encryptionKey && bucket.encryptionKey.keyArn !== encryptionKey.keyArn) {
    throw new Error(refusal('encryptionKey', `the key the bucket ${bucket.node.path} encrypts with (${bucket.encryptionKey.node.path})`,
      encryptionKey.node.path, 'Messages are stored under the bucket\'s default encryption and the institute role may use only ' +
      'encryptionKey: leave encryptionKey out, or pass the bucket\'s key.'));
  }
  return key;
}

/** The default encryption algorithm of a bucket created in the app, when it is set and literal. */
function defaultEncryptionOf(bucket: s3.CfnBucket): string | undefined {
  const encryption = bucket.bucketEncryption as s3.CfnBucket.BucketEncryptionProperty | undefined;
  const rules = encryption?.serverSideEncryptionConfiguration as s3.CfnBucket.ServerSideEncryptionRuleProperty[] | undefined;
  if (!Array.isArray(rules)) return encryption === undefined ? undefined : 'unknown';
  const byDefault = rules[0]?.serverSideEncryptionByDefault as s3.CfnBucket.ServerSideEncryptionByDefaultProperty | undefined;
  return typeof byDefault?.sseAlgorithm === 'string' ? byDefault.sseAlgorithm : 'unknown';
}

function noReplication(what: string) {
  const reason = `Cross-region replication of the ${what} needs a bucket and key in a second region, which is a ` +
    'deployment decision outside this construct; the bucket is versioned and retained on stack deletion.';
  return [
    { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason },
    { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason },
  ];
}
