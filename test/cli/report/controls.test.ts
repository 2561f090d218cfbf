import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HealthDataLake, HealthDataLakeProps } from '../../../src';
import { checkControls } from '../../../src/cli/report/controls';
import {
  CONTROL_REFERENCES, FRAMEWORK_CITATIONS, frameworkCoverage, referencesOf,
} from '../../../src/cli/report/frameworks';
import { findLakes } from '../../../src/cli/report/lakes';
import type { Control, TemplateJson } from '../../../src/cli/report/model';
import { lakeStack, newApp } from '../../support/stacks';
import { dedicatedSubnetsProps, importedVpcProps, ownEndpointsProps } from '../../support/vpcs';

const FILE = 'Lake.template.json';
const env = { account: '111122223333', region: 'eu-west-1' };

/** The controls of the only lake of a template, by id. */
function controlsOf(template: TemplateJson): Record<string, Control> {
  const lakes = findLakes([{ stackName: 'Lake', file: FILE, template }]);
  expect(lakes).toHaveLength(1);
  return Object.fromEntries(checkControls(lakes[0]).map((control) => [control.id, control]));
}

/** GIVEN a stack WHEN a lake is built with these props THEN its template. */
function templateWith(props: (stack: Stack) => HealthDataLakeProps): TemplateJson {
  const stack = new Stack(newApp(), 'Lake', { env });
  new HealthDataLake(stack, 'Lake', props(stack));
  return Template.fromStack(stack).toJSON();
}

const DEFAULT_TEMPLATE: TemplateJson = Template.fromStack(lakeStack().stack).toJSON();
const DEFAULT = controlsOf(DEFAULT_TEMPLATE);

/** A copy of the default template with one edit: the weakening under test. */
function weakened(edit: (template: any) => void): TemplateJson {
  const copy = structuredClone(DEFAULT_TEMPLATE) as any;
  edit(copy);
  expect(copy).not.toEqual(DEFAULT_TEMPLATE);
  return copy;
}

function resourcesOfType(template: any, type: string): string[] {
  return Object.keys(template.Resources).filter((id) => template.Resources[id].Type === type).sort();
}

/** The data bucket, its policy and the app client of the default template. */
const DATA_BUCKET = 'HealthDataLakeStorageBucketDA07B29F';
const DATA_BUCKET_POLICY = 'HealthDataLakeStorageBucketPolicyD3C04AE7';
const APP_CLIENT = 'HealthDataLakeUsersUserPoolAppClient9A509E69';
const USER_POOL = 'HealthDataLakeUsersUserPool9D624248';

function removeStatements(template: any, logicalId: string, which: (statement: any) => boolean): void {
  const document = template.Resources[logicalId].Properties.PolicyDocument;
  const before = document.Statement.length;
  document.Statement = document.Statement.filter((statement: any) => !which(statement));
  expect(document.Statement.length).toBe(before - 1);
}

const isSseCDeny = (statement: any) => statement.Condition?.Null?.['s3:x-amz-server-side-encryption-customer-algorithm'] === 'false';
const isTlsDeny = (statement: any) => statement.Condition?.Bool?.['aws:SecureTransport'] === 'false';

