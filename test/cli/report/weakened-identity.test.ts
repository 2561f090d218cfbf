/**
 * The report never says "pass" for a lake whose identity side, audit claims or shared endpoint were
 * weakened: each template below is the lake's own, changed as an attacker or a careless hand would
 * change it, and the report must fail it with a finding that names the resource and what is wrong.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { HealthDataLake, PrincipalTagMappingMethod } from '../../../src';
import type { Assembly } from '../../../src/cli/report/assembly';
import { LAKE_ANALYSIS } from '../../../src/cli/report/command';
import type { ComplianceReport, TemplateJson } from '../../../src/cli/report/model';
import { buildReport } from '../../../src/cli/report/report';
import { lakeStack, newApp } from '../../support/stacks';

const FILE = 'Lake.template.json';
const DEFAULT_TEMPLATE: TemplateJson = Template.fromStack(lakeStack().stack).toJSON();
/** How many controls a lake has: the renamed template must not lose any. */
const DEFAULT_CONTROL_COUNT = 37;

const USER_POOL = 'HealthDataLakeUsersUserPool9D624248';
const APP_CLIENT = 'HealthDataLakeUsersUserPoolAppClient9A509E69';
const IDENTITY_POOL = 'HealthDataLakeIdentitiesIdentityPool48E67393';
const ROLE_ATTACHMENT = 'HealthDataLakeIdentitiesIdentityPoolDefaultRoleAttachment9F7AF213';
const INSTITUTE_ROLE = 'HealthDataLakeAccessRole0DBBF477';
const PRINCIPAL_TAGS = 'HealthDataLakeIdentitiesPrincipalTags31B4B0C7';
const API_STAGE = 'HealthDataLakeApiDefaultStageC261473E';
const ACCESS_LOG_BUCKET = 'HealthDataLakeStorageAccessLogs7903297B';

/** The report of templates, read as one assembly without a validation report. */
async function reportOf(...templates: TemplateJson[]): Promise<ComplianceReport> {
  const assembly: Assembly = {
    stacks: templates.map((template, index) => ({ stackName: `Lake${index || ''}`, file: index === 0 ? FILE : `Lake${index}.template.json`, template })),
    acknowledgements: [],
    resourcesByPath: new Map(),
  };
  return buildReport('cdk.out', assembly, LAKE_ANALYSIS);
}

/** A copy of the lake's template with one change: the weakening under test. */
function weakened(change: (template: any) => void): TemplateJson {
  const copy = structuredClone(DEFAULT_TEMPLATE) as any;
  change(copy);
  expect(copy).not.toEqual(DEFAULT_TEMPLATE);
  return copy;
}

/** THEN the verdict is fail, with a finding that names the resource and says what is wrong. */
async function expectFinding(template: TemplateJson, resource: string, what: RegExp): Promise<void> {
  const report = await reportOf(template);
  expect(report.verdict).toBe('fail');
  const naming = report.findings.filter((finding) => finding.includes(resource));
  expect(naming.length).toBeGreaterThan(0);
  expect(naming.join('\n')).toMatch(what);
}

const trust = (template: any) => template.Resources[INSTITUTE_ROLE].Properties.AssumeRolePolicyDocument.Statement;
/** The principal-tag mapping's SDK calls, with the read tag mapped from another claim. */
function mapReadTagFrom(template: any, claim: string): void {
  for (const call of ['Create', 'Update']) {
    const join = template.Resources[PRINCIPAL_TAGS].Properties[call]['Fn::Join'][1];
    template.Resources[PRINCIPAL_TAGS].Properties[call]['Fn::Join'][1] = join.map((part: unknown) =>
      typeof part === 'string' ? part.replace('"read":"custom:read"', `"read":"${claim}"`) : part);
  }
}

test('GIVEN the lake as synthesized THEN the verdict is pass (the baseline of every case below)', async () => {
  const report = await reportOf(DEFAULT_TEMPLATE);
  expect(report.findings).toEqual([]);
  expect(report.verdict).toBe('pass');
});

