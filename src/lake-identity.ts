/**
 * What tells one lake from another: its name (in logs, metrics and the API's name) and the ids of
 * its stack outputs (which an operator's tool reads with CloudFormation `DescribeStacks`).
 */
import { createHash } from 'crypto';
import { CfnOutput, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { LAKE_OUTPUT_FIELDS, LakeOutput, LakeOutputSuffix, LakeOutputValues } from './contracts/lake-outputs';

/** Longest lake name: readable in a dashboard, well within every limit of what it names. */
export const MAX_LAKE_NAME_LENGTH = 64;
const LAKE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
/** Longest logical id CloudFormation accepts. */
const MAX_LOGICAL_ID_LENGTH = 255;

/** Lake names and output-id prefixes already taken, per stack (a stack's names must not repeat). */
const lakeNamesTaken = new WeakMap<Stack, Map<string, string>>();
const outputPrefixesTaken = new WeakMap<Stack, Map<string, string>>();

/**
 * The lake's name: `given`, checked, or else derived from the stack name and the lake's construct
 * path, e.g. `ClinicStack-Lake`. The stack name is unique in its account and region and the path is
 * unique in the stack, so derived names are unique per account and region (longer than 64 characters,
 * the name is cut and ends with a hash of the whole). A token passes through unchecked.
 */
export function lakeNameOf(lake: IConstruct, given: string | undefined): string {
  if (given !== undefined && Token.isUnresolved(given)) return given;
  if (given !== undefined && (given.length > MAX_LAKE_NAME_LENGTH || !LAKE_NAME.test(given))) {
    throw new Error(`HealthDataLake: lakeName must be 1 to ${MAX_LAKE_NAME_LENGTH} letters, digits and hyphens, ` +
      `starting with a letter or a digit; got ${JSON.stringify(given)}. It names the lake in its logs, metrics and ` +
      'API; leave it out to derive one from the stack name and the construct path.');
  }
  const name = given ?? derivedLakeName(lake);
  const stack = deployedStackOf(lake);
  claim(lakeNamesTaken, stack, name, lake.node.path, (other) =>
    `HealthDataLake: lakeName ${JSON.stringify(name)} of the lake at '${lake.node.path}' is already the name of ` +
    `the lake at '${other}' in stack ${stack.node.id}; their metrics and logs would mix. Give each lake its own ` +
    'lakeName (a derived name is the stack name and the construct path with runs of other characters as one hyphen).');
  return name;
}

/** The stack CloudFormation deploys: the top one, since a nested stack's own name is known only at deployment. */
function deployedStackOf(scope: IConstruct): Stack {
  let stack = Stack.of(scope);
  while (stack.nestedStackParent) stack = stack.nestedStackParent;
  return stack;
}

function derivedLakeName(lake: IConstruct): string {
  const stack = deployedStackOf(lake);
  const stackName = Token.isUnresolved(stack.stackName) ? stack.node.id : stack.stackName;
  const parts = [stackName, ...pathIn(stack, lake)];
  const readable = parts.join('-').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (readable.length <= MAX_LAKE_NAME_LENGTH && readable.length > 0) return readable;
  const hash = createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 8);
  const head = readable.slice(0, MAX_LAKE_NAME_LENGTH - hash.length - 1).replace(/-+$/, '');
  return head.length > 0 ? `${head}-${hash}` : hash;
}

/** The ids of the constructs from just below `stack` down to `construct`. */
function pathIn(stack: IConstruct, construct: IConstruct): string[] {
  const scopes = construct.node.scopes;
  return scopes.slice(scopes.indexOf(stack) + 1).map((scope) => scope.node.id);
}

function claim(
  registry: WeakMap<Stack, Map<string, string>>,
  stack: Stack,
  key: string,
  path: string,
  conflict: (otherPath: string) => string,
): void {
  const taken = registry.get(stack) ?? new Map<string, string>();
  registry.set(stack, taken);
  const other = taken.get(key);
  if (other !== undefined) throw new Error(conflict(other));
  taken.set(key, path);
}

/**
 * Every output: its id (after the lake's prefix), its value and its description. The last four are
 * what an operator's tool needs beyond the ids: the lake's name (to read its metrics), the attribute
 * names (to create users, since they are configurable) and the revocation delay (to say when a
 * sign-out takes effect). The region is not an output: `DescribeStacks` is already asked in it.
 */
