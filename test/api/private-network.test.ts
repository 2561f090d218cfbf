import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { HealthDataLake, HealthDataLakeProps } from '../../src';
import { unacknowledgedFindings } from '../support/nag';
import { IntrinsicResolver, LakePolicySimulator, PolicyDocument, SIMULATED_DEPLOYMENT } from '../support/policy-simulation';
import { lakeStack, newApp, TEST_APP_CONTEXT } from '../support/stacks';
import { onlyResource } from '../support/template';

const ENV = { account: '111122223333', region: 'eu-west-1' };
const INTERNET_WARNING = 'cdk-health-data-lake:HandlerSubnetsReachInternet';
const UNVERIFIABLE_WARNING = 'cdk-health-data-lake:NetworkNotVerifiable';

/** GIVEN an app with a stack in a fixed account and region. */
function newStack(app: App = newApp(), id = 'Net'): Stack {
  return new Stack(app, id, { env: ENV });
}

/** GIVEN a user's VPC with two isolated subnet groups: `lake` (meant for the lake) and `apps` (other workloads). */
function userVpc(stack: Stack, extra: ec2.SubnetConfiguration[] = [], natGateways = 0): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways,
    subnetConfiguration: [
      { name: 'lake', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      { name: 'apps', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ...extra,
    ],
  });
}

const endpoints = (template: Template, type: 'Gateway' | 'Interface') =>
  Object.entries(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: type } }));
const refsOf = (subnets: ec2.ISubnet[], stack: Stack, pick: (s: ec2.ISubnet) => string) => subnets.map((s) => stack.resolve(pick(s)));
const routeTables = (stack: Stack, subnets: ec2.ISubnet[]) => refsOf(subnets, stack, (s) => s.routeTable.routeTableId);
const subnetIds = (stack: Stack, subnets: ec2.ISubnet[]) => refsOf(subnets, stack, (s) => s.subnetId);
const handlers = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'))
  .filter((f) => f.Properties.Description?.startsWith('Health data lake'));
const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue())
  .map((w) => String(w.entry.data));

/** The API-only deny of the role's policy names this endpoint (the gate). */
function expectGateOn(template: Template, endpointRef: unknown): void {
  const denies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).concat(Object.values(template.findResources('AWS::IAM::Policy')))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => s.Sid === 'DenyOutsideTheLakeApi');
  expect(denies).toHaveLength(1);
  expect(denies[0].Condition).toEqual({ StringNotEquals: { 'aws:SourceVpce': endpointRef } });
}

