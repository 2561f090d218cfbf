import {
  Decision,
  LakePolicySimulator,
  PolicyDocument,
  SIMULATED_DEPLOYMENT,
  SIMULATED_ORGANIZATION_ID,
  simulateForeignRequest,
} from '../support/policy-simulation';
import { lakeStack } from '../support/stacks';

/*
 * Invariant 12: the institute role's credentials open nothing but the lake's objects, through the
 * lake's endpoint. Any user can take these credentials straight from the identity pool, so they are
 * simulated against resources OUTSIDE the lake whose own policies trust the whole account or the
 * whole organization, as many buckets and queues do: every such request from anywhere but the lake's
 * S3 endpoint must be explicitly denied by the role's own policy.
 */

// GIVEN the default lake and a user of institute A holding the role's credentials
const { stack, lake } = lakeStack();
const simulator = LakePolicySimulator.fromStack(stack, lake);
const TAGS = { read: 'A', write: 'A' };
const ACCOUNT = SIMULATED_DEPLOYMENT.account;
const ORGANIZATION_ACCOUNT = '999988887777';

/** A resource policy that lets every principal of the account (or of the organization) do `actions`. */
function trusting(key: 'aws:PrincipalAccount' | 'aws:PrincipalOrgID', value: string, actions: string[], resources: string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: actions, Resource: resources, Condition: { StringEquals: { [key]: value } } }],
  };
}

const REPORTS = 'arn:aws:s3:::team-reports';
const reportsPolicy = trusting('aws:PrincipalAccount', ACCOUNT, ['s3:GetObject', 's3:ListBucket', 's3:PutObject'], [REPORTS, `${REPORTS}/*`]);
const SHARED = 'arn:aws:s3:::org-shared-data';
const sharedPolicy = trusting('aws:PrincipalOrgID', SIMULATED_ORGANIZATION_ID, ['s3:GetObject', 's3:ListBucket'], [SHARED, `${SHARED}/*`]);
const QUEUE = `arn:aws:sqs:eu-west-1:${ACCOUNT}:orders`;
const queuePolicy = trusting('aws:PrincipalOrgID', SIMULATED_ORGANIZATION_ID, ['sqs:SendMessage'], [QUEUE]);
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`;
const topicPolicy = trusting('aws:PrincipalAccount', ACCOUNT, ['sns:Publish'], [TOPIC]);

const CASES: Array<[string, { action: string; resource: string; resourceAccount: string; resourcePolicy: PolicyDocument }]> = [
  ['reads an object of a bucket of the account that trusts aws:PrincipalAccount', { action: 's3:GetObject', resource: `${REPORTS}/q1.csv`, resourceAccount: ACCOUNT, resourcePolicy: reportsPolicy }],
  ['lists that bucket', { action: 's3:ListBucket', resource: REPORTS, resourceAccount: ACCOUNT, resourcePolicy: reportsPolicy }],
  ['writes into that bucket', { action: 's3:PutObject', resource: `${REPORTS}/planted.csv`, resourceAccount: ACCOUNT, resourcePolicy: reportsPolicy }],
  ['reads an object of another account\'s bucket that trusts aws:PrincipalOrgID', { action: 's3:GetObject', resource: `${SHARED}/x`, resourceAccount: ORGANIZATION_ACCOUNT, resourcePolicy: sharedPolicy }],
  ['lists that bucket', { action: 's3:ListBucket', resource: SHARED, resourceAccount: ORGANIZATION_ACCOUNT, resourcePolicy: sharedPolicy }],
  ['sends to a queue that trusts aws:PrincipalOrgID', { action: 'sqs:SendMessage', resource: QUEUE, resourceAccount: ACCOUNT, resourcePolicy: queuePolicy }],
  ['publishes to a topic that trusts aws:PrincipalAccount', { action: 'sns:Publish', resource: TOPIC, resourceAccount: ACCOUNT, resourcePolicy: topicPolicy }],
];

describe('invariant 12: the institute role\'s credentials open nothing outside the lake (simulated)', () => {
  test.each(CASES)('WHEN a user with the role\'s credentials, from outside the lake\'s S3 endpoint, %s THEN it is explicitly denied', async (_what, request) => {
    expect(await simulateForeignRequest(simulator, { ...request, principalTags: TAGS })).toBe<Decision>('ExplicitlyDenied');
  });

  test('WHEN the same request comes from another VPC endpoint THEN it is explicitly denied too', async () => {
    const [, request] = CASES[0];
    expect(await simulateForeignRequest(simulator, { ...request, principalTags: TAGS, context: { 'aws:SourceVpce': 'vpce-0ffffffffffffffff' } }))
      .toBe<Decision>('ExplicitlyDenied');
  });

  test('WHEN an AWS service acts on the role\'s behalf (aws:ViaAWSService, as S3 calls KMS) THEN this deny leaves the decision to the other policies', async () => {
    const [, request] = CASES[5];
    // The queue's policy trusts the organization, so only the role's own deny could refuse it: it must not.
    expect(await simulateForeignRequest(simulator, { ...request, principalTags: TAGS, context: { 'aws:ViaAWSService': 'true' } }))
      .toBe<Decision>('Allowed');
  });

  test('WHEN the role\'s all-service deny is removed THEN the same requests get through (the cases test the deny, not something else)', async () => {
    const weakened = simulator.withPolicies((policies) => ({
      ...policies,
      identityPolicies: policies.identityPolicies.map(({ name, policy }) => ({
        name, policy: { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== 'DenyEverythingOutsideTheLakeApi') },
      })),
    }));
    const [, sameAccountBucket] = CASES[0];
    const [, queue] = CASES[5];
    expect(await simulateForeignRequest(weakened, { ...sameAccountBucket, principalTags: TAGS })).toBe<Decision>('Allowed');
    expect(await simulateForeignRequest(weakened, { ...queue, principalTags: TAGS })).toBe<Decision>('Allowed');
  });
});
