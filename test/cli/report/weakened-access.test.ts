import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HealthDataLake } from '../../../src';
import type { Assembly } from '../../../src/cli/report/assembly';
import { LAKE_ANALYSIS } from '../../../src/cli/report/command';
import { findLakes } from '../../../src/cli/report/lakes';
import type { ComplianceReport, LakeInTemplate, StackTemplate, TemplateJson } from '../../../src/cli/report/model';
import { buildReport } from '../../../src/cli/report/report';
import { newApp } from '../../support/stacks';

/*
 * The access side of the compliance report against templates synthesized from the lake and then
 * changed the way an attacker or a careless hand would change them: every one must turn the verdict
 * to fail with a finding that names the resource and what is wrong. Harmless changes stay pass.
 */

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const FILE = 'Lake.template.json';

type MutableTemplate = TemplateJson & { Resources: Record<string, any>; Outputs?: Record<string, any> };

let original: MutableTemplate;
let parts: LakeInTemplate['parts'];
let role: string;
let policy: string;
let bucketPolicy: string;
let key: string;
let pool: string;

beforeAll(() => {
  const stack = new Stack(newApp(), 'Lake', { env: { account: ACCOUNT, region: REGION } });
  new HealthDataLake(stack, 'HealthDataLake');
  original = Template.fromStack(stack).toJSON() as MutableTemplate;
  [{ parts }] = findLakes([{ stackName: 'Lake', file: FILE, template: original }]);
  role = parts['institute-role']!;
  policy = parts['institute-policy']!;
  bucketPolicy = parts['data-bucket-policy']!;
  key = parts['data-key']!;
  pool = parts['user-pool']!;
});

/** The report on the lake's template changed by `change` (a copy), with the other templates of the assembly. */
async function reportOn(change: (template: MutableTemplate) => void, others: StackTemplate[] = []): Promise<ComplianceReport> {
  const template = structuredClone(original);
  change(template);
  const assembly: Assembly = {
    stacks: [{ stackName: 'Lake', file: FILE, template }, ...others],
    acknowledgements: [],
    resourcesByPath: new Map(),
  };
  return buildReport('cdk.out', assembly, LAKE_ANALYSIS);
}

/** The access findings (beyond the cells) of the report's one lake, as `<resource>: <detail>`. */
function accessFindings(report: ComplianceReport): string[] {
  return (report.lakes[0].accessMatrix.findings ?? []).map((finding) => `${finding.resource}: ${finding.detail}`);
}

/** THEN the verdict is fail, and a finding of the report names `resource` and says `what`. */
function expectFailNaming(report: ComplianceReport, resource: string, what: RegExp): void {
  expect(report.verdict).toBe('fail');
  const named = accessFindings(report).filter((finding) => finding.startsWith(`${resource}: `) && finding.includes(resource));
  expect({ resource, findings: named.filter((finding) => what.test(finding)).length > 0 ? 'found' : accessFindings(report) }).toEqual({ resource, findings: 'found' });
  // The report's own finding list carries the same sentence.
  expect(report.findings.some((finding) => finding.includes(resource) && what.test(finding))).toBe(true);
}

const statementsOf = (template: MutableTemplate, logicalId: string): any[] => template.Resources[logicalId].Properties.PolicyDocument.Statement;
const statementWithSid = (statements: any[], sid: string): any => {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
};
const withoutSid = (statements: any[], sid: string) => statements.splice(statements.indexOf(statementWithSid(statements, sid)), 1);
const bucketArn = () => ({ 'Fn::GetAtt': [parts['data-bucket'], 'Arn'] });
const objects = (suffix = '/*') => ({ 'Fn::Join': ['', [bucketArn(), suffix]] });
const document = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });

