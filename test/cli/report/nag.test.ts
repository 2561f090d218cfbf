/**
 * The cdk-nag section says what the assembly shows about the packs: aws-cdk-lib writes
 * validation-report.json on every synthesis and leaves out every plugin that found nothing open, so
 * a synthesis without any pack and one with every pack passing give the same file. The report must
 * then say it cannot know which packs ran, never "no open findings".
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { HealthDataLake } from '../../../src';
import { readAssembly } from '../../../src/cli/report/assembly';
import type { ComplianceReport, NagSection } from '../../../src/cli/report/model';
import { nagSection } from '../../../src/cli/report/nag';
import { renderHtml } from '../../../src/cli/report/render/html';
import { renderMarkdown } from '../../../src/cli/report/render/markdown';
import { TEST_APP_CONTEXT } from '../../support/stacks';

const env = { account: '111122223333', region: 'eu-west-1' };

/** The nag section of an app synthesized with these packs; a failed validation still writes its report. */
function sectionOf(packs: (app: App) => Array<AwsSolutionsChecks | HIPAASecurityChecks>, build: (stack: Stack) => void): NagSection {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-nag-'));
  const app = new App({ outdir, context: TEST_APP_CONTEXT });
  const registered = packs(app);
  if (registered.length > 0) Validations.of(app).addPlugins(...registered);
  build(new Stack(app, 'Lake', { env }));
  try {
    app.synth();
  } catch (error) {
    if (!/ValidationFailed|Validation failed/.test(String(error))) throw error;
  }
  expect(fs.existsSync(path.join(outdir, 'validation-report.json'))).toBe(true);
  return nagSection(readAssembly(outdir));
}

/** A report with only this nag section, rendered. */
function rendered(nag: NagSection): { markdown: string; html: string } {
  const report: ComplianceReport = { schemaVersion: 1, source: { input: 'cdk.out', templates: [] }, verdict: 'pass', findings: [], lakes: [], nag };
  return { markdown: renderMarkdown(report), html: renderHtml(report) };
}

const lake = (stack: Stack) => { new HealthDataLake(stack, 'Lake'); };

describe('GIVEN a lake synthesized without any cdk-nag pack', () => {
  const section = sectionOf(() => [], lake);

  test('THEN the section names no pack and says it cannot know whether any ran', () => {
    expect(section.validationReport).toBe('validation-report.json');
    expect(section.plugins).toEqual([]);
    expect(section.note).toMatch(/cannot tell whether any cdk-nag pack ran/);
  });

  test('THEN neither rendering claims there are no open findings', () => {
    for (const text of Object.values(rendered(section))) {
      expect(text).not.toMatch(/None: every finding|no open finding/i);
      expect(text).toMatch(/cannot tell whether any cdk-nag pack ran/);
    }
  });
});

describe('GIVEN a lake synthesized with two packs that pass', () => {
  test('THEN the section is the same as without any pack: the assembly does not show the difference', () => {
    const withPacks = sectionOf((app) => [new AwsSolutionsChecks(app), new HIPAASecurityChecks(app)], lake);
    const withoutPacks = sectionOf(() => [], lake);
    expect(withPacks.plugins).toEqual([]);
    expect(withPacks.note).toBe(withoutPacks.note);
  });
});

describe('GIVEN an app whose pack reports an open finding', () => {
  const section = sectionOf((app) => [new AwsSolutionsChecks(app)], (stack) => { new s3.Bucket(stack, 'Unlogged'); });

  test('THEN the pack is named with its conclusion, and its version or that it recorded none', () => {
    expect(section.plugins).toEqual([{ name: 'AwsSolutions', conclusion: 'failure' }]);
    const { markdown, html } = rendered(section);
    expect(markdown).toContain('AwsSolutions (version not recorded): failure');
    expect(html).toContain('AwsSolutions (version not recorded): failure');
    expect(section.open.map((finding) => finding.rule)).toContain('AwsSolutions-S1');
  });
});
