import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HealthDataLake, HealthDataLakeProps } from '../../src';
import { actionsMatching, MESSAGE_READ_ACTIONS, MESSAGE_WRITE_ACTIONS } from '../../src/access/data-perimeter';
import { objectActionCatalogue } from '../../src/cli/report/object-actions';
import { newApp } from '../support/stacks';
import { statementsBySid } from '../support/template';

const ENV = { account: '111122223333', region: 'eu-west-1' };

interface PerimeterStack {
  readonly app: App;
  readonly stack: Stack;
  readonly lake: HealthDataLake;
  readonly role: (id: string) => iam.Role;
}

/** GIVEN a stack with a lake; `role(id)` adds a role of the account beside it. */
function perimeterStack(props: (stack: Stack) => HealthDataLakeProps = () => ({})): PerimeterStack {
  const app = newApp();
  const stack = new Stack(app, 'Lake', { env: ENV });
  const lake = new HealthDataLake(stack, 'HealthDataLake', props(stack));
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
  return { app, stack, lake, role };
}

const logicalIdOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as any);
const dataBucketPolicy = (template: Template, bucketId: string) => Object.values(template.findResources('AWS::S3::BucketPolicy'))
  .find((p) => p.Properties.Bucket.Ref === bucketId)!.Properties.PolicyDocument;

describe('GIVEN a lake with a message reader named at construction and one granted later', () => {
  let pipeline: iam.Role | undefined;
  const { stack, lake, role } = perimeterStack((s) => {
    pipeline = new iam.Role(s, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
    return { messageReaders: [pipeline] };
  });
  const pipelineId = logicalIdOf(stack, pipeline!);
  const analytics = role('Analytics');
  const grant = lake.grantReadMessages(analytics);
  const template = Template.fromStack(stack);
  const bucketId = logicalIdOf(stack, lake.bucket);
  const keyId = logicalIdOf(stack, lake.encryptionKey);
  const roleArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const instituteRoleId = logicalIdOf(stack, lake.instituteAccessRole);
  const perimeter = [roleArn(instituteRoleId), roleArn(pipelineId), roleArn(logicalIdOf(stack, analytics))];
  const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] };

  test('THEN the grant of the later reader succeeded on its principal', () => {
    expect(grant.success).toBe(true);
  });

  test('THEN the bucket policy denies object reads to everyone but the institute role and both readers', () => {
    expect(statementsBySid(dataBucketPolicy(template, bucketId)).DenyReadingMessagesOutsideThePerimeter).toEqual({
      Sid: 'DenyReadingMessagesOutsideThePerimeter',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: MESSAGE_READ_ACTIONS,
      Resource: objects,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': perimeter } },
    });
  });

  test('THEN the bucket policy denies every object write, tagging, deletion and replication to everyone but the institute role', () => {
    expect(statementsBySid(dataBucketPolicy(template, bucketId)).DenyChangingMessagesOutsideThePerimeter).toEqual({
      Sid: 'DenyChangingMessagesOutsideThePerimeter',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: MESSAGE_WRITE_ACTIONS,
      Resource: objects,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn(instituteRoleId) } },
    });
  });

  test('THEN the bucket policy denies the institute role any overwrite and anyone any change of a stored message\'s tags', () => {
    const statements = statementsBySid(dataBucketPolicy(template, bucketId));
    expect(statements.DenyInstituteUsersOverwriting).toEqual({
      Sid: 'DenyInstituteUsersOverwriting',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { ArnEquals: { 'aws:PrincipalArn': roleArn(instituteRoleId) }, Null: { 's3:if-none-match': 'true' } },
    });
    expect(statements.DenyRetaggingStoredMessages).toEqual({
      Sid: 'DenyRetaggingStoredMessages',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'],
      Resource: objects,
      Condition: { Null: { 's3:ExistingObjectTag/source': 'false' } },
    });
  });

  test('THEN the data key denies data use outside the same perimeter and keeps its administration with the account', () => {
    const keyPolicy = template.toJSON().Resources[keyId].Properties.KeyPolicy;
    expect(keyPolicy.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'DenyDataUseOutsideThePerimeter',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': perimeter } },
      },
    ]);
  });

  test('THEN each reader may get the messages and decrypt them through S3 for this bucket, and nothing else', () => {
    for (const reader of [pipelineId, logicalIdOf(stack, analytics)]) {
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: reader }]));
      expect(policies).toHaveLength(1);
      expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Action: 's3:GetObject', Resource: objects },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, objects] },
          },
        },
      ]);
    }
  });
});