describe('GIVEN the default lake', () => {
  // [control id, status, a piece of evidence: logical id, property, value]
  const expectations: Array<[string, Control['status'], [string, string, unknown] | null]> = [
    ['identity.admin-only-users', 'met', [USER_POOL, 'Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly', true]],
    ['identity.mfa-required', 'met', [USER_POOL, 'Properties.EnabledMfas', ['SOFTWARE_TOKEN_MFA']]],
    ['identity.password-policy', 'met', [USER_POOL, 'Properties.Policies.PasswordPolicy.MinimumLength', 14]],
    ['identity.institute-attribute-writers', 'met', [APP_CLIENT, 'Properties.WriteAttributes', ['name']]],
    ['identity.api-authorizer', 'met', ['HealthDataLakeApiPOSTmessagesF4D0C0A0', 'Properties.AuthorizationType', 'JWT']],
    ['identity.token-lifetimes', 'met', [APP_CLIENT, 'Properties.IdTokenValidity', 15]],
    ['identity.revocation-delay', 'met', ['HealthDataLakeApiIngest61230BE9', 'Properties.Environment.Variables.CREDENTIAL_CACHE_TTL_SECONDS', '60']],
    ['identity.threat-protection', 'met', [USER_POOL, 'Properties.UserPoolAddOns.AdvancedSecurityMode', 'ENFORCED']],
    ['identity.no-unauthenticated-identities', 'met', ['HealthDataLakeIdentitiesIdentityPool48E67393', 'Properties.AllowUnauthenticatedIdentities', false]],
    ['identity.institute-role-trust', 'met', null],
    ['identity.identity-pool-providers', 'met', null],
    ['identity.identity-pool-role-mapping', 'met', ['HealthDataLakeIdentitiesIdentityPoolDefaultRoleAttachment9F7AF213', 'Properties.RoleMappings', null]],
    ['identity.principal-tag-mapping', 'met', null],
    ['identity.user-pool-triggers', 'met', [USER_POOL, 'Properties.LambdaConfig', null]],
    ['identity.app-clients', 'met', [APP_CLIENT, 'Properties.ExplicitAuthFlows', ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']]],
    ['data-protection.data-key', 'met', ['HealthDataLakeStorageKey86F2ABF5', 'Properties.EnableKeyRotation', true]],
    ['data-protection.bucket-encryption', 'met',
      [DATA_BUCKET, 'Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm', 'aws:kms']],
    ['data-protection.refused-encryption-types', 'met',
      [DATA_BUCKET, 'Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].BlockedEncryptionTypes.EncryptionType', ['SSE-C']]],
    ['data-protection.tls-only', 'met', null],
    ['data-protection.versioning', 'met', [DATA_BUCKET, 'Properties.VersioningConfiguration.Status', 'Enabled']],
    ['data-protection.public-access-block', 'met', [DATA_BUCKET, 'Properties.PublicAccessBlockConfiguration',
      { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true }]],
    ['data-protection.retention-on-deletion', 'met', [DATA_BUCKET, 'DeletionPolicy', 'Retain']],
    ['data-protection.tags-set-once', 'met', null],
    ['network.handlers-in-lake-subnets', 'met', null],
    ['network.isolated-subnets', 'met', null],
    ['network.s3-endpoint', 'met', null],
    ['network.cognito-identity-endpoint', 'met', ['HealthDataLakeNetworkVpcCognitoIdentityEndpointCA68C7FC', 'Properties.PrivateDnsEnabled', true]],
    ['network.api-only-gate', 'met', null],
    ['audit.s3-access-logs', 'met', [DATA_BUCKET, 'Properties.LoggingConfiguration',
      { DestinationBucketName: { Ref: 'HealthDataLakeStorageAccessLogs7903297B' }, LogFilePrefix: 'data-bucket/' }]],
    ['audit.vpc-flow-logs', 'met', ['HealthDataLakeNetworkVpcFlowLogFA9C4414', 'Properties.TrafficType', 'ALL']],
    ['audit.api-access-logs', 'met', ['HealthDataLakeApiDefaultStageC261473E', 'Properties.AccessLogSettings.DestinationArn',
      { 'Fn::GetAtt': ['HealthDataLakeApiAccessLogs79D0F4F6', 'Arn'] }]],
    ['audit.log-retention', 'met', ['HealthDataLakeNetworkFlowLogs11B516CC', 'Properties.RetentionInDays', 365]],
    ['audit.log-encryption', 'met', ['HealthDataLakeLogsKey627D4F0E', 'Properties.EnableKeyRotation', true]],
    ['audit.cloudtrail', 'operator', null],
    ['audit.config-security-hub', 'operator', null],
    ['audit.backups', 'operator', [DATA_BUCKET, 'Properties.ReplicationConfiguration', null]],
    ['audit.incident-response', 'operator', null],
  ];

  test('THEN the controls are exactly these, in this order, each with a category matching its id', () => {
    expect(Object.keys(DEFAULT)).toEqual(expectations.map(([id]) => id));
    for (const control of Object.values(DEFAULT)) expect(control.id.split('.')[0]).toBe(control.category);
  });

  test.each(expectations)('THEN %s is %s with its evidence', (id, status, evidence) => {
    const control = DEFAULT[id];
    expect(control.status).toBe(status);
    expect(control.detail).toMatch(/^[A-Z].*\.$/s);
    expect(control.references.length).toBeGreaterThan(0);
    for (const item of control.evidence) expect(item.file).toBe(FILE);
    if (evidence) {
      const [logicalId, property, value] = evidence;
      expect(control.evidence).toContainEqual({ file: FILE, logicalId, property, value });
    }
  });

  test('THEN the policy controls cite the very statements that hold them', () => {
    const statement = (control: string, logicalId: string) => DEFAULT[control].evidence.find((item) => item.logicalId === logicalId)?.value as any;
    expect(isTlsDeny(statement('data-protection.tls-only', DATA_BUCKET_POLICY))).toBe(true);
    expect(isSseCDeny(statement('data-protection.refused-encryption-types', DATA_BUCKET_POLICY))).toBe(true);
    expect(statement('data-protection.tags-set-once', DATA_BUCKET_POLICY).Sid).toBe('DenyRetaggingStoredMessages');
    expect(statement('network.api-only-gate', DATA_BUCKET_POLICY).Sid).toBe('DenyInstituteUsersOutsideTheLakeApi');
    expect(statement('network.api-only-gate', 'HealthDataLakeAccessPolicyCF0DA7DD').Sid).toBe('DenyOutsideTheLakeApi');
  });

  test('THEN the operator controls say what the account must do', () => {
    expect(DEFAULT['audit.cloudtrail'].detail).toContain('S3 data events');
    expect(DEFAULT['audit.cloudtrail'].detail).toContain(DATA_BUCKET);
    expect(DEFAULT['audit.backups'].detail).toContain('AWS Backup');
    expect(DEFAULT['audit.incident-response'].detail).toContain('no alarm');
  });

  test('THEN the report is the same for the same template', () => {
    expect(controlsOf(structuredClone(DEFAULT_TEMPLATE))).toEqual(DEFAULT);
  });
});

describe('GIVEN a lake whose app opted out of MFA and threat protection', () => {
  const controls = controlsOf(templateWith(() => ({
    mfa: cognito.Mfa.OFF,
    threatProtectionMode: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT,
  })));

  test('THEN MFA and threat protection are findings', () => {
    expect(controls['identity.mfa-required'].status).toBe('not-met');
    expect(controls['identity.mfa-required'].evidence).toContainEqual({ file: FILE, logicalId: expect.any(String), property: 'Properties.MfaConfiguration', value: 'OFF' });
    expect(controls['identity.threat-protection'].status).toBe('not-met');
    expect(controls['identity.threat-protection'].detail).toContain('off');
  });

  test('THEN a 14-character password alone falls short of the 15 characters a single factor needs', () => {
    expect(controls['identity.password-policy'].status).toBe('not-met');
    expect(controls['identity.password-policy'].detail).toContain('below 15');
  });

  test('THEN with MFA optional and threat protection audit-only, both are still findings', () => {
    const optional = controlsOf(templateWith(() => ({
      mfa: cognito.Mfa.OPTIONAL,
      threatProtectionMode: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
    })));
    expect(optional['identity.mfa-required'].status).toBe('not-met');
    expect(optional['identity.threat-protection'].status).toBe('not-met');
    expect(optional['identity.threat-protection'].detail).toContain('only audits');
  });
});

describe('GIVEN lakes built with resources the app brings', () => {
  test('WHEN the bucket and key are imported THEN their controls are the operator\'s, and what the template holds is still checked', () => {
    const controls = controlsOf(templateWith((stack) => ({
      bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'existing-lake'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    })));
    for (const id of ['data-protection.data-key', 'data-protection.bucket-encryption', 'data-protection.refused-encryption-types',
      'data-protection.tls-only', 'data-protection.versioning', 'data-protection.public-access-block', 'audit.s3-access-logs']) {
      expect([id, controls[id].status]).toEqual([id, 'operator']);
      expect(controls[id].detail).toContain('not in the template');
    }
    // The user pool is still retained; the bucket and key are the account's.
    expect(controls['data-protection.retention-on-deletion'].status).toBe('operator');
    expect(controls['data-protection.retention-on-deletion'].detail).toMatch(/The user pool is retained.*the data bucket and the data key are not in the template/);
    // The role's policy holds the gate alone; the bucket policy's layer is the account's.
    expect(controls['network.api-only-gate'].status).toBe('operator');
    expect(controls['data-protection.tags-set-once'].status).toBe('operator');
    expect(controls['identity.mfa-required'].status).toBe('met');
    expect(controls['network.isolated-subnets'].status).toBe('met');
  });

  test('WHEN the bucket is the app\'s own, with CDK\'s defaults THEN the template shows what it lacks', () => {
    const controls = controlsOf(templateWith((stack) => ({
      bucket: new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, enforceSSL: true }),
    })));
    // CDK's bucket-created key rotates; the bucket does not block SSE-C, keep versions or log requests.
    expect(controls['data-protection.data-key'].status).toBe('met');
    expect(controls['data-protection.data-key'].evidence[0].logicalId).toMatch(/^BucketKey/);
    expect(controls['data-protection.bucket-encryption'].status).toBe('met');
    expect(controls['data-protection.refused-encryption-types'].status).toBe('not-met');
    expect(controls['data-protection.refused-encryption-types'].detail).toContain('does not block SSE-C');
    expect(controls['data-protection.tls-only'].status).toBe('met');
    expect(controls['data-protection.versioning'].status).toBe('not-met');
    expect(controls['audit.s3-access-logs'].status).toBe('not-met');
    expect(controls['network.api-only-gate'].status).toBe('met');
  });

  test('WHEN the VPC is the app\'s, with isolated subnets for the lake THEN the subnets are checked and the missing flow log is a finding', () => {
    const controls = controlsOf(templateWith(dedicatedSubnetsProps));
    expect(controls['network.handlers-in-lake-subnets'].status).toBe('met');
    expect(controls['network.isolated-subnets'].status).toBe('met');
    expect(controls['network.isolated-subnets'].evidence.length).toBeGreaterThan(0);
    for (const item of controls['network.isolated-subnets'].evidence) expect([item.logicalId, item.property]).toEqual([expect.stringMatching(/^VpclakeSubnet/), 'Properties.RouteTableId']);
    expect(controls['audit.vpc-flow-logs'].status).toBe('not-met');
    expect(controls['audit.vpc-flow-logs'].detail).toBe('The VPC has no flow log in the template.');
    expect(controls['network.s3-endpoint'].status).toBe('met');
  });

  test('WHEN the handlers are put in subnets with a NAT gateway THEN isolated subnets is a finding that names the route', () => {
    const template = templateWith((stack) => ({
      vpc: new ec2.Vpc(stack, 'Vpc', {
        natGateways: 1,
        subnetConfiguration: [
          { name: 'workloads', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          { name: 'ingress', subnetType: ec2.SubnetType.PUBLIC },
        ],
      }),
      vpcSubnets: { subnetGroupName: 'workloads' },
    }));
    const control = controlsOf(template)['network.isolated-subnets'];
    expect(control.status).toBe('not-met');
    expect(control.detail).toContain('a NAT gateway');
    expect(control.evidence.some((item) => (item.value as any)?.NatGatewayId !== undefined)).toBe(true);
  });

  test('WHEN the VPC is the app\'s with its own endpoints, without endpoint policies THEN the endpoints are findings', () => {
    const controls = controlsOf(templateWith(ownEndpointsProps));
    expect(controls['network.s3-endpoint'].status).toBe('not-met');
    expect(controls['network.s3-endpoint'].detail).toContain('no policy');
    expect(controls['network.cognito-identity-endpoint'].status).toBe('not-met');
    expect(controls['network.api-only-gate'].status).toBe('met');
  });

  test('WHEN the VPC is imported THEN its subnets and flow logs are the operator\'s', () => {
    const controls = controlsOf(templateWith(importedVpcProps));
    expect(controls['network.isolated-subnets'].status).toBe('operator');
    expect(controls['audit.vpc-flow-logs'].status).toBe('operator');
    expect(controls['network.handlers-in-lake-subnets'].status).toBe('met');
    expect(controls['network.s3-endpoint'].status).toBe('met');
    // Ingest, read, API access and the principal-tag custom resource's function, and the server access log bucket's lifecycle.
    expect(controls['audit.log-retention'].evidence).toHaveLength(5);
  });
});

describe('GIVEN a template weakened on purpose', () => {
  const refused = (template: TemplateJson) => controlsOf(template)['data-protection.refused-encryption-types'];
  const blockedPath = (template: any) => template.Resources[DATA_BUCKET].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];

  test('WHEN SSE-C is allowed on the bucket and in the bucket policy THEN refused encryption types is a finding', () => {
    const control = refused(weakened((template) => {
      delete blockedPath(template).BlockedEncryptionTypes;
      removeStatements(template, DATA_BUCKET_POLICY, isSseCDeny);
    }));
    expect(control.status).toBe('not-met');
    expect(control.detail).toMatch(/does not block SSE-C.*no Deny of s3:PutObject/);
  });

  test('WHEN only the bucket\'s blocked encryption types are removed THEN it is a finding', () => {
    const control = refused(weakened((template) => { delete blockedPath(template).BlockedEncryptionTypes; }));
    expect(control.status).toBe('not-met');
    expect(control.evidence[0].value).toBeNull();
  });

  test('WHEN only the bucket policy\'s SSE-C deny is removed, or narrowed to one principal THEN it is a finding', () => {
    expect(refused(weakened((template) => removeStatements(template, DATA_BUCKET_POLICY, isSseCDeny))).status).toBe('not-met');
    const narrowed = refused(weakened((template) => {
      const statement = template.Resources[DATA_BUCKET_POLICY].Properties.PolicyDocument.Statement.find(isSseCDeny);
      statement.Condition.ArnEquals = { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/Someone' };
    }));
    expect(narrowed.status).toBe('not-met');
  });

  test('WHEN the app client may write an institute attribute THEN the attribute-writers control names the client', () => {
    const control = controlsOf(weakened((template) => {
      template.Resources[APP_CLIENT].Properties.WriteAttributes.push('custom:write');
    }))['identity.institute-attribute-writers'];
    expect(control.status).toBe('not-met');
    expect(control.detail).toContain(`${APP_CLIENT} (may write custom:write)`);
  });

  test('WHEN a second app client of the same pool may write an institute attribute, or every attribute THEN that client is named', () => {
    const secondClient = (writeAttributes?: string[]) => weakened((template) => {
      template.Resources.SecondClient = {
        Type: 'AWS::Cognito::UserPoolClient',
        Properties: { UserPoolId: { Ref: USER_POOL }, ...writeAttributes ? { WriteAttributes: writeAttributes } : {} },
      };
    });
    const writesRead = controlsOf(secondClient(['name', 'custom:read']))['identity.institute-attribute-writers'];
    expect(writesRead.status).toBe('not-met');
    expect(writesRead.detail).toContain('SecondClient (may write custom:read)');
    expect(writesRead.detail).not.toContain(APP_CLIENT);
    const writesAll = controlsOf(secondClient())['identity.institute-attribute-writers'];
    expect(writesAll.status).toBe('not-met');
    expect(writesAll.detail).toContain('SecondClient (no WriteAttributes');
  });

  test('WHEN a client of another user pool may write attributes of the same names THEN the lake\'s control is unaffected', () => {
    const control = controlsOf(weakened((template) => {
      template.Resources.OtherPool = { Type: 'AWS::Cognito::UserPool', Properties: {} };
      template.Resources.OtherClient = { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'OtherPool' } } };
    }))['identity.institute-attribute-writers'];
    expect(control.status).toBe('met');
  });

  test('WHEN the bucket policy no longer denies requests without TLS, or denies them only to one principal THEN TLS-only is a finding', () => {
    const dropped = controlsOf(weakened((template) => removeStatements(template, DATA_BUCKET_POLICY, isTlsDeny)))['data-protection.tls-only'];
    expect(dropped.status).toBe('not-met');
    const narrowed = controlsOf(weakened((template) => {
      const statement = template.Resources[DATA_BUCKET_POLICY].Properties.PolicyDocument.Statement.find(isTlsDeny);
      statement.Principal = { AWS: 'arn:aws:iam::111122223333:role/Someone' };
    }))['data-protection.tls-only'];
    expect(narrowed.status).toBe('not-met');
  });

  test('WHEN one log group keeps its logs 30 days THEN log retention is a finding that names it', () => {
    const control = controlsOf(weakened((template) => {
      template.Resources.HealthDataLakeApiReadLogs3ACD2860.Properties.RetentionInDays = 30;
    }))['audit.log-retention'];
    expect(control.status).toBe('not-met');
    expect(control.detail).toContain('HealthDataLakeApiReadLogs3ACD2860 (30 days)');
  });

  test('WHEN one log group loses its KMS key, or the logs key its rotation THEN log encryption is a finding', () => {
    const unencrypted = controlsOf(weakened((template) => {
      delete template.Resources.HealthDataLakeApiAccessLogs79D0F4F6.Properties.KmsKeyId;
    }))['audit.log-encryption'];
    expect(unencrypted.status).toBe('not-met');
    expect(unencrypted.detail).toContain('HealthDataLakeApiAccessLogs79D0F4F6 has no KMS key');
    const notRotating = controlsOf(weakened((template) => {
      template.Resources.HealthDataLakeLogsKey627D4F0E.Properties.EnableKeyRotation = false;
    }))['audit.log-encryption'];
    expect(notRotating.status).toBe('not-met');
  });

  test('WHEN the role policy loses the API-only deny THEN the gate is a finding', () => {
    const control = controlsOf(weakened((template) => removeStatements(template, 'HealthDataLakeAccessPolicyCF0DA7DD',
      (statement) => statement.Sid === 'DenyOutsideTheLakeApi')))['network.api-only-gate'];
    expect(control.status).toBe('not-met');
    expect(control.detail).toContain('institute role\'s policy has no Deny');
  });

  test('WHEN a handler subnet gets a route to a NAT gateway THEN isolated subnets is a finding', () => {
    const control = controlsOf(weakened((template) => {
      template.Resources.EgressRoute = {
        Type: 'AWS::EC2::Route',
        Properties: { RouteTableId: { Ref: 'HealthDataLakeNetworkVpchandlersSubnet1RouteTableBA49FAB0' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0123' },
      };
    }))['network.isolated-subnets'];
    expect(control.status).toBe('not-met');
    expect(control.detail).toContain('through EgressRoute (a NAT gateway)');
  });

  test('WHEN the ID token lasts a day and refresh tokens do not rotate THEN token lifetimes is a finding', () => {
    const control = controlsOf(weakened((template) => {
      template.Resources[APP_CLIENT].Properties.IdTokenValidity = 1440;
      delete template.Resources[APP_CLIENT].Properties.RefreshTokenRotation;
    }))['identity.token-lifetimes'];
    expect(control.status).toBe('not-met');
    expect(control.detail).toMatch(/ID tokens are valid 1 day.*refresh tokens are not rotated/);
  });

  test('WHEN a handler\'s revocation delay is not a whole number of seconds THEN it is a finding', () => {
    const control = controlsOf(weakened((template) => {
      template.Resources.HealthDataLakeApiRead288C20DB.Properties.Environment.Variables.CREDENTIAL_CACHE_TTL_SECONDS = '1h';
    }))['identity.revocation-delay'];
    expect(control.status).toBe('not-met');
  });

  test('WHEN the bucket and key are no longer retained THEN retention on deletion names them', () => {
    const control = controlsOf(weakened((template) => {
      template.Resources[DATA_BUCKET].DeletionPolicy = 'Delete';
    }))['data-protection.retention-on-deletion'];
    expect(control.status).toBe('not-met');
    expect(control.detail).toContain(`the data bucket (${DATA_BUCKET})`);
  });
});

describe('GIVEN a template that also defines the account\'s trail, AWS Config, Security Hub and a backup plan', () => {
  const controls = controlsOf(weakened((template) => {
    template.Resources.Trail = {
      Type: 'AWS::CloudTrail::Trail',
      Properties: {
        IsLogging: true,
        S3BucketName: 'trail-bucket',
        EventSelectors: [{
          IncludeManagementEvents: true,
          ReadWriteType: 'All',
          DataResources: [{ Type: 'AWS::S3::Object', Values: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [DATA_BUCKET, 'Arn'] }, '/']] }] }],
        }],
      },
    };
    template.Resources.Recorder = { Type: 'AWS::Config::ConfigurationRecorder', Properties: { RoleARN: 'arn:aws:iam::111122223333:role/config' } };
    template.Resources.Hub = { Type: 'AWS::SecurityHub::Hub', Properties: {} };
    template.Resources.Selection = {
      Type: 'AWS::Backup::BackupSelection',
      Properties: { BackupPlanId: 'plan', BackupSelection: { IamRoleArn: 'arn', SelectionName: 'lake', Resources: [{ 'Fn::GetAtt': [DATA_BUCKET, 'Arn'] }] } },
    };
  }));

  test('THEN the account-level controls are met from the template', () => {
    expect(controls['audit.cloudtrail'].status).toBe('met');
    expect(controls['audit.config-security-hub'].status).toBe('met');
    expect(controls['audit.backups'].status).toBe('met');
  });

  test('WHEN the trail records only management events THEN CloudTrail stays the operator\'s', () => {
    const managementOnly = controlsOf(weakened((template) => {
      template.Resources.Trail = { Type: 'AWS::CloudTrail::Trail', Properties: { IsLogging: true, S3BucketName: 'trail-bucket' } };
    }))['audit.cloudtrail'];
    expect(managementOnly.status).toBe('operator');
    expect(managementOnly.detail).toContain('do not record both');
  });
});

