import * as path from 'path';
import { synthesizeExample } from './app';

const outdir = path.join(__dirname, 'cdk.out');
const summary = synthesizeExample(outdir);

console.log(`Synthesized ${summary.stackName} into ${path.relative(process.cwd(), summary.outdir)}`);
console.log('\nResources:');
for (const [type, count] of Object.entries(summary.resources).sort()) {
  console.log(`  ${String(count).padStart(3)}  ${type}`);
}
console.log(`\nCompliance: ${summary.compliancePacks.join(', ')}: 0 unacknowledged findings (synthesis fails otherwise).`);
console.log(`Acknowledged inside the construct (${summary.acknowledgements.length}):`);
for (const ack of summary.acknowledgements) {
  console.log(`  - ${ack.rule} at ${ack.path}\n      ${ack.reason}`);
}
