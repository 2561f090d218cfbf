/**
 * Reading what `cdk synth` wrote: the templates of a cloud assembly (its stacks, the stacks of its
 * stages, their nested stacks) or one template file, with the assembly's validation report and the
 * acknowledgements its metadata records. Only files are read: no AWS account, no CDK app.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, UsageError } from '../context';
import type { NagAcknowledgement, StackTemplate, TemplateJson } from './model';

/** The file aws-cdk-lib writes beside the templates on every synthesis (its CloudFormation schema validation is a plugin too). */
export const VALIDATION_REPORT_FILE = 'validation-report.json';

/** A validation report as aws-cdk-lib writes it (the fields the compliance report reads). */
export interface ValidationReportJson {
  readonly pluginReports?: ReadonlyArray<{
    readonly pluginName: string;
    /** The plugin's own version, when it states one (cdk-nag 3.0 does not). */
    readonly pluginVersion?: string;
    /** `success` or `failure`. */
    readonly conclusion?: string;
    readonly violations?: ReadonlyArray<ValidationViolationJson>;
    readonly suppressedViolations?: ReadonlyArray<ValidationViolationJson & { readonly reason?: string }>;
  }>;
}

/** One violation of a validation report. */
export interface ValidationViolationJson {
  readonly ruleName: string;
  readonly description?: string;
  readonly severity?: string;
  readonly customSeverity?: string;
  readonly violatingConstructs?: ReadonlyArray<{
    readonly constructPath?: string;
    readonly cloudFormationResource?: { readonly templatePath?: string; readonly logicalId?: string };
  }>;
}

/** What the report reads from the input. */
export interface Assembly {
  /** The templates, sorted by file. */
  readonly stacks: readonly StackTemplate[];
  /** When one template of an assembly was given: its file. The other templates are read to resolve references only. */
  readonly selected?: string;
  /** The validation report, with its path relative to the input folder; absent when the assembly has none. */
  readonly validationReport?: { readonly file: string; readonly json: ValidationReportJson };
  /** The acknowledgements recorded in the assembly's metadata (the nag section sorts them and drops repeats). */
  readonly acknowledgements: readonly NagAcknowledgement[];
  /** Construct path (without the leading `/`) to the template file and logical id of its resource. */
  readonly resourcesByPath: ReadonlyMap<string, { readonly file: string; readonly logicalId: string }>;
}

interface ManifestJson {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly displayName?: string;
    readonly properties?: { readonly templateFile?: string; readonly directoryName?: string };
    readonly metadata?: Record<string, MetadataEntry[]>;
    readonly additionalMetadataFile?: string;
  }>;
}

interface MetadataEntry {
  readonly type: string;
  readonly data?: unknown;
}

const MANIFEST_FILE = 'manifest.json';

/**
 * Reads a cloud assembly folder (`cdk.out`) or one template file. A template file inside an
 * assembly folder is read with that folder's validation report and metadata.
 */
export function readAssembly(input: string): Assembly {
  const stat = statOrUndefined(input);
  if (!stat) {
    throw new UsageError(`${input} does not exist: give the cdk.out folder that \`cdk synth\` wrote, or one of its *.template.json files.`);
  }
  if (stat.isDirectory()) {
    if (!statOrUndefined(path.join(input, MANIFEST_FILE))) {
      throw new CliError(`${input} is not a cloud assembly (it has no ${MANIFEST_FILE}): give the cdk.out folder that \`cdk synth\` wrote, or a template file.`);
    }
    return readAssemblyFolder(input);
  }
  const template = readTemplateFile(input);
  const folder = path.dirname(input);
  if (statOrUndefined(path.join(folder, MANIFEST_FILE))) {
    // A template of an assembly: report on that template only, with what the assembly records about it
    // (the other templates resolve the references of a nested stack to its parent).
    const assembly = readAssemblyFolder(folder);
    const file = path.basename(input);
    if (assembly.stacks.some((stack) => stack.file === file)) return { ...assembly, selected: file };
    return { ...assembly, stacks: [{ stackName: stackNameOfFile(file), file, template }], selected: file };
  }
  return {
    stacks: [{ stackName: stackNameOfFile(path.basename(input)), file: path.basename(input), template }],
    acknowledgements: [],
    resourcesByPath: new Map(),
  };
}

