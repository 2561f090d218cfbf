/**
 * The mapping of the lake's controls to the HIPAA Security Rule (the technical safeguards of 45 CFR
 * 164.312, and the administrative safeguards of 164.308 where a control belongs there) and to NIST
 * SP 800-53 rev 5 controls: what each control supports, and, per requirement,
 * what remains the operator's responsibility.
 *
 * A control cites a requirement only where it implements part of it; none of them alone satisfies a
 * requirement, which always also needs the operator's policies and procedures.
 */
import type { Control, FrameworkReference } from './model';

/** One requirement of a framework, with its official title. */
export interface FrameworkCitation {
  readonly framework: FrameworkReference['framework'];
  /** `164.312(a)(1)`, `164.308(a)(7)(ii)(A)` or `AC-3`. */
  readonly id: string;
  /**
   * HIPAA only: `required` or `addressable` for an implementation specification (45 CFR 164.306(d));
   * `standard` for a standard whose implementation specifications are cited on their own; a standard
   * without implementation specifications is `required` as such.
   */
  readonly specification?: 'standard' | 'required' | 'addressable';
  /** The title in the regulation (HIPAA) or the catalogue (NIST SP 800-53 rev 5). */
  readonly title: string;
  /** What the operator must still do, in one sentence. */
  readonly operatorResponsibility: string;
}

/** A control that supports a requirement, with its status for this lake. */
export interface CoveringControl {
  readonly id: string;
  readonly title: string;
  readonly status: Control['status'];
}

/** One requirement, the lake's controls that support it, and what remains the operator's. */
export interface FrameworkCoverage extends FrameworkCitation {
  /** In the order of the controls given; empty when the requirement is entirely the operator's. */
  readonly controls: readonly CoveringControl[];
}

const hipaa = (id: string, specification: FrameworkCitation['specification'], title: string, operatorResponsibility: string): FrameworkCitation =>
  ({ framework: 'HIPAA', id: id.startsWith('164.') ? id : `164.312${id}`, specification, title, operatorResponsibility });
const nist = (id: string, title: string, operatorResponsibility: string): FrameworkCitation =>
  ({ framework: 'NIST 800-53 r5', id, title, operatorResponsibility });

