import type { LakeInTemplate, StackTemplate } from './model';
import { isLakeResourceMetadata, LAKE_METADATA_KEY, LAKE_METADATA_VERSION, LakePart } from '../../contracts/lake-metadata';

/** A template's metadata says it holds a lake, in a layout this version of the tool cannot read. */
export class UnknownLakeMetadataError extends Error {}

/**
 * Every lake of the templates, found by the metadata the construct writes on its resources (so a
 * renamed or nested stack, or a lake deep in an app's construct tree, is still found). Sorted by
 * template file, then lake name.
 */
export function findLakes(stacks: readonly StackTemplate[]): LakeInTemplate[] {
  const lakes: LakeInTemplate[] = [];
  for (const stack of stacks) {
    const byName = new Map<string, { parts: Partial<Record<LakePart, string>>; resources: string[] }>();
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      const metadata = resource?.Metadata?.[LAKE_METADATA_KEY];
      if (metadata === undefined) continue;
      if (!isLakeResourceMetadata(metadata)) {
        throw new UnknownLakeMetadataError(`${stack.file}: resource ${logicalId} has lake metadata this tool cannot read `
          + `(it reads version ${LAKE_METADATA_VERSION}); use the cdk-health-data-lake release the app was synthesized with.`);
      }
      for (const membership of metadata.lakes) {
        const lake = byName.get(membership.lake) ?? { parts: {}, resources: [] };
        byName.set(membership.lake, lake);
        lake.resources.push(logicalId);
        if (membership.part !== undefined) lake.parts[membership.part] = logicalId;
      }
    }
    for (const [name, lake] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
      lakes.push({ name, stack, parts: lake.parts, resources: lake.resources.sort() });
    }
  }
  return lakes;
}
