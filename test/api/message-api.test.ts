import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HealthDataLake } from '../../src';
import { lakeStack, newApp } from '../support/stacks';
import { onlyResource, statementsBySid } from '../support/template';

const ids = (template: Template, type: string) => Object.keys(template.findResources(type));

describe('GIVEN a HealthDataLake with default props', () => {
  const { stack } = lakeStack();
  const template = Template.fromStack(stack);
  const userPool = onlyResource(template, 'AWS::Cognito::UserPool');
  const client = onlyResource(template, 'AWS::Cognito::UserPoolClient');
  const authorizer = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
  const handlers = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, f]) => f.Properties.Description?.startsWith('Health data lake'));

  test('THEN the JWT authorizer accepts ID tokens of this user pool (issuer) and app client (audience) only', () => {
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: client.id }],
        // The partition's URL suffix, not a hard-coded amazonaws.com (China and other partitions differ).
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: userPool.id }]] },
      },
    });
  });

  test('THEN there are exactly two routes, both behind the JWT authorizer, and no unauthenticated route', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['GET /messages/{id}', 'POST /messages']);
    for (const route of routes) {
      expect(route.AuthorizationType).toBe('JWT');
      expect(route.AuthorizerId).toEqual({ Ref: authorizer.id });
    }
  });

  test('THEN the stage throttles and writes access logs (no bodies, no tokens) to an encrypted log group with retention', () => {
    const stage = onlyResource(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/body|authorization|token/i);
    const logGroupId = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    const logGroup = template.toJSON().Resources[logGroupId];
    expect(logGroup.Properties.KmsKeyId).toBeDefined();
    expect(logGroup.Properties.RetentionInDays).toBe(365);
  });

  test('THEN CORS is off unless configured', () => {
    expect(onlyResource(template, 'AWS::ApiGatewayV2::Api').Properties.CorsConfiguration).toBeUndefined();
  });

  test('THEN both handlers run a pinned Node.js runtime in the isolated subnets, with encrypted JSON logs kept a year', () => {
    expect(handlers).toHaveLength(2);
    for (const [, handler] of handlers) {
      expect(handler.Properties.Runtime).toBe('nodejs24.x');
      expect(handler.Properties.VpcConfig.SubnetIds).toHaveLength(2);
      const logGroup = template.toJSON().Resources[handler.Properties.LoggingConfig.LogGroup.Ref];
      expect(handler.Properties.LoggingConfig.LogFormat).toBe('JSON');
      expect(logGroup.Properties.KmsKeyId).toBeDefined();
      expect(logGroup.Properties.RetentionInDays).toBe(365);
      expect(handler.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  test('THEN the handlers know the bucket, identity pool, provider, claims and size limit', () => {
    expect(handlers).toHaveLength(2);
    for (const [, handler] of handlers) {
      expect(handler.Properties.Environment.Variables).toMatchObject({
        BUCKET_NAME: { Ref: expect.stringMatching(/StorageBucket/) },
        IDENTITY_POOL_ID: { Ref: expect.stringMatching(/IdentityPool/) },
        IDENTITY_PROVIDER_NAME: { 'Fn::GetAtt': [userPool.id, 'ProviderName'] },
        READ_CLAIM: 'custom:read',
        WRITE_CLAIM: 'custom:write',
        MAX_MESSAGE_BYTES: '1048576',
      });
    }
  });

  test('THEN the handlers\' execution roles have no S3 or KMS permission at all (they act with the caller\'s credentials)', () => {
    const handlerRoles = handlers.map(([, handler]) => handler.Properties.Role['Fn::GetAtt'][0]);
    expect(handlerRoles).toHaveLength(2);
    const resources = template.toJSON().Resources;
    for (const roleId of handlerRoles) {
      const role = resources[roleId];
      const managed = JSON.stringify(role.Properties.ManagedPolicyArns);
      expect(managed).toMatch(/AWSLambdaBasicExecutionRole/);
      expect(managed).toMatch(/AWSLambdaVPCAccessExecutionRole/);
      expect(role.Properties.Policies).toBeUndefined();
      const attached = Object.values(resources).filter((r: any) =>
        (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
        JSON.stringify(r.Properties.Roles ?? []).includes(roleId));
      expect(attached).toEqual([]);
    }
  });

  test('THEN the VPC has no internet path: isolated subnets, no NAT or internet gateway, flow logs on', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    expect(ids(template, 'AWS::EC2::Subnet')).toHaveLength(2);
    expect(onlyResource(template, 'AWS::EC2::FlowLog').Properties.TrafficType).toBe('ALL');
  });

  test('THEN S3 is reached through a gateway endpoint limited to the lake\'s objects, Cognito Identity through a private interface endpoint', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) => e.Properties);
    const s3 = endpoints.find((e) => e.VpcEndpointType === 'Gateway')!;
    const cognito = endpoints.find((e) => e.VpcEndpointType === 'Interface')!;
    expect(s3.PolicyDocument.Statement).toEqual([expect.objectContaining({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/StorageBucket/), 'Arn'] }, '/*']] },
    })]);
    expect(cognito.ServiceName).toBe('com.amazonaws.eu-west-1.cognito-identity');
    expect(cognito.PrivateDnsEnabled).toBe(true);
  });

  test('THEN the Cognito Identity endpoint accepts HTTPS from the handlers only', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })]);
    expect(ingress[0].SourceSecurityGroupId['Fn::GetAtt'][0]).toMatch(/HandlerSecurityGroup/);
  });

  test('THEN the institute role is denied every S3 request that does not come through the lake\'s S3 endpoint, in its policy and in the bucket policy', () => {
    const endpointId = ids(template, 'AWS::EC2::VPCEndpoint').find((id) => id.includes('S3Endpoint'))!;
    const rolePolicy = statementsBySid(onlyResource(template, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument);
    expect(rolePolicy.DenyOutsideTheLakeApi).toMatchObject({
      Effect: 'Deny', Action: 's3:*', Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: endpointId } } },
    });
    const bucketPolicy = Object.values(template.findResources('AWS::S3::BucketPolicy'))
      .map((p) => statementsBySid(p.Properties.PolicyDocument))
      .find((statements) => statements.DenyInstituteUsersOutsideTheLakeApi)!;
    expect(bucketPolicy.DenyInstituteUsersOutsideTheLakeApi).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: {
        StringNotEquals: { 'aws:SourceVpce': { Ref: endpointId } },
        ArnEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [expect.stringMatching(/AccessRole/), 'Arn'] } },
      },
    });
  });
});

