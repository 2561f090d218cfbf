import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HealthDataLake, HealthDataLakeProps } from '../../../src';
import {
  AccessMatrixError,
  evaluateAccessMatrix,
  expectedDecision,
  MATRIX_CALLER_IDS,
  MATRIX_OPERATION_IDS,
  MatrixCallerId,
  MatrixOperationId,
} from '../../../src/cli/report/access-matrix';
import { findLakes } from '../../../src/cli/report/lakes';
import type { AccessCell, AccessMatrix, LakeInTemplate, TemplateJson } from '../../../src/cli/report/model';
import type { PolicyStatement } from '../../../src/cli/report/policy-simulation';
import { newApp } from '../../support/stacks';
import { appVpc, dedicatedSubnetsProps } from '../../support/vpcs';

/*
 * The report's access matrix, evaluated from synthesized templates: the default lake, the other
 * supported configurations, a stack with two lakes, and templates weakened on purpose, where the
 * cells that open must become findings.
 */

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

/** GIVEN a stack with lakes built by `build`: its template and the lakes found in it. */
function lakesOf(build: (stack: Stack) => void): { template: TemplateJson; lakes: LakeInTemplate[] } {
  const stack = new Stack(newApp(), 'Lake', { env: { account: ACCOUNT, region: REGION } });
  build(stack);
  const template = Template.fromStack(stack).toJSON() as TemplateJson;
  return { template, lakes: findLakes([{ stackName: stack.stackName, file: 'Lake.template.json', template }]) };
}

function lakeWith(props: (stack: Stack) => HealthDataLakeProps = () => ({})): LakeInTemplate {
  const { lakes } = lakesOf((stack) => new HealthDataLake(stack, 'HealthDataLake', props(stack)));
  expect(lakes).toHaveLength(1);
  return lakes[0];
}

/** The same lake with its template changed (a deep copy: the original stays as it is). */
function weakened(lake: LakeInTemplate, change: (template: TemplateJson) => void): LakeInTemplate {
  const template = structuredClone(lake.stack.template) as TemplateJson;
  change(template);
  return { ...lake, stack: { ...lake.stack, template } };
}

/** The statements of a policy document in a template (resolved or not), to edit in place. */
function statementsOf(template: TemplateJson, logicalId: string | undefined): PolicyStatement[] {
  const resource = template.Resources?.[logicalId ?? ''];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  return resource.Properties!.PolicyDocument.Statement;
}

function withoutSid(statements: PolicyStatement[], sid: string): void {
  const index = statements.findIndex((s) => s.Sid === sid);
  if (index < 0) throw new Error(`no statement ${sid}`);
  statements.splice(index, 1);
}

function statementWithSid(statements: PolicyStatement[], sid: string): { Condition: Record<string, Record<string, unknown>> } {
  const statement = statements.find((s) => s.Sid === sid);
  if (!statement) throw new Error(`no statement ${sid}`);
  return statement as unknown as { Condition: Record<string, Record<string, unknown>> };
}

const cellOf = (matrix: AccessMatrix, caller: MatrixCallerId, operation: MatrixOperationId): AccessCell => {
  const cell = matrix.cells.find((c) => c.caller === caller && c.operation === operation);
  if (!cell) throw new Error(`no cell ${caller} x ${operation}`);
  return cell;
};

/** The findings of a matrix as `<caller> x <operation>: <decision>`, sorted. */
const findingsOf = (matrix: AccessMatrix) => matrix.cells.filter((c) => c.finding).map((c) => `${c.caller} x ${c.operation}: ${c.decision}`).sort();

/** A cell's outcome in one word: `allowed`, `explicit` (a Deny decided) or `implicit` (nothing allowed). */
type Outcome = 'allowed' | 'explicit' | 'implicit';
const outcomeOf = (cell: AccessCell): Outcome => cell.decision === 'allowed' ? 'allowed' : cell.denial!;