describe('GIVEN the perimeter\'s action lists', () => {
  test('THEN they cover every object data action of S3, and reads and writes do not overlap', () => {
    const reads = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes', 's3:GetObjectTagging', 's3:GetObjectAcl', 's3:GetObjectTorrent'];
    const writes = ['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectAcl', 's3:PutObjectRetention', 's3:PutObjectLegalHold', 's3:DeleteObject',
      's3:DeleteObjectVersion', 's3:DeleteObjectTagging', 's3:RestoreObject', 's3:AbortMultipartUpload', 's3:ReplicateObject'];
    const coveredBy = (patterns: string[], action: string) => patterns.some((pattern) => actionsMatching(pattern, [action]).length > 0);
    expect(reads.filter((action) => !coveredBy(MESSAGE_READ_ACTIONS, action))).toEqual([]);
    expect(writes.filter((action) => !coveredBy(MESSAGE_WRITE_ACTIONS, action))).toEqual([]);
    expect([...reads, ...writes].filter((action) => coveredBy(MESSAGE_READ_ACTIONS, action) && coveredBy(MESSAGE_WRITE_ACTIONS, action))).toEqual([]);
  });
});

describe('GIVEN the object actions of the simulator\'s IAM action catalogue', () => {
  test('THEN the perimeter\'s read or write list covers every one of them (S3 adds object actions over time)', async () => {
    const { objectActions } = await objectActionCatalogue();
    const coveredBy = (patterns: string[], action: string) => patterns.some((pattern) => actionsMatching(pattern, [action]).length > 0);
    const perimeter = [...MESSAGE_READ_ACTIONS, ...MESSAGE_WRITE_ACTIONS];
    expect(objectActions.map((entry) => entry.action).filter((action) => !coveredBy(perimeter, action))).toEqual([]);
  });
});