describe('GIVEN a HealthDataLake without a VPC of the user', () => {
  const { stack, lake } = lakeStack();
  const template = Template.fromStack(stack);

  test('THEN it creates one isolated VPC, one S3 gateway endpoint on its route tables limited to the lake\'s objects, and no warning', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const [[s3Id, s3]] = endpoints(template, 'Gateway');
    expect(s3.Properties.RouteTableIds).toEqual(routeTables(stack, lake.vpc.isolatedSubnets));
    expect(s3.Properties.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'],
      Resource: { 'Fn::Join': ['', [stack.resolve(lake.bucket.bucketArn), '/*']] },
    }]);
    expectGateOn(template, { Ref: s3Id });
    expect(warnings(stack)).toEqual([]);
  });

  test('THEN the Cognito Identity endpoint it creates allows only GetId and GetCredentialsForIdentity of this identity pool\'s authenticated identities', () => {
    const [[, cognito]] = endpoints(template, 'Interface');
    expect(cognito.Properties.PrivateDnsEnabled).toBe(true);
    expect(cognito.Properties.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['cognito-identity:GetId', 'cognito-identity:GetCredentialsForIdentity'],
      Resource: '*',
      Condition: { StringEquals: { 'cognito-identity-auth:IdentityPoolArn': stack.resolve(lake.identityPool.identityPoolArn) } },
    }]);
  });

  test('THEN, evaluated, the Cognito Identity endpoint policy passes this pool\'s token exchange and nothing else', async () => {
    const [[, cognito]] = endpoints(template, 'Interface');
    const poolId = 'eu-west-1:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const policy = new IntrinsicResolver(template.toJSON(), { ...ENV, physicalNames: { [onlyResource(template, 'AWS::Cognito::IdentityPool').id]: poolId } })
      .resolve(cognito.Properties.PolicyDocument) as PolicyDocument;
    const thisPool = `arn:aws:cognito-identity:eu-west-1:111122223333:identitypool/${poolId}`;
    const otherPool = 'arn:aws:cognito-identity:eu-west-1:444455556666:identitypool/eu-west-1:11111111-2222-3333-4444-555555555555';
    const through = (action: string, context: Record<string, string>) => throughEndpoint(policy, action, context);

    await expect(through('cognito-identity:GetId', { 'cognito-identity-auth:IdentityPoolArn': thisPool })).resolves.toBe('Allowed');
    await expect(through('cognito-identity:GetCredentialsForIdentity', { 'cognito-identity-auth:IdentityPoolArn': thisPool })).resolves.toBe('Allowed');
    await expect(through('cognito-identity:GetId', { 'cognito-identity-auth:IdentityPoolArn': otherPool })).resolves.not.toBe('Allowed');
    await expect(through('cognito-identity:GetCredentialsForIdentity', { 'cognito-identity-unauth:IdentityPoolArn': thisPool })).resolves.not.toBe('Allowed');
    await expect(through('cognito-identity:GetOpenIdToken', { 'cognito-identity-auth:IdentityPoolArn': thisPool })).resolves.not.toBe('Allowed');
    await expect(through('cognito-identity:ListIdentityPools', {})).resolves.not.toBe('Allowed');
  });
});

/**
 * The decision of a request through a VPC endpoint with `endpointPolicy`, for a caller whose own
 * policies allow everything: only the endpoint policy can deny it.
 */
async function throughEndpoint(endpointPolicy: PolicyDocument, action: string, context: Record<string, string>): Promise<string> {
  const anyPrincipal = (statement: PolicyDocument['Statement'][number]) =>
    JSON.stringify(statement.Principal) === JSON.stringify({ AWS: '*' }) ? { ...statement, Principal: '*' } : statement;
  const result = await runSimulation({
    request: {
      principal: 'arn:aws:iam::111122223333:role/Caller',
      action,
      resource: { resource: '*', accountId: ENV.account },
      contextVariables: context,
    },
    identityPolicies: [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    vpcEndpointPolicies: [{ name: 'endpoint', policy: { ...endpointPolicy, Statement: endpointPolicy.Statement.map(anyPrincipal) } }],
  }, {});
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  if (result.resultType !== 'single') throw new Error(`unexpected ${result.resultType}`);
  expect(result.result.ignoredContextKeys ?? []).toEqual([]);
  return result.overallResult;
}

describe('GIVEN the user\'s VPC and subnets dedicated to the lake', () => {
  const stack = newStack();
  const vpc = userVpc(stack);
  const lake = new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
  const template = Template.fromStack(stack);
  const lakeSubnets = vpc.selectSubnets({ subnetGroupName: 'lake' }).subnets;

  test('THEN the lake\'s own S3 endpoint is attached to the route tables of those subnets only, and it is the gate', () => {
    const [[s3Id, s3]] = endpoints(template, 'Gateway');
    expect(s3.Properties.RouteTableIds).toEqual(routeTables(stack, lakeSubnets));
    expect(s3.Properties.RouteTableIds).not.toEqual(expect.arrayContaining(routeTables(stack, vpc.selectSubnets({ subnetGroupName: 'apps' }).subnets)));
    expectGateOn(template, { Ref: s3Id });
    expect(stack.resolve(lake.s3Endpoint.vpcEndpointId)).toEqual({ Ref: s3Id });
  });

  test('THEN the handlers and the Cognito Identity endpoint run in those subnets, and no VPC is created', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    for (const handler of handlers(template)) {
      expect(handler.Properties.VpcConfig.SubnetIds).toEqual(subnetIds(stack, lakeSubnets));
    }
    const [[, cognito]] = endpoints(template, 'Interface');
    expect(cognito.Properties.SubnetIds).toEqual(subnetIds(stack, lakeSubnets));
    expect(cognito.Properties.VpcId).toEqual(stack.resolve(vpc.vpcId));
  });

  test('THEN there is no warning: the subnets are isolated and inspectable', () => {
    expect(warnings(stack)).toEqual([]);
  });
});

