import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HealthDataLake } from '../../src';
import { lakeStack, newApp } from '../support/stacks';
import { onlyResource, statementsBySid } from '../support/template';

function buckets(template: Template) {
  const all = Object.entries(template.findResources('AWS::S3::Bucket'));
  const isKms = (b: any) => b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm === 'aws:kms';
  const [dataId, data] = all.find(([, b]) => isKms(b))!;
  const [logsId, logs] = all.find(([, b]) => !isKms(b))!;
  return { dataId, data, logsId, logs };
}

function bucketPolicyOf(template: Template, bucketId: string) {
  return Object.values(template.findResources('AWS::S3::BucketPolicy'))
    .find((p) => p.Properties.Bucket.Ref === bucketId)!.Properties.PolicyDocument;
}

describe('GIVEN a HealthDataLake with default props', () => {
  const template = Template.fromStack(lakeStack().stack);
  const { dataId, data, logsId, logs } = buckets(template);
  const key = { id: data.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0] };
  const keyResource = template.toJSON().Resources[key.id];

  test('THEN messages are encrypted with a customer-managed, rotating KMS key and S3 bucket keys, and SSE-C is blocked', () => {
    expect(data.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{
      BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] },
      BucketKeyEnabled: true,
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key.id, 'Arn'] } },
    }]);
    expect(keyResource.Properties.EnableKeyRotation).toBe(true);
  });

  test('THEN the bucket is versioned, private, owner-enforced and logs access to the separate log bucket', () => {
    expect(data.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(data.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(data.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(data.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'data-bucket/' });
    expect(logs.Properties.AccessControl).toBeUndefined();
    expect(logs.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  test('THEN only the S3 logging service of this account may deliver logs, for this bucket', () => {
    const delivery = statementsBySid(bucketPolicyOf(template, logsId)).S3ServerAccessLogsDelivery;
    expect(delivery).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [dataId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': '111122223333' } },
    });
  });

  test('THEN both buckets accept TLS 1.2+ requests only', () => {
    for (const id of [dataId, logsId]) {
      const statements = bucketPolicyOf(template, id).Statement;
      expect(statements).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]));
    }
  });

  test('THEN no request may store an object with another key or without SSE-KMS', () => {
    const statements = statementsBySid(bucketPolicyOf(template, dataId));
    expect(statements.DenyOtherEncryption).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: {
        Null: { 's3:x-amz-server-side-encryption': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
      },
    });
    expect(statements.DenyOtherKmsKeys).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: {
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': [key.id, 'Arn'] } },
      },
    });
  });

  test('THEN no request may store an object with a key of its own (SSE-C), whoever sends it', () => {
    expect(statementsBySid(bucketPolicyOf(template, dataId)).DenyCustomerProvidedKeys).toEqual({
      Sid: 'DenyCustomerProvidedKeys',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataId, 'Arn'] }, '/*']] },
      Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
    });
  });

  test('THEN the data, the logs and the key are kept when the stack is deleted, and nothing empties the buckets', () => {
    for (const resource of [data, logs, keyResource] as any[]) {
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('GIVEN removalPolicy DESTROY (an explicit opt-out)', () => {
  const template = Template.fromStack(lakeStack({ removalPolicy: RemovalPolicy.DESTROY }).stack);
  test('THEN the data bucket is deleted with the stack but never emptied by the construct', () => {
    expect(buckets(template).data.DeletionPolicy).toBe('Delete');
    expect(onlyResource(template, 'AWS::Cognito::UserPool').Properties.DeletionProtection).toBe('INACTIVE');
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('GIVEN a bucket brought by the user', () => {
  test('WHEN it is imported with its key THEN the construct uses them and creates no bucket or key', () => {
    const app = newApp();
    const stack = new Stack(app, 'Byo', { env: { account: '111122223333', region: 'eu-west-1' } });
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'existing-lake');
    const encryptionKey = kms.Key.fromKeyArn(stack, 'ExistingKey', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const lake = new HealthDataLake(stack, 'Lake', { bucket, encryptionKey });
    const template = Template.fromStack(stack);
    // Its bucket policy cannot be changed here: the user is told which denies to add themselves.
    Annotations.fromStack(stack).hasWarning('/Byo/Lake', Match.stringLikeRegexp(
      'nothing keeps other principals of the account away from the messages\\. Add these statements to the bucket policy yourself: ' +
      'DenyInstituteUsersOutsideTheLakeApi, DenyInstituteUsersOverwriting, DenyRetaggingStoredMessages, DenyCustomerProvidedKeys, ' +
      'DenyReadingMessagesOutsideThePerimeter, DenyChangingMessagesOutsideThePerimeter'));
    template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    // Only the key of the logs: the data key is the user's.
    expect(Object.values(template.findResources('AWS::KMS::Key')).map((k) => k.Properties.Description))
      .toEqual(['Encrypts the health data lake handler, API access and VPC flow logs']);
    expect(lake.bucket).toBe(bucket);
    expect(lake.serverAccessLogsBucket).toBeUndefined();
    const kmsStatement = statementsBySid(onlyResource(template, 'AWS::IAM::ManagedPolicy').Properties.PolicyDocument).UseLakeKeyThroughS3Only;
    expect(kmsStatement.Resource).toBe(encryptionKey.keyArn);
  });

  test('WHEN it is imported without a key THEN the construct refuses it with a clear message', () => {
    const stack = new Stack(newApp(), 'Byo');
    expect(() => new HealthDataLake(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'Existing', 'existing-lake') }))
      .toThrow(/customer-managed KMS key/);
  });
});
