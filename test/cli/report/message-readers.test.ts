import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { evaluateAccessMatrix } from '../../../src/cli/report/access-matrix';
import { findLakes } from '../../../src/cli/report/lakes';
import type { AccessMatrix, TemplateJson } from '../../../src/cli/report/model';
import { lakeStack } from '../../support/stacks';

/** GIVEN a lake with two message readers the app granted. */
function readersTemplate(): TemplateJson {
  const { stack, lake } = lakeStack();
  const pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const archive = new iam.Role(stack, 'Archive', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  lake.grantReadMessages(pipeline);
  lake.grantReadMessages(archive);
  return Template.fromStack(stack).toJSON() as TemplateJson;
}

async function matrixOf(template: TemplateJson): Promise<AccessMatrix> {
  const [lake] = findLakes([{ stackName: 'Lake', file: 'Lake.template.json', template }]);
  return evaluateAccessMatrix(lake);
}

const row = (matrix: AccessMatrix, callerPrefix: string) => matrix.cells.filter((cell) => cell.caller.startsWith(callerPrefix));

describe('GIVEN a lake whose app granted roles to read every message', () => {
  let template: TemplateJson;
  let matrix: AccessMatrix;
  beforeAll(async () => {
    template = readersTemplate();
    matrix = await matrixOf(template);
  });

  test('WHEN the matrix is evaluated THEN each reader of the template is a row of its own', () => {
    const readers = matrix.callers.filter((caller) => caller.id.startsWith('message-reader-'));
    expect(readers.map((caller) => caller.label)).toEqual([
      expect.stringMatching(/^Message reader Archive[0-9A-F]{8}$/),
      expect.stringMatching(/^Message reader Pipeline[0-9A-F]{8}$/),
    ]);
  });

  test('WHEN a reader\'s cells are evaluated THEN it reads every institute\'s messages and does nothing else, as the model says', () => {
    for (const prefix of ['message-reader-Pipeline', 'message-reader-Archive']) {
      const cells = row(matrix, prefix);
      expect(cells).toHaveLength(matrix.operations.length);
      expect(Object.fromEntries(cells.map((cell) => [cell.operation, cell.decision]))).toEqual({
        'read-own': 'allowed',
        'read-other': 'allowed',
        'create-own': 'denied',
        'create-other': 'denied',
        'overwrite': 'denied',
        'retag': 'denied',
        'delete': 'denied',
        'list': 'denied',
        'use-key-directly': 'denied',
      });
      expect(cells.filter((cell) => cell.finding)).toEqual([]);
    }
    // Its own grant decides the reads: the reader's policy of the template is named.
    const read = row(matrix, 'message-reader-Pipeline').find((cell) => cell.operation === 'read-other')!;
    expect(read.statements.join(' ')).toMatch(/^Pipeline[0-9A-F]*DefaultPolicy[0-9A-F]* Allow/);
  });

  test('WHEN the bucket policy\'s perimeter no longer lets a reader through THEN its reads are denied and become findings', async () => {
    const weakened = structuredClone(template) as TemplateJson & { Resources: Record<string, any> };
    const readerId = Object.keys(weakened.Resources).find((id) => /^Pipeline[0-9A-F]{8}$/.test(id))!;
    for (const resource of Object.values(weakened.Resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy')) {
      for (const statement of resource.Properties.PolicyDocument.Statement) {
        const principals = statement.Condition?.ArnNotEquals?.['aws:PrincipalArn'];
        if (Array.isArray(principals)) {
          statement.Condition.ArnNotEquals['aws:PrincipalArn'] = principals.filter((arn: unknown) => JSON.stringify(arn) !== JSON.stringify({ 'Fn::GetAtt': [readerId, 'Arn'] }));
        }
      }
    }
    expect(JSON.stringify(weakened)).not.toEqual(JSON.stringify(template));
    const cells = row(await matrixOf(weakened), 'message-reader-Pipeline');
    expect(cells.filter((cell) => cell.finding).map((cell) => [cell.operation, cell.decision, cell.denial])).toEqual([
      ['read-own', 'denied', 'explicit'],
      ['read-other', 'denied', 'explicit'],
    ]);
  });
});
