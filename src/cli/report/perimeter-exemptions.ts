/**
 * The principals the data perimeter exempts, read from the bucket policy and the key policy: every
 * `Deny` to every principal that is lifted for some principals by a condition on
 * `aws:PrincipalArn`. Each exempted pattern is named; one the lake's model does not expect (not
 * the institute role, not a message reader the template marks, a wildcard, any exemption from the
 * write perimeter other than the institute role) is a finding, and so is any other condition that
 * narrows the deny (such as `aws:PrincipalType`), which lets the principals it does not match escape.
 */
import type { AccessFinding } from './model';
import type { PolicyDocument, PolicyStatement } from './policy-simulation';
import { actionMatches, appliesToEveryone, listOf } from './template-reading';

/** A perimeter statement and what it exempts. */
export interface PerimeterExemption {
  /** Logical id of the bucket policy or of the key. */
  readonly policy: string;
  /** The statement's Sid, or `#<n>`. */
  readonly statement: string;
  /** The exempted principal ARN patterns, as written. */
  readonly principals: readonly string[];
  /** Other conditions of the statement, as `<operator> <key> <values>`. */
  readonly narrowing: readonly string[];
  /** Whether the statement keeps readers out (its actions include reading objects or decrypting). */
  readonly reads: boolean;
}

const NEGATIVE_PRINCIPAL_OPERATORS = /^(ArnNotEquals|ArnNotLike|StringNotEquals|StringNotLike|StringNotEqualsIgnoreCase)(IfExists)?$/;

/** The perimeter statements of a resource policy. */
export function perimeterExemptions(policy: string, document: PolicyDocument | undefined): PerimeterExemption[] {
  const exemptions: PerimeterExemption[] = [];
  for (const [index, statement] of [document?.Statement ?? []].flat().entries()) {
    if (statement.Effect !== 'Deny' || !appliesToEveryone(statement as never)) continue;
    const principals: string[] = [];
    const narrowing: string[] = [];
    for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
      for (const [key, value] of Object.entries(keys ?? {})) {
        const values = listOf(value).map(String);
        if (key.toLowerCase() === 'aws:principalarn' && NEGATIVE_PRINCIPAL_OPERATORS.test(operator)) principals.push(...values);
        else narrowing.push(`${operator} ${key} ${values.join(', ')}`);
      }
    }
    if (principals.length === 0) continue;
    exemptions.push({
      policy,
      statement: statement.Sid ?? `#${index + 1}`,
      principals,
      narrowing: narrowing.filter((condition) => !isTransportCondition(condition)),
      reads: readsMessages(statement),
    });
  }
  return exemptions;
}

/** Conditions that restrict the request (TLS), not the principal: not a narrowing of the perimeter. */
function isTransportCondition(condition: string): boolean {
  return /^Bool aws:SecureTransport /i.test(condition);
}

function readsMessages(statement: PolicyStatement): boolean {
  const patterns = listOf(statement.Action).map(String);
  return ['s3:GetObject', 'kms:Decrypt'].some((action) => patterns.some((pattern) => actionMatches(pattern, action)));
}

/** The findings on the perimeter: what it exempts beyond the institute role and the marked message readers. */
export function perimeterFindings(
  exemptions: readonly PerimeterExemption[],
  expected: { readonly instituteRole: string; readonly readers: ReadonlyMap<string, string> },
): AccessFinding[] {
  const findings: AccessFinding[] = [];
  for (const exemption of exemptions) {
    const where = `The data perimeter's statement ${exemption.statement} of ${exemption.policy}`;
    for (const principal of exemption.principals) {
      if (principal === expected.instituteRole) continue;
      const reader = expected.readers.get(principal);
      if (/[*?]/.test(principal)) {
        findings.push({ resource: exemption.policy, detail: `${where} exempts the wildcard principal pattern ${principal}: every principal whose ARN matches it is let through, however the account names it later.` });
      } else if (!exemption.reads) {
        findings.push({ resource: exemption.policy, detail: `${where} exempts ${principal}${reader ? ` (the message reader ${reader})` : ''} from the deny of changing messages: only the institute role may write.` });
      } else if (!reader) {
        findings.push({ resource: exemption.policy, detail: `${where} exempts ${principal}, which is neither the institute role nor a message reader the template marks (grantReadMessages).` });
      }
    }
    for (const condition of exemption.narrowing) {
      findings.push({ resource: exemption.policy, detail: `${where} denies only when ${condition}: principals that do not match it (for example IAM users or the account root when it names AssumedRole) escape the perimeter.` });
    }
  }
  return findings;
}

/** The exemptions in one sentence each, for the matrix's assumptions. */
export function describeExemptions(exemptions: readonly PerimeterExemption[]): string[] {
  return exemptions.map((exemption) => `The data perimeter's statement ${exemption.statement} of ${exemption.policy} exempts ${exemption.principals.join(', ')}`
    + `${exemption.narrowing.length ? ` and denies only when ${exemption.narrowing.join(' and ')}` : ''}.`);
}
