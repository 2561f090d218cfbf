import { isLakeResourceMetadata, LAKE_METADATA_KEY, LAKE_METADATA_VERSION, LakePart } from '../../contracts/lake-metadata';
import { CliError } from '../context';
import type { LakeInTemplate, StackTemplate, TemplateJson, TemplateResource } from './model';
import { mentions } from './template-reading';

/** A template's metadata says it holds a lake, in a layout this version of the tool cannot read. */
export class UnknownLakeMetadataError extends CliError {}

/** The resources of one lake in one template. */
interface LakeGroup {
  readonly name: string;
  readonly stack: StackTemplate;
  readonly parts: Partial<Record<LakePart, string>>;
  readonly resources: string[];
  readonly messageReaders: string[];
}

/**
 * Every lake of the templates, found by the metadata the construct writes on its resources (so a
 * renamed or nested stack, or a lake deep in an app's construct tree, is still found). A lake lives
 * in the template of its institute role; the resources the app created for it in another template
 * (its own bucket or key in a parent or sibling stack) are joined to it, with the references
 * between the templates resolved. Sorted by template file, then lake name.
 */
export function findLakes(stacks: readonly StackTemplate[]): LakeInTemplate[] {
  const groups = stacks.flatMap(groupsOf);
  const homes = groups.filter((group) => group.parts['institute-role'] !== undefined);
  return homes.map((home) => {
    const others = groups.filter((group) => group.name === home.name && group !== home && group.parts['institute-role'] === undefined
      && homes.filter((candidate) => candidate.name === home.name).length === 1);
    const policies = policiesOfOtherTemplates(home, stacks);
    return others.length === 0 && policies.length === 0 ? home : joined(home, [...others, ...policies], stacks);
  }).sort((a, b) => a.stack.file.localeCompare(b.stack.file) || a.name.localeCompare(b.name));
}

function groupsOf(stack: StackTemplate): LakeGroup[] {
  const byName = new Map<string, LakeGroup>();
  for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
    const metadata = resource?.Metadata?.[LAKE_METADATA_KEY];
    if (metadata === undefined) continue;
    if (!isLakeResourceMetadata(metadata)) {
      throw new UnknownLakeMetadataError(`${stack.file}: resource ${logicalId} has lake metadata this tool cannot read `
        + `(it reads version ${LAKE_METADATA_VERSION}); use the cdk-health-data-lake release the app was synthesized with.`);
    }
    for (const membership of metadata.lakes) {
      const group = byName.get(membership.lake) ?? { name: membership.lake, stack, parts: {}, resources: [], messageReaders: [] };
      byName.set(membership.lake, group);
      if (membership.part === 'message-reader') {
        // A role of the app, not of the lake: one of possibly several readers.
        group.messageReaders.push(logicalId);
      } else {
        group.resources.push(logicalId);
        if (membership.part !== undefined) group.parts[membership.part] = logicalId;
      }
    }
  }
  return [...byName.values()].map(({ messageReaders, ...group }) => ({
    ...group,
    resources: group.resources.sort(),
    messageReaders: messageReaders.sort(),
  }));
}

/** The IAM policy types that attach a policy to a role from outside it. */
const ATTACHING_POLICY_TYPES = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy'];

/**
 * The policies of the other templates that attach to the lake's institute role (through an export,
 * a nested stack's parameter or output, or the role's literal name): each as a group of its own
 * template, to be joined to the lake, so that no policy of the role escapes the evaluation.
 */
function policiesOfOtherTemplates(home: LakeGroup, stacks: readonly StackTemplate[]): LakeGroup[] {
  const role = home.parts['institute-role']!;
  const roleName = home.stack.template.Resources?.[role]?.Properties?.RoleName;
  const links = new TemplateLinks(stacks);
  const groups: LakeGroup[] = [];
  for (const stack of stacks) {
    if (stack === home.stack) continue;
    // A reference to the logical id of a resource of this template is to that resource, not to the lake's role.
    const ownResource = (logicalId: string) => stack.template.Resources?.[logicalId] !== undefined;
    const resources = Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => ATTACHING_POLICY_TYPES.includes(resource?.Type))
      .filter(([, resource]) => {
        const names = [resource.Properties?.Roles ?? [], resource.Properties?.RoleName ?? []].flat();
        return names.some((name: unknown) => (typeof roleName === 'string' && name === roleName)
          || (!ownResource(role) && mentions(links.resolve(stack, name), role)));
      })
      .map(([logicalId]) => logicalId);
    if (resources.length > 0) groups.push({ name: home.name, stack, parts: {}, resources: resources.sort(), messageReaders: [] });
  }
  return groups;
}

