import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  Decision,
  lakePoliciesFromTemplate,
  LakePolicySimulator as TemplatePolicySimulator,
  loadPolicySimulator,
  PolicyDocument,
  LakeResourceIds,
  SIMULATED_DEPLOYMENT,
  simulatedEnvironment,
} from '../../src/cli/report/policy-simulation';

/**
 * Policy as code for the tests: the simulator of src/cli/report/policy-simulation.ts (which reads
 * the policies of a SYNTHESIZED template and evaluates them with `@cloud-copilot/iam-simulate`),
 * started from a CDK stack and the constructs of a lake.
 */
export {
  DEFAULT_REQUEST_CONTEXT,
  IntrinsicResolver,
  lakePoliciesFromTemplate,
  SIMULATED_DEPLOYMENT,
} from '../../src/cli/report/policy-simulation';
export type {
  Decision,
  DeploymentEnvironment,
  ImportedResource,
  LakePolicies,
  LakeResourceIds,
  PolicyDocument,
  PolicyStatement,
  SimulationRequest,
} from '../../src/cli/report/policy-simulation';

/** The parts of a `HealthDataLake` whose policies decide a request (the endpoint only if it has one). */
export interface LakeConstructs {
  readonly instituteAccessRole: iam.IRole;
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  readonly s3Endpoint?: ec2.IVpcEndpoint;
}

/** The template's simulator, plus a way to start it from a CDK stack. */
export class LakePolicySimulator extends TemplatePolicySimulator {
  /**
   * Reads the policies of `lake` out of the synthesized template of `stack`. An imported bucket or
   * key has no resource policy in the template (and is simulated without one). `caller` simulates
   * the sessions of another role of the stack (by default the institute role).
   */
  public static fromStack(stack: Stack, lake: LakeConstructs, options: { caller?: iam.IRole } = {}): LakePolicySimulator {
    const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) => {
      const child = construct.node.defaultChild;
      return child ? stack.getLogicalId(child as any) : undefined;
    };
    const logicalId = (construct: { node: { defaultChild?: unknown } }) => {
      const id = logicalIdOf(construct);
      if (!id) throw new Error('LakePolicySimulator: the roles must be created in the stack');
      return id;
    };
    const createdOr = (construct: { node: { defaultChild?: unknown } }, arn: string) => logicalIdOf(construct) ?? { arn: stack.resolve(arn) };
    const instituteRole = logicalId(lake.instituteAccessRole);
    const ids: LakeResourceIds = {
      role: options.caller ? logicalId(options.caller) : instituteRole,
      bucket: createdOr(lake.bucket, lake.bucket.bucketArn),
      key: createdOr(lake.encryptionKey, lake.encryptionKey.keyArn),
      s3Endpoint: lake.s3Endpoint ? logicalId(lake.s3Endpoint) : undefined,
    };
    const policies = lakePoliciesFromTemplate(Template.fromStack(stack).toJSON(), ids, simulatedEnvironment({ ...ids, instituteRole }));
    return new LakePolicySimulator(policies, SIMULATED_DEPLOYMENT.account);
  }
}

/** A request of the lake's role to a resource that is not the lake's, decided also by that resource's own policy. */
export interface ForeignResourceRequest {
  readonly action: string;
  /** The resource's ARN (another bucket, an object of it, a queue, ...). */
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  /** The resource's policy (a bucket or queue policy), if it has one. */
  readonly resourcePolicy?: PolicyDocument;
  /** The caller's principal tags (session tags from the identity pool). */
  readonly principalTags?: Record<string, string>;
  /** Request context on top of the caller's own keys; by default none: the request comes from outside any VPC endpoint. */
  readonly context?: Record<string, string | string[]>;
}

/** The organization the simulated account belongs to (for resource policies that trust `aws:PrincipalOrgID`). */
export const SIMULATED_ORGANIZATION_ID = 'o-a1b2c3d4e5';

/**
 * Simulates a request of a session of the simulator's role (with its identity policies) to a
 * resource outside the lake, decided by that resource's own policy: what the role's credentials open
 * beyond the lake. The lake's S3 endpoint plays no part (the request comes from wherever the caller is).
 */
export async function simulateForeignRequest(simulator: LakePolicySimulator, request: ForeignResourceRequest): Promise<Decision> {
  const { runSimulation } = await loadPolicySimulator();
  const response = await runSimulation({
    request: {
      principal: simulator.principalArn,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: {
        'aws:SecureTransport': 'true',
        'aws:PrincipalAccount': SIMULATED_DEPLOYMENT.account,
        'aws:PrincipalOrgID': SIMULATED_ORGANIZATION_ID,
        'aws:PrincipalArn': simulator.policies.roleArn,
        'aws:PrincipalType': 'AssumedRole',
        ...Object.fromEntries(Object.entries(request.principalTags ?? {}).map(([tag, value]) => [`aws:PrincipalTag/${tag}`, value])),
        ...request.context,
      },
    },
    identityPolicies: simulator.policies.identityPolicies.map(({ name, policy }) => ({ name, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  }, {});
  if (response.resultType === 'error') throw new Error(`simulateForeignRequest: the simulator rejected the request: ${JSON.stringify(response.errors)}`);
  if (response.resultType !== 'single') throw new Error(`simulateForeignRequest: ${request.resource} is a wildcard`);
  const ignored = response.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) throw new Error(`simulateForeignRequest: the context keys ${ignored.join(', ')} do not apply to ${request.action}`);
  return response.overallResult as Decision;
}