/** Every requirement the report cites, in the order of the regulation and of the catalogue. */
export const FRAMEWORK_CITATIONS: readonly FrameworkCitation[] = [
  hipaa('164.308(a)(6)(ii)', 'required', 'Response and reporting (security incident procedures)',
    'Identify and respond to suspected incidents, mitigate their harmful effects, and document them and their outcome.'),
  hipaa('164.308(a)(7)(i)', 'standard', 'Contingency plan',
    'Write the plan for an emergency that damages the lake: what is restored, from where, by whom and how fast.'),
  hipaa('164.308(a)(7)(ii)(A)', 'required', 'Data backup plan',
    'Keep retrievable exact copies of the messages outside the bucket (AWS Backup, or replication to another account and region) and test restores.'),
  hipaa('(a)(1)', 'standard', 'Access control',
    'Decide who gets which institute, review the users and their institutes regularly, and keep AWS account access to the bucket, key and user pool to named administrators.'),
  hipaa('(a)(2)(i)', 'required', 'Unique user identification',
    'Create one user per person (never a shared mailbox) and remove users who leave.'),
  hipaa('(a)(2)(ii)', 'required', 'Emergency access procedure',
    'Write and rehearse the break-glass procedure (a role added to the message readers, or to the perimeter statements) and restrict who may change the bucket and key policies.'),
  hipaa('(a)(2)(iii)', 'addressable', 'Automatic logoff',
    'Make the client applications end idle sessions and discard their tokens.'),
  hipaa('(a)(2)(iv)', 'addressable', 'Encryption and decryption',
    'Restrict who may administer the data key (key policy changes, disabling, deletion) and encrypt every copy of the messages outside the lake.'),
  hipaa('(b)', 'required', 'Audit controls',
    'Turn on CloudTrail management and S3 data events, and review the logs and the lake\'s metrics regularly.'),
  hipaa('(c)(1)', 'standard', 'Integrity',
    'Restrict who may change the bucket policy or delete object versions, and back the messages up outside the bucket.'),
  hipaa('(c)(2)', 'addressable', 'Mechanism to authenticate electronic protected health information',
    'The template shows no such mechanism: versioning keeps earlier versions in the same bucket and a Deny keeps each message\'s source tag, '
    + 'but neither proves a message unaltered. Add what your risk analysis calls for: S3 checksums (SHA-256) on every PutObject, verified on read; '
    + 'S3 Object Lock in compliance mode, or a write-once copy; backups outside the bucket; CloudTrail S3 data events with log file validation.'),
  hipaa('(d)', 'required', 'Person or entity authentication',
    'Verify each person\'s identity before creating their user, and require MFA for the administrators of the AWS account.'),
  hipaa('(e)(1)', 'standard', 'Transmission security',
    'Make clients call the API over current TLS only, and protect messages on their way to the senders\' systems.'),
  hipaa('(e)(2)(i)', 'addressable', 'Integrity controls',
    'Keep the client side of the connection on TLS with certificate validation.'),
  hipaa('(e)(2)(ii)', 'addressable', 'Encryption',
    'Keep every other path to the messages (exports, downstream pipelines) on TLS.'),

  nist('AC-2', 'Account Management',
    'Approve, review and remove accounts, for institute users and for the AWS account\'s administrators.'),
  nist('AC-3', 'Access Enforcement',
    'Keep other policies of the account (SCPs, administrators\' rights on the bucket and key policies) from widening access.'),
  nist('AC-4', 'Information Flow Enforcement',
    'Keep other workloads off the lake\'s subnets and route tables, and control flows out of the account.'),
  nist('AC-6', 'Least Privilege',
    'Grant administrators of the user pool, the bucket policy and the key only what their role needs.'),
  nist('AC-12', 'Session Termination',
    'Sign users out (AdminUserGlobalSignOut) when access must end, and end idle sessions in the client applications.'),
  nist('AC-16', 'Security and Privacy Attributes',
    'Make sure untagged objects never reach the bucket outside the API (a bucket brought with existing data).'),
  nist('AC-17', 'Remote Access',
    'Decide which networks and clients may call the API (a WAF or a private API where needed).'),
  nist('AU-2', 'Event Logging',
    'Decide which events are logged account-wide (CloudTrail management and S3 data events) and review that choice.'),
  nist('AU-3', 'Content of Audit Records',
    'Make sure CloudTrail records hold what the access logs leave out (who changed a policy, who used the key).'),
  nist('AU-9', 'Protection of Audit Information',
    'Restrict who may read, change or delete the log groups, the log key and the access log bucket.'),
  nist('AU-11', 'Audit Record Retention',
    'Set the retention your policy requires (many keep audit logs six years, as HIPAA keeps its required documentation, 45 CFR 164.316(b)(2)) and archive logs beyond the log groups\' retention.'),
  nist('AU-12', 'Audit Record Generation',
    'Turn on the account-wide sources: CloudTrail management and S3 data events.'),
  nist('CA-7', 'Continuous Monitoring',
    'Run AWS Config and Security Hub (or an equivalent) across the account and act on their findings.'),
  nist('CP-9', 'System Backup',
    'Back the messages up outside the bucket (AWS Backup or replication to another account and region) and test restores.'),
  nist('IA-2', 'Identification and Authentication (Organizational Users)',
    'Verify each person\'s identity before an administrator creates their user.'),
  nist('IA-2(1)', 'Multi-factor Authentication to Privileged Accounts',
    'Require MFA for everyone who administers the lake through the AWS account (user pool administrators included): the lake\'s users are not privileged.'),
  nist('IA-2(2)', 'Multi-factor Authentication to Non-privileged Accounts',
    'Keep MFA required; if it is turned off, enforce it in the identity provider users sign in through.'),
  nist('IA-5', 'Authenticator Management',
    'Deliver temporary passwords to the right person and have lost authenticator apps reset by an administrator.'),
  nist('IA-5(1)', 'Password-based Authentication',
    'Check that the password policy meets your organisation\'s rules.'),
  nist('IA-8', 'Identification and Authentication (Non-organizational Users)',
    'Decide which institutes\' staff may have users, and have the institutes confirm who still works for them.'),
  nist('IA-11', 'Re-authentication',
    'Decide when the client applications ask users to sign in again.'),
  nist('IR-4', 'Incident Handling',
    'Write and rehearse the incident response: alarms, who is called, how users are signed out and access revoked, and breach notification.'),
  nist('SC-7', 'Boundary Protection',
    'Keep the lake\'s subnets dedicated to it and watch the routes and endpoints of a VPC the app brought.'),
  nist('SC-8', 'Transmission Confidentiality and Integrity',
    'Keep clients and downstream pipelines on TLS.'),
  nist('SC-8(1)', 'Cryptographic Protection',
    'Keep clients on current TLS versions and cipher suites.'),
  nist('SC-12', 'Cryptographic Key Establishment and Management',
    'Restrict administration of the keys and decide what happens to them when the lake is retired.'),
  nist('SC-13', 'Cryptographic Protection',
    'Use FIPS endpoints where your policy requires FIPS-validated cryptography.'),
  nist('SC-28', 'Protection of Information at Rest',
    'Protect every copy of the messages outside the bucket (exports, downstream stores).'),
  nist('SC-28(1)', 'Cryptographic Protection',
    'Encrypt every copy of the messages outside the bucket with keys you control.'),
  nist('SI-4', 'System Monitoring',
    'Watch the flow logs, Cognito\'s risk events and the lake\'s metrics (GuardDuty, alarms) and act on them.'),
  nist('SI-7', 'Software, Firmware, and Information Integrity',
    'The template has no integrity verification of stored messages: add S3 checksums verified on read, Object Lock or a write-once copy, and check the handlers\' code and the deployed template for unauthorized change (code signing, drift detection).'),
  nist('SI-12', 'Information Management and Retention',
    'Decide how long messages are kept and delete them by a reviewed procedure when that time is over.'),
];

