/**
 * What the institute role may do beyond the lake's object actions. Any user of the identity pool
 * can take the role's credentials straight from the pool, so every allow of the role's policies
 * outside reading and writing the lake's messages (S3 object actions on the lake's objects) and
 * using its data key (KMS cryptographic operations on that key) is a finding, and so is a policy
 * the report cannot read (a managed policy attached by ARN).
 */
import type { AccessFinding } from './model';
import { actionsMatchedBy, type ObjectActionCatalogue } from './object-actions';
import type { LakePolicies, PolicyStatement } from './policy-simulation';
import { listOf } from './template-reading';

/** The findings on the institute role `role` (logical id) whose policies are `policies`. */
export function instituteRolePowerFindings(role: string, policies: LakePolicies, catalogue: ObjectActionCatalogue): AccessFinding[] {
  const findings: AccessFinding[] = [];
  for (const arn of [...policies.unevaluatedPolicyArns ?? []].sort()) {
    findings.push({
      resource: role,
      detail: `The institute role ${role} has the managed policy ${arn} attached by ARN (ManagedPolicyArns): its document is not in the template, `
        + 'so the report cannot evaluate what it allows the credentials any user of the identity pool can take; attach only the lake\'s own policy.',
    });
  }
  const objectActions = new Set(catalogue.objectActions.map((entry) => entry.action.toLowerCase()));
  const keyActions = new Set(catalogue.keyActions.map((entry) => entry.action.toLowerCase()));
  const s3Actions = catalogue.s3AndKmsActions.filter((action) => action.startsWith('s3:'));
  const kmsActions = catalogue.s3AndKmsActions.filter((action) => action.startsWith('kms:'));
  for (const { name, policy } of policies.identityPolicies) {
    for (const [index, statement] of [policy.Statement].flat().entries()) {
      if (statement.Effect !== 'Allow') continue;
      const beyond = beyondTheLake(statement, policies, { objectActions, keyActions, s3Actions, kmsActions });
      if (beyond.length === 0) continue;
      const label = statement.Sid ?? `#${index + 1}`;
      findings.push({
        resource: policyLogicalId(name, role),
        detail: `The institute role ${role} holds the policy ${name}, whose statement ${label} allows ${beyond.join('; ')}: `
          + 'beyond the lake\'s object actions on its messages and data key, for credentials any user of the identity pool can take.',
      });
    }
  }
  return findings;
}

/** An inline policy is named `<role>-inline-<index>-<name>`: its resource is the role. */
function policyLogicalId(name: string, role: string): string {
  return name.startsWith(`${role}-inline-`) ? role : name;
}

interface ActionSets {
  readonly objectActions: ReadonlySet<string>;
  readonly keyActions: ReadonlySet<string>;
  readonly s3Actions: readonly string[];
  readonly kmsActions: readonly string[];
}

/** What an allow statement grants outside the lake's object actions, one phrase each (none when it stays inside). */
function beyondTheLake(statement: PolicyStatement, policies: LakePolicies, sets: ActionSets): string[] {
  const phrases: string[] = [];
  if (statement.NotAction !== undefined) {
    phrases.push(`every action except ${listOf(statement.NotAction).map(String).join(', ')} (NotAction)`);
  }
  if (statement.NotResource !== undefined) {
    phrases.push(`every resource except ${listOf(statement.NotResource).map(String).join(', ')} (NotResource)`);
  }
  const patterns = listOf(statement.Action).map(String);
  const otherServices = patterns.filter((pattern) => !/^(s3|kms):/i.test(pattern));
  if (otherServices.length > 0) phrases.push(`${otherServices.join(', ')}`);
  const s3Outside = actionsMatchedBy(patterns.filter((p) => /^s3:/i.test(p)), sets.s3Actions).filter((a) => !sets.objectActions.has(a.toLowerCase()));
  if (s3Outside.length > 0) phrases.push(`the S3 actions ${abbreviated(s3Outside)}, which are not object actions`);
  const kmsOutside = actionsMatchedBy(patterns.filter((p) => /^kms:/i.test(p)), sets.kmsActions).filter((a) => !sets.keyActions.has(a.toLowerCase()));
  if (kmsOutside.length > 0) phrases.push(`the KMS actions ${abbreviated(kmsOutside)}, which are not cryptographic operations on data`);
  const objects = `${policies.bucketArn}/`;
  const resourcesOutside = listOf(statement.Resource).map(String)
    .filter((resource) => !(resource.startsWith(objects) && resource.length > objects.length) && resource !== policies.keyArn);
  if (resourcesOutside.length > 0) {
    phrases.push(`${patterns.length > 0 ? patterns.join(', ') : 'its actions'} on ${resourcesOutside.join(', ')}, outside the lake's objects (${objects}*) and data key`);
  }
  return phrases;
}

/** A list of actions, the first few named and the rest counted. */
export function abbreviated(actions: readonly string[], shown = 8): string {
  return actions.length <= shown ? actions.join(', ') : `${actions.slice(0, shown).join(', ')} and ${actions.length - shown} more`;
}
