import { Annotations, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { customerProvidedKeysDeny, retaggingDeny } from './institute-access-policy';

/**
 * Object actions that read a message or what is stored with it. The bucket policy denies them to
 * every principal except the institute access role and the message readers.
 */
export const MESSAGE_READ_ACTIONS = ['s3:GetObject*', 's3:ListMultipartUploadParts', 's3:ListObjectAnnotations', 's3:ListObjectVersionAnnotations'];

/**
 * Object actions that store, change or remove a message or its tags, ACL, retention or versions.
 * The bucket policy denies them to every principal except the institute access role.
 */
export const MESSAGE_WRITE_ACTIONS = [
  's3:PutObject*',
  's3:DeleteObject*',
  's3:RestoreObject',
  's3:AbortMultipartUpload',
  's3:Replicate*',
  's3:BypassGovernanceRetention',
  's3:ObjectOwnerOverrideToBucketOwner',
  's3:InitiateReplication',
  's3:UpdateObjectEncryption',
];

/** KMS operations that use the data key on data; administration of the key is not among them. */
export const DATA_KEY_USE_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];

/**
 * Concrete actions the patterns above stand for, used to tell whether a grant (possibly with its own
 * wildcards, such as CDK's `s3:GetObject*` or `s3:List*`) touches the messages.
 */
const CONCRETE_READ_ACTIONS = [
  's3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes', 's3:GetObjectVersionAttributes',
  's3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:GetObjectAcl', 's3:GetObjectVersionAcl',
  's3:GetObjectTorrent', 's3:GetObjectVersionTorrent', 's3:GetObjectLegalHold', 's3:GetObjectRetention',
  's3:GetObjectVersionForReplication', 's3:ListMultipartUploadParts', 's3:ListObjectAnnotations', 's3:ListObjectVersionAnnotations',
  's3:GetObjectAnnotation', 's3:GetObjectVersionAnnotation', 's3:GetObjectVersionAnnotationForReplication',
];
const CONCRETE_WRITE_ACTIONS = [
  's3:PutObject', 's3:PutObjectAcl', 's3:PutObjectVersionAcl', 's3:PutObjectTagging', 's3:PutObjectVersionTagging',
  's3:PutObjectRetention', 's3:PutObjectLegalHold', 's3:DeleteObject', 's3:DeleteObjectVersion',
  's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging', 's3:RestoreObject', 's3:AbortMultipartUpload',
  's3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags', 's3:BypassGovernanceRetention',
  's3:ObjectOwnerOverrideToBucketOwner', 's3:InitiateReplication', 's3:UpdateObjectEncryption',
  's3:PutObjectAnnotation', 's3:PutObjectVersionAnnotation', 's3:DeleteObjectAnnotation', 's3:DeleteObjectVersionAnnotation',
  's3:ReplicateObjectAnnotation',
];
const CONCRETE_KEY_USE_ACTIONS = [
  'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
];

/** The concrete actions an IAM action pattern (`*` and `?` wildcards, case-insensitive) stands for. */
export function actionsMatching(pattern: string, actions: string[]): string[] {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return actions.filter((action) => regex.test(action));
}

export interface DataPerimeterProps {
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /** The data key when the lake created it: only then is its key policy the lake's to write. */
  readonly createdKey?: kms.Key;
  readonly instituteAccessRole: iam.IRole;
  /** Bucket policy statements about the institute role that are written elsewhere (API-only access). */
  readonly instituteStatements: iam.PolicyStatement[];
}