describe('GIVEN the institute role\'s trust policy weakened', () => {
  test('WHEN the account root may also assume the role THEN the trust policy is a finding', () => expectFinding(weakened((template) => {
    trust(template).push({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' });
  }), INSTITUTE_ROLE, /trust policy.*arn:aws:iam::111122223333:root/));

  test('WHEN the aud condition is removed THEN any identity pool\'s identities may assume it', () => expectFinding(weakened((template) => {
    delete trust(template)[0].Condition.StringEquals;
  }), INSTITUTE_ROLE, /cognito-identity.amazonaws.com:aud/));

  test('WHEN the amr condition admits unauthenticated identities THEN it is a finding', () => expectFinding(weakened((template) => {
    trust(template)[0].Condition['ForAnyValue:StringLike']['cognito-identity.amazonaws.com:amr'] = '*';
  }), INSTITUTE_ROLE, /amr/));

  test('WHEN the trust allows sts:AssumeRole besides the web-identity exchange THEN it is a finding', () => expectFinding(weakened((template) => {
    trust(template)[0].Action.push('sts:AssumeRole');
  }), INSTITUTE_ROLE, /sts:AssumeRole\b/));
});

describe('GIVEN the identity pool weakened', () => {
  test('WHEN it also accepts Google sign-ins THEN the providers are a finding', () => expectFinding(weakened((template) => {
    template.Resources[IDENTITY_POOL].Properties.SupportedLoginProviders = { 'accounts.google.com': '1234.apps.googleusercontent.com' };
  }), IDENTITY_POOL, /accounts\.google\.com/));

  test('WHEN it also accepts a second app client of the user pool THEN the providers name that client', () => expectFinding(weakened((template) => {
    template.Resources.ScriptClient = { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: USER_POOL }, WriteAttributes: ['name'] } };
    template.Resources[IDENTITY_POOL].Properties.CognitoIdentityProviders.push({
      ClientId: { Ref: 'ScriptClient' }, ProviderName: { 'Fn::GetAtt': [USER_POOL, 'ProviderName'] }, ServerSideTokenCheck: true,
    });
  }), IDENTITY_POOL, /ScriptClient/));

  test('WHEN the server-side token check is off THEN it is a finding', () => expectFinding(weakened((template) => {
    template.Resources[IDENTITY_POOL].Properties.CognitoIdentityProviders[0].ServerSideTokenCheck = false;
  }), 'identity pool', /server-side token check/));

  test('WHEN the role attachment maps roles from the token THEN the role mapping is a finding', () => expectFinding(weakened((template) => {
    template.Resources[ROLE_ATTACHMENT].Properties.RoleMappings = {
      userpool: { IdentityProvider: 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x:client', Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' },
    };
  }), ROLE_ATTACHMENT, /Token/));

  test('WHEN the role attachment maps roles by rules on claims THEN the role mapping is a finding', () => expectFinding(weakened((template) => {
    template.Resources[ROLE_ATTACHMENT].Properties.RoleMappings = {
      userpool: {
        IdentityProvider: 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x:client',
        Type: 'Rules',
        AmbiguousRoleResolution: 'Deny',
        RulesConfiguration: { Rules: [{ Claim: 'email', MatchType: 'Contains', Value: '@', RoleARN: 'arn:aws:iam::111122223333:role/Analytics' }] },
      },
    };
  }), ROLE_ATTACHMENT, /Rules/));

  test('WHEN guests are allowed and get an unauthenticated role THEN it is a finding', () => expectFinding(weakened((template) => {
    template.Resources[IDENTITY_POOL].Properties.AllowUnauthenticatedIdentities = true;
    template.Resources[ROLE_ATTACHMENT].Properties.Roles.unauthenticated = { 'Fn::GetAtt': [INSTITUTE_ROLE, 'Arn'] };
  }), 'identity pool', /unauthenticated/));
});

describe('GIVEN the principal-tag mapping weakened', () => {
  test('WHEN the read tag comes from email, a standard attribute THEN the mapping is a finding', () => expectFinding(weakened((template) => {
    mapReadTagFrom(template, 'email');
  }), PRINCIPAL_TAGS, /read.*email/));

  test('WHEN the read tag comes from name, which the app client may write THEN both the mapping and the client are named', async () => {
    const template = weakened((changed) => mapReadTagFrom(changed, 'name'));
    await expectFinding(template, PRINCIPAL_TAGS, /read.*name/);
    await expectFinding(template, APP_CLIENT, /may write name/);
  });

  test('WHEN the mapping is an AWS::Cognito::IdentityPoolPrincipalTag with the write tag from email THEN it is a finding', () => expectFinding(weakened((template) => {
    delete template.Resources[PRINCIPAL_TAGS];
    template.Resources.PrincipalTagMap = {
      Type: 'AWS::Cognito::IdentityPoolPrincipalTag',
      Properties: {
        IdentityPoolId: { Ref: IDENTITY_POOL },
        IdentityProviderName: { 'Fn::GetAtt': [USER_POOL, 'ProviderName'] },
        UseDefaults: false,
        PrincipalTags: { read: 'custom:read', write: 'email' },
      },
    };
  }), 'PrincipalTagMap', /write.*email/));

  test('WHEN the mapping is removed THEN the report does not guess it', () => expectFinding(weakened((template) => {
    delete template.Resources[PRINCIPAL_TAGS];
  }), IDENTITY_POOL, /principal-tag mapping/));
});

