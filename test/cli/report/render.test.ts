/**
 * What a reviewer reads: the verdict says what is left to the operator, evidence is whole and never
 * `= null`, the HIPAA mapping says required or addressable, and the HTML page shows every deciding
 * statement in the page, fits its tables to the page and prints.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { Assembly } from '../../../src/cli/report/assembly';
import { LAKE_ANALYSIS } from '../../../src/cli/report/command';
import type { ComplianceReport } from '../../../src/cli/report/model';
import { renderHtml } from '../../../src/cli/report/render/html';
import { renderMarkdown } from '../../../src/cli/report/render/markdown';
import { buildReport } from '../../../src/cli/report/report';
import { lakeStack } from '../../support/stacks';

let report: ComplianceReport;
let markdown: string;
let html: string;

beforeAll(async () => {
  const assembly: Assembly = {
    stacks: [{ stackName: 'Lake', file: 'Lake.template.json', template: Template.fromStack(lakeStack().stack).toJSON() }],
    acknowledgements: [],
    resourcesByPath: new Map(),
  };
  report = await buildReport('cdk.out', assembly, LAKE_ANALYSIS);
  markdown = renderMarkdown(report);
  html = renderHtml(report);
});

test('THEN the verdict says, in the same sentence, how many controls are left to the operator, and "1 lake"', () => {
  const operator = report.lakes[0].controls.filter((control) => control.status === 'operator').length;
  expect(operator).toBeGreaterThan(0);
  const sentence = `0 findings in 1 lake, and ${operator} controls are left to the operator`;
  expect(markdown).toContain(`**Verdict: pass**: ${sentence}`);
  expect(html).toContain(`<strong>Verdict: pass</strong>: ${sentence}`);
  expect(html).not.toMatch(/\b1 lakes\b/);
});

test('THEN no evidence is printed as = null, and none is cut in the middle', () => {
  for (const text of [markdown, html]) {
    expect(text).not.toMatch(/= (`|<code>)null/);
    expect(text).not.toContain('…');
    expect(text).toContain('is not set');
  }
  const policy = report.lakes[0].controls.find((control) => control.id === 'data-protection.tls-only')!.evidence[0];
  expect(markdown).toContain(JSON.stringify(policy.value));
});

test('THEN the TLS control cites the API and the handlers\' outbound rules, not only the bucket policy', () => {
  const tls = report.lakes[0].controls.find((control) => control.id === 'data-protection.tls-only')!;
  expect(tls.evidence.map((evidence) => evidence.property)).toEqual(expect.arrayContaining(['Properties.ProtocolType', 'Properties.SecurityGroupEgress[0]']));
  expect(tls.detail).toMatch(/HTTP API.*HTTPS only.*TCP 443/);
});

test('THEN each HIPAA citation is marked required, addressable or standard, and backups and incident response cite 164.308', () => {
  const hipaa = report.lakes[0].frameworks.filter((citation) => citation.framework === 'HIPAA');
  for (const citation of hipaa) expect(['standard', 'required', 'addressable']).toContain(citation.specification);
  expect(markdown).toContain('45 CFR 164.312(a)(2)(iii) Automatic logoff (addressable)');
  expect(markdown).toContain('45 CFR 164.312(a)(2)(i) Unique user identification (required)');
  expect(hipaa.find((citation) => citation.id === '164.308(a)(7)(ii)(A)')!.controls.map((control) => control.id)).toEqual(['audit.backups']);
  expect(hipaa.find((citation) => citation.id === '164.308(a)(6)(ii)')!.controls.map((control) => control.id)).toEqual(['audit.incident-response']);
  // Versioning alone does not authenticate a message: (c)(2) names what the operator must add.
  const authentication = hipaa.find((citation) => citation.id === '164.312(c)(2)')!;
  expect(authentication.controls).toEqual([]);
  expect(authentication.operatorResponsibility).toMatch(/checksums.*Object Lock.*backups/);
});

test('THEN the HTML shows the deciding statements of every cell in the page, with no hover-only text, and has print styles', () => {
  expect(html).not.toMatch(/<td[^>]* title=/);
  expect(html).toContain('<h4>Deciding statements</h4>');
  const statements = html.split('<h4>Deciding statements</h4>')[1].split('</table>')[0];
  const cells = report.lakes[0].accessMatrix.cells;
  expect(statements.match(/<tr><td>/g)).toHaveLength(cells.length);
  for (const statement of new Set(cells.flatMap((cell) => cell.statements))) expect(statements).toContain(statement.replace(/'/g, '&#39;'));
  expect(html).toMatch(/@media print\{/);
  expect(html).toMatch(/table\{[^}]*width:100%;table-layout:fixed/);
});
