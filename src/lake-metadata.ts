import { Aspects, CfnResource, IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { LAKE_METADATA_KEY, LAKE_METADATA_VERSION, LakeMembership, LakePart, LakeResourceMetadata } from './contracts/lake-metadata';

/**
 * Writes the lake's metadata (src/contracts/lake-metadata.ts) on its CloudFormation resources: every
 * resource under the lake's construct (an aspect, so resources added after the constructor count too)
 * and each named part, also when the app created it elsewhere (its own bucket, key or VPC).
 */
export function stampLakeResources(lake: IConstruct, lakeName: string, parts: Partial<Record<LakePart, IConstruct | undefined>>): void {
  for (const [part, construct] of Object.entries(parts) as [LakePart, IConstruct | undefined][]) {
    const resource = construct && cfnResourceOf(construct);
    if (resource) addMembership(resource, { lake: lakeName, part });
  }
  Aspects.of(lake).add(new StampLakeResources(lakeName));
}

/** Marks one more resource as a part of the lake (a message reader the app granted, say). */
export function stampLakePart(construct: IConstruct, lakeName: string, part: LakePart): void {
  const resource = cfnResourceOf(construct);
  if (resource) addMembership(resource, { lake: lakeName, part });
}

class StampLakeResources implements IAspect {
  constructor(private readonly lakeName: string) {}

  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node)) addMembership(node, { lake: this.lakeName });
  }
}

/** The first CloudFormation resource of a type in a construct's tree. */
export function firstResourceOf(root: IConstruct, cfnResourceType: string): CfnResource | undefined {
  return root.node.findAll().find((node): node is CfnResource => CfnResource.isCfnResource(node) && node.cfnResourceType === cfnResourceType);
}

/** The CloudFormation resource of a construct: itself, or its default child (none for an imported resource). */
function cfnResourceOf(construct: IConstruct): CfnResource | undefined {
  if (CfnResource.isCfnResource(construct)) return construct;
  const child = construct.node.defaultChild;
  return child && CfnResource.isCfnResource(child) ? child : undefined;
}

function addMembership(resource: CfnResource, membership: LakeMembership): void {
  const existing = resource.getMetadata(LAKE_METADATA_KEY) as LakeResourceMetadata | undefined;
  const lakes = [...existing?.lakes ?? []];
  const same = lakes.findIndex((entry) => entry.lake === membership.lake);
  if (same < 0) {
    lakes.push(membership);
  } else if (membership.part !== undefined && lakes[same].part === undefined) {
    lakes[same] = membership;
  } else {
    return;
  }
  resource.addMetadata(LAKE_METADATA_KEY, { version: LAKE_METADATA_VERSION, lakes } satisfies LakeResourceMetadata);
}
