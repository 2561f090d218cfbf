/**
 * The compliance report: what `cdk-health-data-lake report` computes from a synthesized template,
 * before it is written as Markdown, HTML or JSON. Everything in it is deterministic: the same
 * template gives the same report, byte for byte.
 */
import type { FrameworkCoverage } from './frameworks';
import type { LakePart } from '../../contracts/lake-metadata';

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  readonly AWSTemplateFormatVersion?: string;
  readonly Resources?: Record<string, TemplateResource>;
  readonly [key: string]: unknown;
}

/** One resource of a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly Metadata?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly [key: string]: unknown;
}

/** One stack's template, as read from the assembly. */
export interface StackTemplate {
  /** The stack's name (the artifact id), or the file name without `.template.json` for a lone template. */
  readonly stackName: string;
  /** The template file, relative to the input folder (or the file name when a template was given). */
  readonly file: string;
  readonly template: TemplateJson;
  /**
   * The nested stacks this template creates: logical id of the `AWS::CloudFormation::Stack`
   * resource to the nested template's `file`. Known when a whole assembly is read.
   */
  readonly nestedStacks?: Readonly<Record<string, string>>;
}

/** One lake found in a template by its metadata (src/contracts/lake-metadata.ts). */
export interface LakeInTemplate {
  /** The lake's name (`HealthDataLake.lakeName`). */
  readonly name: string;
  readonly stack: StackTemplate;
  /** Logical ids of the lake's named parts in `stack.template`; a part the app imported is absent. */
  readonly parts: Partial<Record<LakePart, string>>;
  /** Logical ids of every resource of the lake in `stack.template`, sorted. */
  readonly resources: readonly string[];
  /** Logical ids of the roles the app granted to read every message (`grantReadMessages`), sorted. */
  readonly messageReaders?: readonly string[];
  /**
   * The template file of each resource that the app created in another template (its own bucket
   * or key in a parent or sibling stack): `stack.template` then holds them too, with the references
   * between the templates (nested-stack parameters and outputs, exports) resolved.
   */
  readonly otherFiles?: Readonly<Record<string, string>>;
}

/** Where a control's evidence is in the template. */
export interface Evidence {
  /** The template file (`StackTemplate.file`). */
  readonly file: string;
  readonly logicalId: string;
  /** The property path, such as `Properties.UserPoolAddOns.AdvancedSecurityMode`, or `Metadata` or `DeletionPolicy`. */
  readonly property: string;
  /** The value there (JSON), or `null` when the property is absent. */
  readonly value: unknown;
}

/** A citation of a framework requirement. */
export interface FrameworkReference {
  /** `HIPAA` (45 CFR 164.312, and 164.308 where a control belongs there) or `NIST 800-53 r5`. */
  readonly framework: 'HIPAA' | 'NIST 800-53 r5';
  /** The citation, such as `164.312(a)(1)` or `AC-3`. */
  readonly id: string;
}

/** One security control of a lake, checked against its template. */
export interface Control {
  /** Stable id, such as `identity.mfa-required`. */
  readonly id: string;
  readonly category: 'identity' | 'data-protection' | 'network' | 'audit';
  /** What the control is, in one sentence. */
  readonly title: string;
  /**
   * `met`: the template shows the control in place; `not-met`: the template shows it weakened or
   * missing (a finding); `operator`: it is outside the template, for the account's operator.
   */
  readonly status: 'met' | 'not-met' | 'operator';
  /** What the template shows (or what the operator must do), in one or two sentences. */
  readonly detail: string;
  readonly evidence: readonly Evidence[];
  readonly references: readonly FrameworkReference[];
}

/** A decision of the policy evaluation. */
export type AccessDecision = 'allowed' | 'denied';

/** One cell of the access matrix: one caller, one operation. */
export interface AccessCell {
  readonly caller: string;
  readonly operation: string;
  readonly decision: AccessDecision;
  /** What the lake's model says this caller may do. */
  readonly expected: AccessDecision;
  /** `explicit` when a Deny statement decided, `implicit` when no statement allowed; absent when allowed. */
  readonly denial?: 'explicit' | 'implicit';
  /** The statements that decided, as `<policy> <Allow|Deny> <Sid or index>`, sorted. */
  readonly statements: readonly string[];
  /** True when the decision differs from the model: a finding. */
  readonly finding: boolean;
}