const H = (...ids: string[]): FrameworkReference[] => ids.map((id) => ({ framework: 'HIPAA', id: id.startsWith('164.') ? id : `164.312${id}` }));
const N = (...ids: string[]): FrameworkReference[] => ids.map((id) => ({ framework: 'NIST 800-53 r5', id }));

/** The mapping: each control of `checkControls` and the requirements it supports. */
export const CONTROL_REFERENCES: Readonly<Record<string, readonly FrameworkReference[]>> = {
  'identity.admin-only-users': [...H('(a)(1)', '(a)(2)(i)'), ...N('AC-2', 'IA-2', 'IA-8')],
  'identity.mfa-required': [...H('(d)'), ...N('IA-2', 'IA-2(2)', 'IA-8')],
  'identity.password-policy': [...H('(d)'), ...N('IA-5', 'IA-5(1)')],
  'identity.institute-attribute-writers': [...H('(a)(1)'), ...N('AC-3', 'AC-6')],
  'identity.api-authorizer': [...H('(a)(1)', '(d)'), ...N('AC-3', 'AC-17', 'IA-2')],
  'identity.token-lifetimes': [...H('(a)(2)(iii)'), ...N('AC-12', 'IA-11')],
  'identity.revocation-delay': [...H('(a)(1)'), ...N('AC-2', 'AC-3')],
  'identity.threat-protection': [...H('(d)'), ...N('SI-4')],
  'identity.no-unauthenticated-identities': [...H('(a)(1)', '(d)'), ...N('AC-3', 'IA-2')],
  'identity.institute-role-trust': [...H('(a)(1)', '(d)'), ...N('AC-3', 'AC-6')],
  'identity.identity-pool-providers': [...H('(a)(1)', '(d)'), ...N('AC-3', 'IA-8')],
  'identity.identity-pool-role-mapping': [...H('(a)(1)'), ...N('AC-3', 'AC-6')],
  'identity.principal-tag-mapping': [...H('(a)(1)'), ...N('AC-3', 'AC-16')],
  'identity.user-pool-triggers': [...H('(a)(1)', '(d)'), ...N('AC-3', 'IA-2')],
  'identity.app-clients': [...H('(d)'), ...N('IA-2', 'IA-5', 'IA-8')],
  'data-protection.data-key': [...H('(a)(2)(iv)'), ...N('SC-12', 'SC-13')],
  'data-protection.bucket-encryption': [...H('(a)(2)(iv)'), ...N('SC-13', 'SC-28', 'SC-28(1)')],
  'data-protection.refused-encryption-types': [...H('(a)(2)(iv)'), ...N('SC-13', 'SC-28(1)')],
  'data-protection.tls-only': [...H('(e)(1)', '(e)(2)(i)', '(e)(2)(ii)'), ...N('SC-8', 'SC-8(1)', 'SC-13')],
  'data-protection.versioning': [...H('(c)(1)'), ...N('CP-9')],
  'data-protection.public-access-block': [...H('(a)(1)'), ...N('AC-3', 'SC-7')],
  // Keeping the data when the stack goes is availability (the contingency plan), not integrity.
  'data-protection.retention-on-deletion': [...H('164.308(a)(7)(i)'), ...N('SI-12')],
  'data-protection.tags-set-once': [...H('(a)(1)', '(c)(1)'), ...N('AC-3', 'AC-16')],
  'network.handlers-in-lake-subnets': [...H('(e)(1)'), ...N('SC-7')],
  'network.isolated-subnets': [...H('(e)(1)'), ...N('SC-7')],
  'network.s3-endpoint': [...H('(e)(1)'), ...N('AC-4', 'SC-7')],
  'network.cognito-identity-endpoint': [...H('(e)(1)'), ...N('AC-4', 'SC-7')],
  'network.api-only-gate': [...H('(a)(1)'), ...N('AC-3', 'AC-4', 'SC-7')],
  'audit.s3-access-logs': [...H('(b)'), ...N('AU-2', 'AU-12')],
  'audit.vpc-flow-logs': [...H('(b)'), ...N('AU-12', 'SI-4')],
  'audit.api-access-logs': [...H('(b)'), ...N('AU-2', 'AU-3', 'AU-12')],
  'audit.log-retention': [...H('(b)'), ...N('AU-11')],
  'audit.log-encryption': [...H('(b)'), ...N('AU-9', 'SC-28')],
  'audit.cloudtrail': [...H('(b)'), ...N('AU-2', 'AU-12')],
  'audit.config-security-hub': [...H('(b)'), ...N('CA-7', 'SI-4')],
  // Backups and incident response are HIPAA administrative safeguards (164.308), not technical ones.
  'audit.backups': [...H('164.308(a)(7)(ii)(A)'), ...N('CP-9')],
  'audit.incident-response': [...H('164.308(a)(6)(ii)'), ...N('IR-4')],
};

/** The requirements a control supports; a control missing from the mapping is a programming error. */
export function referencesOf(controlId: string): FrameworkReference[] {
  const references = CONTROL_REFERENCES[controlId];
  if (!references) throw new Error(`The control ${controlId} has no entry in CONTROL_REFERENCES (src/cli/report/frameworks.ts).`);
  return [...references];
}

/**
 * Per requirement (HIPAA first, then NIST, in catalogue order): its title, the controls that support
 * it with their status for this lake, and what remains the operator's.
 */
export function frameworkCoverage(controls: readonly Control[]): FrameworkCoverage[] {
  return FRAMEWORK_CITATIONS.map((citation) => ({
    ...citation,
    controls: controls
      .filter((control) => control.references.some((reference) => reference.framework === citation.framework && reference.id === citation.id))
      .map(({ id, title, status }) => ({ id, title, status })),
  }));
}