describe('GIVEN API options', () => {
  test('WHEN throttling, size limit, CORS, concurrency and retention are set THEN the API and handlers follow them', () => {
    const { stack } = lakeStack({
      throttlingRateLimit: 5,
      throttlingBurstLimit: 10,
      maxMessageBytes: 4096,
      reservedConcurrentExecutions: 3,
      cors: { allowOrigins: ['https://portal.hospital-a.example'] },
      logRetention: logs.RetentionDays.SIX_MONTHS,
    });
    const template = Template.fromStack(stack);
    expect(onlyResource(template, 'AWS::ApiGatewayV2::Stage').Properties.DefaultRouteSettings)
      .toEqual({ ThrottlingBurstLimit: 10, ThrottlingRateLimit: 5 });
    expect(onlyResource(template, 'AWS::ApiGatewayV2::Api').Properties.CorsConfiguration)
      .toMatchObject({ AllowOrigins: ['https://portal.hospital-a.example'] });
    const handlers = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter((f) => f.Properties.Description?.startsWith('Health data lake'));
    expect(handlers).toHaveLength(2);
    for (const handler of handlers) {
      expect(handler.Properties.ReservedConcurrentExecutions).toBe(3);
      expect(handler.Properties.Environment.Variables.MAX_MESSAGE_BYTES).toBe('4096');
    }
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(5); // ingest, read, API access, VPC flow logs, the principal-tag custom resource's function
    for (const group of logGroups) {
      expect(group.Properties.RetentionInDays).toBe(180);
    }
  });

  test('WHEN a VPC is passed THEN the handlers and endpoints use it and no VPC is created', () => {
    const stack = new Stack(newApp(), 'ByoVpc', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Existing', {
      natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const lake = new HealthDataLake(stack, 'Lake', { vpc, vpcSubnets: { subnetGroupName: 'isolated' } });
    expect(lake.vpc).toBe(vpc);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    expect(endpoints).toHaveLength(2);
    for (const endpoint of endpoints) {
      expect(endpoint.Properties.VpcId).toEqual({ Ref: expect.stringMatching(/^Existing/) });
    }
  });
});