describe('GIVEN the user\'s VPC with its own S3 gateway endpoint and Cognito Identity endpoint, passed to the lake', () => {
  const stack = newStack();
  const vpc = userVpc(stack);
  const s3Endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  const cognitoIdentityEndpoint = vpc.addInterfaceEndpoint('CognitoIdentity', {
    service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY, subnets: { subnetGroupName: 'apps' }, open: false,
  });
  const lake = new HealthDataLake(stack, 'Lake', { vpc, s3Endpoint, cognitoIdentityEndpoint });
  const template = Template.fromStack(stack);

  test('THEN the lake creates no endpoint and gates the data on the endpoint passed in', () => {
    expect(endpoints(template, 'Gateway')).toHaveLength(1);
    expect(endpoints(template, 'Interface')).toHaveLength(1);
    expect(lake.s3Endpoint).toBe(s3Endpoint);
    expect(lake.cognitoIdentityEndpoint).toBe(cognitoIdentityEndpoint);
    expectGateOn(template, stack.resolve(s3Endpoint.vpcEndpointId));
  });

  test('THEN the user\'s endpoint policies stay untouched, and the handlers may reach the Cognito Identity endpoint on 443', () => {
    for (const [, endpoint] of [...endpoints(template, 'Gateway'), ...endpoints(template, 'Interface')]) {
      expect(endpoint.Properties.PolicyDocument).toBeUndefined();
    }
    const handlerGroup = stack.resolve(lake.ingestFunction.connections.securityGroups[0].securityGroupId);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      GroupId: stack.resolve(cognitoIdentityEndpoint.connections.securityGroups[0].securityGroupId),
      SourceSecurityGroupId: handlerGroup,
    });
  });

  test('THEN the handlers run in the VPC\'s isolated subnets, which the endpoint passed in is attached to, without warning', () => {
    for (const handler of handlers(template)) {
      expect(handler.Properties.VpcConfig.SubnetIds).toEqual(subnetIds(stack, vpc.isolatedSubnets));
    }
    expect(warnings(stack)).toEqual([]);
  });

  test('THEN, simulated, the institute role reads its institute\'s message through that endpoint, and not through another endpoint or none', async () => {
    const simulator = LakePolicySimulator.fromStack(stack, { ...lake, s3Endpoint });
    expect(simulator.policies.s3Endpoint?.id).toBe(SIMULATED_DEPLOYMENT.s3EndpointId);
    const read = (context?: Record<string, string | undefined>) => simulator.simulate({
      principalTags: { read: 'A' },
      action: 's3:GetObject',
      resource: simulator.objectArn('A/message-1'),
      context: { 's3:ExistingObjectTag/source': 'A', ...context },
    });
    await expect(read()).resolves.toBe('Allowed');
    await expect(read({ 'aws:SourceVpce': 'vpce-0fedcba9876543210' })).resolves.toBe('ExplicitlyDenied');
    await expect(read({ 'aws:SourceVpce': undefined })).resolves.toBe('ExplicitlyDenied');
  });

  test('THEN the compliance packs report nothing unacknowledged in what the construct creates', () => {
    expect(unacknowledgedFindings(stack).filter((finding) => !/at Net\/Vpc\//.test(finding))).toEqual([]);
  });
});

