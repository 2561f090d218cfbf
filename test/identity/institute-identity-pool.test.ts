import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PrincipalTagMappingMethod } from '../../src';
import { lakeStack } from '../support/stacks';
import { onlyResource } from '../support/template';

/** A CloudFormation reference as a plain string: `Ref(Id)` or `GetAtt(Id.Attribute)`. */
function ref(intrinsic: any): string {
  if (intrinsic.Ref) return `Ref(${intrinsic.Ref})`;
  if (intrinsic['Fn::GetAtt']) return `GetAtt(${intrinsic['Fn::GetAtt'].join('.')})`;
  throw new Error(`unexpected intrinsic ${JSON.stringify(intrinsic)}`);
}

/** The SDK call the custom resource makes on a lifecycle event, with references as plain strings. */
function customResourceCall(stack: Stack, event: 'Create' | 'Update' | 'Delete'): any {
  const resource = onlyResource(Template.fromStack(stack), 'Custom::IdentityPoolPrincipalTags');
  const parts: any[] = resource.Properties[event]['Fn::Join'][1];
  return JSON.parse(parts.map((part) => typeof part === 'string' ? part : ref(part)).join(''));
}

describe('GIVEN a HealthDataLake with default props', () => {
  const { stack, lake } = lakeStack();
  const template = Template.fromStack(stack);
  const pool = onlyResource(template, 'AWS::Cognito::IdentityPool');
  const userPool = onlyResource(template, 'AWS::Cognito::UserPool');
  const client = onlyResource(template, 'AWS::Cognito::UserPoolClient');

  test('THEN the identity pool admits authenticated identities of this user pool and client only, with the server-side token check', () => {
    expect(pool.Properties.AllowUnauthenticatedIdentities).toBe(false);
    expect(pool.Properties.AllowClassicFlow).toBe(false);
    expect(pool.Properties.SupportedLoginProviders).toBeUndefined();
    expect(pool.Properties.OpenIdConnectProviderARNs).toBeUndefined();
    expect(pool.Properties.SamlProviderARNs).toBeUndefined();
    expect(pool.Properties.CognitoIdentityProviders).toEqual([{
      ClientId: { Ref: client.id },
      // The provider name Cognito reports for the pool: the one the handlers log in with and the mapping names.
      ProviderName: { 'Fn::GetAtt': [userPool.id, 'ProviderName'] },
      ServerSideTokenCheck: true,
    }]);
  });

  test('THEN there is no unauthenticated role: the role attachment names the authenticated role only', () => {
    const attachment = onlyResource(template, 'AWS::Cognito::IdentityPoolRoleAttachment');
    expect(Object.keys(attachment.Properties.Roles)).toEqual(['authenticated']);
    expect(attachment.Properties.RoleMappings).toBeUndefined();
  });

  test('THEN no role is trusted by unauthenticated identities, and only the institute role by the identity pool', () => {
    const trustedByIdentityPool = Object.entries(template.findResources('AWS::IAM::Role'))
      .flatMap(([id, role]) => (role.Properties.AssumeRolePolicyDocument.Statement as any[])
        .filter((statement) => JSON.stringify(statement.Principal ?? {}).includes('cognito-identity.amazonaws.com'))
        .map((statement) => ({ id, amr: statement.Condition?.['ForAnyValue:StringLike']?.['cognito-identity.amazonaws.com:amr'] })));
    const instituteRole = Object.entries(template.findResources('AWS::IAM::Role'))
      .find(([, r]) => r.Properties.Description?.startsWith('Institute users'))![0];
    expect(trustedByIdentityPool).toEqual([{ id: instituteRole, amr: 'authenticated' }]);
  });

  test('THEN the identity pool keeps the logical ids it had, so an existing pool and its identities are updated in place', () => {
    expect(pool.id).toBe('HealthDataLakeIdentitiesIdentityPool48E67393');
    expect(onlyResource(template, 'AWS::Cognito::IdentityPoolRoleAttachment').id)
      .toBe('HealthDataLakeIdentitiesIdentityPoolDefaultRoleAttachment9F7AF213');
  });

  test('THEN the exposed identity pool names the synthesized pool', () => {
    expect(stack.resolve(lake.identityPool.identityPoolId)).toEqual({ Ref: pool.id });
    expect(stack.resolve(lake.identityPool.identityPoolArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cognito-identity:eu-west-1:111122223333:identitypool/', { Ref: pool.id }]],
    });
    expect(stack.resolve(lake.identityPool.identityPoolName)).toEqual({ 'Fn::GetAtt': [pool.id, 'Name'] });
  });

  test('THEN authenticated identities get the institute access role', () => {
    const attachment = onlyResource(template, 'AWS::Cognito::IdentityPoolRoleAttachment');
    const role = Object.entries(template.findResources('AWS::IAM::Role'))
      .find(([, r]) => r.Properties.Description?.startsWith('Institute users'))!;
    expect(attachment.Properties.IdentityPoolId).toEqual({ Ref: pool.id });
    expect(attachment.Properties.Roles.authenticated).toEqual({ 'Fn::GetAtt': [role[0], 'Arn'] });
  });

  test('THEN a custom resource maps custom:read and custom:write to the principal tags read and write, without defaults', () => {
    for (const event of ['Create', 'Update'] as const) {
      const call = customResourceCall(stack, event);
      expect(call.service).toBe('CognitoIdentity');
      expect(call.action).toBe('setPrincipalTagAttributeMap');
      expect(call.parameters).toEqual({
        IdentityPoolId: `Ref(${pool.id})`,
        IdentityProviderName: `GetAtt(${userPool.id}.ProviderName)`,
        UseDefaults: false,
        PrincipalTags: { read: 'custom:read', write: 'custom:write' },
      });
    }
  });

  test('THEN deleting the custom resource makes no call: the mapping may belong to a resource that replaced it (see the method switch)', () => {
    expect(onlyResource(template, 'Custom::IdentityPoolPrincipalTags').Properties.Delete).toBeUndefined();
  });

  test('THEN a change of the provider or pool gives a new physical id, a new mapping', () => {
    expect(customResourceCall(stack, 'Update').physicalResourceId.id).toBe(
      `Ref(${pool.id})|GetAtt(${userPool.id}.ProviderName)`);
  });

  test('THEN the custom resource may only call SetPrincipalTagAttributeMap on this identity pool', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))
      .find((p) => p.Properties.PolicyName.includes('PrincipalTags'))!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{
      Action: 'cognito-identity:SetPrincipalTagAttributeMap',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cognito-identity:eu-west-1:111122223333:identitypool/', { Ref: pool.id }]],
      },
    }]);
  });

  test('THEN there is no native principal-tag resource', () => {
    template.resourceCountIs('AWS::Cognito::IdentityPoolPrincipalTag', 0);
  });
});