/**
 * The data perimeter: only the institute access role (through the API) and the message readers the
 * app names reach the messages.
 *
 * - The bucket policy denies every object read to all other principals, and every object write
 *   (including tagging, ACLs, deletion, restore and replication) to every principal except the
 *   institute role. Together with the role's own rules it also refuses overwrites without
 *   `If-None-Match`, any change of a stored message's tags and SSE-C, whatever else is attached.
 * - The data key the lake creates denies its data operations to every principal outside the same
 *   perimeter; its administration stays with the account (IAM decides, as CDK's default key policy says).
 * - A grant in the app that gives a principal outside the perimeter access to the messages (for
 *   example `lake.bucket.grantRead(role)`) would fail at run time, or widen access where the bucket
 *   policy cannot be changed: synthesis reports it as an error that names the role.
 *
 * The perimeter is decided on `aws:PrincipalArn`, which for an assumed-role session is the ARN of
 * the role (not of the session), including its path.
 */
export class DataPerimeter extends Construct {
  /** Whether the bucket policy carries the perimeter (false for an imported bucket). */
  public readonly enforcedByBucketPolicy: boolean;
  private readonly readers: iam.IRole[] = [];

  constructor(scope: Construct, id: string, private readonly props: DataPerimeterProps) {
    super(scope, id);
    const { bucket, instituteAccessRole } = props;
    const objects = bucket.arnForObjects('*');
    const anyone = [new iam.AnyPrincipal()];
    const mayRead = Lazy.list({ produce: () => [instituteAccessRole.roleArn, ...this.readers.map((r) => r.roleArn)] });

    const statements = [
      ...props.instituteStatements,
      new iam.PolicyStatement({
        // The role's own policy says the same; this one holds whatever else is attached to the role.
        sid: 'DenyInstituteUsersOverwriting',
        effect: iam.Effect.DENY,
        principals: anyone,
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': instituteAccessRole.roleArn },
          Null: { 's3:if-none-match': 'true' },
        },
      }),
      retaggingDeny(objects, anyone),
      customerProvidedKeysDeny(objects, anyone),
      new iam.PolicyStatement({
        sid: 'DenyReadingMessagesOutsideThePerimeter',
        effect: iam.Effect.DENY,
        principals: anyone,
        actions: MESSAGE_READ_ACTIONS,
        resources: [objects],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': mayRead } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyChangingMessagesOutsideThePerimeter',
        effect: iam.Effect.DENY,
        principals: anyone,
        actions: MESSAGE_WRITE_ACTIONS,
        resources: [objects],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': instituteAccessRole.roleArn } },
      }),
    ];
    this.enforcedByBucketPolicy = statements.map((statement) => bucket.addToResourcePolicy(statement).statementAdded).every(Boolean);
    if (!this.enforcedByBucketPolicy) {
      Annotations.of(scope).addWarningV2('cdk-health-data-lake:ApiOnlyBucketPolicy',
        'The bucket you passed is imported, so its bucket policy cannot be changed here: the institute role\'s own ' +
        'policy still denies access outside the lake\'s S3 endpoint, overwrites, re-tagging and SSE-C, but nothing keeps ' +
        'other principals of the account away from the messages. Add these statements to the bucket policy yourself: ' +
        `${statements.map((s) => s.sid).join(', ')} (see the bucket policy a new lake bucket gets).`);
    }

    props.createdKey?.addToResourcePolicy(new iam.PolicyStatement({
      // Administration (key policy, rotation, deletion) stays with the account; data use does not.
      sid: 'DenyDataUseOutsideThePerimeter',
      effect: iam.Effect.DENY,
      principals: anyone,
      actions: DATA_KEY_USE_ACTIONS,
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': mayRead } },
    }));