function readAssemblyFolder(root: string): Assembly {
  const stacks: StackTemplate[] = [];
  const acknowledgements: NagAcknowledgement[] = [];
  const resourcesByPath = new Map<string, { file: string; logicalId: string }>();

  const visit = (relativeDir: string) => {
    const dir = path.join(root, relativeDir);
    const manifest = readJson(path.join(dir, MANIFEST_FILE)) as ManifestJson;
    for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
        visit(path.join(relativeDir, artifact.properties.directoryName));
        continue;
      }
      if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
      const metadata: Record<string, MetadataEntry[]> = {
        ...artifact.metadata,
        ...artifact.additionalMetadataFile ? readJson(path.join(dir, artifact.additionalMetadataFile)) as Record<string, MetadataEntry[]> : {},
      };
      const stackName = artifact.displayName ?? artifactId;
      // Names of nested stacks, where the metadata records them (aws-cdk-lib 2.27x and later).
      const namedFiles = new Map<string, string>();
      for (const [constructPath, entries] of Object.entries(metadata)) {
        for (const entry of entries) {
          if (entry.type === 'aws:cdk:templateFile' && typeof entry.data === 'string') namedFiles.set(entry.data, constructPath.replace(/^\//, ''));
        }
      }
      // The stack's template, then its nested stacks' templates: each nested stack resource's template URL
      // ends in the asset hash of its template file.
      const nestedFileOf = nestedTemplateFiles(dir, manifest);
      const templateOf = new Map<string, string>([[`/${stackName}`, artifact.properties.templateFile]]);
      const queue: Array<{ templateFile: string; name: string }> = [{ templateFile: artifact.properties.templateFile, name: stackName }];
      for (let next = queue.shift(); next; next = queue.shift()) {
        const file = path.join(relativeDir, next.templateFile);
        const template = readTemplateFile(path.join(root, file));
        const nestedStacks: Record<string, string> = {};
        for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
          if (resource?.Type !== 'AWS::CloudFormation::Stack') continue;
          const hash = JSON.stringify(resource.Properties?.TemplateURL ?? '').match(/[0-9a-f]{64}/)?.[0];
          const nestedFile = hash ? nestedFileOf.get(hash) : undefined;
          if (!nestedFile || queue.some((queued) => queued.templateFile === nestedFile)) continue;
          nestedStacks[logicalId] = path.join(relativeDir, nestedFile);
          queue.push({ templateFile: nestedFile, name: namedFiles.get(nestedFile) ?? `${next.name}/${logicalId}` });
          // The construct path of the nested stack: its resource is `<path>.NestedStack/<id>.NestedStackResource`.
          const parentFile = next.templateFile;
          const resourcePath = constructPathOfLogicalId(metadata, logicalId, (candidate) => templateFileFor(templateOf, candidate) === parentFile);
          const nestedPath = resourcePath?.match(/^(.*)\.NestedStack\/[^/]+\.NestedStackResource$/)?.[1];
          if (nestedPath) templateOf.set(nestedPath, nestedFile);
        }
        stacks.push({ stackName: next.name, file, template, ...Object.keys(nestedStacks).length > 0 ? { nestedStacks } : {} });
      }
      for (const [templateFile, name] of namedFiles) templateOf.set(`/${name}`, templateFile);
      collectMetadata(metadata, relativeDir, templateOf, acknowledgements, resourcesByPath);
    }
  };
  visit('');

  // aws-cdk-lib writes the report at the top of the assembly: for a stage's folder, it is in an enclosing one.
  let reportDir = root;
  while (!statOrUndefined(path.join(reportDir, VALIDATION_REPORT_FILE)) && statOrUndefined(path.join(path.dirname(reportDir), MANIFEST_FILE))
    && path.dirname(reportDir) !== reportDir) {
    reportDir = path.dirname(reportDir);
  }
  const reportPath = path.join(reportDir, VALIDATION_REPORT_FILE);
  const validationReport = statOrUndefined(reportPath)
    ? { file: path.relative(root, reportPath), json: readJson(reportPath) as ValidationReportJson }
    : undefined;
  return {
    stacks: stacks.sort((a, b) => a.file.localeCompare(b.file)),
    validationReport,
    acknowledgements,
    resourcesByPath,
  };
}