describe('GIVEN the user pool and its app clients weakened', () => {
  test('WHEN a pre token generation trigger is added THEN the trigger is a finding (its code can rewrite the institute claims)', () => expectFinding(weakened((template) => {
    template.Resources[USER_POOL].Properties.LambdaConfig = {
      PreTokenGenerationConfig: { LambdaArn: 'arn:aws:lambda:eu-west-1:111122223333:function:claims', LambdaVersion: 'V2_0' },
    };
  }), USER_POOL, /PreTokenGeneration/));

  test('WHEN a user migration trigger is added THEN it is a finding too', () => expectFinding(weakened((template) => {
    template.Resources[USER_POOL].Properties.LambdaConfig = { UserMigration: 'arn:aws:lambda:eu-west-1:111122223333:function:migrate' };
  }), USER_POOL, /UserMigration/));

  test('WHEN the app client gets a secret and the plain password flow THEN the client is a finding', () => expectFinding(weakened((template) => {
    template.Resources[APP_CLIENT].Properties.GenerateSecret = true;
    template.Resources[APP_CLIENT].Properties.ExplicitAuthFlows.push('ALLOW_USER_PASSWORD_AUTH');
  }), APP_CLIENT, /ALLOW_USER_PASSWORD_AUTH/));

  test('WHEN the app client gets the OAuth implicit flow with a plain-HTTP callback THEN the client is a finding', () => expectFinding(weakened((template) => {
    Object.assign(template.Resources[APP_CLIENT].Properties, {
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['implicit'],
      AllowedOAuthScopes: ['openid'],
      CallbackURLs: ['http://portal.example.com/callback'],
    });
  }), APP_CLIENT, /implicit.*http:\/\/portal\.example\.com\/callback/));
});

describe('GIVEN the audit trail weakened', () => {
  test('WHEN the API access log format drops the caller and the status THEN the stage is a finding', () => expectFinding(weakened((template) => {
    template.Resources[API_STAGE].Properties.AccessLogSettings.Format = JSON.stringify({ requestId: '$context.requestId', routeKey: '$context.routeKey', requestTime: '$context.requestTime' });
  }), API_STAGE, /caller.*status/));

  test('WHEN the server access log bucket expires its logs after 30 days THEN log retention names the bucket', () => expectFinding(weakened((template) => {
    template.Resources[ACCESS_LOG_BUCKET].Properties.LifecycleConfiguration.Rules.push({ Status: 'Enabled', ExpirationInDays: 30 });
  }), ACCESS_LOG_BUCKET, /30 days/));
});