/**
 * The lake with the resources of other templates joined: one template that holds the home
 * template's resources and the lake's resources of the others, in which every reference across
 * templates (a nested stack's parameter, a parent's `Outputs.` attribute, an `Fn::ImportValue`)
 * is replaced by the expression it stands for in the template that defines it.
 */
function joined(home: LakeGroup, others: readonly LakeGroup[], stacks: readonly StackTemplate[]): LakeInTemplate {
  const links = new TemplateLinks(stacks);
  const resources: Record<string, TemplateResource> = {};
  const otherFiles: Record<string, string> = {};
  const add = (stack: StackTemplate, logicalId: string) => {
    const resource = links.resolve(stack, stack.template.Resources![logicalId]) as TemplateResource;
    const existing = resources[logicalId];
    if (existing && JSON.stringify(existing) !== JSON.stringify(resource)) {
      throw new CliError(`The lake ${home.name} has resources in ${home.stack.file} and ${stack.file} with the same logical id ${logicalId}, `
        + 'so the report cannot join them: report on each template alone.');
    }
    resources[logicalId] = resource;
    if (stack !== home.stack) otherFiles[logicalId] = stack.file;
  };
  for (const logicalId of Object.keys(home.stack.template.Resources ?? {})) add(home.stack, logicalId);
  for (const other of others) for (const logicalId of [...other.resources, ...other.messageReaders]) add(other.stack, logicalId);
  const template: TemplateJson = { ...home.stack.template, Resources: resources };
  return {
    name: home.name,
    stack: { ...home.stack, template },
    parts: Object.assign({}, ...others.map((other) => other.parts), home.parts),
    resources: [...new Set([...home.resources, ...others.flatMap((other) => other.resources)])].sort(),
    messageReaders: [...new Set([...home.messageReaders, ...others.flatMap((other) => other.messageReaders)])].sort(),
    otherFiles,
  };
}

/** How the templates of an assembly refer to one another. */
class TemplateLinks {
  /** Nested template file to its parent and the parent's stack resource. */
  private readonly parents = new Map<string, { stack: StackTemplate; logicalId: string }>();
  private readonly byFile = new Map<string, StackTemplate>();

  constructor(private readonly stacks: readonly StackTemplate[]) {
    for (const stack of stacks) {
      this.byFile.set(stack.file, stack);
      for (const [logicalId, file] of Object.entries(stack.nestedStacks ?? {})) this.parents.set(file, { stack, logicalId });
    }
  }

  /** `value` of `stack` with its references to other templates replaced, recursively. */
  public resolve(stack: StackTemplate, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(stack, item));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys;
      const argument = object[key];
      if (key === 'Ref' && typeof argument === 'string' && stack.template.Parameters
        && Object.prototype.hasOwnProperty.call(stack.template.Parameters, argument)) {
        const parent = this.parents.get(stack.file);
        const passed = parent?.stack.template.Resources?.[parent.logicalId]?.Properties?.Parameters?.[argument];
        if (parent && passed !== undefined) return this.resolve(parent.stack, passed);
      }
      if (key === 'Fn::GetAtt') {
        const [logicalId, attribute] = Array.isArray(argument) ? argument as [string, string] : String(argument).split(/\.(.*)/) as [string, string];
        const nestedFile = stack.nestedStacks?.[logicalId];
        const nested = nestedFile ? this.byFile.get(nestedFile) : undefined;
        const output = typeof attribute === 'string' && attribute.startsWith('Outputs.')
          ? (nested?.template.Outputs as Record<string, { Value?: unknown }> | undefined)?.[attribute.slice('Outputs.'.length)] : undefined;
        if (nested && output?.Value !== undefined) return this.resolve(nested, output.Value);
      }
      if (key === 'Fn::ImportValue' && typeof argument === 'string') {
        for (const exporter of this.stacks) {
          const outputs = Object.values((exporter.template.Outputs ?? {}) as Record<string, { Value?: unknown; Export?: { Name?: unknown } }>);
          const output = outputs.find((candidate) => candidate.Export?.Name === argument);
          if (output?.Value !== undefined) return this.resolve(exporter, output.Value);
        }
      }
    }
    return Object.fromEntries(keys.map((key) => [key, this.resolve(stack, object[key])]));
  }
}