/** The file assets of an assembly folder that are templates: asset hash to file name. */
function nestedTemplateFiles(dir: string, manifest: ManifestJson): Map<string, string> {
  const files = new Map<string, string>();
  for (const artifact of Object.values(manifest.artifacts ?? {})) {
    const assetManifest = (artifact.properties as { file?: string } | undefined)?.file;
    if (artifact.type !== 'cdk:asset-manifest' || !assetManifest) continue;
    const assets = readJson(path.join(dir, assetManifest)) as { files?: Record<string, { source?: { path?: string } }> };
    for (const [hash, asset] of Object.entries(assets.files ?? {})) {
      if (asset.source?.path?.endsWith('.template.json')) files.set(hash, asset.source.path);
    }
  }
  return files;
}

/** The template file of a construct path: that of the nearest ancestor with one (the stack or a nested stack). */
function templateFileFor(templateOf: ReadonlyMap<string, string>, constructPath: string): string | undefined {
  for (let at = constructPath; at.length > 0; at = at.slice(0, Math.max(0, at.lastIndexOf('/')))) {
    const file = templateOf.get(at);
    if (file) return file;
  }
  return undefined;
}

/** The construct path whose resource has this logical id (in the template `inTemplate` accepts). */
function constructPathOfLogicalId(
  metadata: Record<string, MetadataEntry[]>,
  logicalId: string,
  inTemplate: (constructPath: string) => boolean,
): string | undefined {
  return Object.entries(metadata).find(([constructPath, entries]) =>
    entries.some((entry) => entry.type === 'aws:cdk:logicalId' && entry.data === logicalId) && inTemplate(constructPath))?.[0];
}

/** Acknowledgements (rule, reason, where) and the logical id of every resource, from a stack's metadata. */
function collectMetadata(
  metadata: Record<string, MetadataEntry[]>,
  relativeDir: string,
  templateOf: ReadonlyMap<string, string>,
  acknowledgements: NagAcknowledgement[],
  resourcesByPath: Map<string, { file: string; logicalId: string }>,
): void {
  const fileFor = (constructPath: string): string | undefined => {
    const file = templateFileFor(templateOf, constructPath);
    return file === undefined ? undefined : path.join(relativeDir, file);
  };
  for (const [constructPath, entries] of Object.entries(metadata)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:acknowledged-rules' && entry.data && typeof entry.data === 'object') {
        for (const [rule, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          acknowledgements.push({
            // aws-cdk-lib writes `Annotation::` (older releases `annotation::`) before the rules of annotation-based plugins.
            rule: rule.replace(/^annotation::/i, ''),
            reason: String(reason),
            constructPath: constructPath.replace(/^\//, ''),
          });
        }
      }
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') {
        const file = fileFor(constructPath);
        if (file) resourcesByPath.set(constructPath.replace(/^\//, ''), { file, logicalId: entry.data });
      }
    }
  }
}

function readTemplateFile(file: string): TemplateJson {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new CliError(`${file} is not a CloudFormation template: it is not JSON (the report reads the JSON templates that \`cdk synth\` writes into cdk.out).`);
    }
    throw new CliError(`${file} cannot be read: ${(error as Error).message}.`, { cause: error });
  }
  const resources = (json as { Resources?: unknown } | null)?.Resources;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
    throw new CliError(`${file} is not a CloudFormation template: it has no Resources section.`);
  }
  return json as TemplateJson;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file} cannot be read as JSON: ${(error as Error).message}.`, { cause: error });
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function stackNameOfFile(file: string): string {
  return file.replace(/\.(nested\.)?template\.json$/, '').replace(/\.json$/, '');
}
