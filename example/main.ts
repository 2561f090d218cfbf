import * as path from 'path';
import { synthesizeExample } from './app';
import { exampleReport, writeExampleReport } from './compliance';

const outdir = path.join(__dirname, 'cdk.out');
const summary = synthesizeExample(outdir);

console.log(`Synthesized ${summary.stackName} into ${path.relative(process.cwd(), summary.outdir)}`);
console.log('\nResources:');
for (const [type, count] of Object.entries(summary.resources).sort()) {
  console.log(`  ${String(count).padStart(3)}  ${type}`);
}

console.log(`\nCompliance: ${summary.compliancePacks.join(', ')}: 0 unacknowledged findings (synthesis fails otherwise).`);
// One line per reason: the rules it covers and on how many constructs.
const byReason = new Map<string, { rules: Set<string>; paths: Set<string> }>();
for (const ack of summary.acknowledgements) {
  const entry = byReason.get(ack.reason) ?? { rules: new Set<string>(), paths: new Set<string>() };
  entry.rules.add(ack.rule.replace(/\[.*\]$/, ''));
  entry.paths.add(ack.path);
  byReason.set(ack.reason, entry);
}
console.log(`${summary.acknowledgements.length} findings acknowledged inside the construct, for ${byReason.size} reasons:`);
for (const [reason, { rules, paths }] of byReason) {
  console.log(`  - ${[...rules].join(', ')} (${paths.size} construct${paths.size === 1 ? '' : 's'}):\n      ${reason}`);
}

// The compliance report a reviewer reads, from the assembly just written (docs/compliance).
void exampleReport(outdir).then(({ report, files }) => {
  const written = writeExampleReport(path.join(__dirname, '..'), files);
  console.log(`\nCompliance report (npx cdk-health-data-lake report ${path.relative(process.cwd(), outdir)}): verdict ${report.verdict}, `
    + `${report.findings.length} findings. Written to ${written.join(' and ')}.`);
}, (error: unknown) => {
  console.error(`The compliance report of the example failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
