/**
 * Reading a synthesized CloudFormation template as a reviewer does: resources by logical id, values
 * by property path, references between resources and the statements of policy documents. Pure: no
 * CDK, no AWS.
 */
import type { Evidence, TemplateResource } from './model';

/** A resource of the template with its logical id. */
export interface FoundResource {
  readonly logicalId: string;
  readonly resource: TemplateResource;
}

/**
 * The value at a property path such as `Properties.Policies.PasswordPolicy.MinimumLength` or
 * `Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].BucketKeyEnabled`; `undefined`
 * when any step is absent.
 */
export function valueAt(resource: unknown, path: string): unknown {
  let value: unknown = resource;
  for (const step of path.split(/\.|(?=\[)/)) {
    if (value === null || typeof value !== 'object') return undefined;
    const index = /^\[(\d+)\]$/.exec(step);
    value = index ? (Array.isArray(value) ? value[Number(index[1])] : undefined) : (value as Record<string, unknown>)[step];
  }
  return value;
}

/** The evidence of one property of a resource: its value, or `null` when it is absent. */
export function evidenceOf(file: string, found: FoundResource, property: string): Evidence {
  const value = valueAt(found.resource, property);
  return { file, logicalId: found.logicalId, property, value: value === undefined ? null : value };
}

/** Whether a value is `{ Ref: logicalId }` or `{ Fn::GetAtt: [logicalId, ...] }`. */
export function refersTo(value: unknown, logicalId: string): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  if (record.Ref === logicalId) return true;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt[0] === logicalId;
  return typeof getAtt === 'string' && getAtt.split('.')[0] === logicalId;
}

/** Whether a value refers to the resource anywhere inside it (in an `Fn::Join`, say). */
export function mentions(value: unknown, logicalId: string): boolean {
  if (refersTo(value, logicalId)) return true;
  if (Array.isArray(value)) return value.some((item) => mentions(item, logicalId));
  if (value !== null && typeof value === 'object') return Object.values(value).some((item) => mentions(item, logicalId));
  return false;
}

/**
 * A value as one string: `Fn::Join` is joined, a reference becomes `${logicalId}` (or
 * `${logicalId.Attribute}`), any other intrinsic `${?}`. So `{ Fn::Join: ['', [{ Fn::GetAtt: [B, Arn] }, '/*']] }`
 * reads `${B.Arn}/*`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(flatten).join(join[0]);
    if (typeof record.Ref === 'string') return `\${${record.Ref}}`;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
    if (typeof getAtt === 'string') return `\${${getAtt}}`;
  }
  return '${?}';
}

/** A statement of an IAM policy document, as CloudFormation holds it. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A statement with the property path of its place in the resource. */
export interface LocatedStatement {
  readonly statement: PolicyStatement;
  readonly property: string;
}

/** The statements of the policy document at `path` of a resource, each with its own property path. */
export function statementsAt(found: FoundResource | undefined, path: string): LocatedStatement[] {
  if (!found) return [];
  const statements = valueAt(found.resource, `${path}.Statement`);
  if (Array.isArray(statements)) {
    return statements.map((statement, index) => ({ statement: statement as PolicyStatement, property: `${path}.Statement[${index}]` }));
  }
  return statements && typeof statements === 'object' ? [{ statement: statements as PolicyStatement, property: `${path}.Statement` }] : [];
}

/** A value that may be one item or a list, as a list. */
export function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Whether an IAM action pattern (`*`, `?` wildcards, case-insensitive) matches an action. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(action);
}

/** Whether a statement applies to every one of `actions` (through `Action` or `NotAction`). */
export function coversActions(statement: PolicyStatement, actions: readonly string[]): boolean {
  if (statement.NotAction !== undefined) {
    const excluded = listOf(statement.NotAction).map(String);
    return actions.every((action) => !excluded.some((pattern) => actionMatches(pattern, action)));
  }
  const patterns = listOf(statement.Action).map(String);
  return actions.every((action) => patterns.some((pattern) => actionMatches(pattern, action)));
}

/** Whether a resource-policy statement names every principal (`"*"` or `{ AWS: "*" }`). */
export function appliesToEveryone(statement: PolicyStatement): boolean {
  if (statement.NotPrincipal !== undefined) return false;
  const principal = statement.Principal;
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') return listOf((principal as Record<string, unknown>).AWS).includes('*');
  return false;
}

/** The condition keys of a statement, as `Operator key` (key lower-cased, as IAM compares them), sorted. */
export function conditionKeys(statement: PolicyStatement): string[] {
  return Object.entries(statement.Condition ?? {})
    .flatMap(([operator, keys]) => Object.keys(keys ?? {}).map((key) => `${operator} ${key.toLowerCase()}`))
    .sort();
}

/** The value of a condition (`operator`, `key`; the key compared case-insensitively), or undefined. */
export function conditionValue(statement: PolicyStatement, operator: string, key: string): unknown {
  const keys = statement.Condition?.[operator];
  if (!keys) return undefined;
  const entry = Object.entries(keys).find(([name]) => name.toLowerCase() === key.toLowerCase());
  return entry?.[1];
}

/** Whether a condition value is the string (or boolean) `expected`, alone or as the only item of a list. */
export function conditionIs(value: unknown, expected: string): boolean {
  const values = listOf(value);
  return values.length === 1 && String(values[0]).toLowerCase() === expected.toLowerCase();
}