describe('GIVEN two lakes in one VPC', () => {
  test('WHEN they use different dedicated subnets and the second shares the first one\'s Cognito Identity endpoint THEN both synthesize with their own S3 gate', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const first = new HealthDataLake(stack, 'First', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    const second = new HealthDataLake(stack, 'Second', {
      vpc, vpcSubnets: { subnetGroupName: 'apps' }, cognitoIdentityEndpoint: first.cognitoIdentityEndpoint,
    });
    const template = Template.fromStack(stack);

    const gateways = endpoints(template, 'Gateway');
    expect(gateways).toHaveLength(2);
    const routeTablesOf = (lake: HealthDataLake) =>
      gateways.find(([id]) => stack.resolve(lake.s3Endpoint.vpcEndpointId).Ref === id)![1].Properties.RouteTableIds;
    expect(routeTablesOf(first)).toEqual(routeTables(stack, vpc.selectSubnets({ subnetGroupName: 'lake' }).subnets));
    expect(routeTablesOf(second)).toEqual(routeTables(stack, vpc.selectSubnets({ subnetGroupName: 'apps' }).subnets));

    const [[, cognito]] = endpoints(template, 'Interface');
    expect(cognito.Properties.PolicyDocument.Statement.map((s: any) => s.Condition.StringEquals['cognito-identity-auth:IdentityPoolArn']))
      .toEqual([stack.resolve(first.identityPool.identityPoolArn), stack.resolve(second.identityPool.identityPoolArn)]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      GroupId: stack.resolve(first.cognitoIdentityEndpoint.connections.securityGroups[0].securityGroupId),
      SourceSecurityGroupId: stack.resolve(second.ingestFunction.connections.securityGroups[0].securityGroupId),
    });
    expect(unacknowledgedFindings(stack).filter((finding) => !/at Net\/Vpc\//.test(finding))).toEqual([]);
  });

  test('WHEN the second shares both endpoints of the first THEN the shared S3 endpoint carries exactly the objects of both lakes', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const first = new HealthDataLake(stack, 'First', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    const second = new HealthDataLake(stack, 'Second', {
      vpc, vpcSubnets: { subnetGroupName: 'lake' }, s3Endpoint: first.s3Endpoint, cognitoIdentityEndpoint: first.cognitoIdentityEndpoint,
    });
    const template = Template.fromStack(stack);
    const [[s3Id, s3]] = endpoints(template, 'Gateway');
    expect(s3.Properties.PolicyDocument.Statement.map((s: any) => s.Resource)).toEqual([
      { 'Fn::Join': ['', [stack.resolve(first.bucket.bucketArn), '/*']] },
      { 'Fn::Join': ['', [stack.resolve(second.bucket.bucketArn), '/*']] },
    ]);
    expect(endpoints(template, 'Interface')).toHaveLength(1);
    const gates = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Sid === 'DenyOutsideTheLakeApi');
    expect(gates.map((s: any) => s.Condition)).toEqual([
      { StringNotEquals: { 'aws:SourceVpce': { Ref: s3Id } } }, { StringNotEquals: { 'aws:SourceVpce': { Ref: s3Id } } },
    ]);
  });
});

