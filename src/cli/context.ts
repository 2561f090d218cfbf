/**
 * What every command of the operator's tool is given: the lake it works on, AWS clients for the
 * chosen region and profile, and where its results and progress go. `main.ts` builds one
 * `CliContext` per run and passes it to each command's registration function
 * (`registerUsersCommands(program, context)`, `registerTryCommand(program, context)`).
 *
 * Conventions every command follows (see the README, "Operating the lake"):
 * - results go to `context.output` (stdout: a table or text for people, JSON with `--json`);
 *   notes and progress go to stderr;
 * - a failure is thrown, never printed: a `CliError` (exit 1) or `UsageError` (exit 2) with one
 *   sentence that says what to do; an AWS SDK error thrown from an action becomes such a sentence in
 *   `main.ts` (`describeError`), with the stack trace only under `--debug`.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { Terminal } from './terminal';
import type { DeployedLake } from '../contracts/lake-outputs';

/** Where the tool writes. The real process streams in the bundle; strings collected in tests. */
export interface CliIo {
  /** Results (tables, text, JSON). */
  readonly stdout: (text: string) => void;
  /** Errors, notes and progress. */
  readonly stderr: (text: string) => void;
  /** Environment variables, stdin, prompts and the clock. @default the process's own (`processTerminal()`) */
  readonly terminal?: Terminal;
}

/** The global options, as given on the command line (before any command). */
export interface GlobalOptions {
  /** `--stack NAME`: find the lake from this stack's outputs (DescribeStacks). */
  readonly stack?: string;
  /** `--lake PREFIX`: which lake of the stack (the output-id prefix), when it holds several. */
  readonly lake?: string;
  /** `--user-pool-id`, `--user-pool-client-id`, `--api-url`: the lake given without a stack. */
  readonly userPoolId?: string;
  readonly userPoolClientId?: string;
  readonly apiUrl?: string;
  /** `--read-claim`, `--write-claim`: the institute attributes without a stack (default `custom:read`, `custom:write`). */
  readonly readClaim?: string;
  readonly writeClaim?: string;
  /** `--revocation-delay-seconds`: the lake's revocation delay without a stack. */
  readonly revocationDelaySeconds?: number;
  /** `--region`, `--profile`: passed to every AWS client; unset means the standard AWS chain decides. */
  readonly region?: string;
  readonly profile?: string;
  /** `--json`: results as JSON for scripts. */
  readonly json?: boolean;
  /** `--debug`: stack traces and AWS request ids on errors. */
  readonly debug?: boolean;
}

/** A field of the deployed lake a command needs. */
export type LakeField = Exclude<keyof DeployedLake, 'stackName' | 'outputPrefix' | 'region'>;

/** The lake as far as it is known: the fields a command asked for are guaranteed, the others may be missing. */
export type ResolvedLake<K extends LakeField> = Pick<DeployedLake, K> & Partial<DeployedLake> & {
  readonly region: string;
};

/** Results for people or for scripts. */
export interface OutputWriter {
  /** Whether `--json` was given. */
  readonly json?: boolean;
  /**
   * Writes one result: `value` as JSON with `--json`, otherwise `human` (text or a table from
   * `renderTable`). Call it once per command.
   */
  result(value: unknown, human: string): void;
  /** A note for people on stderr (never part of the result, so scripts can ignore it). */
  note(text: string): void;
}

/** Progress of slow steps, on stderr. */
export interface ProgressReporter {
  /**
   * Runs `work`; if it takes more than a second, shows `message` on stderr until it ends
   * (`message ... done` / `failed`). Its result or error is passed through.
   */
  step<T>(message: string, work: () => Promise<T>): Promise<T>;
}

/** What a command is given. */
export interface CliContext {
  /** Where results and notes go (see the conventions above). */
  readonly output: OutputWriter;
  /** Progress of anything that may take more than a second. */
  readonly progress: ProgressReporter;
  /** The global options (read them inside an action: they are parsed before it runs). */
  options(): GlobalOptions;
  /**
   * The lake, from `--stack` (and `--lake`) or from the explicit ids. Fails with a `UsageError`
   * naming the missing option when a field in `required` cannot be known, and with a `CliError`
   * when the stack has no lake outputs.
   */
  resolveLake<K extends LakeField>(required: readonly K[]): Promise<ResolvedLake<K>>;
  /** The CloudFormation client for `--region` / `--profile` (one per run). */
  cloudFormation(): CloudFormationClient;
  /** The Cognito user pools client for `--region` / `--profile` (one per run). */
  cognito(): CognitoIdentityProviderClient;
}

/** Exit codes (the AWS CLI's and cdk's): success, a failed operation, bad usage. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** A failed operation: its message is one sentence that says what to do. Exit code 1. */
export class CliError extends Error {
  readonly exitCode: number = ExitCode.FAILED;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Bad usage (arguments, options, their combination): exit code 2. */
export class UsageError extends CliError {
  readonly exitCode: number = ExitCode.USAGE;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
