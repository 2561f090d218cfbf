/**
 * Finding a deployed lake: from its stack's outputs (`DescribeStacks`) or from ids given on the
 * command line.
 */
import { DescribeStacksCommand, ListStackResourcesCommand, type CloudFormationClient, type Output } from '@aws-sdk/client-cloudformation';
import { CliError, UsageError, type GlobalOptions, type LakeField, type ResolvedLake } from './context';
import { LAKE_OUTPUT_FIELDS, LakeOutput, type DeployedLake } from '../contracts/lake-outputs';

/** The option that gives each field when there is no stack. */
const EXPLICIT_OPTION: Record<LakeField, string | undefined> = {
  userPoolId: '--user-pool-id',
  userPoolClientId: '--user-pool-client-id',
  apiUrl: '--api-url',
  readClaim: '--read-claim',
  writeClaim: '--write-claim',
  revocationDelaySeconds: '--revocation-delay-seconds',
  identityPoolId: undefined,
  bucketName: undefined,
  lakeName: undefined,
};

/** The lake from explicit ids; the institute claims default to the construct's defaults. */
export function lakeFromOptions<K extends LakeField>(
  options: GlobalOptions, region: string, required: readonly K[],
): ResolvedLake<K> {
  const lake: Partial<Record<keyof DeployedLake, unknown>> = {
    region,
    userPoolId: options.userPoolId,
    userPoolClientId: options.userPoolClientId,
    apiUrl: options.apiUrl,
    readClaim: options.readClaim ?? 'custom:read',
    writeClaim: options.writeClaim ?? 'custom:write',
    revocationDelaySeconds: options.revocationDelaySeconds,
  };
  const missing = required.filter((field) => lake[field] === undefined);
  if (missing.length > 0) {
    const options_ = missing.map((field) => EXPLICIT_OPTION[field] ?? field).join(', ');
    throw new UsageError(`This command needs ${options_}: give --stack NAME to read it from the lake's stack outputs, or give ${options_}.`);
  }
  return lake as ResolvedLake<K>;
}

/**
 * The lakes described by a stack's outputs, by output prefix. A lake is recognised by its
 * `<prefix>UserPoolId` output together with `<prefix>ReadClaim` (the pair no other output ends with).
 */
export function lakesInOutputs(stackName: string, region: string, outputs: readonly Output[]): Map<string, DeployedLake> {
  const values = new Map<string, string>();
  for (const output of outputs) {
    if (output.OutputKey !== undefined && output.OutputValue !== undefined) {
      values.set(output.OutputKey, output.OutputValue);
    }
  }
  const lakes = new Map<string, DeployedLake>();
  for (const key of values.keys()) {
    if (!key.endsWith(LakeOutput.READ_CLAIM)) continue;
    const prefix = key.slice(0, -LakeOutput.READ_CLAIM.length);
    if (!values.has(`${prefix}${LakeOutput.USER_POOL_ID}`)) continue;
    const lake: Record<string, unknown> = { stackName, region, outputPrefix: prefix };
    const missing: string[] = [];
    for (const [suffix, field] of Object.entries(LAKE_OUTPUT_FIELDS)) {
      const value = values.get(`${prefix}${suffix}`);
      if (value === undefined) {
        missing.push(`${prefix}${suffix}`);
      } else {
        lake[field] = field === 'revocationDelaySeconds' ? Number(value) : value;
      }
    }
    if (missing.length > 0) {
      throw new CliError(`Stack ${stackName} lacks the lake outputs ${missing.join(', ')}: deploy it again with ` +
        'this version of cdk-health-data-lake and createOutputs: true.');
    }
    lakes.set(prefix, lake as unknown as DeployedLake);
  }
  return lakes;
}

/** The lake of a stack, chosen with `--lake` when the stack holds several. */
export async function lakeFromStack(
  client: CloudFormationClient, stackName: string, lakePrefix: string | undefined,
): Promise<DeployedLake> {
  const region = await client.config.region();
  const response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = response.Stacks?.[0];
  if (!stack) {
    throw new CliError(`Stack ${stackName} was not found in ${region}: check --stack and --region.`);
  }
  const lakes = lakesInOutputs(stackName, region, stack.Outputs ?? []);
  if (lakes.size === 0) {
    // A lake in a nested stack writes its outputs there: name that stack rather than a setting.
    const nested = await nestedStacksWithLakes(client, stackName, region, 2);
    if (nested.length > 0) {
      throw new UsageError(`Stack ${stackName} has no lake outputs, but its nested stack ${nested.join(' and nested stack ')} ` +
        `has: give --stack ${nested[0]}.`);
    }
    throw new CliError(`Stack ${stackName} has no lake outputs (such as <id>UserPoolId, <id>ReadClaim): set ` +
      'createOutputs: true on the HealthDataLake and deploy again, or give --user-pool-id instead of --stack.');
  }
  const prefixes = [...lakes.keys()].sort();
  if (lakePrefix !== undefined) {
    const lake = lakes.get(lakePrefix);
    if (!lake) {
      throw new UsageError(`Stack ${stackName} has no lake with the output prefix ${lakePrefix}: give --lake one of ${prefixes.join(', ')}.`);
    }
    return lake;
  }
  if (lakes.size > 1) {
    throw new UsageError(`Stack ${stackName} holds several lakes (${prefixes.join(', ')}): choose one with --lake.`);
  }
  return lakes.values().next().value as DeployedLake;
}

/** The name of a stack from its ARN (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`). */
function stackNameOfArn(arn: string): string {
  return /:stack\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/**
 * The physical names of the nested stacks (down to `depth` levels) whose outputs describe a lake.
 * Stacks that cannot be listed or read are passed over: the caller's own message stands.
 */
async function nestedStacksWithLakes(client: CloudFormationClient, stackName: string, region: string, depth: number): Promise<string[]> {
  const nested: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
      for (const resource of page.StackResourceSummaries ?? []) {
        if (resource.ResourceType === 'AWS::CloudFormation::Stack' && resource.PhysicalResourceId) {
          nested.push(stackNameOfArn(resource.PhysicalResourceId));
        }
      }
      token = page.NextToken;
    } while (token);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of nested) {
    try {
      const outputs = (await client.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0]?.Outputs ?? [];
      if (lakesInOutputs(name, region, outputs).size > 0) {
        found.push(name);
      } else if (depth > 1) {
        found.push(...await nestedStacksWithLakes(client, name, region, depth - 1));
      }
    } catch {
      // An unreadable nested stack (or one of an older lake) names nothing.
    }
  }
  return found;
}
