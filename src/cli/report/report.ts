/**
 * The compliance report of a synthesized assembly: every lake found in its templates, each with its
 * evaluated access matrix and its controls, and the assembly's cdk-nag results.
 */
import { CliError } from '../context';
import type { Assembly } from './assembly';
import { frameworkCoverage } from './frameworks';
import { findLakes } from './lakes';
import type { AccessMatrix, ComplianceReport, Control, LakeInTemplate, LakeReport, NagSection } from './model';
import { nagSection } from './nag';

/** The parts of the report that read a lake (given, so that tests and the example can choose them). */
export interface LakeAnalysis {
  readonly accessMatrix: (lake: LakeInTemplate) => Promise<AccessMatrix>;
  readonly controls: (lake: LakeInTemplate) => Control[];
}

/** No template of the input holds a lake. */
export class NoLakeError extends CliError {}

/**
 * Builds the report. `input` is the path as the reviewer gave it (written into the report as is,
 * so give a relative path for a report that must not depend on the machine).
 */
export async function buildReport(input: string, assembly: Assembly, analysis: LakeAnalysis): Promise<ComplianceReport> {
  const found = findLakes(assembly.stacks).filter((lake) => assembly.selected === undefined || lake.stack.file === assembly.selected);
  if (found.length === 0) {
    const files = assembly.selected ?? assembly.stacks.map((stack) => stack.file).join(', ');
    throw new NoLakeError(`${input} holds no HealthDataLake (no resource of ${files} carries the construct's metadata): `
      + 'give the synthesized output of an app that uses the construct, synthesized with this release or a later one.');
  }
  const lakes: LakeReport[] = [];
  for (const lake of found) {
    lakes.push(await analyzed(lake, analysis));
  }
  const nag = nagSection(assembly);
  const findings = [...lakes.flatMap(lakeFindings), ...nagFindings(nag)];
  return {
    schemaVersion: 1,
    source: { input, templates: assembly.stacks.map((stack) => stack.file) },
    verdict: findings.length === 0 ? 'pass' : 'fail',
    findings,
    lakes,
    nag,
  };
}

async function analyzed(lake: LakeInTemplate, analysis: LakeAnalysis): Promise<LakeReport> {
  try {
    const controls = analysis.controls(lake);
    return {
      name: lake.name,
      stackName: lake.stack.stackName,
      file: lake.stack.file,
      accessMatrix: await analysis.accessMatrix(lake),
      controls,
      frameworks: frameworkCoverage(controls),
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    // A template the evaluation cannot resolve (a parameter whose value is in a template not given, say).
    throw new CliError(`${lake.stack.file}: the lake ${lake.name} cannot be evaluated (${(error as Error).message.replace(/\.$/, '')}); `
      + 'give the whole cdk.out folder, so that references to other templates can be resolved.', { cause: error });
  }
}

function lakeFindings(lake: LakeReport): string[] {
  const { callers, operations, cells } = lake.accessMatrix;
  const label = (axis: readonly { id: string; label: string }[], id: string) => axis.find((entry) => entry.id === id)?.label ?? id;
  return [
    ...cells.filter((cell) => cell.finding).map((cell) =>
      `Lake ${lake.name}: ${label(callers, cell.caller)}: ${label(operations, cell.operation)} is ${cell.decision}, `
      + `where the lake's model says ${cell.expected} (decided by ${cell.statements.length > 0 ? cell.statements.join('; ') : 'no statement'}).`),
    ...(lake.accessMatrix.findings ?? []).map((finding) => `Lake ${lake.name}: ${finding.detail}`),
    ...lake.controls.filter((control) => control.status === 'not-met').map((control) =>
      `Lake ${lake.name}: ${control.title.replace(/\.$/, '')}: not met. ${control.detail}`),
  ];
}

function nagFindings(nag: NagSection): string[] {
  return nag.open.map((finding) =>
    `${finding.plugin} ${finding.rule} (${finding.severity}) is open on ${finding.resources.length} resource${finding.resources.length === 1 ? '' : 's'}: `
    + `${finding.description.replace(/\.$/, '')}.`);
}
