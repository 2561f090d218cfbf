/**
 * The `report <cdk.out folder or template.json>` command: the compliance report of a synthesized
 * app, for a reviewer who has neither an AWS account nor the app's code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { Option } from '../commander';
import { CliError, ExitCode, UsageError, type CliContext, type CliIo } from '../context';
import { evaluateAccessMatrix } from './access-matrix';
import { readAssembly } from './assembly';
import { checkControls } from './controls';
import type { ComplianceReport } from './model';
import { renderHtml } from './render/html';
import { renderMarkdown } from './render/markdown';
import { buildReport, type LakeAnalysis } from './report';

/** The formats the report is written in. */
export const REPORT_FORMATS = ['md', 'json', 'html'] as const;
export type ReportFormat = typeof REPORT_FORMATS[number];

/** The report as text in a format. */
export function renderReport(report: ComplianceReport, format: ReportFormat): string {
  switch (format) {
    case 'md': return renderMarkdown(report);
    case 'html': return renderHtml(report);
    case 'json': return `${JSON.stringify(report, null, 2)}\n`;
  }
}

/** The analysis of a lake the command runs: the evaluated access matrix and the controls. */
export const LAKE_ANALYSIS: LakeAnalysis = {
  accessMatrix: evaluateAccessMatrix,
  controls: checkControls,
};

interface ReportOptions {
  readonly out?: string;
  readonly format?: ReportFormat;
  readonly failOnFindings?: boolean;
}

/** Registers `report`. */
export function registerReportCommand(program: Command, context: CliContext, io: CliIo, exit: (code: number) => void): Command {
  return program
    .command('report')
    .description('Write the compliance report of a synthesized app: the evaluated access matrix, the controls with their '
      + 'template evidence, the cdk-nag results and the HIPAA and NIST 800-53 mapping. Needs no AWS account.')
    .argument('<input>', 'the cdk.out folder that `cdk synth` wrote, or one of its *.template.json files')
    .option('--out <file>', 'write the report to this file (default: stdout)')
    .addOption(new Option('--format <format>', 'md, json or html (default: from the --out extension, else md, or json with --json)').choices([...REPORT_FORMATS]))
    .option('--fail-on-findings', 'exit 1 when the verdict is fail (for pipelines)')
    .action(async (input: string, options: ReportOptions) => {
      // The tool's global --json asks for the JSON report on stdout, as it asks for JSON results elsewhere.
      const format = options.format ?? (options.out === undefined && context.options().json === true ? 'json' : formatOf(options.out));
      const assembly = readAssembly(input);
      const report = await buildReport(input, assembly, {
        ...LAKE_ANALYSIS,
        accessMatrix: (lake) => context.progress.step(`Evaluating the access matrix of lake ${lake.name}`, () => LAKE_ANALYSIS.accessMatrix(lake)),
      });
      const text = renderReport(report, format);
      if (options.out) {
        writeReport(options.out, text);
        context.output.note(`Wrote the ${format} report of ${report.lakes.length} lake${report.lakes.length === 1 ? '' : 's'} to ${options.out}: `
          + `verdict ${report.verdict}, ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}.`);
      } else {
        io.stdout(text);
      }
      if (options.failOnFindings && report.verdict === 'fail') exit(ExitCode.FAILED);
    });
}

function formatOf(out: string | undefined): ReportFormat {
  if (out === undefined) return 'md';
  const extension = path.extname(out).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.html' || extension === '.htm') return 'html';
  if (extension === '.md' || extension === '.markdown') return 'md';
  throw new UsageError(`--out ${out}: give --format (md, json or html), or a file ending in .md, .json or .html.`);
}

function writeReport(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (error) {
    throw new CliError(`The report cannot be written to ${file}: ${(error as Error).message}.`, { cause: error });
  }
}