describe('GIVEN a grant that the perimeter would silently defeat', () => {
  const synthesisErrors = (app: App): string => {
    try {
      app.synth({ force: true });
    } catch (error) {
      return String(error);
    }
    return '';
  };

  test('WHEN another role gets lake.bucket.grantRead THEN synthesis fails naming the role and pointing to grantReadMessages', () => {
    const { app, lake, role } = perimeterStack();
    lake.bucket.grantRead(role('Reporting'));
    const errors = synthesisErrors(app);
    expect(errors).toMatch(/The role Lake\/Reporting is allowed s3:GetObject\*, s3:List\* on the lake's messages and kms:Decrypt on the lake's data key by Lake\/Reporting\/DefaultPolicy/);
    expect(errors).toMatch(/the data perimeter would deny it at run time\. Use lake\.grantReadMessages\(role\)/);
  });

  test('WHEN a message reader gets lake.bucket.grantWrite THEN synthesis fails: readers never write', () => {
    const { app, lake, role } = perimeterStack();
    const reader = role('Pipeline');
    lake.grantReadMessages(reader);
    lake.bucket.grantRead(reader);
    expect(synthesisErrors(app)).toBe('');
    lake.bucket.grantWrite(reader);
    expect(synthesisErrors(app)).toMatch(/The role Lake\/Pipeline is allowed s3:DeleteObject\*, s3:PutObject, .* on the lake's messages .* messages are written only through the API/);
  });

  test('WHEN the grant comes through a managed policy, an inline policy or to a user THEN synthesis names each principal', () => {
    const { app, stack, lake, role } = perimeterStack();
    const readAll = new iam.PolicyStatement({ actions: ['s3:*'], resources: [lake.bucket.arnForObjects('A/*')] });
    const managed = new iam.ManagedPolicy(stack, 'ReadAll', { statements: [readAll] });
    role('Attached').addManagedPolicy(managed);
    new iam.Role(stack, 'Inline', {
      assumedBy: new iam.AccountRootPrincipal(),
      inlinePolicies: { read: new iam.PolicyDocument({ statements: [readAll] }) },
    });
    const user = new iam.User(stack, 'Person');
    lake.bucket.grantRead(user);
    const errors = synthesisErrors(app);
    expect(errors).toMatch(/The role Lake\/Attached is allowed s3:\* on the lake's messages by Lake\/ReadAll/);
    expect(errors).toMatch(/The role Lake\/Inline is allowed s3:\* on the lake's messages by Lake\/Inline/);
    expect(errors).toMatch(/The user Lake\/Person is allowed s3:GetObject\*/);
  });

  test('WHEN a role in another stack gets lake.bucket.grantRead THEN synthesis fails too', () => {
    const { app, lake } = perimeterStack();
    const other = new Stack(app, 'Pipelines', { env: ENV });
    lake.bucket.grantRead(new iam.Role(other, 'Etl', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(synthesisErrors(app)).toMatch(/The role Pipelines\/Etl is allowed s3:GetObject\*, s3:List\* on the lake's messages/);
  });

  test('WHEN the bucket is imported THEN such a grant is refused as a widening of access', () => {
    const { app, lake, role } = perimeterStack((s) => ({
      bucket: s3.Bucket.fromBucketName(s, 'Existing', 'existing-lake'),
      encryptionKey: kms.Key.fromKeyArn(s, 'ExistingKey', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    }));
    lake.bucket.grantRead(role('Reporting'));
    expect(synthesisErrors(app)).toMatch(/The role Lake\/Reporting is allowed s3:GetObject\*, s3:List\* on the lake's messages .*on this imported bucket it would open every institute's messages outside the API/);
  });

  test('WHEN nothing grants access to the messages outside the perimeter THEN synthesis succeeds', () => {
    const { app, stack, lake, role } = perimeterStack();
    // A grant on the bucket itself (not its objects) and on another bucket are not the perimeter's business.
    role('Lister').addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [lake.bucket.bucketArn] }));
    new s3.Bucket(stack, 'Other').grantReadWrite(role('OtherBucketUser'));
    expect(synthesisErrors(app)).toBe('');
  });
});

describe('GIVEN the user\'s own bucket created in the app', () => {
  test('THEN its bucket policy gets the perimeter, and its key (the user\'s) keeps its own policy', () => {
    const { stack, lake } = perimeterStack((s) => ({ bucket: new s3.Bucket(s, 'Own', { encryption: s3.BucketEncryption.KMS }) }));
    const template = Template.fromStack(stack);
    const sids = Object.keys(statementsBySid(dataBucketPolicy(template, logicalIdOf(stack, lake.bucket))));
    expect(sids).toEqual(expect.arrayContaining([
      'DenyInstituteUsersOutsideTheLakeApi', 'DenyInstituteUsersOverwriting', 'DenyRetaggingStoredMessages', 'DenyCustomerProvidedKeys',
      'DenyReadingMessagesOutsideThePerimeter', 'DenyChangingMessagesOutsideThePerimeter',
    ]));
    const keyPolicy = template.toJSON().Resources[logicalIdOf(stack, lake.encryptionKey)].Properties.KeyPolicy;
    expect(keyPolicy.Statement.map((statement: { Sid?: string }) => statement.Sid)).toEqual([undefined]);
  });
});
