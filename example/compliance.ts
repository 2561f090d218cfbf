/**
 * The compliance report of the example app, as a reviewer gets it with
 * `npx cdk-health-data-lake report example/cdk.out`: committed in docs/compliance, and checked
 * against a fresh synthesis by the tests and CI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readAssembly } from '../src/cli/report/assembly';
import { LAKE_ANALYSIS, renderReport } from '../src/cli/report/command';
import type { ComplianceReport } from '../src/cli/report/model';
import { buildReport } from '../src/cli/report/report';

/** Where the committed report lives, relative to the repository. */
export const EXAMPLE_REPORT_DIR = path.join('docs', 'compliance');

/** The input as the README's command names it, so the report reads the same wherever it is made. */
export const EXAMPLE_REPORT_INPUT = 'example/cdk.out';

/** The report of an assembly of the example app, in the formats that are committed. */
export async function exampleReport(outdir: string): Promise<{ report: ComplianceReport; files: Record<string, string> }> {
  const report = await buildReport(EXAMPLE_REPORT_INPUT, readAssembly(outdir), LAKE_ANALYSIS);
  return {
    report,
    files: {
      'example.md': renderReport(report, 'md'),
      'example.json': renderReport(report, 'json'),
    },
  };
}

/** Writes the committed report files under `root` and answers their paths, relative to `root`. */
export function writeExampleReport(root: string, files: Record<string, string>): string[] {
  fs.mkdirSync(path.join(root, EXAMPLE_REPORT_DIR), { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(EXAMPLE_REPORT_DIR, name);
    fs.writeFileSync(path.join(root, file), text);
    return file;
  });
}
