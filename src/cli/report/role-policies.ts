/**
 * Every identity policy a template attaches to one role, in whatever form it is written: a standalone
 * `AWS::IAM::Policy`, an `AWS::IAM::RolePolicy`, an `AWS::IAM::ManagedPolicy` that lists the role (or
 * that the role lists in its `ManagedPolicyArns`), the role's inline `Policies`, and the managed
 * policies the role lists by ARN whose documents are not in the template. The role may be named by
 * `Ref`, by `Fn::GetAtt`, by any expression that resolves to its name, or by its literal `RoleName`.
 * Pure: no AWS, no simulator.
 */
import type { TemplateJson } from './model';
import { listOf, mentions } from './template-reading';

/** A policy document the template holds, attached to the role. */
export interface AttachedPolicyDocument {
  /** The policy's name in the report: its logical id, or `<role>-inline-<index>-<PolicyName>` for an inline policy. */
  readonly name: string;
  /** The logical id of the resource that holds the document (the role itself for an inline policy). */
  readonly logicalId: string;
  readonly kind: 'AWS::IAM::Policy' | 'AWS::IAM::RolePolicy' | 'AWS::IAM::ManagedPolicy' | 'inline';
  /** The document as the template writes it (intrinsics not resolved). */
  readonly document: unknown;
}

/** The policies attached to a role. */
export interface RolePolicies {
  readonly documents: readonly AttachedPolicyDocument[];
  /** Entries of the role's `ManagedPolicyArns` that name no managed policy of the template, as written. */
  readonly byArn: readonly unknown[];
}

/**
 * The policies attached to `role` in `template`. `resolve` turns a value into what CloudFormation
 * would make of it (a name, an ARN) or throws when it cannot; `roleName` is the role's physical
 * name under that resolution.
 */
export function policiesAttachedToRole(
  template: TemplateJson,
  role: string,
  resolve: (value: unknown) => unknown,
  roleName: string,
): RolePolicies {
  const resources = Object.entries(template.Resources ?? {});
  const roleResource = template.Resources?.[role];
  const literalName = typeof roleResource?.Properties?.RoleName === 'string' ? roleResource.Properties.RoleName : undefined;
  const namesTheRole = (value: unknown): boolean => {
    if (mentions(value, role)) return true;
    if (literalName !== undefined && value === literalName) return true;
    try {
      const resolved = resolve(value);
      return resolved === roleName || (literalName !== undefined && resolved === literalName)
        || (typeof resolved === 'string' && resolved.endsWith(`:role/${roleName}`));
    } catch {
      return false;
    }
  };
  const listsTheRole = (value: unknown) => listOf(value).some(namesTheRole);

  const documents: AttachedPolicyDocument[] = [];
  const managedArns = listOf(roleResource?.Properties?.ManagedPolicyArns);
  const byArn: unknown[] = [];
  const managedByTheRole = new Set<string>();
  for (const entry of managedArns) {
    const managed = resources.find(([logicalId, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && (mentions(entry, logicalId) || sameArn(entry, logicalId, resolve)));
    if (managed) managedByTheRole.add(managed[0]);
    else byArn.push(entry);
  }
  for (const [logicalId, resource] of resources) {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        if (listsTheRole(properties.Roles) || managedByTheRole.has(logicalId)) {
          documents.push({ name: logicalId, logicalId, kind: resource.Type, document: properties.PolicyDocument });
        }
        break;
      case 'AWS::IAM::RolePolicy':
        if (namesTheRole(properties.RoleName)) {
          documents.push({ name: logicalId, logicalId, kind: 'AWS::IAM::RolePolicy', document: properties.PolicyDocument });
        }
        break;
    }
  }
  for (const [index, inline] of listOf(roleResource?.Properties?.Policies).entries()) {
    const { PolicyName, PolicyDocument } = (inline ?? {}) as { PolicyName?: unknown; PolicyDocument?: unknown };
    documents.push({ name: `${role}-inline-${index}-${String(PolicyName)}`, logicalId: role, kind: 'inline', document: PolicyDocument });
  }
  return { documents, byArn };
}

function sameArn(entry: unknown, managedPolicy: string, resolve: (value: unknown) => unknown): boolean {
  try {
    return resolve(entry) === resolve({ Ref: managedPolicy });
  } catch {
    return false;
  }
}