describe('GIVEN the institute role with power beyond the lake\'s object actions', () => {
  test.each([
    ['AdministratorAccess (AWS managed, by a partition-aware ARN)', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AdministratorAccess']] }, /arn:aws:iam::aws:policy\/AdministratorAccess attached by ARN .*cannot evaluate/],
    ['AmazonS3FullAccess (AWS managed)', 'arn:aws:iam::aws:policy/AmazonS3FullAccess', /AmazonS3FullAccess attached by ARN .*cannot evaluate/],
    ['a customer managed policy of the account that the template does not hold', `arn:aws:iam::${ACCOUNT}:policy/operations`, /policy\/operations attached by ARN .*cannot evaluate/],
  ])('WHEN the role lists %s in ManagedPolicyArns THEN the report fails, naming the role and the unevaluable policy', async (_name, arn, what) => {
    const report = await reportOn((t) => {
      t.Resources[role].Properties.ManagedPolicyArns = [arn];
    });
    expectFailNaming(report, role, what);
  });

  test('WHEN an AWS::IAM::RolePolicy allows * on * THEN the report fails, naming the RolePolicy', async () => {
    const report = await reportOn((t) => {
      t.Resources.Convenience = { Type: 'AWS::IAM::RolePolicy', Properties: { RoleName: { Ref: role }, PolicyName: 'all', PolicyDocument: document({ Effect: 'Allow', Action: '*', Resource: '*' }) } };
    });
    expectFailNaming(report, 'Convenience', /statement #1 allows \*; \* on \*, outside the lake's objects/);
  });

  test('WHEN the role gets an inline policy with * on * THEN the report fails, naming the role and the inline policy', async () => {
    const report = await reportOn((t) => {
      t.Resources[role].Properties.Policies = [{ PolicyName: 'debug', PolicyDocument: document({ Sid: 'Everything', Effect: 'Allow', Action: '*', Resource: '*' }) }];
    });
    expectFailNaming(report, role, new RegExp(`policy ${role}-inline-0-debug, whose statement Everything allows \\*`));
  });

  test.each([
    ['secretsmanager:*', 'secretsmanager:*', '*'],
    ['dynamodb:* on a table', 'dynamodb:*', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/patients`],
    ['sts:AssumeRole', 'sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/Operations`],
    ['iam:PassRole', 'iam:PassRole', '*'],
  ])('WHEN an AWS::IAM::Policy on the role grants %s THEN the report fails, naming the policy and the action', async (_name, action, resource) => {
    const report = await reportOn((t) => {
      t.Resources.ExtraPower = { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'extra', Roles: [{ Ref: role }], PolicyDocument: document({ Effect: 'Allow', Action: action, Resource: resource }) } };
    });
    expectFailNaming(report, 'ExtraPower', new RegExp(`allows ${action.replace('*', '\\*')}`));
  });

  test('WHEN an AWS::IAM::Policy lets the role change user attributes on the pool THEN the report fails, naming the policy', async () => {
    const report = await reportOn((t) => {
      t.Resources.SelfService = {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyName: 'self', Roles: [{ Ref: role }], PolicyDocument: document({ Effect: 'Allow', Action: 'cognito-idp:AdminUpdateUserAttributes', Resource: { 'Fn::GetAtt': [pool, 'Arn'] } }) },
      };
    });
    expectFailNaming(report, 'SelfService', /allows cognito-idp:AdminUpdateUserAttributes; .*userpool\//);
  });

  test('WHEN an AWS::IAM::ManagedPolicy lists the role and allows s3:* on * THEN the report fails, naming the managed policy and the non-object actions', async () => {
    const report = await reportOn((t) => {
      t.Resources.BucketAdmin = { Type: 'AWS::IAM::ManagedPolicy', Properties: { Roles: [{ Ref: role }], PolicyDocument: document({ Effect: 'Allow', Action: 's3:*', Resource: '*' }) } };
    });
    expectFailNaming(report, 'BucketAdmin', /the S3 actions .*s3:.*which are not object actions; s3:\* on \*/);
  });

  test('WHEN the role lists a managed policy of the template in ManagedPolicyArns THEN its document is evaluated, and kms:* on the key is a finding naming it', async () => {
    const report = await reportOn((t) => {
      t.Resources.KeyAdmin = { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: document({ Effect: 'Allow', Action: 'kms:*', Resource: { 'Fn::GetAtt': [key, 'Arn'] } }) } };
      t.Resources[role].Properties.ManagedPolicyArns = [{ Ref: 'KeyAdmin' }];
    });
    expectFailNaming(report, 'KeyAdmin', /the KMS actions .*kms:CreateGrant.*which are not cryptographic operations on data/);
    expect(report.lakes[0].accessMatrix.policies).toContain('identity-policy KeyAdmin');
  });

  test('WHEN a policy names the role through Fn::GetAtt (its name split from its ARN) THEN it is found and is a finding', async () => {
    const report = await reportOn((t) => {
      t.Resources.ByArn = {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyName: 'arn', Roles: [{ 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': [role, 'Arn'] }] }] }], PolicyDocument: document({ Effect: 'Allow', Action: 'logs:*', Resource: '*' }) },
      };
    });
    expectFailNaming(report, 'ByArn', /allows logs:\*/);
  });

  test('WHEN the role has a fixed name and a policy attaches to it by that name string THEN it is found and is a finding', async () => {
    const report = await reportOn((t) => {
      t.Resources[role].Properties.RoleName = 'lake-institutes';
      t.Resources.ByName = { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'name', Roles: ['lake-institutes'], PolicyDocument: document({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }) } };
    });
    expectFailNaming(report, 'ByName', /allows sqs:SendMessage/);
  });

  test('WHEN a policy in another template of the assembly attaches to the role through an export THEN it is found and is a finding', async () => {
    const other: StackTemplate = {
      stackName: 'Extras',
      file: 'Extras.template.json',
      template: {
        Resources: {
          Convenience: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'x', Roles: [{ 'Fn::ImportValue': 'LakeInstituteRole' }], PolicyDocument: document({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }) } },
        },
      },
    };
    const report = await reportOn((t) => {
      t.Outputs = { ...t.Outputs, InstituteRole: { Value: { Ref: role }, Export: { Name: 'LakeInstituteRole' } } };
    }, [other]);
    expectFailNaming(report, 'Convenience', /allows secretsmanager:GetSecretValue/);
  });

  test('WHEN the lake\'s own policy gains an allow of s3:GetObject on another bucket THEN the report fails, naming the policy and the resource', async () => {
    const report = await reportOn((t) => {
      statementsOf(t, policy).push({ Sid: 'AlsoArchive', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::archive/*' });
    });
    expectFailNaming(report, policy, /statement AlsoArchive allows s3:GetObject on arn:aws:s3:::archive\/\*, outside the lake's objects/);
  });
});

describe('GIVEN the write prefix widened', () => {
  test('WHEN the create statements write to bucket/* and the deny outside the own prefix is removed THEN writers create at the other institute\'s prefix, the root and odd keys, as a finding naming the policy', async () => {
    const report = await reportOn((t) => {
      const statements = statementsOf(t, policy);
      for (const sid of ['CreateOwnInstituteMessages', 'TagOwnInstituteMessagesOnCreate']) statementWithSid(statements, sid).Resource = objects();
      withoutSid(statements, 'DenyWritingOutsideOwnPrefix');
    });
    expectFailNaming(report, policy, /User of institute A, read and write: creates messages outside its own prefix A\/, at the keys "B\/new", "new", "A", .*where the lake's model says denied/);
    const [finding] = accessFindings(report).filter((f) => f.includes('User of institute B, read and write: creates messages outside'));
    expect(finding).toContain('"A/new"');
  });

  test('WHEN the write resource loses the slash after the institute (bucket/${write}*) THEN keys such as "A /new" and "Anew" are found', async () => {
    const report = await reportOn((t) => {
      const statements = statementsOf(t, policy);
      for (const sid of ['CreateOwnInstituteMessages', 'TagOwnInstituteMessagesOnCreate']) statementWithSid(statements, sid).Resource = objects('/${aws:PrincipalTag/write}*');
      statementWithSid(statements, 'DenyWritingOutsideOwnPrefix').NotResource = objects('/${aws:PrincipalTag/write}*');
    });
    expectFailNaming(report, policy, /User of institute A, read and write: creates messages outside its own prefix A\/, at the keys .*"Anew".*"A \/new"/);
  });
});

describe('GIVEN object actions other than the nine of the matrix opened', () => {
  /** The lake's S3 endpoint with AWS's default endpoint policy (every action), as an app's own endpoint often has. */
  const defaultEndpointPolicy = (t: MutableTemplate) => delete t.Resources[parts['s3-endpoint']!].Properties.PolicyDocument;

  test('WHEN the read allow becomes s3:GetObject* and the S3 endpoint keeps the default policy THEN the versions\', attributes\' and tags\' reads of the own messages are findings naming the policy', async () => {
    const report = await reportOn((t) => {
      statementWithSid(statementsOf(t, policy), 'ReadOwnInstituteMessages').Action = 's3:GetObject*';
      defaultEndpointPolicy(t);
    });
    expectFailNaming(report, policy, /User of institute A, read only: .*s3:GetObjectAttributes.*s3:GetObjectTagging.* on a stored message of its own institute .* are allowed, where the lake's model says denied/);
  });

  test('WHEN an allow of GetObjectVersion, GetObjectAcl, RestoreObject and GetObjectVersionTagging on every object is added, the role\'s deny of them removed and the S3 endpoint keeps the default policy THEN reads of the other institute are findings', async () => {
    const report = await reportOn((t) => {
      defaultEndpointPolicy(t);
      const statements = statementsOf(t, policy);
      withoutSid(statements, 'DenyDestructiveAndListingActions');
      statements.push({ Sid: 'Versions', Effect: 'Allow', Action: ['s3:GetObjectVersion', 's3:GetObjectAcl', 's3:RestoreObject', 's3:GetObjectVersionTagging'], Resource: objects() });
    });
    expectFailNaming(report, policy, /User of institute B, read and write: s3:GetObjectAcl, s3:GetObjectVersion, s3:GetObjectVersionTagging, s3:RestoreObject on a stored message of the other institute \(A\/msg1, tagged source=A\) are allowed/);
  });

  test('WHEN the bucket policy\'s read perimeter names only s3:GetObject THEN an administrator\'s GetObjectVersion, GetObjectTagging and GetObjectAttributes are findings naming the bucket policy', async () => {
    const report = await reportOn((t) => {
      statementWithSid(statementsOf(t, bucketPolicy), 'DenyReadingMessagesOutsideThePerimeter').Action = 's3:GetObject';
    });
    expectFailNaming(report, bucketPolicy, new RegExp(`Another principal of the account \\(administrator\\): .*s3:GetObjectAttributes.*s3:GetObjectVersion.* are allowed, .*no statement of ${bucketPolicy} denies it`));
  });

  test('WHEN the key policy\'s perimeter denies only kms:Decrypt THEN an administrator\'s direct Encrypt, GenerateDataKey and ReEncrypt are findings naming the key', async () => {
    const report = await reportOn((t) => {
      t.Resources[key].Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'DenyDataUseOutsideThePerimeter').Action = 'kms:Decrypt';
    });
    expectFailNaming(report, key, /Another principal of the account \(administrator\): kms:Encrypt, kms:GenerateDataKey.*kms:ReEncryptFrom.* on the data key, used directly \(not through S3\) are allowed/);
  });
});

describe('GIVEN the data perimeter loosened', () => {
  test('WHEN the perimeter denies only principals of type AssumedRole THEN IAM users and the root escape, and the narrowing is a finding naming the bucket policy', async () => {
    const report = await reportOn((t) => {
      for (const sid of ['DenyReadingMessagesOutsideThePerimeter', 'DenyChangingMessagesOutsideThePerimeter']) {
        statementWithSid(statementsOf(t, bucketPolicy), sid).Condition.StringEquals = { 'aws:PrincipalType': 'AssumedRole' };
      }
    });
    expectFailNaming(report, bucketPolicy, /statement DenyReadingMessagesOutsideThePerimeter of .* denies only when StringEquals aws:PrincipalType AssumedRole/);
    const cells = report.lakes[0].accessMatrix.cells.filter((cell) => cell.finding).map((cell) => `${cell.caller} ${cell.operation}`);
    expect(cells).toEqual(expect.arrayContaining(['account-user read-own', 'account-user read-other', 'account-root read-own', 'account-user delete']));
    expect(cells.filter((cell) => cell.startsWith('account-principal'))).toEqual([]);
  });

  test('WHEN the read perimeter exempts an extra role ARN THEN the report fails, naming the bucket policy and the ARN', async () => {
    const report = await reportOn((t) => {
      statementWithSid(statementsOf(t, bucketPolicy), 'DenyReadingMessagesOutsideThePerimeter').Condition.ArnNotEquals['aws:PrincipalArn'].push(`arn:aws:iam::${ACCOUNT}:role/Auditor`);
    });
    expectFailNaming(report, bucketPolicy, new RegExp(`exempts arn:aws:iam::${ACCOUNT}:role/Auditor, which is neither the institute role nor a message reader`));
  });

  test('WHEN the read perimeter exempts a wildcard ARN (role/analytics-*) THEN the report fails, naming the pattern', async () => {
    const report = await reportOn((t) => {
      const statement = statementWithSid(statementsOf(t, bucketPolicy), 'DenyReadingMessagesOutsideThePerimeter');
      statement.Condition = { ArnNotLike: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [role, 'Arn'] }, `arn:aws:iam::${ACCOUNT}:role/analytics-*`] } };
    });
    expectFailNaming(report, bucketPolicy, new RegExp(`exempts the wildcard principal pattern arn:aws:iam::${ACCOUNT}:role/analytics-\\*`));
  });

  test('WHEN the write perimeter exempts a replication role THEN the report fails, naming the bucket policy and the role', async () => {
    const report = await reportOn((t) => {
      t.Resources.ReplicationRole = { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: document({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }) } };
      const statement = statementWithSid(statementsOf(t, bucketPolicy), 'DenyChangingMessagesOutsideThePerimeter');
      statement.Condition.ArnNotEquals['aws:PrincipalArn'] = [statement.Condition.ArnNotEquals['aws:PrincipalArn'], { 'Fn::GetAtt': ['ReplicationRole', 'Arn'] }];
    });
    expectFailNaming(report, bucketPolicy, /statement DenyChangingMessagesOutsideThePerimeter of .* exempts arn:aws:iam::111122223333:role\/ReplicationRole from the deny of changing messages/);
  });

  test('WHEN the key policy\'s perimeter exempts an extra role THEN the report fails, naming the key and the ARN', async () => {
    const report = await reportOn((t) => {
      t.Resources[key].Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'DenyDataUseOutsideThePerimeter').Condition.ArnNotEquals['aws:PrincipalArn']
        .push(`arn:aws:iam::${ACCOUNT}:role/KeyUser`);
    });
    expectFailNaming(report, key, /statement DenyDataUseOutsideThePerimeter of .* exempts arn:aws:iam::111122223333:role\/KeyUser/);
  });

  test('WHEN the read perimeter spares principals of type Account THEN the account root reads every message, as a cell and a finding naming the bucket policy', async () => {
    const report = await reportOn((t) => {
      statementWithSid(statementsOf(t, bucketPolicy), 'DenyReadingMessagesOutsideThePerimeter').Condition.StringNotEquals = { 'aws:PrincipalType': 'Account' };
    });
    expectFailNaming(report, bucketPolicy, /denies only when StringNotEquals aws:PrincipalType Account/);
    expect(report.lakes[0].accessMatrix.cells.filter((cell) => cell.finding).map((cell) => `${cell.caller} ${cell.operation}`))
      .toEqual(['account-root read-own', 'account-root read-other']);
  });
});