describe('GIVEN the native CloudFormation principal-tag mapping', () => {
  const custom = lakeStack();
  const native = lakeStack({ principalTagMappingMethod: PrincipalTagMappingMethod.CLOUDFORMATION });
  const template = Template.fromStack(native.stack);

  test('THEN it yields the same mapping as the custom resource, without the custom resource function', () => {
    const resource = onlyResource(template, 'AWS::Cognito::IdentityPoolPrincipalTag');
    const pool = onlyResource(template, 'AWS::Cognito::IdentityPool');
    const userPool = onlyResource(template, 'AWS::Cognito::UserPool');
    const viaCustomResource = customResourceCall(custom.stack, 'Create').parameters;

    expect({
      IdentityPoolId: ref(resource.Properties.IdentityPoolId),
      IdentityProviderName: ref(resource.Properties.IdentityProviderName),
      UseDefaults: resource.Properties.UseDefaults,
      PrincipalTags: resource.Properties.PrincipalTags,
    }).toEqual(viaCustomResource);
    expect(resource.Properties.IdentityPoolId).toEqual({ Ref: pool.id });
    expect(resource.Properties.IdentityProviderName).toEqual({ 'Fn::GetAtt': [userPool.id, 'ProviderName'] });
    template.resourceCountIs('Custom::IdentityPoolPrincipalTags', 0);
    // No deployment-time function for the mapping: only the API handlers and the VPC's default-security-group restrictor.
    const functions = Object.values(template.toJSON().Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.Description ?? '');
    expect(functions.sort()).toEqual([
      'Health data lake: Ingest', 'Health data lake: Read',
      'Lambda function for removing all inbound/outbound rules from the VPC default security group',
    ]);
  });
});
