/**
 * The `try [--cleanup]` command: runs the scenario and prints its report, a table for people or
 * JSON for scripts. Exit code 0 when every step gave the expected outcome, 1 otherwise (or when
 * the run could not go on: the reason goes to stderr as one sentence).
 */
import Table from 'cli-table3';
import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { runTryScenario, TryDependencies, TryError, TryLake, TryReport } from './scenario';

/** What the command needs from the tool's frame, resolved once the arguments are parsed. */
export interface TryCommandContext {
  readonly lake: TryLake;
  readonly deps: TryDependencies;
  /** `--json`: print JSON instead of a table. */
  readonly json: boolean;
  /** Writes to stdout. */
  readonly out: (text: string) => void;
  /** Writes to stderr. @default `process.stderr.write` */
  readonly err?: (text: string) => void;
}

/** The report as a table of step / expected / actual / ok, followed by the notes. */
export function formatTryReport(report: TryReport): string {
  const table = new Table({
    head: ['step', 'expected', 'actual', 'ok'],
    style: { head: [], border: [] }, // no colours: the output is read in logs and pipes too
  });
  for (const step of report.steps) {
    table.push([step.step, step.expected, step.actual, step.ok ? 'yes' : 'NO']);
  }
  const summary = report.mode === 'cleanup'
    ? `Deleted users: ${report.users.length}.`
    : report.ok
      ? `Every step gave the expected outcome (${report.steps.length} steps).`
      : `${report.steps.filter((step) => !step.ok).length} of ${report.steps.length} steps did NOT give the expected outcome.`;
  return [table.toString(), summary, ...report.notes].join('\n') + '\n';
}

/**
 * Runs `try` (or `try --cleanup`) and prints the result; gives the exit code: 0 when every step
 * gave the expected outcome, 1 otherwise or when the run could not go on.
 */
export async function runTryCommand(options: { cleanup: boolean }, context: TryCommandContext): Promise<number> {
  const err = context.err ?? ((text: string) => process.stderr.write(text));
  let report: TryReport;
  try {
    report = await runTryScenario(context.lake, context.deps, { cleanup: options.cleanup });
  } catch (error) {
    if (error instanceof TryError) {
      err(`${error.message}\n`);
      return 1;
    }
    throw error; // a bug: the frame prints it (with --debug) and exits with 1
  }
  context.out(context.json ? `${JSON.stringify(report, null, 2)}\n` : formatTryReport(report));
  return report.ok ? 0 : 1;
}

/**
 * The part of commander's `Command` the `try` command uses (commander 15 fits; it is an ES module,
 * so this file imports only its type and the frame passes its program in).
 */
export type TryCommandProgram = Pick<Command, 'command'>;

/**
 * Adds `try [--cleanup]` to the tool. `resolve` is called when the command runs (after the global
 * options `--stack`, `--region`, `--json`, ... are parsed) and gives the lake, the AWS clients and
 * where to print. The exit code is set on `process.exitCode`.
 */
export function registerTryCommand(
  program: TryCommandProgram,
  resolve: () => Promise<TryCommandContext>,
  /** Where the command's exit code goes (the tool's `run` answers it). @default sets `process.exitCode` */
  exit: (code: number) => void = (code) => { process.exitCode = code; },
): Command {
  return program
    .command('try')
    .description('Replay the lake\'s scenario: create sample users of two institutes, sign them in, '
      + 'send and read sample messages, and print for each step the expected and the actual outcome.')
    .option('--cleanup', 'delete the users an earlier try created (emails try-<role>@try.health-data-lake.invalid); stored messages stay', false)
    .action(async (options: { cleanup?: boolean }) => {
      exit(await runTryCommand({ cleanup: options.cleanup === true }, await resolve()));
    });
}