/**
 * The default lake's matrix, cell by cell, in the order of MATRIX_OPERATION_IDS:
 * read-own, read-other, create-own, create-other, overwrite, retag, delete, list, use-key-directly.
 * The institute role's direct use of the key is explicitly denied: no request of the role outside the
 * lake's S3 endpoint passes (DenyEverythingOutsideTheLakeApi), and a KMS request never comes through it.
 */
const DEFAULT_LAKE: Record<MatrixCallerId, Outcome[]> = {
  'institute-a-read-write': ['allowed', 'explicit', 'allowed', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit'],
  'institute-a-read': ['allowed', 'explicit', 'implicit', 'implicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit'],
  'institute-a-write': ['implicit', 'implicit', 'allowed', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit'],
  'institute-b-read-write': ['allowed', 'explicit', 'allowed', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit'],
  'no-institute': ['implicit', 'implicit', 'implicit', 'implicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit'],
  'identity-pool-outside-vpc': ['explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit'],
  'account-principal': ['explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'allowed', 'explicit'],
  'account-user': ['explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'allowed', 'explicit'],
  'account-root': ['explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'allowed', 'explicit'],
  'other-account-role': ['explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'implicit', 'explicit'],
  'ingest-handler-role': ['explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'implicit', 'explicit'],
  'read-handler-role': ['explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'explicit', 'implicit', 'explicit'],
};

describe('GIVEN the default lake', () => {
  const lake = lakeWith();
  const { parts } = lake;
  let matrix: AccessMatrix;
  beforeAll(async () => {
    matrix = await evaluateAccessMatrix(lake);
  });

  test('WHEN its matrix is evaluated THEN every caller and operation is a row and a column, and the cells are callers x operations in order', () => {
    expect(matrix.callers.map((c) => c.id)).toEqual([...MATRIX_CALLER_IDS]);
    expect(matrix.operations.map((o) => o.id)).toEqual([...MATRIX_OPERATION_IDS]);
    expect(matrix.cells.map((c) => `${c.caller} ${c.operation}`))
      .toEqual(MATRIX_CALLER_IDS.flatMap((caller) => MATRIX_OPERATION_IDS.map((operation) => `${caller} ${operation}`)));
    for (const axis of [...matrix.callers, ...matrix.operations]) {
      expect(axis.label.length).toBeGreaterThan(0);
      expect(axis.description).toMatch(/\.$/);
    }
  });

  test('WHEN its matrix is evaluated THEN no cell is a finding, and no check beyond the cells finds anything', () => {
    expect(findingsOf(matrix)).toEqual([]);
    expect(matrix.findings).toEqual([]);
  });

  const defaultCells = MATRIX_CALLER_IDS.flatMap((caller) =>
    MATRIX_OPERATION_IDS.map((operation, column) => [caller, operation, DEFAULT_LAKE[caller][column]] as const));
  test.each(defaultCells)(
    'WHEN %s tries %s THEN the evaluation says %s, as the model expects', (caller, operation, outcome) => {
      const cell = cellOf(matrix, caller, operation);
      expect(outcomeOf(cell)).toBe(outcome);
      expect(cell.expected).toBe(expectedDecision(caller, operation));
      expect(cell.finding).toBe(false);
      // The deciding statements are named when a statement decided; none when nothing allowed.
      if (outcome === 'implicit') expect(cell.statements).toEqual([]);
      else expect(cell.statements.length).toBeGreaterThan(0);
      expect([...cell.statements].sort()).toEqual(cell.statements);
      for (const statement of cell.statements) expect(statement).toMatch(outcome === 'allowed' ? / Allow \S+$/ : / Deny \S+$/);
    });

  test('WHEN its matrix is evaluated THEN the cells name the statements of the template that decided them', () => {
    const policy = parts['institute-policy'];
    const bucketPolicy = parts['data-bucket-policy'];
    expect(cellOf(matrix, 'institute-a-read-write', 'read-own').statements)
      .toEqual([`${policy} Allow ReadOwnInstituteMessages`, `${parts['s3-endpoint']} Allow #1`]);
    expect(cellOf(matrix, 'institute-a-read-write', 'create-own').statements)
      .toEqual([`${policy} Allow CreateOwnInstituteMessages`, `${policy} Allow TagOwnInstituteMessagesOnCreate`, `${parts['s3-endpoint']} Allow #1`]);
    expect(cellOf(matrix, 'institute-b-read-write', 'read-other').statements).toEqual([`${policy} Deny DenyReadingOtherInstitutes`]);
    expect(cellOf(matrix, 'identity-pool-outside-vpc', 'read-own').statements)
      .toEqual([`${policy} Deny DenyEverythingOutsideTheLakeApi`, `${policy} Deny DenyOutsideTheLakeApi`, `${bucketPolicy} Deny DenyInstituteUsersOutsideTheLakeApi`]);
    expect(cellOf(matrix, 'account-principal', 'read-own').statements).toEqual([`${bucketPolicy} Deny DenyReadingMessagesOutsideThePerimeter`]);
    expect(cellOf(matrix, 'account-principal', 'use-key-directly').statements).toEqual([`${parts['data-key']} Deny DenyDataUseOutsideThePerimeter`]);
    expect(cellOf(matrix, 'account-principal', 'list').statements).toEqual(['AssumedAdministratorAccess Allow #1']);
  });

  test('WHEN its matrix is evaluated THEN it lists the policies it evaluated and what it assumed', () => {
    expect(matrix.policies).toEqual([
      `bucket-policy ${parts['data-bucket-policy']}`,
      `identity-policy ${parts['institute-policy']}`,
      `key-policy ${parts['data-key']}`,
      `s3-endpoint-policy ${parts['s3-endpoint']}`,
    ]);
    expect(matrix.assumptions).toEqual(expect.arrayContaining([
      `The account is ${ACCOUNT}, as the template writes it.`,
      `The region is ${REGION}, as the template writes it.`,
      `The data bucket ${parts['data-bucket']} is evaluated under the placeholder name lake-bucket.`,
      `The data key ${parts['data-key']} is evaluated under the placeholder key id 1234abcd-12ab-34cd-56ef-1234567890ab.`,
      expect.stringMatching(/^Every caller is a role session named CognitoIdentityCredentials /),
      expect.stringMatching(new RegExp(`^The policies attached to the role ${parts['ingest-role']} by ARN \\(.*AWSLambdaBasicExecutionRole.*\\) are not in the template and were not evaluated\\.$`)),
    ]));
    for (const sentence of matrix.assumptions) expect(sentence).toMatch(/^[A-Z].*\.$/);
  });

  test('WHEN it is evaluated twice THEN the matrix is the same, byte for byte', async () => {
    expect(JSON.stringify(await evaluateAccessMatrix(lake))).toBe(JSON.stringify(matrix));
  });

  test('WHEN the template is environment-agnostic THEN the placeholder account and region are used and said so', async () => {
    const stack = new Stack(newApp(), 'Agnostic');
    new HealthDataLake(stack, 'HealthDataLake');
    const template = Template.fromStack(stack).toJSON() as TemplateJson;
    const [agnostic] = findLakes([{ stackName: 'Agnostic', file: 'Agnostic.template.json', template }]);

    const result = await evaluateAccessMatrix(agnostic);

    expect(findingsOf(result)).toEqual([]);
    expect(result.assumptions).toEqual(expect.arrayContaining([
      'The template leaves the account to deployment: the evaluation uses the placeholder account 111122223333.',
      'The template leaves the region to deployment: the evaluation uses the placeholder region eu-west-1.',
    ]));
  });
});

describe('GIVEN the other supported configurations', () => {
  test.each<[string, (stack: Stack) => HealthDataLakeProps]>([
    ['the user\'s own VPC with subnets dedicated to the lake', dedicatedSubnetsProps],
    ['the user\'s own VPC with its own S3 gateway endpoint', (stack) => {
      const vpc = appVpc(stack);
      return { vpc, s3Endpoint: vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 }) };
    }],
  ])('WHEN the lake uses %s THEN the matrix is that of the default lake, without a finding', async (_name, props) => {
    const lake = lakeWith(props);

    const matrix = await evaluateAccessMatrix(lake);

    expect(findingsOf(matrix)).toEqual([]);
    expect(Object.fromEntries(MATRIX_CALLER_IDS.map((caller) =>
      [caller, MATRIX_OPERATION_IDS.map((operation) => outcomeOf(cellOf(matrix, caller, operation)))]))).toEqual(DEFAULT_LAKE);
    expect(matrix.assumptions).toContainEqual(expect.stringContaining(`The lake's S3 endpoint ${lake.parts['s3-endpoint']} is evaluated under the placeholder id`));
  });

  test('WHEN the lake uses the user\'s own bucket created in the app THEN the only finding is the data key, whose key policy stays the user\'s', async () => {
    const lake = lakeWith((stack) => ({ bucket: new s3.Bucket(stack, 'OwnBucket', { encryption: s3.BucketEncryption.KMS, enforceSSL: true }) }));

    const matrix = await evaluateAccessMatrix(lake);

    // The bucket's own key keeps CDK's default key policy (the account's IAM decides): an
    // administrator can decrypt with it outside S3. The bucket policy keeps the messages closed.
    expect(findingsOf(matrix)).toEqual([
      'account-principal x use-key-directly: allowed',
      'account-root x use-key-directly: allowed',
      'account-user x use-key-directly: allowed',
    ]);
    expect(cellOf(matrix, 'account-principal', 'use-key-directly').statements)
      .toEqual(['AssumedAdministratorAccess Allow #1', `${lake.parts['data-key']} Allow #1`]);
    expect(matrix.policies).toContain(`bucket-policy ${lake.parts['data-bucket-policy']}`);
  });

  test('WHEN the lake uses an imported bucket and key THEN what the template holds is evaluated, and what is outside it is said and shows as findings', async () => {
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const lake = lakeWith((stack) => ({
      bucket: s3.Bucket.fromBucketName(stack, 'ImportedBucket', 'existing-lake'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'ImportedKey', keyArn),
    }));
    expect(lake.parts['data-bucket']).toBeUndefined();
    expect(lake.parts['data-key']).toBeUndefined();

    const matrix = await evaluateAccessMatrix(lake);

    // Without the bucket policy and the key policy (not in the template) nothing keeps an
    // administrator away from the messages: the honest result of evaluating the template alone.
    const opened = ['create-other', 'create-own', 'delete', 'overwrite', 'read-other', 'read-own', 'retag'];
    expect(findingsOf(matrix)).toEqual(['account-principal', 'account-root', 'account-user']
      .flatMap((caller) => opened.map((operation) => `${caller} x ${operation}: allowed`)));
    // A KMS key is used only if its key policy allows it (directly or by delegating to IAM): with
    // no key policy to evaluate, nothing allows; the assumptions say it was not evaluated.
    expect(cellOf(matrix, 'account-principal', 'use-key-directly')).toMatchObject({ decision: 'denied', denial: 'implicit', statements: [] });
    // The institute role's own policy still holds for the institute users, also outside the VPC.
    for (const caller of MATRIX_CALLER_IDS.filter((c) => !['account-principal', 'account-user', 'account-root'].includes(c))) {
      expect({ caller, outcomes: MATRIX_OPERATION_IDS.map((operation) => cellOf(matrix, caller, operation).decision) })
        .toEqual({ caller, outcomes: MATRIX_OPERATION_IDS.map((operation) => expectedDecision(caller, operation)) });
    }
    expect(matrix.policies).toEqual([`identity-policy ${lake.parts['institute-policy']}`, `s3-endpoint-policy ${lake.parts['s3-endpoint']}`]);
    expect(matrix.assumptions).toEqual(expect.arrayContaining([
      'The data bucket is not in the template (the app imported it): its ARN arn:aws:s3:::existing-lake is taken from the institute role\'s policy, and its bucket policy, outside the template, was not evaluated.',
      `The data key is not in the template (the app imported it): its ARN ${keyArn} is taken from the institute role's policy, and its key policy, outside the template, was not evaluated, so no use of the key is allowed here (KMS needs its key policy to allow it).`,
    ]));
  });
});

describe('GIVEN a stack with two lakes', () => {
  test('WHEN each lake\'s matrix is evaluated THEN there are two matrices, each over its own lake\'s policies, without a finding', async () => {
    const { lakes } = lakesOf((stack) => {
      new HealthDataLake(stack, 'Clinical', { lakeName: 'clinical' });
      new HealthDataLake(stack, 'Research', { lakeName: 'research' });
    });
    expect(lakes.map((l) => l.name)).toEqual(['clinical', 'research']);

    const matrices = await Promise.all(lakes.map((lake) => evaluateAccessMatrix(lake)));

    expect(matrices).toHaveLength(2);
    for (const [index, matrix] of matrices.entries()) {
      const { parts } = lakes[index];
      expect(findingsOf(matrix)).toEqual([]);
      expect(matrix.policies).toEqual([
        `bucket-policy ${parts['data-bucket-policy']}`,
        `identity-policy ${parts['institute-policy']}`,
        `key-policy ${parts['data-key']}`,
        `s3-endpoint-policy ${parts['s3-endpoint']}`,
      ]);
    }
    expect(matrices[0].policies.filter((p) => matrices[1].policies.includes(p))).toEqual([]);
  });
});

describe('GIVEN the default lake\'s template weakened on purpose', () => {
  const lake = lakeWith();
  const { parts } = lake;

  test('WHEN the cross-institute read restriction is dropped THEN the institute users read the other institute\'s messages, as findings', async () => {
    const weak = weakened(lake, (template) => {
      const statements = statementsOf(template, parts['institute-policy']);
      // The deny of other institutes' objects, and the tag comparison in the read allow.
      withoutSid(statements, 'DenyReadingOtherInstitutes');
      delete statementWithSid(statements, 'ReadOwnInstituteMessages').Condition.StringEquals;
    });

    const matrix = await evaluateAccessMatrix(weak);

    expect(findingsOf(matrix)).toEqual([
      'institute-a-read x read-other: allowed',
      'institute-a-read-write x read-other: allowed',
      'institute-b-read-write x read-other: allowed',
    ]);
    expect(cellOf(matrix, 'institute-b-read-write', 'read-other')).toMatchObject({ decision: 'allowed', expected: 'denied', finding: true });
  });

  test('WHEN only the read allow loses its tag comparison THEN the explicit deny still keeps the other institute\'s messages closed', async () => {
    const weak = weakened(lake, (template) => {
      delete statementWithSid(statementsOf(template, parts['institute-policy']), 'ReadOwnInstituteMessages').Condition.StringEquals;
    });

    const matrix = await evaluateAccessMatrix(weak);

    expect(findingsOf(matrix)).toEqual([]);
    expect(cellOf(matrix, 'institute-b-read-write', 'read-other').statements).toEqual([`${parts['institute-policy']} Deny DenyReadingOtherInstitutes`]);
  });

  test('WHEN the create statements\' source tag condition is widened to any value THEN writers create messages for the other institute, as findings', async () => {
    const weak = weakened(lake, (template) => {
      const statements = statementsOf(template, parts['institute-policy']);
      for (const sid of ['CreateOwnInstituteMessages', 'TagOwnInstituteMessagesOnCreate']) {
        const condition = statementWithSid(statements, sid).Condition;
        delete condition.StringEquals['s3:RequestObjectTag/source'];
        condition.StringLike['s3:RequestObjectTag/source'] = '*';
      }
      withoutSid(statements, 'DenyWritingForOtherInstitutes');
    });

    const matrix = await evaluateAccessMatrix(weak);

    expect(findingsOf(matrix)).toEqual([
      'institute-a-read-write x create-other: allowed',
      'institute-a-write x create-other: allowed',
      'institute-b-read-write x create-other: allowed',
    ]);
  });

  test('WHEN the endpoint gate is removed from the role policy and the bucket policy THEN credentials used outside the VPC read and create, as findings', async () => {
    const weak = weakened(lake, (template) => {
      withoutSid(statementsOf(template, parts['institute-policy']), 'DenyOutsideTheLakeApi');
      withoutSid(statementsOf(template, parts['institute-policy']), 'DenyEverythingOutsideTheLakeApi');
      withoutSid(statementsOf(template, parts['data-bucket-policy']), 'DenyInstituteUsersOutsideTheLakeApi');
    });

    const matrix = await evaluateAccessMatrix(weak);

    expect(findingsOf(matrix)).toEqual([
      'identity-pool-outside-vpc x create-own: allowed',
      'identity-pool-outside-vpc x read-own: allowed',
    ]);
    expect(cellOf(matrix, 'identity-pool-outside-vpc', 'read-own').statements).toEqual([`${parts['institute-policy']} Allow ReadOwnInstituteMessages`]);
  });

  test('WHEN the endpoint gate is removed from the role policy only THEN the bucket policy\'s copy still denies', async () => {
    const weak = weakened(lake, (template) => {
      withoutSid(statementsOf(template, parts['institute-policy']), 'DenyOutsideTheLakeApi');
      withoutSid(statementsOf(template, parts['institute-policy']), 'DenyEverythingOutsideTheLakeApi');
    });

    const matrix = await evaluateAccessMatrix(weak);

    expect(findingsOf(matrix)).toEqual([]);
    expect(cellOf(matrix, 'identity-pool-outside-vpc', 'read-own').statements)
      .toEqual([`${parts['data-bucket-policy']} Deny DenyInstituteUsersOutsideTheLakeApi`]);
  });

  test('WHEN the template is weakened THEN the original template is left as it was', () => {
    const before = JSON.stringify(lake.stack.template);
    weakened(lake, (template) => withoutSid(statementsOf(template, parts['institute-policy']), 'DenyOutsideTheLakeApi'));
    expect(JSON.stringify(lake.stack.template)).toBe(before);
  });
});

describe('GIVEN a lake the matrix cannot evaluate', () => {
  test('WHEN the institute role is not marked in the lake\'s metadata THEN the evaluation fails with a sentence that names the lake and what to do', async () => {
    const lake = lakeWith();
    const parts = { ...lake.parts };
    delete parts['institute-role'];

    const attempt = evaluateAccessMatrix({ ...lake, parts });

    await expect(attempt).rejects.toBeInstanceOf(AccessMatrixError);
    await expect(attempt).rejects.toThrow(`Lake.template.json: the lake ${lake.name} has no institute-role in its metadata, so its access matrix cannot be evaluated; `
      + 'synthesize the app again with this release of cdk-health-data-lake.');
  });

  test('WHEN an imported bucket is not named in the institute role\'s policy THEN the evaluation fails with a sentence that says so', async () => {
    const lake = lakeWith((stack) => ({
      bucket: s3.Bucket.fromBucketName(stack, 'ImportedBucket', 'existing-lake'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'ImportedKey', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`),
    }));
    const weak = weakened(lake, (template) => withoutSid(statementsOf(template, lake.parts['institute-policy']), 'ReadOwnInstituteMessages'));

    await expect(evaluateAccessMatrix(weak)).rejects.toThrow(new AccessMatrixError(
      'The lake\'s data bucket is neither in the template nor named in the institute role\'s policy (an allow of s3:GetObject), so its access matrix cannot be evaluated.'));
  });
});