const OUTPUTS: readonly { id: LakeOutputSuffix; description: string }[] = [
  {
    id: LakeOutput.API_URL,
    description: 'Health data lake: URL of the HTTP API (POST /messages, GET /messages/{id}). Institute clients ' +
      'send and read HL7 v2 messages here with a Cognito ID token as Authorization: Bearer.',
  },
  {
    id: LakeOutput.USER_POOL_ID,
    description: 'Health data lake: Cognito user pool of the institute users. Administrators create users here ' +
      'and set their read and write institutes.',
  },
  {
    id: LakeOutput.USER_POOL_CLIENT_ID,
    description: 'Health data lake: app client (no secret) institute users sign in with. The API accepts only ID ' +
      'tokens issued to this client.',
  },
  {
    id: LakeOutput.IDENTITY_POOL_ID,
    description: 'Health data lake: Cognito identity pool that exchanges an institute user\'s ID token for ' +
      'credentials tagged with the user\'s institutes. The handlers use it on every request.',
  },
  {
    id: LakeOutput.BUCKET_NAME,
    description: 'Health data lake: S3 bucket that holds the messages, under <institute>/<message id>. ' +
      'Downstream pipelines granted with messageReaders read it.',
  },
  {
    id: LakeOutput.LAKE_NAME,
    description: 'Health data lake: the lake\'s name, the service dimension of its metrics in the HealthDataLake ' +
      'namespace and the service field of its handler logs. Dashboards and alarms select the lake by it.',
  },
  {
    id: LakeOutput.READ_CLAIM,
    description: 'Health data lake: user pool attribute (and ID-token claim) that holds the institute a user ' +
      'may read. Administrators set it when they create or change a user.',
  },
  {
    id: LakeOutput.WRITE_CLAIM,
    description: 'Health data lake: user pool attribute (and ID-token claim) that holds the institute a user ' +
      'may write for. Administrators set it when they create or change a user.',
  },
  {
    id: LakeOutput.REVOCATION_DELAY_SECONDS,
    description: 'Health data lake: seconds a handler trusts one identity-pool exchange of a caller\'s token ' +
      '(credentialCacheTtl). A user signed out globally or deleted loses API access within this time.',
  },
];

/** The output ids of a lake, in order: `<prefix><id>`, the prefix being the lake's path in its stack without non-alphanumerics. */
export function lakeOutputIds(lake: IConstruct): string[] {
  const prefix = outputPrefixOf(lake);
  return OUTPUTS.map((output) => `${prefix}${output.id}`);
}

function outputPrefixOf(lake: IConstruct): string {
  return pathIn(Stack.of(lake), lake).join('').replace(/[^A-Za-z0-9]/g, '');
}

/**
 * Adds the lake's stack outputs, with logical ids derived from the lake's construct path in its stack
 * (e.g. `LakeApiUrl` for a lake with id `Lake`): readable, and unchanged when other constructs are
 * added. Two lakes whose ids would be the same fail here, with both paths named.
 */
export function addLakeOutputs(lake: IConstruct, values: LakeOutputValues): CfnOutput[] {
  const stack = Stack.of(lake);
  const prefix = outputPrefixOf(lake);
  const ids = lakeOutputIds(lake);
  claim(outputPrefixesTaken, stack, prefix, lake.node.path, (other) =>
    `HealthDataLake: createOutputs of the lake at '${lake.node.path}' would give its outputs the ids ` +
    `${ids.join(', ')}, which the lake at '${other}' in the same stack already uses. Output ids are the lake's ` +
    'construct path in its stack without non-alphanumeric characters: give one of the lakes another construct id.');
  const longest = ids.reduce((a, b) => (b.length > a.length ? b : a));
  if (longest.length > MAX_LOGICAL_ID_LENGTH) {
    throw new Error(`HealthDataLake: createOutputs of the lake at '${lake.node.path}' would give an output the id ` +
      `${longest}, ${longest.length} characters; CloudFormation allows ${MAX_LOGICAL_ID_LENGTH}. ` +
      'Give the lake (or a construct above it) a shorter construct id.');
  }
  return OUTPUTS.map((output) => {
    const cfnOutput = new CfnOutput(lake, output.id, { value: values[LAKE_OUTPUT_FIELDS[output.id]], description: output.description });
    cfnOutput.overrideLogicalId(`${prefix}${output.id}`);
    return cfnOutput;
  });
}
