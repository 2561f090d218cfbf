/**
 * cdk-health-data-lake: the operator's command-line tool for a deployed lake.
 *
 *   npx cdk-health-data-lake --stack MyStack users create --email alice@example.org --read A --write A
 *
 * Bundled with esbuild into assets/cli/main/index.js (the package's `bin`), so it adds no runtime
 * dependency to the library. `run` is the whole tool, in process: tests call it with collected output.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { Command, CommanderError, Help, InvalidArgumentError } from './commander';
import { ExitCode, UsageError, type CliContext, type CliIo, type GlobalOptions, type LakeField, type ResolvedLake } from './context';
import { describeError } from './errors';
import { lakeFromOptions, lakeFromStack } from './lake';
import { outputWriter, progressReporter } from './output';
import { registerReportCommand } from './report/command';
import { processTerminal } from './terminal';
import { registerTryCommand } from './try/command';
import { registerTokenCommand } from './users/token';
import { registerUsersCommands } from './users/users';

/**
 * The package's version, from its package.json: the nearest one named cdk-health-data-lake above this
 * file (the bundle's assets/cli/main/, or src/cli/ in a checkout). Read at run time: the bundle holds
 * nothing of package.json, which names development tools the package must not carry.
 */
export function packageVersion(from: string = __dirname): string {
  for (let folder = from; ; folder = dirname(folder)) {
    try {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'cdk-health-data-lake' && manifest.version !== undefined) return manifest.version;
    } catch {
      // no package.json here: look further up
    }
    if (dirname(folder) === folder) return 'unknown';
  }
}

/**
 * On Node.js versions the AWS SDK will stop supporting, every client it makes first prints an
 * 8-line `NodeVersionSupportWarning` (through `process.emitWarning`), before the tool has said
 * anything. The SDK's own switch turns off that one warning; other warnings still print, and a
 * value the user set is kept.
 */
export function quietNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

function parseSeconds(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError('Give a whole number of seconds, such as 60.');
  }
  return Number(value);
}

/** The program with its global options and every command. */
export function createProgram(io: CliIo): { program: Command; context: CliContext; exitCode: () => number } {
  // A command that reports its own outcome (try prints a table, then fails if a step did not match) sets this.
  let commandExitCode: number = ExitCode.OK;
  const program = new Command('cdk-health-data-lake')
    .description('Operate a deployed HealthDataLake (its institute users, a replay of the seed scenario) and report on a synthesized one.')
    .option('--stack <name>', 'the CloudFormation stack that holds the lake (read from its outputs)')
    .option('--lake <prefix>', 'the lake\'s output prefix (its construct id), when the stack holds several lakes')
    .option('--user-pool-id <id>', 'the lake\'s user pool, instead of --stack')
    .option('--user-pool-client-id <id>', 'the lake\'s app client, instead of --stack')
    .option('--api-url <url>', 'the lake\'s API URL, instead of --stack')
    .option('--read-claim <attribute>', 'the read-institute attribute, instead of --stack (default custom:read)')
    .option('--write-claim <attribute>', 'the write-institute attribute, instead of --stack (default custom:write)')
    .option('--revocation-delay-seconds <seconds>', 'the lake\'s revocation delay, instead of --stack', parseSeconds)
    .option('--region <region>', 'the AWS region (default: the standard AWS chain, e.g. AWS_REGION or the profile)')
    .option('--profile <name>', 'the AWS profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE or default)')
    .option('--json', 'print results as JSON (for scripts)')
    .option('--debug', 'print stack traces and AWS details on errors')
    .version(packageVersion(), '-V, --version', 'print the version of cdk-health-data-lake')
    // Every command's help shows the global options too, and marks the options it cannot do without.
    .configureHelp({
      showGlobalOptions: true,
      optionDescription: (option) => {
        const described = new Help().optionDescription(option);
        return option.mandatory ? `${described} (required)` : described;
      },
    })
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true);

  const options = (): GlobalOptions => program.opts<GlobalOptions>();
  let cloudFormation: CloudFormationClient | undefined;
  let cognito: CognitoIdentityProviderClient | undefined;
  const clientConfig = () => {
    const { region, profile } = options();
    return { ...(region !== undefined ? { region } : {}), ...(profile !== undefined ? { profile } : {}) };
  };

  const context: CliContext = {
    options,
    cloudFormation: () => (cloudFormation ??= new CloudFormationClient(clientConfig())),
    cognito: () => (cognito ??= new CognitoIdentityProviderClient(clientConfig())),
    async resolveLake<K extends LakeField>(required: readonly K[]): Promise<ResolvedLake<K>> {
      const given = options();
      if (given.stack !== undefined) {
        const explicit = ['userPoolId', 'userPoolClientId', 'apiUrl', 'readClaim', 'writeClaim', 'revocationDelaySeconds'] as const;
        if (explicit.some((field) => given[field] !== undefined)) {
          throw new UsageError('Give either --stack or explicit ids (--user-pool-id and the like), not both.');
        }
        const lake = await context.progress.step(`Reading the outputs of stack ${given.stack}`,
          () => lakeFromStack(context.cloudFormation(), given.stack!, given.lake));
        return lake as ResolvedLake<K>;
      }
      if (given.lake !== undefined) {
        throw new UsageError('--lake chooses a lake of the stack: give --stack too.');
      }
      const region = await context.cognito().config.region();
      return lakeFromOptions(given, region, required);
    },
    output: outputWriter(io, () => options().json === true),
    progress: progressReporter(io),
  };

  registerUsersCommands(program, context);
  const users = program.commands.find((command) => command.name() === 'users')!;
  registerTokenCommand(users, context, () => io.terminal ?? processTerminal());
  registerTryCommand(program, async () => {
    // What the scenario uses: with explicit ids, --api-url, --user-pool-id and --user-pool-client-id.
    const lake = await context.resolveLake(['apiUrl', 'userPoolId', 'userPoolClientId', 'readClaim', 'writeClaim']);
    return {
      lake: { ...lake, region: lake.region ?? await context.cognito().config.region() },
      json: options().json === true,
      out: io.stdout,
      err: io.stderr,
      deps: {
        cognito: context.cognito(),
        fetch: (url, init) => fetch(url, init),
        clock: { now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
        random: (size) => randomBytes(size),
        progress: (line) => io.stderr(`${line}\n`),
      },
    };
  }, (code) => { commandExitCode = code; });
  registerReportCommand(program, context, io, (code) => { commandExitCode = code; });
  return { program, context, exitCode: () => commandExitCode };
}

/** Runs the tool on the arguments after the program name; answers the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { program, exitCode } = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed its message for anything else.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const debug = program.opts<GlobalOptions>().debug === true;
    const described = describeError(error, { debug });
    io.stderr(`Error: ${described.message}\n`);
    if (debug) {
      io.stderr(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
      const metadata = (error as { $metadata?: unknown }).$metadata;
      if (metadata !== undefined) io.stderr(`AWS: ${JSON.stringify(metadata)}\n`);
    }
    return described.exitCode;
  }
}

if (require.main === module) {
  quietNodeVersionWarning();
  void run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    terminal: processTerminal(),
  }).then((code) => {
    process.exitCode = code;
  });
}
