import { Annotations, Lazy, Resource, Stack, Token, TokenComparison, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { refusal } from '../prop-rules';
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

/**
 * A message reader is one IAM role that the lake's stack may name without the two stacks depending
 * on each other: a role of the lake's stack, or one imported by ARN (of any stack or account), whose
 * ARN holds no wildcard (a pattern would let every matching role, present and future, into both
 * perimeters).
 */
export function checkMessageReader(lake: Construct, reader: iam.IRole, prop: string): void {
  const isRole = typeof reader === 'object' && reader !== null && Construct.isConstruct(reader)
    && typeof (reader as Partial<iam.IRole>).roleArn === 'string' && typeof (reader as Partial<iam.IRole>).addToPrincipalPolicy === 'function'
    && (reader as Partial<iam.IRole>).grantPrincipal !== undefined;
  if (!isRole) {
    throw new Error(refusal(prop, 'an IAM role (iam.IRole)', describeValue(reader),
      'Pass the role of the pipeline that reads the messages (an iam.Role, or iam.Role.fromRoleArn for a role created elsewhere).'));
  }
  if (/[*?]/.test(reader.roleArn)) {
    throw new Error(refusal(prop, 'one role, named without wildcards', `${reader.roleArn} (${reader.node.path})`,
      'A wildcard would let every role it matches, now and later, read every message and use the data key. Name each reader role.'));
  }
  const lakeStack = Stack.of(lake);
  const readerStack = Stack.of(reader);
  if (Resource.isOwnedResource(reader) && readerStack !== lakeStack) {
    throw new Error(refusal(prop, `a role of the lake's stack (${lakeStack.node.path}) or an imported role`,
      `${reader.node.path}, a role of the stack ${readerStack.node.path}`,
      'The two stacks would reference each other (the role\'s policy names the bucket, the bucket policy names the role). ' +
      `Import the role into the lake's stack by its ARN: iam.Role.fromRoleArn(lakeStack, '${reader.node.id}', '<role ARN>'), ` +
      'with the role\'s name fixed (roleName) so that its ARN is known.'));
  }
}

/** What a value that is not a role is, for a message. */
function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Construct.isConstruct(value)) return value.node.path;
  return typeof value === 'object' ? 'an object that is not an IAM role' : `${typeof value} ${JSON.stringify(value)}`;
}

export interface DataPerimeterProps {
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /** The data key when the lake created it: only then is its key policy the lake's to write. */
  readonly createdKey?: kms.Key;
  readonly instituteAccessRole: iam.IRole;
  /** Bucket policy statements about the institute role that are written elsewhere (API-only access). */
  readonly instituteStatements: iam.PolicyStatement[];
  /** The lake's own policies of the institute role (its access rules): the only ones that may grant it the bucket or the key. */
  readonly institutePolicies: IConstruct[];
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
 * - The institute role's credentials are any user's: a grant to it on the bucket or the key beside
 *   the lake's own policy is an error too, and any other policy attached to it a warning.
 *
 * The perimeter is decided on `aws:PrincipalArn`, which for an assumed-role session is the ARN of
 * the role (not of the session), including its path.
 */
export class DataPerimeter extends Construct {
  /** Whether the bucket policy carries the perimeter (false for an imported bucket). */
  public readonly enforcedByBucketPolicy: boolean;
  private readonly readers: iam.IRole[] = [];
  /** Warnings already given (validation runs on every synthesis of the app). */
  private readonly warned = new Set<string>();

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
    const { bucket } = this.props;
    const objects = iam.Grant.addToPrincipalOrResource({
      grantee: reader,
      actions: ['s3:GetObject'],
      resourceArns: [bucket.arnForObjects('*')],
      resource: bucket,
    });
    return objects.combine(this.grantDecryptThroughS3(reader));
  }

