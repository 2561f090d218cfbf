import * as iam from 'aws-cdk-lib/aws-iam';
import { READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG } from '../contracts/principal-tags';
import { RECEIVED_STATE, SOURCE_TAG, STATE_TAG } from '../runtime/handler-environment';

export { READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG };

const READ_INSTITUTE = `\${aws:PrincipalTag/${READ_PRINCIPAL_TAG}}`;
const WRITE_INSTITUTE = `\${aws:PrincipalTag/${WRITE_PRINCIPAL_TAG}}`;

/**
 * Actions an institute user never gets on the lake, whatever else is attached to the role:
 * nothing can be deleted, untagged, re-tagged by version, re-permissioned or listed.
 */
export const DENIED_DATA_ACTIONS = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersionTagging',
  's3:PutObjectVersionTagging',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:RestoreObject',
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:ListBucketMultipartUploads',
  's3:GetObjectVersion',
  's3:GetObjectVersionTagging',
  's3:GetObjectAcl',
  's3:GetObjectVersionAcl',
];

/**
 * The object resources the policy grants on: every object of the bucket (reads, decided by tag) and
 * the caller's own key prefix (writes). Shared with the compliance acknowledgement of the role.
 */
export function instituteObjectResources(bucketArn: string) {
  return { objects: `${bucketArn}/*`, ownWritePrefix: `${bucketArn}/${WRITE_INSTITUTE}/*` };
}

export interface InstituteAccessPolicyProps {
  /** ARN of the data bucket. */
  readonly bucketArn: string;
  /** ARN of the KMS key the bucket encrypts with. */
  readonly keyArn: string;
  /** Region of the bucket (for the `kms:ViaService` condition). */
  readonly region: string;
  /** Domain suffix of the partition's service endpoints (`amazonaws.com`, `amazonaws.com.cn`, ...). */
  readonly urlSuffix: string;
}

/**
 * The one central policy of the lake: attribute-based access control on the caller's principal tags.
 *
 * - Read: `s3:GetObject` only when the object's `source` tag equals the caller's `read` tag.
 * - Write: new objects only, under `<write tag>/` in the key space, tagged exactly
 *   `source=<write tag>` and `state=received` (no other tag keys), and only as a conditional
 *   create (`If-None-Match: *`), so nothing can be overwritten.
 * - `s3:PutObjectTagging` is needed by S3 for a PutObject that carries tags; it is scoped to the
 *   caller's own key prefix, to the same tag set and to objects without a `source` tag, so tags are
 *   set once, at creation: nothing re-tags a stored message (the seed design's re-tag-then-read
 *   hole), resets its `state` or removes its `source`.
 * - A missing or empty principal tag matches nothing: `Null` and `?*` conditions on every allow.
 *   A write institute with a `/` gets no write access (its key prefix would overlap another's).
 * - Explicit denies keep cross-institute reads and destructive actions closed even if someone
 *   attaches a broader policy to the role later.
 */