    this.node.addValidation({ validate: () => this.grantsOutsideThePerimeter() });
  }

  /**
   * Lets `reader` read every message: adds it to the perimeter and grants `s3:GetObject` on the
   * objects and `kms:Decrypt` of the data key through S3 for this bucket.
   */
  public grantReadMessages(reader: iam.IRole): iam.Grant {
    if (!this.readers.includes(reader)) this.readers.push(reader);
    const { bucket, encryptionKey } = this.props;
    const objects = iam.Grant.addToPrincipalOrResource({
      grantee: reader,
      actions: ['s3:GetObject'],
      resourceArns: [bucket.arnForObjects('*')],
      resource: bucket,
    });
    const key = iam.Grant.addToPrincipalOrResource({
      grantee: reader,
      actions: ['kms:Decrypt'],
      resourceArns: [encryptionKey.keyArn],
      resource: encryptionKey,
      conditions: {
        StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucket.bucketArn, bucket.arnForObjects('*')] },
      },
    });
    return objects.combine(key);
  }

  /**
   * Every IAM policy of the app that allows a principal outside the perimeter to read or write the
   * messages (or to use the data key the lake created): such a grant fails at run time where the
   * perimeter holds, and widens access where it does not.
   */
  private grantsOutsideThePerimeter(): string[] {
    const constructs = this.node.root.node.findAll();
    const roles = constructs.filter((c): c is iam.CfnRole => c instanceof iam.CfnRole);
    const errors: string[] = [];
    for (const { policy, principals } of identityPolicies(constructs)) {
      const stack = Stack.of(policy.construct);
      const resolve = (value: unknown) => flatten(stack.resolve(value));
      const isRole = (principal: Principal, role: iam.IRole) =>
        principal.kind === 'role' && principal.name === resolve(role.roleName);
      const isInstituteRole = (principal: Principal) => isRole(principal, this.props.instituteAccessRole);
      const isReader = (principal: Principal) => isInstituteRole(principal) || this.readers.some((r) => isRole(principal, r));
      const objectsPrefix = `${resolve(this.props.bucket.bucketArn)}/`;
      const keyArn = this.props.createdKey ? resolve(this.props.createdKey.keyArn) : undefined;

      const refused = new Map<Principal, { objects: Set<string>; key: Set<string> }>();
      for (const statement of allowStatements(stack.resolve(policy.document))) {
        const resources = [statement.Resource ?? []].flat().map(resolve);
        const onObjects = statement.NotResource !== undefined || resources.some((r) => r.startsWith(objectsPrefix));
        const onKey = keyArn !== undefined && (statement.NotResource !== undefined || resources.includes(keyArn));
        const patterns = statement.NotAction !== undefined ? ['NotAction'] : [statement.Action ?? []].flat().map(String);
        const touching = (concrete: string[]) => patterns.filter((p) => p === 'NotAction' || actionsMatching(p, concrete).length > 0);
        for (const principal of principals) {
          const entry = refused.get(principal) ?? { objects: new Set<string>(), key: new Set<string>() };
          if (onObjects && !isReader(principal)) touching(CONCRETE_READ_ACTIONS).forEach((a) => entry.objects.add(a));
          if (onObjects && !isInstituteRole(principal)) touching(CONCRETE_WRITE_ACTIONS).forEach((a) => entry.objects.add(a));
          if (onKey && !isReader(principal)) touching(CONCRETE_KEY_USE_ACTIONS).forEach((a) => entry.key.add(a));
          refused.set(principal, entry);
        }
      }
      for (const [principal, { objects, key }] of refused) {
        if (objects.size === 0 && key.size === 0) continue;
        const granted = [
          ...objects.size ? [`${[...objects].join(', ')} on the lake's messages`] : [],
          ...key.size ? [`${[...key].join(', ')} on the lake's data key`] : [],
        ].join(' and ');
        errors.push(`${describe(principal, roles, stack)} is allowed ${granted} by ${pathOf(policy.construct)}, but only ` +
          'the institute access role (through the API) and the message readers may reach the messages: ' +
          `${this.enforcedByBucketPolicy
            ? 'the data perimeter would deny it at run time'
            : 'on this imported bucket it would open every institute\'s messages outside the API'}. ` +
          'Use lake.grantReadMessages(role) (or the messageReaders property) for a role that reads every message, ' +
          'instead of a grant on the bucket or its key; messages are written only through the API.');
      }
    }
    return errors;
  }
}