describe('GIVEN the framework mapping', () => {
  const HIPAA_STANDARDS: Record<string, string> = {
    '164.312(a)(1)': 'Access control',
    '164.312(b)': 'Audit controls',
    '164.312(c)(1)': 'Integrity',
    '164.312(d)': 'Person or entity authentication',
    '164.312(e)(1)': 'Transmission security',
  };
  const coverage = frameworkCoverage(Object.values(DEFAULT));

  test.each(Object.entries(HIPAA_STANDARDS))('THEN the HIPAA standard %s (%s) is supported by at least one control of the default lake', (id, title) => {
    const entry = coverage.find((item) => item.framework === 'HIPAA' && item.id === id);
    expect(entry?.title).toBe(title);
    expect(entry!.controls.length).toBeGreaterThan(0);
    expect(entry!.controls.every((control) => control.status === 'met' || control.status === 'operator')).toBe(true);
    expect(entry!.operatorResponsibility).toMatch(/^[A-Z].*\.$/);
  });

  test('THEN a requirement no control supports is stated as the operator\'s', () => {
    const uncovered = coverage.filter((item) => item.controls.length === 0).map((item) => item.id);
    expect(uncovered).toEqual(['164.312(a)(2)(ii)', '164.312(c)(2)', 'IA-2(1)', 'SI-7']);
    for (const item of coverage) expect(item.operatorResponsibility).toMatch(/^[A-Z][^]*\.$/);
  });

  test('THEN every citation is unique and no control cites an unknown one', () => {
    const keys = FRAMEWORK_CITATIONS.map((citation) => `${citation.framework} ${citation.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [control, references] of Object.entries(CONTROL_REFERENCES)) {
      for (const reference of references) expect([control, keys.includes(`${reference.framework} ${reference.id}`)]).toEqual([control, true]);
    }
    for (const control of Object.values(DEFAULT)) expect(control.references).toEqual(CONTROL_REFERENCES[control.id]);
  });

  test('THEN the mapping has an entry for every control and none for a control that does not exist', () => {
    expect(Object.keys(CONTROL_REFERENCES).sort()).toEqual(Object.keys(DEFAULT).sort());
    expect(() => referencesOf('identity.no-such-control')).toThrow('identity.no-such-control has no entry in CONTROL_REFERENCES');
  });

  test('THEN the coverage carries each control\'s status for this lake', () => {
    const withoutMfa = frameworkCoverage(Object.values(controlsOf(templateWith(() => ({ mfa: cognito.Mfa.OFF })))));
    const authentication = withoutMfa.find((item) => item.id === '164.312(d)')!;
    expect(authentication.controls).toContainEqual({ id: 'identity.mfa-required', title: DEFAULT['identity.mfa-required'].title, status: 'not-met' });
    const nonPrivileged = withoutMfa.find((item) => item.id === 'IA-2(2)')!;
    expect(nonPrivileged.title).toBe('Multi-factor Authentication to Non-privileged Accounts');
    expect(nonPrivileged.controls.map((control) => control.status)).toEqual(['not-met']);
  });

  test('THEN the log groups and resources counted belong to the lake only', () => {
    expect(resourcesOfType(DEFAULT_TEMPLATE, 'AWS::Logs::LogGroup'))
      .toEqual(DEFAULT['audit.log-retention'].evidence.filter((item) => item.property === 'Properties.RetentionInDays').map((item) => item.logicalId).sort());
  });
});