export function instituteAccessPolicy(props: InstituteAccessPolicyProps): iam.PolicyDocument {
  const { objects, ownWritePrefix } = instituteObjectResources(props.bucketArn);
  const hasTag = (tag: string) => ({
    Null: { [`aws:PrincipalTag/${tag}`]: 'false' },
    StringLike: { [`aws:PrincipalTag/${tag}`]: '?*' },
  });
  // A write institute is also a key prefix: with a `/` in it, `A/B/*` would lie inside `A/*`.
  const hasWriteTag = {
    ...hasTag(WRITE_PRINCIPAL_TAG),
    StringNotLike: { [`aws:PrincipalTag/${WRITE_PRINCIPAL_TAG}`]: '*/*' },
  };
  const exactTagSet = {
    [`s3:RequestObjectTag/${SOURCE_TAG}`]: WRITE_INSTITUTE,
    [`s3:RequestObjectTag/${STATE_TAG}`]: RECEIVED_STATE,
  };

  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'ReadOwnInstituteMessages',
        actions: ['s3:GetObject'],
        resources: [objects],
        conditions: {
          ...hasTag(READ_PRINCIPAL_TAG),
          StringEquals: { [`s3:ExistingObjectTag/${SOURCE_TAG}`]: READ_INSTITUTE },
        },
      }),
      new iam.PolicyStatement({
        sid: 'CreateOwnInstituteMessages',
        actions: ['s3:PutObject'],
        resources: [ownWritePrefix],
        conditions: {
          ...hasWriteTag,
          'StringEquals': exactTagSet,
          'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': [SOURCE_TAG, STATE_TAG] },
          // Create, never overwrite: S3 rejects the write atomically when the key exists.
          'Null': { [`aws:PrincipalTag/${WRITE_PRINCIPAL_TAG}`]: 'false', 's3:if-none-match': 'false' },
        },
      }),
      new iam.PolicyStatement({
        sid: 'TagOwnInstituteMessagesOnCreate',
        actions: ['s3:PutObjectTagging'],
        resources: [ownWritePrefix],
        conditions: {
          ...hasWriteTag,
          'StringEquals': exactTagSet,
          'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': [SOURCE_TAG, STATE_TAG] },
          // Tags are set once, by the creating PutObject: only an object without a source tag is tagged.
          'Null': {
            [`aws:PrincipalTag/${WRITE_PRINCIPAL_TAG}`]: 'false',
            [`s3:ExistingObjectTag/${SOURCE_TAG}`]: 'true',
          },
        },
      }),
      new iam.PolicyStatement({
        sid: 'UseLakeKeyThroughS3Only',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${props.region}.${props.urlSuffix}` },
          // With S3 bucket keys the context is the bucket ARN; without them, the object ARN.
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [props.bucketArn, objects] },
        },
      }),
      new iam.PolicyStatement({
        sid: 'DenyReadingOtherInstitutes',
        effect: iam.Effect.DENY,
        actions: ['s3:GetObject'],
        resources: [objects],
        conditions: { StringNotEquals: { [`s3:ExistingObjectTag/${SOURCE_TAG}`]: READ_INSTITUTE } },
      }),
      new iam.PolicyStatement({
        // The role exists for the lake only: it creates and tags nothing outside its own key prefix,
        // in this bucket or any other, whatever else is attached to it.
        sid: 'DenyWritingOutsideOwnPrefix',
        effect: iam.Effect.DENY,
        actions: ['s3:PutObject', 's3:PutObjectTagging'],
        notResources: [ownWritePrefix],
      }),
      new iam.PolicyStatement({
        sid: 'DenyWritingForOtherInstitutes',
        effect: iam.Effect.DENY,
        actions: ['s3:PutObject', 's3:PutObjectTagging'],
        resources: [objects],
        conditions: { StringNotEquals: { [`s3:RequestObjectTag/${SOURCE_TAG}`]: WRITE_INSTITUTE } },
      }),
      retaggingDeny(objects),
      new iam.PolicyStatement({
        // Whatever else is attached to the role: a PutObject without `If-None-Match` could replace a
        // stored message (a new version hides the original), so only conditional creates pass.
        sid: 'DenyOverwritingMessages',
        effect: iam.Effect.DENY,
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
      customerProvidedKeysDeny(objects),
      new iam.PolicyStatement({
        sid: 'DenyDestructiveAndListingActions',
        effect: iam.Effect.DENY,
        actions: DENIED_DATA_ACTIONS,
        resources: [props.bucketArn, objects],
      }),
    ],
  });
}

/**
 * Tags are set once, by the creating PutObject (the object has no `source` tag yet then): a stored
 * message is never re-tagged, by version or not, nor untagged. Used in the role's policy (every
 * bucket) and in the bucket policy (every principal).
 */
export function retaggingDeny(objects: string, principals?: iam.IPrincipal[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyRetaggingStoredMessages',
    effect: iam.Effect.DENY,
    principals,
    actions: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'],
    resources: [objects],
    conditions: { Null: { [`s3:ExistingObjectTag/${SOURCE_TAG}`]: 'false' } },
  });
}

/**
 * No object is stored with a key the caller provides (SSE-C): S3 would not encrypt it with the
 * lake's KMS key, and whoever holds that key alone could read it. Used in the role's policy and in
 * the bucket policy.
 */
export function customerProvidedKeysDeny(objects: string, principals?: iam.IPrincipal[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyCustomerProvidedKeys',
    effect: iam.Effect.DENY,
    principals,
    actions: ['s3:PutObject'],
    resources: [objects],
    conditions: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
  });
}

/**
 * API-only access: requests of the institute access role must come through the lake's own S3
 * gateway endpoint, i.e. from the handlers in the lake's VPC. Credentials that a user obtains
 * directly from the identity pool (GetId + GetCredentialsForIdentity with their own ID token)
 * therefore open nothing: the user has no network path through that endpoint.
 *
 * The same rule is written twice, as defence in depth: in the role's policy (holds for any
 * bucket, also one the user brought) and in the bucket policy (holds whatever else is attached to
 * the role). A third statement of the role's policy extends it to every service and resource, so
 * that the credentials open nothing that trusts the account or the organization.
 */
export function apiOnlyStatements(props: { bucketArn: string; roleArn: string; s3EndpointId: string }) {
  const resources = [props.bucketArn, `${props.bucketArn}/*`];
  const outsideTheEndpoint = { StringNotEquals: { 'aws:SourceVpce': props.s3EndpointId } };
  return {
    rolePolicy: new iam.PolicyStatement({
      sid: 'DenyOutsideTheLakeApi',
      effect: iam.Effect.DENY,
      actions: ['s3:*'],
      resources,
      conditions: outsideTheEndpoint,
    }),
    everyServicePolicy: new iam.PolicyStatement({
      // The role's credentials are any user's (GetCredentialsForIdentity with their own ID token), and
      // many resource policies trust the whole account or organization: so nothing at all, in any
      // service, outside the lake's S3 endpoint. What AWS services do on the role's behalf (S3 calling
      // KMS for the lake's objects) carries aws:ViaAWSService and is decided by the other statements;
      // the request that started it was itself refused here unless it came through the endpoint.
      sid: 'DenyEverythingOutsideTheLakeApi',
      effect: iam.Effect.DENY,
      actions: ['*'],
      resources: ['*'],
      conditions: { ...outsideTheEndpoint, BoolIfExists: { 'aws:ViaAWSService': 'false' } },
    }),
    bucketPolicy: new iam.PolicyStatement({
      sid: 'DenyInstituteUsersOutsideTheLakeApi',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:*'],
      resources,
      conditions: { ...outsideTheEndpoint, ArnEquals: { 'aws:PrincipalArn': props.roleArn } },
    }),
  };
}