interface Principal {
  readonly kind: 'role' | 'user' | 'group';
  /** The resolved name (flattened), as the policy's attachment lists it. */
  readonly name: string;
}

interface StatementJson {
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
}

interface AttachedPolicy {
  readonly policy: { readonly construct: IConstruct; readonly document: unknown };
  readonly principals: Principal[];
}

/** Every identity policy of the app (managed, standalone and inline) with the principals it applies to. */
function identityPolicies(constructs: IConstruct[]): AttachedPolicy[] {
  const result: AttachedPolicy[] = [];
  const names = (construct: IConstruct, kind: Principal['kind'], values: unknown): Principal[] =>
    [Stack.of(construct).resolve(values) ?? []].flat().map((name: unknown) => ({ kind, name: flatten(name) }));
  for (const construct of constructs) {
    if (construct instanceof iam.CfnPolicy || construct instanceof iam.CfnManagedPolicy) {
      const principals = [
        ...names(construct, 'role', construct.roles),
        ...names(construct, 'user', construct.users),
        ...names(construct, 'group', construct.groups),
      ];
      if (construct instanceof iam.CfnManagedPolicy) {
        // A managed policy may also be attached from the other side (role.addManagedPolicy).
        const arn = flatten(Stack.of(construct).resolve(construct.ref));
        for (const holder of constructs) {
          if (!(holder instanceof iam.CfnRole || holder instanceof iam.CfnUser || holder instanceof iam.CfnGroup)) continue;
          const attached = [Stack.of(holder).resolve(holder.managedPolicyArns) ?? []].flat().map(flatten);
          if (attached.includes(arn)) principals.push(...selfAsPrincipal(holder));
        }
      }
      result.push({ policy: { construct, document: construct.policyDocument }, principals });
    } else if (construct instanceof iam.CfnRole || construct instanceof iam.CfnUser || construct instanceof iam.CfnGroup) {
      const inline = [Stack.of(construct).resolve(construct.policies) ?? []].flat() as Array<{ policyDocument?: unknown }>;
      for (const policy of inline) {
        result.push({ policy: { construct, document: policy.policyDocument }, principals: selfAsPrincipal(construct) });
      }
    }
  }
  return result;
}

function selfAsPrincipal(holder: iam.CfnRole | iam.CfnUser | iam.CfnGroup): Principal[] {
  const kind = holder instanceof iam.CfnRole ? 'role' : holder instanceof iam.CfnUser ? 'user' : 'group';
  return [{ kind, name: flatten(Stack.of(holder).resolve(holder.ref)) }];
}

function allowStatements(document: unknown): StatementJson[] {
  const statements = [(document as { Statement?: unknown } | undefined)?.Statement ?? []].flat() as StatementJson[];
  return statements.filter((statement) => (statement.Effect ?? 'Allow') === 'Allow');
}

/** The role's construct path when it is in the app, else its name. */
function describe(principal: Principal, roles: iam.CfnRole[], stack: Stack): string {
  const role = principal.kind === 'role' ? roles.find((r) => flatten(stack.resolve(r.ref)) === principal.name) : undefined;
  if (role) return `The role ${pathOf(role)}`;
  return `The ${principal.kind} ${principal.name.replace(/\u0000/g, '')}`;
}

/** The path of the construct the app wrote (an L2's CloudFormation resource is its child `Resource`). */
function pathOf(construct: IConstruct): string {
  return construct.node.id === 'Resource' && construct.node.scope ? construct.node.scope.node.path : construct.node.path;
}

/**
 * A resolved CloudFormation value as one comparable string: `Fn::Join` is joined, any other
 * intrinsic becomes an opaque marker, so `${bucketArn}/*` starts with `${bucketArn}/` in both forms.
 */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return (join[1] as unknown[]).map(flatten).join(String(join[0]));
  }
  return `\u0000${JSON.stringify(value)}\u0000`;
}