/** A row or a column of the access matrix. */
export interface MatrixAxis {
  readonly id: string;
  readonly label: string;
  /** How it is simulated (the principal and its tags, the request and its context), in one sentence. */
  readonly description: string;
}

/** The access matrix of one lake, evaluated with an IAM policy simulator. */
export interface AccessMatrix {
  readonly callers: readonly MatrixAxis[];
  readonly operations: readonly MatrixAxis[];
  /** Callers × operations, in the order of `callers` then `operations`. */
  readonly cells: readonly AccessCell[];
  /** The policies that were evaluated: `<kind> <logical id>`, sorted. */
  readonly policies: readonly string[];
  /** What the evaluation assumed (placeholder account and region, names), one sentence each. */
  readonly assumptions: readonly string[];
  /**
   * Findings of the evaluation that no cell shows: a policy of the institute role beyond the lake's
   * object actions or not evaluable, a principal the perimeter exempts, an object action or a key
   * outside the own prefix that differs from the model. Each names the resource (logical id).
   */
  readonly findings?: readonly AccessFinding[];
}

/** A finding of the access evaluation outside the matrix's cells. */
export interface AccessFinding {
  /** Logical id of the resource that is wrong (a policy, the bucket policy, the key, the role), or the ARN of a policy the template does not hold. */
  readonly resource: string;
  /** What is wrong, in one sentence that names the resource. */
  readonly detail: string;
}

/** The report of one lake. */
export interface LakeReport {
  readonly name: string;
  readonly stackName: string;
  readonly file: string;
  readonly accessMatrix: AccessMatrix;
  readonly controls: readonly Control[];
  /** Per HIPAA (164.308, 164.312) and NIST 800-53 r5 citation: the lake's controls that support it, and the operator's part. */
  readonly frameworks: readonly FrameworkCoverage[];
}

/** One finding of a cdk-nag pack (or of another validation plugin). */
export interface NagFinding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  /** The resources, as `<template file> <logical id>` or the construct path when the logical id is unknown, sorted. */
  readonly resources: readonly string[];
}

/** One acknowledgement recorded in the assembly. */
export interface NagAcknowledgement {
  readonly rule: string;
  readonly reason: string;
  /** The construct path where it was acknowledged (it covers that construct's whole tree). */
  readonly constructPath: string;
}

/** A validation plugin (a cdk-nag pack) that the validation report names. */
export interface NagPlugin {
  readonly name: string;
  /** The version the plugin states; absent when it states none. */
  readonly version?: string;
  /** `success` or `failure`, as the validation report says. */
  readonly conclusion?: string;
}

/** The cdk-nag section: absent (with a note) when the assembly has no validation report. */
export interface NagSection {
  readonly validationReport: string | null;
  /**
   * The plugins the validation report names, sorted. aws-cdk-lib names only the plugins that
   * reported a finding (open or acknowledged by aws-cdk-lib): a pack that ran and found nothing
   * open is not named, so an empty list means the report cannot tell whether any pack ran.
   */
  readonly plugins: readonly NagPlugin[];
  /** Why the section is empty or partial, when it is. */
  readonly note?: string;
  /** Findings that were not acknowledged (synthesis fails on them unless the app reports only). */
  readonly open: readonly NagFinding[];
  /** Acknowledged findings with the reason given. */
  readonly acknowledged: readonly NagAcknowledgement[];
}

/** The whole report. */
export interface ComplianceReport {
  readonly schemaVersion: 1;
  /** The input as the reviewer gave it (a path), and the templates read. */
  readonly source: { readonly input: string; readonly templates: readonly string[] };
  /** `pass` when no cell of any matrix and no control is a finding and no nag finding is open. */
  readonly verdict: 'pass' | 'fail';
  /** Every finding, one sentence each, in report order. */
  readonly findings: readonly string[];
  readonly lakes: readonly LakeReport[];
  readonly nag: NagSection;
}