  /**
   * `kms:Decrypt` of the data key through S3, for this bucket, in the reader's own policy; and in the
   * key policy too when the reader may be of another account (an imported role, an environment-agnostic
   * stack), as `Grant.addToPrincipalOrResource` decides. The key policy cannot name the bucket: the
   * bucket names the key, and CloudFormation refuses the circular dependency. So there the condition
   * names the bucket by its literal name when it has one, and otherwise relies on `kms:ViaService`: the
   * key decrypts through S3 only for a request S3 has authorized, and the bucket policy's perimeter decides that.
   */
  private grantDecryptThroughS3(reader: iam.IRole): iam.Grant {
    const { bucket, encryptionKey } = this.props;
    const viaS3 = { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` };
    const onPrincipal = iam.Grant.addToPrincipal({
      grantee: reader,
      actions: ['kms:Decrypt'],
      resourceArns: [encryptionKey.keyArn],
      conditions: {
        StringEquals: viaS3,
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucket.bucketArn, bucket.arnForObjects('*')] },
      },
    });
    const account = reader.grantPrincipal.principalAccount;
    const comparison = account ? Token.compareStrings(encryptionKey.env.account, account) : undefined;
    if (onPrincipal.success && (comparison === TokenComparison.SAME || comparison === TokenComparison.BOTH_UNRESOLVED)) return onPrincipal;
    const bucketArn = this.bucketArnForTheKeyPolicy();
    const statement = new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: ['*'],
      principals: [reader.grantPrincipal],
      conditions: {
        StringEquals: viaS3,
        ...bucketArn ? { StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, `${bucketArn}/*`] } } : {},
      },
    });
    return iam.Grant.addStatementToResourcePolicy({
      grantee: reader,
      actions: ['kms:Decrypt'],
      resourceArns: [encryptionKey.keyArn],
      resource: encryptionKey,
      statement,
    });
  }

  /** The bucket's ARN as the key policy may write it (undefined when only a reference to the bucket would do). */
  private bucketArnForTheKeyPolicy(): string | undefined {
    const { bucket, encryptionKey } = this.props;
    const created = bucket.node.defaultChild instanceof s3.CfnBucket ? bucket.node.defaultChild : undefined;
    if (!created || Stack.of(created) !== Stack.of(encryptionKey)) return bucket.bucketArn;
    const name = created.bucketName;
    return typeof name === 'string' && !Token.isUnresolved(name) ? `arn:${Stack.of(encryptionKey).partition}:s3:::${name}` : undefined;
  }

  /**
   * Every IAM policy of the app that allows a principal outside the perimeter to read or write the
   * messages (or to use the data key the lake created), and every policy beside the lake's own that
   * allows the institute role anything on the bucket or the key: such a grant fails at run time where
   * the perimeter holds, widens access where it does not, or gives every user of the identity pool
   * more than the lake's rules. Other policies of the institute role are warned about.
   *
   * Each policy is judged in its own stack: a reference to the lake's bucket, key or roles there is
   * either the lake's own stack's or an import of it into that stack. A resource of another stack that
   * has the same construct path (hence the same logical id) is not the lake's.
   */
  private grantsOutsideThePerimeter(): string[] {
    const constructs = this.node.root.node.findAll();
    const holders = constructs.filter((c): c is Holder => c instanceof iam.CfnRole || c instanceof iam.CfnUser || c instanceof iam.CfnGroup);
    const instituteRole = this.props.instituteAccessRole;
    const lakePolicies = new Set(this.props.institutePolicies.map((p) => p.node.defaultChild ?? p));
    const errors: string[] = [];
    for (const { policy, principals } of identityPolicies(constructs, holders)) {
      const stack = Stack.of(policy.construct);
      const resolve = (value: unknown) => flatten(stack.resolve(value));
      const here = (value: string, home: IConstruct) => referenceIn(stack, Stack.of(home), value);
      const isRole = (principal: Principal, role: iam.IRole) => {
        if (principal.kind !== 'role') return false;
        const created = role.node.defaultChild;
        if (principal.resource && created) return principal.resource === created;
        const name = here(role.roleName, role);
        return name !== undefined && principal.name === name;
      };
      const isInstituteRole = (principal: Principal) => isRole(principal, instituteRole);
      const isReader = (principal: Principal) => isInstituteRole(principal) || this.readers.some((r) => isRole(principal, r));
      const bucketArn = here(this.props.bucket.bucketArn, this.props.bucket);
      const createdKeyArn = this.props.createdKey ? here(this.props.createdKey.keyArn, this.props.createdKey) : undefined;
      const keyArn = here(this.props.encryptionKey.keyArn, this.props.encryptionKey);
      const ownPolicy = lakePolicies.has(policy.construct);

      const refused = new Map<Principal, { objects: Set<string>; key: Set<string> }>();
      const instituteGrants = { bucket: new Set<string>(), key: new Set<string>() };
      for (const statement of allowStatements(stack.resolve(policy.document))) {
        const resources = [statement.Resource ?? []].flat().map(resolve);
        const anywhere = statement.NotResource !== undefined || resources.includes('*');
        const onObjects = statement.NotResource !== undefined || (bucketArn !== undefined && resources.some((r) => r.startsWith(`${bucketArn}/`)));
        const onKey = createdKeyArn !== undefined && (statement.NotResource !== undefined || resources.includes(createdKeyArn));
        const patterns = statement.NotAction !== undefined ? ['NotAction'] : [statement.Action ?? []].flat().map(String);
        const touching = (concrete: string[]) => patterns.filter((p) => p === 'NotAction' || actionsMatching(p, concrete).length > 0);
        const ofService = (service: string) => patterns.filter((p) => p === 'NotAction' || p === '*' || p.toLowerCase().startsWith(`${service}:`));
        for (const principal of principals) {
          if (isInstituteRole(principal)) {
            if (ownPolicy) continue;
            const onBucket = anywhere || (bucketArn !== undefined && resources.some((r) => r === bucketArn || r.startsWith(`${bucketArn}/`)));
            if (onBucket) ofService('s3').forEach((a) => instituteGrants.bucket.add(a));
            if (anywhere || (keyArn !== undefined && resources.includes(keyArn))) ofService('kms').forEach((a) => instituteGrants.key.add(a));
            continue;
          }
          const entry = refused.get(principal) ?? { objects: new Set<string>(), key: new Set<string>() };
          if (onObjects && !isReader(principal)) touching(CONCRETE_READ_ACTIONS).forEach((a) => entry.objects.add(a));
          if (onObjects) touching(CONCRETE_WRITE_ACTIONS).forEach((a) => entry.objects.add(a));
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
        errors.push(`${describe(principal)} is allowed ${granted} by ${pathOf(policy.construct)}, but only ` +
          'the institute access role (through the API) and the message readers may reach the messages: ' +
          `${this.enforcedByBucketPolicy
            ? 'the data perimeter would deny it at run time'
            : 'on this imported bucket it would open every institute\'s messages outside the API'}. ` +
          'Use lake.grantReadMessages(role) (or the messageReaders property) for a role that reads every message, ' +
          'instead of a grant on the bucket or its key; messages are written only through the API.');
      }
      const institutePrincipal = principals.find(isInstituteRole);
      if (!institutePrincipal || ownPolicy) continue;
      if (instituteGrants.bucket.size > 0 || instituteGrants.key.size > 0) {
        const granted = [
          ...instituteGrants.bucket.size ? [`${[...instituteGrants.bucket].join(', ')} on the lake's bucket`] : [],
          ...instituteGrants.key.size ? [`${[...instituteGrants.key].join(', ')} on the lake's data key`] : [],
        ].join(' and ');
        errors.push(`The institute access role ${instituteRole.node.path} is allowed ${granted} by ${pathOf(policy.construct)}, ` +
          'but only the lake\'s own policy may grant the institute role anything on the lake\'s bucket or data key: every user of ' +
          'the identity pool can take the role\'s credentials, so this would give every institute what the lake\'s rules ' +
          'give per institute (reads across institutes, for example). Remove the grant; a role that reads every message ' +
          'is another role, granted with lake.grantReadMessages(role).');
      } else {
        this.warnOfInstituteRolePolicy(pathOf(policy.construct));
      }
    }
    this.warnOfInstituteRoleManagedPolicyArns(constructs);
    return errors;
  }

  /** A policy the app attached to the institute role that does not touch the lake: its allows are every user's. */
  private warnOfInstituteRolePolicy(what: string): void {
    if (this.warned.has(what) || acknowledgedByValidations(this.props.instituteAccessRole, INSTITUTE_ROLE_POLICY_WARNING)) return;
    this.warned.add(what);
    Annotations.of(this.props.instituteAccessRole).addWarningV2(INSTITUTE_ROLE_POLICY_WARNING,
      `${what} is attached to the institute access role: every user of the identity pool can take the role's credentials ` +
      'with their own ID token, so whatever it allows is theirs, limited only by the role\'s denies (every request outside ' +
      'the lake\'s S3 endpoint is refused, except what AWS services do on the role\'s behalf). Attach nothing to the ' +
      'institute role, or acknowledge this warning with your reason.');
  }

  /** Policies attached to the institute role by ARN (AWS managed policies): their text is not in the app. */
  private warnOfInstituteRoleManagedPolicyArns(constructs: IConstruct[]): void {
    const role = this.props.instituteAccessRole.node.defaultChild;
    if (!(role instanceof iam.CfnRole)) return;
    const stack = Stack.of(role);
    const own = new Set(constructs.filter((c): c is iam.CfnManagedPolicy => c instanceof iam.CfnManagedPolicy)
      .map((p) => flatten(stack.resolve(p.ref))));
    for (const arn of [stack.resolve(role.managedPolicyArns) ?? []].flat().map(flatten)) {
      if (own.has(arn)) continue; // a managed policy of the app: judged by its document above
      this.warnOfInstituteRolePolicy(`The managed policy ${shown(arn)}`);
    }
  }
}

/**
 * Whether `Validations.of(scope or a parent).acknowledge({ id })` acknowledged the warning `id`. The warning
 * is given at validation, after the app's acknowledgements: aws-cdk-lib from 2.27x applies them to such late
 * warnings itself, but the floor (2.270) only removes the warnings that already exist. Both record the
 * acknowledgement in the construct's metadata, which is read here (a plain Annotations acknowledgement is
 * honoured by addWarningV2 itself).
 */
function acknowledgedByValidations(scope: IConstruct, id: string): boolean {
  return scope.node.scopes.some((construct) => construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .some((entry) => Object.keys((entry.data ?? {}) as Record<string, unknown>).some((key) => key === id || key.endsWith(`::${id}`))));
}

/** The id of the warning about a policy attached to the institute role by the app. */
export const INSTITUTE_ROLE_POLICY_WARNING = 'cdk-health-data-lake:InstituteRolePolicy';

type Holder = iam.CfnRole | iam.CfnUser | iam.CfnGroup;

interface Principal {
  readonly kind: 'role' | 'user' | 'group';
  /** The resolved name (flattened), as the policy's attachment lists it. */
  readonly name: string;
  /** The role, user or group of the app with that name in the policy's stack, when there is one. */
  readonly resource?: Holder;
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
function identityPolicies(constructs: IConstruct[], holders: Holder[]): AttachedPolicy[] {
  const result: AttachedPolicy[] = [];
  const names = (construct: IConstruct, kind: Principal['kind'], values: unknown): Principal[] => {
    const stack = Stack.of(construct);
    return [stack.resolve(values) ?? []].flat().map((value: unknown) => {
      const name = flatten(value);
      const resource = holders.find((h) => kindOf(h) === kind && Stack.of(h) === stack && flatten(stack.resolve(h.ref)) === name);
      return { kind, name, resource };
    });
  };
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
        for (const holder of holders) {
          const attached = [Stack.of(holder).resolve(holder.managedPolicyArns) ?? []].flat().map(flatten);
          if (attached.includes(arn) && !principals.some((p) => p.resource === holder)) principals.push(selfAsPrincipal(holder));
        }
      }
      result.push({ policy: { construct, document: construct.policyDocument }, principals });
    } else if (construct instanceof iam.CfnRole || construct instanceof iam.CfnUser || construct instanceof iam.CfnGroup) {
      const inline = [Stack.of(construct).resolve(construct.policies) ?? []].flat() as Array<{ policyDocument?: unknown }>;
      for (const policy of inline) {
        result.push({ policy: { construct, document: policy.policyDocument }, principals: [selfAsPrincipal(construct)] });
      }
    }
  }
  return result;
}

function kindOf(holder: Holder): Principal['kind'] {
  return holder instanceof iam.CfnRole ? 'role' : holder instanceof iam.CfnUser ? 'user' : 'group';
}

function selfAsPrincipal(holder: Holder): Principal {
  return { kind: kindOf(holder), name: flatten(Stack.of(holder).resolve(holder.ref)), resource: holder };
}

/**
 * `value` (an ARN or name of a construct of the stack `home`) as it would appear in a policy of
 * `stack`, or undefined when it cannot appear there: a reference to a resource of another stack
 * appears only as an import of that stack's output, which CDK has made by the time the app is
 * validated; resolved in a stack that does not import it, it would name whatever resource of that
 * stack has the same logical id.
 */
function referenceIn(stack: Stack, home: Stack, value: string): string | undefined {
  const resolved = flatten(stack.resolve(value));
  if (stack === home) return resolved;
  const refersToResource = /"(Ref|Fn::GetAtt)"/.test(resolved.replace(/\{"Ref":"AWS::[A-Za-z]+"\}/g, ''));
  return refersToResource && resolved === flatten(home.resolve(value)) ? undefined : resolved;
}

function allowStatements(document: unknown): StatementJson[] {
  const statements = [(document as { Statement?: unknown } | undefined)?.Statement ?? []].flat() as StatementJson[];
  return statements.filter((statement) => (statement.Effect ?? 'Allow') === 'Allow');
}

/** The principal's construct path when it is in the app, else its name. */
function describe(principal: Principal): string {
  if (principal.resource) return `The ${principal.kind} ${pathOf(principal.resource)}`;
  return `The ${principal.kind} ${shown(principal.name)}`;
}

/** A flattened value for a message: pseudo parameters by name, other intrinsics as JSON. */
function shown(value: string): string {
  return value.replace(/\u0000\{"Ref":"(AWS::[A-Za-z]+)"\}\u0000/g, '${$1}').replace(/\u0000/g, '');
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
