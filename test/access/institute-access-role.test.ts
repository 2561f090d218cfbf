import { Template } from 'aws-cdk-lib/assertions';
import { lakeStack } from '../support/stacks';
import { onlyResource, statementsBySid } from '../support/template';

describe('GIVEN a HealthDataLake with default props', () => {
  const template = Template.fromStack(lakeStack().stack);
  const pool = onlyResource(template, 'AWS::Cognito::IdentityPool');
  const [roleId, role] = Object.entries(template.findResources('AWS::IAM::Role'))
    .find(([, r]) => r.Properties.Description?.startsWith('Institute users'))!;
  const policy = onlyResource(template, 'AWS::IAM::ManagedPolicy');
  const statements = statementsBySid(policy.Properties.PolicyDocument);
  const dataBucketId = Object.entries(template.findResources('AWS::S3::Bucket'))
    .find(([, b]) => b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm === 'aws:kms')![0];
  const bucketArn = { 'Fn::GetAtt': [dataBucketId, 'Arn'] };
  const objects = { 'Fn::Join': ['', [bucketArn, '/*']] };
  const ownWritePrefix = { 'Fn::Join': ['', [bucketArn, '/${aws:PrincipalTag/write}/*']] };

  test('THEN only authenticated identities of this identity pool can assume the role, and tag the session', () => {
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
      Condition: {
        'StringEquals': { 'cognito-identity.amazonaws.com:aud': { Ref: pool.id } },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
      },
    }]);
  });

  test('THEN the access policy is a customer-managed policy attached to the role only', () => {
    expect(policy.Properties.Roles).toEqual([{ Ref: roleId }]);
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('THEN reads need the object source tag to equal the caller read tag, and a non-empty read tag', () => {
    expect(statements.ReadOwnInstituteMessages).toEqual({
      Sid: 'ReadOwnInstituteMessages',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: objects,
      Condition: {
        Null: { 'aws:PrincipalTag/read': 'false' },
        StringLike: { 'aws:PrincipalTag/read': '?*' },
        StringEquals: { 's3:ExistingObjectTag/source': '${aws:PrincipalTag/read}' },
      },
    });
  });

  test('THEN writes create objects only under the caller write prefix, tagged exactly source=<write> and state=received, never overwriting', () => {
    expect(statements.CreateOwnInstituteMessages).toEqual({
      Sid: 'CreateOwnInstituteMessages',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: ownWritePrefix,
      Condition: {
        'Null': { 'aws:PrincipalTag/write': 'false', 's3:if-none-match': 'false' },
        'StringLike': { 'aws:PrincipalTag/write': '?*' },
        'StringNotLike': { 'aws:PrincipalTag/write': '*/*' },
        'StringEquals': { 's3:RequestObjectTag/source': '${aws:PrincipalTag/write}', 's3:RequestObjectTag/state': 'received' },
        'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['source', 'state'] },
      },
    });
  });

  test('THEN tagging (needed by a tagged PutObject) is limited to the caller write prefix, the same tag set and untagged objects', () => {
    expect(statements.TagOwnInstituteMessagesOnCreate).toEqual({
      Sid: 'TagOwnInstituteMessagesOnCreate',
      Effect: 'Allow',
      Action: 's3:PutObjectTagging',
      Resource: ownWritePrefix,
      Condition: {
        // Only an object without a source tag: tags are set once, by the creating PutObject.
        'Null': { 'aws:PrincipalTag/write': 'false', 's3:ExistingObjectTag/source': 'true' },
        'StringLike': { 'aws:PrincipalTag/write': '?*' },
        'StringNotLike': { 'aws:PrincipalTag/write': '*/*' },
        'StringEquals': { 's3:RequestObjectTag/source': '${aws:PrincipalTag/write}', 's3:RequestObjectTag/state': 'received' },
        'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['source', 'state'] },
      },
    });
  });

  test('THEN the KMS key can be used only through S3, for this bucket', () => {
    const key = {
      id: template.toJSON().Resources[dataBucketId].Properties.BucketEncryption
        .ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0],
    };
    expect(statements.UseLakeKeyThroughS3Only).toEqual({
      Sid: 'UseLakeKeyThroughS3Only',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [key.id, 'Arn'] },
      Condition: {
        StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, objects] },
      },
    });
  });

  test('THEN explicit denies close cross-institute reads and writes, overwrites, re-tagging, SSE-C and every destructive or listing action', () => {
    expect(statements.DenyReadingOtherInstitutes).toMatchObject({
      Effect: 'Deny',
      Action: 's3:GetObject',
      Condition: { StringNotEquals: { 's3:ExistingObjectTag/source': '${aws:PrincipalTag/read}' } },
    });
    expect(statements.DenyWritingForOtherInstitutes).toMatchObject({
      Effect: 'Deny',
      Action: ['s3:PutObject', 's3:PutObjectTagging'],
      Condition: { StringNotEquals: { 's3:RequestObjectTag/source': '${aws:PrincipalTag/write}' } },
    });
    expect(statements.DenyWritingOutsideOwnPrefix).toEqual({
      Sid: 'DenyWritingOutsideOwnPrefix', Effect: 'Deny', Action: ['s3:PutObject', 's3:PutObjectTagging'], NotResource: ownWritePrefix,
    });
    expect(statements.DenyRetaggingStoredMessages).toEqual({
      Sid: 'DenyRetaggingStoredMessages',
      Effect: 'Deny',
      Action: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'],
      Resource: objects,
      Condition: { Null: { 's3:ExistingObjectTag/source': 'false' } },
    });
    expect(statements.DenyOverwritingMessages).toEqual({
      Sid: 'DenyOverwritingMessages',
      Effect: 'Deny',
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { Null: { 's3:if-none-match': 'true' } },
    });
    expect(statements.DenyCustomerProvidedKeys).toEqual({
      Sid: 'DenyCustomerProvidedKeys',
      Effect: 'Deny',
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
    });
    expect(statements.DenyDestructiveAndListingActions.Effect).toBe('Deny');
    expect(statements.DenyDestructiveAndListingActions.Action).toEqual(expect.arrayContaining([
      's3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteObjectTagging', 's3:PutObjectVersionTagging',
      's3:ListBucket', 's3:PutObjectAcl',
    ]));
  });

  test('THEN no allow statement has a wildcard action or Resource "*"', () => {
    const allows = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(allows).toHaveLength(4);
    for (const statement of allows) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
      for (const resource of [statement.Resource].flat()) expect(resource).not.toBe('*');
    }
  });
});
