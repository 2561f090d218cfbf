import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HealthDataLake } from '../../src';
import { newApp } from '../support/stacks';

const ENV = { account: '111122223333', region: 'eu-west-1' };
const INSTITUTE_ROLE_POLICY = 'cdk-health-data-lake:InstituteRolePolicy';

/** The synthesis errors of an app ('' when it synthesizes), template validation included. */
function synthesisErrors(app: App): string {
  try {
    app.synth({ force: true });
  } catch (error) {
    return String(error);
  }
  return '';
}

const accountRole = (scope: Construct, id: string) => new iam.Role(scope, id, { assumedBy: new iam.AccountRootPrincipal() });

describe('GIVEN two stacks of one app, each with a lake under the same construct path', () => {
  test('WHEN the first lake grants a message reader THEN both stacks synthesize: the second lake does not take the first one\'s reader for its own', () => {
    const app = newApp();
    const first = new Stack(app, 'LakeA', { env: ENV });
    const second = new Stack(app, 'LakeB', { env: ENV });
    const lakeA = new HealthDataLake(first, 'Lake');
    new HealthDataLake(second, 'Lake');
    lakeA.grantReadMessages(accountRole(first, 'Reader'));
    expect(synthesisErrors(app)).toBe('');
  });

  test('WHEN another stack grants a role a bucket that has the lake bucket\'s construct path THEN it synthesizes: it is another bucket', () => {
    const app = newApp();
    const lakeStack = new Stack(app, 'LakeA', { env: ENV });
    new HealthDataLake(lakeStack, 'Lake');
    const other = new Stack(app, 'Other', { env: ENV });
    const lookalike = new s3.Bucket(new Construct(new Construct(other, 'Lake'), 'Storage'), 'Bucket');
    expect(other.resolve(lookalike.bucketArn)).toEqual(lakeStack.resolve((lakeStack.node.findChild('Lake') as HealthDataLake).bucket.bucketArn));
    lookalike.grantReadWrite(accountRole(other, 'Reporting'));
    expect(synthesisErrors(app)).toBe('');
  });

  test('WHEN a role of another stack really gets the lake\'s bucket THEN synthesis still names it', () => {
    const app = newApp();
    const lakeStack = new Stack(app, 'LakeA', { env: ENV });
    const lake = new HealthDataLake(lakeStack, 'Lake');
    new HealthDataLake(new Stack(app, 'LakeB', { env: ENV }), 'Lake');
    const other = new Stack(app, 'Pipelines', { env: ENV });
    lake.bucket.grantRead(accountRole(other, 'Etl'));
    const errors = synthesisErrors(app);
    expect(errors).toMatch(/The role Pipelines\/Etl is allowed s3:GetObject\*, s3:List\* on the lake's messages/);
    expect(errors).not.toMatch(/LakeB/);
  });
});

describe('GIVEN a message reader the key policy must name (an imported role, another account)', () => {
  test('WHEN the stack is environment-agnostic and the reader is imported by ARN THEN the template has no circular dependency', () => {
    const app = newApp();
    const stack = new Stack(app, 'Lake');
    const lake = new HealthDataLake(stack, 'Lake');
    lake.grantReadMessages(iam.Role.fromRoleArn(stack, 'Reader', 'arn:aws:iam::111122223333:role/analytics'));
    expect(synthesisErrors(app)).toBe('');
    const template = Template.fromStack(stack).toJSON();
    const bucketId = stack.getLogicalId(lake.bucket.node.defaultChild as CfnElement);
    const keyPolicy = template.Resources[stack.getLogicalId(lake.encryptionKey.node.defaultChild as CfnElement)].Properties.KeyPolicy;
    const forReader = keyPolicy.Statement.filter((s: any) => JSON.stringify(s.Principal ?? {}).includes('role/analytics'));
    // The key policy lets the reader decrypt through S3 only, and names no bucket (the bucket names the key).
    expect(forReader).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': expect.anything() } } })]);
    expect(JSON.stringify(keyPolicy)).not.toContain(bucketId);
    // The reader's own policy keeps the bucket as encryption context.
    const readerPolicy = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === '["analytics"]');
    expect(JSON.stringify(readerPolicy.Properties.PolicyDocument)).toContain('kms:EncryptionContext:aws:s3:arn');
  });

  test('WHEN the reader lives in another account THEN the template has no circular dependency', () => {
    const app = newApp();
    const stack = new Stack(app, 'Lake', { env: ENV });
    new HealthDataLake(stack, 'Lake', {
      messageReaders: [iam.Role.fromRoleArn(stack, 'Reader', 'arn:aws:iam::444455556666:role/analytics')],
    });
    expect(synthesisErrors(app)).toBe('');
  });

  test('WHEN a role object of another stack is passed THEN the message says to import it with Role.fromRoleArn', () => {
    const app = newApp();
    const lake = new HealthDataLake(new Stack(app, 'Lake', { env: ENV }), 'Lake');
    const pipeline = accountRole(new Stack(app, 'Pipelines', { env: ENV }), 'Etl');
    expect(() => lake.grantReadMessages(pipeline)).toThrow(
      /^HealthDataLake: grantReadMessages\(role\) must be a role of the lake's stack \(Lake\) or an imported role; got Pipelines\/Etl, a role of the stack Pipelines\..*iam\.Role\.fromRoleArn/);
  });
});

describe('GIVEN something that is not a role as a message reader (what a Python app can pass)', () => {
  test('WHEN messageReaders holds a bucket THEN synthesis names the position and the expected type', () => {
    const stack = new Stack(newApp(), 'Lake', { env: ENV });
    const bucket = new s3.Bucket(stack, 'NotARole');
    expect(() => new HealthDataLake(stack, 'Lake', { messageReaders: [accountRole(stack, 'Ok'), bucket as unknown as iam.IRole] })).toThrow(
      /^HealthDataLake: messageReaders\[1\] must be an iam\.IRole .*; got the construct at 'Lake\/NotARole'\./);
  });

  test('WHEN messageReaders is one role instead of a list THEN synthesis says to pass a list', () => {
    const stack = new Stack(newApp(), 'Lake', { env: ENV });
    expect(() => new HealthDataLake(stack, 'Lake', { messageReaders: accountRole(stack, 'Ok') as unknown as iam.IRole[] })).toThrow(
      /^HealthDataLake: messageReaders must be a list of roles, such as \[reader\], each an iam\.IRole .*; got the construct at 'Lake\/Ok'\./);
  });

  test('WHEN grantReadMessages gets undefined or a plain object THEN it names what it got', () => {
    const stack = new Stack(newApp(), 'Lake', { env: ENV });
    const lake = new HealthDataLake(stack, 'Lake');
    expect(() => lake.grantReadMessages(undefined as unknown as iam.IRole)).toThrow(/^HealthDataLake: grantReadMessages\(role\) must be an IAM role \(iam\.IRole\); got undefined\./);
    expect(() => lake.grantReadMessages({ roleArn: 'x' } as unknown as iam.IRole)).toThrow(/^HealthDataLake: grantReadMessages\(role\) must be an IAM role \(iam\.IRole\); got an object/);
  });

  test('WHEN the reader is a wildcard role ARN THEN it is refused: it would let every matching role into both perimeters', () => {
    const stack = new Stack(newApp(), 'Lake', { env: ENV });
    const wildcard = iam.Role.fromRoleArn(stack, 'Analytics', 'arn:aws:iam::111122223333:role/analytics-*');
    expect(() => new HealthDataLake(stack, 'Lake', { messageReaders: [wildcard] })).toThrow(
      /^HealthDataLake: messageReaders\[0\] must be one role, named without wildcards; got arn:aws:iam::111122223333:role\/analytics-\*/);
    const lake = new HealthDataLake(stack, 'Lake2');
    expect(() => lake.grantReadMessages(iam.Role.fromRoleArn(stack, 'Any', 'arn:aws:iam::111122223333:role/team/?'))).toThrow(
      /^HealthDataLake: grantReadMessages\(role\) must be one role, named without wildcards/);
  });
});

describe('GIVEN a grant outside the perimeter to an IAM user or group', () => {
  test('THEN synthesis names the user and the group by their construct path', () => {
    const app = newApp();
    const stack = new Stack(app, 'Lake', { env: ENV });
    const lake = new HealthDataLake(stack, 'Lake');
    lake.bucket.grantRead(new iam.User(stack, 'Person'));
    lake.bucket.grantRead(new iam.Group(stack, 'Team'));
    const errors = synthesisErrors(app);
    expect(errors).toMatch(/The user Lake\/Person is allowed s3:GetObject\*/);
    expect(errors).toMatch(/The group Lake\/Team is allowed s3:GetObject\*/);
    expect(errors).not.toMatch(/\{"Ref"/);
  });
});

describe('GIVEN a policy attached to the institute role by the app', () => {
  const lakeWith = () => {
    const app = newApp();
    const stack = new Stack(app, 'Lake', { env: ENV });
    return { app, stack, lake: new HealthDataLake(stack, 'Lake') };
  };

  test('WHEN the app grants the institute role the bucket (lake.bucket.grantRead) THEN synthesis fails naming the role', () => {
    const { app, lake } = lakeWith();
    lake.bucket.grantRead(lake.instituteAccessRole);
    expect(synthesisErrors(app)).toMatch(
      /The institute access role Lake\/Lake\/Access\/Role is allowed s3:GetObject\*, s3:GetBucket\*, s3:List\* on the lake's bucket and kms:Decrypt, kms:DescribeKey on the lake's data key by Lake\/Lake\/Access\/Role\/DefaultPolicy.*only the lake's own policy/);
  });

  test('WHEN the app grants the institute role the data key or a wildcard on every bucket THEN synthesis fails', () => {
    const { app, lake } = lakeWith();
    lake.encryptionKey.grantEncryptDecrypt(lake.instituteAccessRole);
    expect(synthesisErrors(app)).toMatch(/The institute access role Lake\/Lake\/Access\/Role is allowed kms:Decrypt, kms:Encrypt.* on the lake's data key/);
    const second = lakeWith();
    second.lake.instituteAccessRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    expect(synthesisErrors(second.app)).toMatch(/The institute access role Lake\/Lake\/Access\/Role is allowed s3:\* on the lake's bucket/);
  });

  test('WHEN the app attaches anything else to the institute role THEN synthesis warns, and the warning can be acknowledged', () => {
    const { app, stack, lake } = lakeWith();
    new sqs.Queue(stack, 'Queue', { enforceSSL: true }).grantSendMessages(lake.instituteAccessRole);
    lake.instituteAccessRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
    expect(synthesisErrors(app)).toBe('');
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(INSTITUTE_ROLE_POLICY)).map((w) => String(w.entry.data));
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/Lake\/Lake\/Access\/Role\/DefaultPolicy .*identity pool/);
    expect(warnings.join('\n')).toMatch(/arn:.*:iam::aws:policy\/ReadOnlyAccess/);

    const acknowledged = lakeWith();
    new sqs.Queue(acknowledged.stack, 'Queue', { enforceSSL: true }).grantSendMessages(acknowledged.lake.instituteAccessRole);
    Validations.of(acknowledged.lake.instituteAccessRole).acknowledge({ id: INSTITUTE_ROLE_POLICY, reason: 'Institute users post to the queue.' });
    expect(Annotations.fromStack(acknowledged.stack).findWarning('*', Match.stringLikeRegexp(INSTITUTE_ROLE_POLICY))).toEqual([]);
  });

  test('WHEN nothing else is attached THEN there is no such warning', () => {
    const { stack } = lakeWith();
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(INSTITUTE_ROLE_POLICY))).toEqual([]);
  });
});
