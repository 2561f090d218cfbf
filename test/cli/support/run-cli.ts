import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../../src/cli/main';

/** What one run of the tool printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the tool in process, as `cdk-health-data-lake <argv>` would. */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  return { code, stdout, stderr };
}

export const STACK = 'HealthStack';
export const USER_POOL_ID = 'eu-west-1_Pool1';
export const BUCKET = 'healthstack-lakemessages-abc';

/** The outputs of a lake with id `Lake` and its default attribute names, as DescribeStacks returns them. */
export function lakeOutputs(prefix = 'Lake', overrides: Record<string, string> = {}): Output[] {
  const values: Record<string, string> = {
    ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/',
    UserPoolId: USER_POOL_ID,
    UserPoolClientId: 'client123',
    IdentityPoolId: 'eu-west-1:1111-2222',
    BucketName: BUCKET,
    LakeName: 'HealthStack-Lake',
    ReadClaim: 'custom:read',
    WriteClaim: 'custom:write',
    RevocationDelaySeconds: '60',
    ...overrides,
  };
  return Object.entries(values).map(([suffix, value]) => ({ OutputKey: `${prefix}${suffix}`, OutputValue: value }));
}

export const cloudFormation = mockClient(CloudFormationClient);
export const cognito = mockClient(CognitoIdentityProviderClient);

/** A deployed stack whose outputs describe the given lakes (resets both mocks). */
export function givenStack(outputs: Output[] = lakeOutputs()): void {
  cloudFormation.reset();
  cognito.reset();
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [{ StackName: STACK, CreationTime: new Date(0), StackStatus: 'CREATE_COMPLETE', Outputs: outputs }],
  });
}

/** An error as the AWS SDK throws it for a service error. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode, requestId: 'req-1' } });
}

/** The global options that select the lake of the test stack. */
export const WITH_STACK = ['--stack', STACK, '--region', 'eu-west-1'];
