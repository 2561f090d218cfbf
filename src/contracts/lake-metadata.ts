/**
 * The metadata the construct writes on every CloudFormation resource of a lake, so that a tool that
 * reads only the synthesized template (the compliance report of `cdk-health-data-lake report`) finds
 * each lake and its parts, whatever the stack, the construct ids or the nesting.
 *
 * In the template:
 * `"Metadata": { "cdk-health-data-lake": { "version": 1, "lakes": [{ "lake": "<lakeName>", "part": "data-bucket" }] } }`.
 * A resource the app brings and two lakes share (a VPC, say) lists both. `part` is present only on
 * the resources a reader needs to tell apart; the other resources of a lake carry its name only.
 */
export const LAKE_METADATA_KEY = 'cdk-health-data-lake';

/** The layout of the metadata; a reader refuses a layout it does not know. */
export const LAKE_METADATA_VERSION = 1;

/** The parts of a lake that carry a `part`, named as the report names them. */
export const LAKE_PARTS = [
  'user-pool',
  'app-client',
  'identity-pool',
  'identity-pool-roles',
  'institute-role',
  'institute-policy',
  'data-bucket',
  'data-bucket-policy',
  'data-key',
  'access-log-bucket',
  'logs-key',
  'vpc',
  'flow-log',
  's3-endpoint',
  'cognito-identity-endpoint',
  'api',
  'api-stage',
  'api-access-logs',
  'authorizer',
  'ingest-function',
  'ingest-role',
  'read-function',
  'read-role',
  // A role the app granted `grantReadMessages` (or named in `messageReaders`): several resources may carry it.
  'message-reader',
] as const;

/** One part of a lake. */
export type LakePart = typeof LAKE_PARTS[number];

/** A resource's membership of one lake. */
export interface LakeMembership {
  /** The lake's name (`HealthDataLake.lakeName`): unique per stack. */
  readonly lake: string;
  readonly part?: LakePart;
}

/** The value under `LAKE_METADATA_KEY` in a resource's `Metadata`. */
export interface LakeResourceMetadata {
  readonly version: number;
  readonly lakes: LakeMembership[];
}

/** Whether `value` is the lake metadata of a resource, in a layout this code knows. */
export function isLakeResourceMetadata(value: unknown): value is LakeResourceMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const metadata = value as Record<string, unknown>;
  return metadata.version === LAKE_METADATA_VERSION && Array.isArray(metadata.lakes) && metadata.lakes.every((entry) =>
    typeof entry === 'object' && entry !== null && typeof entry.lake === 'string'
    && (entry.part === undefined || (LAKE_PARTS as readonly unknown[]).includes(entry.part)));
}