describe('GIVEN a combination that would widen API-only access or cannot deploy', () => {
  test('WHEN vpc is passed without vpcSubnets or s3Endpoint THEN synthesis fails and says what to pass', () => {
    const stack = newStack();
    expect(() => new HealthDataLake(stack, 'Lake', { vpc: userVpc(stack) })).toThrow(
      'HealthDataLake: vpc was given without vpcSubnets or s3Endpoint. The lake\'s S3 gateway endpoint is the gate of API-only access: ' +
      'every workload on the route tables it is attached to can use a user\'s identity-pool credentials against the data. ' +
      'Name subnets dedicated to the lake\'s handlers as vpcSubnets (for example { subnetGroupName: \'lake\' }), ' +
      'or pass the VPC\'s existing S3 gateway endpoint as s3Endpoint.');
  });

  test.each([
    ['vpcSubnets', (_stack: Stack): HealthDataLakeProps => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })],
    ['s3Endpoint', (stack: Stack): HealthDataLakeProps => ({ s3Endpoint: ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(stack, 'S3', 'vpce-0123456789abcdef0') })],
    ['cognitoIdentityEndpoint', (stack: Stack): HealthDataLakeProps => ({
      cognitoIdentityEndpoint: ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(stack, 'Cognito', { vpcEndpointId: 'vpce-0123456789abcdef1', port: 443 }),
    })],
  ])('WHEN %s is passed without vpc THEN synthesis fails and names it', (name, props) => {
    const stack = newStack();
    expect(() => new HealthDataLake(stack, 'Lake', props(stack))).toThrow(
      `HealthDataLake: ${name} was given without vpc. Without vpc the lake creates its own isolated VPC and its own endpoints; ` +
      `${name} must belong to a VPC of yours: pass that VPC as vpc too, or leave ${name} out.`);
  });

  test('WHEN lookupSupportedAzs is asked for with an endpoint passed in THEN synthesis fails, since nothing would be looked up', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const cognitoIdentityEndpoint = vpc.addInterfaceEndpoint('Cognito', { service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY });
    expect(() => new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' }, cognitoIdentityEndpoint, lookupSupportedAzs: true }))
      .toThrow('HealthDataLake: lookupSupportedAzs is true but cognitoIdentityEndpoint was given: the lookup only places the Cognito Identity ' +
        'endpoint that the lake creates. Leave lookupSupportedAzs out, or leave cognitoIdentityEndpoint out.');
  });

  test('WHEN vpcSubnets selects nothing THEN synthesis fails with the selection, the reason and a hint', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    expect(() => new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'handlers' } })).toThrow(
      /^HealthDataLake: vpcSubnets \{ subnetGroupName: 'handlers' \} selects no subnet of vpc Net\/Vpc \(.*handlers.*\)\. Pass vpcSubnets that select at least one subnet of that VPC for the handlers, for example \{ subnetGroupName: 'lake' \} or \{ subnets: \[\.\.\.\] \}\.$/);
    expect(() => new HealthDataLake(stack, 'Lake2', { vpc, vpcSubnets: { subnetGroupName: 'lake', availabilityZones: ['eu-west-1z'] } })).toThrow(
      /^HealthDataLake: vpcSubnets \{ subnetGroupName: 'lake', availabilityZones: \[eu-west-1z\] \} selects no subnet of vpc Net\/Vpc\. Pass vpcSubnets/);
  });

  test('WHEN the VPC has no isolated subnets and only s3Endpoint is passed THEN synthesis fails with a hint to pass vpcSubnets', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const s3Endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    expect(() => new HealthDataLake(stack, 'Lake', { vpc, s3Endpoint })).toThrow(
      /^HealthDataLake: the default handler subnets \{ subnetType: Isolated \} selects no subnet of vpc Net\/Vpc \(.*\)\. Pass vpcSubnets that select/);
  });

  test('WHEN the VPC already has an S3 gateway endpoint on the lake\'s route tables THEN synthesis fails and says to pass it as s3Endpoint', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    expect(() => Template.fromStack(stack)).toThrow(
      /HealthDataLake: the S3 gateway endpoint Net\/Vpc\/S3\/Resource is already attached to the route tables of the lake's subnets Net\/Vpc\/lakeSubnet1, Net\/Vpc\/lakeSubnet2\. AWS allows one S3 gateway endpoint per route table, so the deployment would fail\. Pass that endpoint as s3Endpoint \(the API-only gate then means "requests through that endpoint"\), or choose other vpcSubnets\./);
  });

  test('WHEN an S3 gateway endpoint created elsewhere in the app sits on other route tables of the VPC THEN the lake synthesizes', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    new ec2.GatewayVpcEndpoint(stack, 'AppsS3', { vpc, service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: 'apps' }] });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    expect(endpoints(Template.fromStack(stack), 'Gateway')).toHaveLength(2);
  });

  test('WHEN an S3 gateway endpoint created elsewhere in the app, after the lake, sits on the lake\'s route tables THEN synthesis fails', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    new ec2.GatewayVpcEndpoint(stack, 'LateS3', { vpc, service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: 'lake' }] });
    expect(() => Template.fromStack(stack)).toThrow(/the S3 gateway endpoint Net\/LateS3\/Resource is already attached to the route tables of the lake's subnets/);
  });

  test('WHEN the VPC already has a private-DNS Cognito Identity endpoint THEN synthesis fails and says to pass it as cognitoIdentityEndpoint', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    vpc.addInterfaceEndpoint('Cognito', { service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    expect(() => Template.fromStack(stack)).toThrow(
      /HealthDataLake: the VPC already has a Cognito Identity interface endpoint with private DNS \(Net\/Vpc\/Cognito\/Resource\); a second one cannot be created in the same VPC\. Pass that endpoint as cognitoIdentityEndpoint\./);
  });

  test('WHEN two lakes on the same subnets each create their endpoints THEN synthesis fails for both endpoints', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    new HealthDataLake(stack, 'First', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    new HealthDataLake(stack, 'Second', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    expect(() => Template.fromStack(stack)).toThrow(/the S3 gateway endpoint Net\/First\/Network\/S3Endpoint\/Resource is already attached/);
    expect(() => Template.fromStack(stack)).toThrow(/Cognito Identity interface endpoint with private DNS \(Net\/First\/Network\/CognitoIdentityEndpoint\/Resource\)/);
  });

  test('WHEN the S3 endpoint passed in is not on the handler subnets\' route tables THEN synthesis fails, since every request would be denied', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const s3Endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetGroupName: 'apps' }] });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' }, s3Endpoint });
    expect(() => Template.fromStack(stack)).toThrow(
      /HealthDataLake: s3Endpoint Net\/Vpc\/S3\/Resource is not attached to the route tables of the lake's subnets Net\/Vpc\/lakeSubnet1, Net\/Vpc\/lakeSubnet2, so the handlers' S3 requests would not pass through it and the API-only gate would deny them all\./);
  });

  test('WHEN the S3 endpoint passed in belongs to another VPC THEN synthesis fails and says which VPC it must belong to', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const other = new ec2.Vpc(stack, 'Other', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'x', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const s3Endpoint = other.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' }, s3Endpoint });
    expect(() => Template.fromStack(stack)).toThrow(
      'HealthDataLake: s3Endpoint Net/Other/S3/Resource is not an S3 gateway endpoint of vpc Net/Vpc. Pass the S3 gateway endpoint of that VPC.');
  });

  test('WHEN the Cognito Identity endpoint passed in has no private DNS THEN synthesis fails, since the handlers would not use it', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const cognitoIdentityEndpoint = vpc.addInterfaceEndpoint('Cognito', { service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY, privateDnsEnabled: false });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' }, cognitoIdentityEndpoint });
    expect(() => Template.fromStack(stack)).toThrow(
      /HealthDataLake: cognitoIdentityEndpoint Net\/Vpc\/Cognito\/Resource is not a Cognito Identity interface endpoint with private DNS in vpc Net\/Vpc/);
  });

  test('WHEN an imported VPC has no route table ids THEN synthesis fails and says how to import them', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    });
    expect(() => new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })).toThrow(
      'HealthDataLake: the route tables of the subnets subnet-0aaaaaaaaaaaaaaa1, subnet-0aaaaaaaaaaaaaaa2 are not known, ' +
      'so the lake\'s S3 gateway endpoint cannot be attached to them. Import the VPC with its route table ids ' +
      '(for example isolatedSubnetRouteTableIds in Vpc.fromVpcAttributes), or pass the VPC\'s S3 gateway endpoint as s3Endpoint.');
  });
});