describe('GIVEN two lakes in one VPC that share the first lake\'s Cognito Identity endpoint, as the README documents', () => {
  function twoLakes(): TemplateJson {
    const stack = new Stack(newApp(), 'Lake', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [
        { name: 'cardiology', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        { name: 'oncology', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const cardiology = new HealthDataLake(stack, 'Cardiology', { vpc, vpcSubnets: { subnetGroupName: 'cardiology' } });
    new HealthDataLake(stack, 'Oncology', { vpc, vpcSubnets: { subnetGroupName: 'oncology' }, cognitoIdentityEndpoint: cardiology.cognitoIdentityEndpoint });
    return Template.fromStack(stack).toJSON();
  }
  const endpointOf = (template: any) => Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::EC2::VPCEndpoint'
    && JSON.stringify(template.Resources[id].Properties.ServiceName).includes('cognito-identity'))!;

  test('THEN the endpoint-policy control passes for both lakes', async () => {
    const report = await reportOf(twoLakes());
    expect(report.lakes).toHaveLength(2);
    for (const lake of report.lakes) {
      expect(lake.controls.find((control) => control.id === 'network.cognito-identity-endpoint')?.status).toBe('met');
    }
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe('pass');
  });

  test('WHEN the shared endpoint also allows an identity pool of another account THEN both lakes fail on it', async () => {
    const template = twoLakes() as any;
    const endpoint = endpointOf(template);
    template.Resources[endpoint].Properties.PolicyDocument.Statement.push({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Resource: '*',
      Action: ['cognito-identity:GetId', 'cognito-identity:GetCredentialsForIdentity'],
      Condition: { StringEquals: { 'cognito-identity-auth:IdentityPoolArn': 'arn:aws:cognito-identity:eu-west-1:444455556666:identitypool/eu-west-1:abc' } },
    });
    const report = await reportOf(template);
    expect(report.verdict).toBe('fail');
    const findings = report.findings.filter((finding) => finding.includes(endpoint));
    expect(findings).toHaveLength(2);
    expect(findings.join('\n')).toContain('444455556666');
  });
});

describe('GIVEN two lakes on shared subnets that share both of the first lake\'s endpoints, as the README documents', () => {
  function sharedSubnets(): TemplateJson {
    const stack = new Stack(newApp(), 'Lake', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'lakes', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const cardiology = new HealthDataLake(stack, 'Cardiology', { vpc, vpcSubnets: { subnetGroupName: 'lakes' } });
    new HealthDataLake(stack, 'Oncology', {
      vpc,
      vpcSubnets: { subnetGroupName: 'lakes' },
      cognitoIdentityEndpoint: cardiology.cognitoIdentityEndpoint,
      s3Endpoint: cardiology.s3Endpoint,
      // The other way the construct writes the principal-tag mapping: the native resource.
      principalTagMappingMethod: PrincipalTagMappingMethod.CLOUDFORMATION,
    });
    return Template.fromStack(stack).toJSON();
  }
  const s3EndpointOf = (template: any) => Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::EC2::VPCEndpoint'
    && template.Resources[id].Properties.VpcEndpointType !== 'Interface')!;

  test('THEN both lakes pass', async () => {
    const report = await reportOf(sharedSubnets());
    expect(report.lakes).toHaveLength(2);
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe('pass');
  });

  test('WHEN the shared S3 endpoint also allows a bucket that is no lake\'s THEN both lakes fail on it', async () => {
    const template = sharedSubnets() as any;
    const endpoint = s3EndpointOf(template);
    template.Resources[endpoint].Properties.PolicyDocument.Statement.push({
      Effect: 'Allow', Principal: { AWS: '*' }, Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::exfiltration-bucket/*',
    });
    const report = await reportOf(template);
    expect(report.verdict).toBe('fail');
    const findings = report.findings.filter((finding) => finding.includes(endpoint));
    expect(findings).toHaveLength(2);
    expect(findings.join('\n')).toContain('arn:aws:s3:::exfiltration-bucket/*');
  });
});

describe('GIVEN changes that weaken nothing', () => {
  /** Every statement list and action list of the template, reversed. */
  function reversed(value: any): any {
    if (Array.isArray(value)) return value.map(reversed);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value).map(([key, item]) => [key, reversed(item)] as const);
    return Object.fromEntries(entries.map(([key, item]) => [key, (key === 'Statement' || key === 'Action') && Array.isArray(item) ? [...item].reverse() : item]));
  }

  test('WHEN every logical id is renamed THEN the verdict stays pass', async () => {
    let text = JSON.stringify(DEFAULT_TEMPLATE);
    for (const logicalId of Object.keys(DEFAULT_TEMPLATE.Resources ?? {})) text = text.split(`"${logicalId}"`).join(`"Renamed${logicalId}"`);
    const [report, baseline] = await Promise.all([reportOf(JSON.parse(text)), reportOf(DEFAULT_TEMPLATE)]);
    expect(report.findings).toEqual([]);
    // Every control still finds its resources: none turns into the operator's.
    const statuses = (of: ComplianceReport) => of.lakes[0].controls.map((control) => [control.id, control.status]);
    expect(statuses(report)).toEqual(statuses(baseline));
    expect(report.lakes[0].controls).toHaveLength(DEFAULT_CONTROL_COUNT);
  });

  test('WHEN statements and actions are reordered, resources tagged, and unrelated resources added THEN the verdict stays pass', async () => {
    const template = reversed(structuredClone(DEFAULT_TEMPLATE));
    for (const resource of Object.values<any>(template.Resources)) {
      if (resource.Type === 'AWS::S3::Bucket' || resource.Type === 'AWS::IAM::Role') resource.Properties.Tags = [...resource.Properties.Tags ?? [], { Key: 'cost-centre', Value: 'radiology' }];
    }
    // Another user pool of the app, with its own trigger and a client that writes every attribute: not the lake's.
    template.Resources.StaffPool = { Type: 'AWS::Cognito::UserPool', Properties: { LambdaConfig: { PreTokenGeneration: 'arn:aws:lambda:eu-west-1:111122223333:function:staff' } } };
    template.Resources.StaffClient = { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'StaffPool' }, AllowedOAuthFlows: ['implicit'] } };
    template.Resources.Queue = { Type: 'AWS::SQS::Queue', Properties: {} };
    expect(template).not.toEqual(DEFAULT_TEMPLATE);
    const report = await reportOf(template);
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe('pass');
  });
});
