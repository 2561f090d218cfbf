/**
 * The cdk-nag section of the report: the open findings of the assembly's validation report and the
 * acknowledgements (rule, reason, where) its metadata records. cdk-nag 3 leaves acknowledged
 * findings out of the validation report; aws-cdk-lib records every acknowledgement, with its
 * reason, in the stack metadata of the assembly, which is where they are read from.
 */
import type { Assembly, ValidationViolationJson } from './assembly';
import type { NagFinding, NagPlugin, NagSection } from './model';

/** Why a validation report that names no plugin says nothing about the packs. */
export const PACKS_UNKNOWN_NOTE = 'The validation report names no plugin, so this report cannot tell whether any cdk-nag pack ran: aws-cdk-lib writes '
  + 'validation-report.json on every synthesis and names only the plugins that reported a finding, so a synthesis without any pack '
  + 'and one whose packs all passed leave the same file. Check the app registers the packs (Validations.of(app).addPlugins(...)); '
  + 'synthesis then fails on any open finding.';

/** The nag section of an assembly. */
export function nagSection(assembly: Assembly): NagSection {
  const report = assembly.validationReport;
  if (!report) {
    return {
      validationReport: null,
      note: 'The input has no validation report (validation-report.json beside the templates), so this report has no cdk-nag '
        + 'results: synthesize the app with the cdk-nag packs registered (Validations.of(app).addPlugins(...)) and give the report '
        + 'the whole cdk.out folder.',
      plugins: [],
      open: [],
      acknowledged: dedupeSorted(assembly.acknowledgements),
    };
  }
  const plugins: NagPlugin[] = (report.json.pluginReports ?? []).map((plugin) => ({
    name: plugin.pluginName,
    ...plugin.pluginVersion ? { version: plugin.pluginVersion } : {},
    ...plugin.conclusion ? { conclusion: plugin.conclusion } : {},
  }));
  const open: NagFinding[] = [];
  const acknowledged = [...assembly.acknowledgements];
  for (const plugin of report.json.pluginReports ?? []) {
    for (const violation of plugin.violations ?? []) {
      open.push(finding(plugin.pluginName, violation, assembly));
    }
    // Plugins whose findings aws-cdk-lib suppresses itself list them with the reason given.
    for (const suppressed of plugin.suppressedViolations ?? []) {
      for (const resource of resourcesOf(suppressed, assembly)) {
        acknowledged.push({ rule: suppressed.ruleName, reason: suppressed.reason ?? '', constructPath: resource });
      }
    }
  }
  return {
    validationReport: report.file,
    plugins: [...new Map(plugins.map((plugin) => [JSON.stringify(plugin), plugin])).values()].sort((a, b) => a.name.localeCompare(b.name)),
    ...plugins.length === 0
      ? { note: PACKS_UNKNOWN_NOTE }
      : { note: 'A pack that ran and found nothing open is not named in the validation report: the packs named below are the ones that reported a finding.' },
    open: open.sort((a, b) => a.rule.localeCompare(b.rule) || a.plugin.localeCompare(b.plugin)),
    acknowledged: dedupeSorted(acknowledged),
  };
}

function finding(plugin: string, violation: ValidationViolationJson, assembly: Assembly): NagFinding {
  return {
    plugin,
    rule: violation.ruleName,
    severity: violation.customSeverity ?? violation.severity ?? 'error',
    description: (violation.description ?? '').trim(),
    resources: resourcesOf(violation, assembly),
  };
}

/** `<template file> <logical id>` where the assembly knows it, otherwise the construct path; sorted. */
function resourcesOf(violation: ValidationViolationJson, assembly: Assembly): string[] {
  return [...new Set((violation.violatingConstructs ?? []).map((construct) => {
    const resource = construct.cloudFormationResource;
    if (resource?.templatePath && resource.logicalId) return `${resource.templatePath.split(/[\\/]/).pop()} ${resource.logicalId}`;
    const known = construct.constructPath ? assembly.resourcesByPath.get(construct.constructPath) : undefined;
    return known ? `${known.file} ${known.logicalId}` : construct.constructPath ?? '(unknown resource)';
  }))].sort();
}

function dedupeSorted(acknowledgements: NagSection['acknowledged']): NagSection['acknowledged'] {
  const byKey = new Map(acknowledgements.map((ack) => [JSON.stringify([ack.constructPath, ack.rule, ack.reason]), ack]));
  return [...byKey.values()].sort((a, b) => a.constructPath.localeCompare(b.constructPath) || a.rule.localeCompare(b.rule));
}