describe('GIVEN subnets through which the handlers could reach the internet, or that cannot be inspected', () => {
  const internetWarning = (stack: Stack) => warnings(stack).filter((w) => w.includes(INTERNET_WARNING));

  test('WHEN the lake gets PRIVATE_WITH_EGRESS subnets with a NAT gateway THEN it warns, naming the subnets, the route and what 443 egress means', () => {
    const stack = newStack();
    const vpc = userVpc(stack, [{ name: 'egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 }, { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }], 1);
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'egress' } });
    const [warning] = internetWarning(stack);
    expect(warning).toMatch(/^The lake's handler subnets have a route to the internet: Net\/Vpc\/egressSubnet1 \(a PRIVATE_WITH_EGRESS subnet; a route 0\.0\.0\.0\/0 via a NAT gateway \(Net\/Vpc\/egressSubnet1\/DefaultRoute\)\), Net\/Vpc\/egressSubnet2 /);
    expect(warning).toContain('The handlers\' security group allows HTTPS (443) to any IPv4 address, because S3\'s addresses cannot be named in a template, ' +
      'so the handlers can reach any HTTPS host on the internet (the institute credentials still reach the data only through the lake\'s S3 endpoint). ' +
      'Pass isolated subnets (no NAT, no internet gateway) as vpcSubnets to keep the handlers off the internet.');
    Annotations.fromStack(stack).hasWarning('/Net/Lake/Network', Match.stringLikeRegexp(INTERNET_WARNING));
  });

  test('WHEN the lake gets PUBLIC subnets THEN synthesis fails: their route tables serve internet-facing workloads', () => {
    const stack = newStack();
    const vpc = userVpc(stack, [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }]);
    expect(() => new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'public' } })).toThrow(
      'HealthDataLake: vpcSubnets { subnetGroupName: \'public\' } selects the public subnets Net/Vpc/publicSubnet1, Net/Vpc/publicSubnet2 of vpc Net/Vpc. ' +
      'Their route tables lead to an internet gateway and usually serve internet-facing workloads, which would all pass the API-only gate, ' +
      'and Lambda functions get no public address there. Pass isolated subnets dedicated to the lake as vpcSubnets.');
  });

  test('WHEN a default route is added to an isolated subnet of the lake THEN it warns, although the subnet type says isolated', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const [first] = vpc.selectSubnets({ subnetGroupName: 'lake' }).subnets;
    new ec2.CfnRoute(stack, 'ToFirewall', { routeTableId: first.routeTable.routeTableId, destinationCidrBlock: '0.0.0.0/0', transitGatewayId: 'tgw-0123456789abcdef0' });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' } });
    expect(internetWarning(stack)).toEqual([expect.stringMatching(
      /^The lake's handler subnets have a route to the internet: Net\/Vpc\/lakeSubnet1 \(a route 0\.0\.0\.0\/0 via a transit gateway \(Net\/ToFirewall\)\)\. /)]);
  });

  test('WHEN the VPC is imported THEN it warns that the network cannot be verified and lists what the user must verify', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
      isolatedSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    });
    const lake = new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    expect(warnings(stack).filter((w) => w.includes(UNVERIFIABLE_WARNING))).toEqual([
      'The VPC passed to the lake is imported, so the construct cannot see its route tables or endpoints. Verify yourself that ' +
      'the subnets subnet-0aaaaaaaaaaaaaaa1, subnet-0aaaaaaaaaaaaaaa2 have no route to the internet (no NAT, no internet gateway); ' +
      'no other S3 gateway endpoint is attached to their route tables (AWS allows one per route table); ' +
      'no workload other than the lake\'s handlers runs on those route tables (every one of them passes the API-only gate); ' +
      'the VPC has no Cognito Identity interface endpoint with private DNS (otherwise pass it as cognitoIdentityEndpoint). ' +
      `[ack: ${UNVERIFIABLE_WARNING}]`,
    ]);
    const [[, s3]] = endpoints(Template.fromStack(stack), 'Gateway');
    expect(s3.Properties.RouteTableIds).toEqual(['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2']);
    expect(lake.vpc).toBe(vpc);
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  test('WHEN subnets imported by id are passed with a VPC of the app THEN it warns about those subnets only', () => {
    const stack = newStack();
    const vpc = userVpc(stack);
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'Shared', {
      subnetId: 'subnet-0bbbbbbbbbbbbbbb1', routeTableId: 'rtb-0bbbbbbbbbbbbbbb1', availabilityZone: 'eu-west-1a',
    });
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnets: [subnet] } });
    expect(warnings(stack).filter((w) => w.includes(UNVERIFIABLE_WARNING))).toEqual([
      'Subnets passed to the lake are imported, so the construct cannot see their route tables. Verify yourself that ' +
      'the subnets subnet-0bbbbbbbbbbbbbbb1 have no route to the internet (no NAT, no internet gateway); ' +
      'no other S3 gateway endpoint is attached to their route tables (AWS allows one per route table); ' +
      'no workload other than the lake\'s handlers runs on those route tables (every one of them passes the API-only gate). ' +
      `[ack: ${UNVERIFIABLE_WARNING}]`,
    ]);
    expect(endpoints(Template.fromStack(stack), 'Gateway')[0][1].Properties.RouteTableIds).toEqual(['rtb-0bbbbbbbbbbbbbbb1']);
  });

  test('WHEN an imported VPC comes with both endpoints passed in THEN the warning asks only for the subnets\' routes', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a'], isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1'],
    });
    new HealthDataLake(stack, 'Lake', {
      vpc,
      s3Endpoint: ec2.GatewayVpcEndpoint.fromGatewayVpcEndpointId(stack, 'S3', 'vpce-0123456789abcdef0'),
      cognitoIdentityEndpoint: ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(stack, 'Cognito', {
        vpcEndpointId: 'vpce-0123456789abcdef1', port: 443, securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'CognitoGroup', 'sg-0123456789abcdef0')],
      }),
    });
    const template = Template.fromStack(stack);
    expect(warnings(stack).filter((w) => w.includes(UNVERIFIABLE_WARNING))).toEqual([expect.stringMatching(
      /Verify yourself that the subnets subnet-0aaaaaaaaaaaaaaa1 have no route to the internet \(no NAT, no internet gateway\)\. \[ack:/)]);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    expectGateOn(template, 'vpce-0123456789abcdef0');
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-0123456789abcdef0', FromPort: 443, ToPort: 443 });
  });
});