describe('GIVEN harmless changes to the lake\'s template', () => {
  const expectPass = (report: ComplianceReport) => {
    expect(accessFindings(report)).toEqual([]);
    expect(report.lakes[0].accessMatrix.cells.filter((cell) => cell.finding)).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe('pass');
  };

  test('WHEN every logical id is renamed THEN the report stays pass', async () => {
    const report = await reportOn((t) => {
      const ids = Object.keys(t.Resources);
      const renamed = (id: string) => `Renamed${id.split('').reverse().join('')}`;
      let text = JSON.stringify(t);
      for (const id of ids.sort((a, b) => b.length - a.length)) text = text.split(`"${id}"`).join(`"${renamed(id)}"`);
      const changed = JSON.parse(text);
      for (const name of Object.keys(t)) delete (t as any)[name];
      Object.assign(t, changed);
      expect(Object.keys(t.Resources).every((id) => id.startsWith('Renamed'))).toBe(true);
    });
    expectPass(report);
  });

  test('WHEN the statements of every policy and the resources are reordered THEN the report stays pass', async () => {
    const report = await reportOn((t) => {
      for (const resource of Object.values(t.Resources)) {
        for (const policyDocument of [resource.Properties?.PolicyDocument, resource.Properties?.KeyPolicy]) {
          if (Array.isArray(policyDocument?.Statement)) policyDocument.Statement.reverse();
        }
      }
      t.Resources = Object.fromEntries(Object.entries(t.Resources).reverse());
    });
    expectPass(report);
  });

  test('WHEN unrelated resources and another stack are added (an administrator role with AdministratorAccess, a bucket with its policy) THEN the report stays pass', async () => {
    const unrelated = {
      OpsRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: document({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }),
          ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        },
      },
      OpsPolicy: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'ops', Roles: [{ Ref: 'OpsRole' }], PolicyDocument: document({ Effect: 'Allow', Action: '*', Resource: '*' }) } },
      Reports: { Type: 'AWS::S3::Bucket' },
      ReportsPolicy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'Reports' }, PolicyDocument: document({ Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': ['OpsRole', 'Arn'] } }, Action: 's3:*', Resource: '*' }) } },
    };
    const other: StackTemplate = { stackName: 'Ops', file: 'Ops.template.json', template: { Resources: structuredClone(unrelated) } };
    const report = await reportOn((t) => Object.assign(t.Resources, unrelated), [other]);
    expectPass(report);
  });

  test('WHEN tags are added to the role, the bucket and the key THEN the report stays pass', async () => {
    const report = await reportOn((t) => {
      for (const id of [role, parts['data-bucket']!, key]) {
        t.Resources[id].Properties.Tags = [...t.Resources[id].Properties.Tags ?? [], { Key: 'cost-centre', Value: 'cardiology' }];
      }
    });
    expectPass(report);
  });
});
