import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  lakePoliciesFromTemplate,
  LakePolicySimulator as TemplatePolicySimulator,
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