describe('GIVEN the availability zones of the Cognito Identity endpoint', () => {
  const endpointZoneLookups = (app: App) => (app.synth().manifest.missing ?? []).map((m) => m.key)
    .filter((key) => key.startsWith('endpoint-service-availability-zones:'));

  test('WHEN lookupSupportedAzs is not set THEN synthesis looks nothing up and needs no credentials', () => {
    const { app } = lakeStack();
    expect(endpointZoneLookups(app)).toEqual([]);
  });

  test('WHEN lookupSupportedAzs is set and the zones are not yet known THEN synthesis asks the CLI to look them up', () => {
    const app = newApp();
    const stack = newStack(app);
    new HealthDataLake(stack, 'Lake', { vpc: userVpc(stack), vpcSubnets: { subnetGroupName: 'lake' }, lookupSupportedAzs: true });
    expect(endpointZoneLookups(app)).toEqual(['endpoint-service-availability-zones:account=111122223333:region=eu-west-1:serviceName=com.amazonaws.eu-west-1.cognito-identity']);
  });

  test('WHEN lookupSupportedAzs is set and one zone does not offer Cognito Identity THEN the endpoint leaves that zone out, the handlers do not', () => {
    const app = new App({
      context: {
        ...TEST_APP_CONTEXT,
        'availability-zones:account=111122223333:region=eu-west-1': ['eu-west-1a', 'eu-west-1b'],
        'endpoint-service-availability-zones:account=111122223333:region=eu-west-1:serviceName=com.amazonaws.eu-west-1.cognito-identity': ['eu-west-1b'],
      },
    });
    const stack = newStack(app);
    const vpc = userVpc(stack);
    new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'lake' }, lookupSupportedAzs: true });
    const template = Template.fromStack(stack);
    const lakeSubnets = vpc.selectSubnets({ subnetGroupName: 'lake' }).subnets;
    expect(lakeSubnets.map((s) => s.availabilityZone)).toEqual(['eu-west-1a', 'eu-west-1b']);
    const [[, cognito]] = endpoints(template, 'Interface');
    expect(cognito.Properties.SubnetIds).toEqual(subnetIds(stack, [lakeSubnets[1]]));
    for (const handler of handlers(template)) {
      expect(handler.Properties.VpcConfig.SubnetIds).toEqual(subnetIds(stack, lakeSubnets));
    }
  });
});
