import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HealthDataLake, HealthDataLakeProps } from '../../src';
import { messageIdFor } from '../../src/runtime/message-key';
import { storeMessageRequest } from '../../src/runtime/message-store';
import {
  Decision,
  LakePolicies,
  LakePolicySimulator,
  PolicyDocument,
  PolicyStatement,
  SIMULATED_DEPLOYMENT,
  SimulationRequest,
} from '../support/policy-simulation';
import { lakeStack, newApp } from '../support/stacks';

/*
 * Policy as code: the lake's access rules (DESIGN.md, security invariants 1, 2, 4, 5 and 7) proven
 * by evaluating the policies of the SYNTHESIZED template with an IAM policy simulator
 * (@cloud-copilot/iam-simulate, see test/support/policy-simulation.ts). The caller is the
 * assumed-role session the identity pool hands out, tagged with its `read` / `write` institutes.
 * Every S3 request is also decided by the bucket policy (and, when it comes through the lake's S3
 * endpoint, by the endpoint policy); every KMS request by the key policy.
 *
 * A case that fails here is a hole in the synthesized policy (or a request the lake needs that it
 * refuses): fix the policy, never the expectation.
 */

// GIVEN the default lake, synthesized once for the whole file
const { stack, lake } = lakeStack();
const template = Template.fromStack(stack).toJSON();
const lakeSimulator = LakePolicySimulator.fromStack(stack, lake);
const { bucketArn, keyArn } = lakeSimulator.policies;
const objectArn = (key: string) => lakeSimulator.objectArn(key);
const SIMULATED_BUCKET_NAME = bucketArn.split(':::')[1];

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

/** `Denied` accepts either kind of denial; `ExplicitlyDenied` requires a Deny statement to decide. */
type Expectation = 'Allowed' | 'Denied' | 'ExplicitlyDenied';

/**
 * One thing a caller tries. `steps` are the IAM authorizations it needs, in order (a tagged create
 * needs `s3:PutObject` AND `s3:PutObjectTagging`; an attack is a sequence of calls): it succeeds
 * only if every step is allowed.
 */
interface AccessCase {
  readonly name: string;
  readonly expected: Expectation;
  readonly steps: SimulationRequest[];
}

interface Caller {
  readonly name: string;
  readonly tags: Record<string, string>;
}

const CALLERS: Caller[] = [
  { name: 'read A + write A', tags: { read: 'A', write: 'A' } },
  { name: 'read A only', tags: { read: 'A' } },
  { name: 'write A only', tags: { write: 'A' } },
  { name: 'read A + write B', tags: { read: 'A', write: 'B' } },
  { name: 'read B + write B', tags: { read: 'B', write: 'B' } },
  { name: 'no tags', tags: {} },
  { name: 'empty tags', tags: { read: '', write: '' } },
  { name: 'tags "*"', tags: { read: '*', write: '*' } },
  { name: 'tags "A/*"', tags: { read: 'A/*', write: 'A/*' } },
  { name: 'tags "A/B"', tags: { read: 'A/B', write: 'A/B' } },
];
const caller = (name: string): Caller => {
  const found = CALLERS.find((c) => c.name === name);
  if (!found) throw new Error(`no caller ${name}`);
  return found;
};

interface StoredObject {
  readonly key: string;
  /** The object's `source` tag; undefined for an untagged object. */
  readonly source?: string;
  readonly about: string;
}

const OBJECTS: StoredObject[] = [
  { key: 'A/msg1', source: 'A', about: 'of institute A' },
  { key: 'B/msg1', source: 'B', about: 'of institute B' },
  { key: 'A/untagged', about: 'untagged' },
  { key: 'B/tagged-A', source: 'A', about: 'tagged A under B/ (hypothetical: the tag decides)' },
  { key: 'A/B/msg1', source: 'A/B', about: 'of institute "A/B"' },
];

const MESSAGE_TAGS = (source: string) => ({ source, state: 'received' });

/**
 * The key prefix of an institute. A `*` in a key would make the simulator treat the ARN as a
 * wildcard pattern, so it becomes `x`: the key is then under the institute's prefix only if the `*`
 * of the substituted policy variable were a wildcard, which it must not be.
 */
const prefixOf = (institute: string) => institute.replace(/\*/g, 'x');
const LAKE_KEY_ENCRYPTION = {
  's3:x-amz-server-side-encryption': 'aws:kms',
  's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn,
};

/** Request context of a request that carries a tag set (`x-amz-tagging` / `Tagging`). */
function requestTags(tags: Record<string, string> | undefined): Record<string, string | string[]> {
  if (!tags) return {};
  return {
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`s3:RequestObjectTag/${key}`, value])),
    's3:RequestObjectTagKeys': Object.keys(tags),
  };
}

/** Request context of a request on an existing object: `s3:ExistingObjectTag/source` when it is tagged. */
function existingTags(source: string | undefined): Record<string, string> {
  return source === undefined ? {} : { 's3:ExistingObjectTag/source': source };
}

function read(who: Caller, key: string, source: string | undefined, context: Record<string, string | undefined> = {}): SimulationRequest {
  return { principalTags: who.tags, action: 's3:GetObject', resource: objectArn(key), context: { ...existingTags(source), ...context } };
}

interface CreateOptions {
  /** Send `If-None-Match: *` (a conditional create). @default true */
  readonly ifNoneMatch?: boolean;
  /** The PutObject's headers instead of `If-None-Match` and the lake-key SSE headers of the default. */
  readonly headers?: Record<string, string | undefined>;
  /** Context of both authorizations, e.g. `aws:SecureTransport`. */
  readonly context?: Record<string, string | undefined>;
}

/** A PutObject of a new key, plus the `s3:PutObjectTagging` authorization S3 makes when it carries tags. */
function create(who: Caller, key: string, tags: Record<string, string> | undefined, options: CreateOptions = {}): SimulationRequest[] {
  const put: SimulationRequest = {
    principalTags: who.tags,
    action: 's3:PutObject',
    resource: objectArn(key),
    context: {
      // A client that names the lake key (see the bucket policy cases for what else happens).
      ...(options.headers ?? {
        ...LAKE_KEY_ENCRYPTION,
        ...(options.ifNoneMatch === false ? {} : { 's3:if-none-match': '*' }),
      }),
      ...requestTags(tags),
      ...options.context,
    },
  };
  if (!tags) return [put];
  const tagging: SimulationRequest = {
    principalTags: who.tags,
    action: 's3:PutObjectTagging',
    resource: objectArn(key),
    context: { ...requestTags(tags), ...options.context },
  };
  return [put, tagging];
}

/**
 * The IAM authorizations of a PutObject as the SDK would send it: its headers become the request
 * context keys S3 derives from them.
 */
function fromPutObjectInput(who: Caller, input: PutObjectCommandInput): SimulationRequest[] {
  const tags = input.Tagging === undefined ? undefined : Object.fromEntries(new URLSearchParams(input.Tagging));
  const headers = Object.fromEntries(Object.entries({
    's3:x-amz-server-side-encryption': input.ServerSideEncryption,
    's3:x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId,
    's3:if-none-match': input.IfNoneMatch,
    's3:if-match': input.IfMatch,
    's3:x-amz-acl': input.ACL,
  }).filter(([, value]) => value !== undefined));
  return create(who, input.Key!, tags, { headers });
}

/** A PutObjectTagging of an existing object, replacing its tag set. */
function retag(who: Caller, key: string, currentSource: string | undefined, tags: Record<string, string>): SimulationRequest {
  return {
    principalTags: who.tags,
    action: 's3:PutObjectTagging',
    resource: objectArn(key),
    context: { ...existingTags(currentSource), ...requestTags(tags) },
  };
}

// Invariant 1: a caller reads an object only if its source tag equals the caller's (non-empty) read tag.
const READ_CASES: AccessCase[] = CALLERS.flatMap((who) => OBJECTS.map((object): AccessCase => {
  const allowed = !!who.tags.read && object.source === who.tags.read;
  return {
    name: `${who.name} reads ${object.key} (${object.about})`,
    // With a read tag, the explicit deny of other institutes' objects applies.
    expected: allowed ? 'Allowed' : who.tags.read !== undefined ? 'ExplicitlyDenied' : 'Denied',
    steps: [read(who, object.key, object.source)],
  };
}));

// Invariant 2 and 6: new keys only, under the caller's own prefix, tagged exactly source=<write>, state=received.
const WRITE_CASES: AccessCase[] = CALLERS.flatMap((who): AccessCase[] => {
  const own = who.tags.write || 'A';
  const mine = prefixOf(own);
  // Only a non-empty write tag without wildcard characters or `/` names a prefix the caller may create in
  // (a `/` would make the prefix overlap another institute's: `A/B/*` lies inside `A/*`).
  const canCreate = !!who.tags.write && mine === own && !own.includes('/');
  const other = own === 'B' ? 'A' : 'B';
  const cases: AccessCase[] = [
    {
      name: `${who.name} creates ${mine}/new tagged {source=${own}, state=received} with If-None-Match`,
      expected: canCreate ? 'Allowed' : 'Denied',
      steps: create(who, `${mine}/new`, MESSAGE_TAGS(own)),
    },
    {
      // Explicitly: a broader policy attached to the role later must not open overwrites.
      name: `${who.name} writes ${mine}/msg1 tagged {source=${own}, state=received} without If-None-Match (overwrite)`,
      expected: 'ExplicitlyDenied',
      steps: create(who, `${mine}/msg1`, MESSAGE_TAGS(own), { ifNoneMatch: false }),
    },
    {
      name: `${who.name} creates ${other}/new (another institute's prefix) tagged source=${own}`,
      expected: 'Denied',
      steps: create(who, `${other}/new`, MESSAGE_TAGS(own)),
    },
    {
      name: `${who.name} creates ${mine}/new tagged source=${other}`,
      expected: 'Denied',
      steps: create(who, `${mine}/new`, MESSAGE_TAGS(other)),
    },
    {
      name: `${who.name} creates ${other}/new tagged source=${other} (for another institute)`,
      expected: 'Denied',
      steps: create(who, `${other}/new`, MESSAGE_TAGS(other)),
    },
    {
      name: `${who.name} creates ${mine}/new without tags`,
      expected: 'Denied',
      steps: create(who, `${mine}/new`, undefined),
    },
    {
      name: `${who.name} creates ${mine}/new tagged only source=${own} (no state)`,
      expected: 'Denied',
      steps: create(who, `${mine}/new`, { source: own }),
    },
    {
      name: `${who.name} creates ${mine}/new with an extra tag key`,
      expected: 'Denied',
      steps: create(who, `${mine}/new`, { ...MESSAGE_TAGS(own), extra: 'x' }),
    },
    {
      name: `${who.name} creates ${mine}/new tagged state=processed`,
      expected: 'Denied',
      steps: create(who, `${mine}/new`, { source: own, state: 'processed' }),
    },
  ];
  if (who.tags.write === '') {
    cases.push({
      name: `${who.name} creates /new tagged source="" (the empty institute)`,
      expected: 'Denied',
      steps: create(who, '/new', MESSAGE_TAGS('')),
    });
  }
  return cases;
});

// Invariant 2: no re-tagging, untagging or re-tag-then-read of another institute's objects.
const TAGGING_CASES: AccessCase[] = [
  {
    name: 'read A + write A re-tags B/msg1 (source=B) as source=A',
    expected: 'Denied',
    steps: [retag(caller('read A + write A'), 'B/msg1', 'B', MESSAGE_TAGS('A'))],
  },
  {
    name: 'read A + write A then reads B/msg1, still tagged B',
    expected: 'ExplicitlyDenied',
    steps: [read(caller('read A + write A'), 'B/msg1', 'B')],
  },
  {
    name: 're-tag-then-read: read A + write A re-tags B/msg1 as source=A, then reads it',
    expected: 'Denied',
    steps: [retag(caller('read A + write A'), 'B/msg1', 'B', MESSAGE_TAGS('A')), read(caller('read A + write A'), 'B/msg1', 'A')],
  },
  {
    name: 're-tag-then-read: read B + write B re-tags A/msg1 as source=B, then reads it',
    expected: 'Denied',
    steps: [retag(caller('read B + write B'), 'A/msg1', 'A', MESSAGE_TAGS('B')), read(caller('read B + write B'), 'A/msg1', 'B')],
  },
  {
    name: 'read A + write B re-tags A/msg1 (source=A) as source=B',
    expected: 'Denied',
    steps: [retag(caller('read A + write B'), 'A/msg1', 'A', MESSAGE_TAGS('B'))],
  },
  {
    name: 're-tag-then-read: read A + write A re-tags A/B/msg1 (institute "A/B") as source=A, then reads it',
    expected: 'Denied',
    steps: [retag(caller('read A + write A'), 'A/B/msg1', 'A/B', MESSAGE_TAGS('A')), read(caller('read A + write A'), 'A/B/msg1', 'A')],
  },
  {
    name: 're-tag-then-read: tags "*" re-tags A/msg1 as source=*, then reads it',
    expected: 'Denied',
    steps: [retag(caller('tags "*"'), 'A/msg1', 'A', MESSAGE_TAGS('*')), read(caller('tags "*"'), 'A/msg1', '*')],
  },
  {
    name: 're-tag-then-read: read A + write A tags an untagged object under B/ as source=A, then reads it',
    expected: 'Denied',
    steps: [retag(caller('read A + write A'), 'B/untagged', undefined, MESSAGE_TAGS('A')), read(caller('read A + write A'), 'B/untagged', 'A')],
  },
  {
    name: 'write A only removes every tag of its own A/msg1 (empty tag set)',
    expected: 'Denied',
    steps: [retag(caller('write A only'), 'A/msg1', 'A', {})],
  },
  {
    name: 'write A only re-tags its own A/msg1 as source=B',
    expected: 'Denied',
    steps: [retag(caller('write A only'), 'A/msg1', 'A', MESSAGE_TAGS('B'))],
  },
  {
    name: 'write A only re-tags its own A/msg1 without source (state only)',
    expected: 'Denied',
    steps: [retag(caller('write A only'), 'A/msg1', 'A', { state: 'received' })],
  },
  {
    name: 'write A only re-tags its own A/msg1 with an extra tag key',
    expected: 'Denied',
    steps: [retag(caller('write A only'), 'A/msg1', 'A', { ...MESSAGE_TAGS('A'), extra: 'x' })],
  },
  {
    name: 'no tags re-tags A/msg1 as source=A',
    expected: 'Denied',
    steps: [retag(caller('no tags'), 'A/msg1', 'A', MESSAGE_TAGS('A'))],
  },
  {
    // Tags are set once, at creation: not even the same tag set again (it would reset `state`).
    name: 'write A only re-tags its own A/msg1 with the same tag set {source=A, state=received}',
    expected: 'ExplicitlyDenied',
    steps: [retag(caller('write A only'), 'A/msg1', 'A', MESSAGE_TAGS('A'))],
  },
  {
    name: 'write A only resets the state of its own A/msg1 (tagged state=processed by a pipeline) to received',
    expected: 'ExplicitlyDenied',
    steps: [{
      ...retag(caller('write A only'), 'A/msg1', 'A', MESSAGE_TAGS('A')),
      context: {
        's3:ExistingObjectTag/source': 'A', 's3:ExistingObjectTag/state': 'processed', ...requestTags(MESSAGE_TAGS('A')),
      },
    }],
  },
  {
    // S3 asks for s3:PutObjectTagging on every tagged create, and IAM cannot tell the first tags of a
    // new object from the first tags of an untagged one. Only under the caller's own prefix, and only
    // if an untagged object exists there: the data perimeter lets no principal but the institute role
    // write, and every create of the role is tagged (see 'the data perimeter' below).
    name: 'read A + write A tags an untagged object under its own A/ as source=A, then reads it',
    expected: 'Allowed',
    steps: [retag(caller('read A + write A'), 'A/untagged', undefined, MESSAGE_TAGS('A')), read(caller('read A + write A'), 'A/untagged', 'A')],
  },
];

/** Actions no caller ever gets; those the policy lists in its explicit deny must be denied by it. */
const ALWAYS_DENIED: Array<{ action: string; on: 'object' | 'bucket'; explicit: boolean }> = [
  { action: 's3:PutObjectVersionTagging', on: 'object', explicit: true },
  { action: 's3:DeleteObjectTagging', on: 'object', explicit: true },
  { action: 's3:DeleteObject', on: 'object', explicit: true },
  { action: 's3:DeleteObjectVersion', on: 'object', explicit: true },
  { action: 's3:GetObjectVersion', on: 'object', explicit: true },
  { action: 's3:PutObjectAcl', on: 'object', explicit: true },
  { action: 's3:GetObjectTagging', on: 'object', explicit: false },
  { action: 's3:ListBucket', on: 'bucket', explicit: true },
  { action: 's3:ListBucketVersions', on: 'bucket', explicit: true },
];

async function alwaysDeniedCases(): Promise<AccessCase[]> {
  const cases: AccessCase[] = [];
  for (const who of CALLERS) {
    // The caller's own institute's object: the most favourable case for it.
    const own = who.tags.write || who.tags.read || 'A';
    for (const { action, on, explicit } of ALWAYS_DENIED) {
      const resource = on === 'bucket' ? bucketArn : objectArn(`${prefixOf(own)}/msg1`);
      const context: Record<string, string | string[]> = {};
      if (await lakeSimulator.appliesTo('s3:ExistingObjectTag/source', action, resource)) Object.assign(context, existingTags(own));
      if (await lakeSimulator.appliesTo('s3:RequestObjectTag/source', action, resource)) Object.assign(context, requestTags(MESSAGE_TAGS(own)));
      cases.push({
        name: `${who.name} calls ${action} on ${on === 'bucket' ? 'the bucket' : `${prefixOf(own)}/msg1`}`,
        expected: explicit ? 'ExplicitlyDenied' : 'Denied',
        steps: [{ principalTags: who.tags, action, resource, context }],
      });
    }
  }
  return cases;
}

// Invariant 7: the lake key only through S3 in the lake's region, for this bucket's objects.
// (S3 makes these calls on the caller's behalf: they do not come through the lake's S3 endpoint.)
const VIA_S3 = 's3.eu-west-1.amazonaws.com';
const KMS_CASES: AccessCase[] = [caller('read A + write A'), caller('no tags')].flatMap((who) => {
  const kms = (action: string, context: Record<string, string>): SimulationRequest => ({
    principalTags: who.tags, action, resource: keyArn, context,
  });
  return [
    { what: 'kms:Decrypt through S3 with the bucket as encryption context (bucket keys)', expected: 'Allowed' as const, step: kms('kms:Decrypt', { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': bucketArn }) },
    { what: 'kms:GenerateDataKey through S3 with the bucket as encryption context', expected: 'Allowed' as const, step: kms('kms:GenerateDataKey', { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': bucketArn }) },
    { what: 'kms:Decrypt through S3 with an object as encryption context (no bucket key)', expected: 'Allowed' as const, step: kms('kms:Decrypt', { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': objectArn('A/msg1') }) },
    { what: 'kms:Decrypt directly (no kms:ViaService)', expected: 'Denied' as const, step: kms('kms:Decrypt', { 'kms:EncryptionContext:aws:s3:arn': bucketArn }) },
    { what: 'kms:GenerateDataKey directly (no kms:ViaService)', expected: 'Denied' as const, step: kms('kms:GenerateDataKey', { 'kms:EncryptionContext:aws:s3:arn': bucketArn }) },
    { what: 'kms:Decrypt through S3 in another region', expected: 'Denied' as const, step: kms('kms:Decrypt', { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': bucketArn }) },
    { what: 'kms:Decrypt through another service', expected: 'Denied' as const, step: kms('kms:Decrypt', { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com', 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': bucketArn }) },
    { what: 'kms:Decrypt through S3 for another bucket', expected: 'Denied' as const, step: kms('kms:Decrypt', { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::another-bucket' }) },
    { what: 'kms:Decrypt through S3 without encryption context', expected: 'Denied' as const, step: kms('kms:Decrypt', { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true' }) },
    { what: 'kms:Encrypt through S3 (not granted)', expected: 'Denied' as const, step: kms('kms:Encrypt', { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': bucketArn }) },
  ].map(({ what, expected, step }) => ({ name: `${who.name}: ${what}`, expected, steps: [step] }));
});

// Invariant 7: TLS only and the lake's own key, whatever the identity policy allows (bucket policy).
const A = caller('read A + write A'); // the caller of the bucket policy cases
const BUCKET_POLICY_CASES: AccessCase[] = [
  { name: 'read A + write A reads A/msg1 without TLS', expected: 'ExplicitlyDenied', steps: [read(A, 'A/msg1', 'A', { 'aws:SecureTransport': 'false' })] },
  { name: 'read A + write A reads A/msg1 over TLS 1.1', expected: 'ExplicitlyDenied', steps: [read(A, 'A/msg1', 'A', { 's3:TlsVersion': '1.1' })] },
  { name: 'read A + write A reads A/msg1 over TLS 1.3', expected: 'Allowed', steps: [read(A, 'A/msg1', 'A', { 's3:TlsVersion': '1.3' })] },
  { name: 'read A + write A creates A/new without TLS', expected: 'ExplicitlyDenied', steps: create(A, 'A/new', MESSAGE_TAGS('A'), { context: { 'aws:SecureTransport': 'false' } }) },
  {
    name: 'read A + write A creates A/new asking for SSE-S3',
    expected: 'ExplicitlyDenied',
    steps: create(A, 'A/new', MESSAGE_TAGS('A'), { headers: { 's3:x-amz-server-side-encryption': 'AES256', 's3:if-none-match': '*' } }),
  },
  {
    name: 'read A + write A creates A/new with another KMS key',
    expected: 'ExplicitlyDenied',
    steps: create(A, 'A/new', MESSAGE_TAGS('A'), {
      headers: {
        ...LAKE_KEY_ENCRYPTION,
        's3:x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:111122223333:key/another',
        's3:if-none-match': '*',
      },
    }),
  },
  {
    name: 'read A + write A creates A/new with a key of its own (SSE-C)',
    expected: 'ExplicitlyDenied',
    steps: create(A, 'A/new', MESSAGE_TAGS('A'), {
      headers: { 's3:x-amz-server-side-encryption-customer-algorithm': 'AES256', 's3:if-none-match': '*' },
    }),
  },
  {
    // The request src/runtime/message-store.ts builds for the ingest handler, headers and all.
    name: 'read A + write A stores a message with the PutObject the ingest handler builds (storeMessageRequest)',
    expected: 'Allowed',
    steps: fromPutObjectInput(A, storeMessageRequest(SIMULATED_BUCKET_NAME, {
      institute: 'A',
      messageId: messageIdFor('MSG00001'),
      text: 'MSH|^~\\&|LAB|HOSPITAL-A|LAKE|LAKE|20240101120000||ADT^A01|MSG00001|P|2.5\r',
      messageType: 'ADT^A01',
      controlId: 'MSG00001',
      version: '2.5',
      sendingFacility: 'HOSPITAL-A',
    })),
  },
];

// Invariant 5: credentials a user obtains directly from the identity pool open nothing outside the
// lake's API path, i.e. outside the lake's S3 endpoint. Every S3 case that the lake allows through
// it must be denied from the internet and through any other VPC endpoint.
const OUTSIDE_THE_API: Array<[string, string | undefined]> = [
  ['from outside any VPC endpoint', undefined],
  ['through another VPC endpoint', 'vpce-0fedcba9876543210'],
];
const API_ONLY_CASES: AccessCase[] = [...READ_CASES, ...WRITE_CASES, ...TAGGING_CASES, ...BUCKET_POLICY_CASES]
  .filter((c) => c.expected === 'Allowed')
  .flatMap((c) => OUTSIDE_THE_API.map(([where, endpoint]): AccessCase => ({
    name: `${c.name}, ${where}`,
    expected: 'ExplicitlyDenied',
    steps: c.steps.map((step) => ({ ...step, context: { ...step.context, 'aws:SourceVpce': endpoint } })),
  })));

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

interface Outcome {
  readonly decision: Decision;
  readonly decidedBy: string[];
}

const outcomes = new WeakMap<LakePolicySimulator, Map<AccessCase, Promise<Outcome>>>();

/** The outcome of a case: Allowed only if every step is; else the strongest denial among the steps. */
function outcomeOf(simulator: LakePolicySimulator, accessCase: AccessCase): Promise<Outcome> {
  let cache = outcomes.get(simulator);
  if (!cache) outcomes.set(simulator, cache = new Map());
  let outcome = cache.get(accessCase);
  if (!outcome) {
    outcome = (async () => {
      const results = [];
      for (const step of accessCase.steps) results.push(await simulator.explain(step));
      const decisions = results.map((r) => r.decision);
      const decision: Decision = decisions.every((d) => d === 'Allowed') ? 'Allowed'
        : decisions.includes('ExplicitlyDenied') ? 'ExplicitlyDenied' : 'ImplicitlyDenied';
      const decidedBy = results.map((r, i) => `${accessCase.steps[i].action}: ${r.decision}${r.statements.length ? ` by ${r.statements.join(', ')}` : ''}`);
      return { decision, decidedBy };
    })();
    cache.set(accessCase, outcome);
  }
  return outcome;
}

function satisfies(expected: Expectation, decision: Decision): boolean {
  switch (expected) {
    case 'Allowed': return decision === 'Allowed';
    case 'ExplicitlyDenied': return decision === 'ExplicitlyDenied';
    case 'Denied': return decision !== 'Allowed';
  }
}

/** The expectation when met, else what happened and which statements decided it (a readable diff). */
function verdict(expected: Expectation, outcome: Outcome): string {
  return satisfies(expected, outcome.decision) ? expected : `${outcome.decision} (${outcome.decidedBy.join('; ')})`;
}

function named(cases: AccessCase[]): Array<[string, AccessCase]> {
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate case name: ${c.name}`);
    names.add(c.name);
  }
  return cases.map((c) => [`${c.name} -> ${c.expected}`, c]);
}

// ---------------------------------------------------------------------------------------------
// Policy changes for the layer and mutation checks (applied to the policies taken from the template)
// ---------------------------------------------------------------------------------------------

const actionsOf = (statement: PolicyStatement): string[] => [statement.Action ?? []].flat();
const grants = (statement: PolicyStatement, action: string) => statement.Effect === 'Allow' && actionsOf(statement).includes(action);

function changeIdentityStatements(change: (statements: PolicyStatement[]) => PolicyStatement[]) {
  return (policies: LakePolicies): LakePolicies => ({
    ...policies,
    identityPolicies: policies.identityPolicies.map(({ name, policy }) => ({
      name,
      policy: { ...policy, Statement: change([policy.Statement].flat()) },
    })),
  });
}

function withoutConditionKey(statement: PolicyStatement, matches: (key: string) => boolean): PolicyStatement {
  const condition = Object.entries(statement.Condition ?? {})
    .map(([operator, keys]) => [operator, Object.fromEntries(Object.entries(keys).filter(([key]) => !matches(key)))] as const)
    .filter(([, keys]) => Object.keys(keys).length > 0);
  return { ...statement, Condition: Object.fromEntries(condition) };
}

/** The allow statements alone: every explicit deny of the role's policies removed. */
const allowLayer = changeIdentityStatements((statements) => statements.filter((s) => s.Effect !== 'Deny'));

function withoutIdentitySid(...sids: string[]) {
  return changeIdentityStatements((statements) => statements.filter((statement) => !sids.includes(statement.Sid ?? '')));
}

function withoutBucketSid(sid: string) {
  return (policies: LakePolicies): LakePolicies => ({
    ...policies,
    bucketPolicy: policies.bucketPolicy && {
      ...policies.bucketPolicy,
      Statement: [policies.bucketPolicy.Statement].flat().filter((statement) => statement.Sid !== sid),
    },
  });
}

/** The role's policies decide alone: the bucket policy removed (as with an imported bucket). */
const roleLayer = (policies: LakePolicies): LakePolicies => ({ ...policies, bucketPolicy: undefined });

/** Someone attaches a broad S3 grant to the role later. */
const broadS3Grant = (policies: LakePolicies): LakePolicies => ({
  ...policies,
  identityPolicies: [...policies.identityPolicies, {
    name: 'AttachedLater',
    policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: [policies.bucketArn, `${policies.bucketArn}/*`] }] },
  }],
});

const MUTATIONS: Array<[string, (policies: LakePolicies) => LakePolicies]> = [
  ['PutObject allowed without the s3:if-none-match Null condition', changeIdentityStatements((statements) =>
    statements.map((s) => grants(s, 's3:PutObject') ? withoutConditionKey(s, (key) => key.toLowerCase() === 's3:if-none-match') : s))],
  ['PutObjectTagging allowed on the whole bucket', changeIdentityStatements((statements) =>
    statements.map((s) => grants(s, 's3:PutObjectTagging') ? { ...s, Resource: `${bucketArn}/*` } : s))],
  ['GetObject allowed without the s3:ExistingObjectTag condition', changeIdentityStatements((statements) =>
    statements.map((s) => grants(s, 's3:GetObject') ? withoutConditionKey(s, (key) => key.toLowerCase().startsWith('s3:existingobjecttag/')) : s))],
  ['explicit denies removed and s3:* allowed', (policies) => broadS3Grant(allowLayer(policies))],
  ['PutObject and PutObjectTagging allowed with any tag keys (no s3:RequestObjectTagKeys condition)', changeIdentityStatements((statements) =>
    statements.map((s) => grants(s, 's3:PutObject') || grants(s, 's3:PutObjectTagging')
      ? withoutConditionKey(s, (key) => key.toLowerCase() === 's3:requestobjecttagkeys') : s))],
  ['role policy and bucket policy without their aws:SourceVpce (API-only) denies', (policies) => {
    const notApiOnly = (s: PolicyStatement) => !JSON.stringify(s.Condition ?? {}).includes('aws:SourceVpce');
    const changed = changeIdentityStatements((statements) => statements.filter(notApiOnly))(policies);
    return {
      ...changed,
      bucketPolicy: changed.bucketPolicy && { ...changed.bucketPolicy, Statement: [changed.bucketPolicy.Statement].flat().filter(notApiOnly) },
    };
  }],
  ['role policy without its API-only denies (DenyOutsideTheLakeApi, DenyEverythingOutsideTheLakeApi)',
    withoutIdentitySid('DenyOutsideTheLakeApi', 'DenyEverythingOutsideTheLakeApi')],
  ['bucket policy without its API-only deny (DenyInstituteUsersOutsideTheLakeApi)', withoutBucketSid('DenyInstituteUsersOutsideTheLakeApi')],
  ['role policy without its overwrite deny (DenyOverwritingMessages)', withoutIdentitySid('DenyOverwritingMessages')],
  ['bucket policy without its overwrite deny (DenyInstituteUsersOverwriting)', withoutBucketSid('DenyInstituteUsersOverwriting')],
  ['role policy without its re-tagging deny (DenyRetaggingStoredMessages)', withoutIdentitySid('DenyRetaggingStoredMessages')],
  ['bucket policy without its re-tagging deny (DenyRetaggingStoredMessages)', withoutBucketSid('DenyRetaggingStoredMessages')],
  ['role policy without its SSE-C deny (DenyCustomerProvidedKeys)', withoutIdentitySid('DenyCustomerProvidedKeys')],
  ['bucket policy without its SSE-C deny (DenyCustomerProvidedKeys)', withoutBucketSid('DenyCustomerProvidedKeys')],
  ['bucket policy without its TLS-only statement', (policies) => ({
    ...policies,
    bucketPolicy: policies.bucketPolicy && {
      ...policies.bucketPolicy,
      Statement: [policies.bucketPolicy.Statement].flat().filter((s) => !JSON.stringify(s.Condition ?? {}).includes('aws:SecureTransport')),
    },
  })],
];

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

describe('the policies are taken from the synthesized template', () => {
  test('the role has its identity policy, the bucket its bucket policy and the key its key policy, all resolved', () => {
    const { identityPolicies, bucketPolicy, keyPolicy, roleArn } = lakeSimulator.policies;
    expect(identityPolicies.length).toBeGreaterThanOrEqual(1);
    expect(bucketPolicy?.Statement.length).toBeGreaterThanOrEqual(1);
    expect(keyPolicy?.Statement.length).toBeGreaterThanOrEqual(1);
    expect(lakeSimulator.policies.s3Endpoint?.policy?.Statement.length).toBeGreaterThanOrEqual(1);
    expect(bucketArn).toBe('arn:aws:s3:::lake-bucket');
    expect(keyArn).toBe('arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(roleArn).toMatch(/^arn:aws:iam::111122223333:role\//);
    const resolved = JSON.stringify(lakeSimulator.policies);
    expect(resolved).not.toMatch(/"Ref"|"Fn::/);
    // The policy variables stay for IAM to resolve at request time.
    expect(resolved).toContain('${aws:PrincipalTag/read}');
    expect(resolved).toContain(`${bucketArn}/\${aws:PrincipalTag/write}/*`);
  });

  test('the identity policies include the customer-managed policy attached to the institute role', () => {
    const types = lakeSimulator.policies.identityPolicies.map((p) => template.Resources[p.name]?.Type);
    expect(types).toContain('AWS::IAM::ManagedPolicy');
  });
});

describe('structure: what the simulator cannot see', () => {
  const identityStatements = lakeSimulator.policies.identityPolicies.flatMap(({ policy }) => [policy.Statement].flat());
  const allStatements: PolicyStatement[] = [
    ...identityStatements,
    ...[lakeSimulator.policies.bucketPolicy?.Statement ?? []].flat(),
  ];
  const allows = allStatements.filter((s) => s.Effect === 'Allow');

  test('no Allow statement has a wildcard action, NotAction, Resource "*" or NotResource', () => {
    expect(allows.length).toBeGreaterThan(0);
    for (const statement of allows) {
      expect({ sid: statement.Sid, actions: actionsOf(statement).filter((a) => a.includes('*')) }).toEqual({ sid: statement.Sid, actions: [] });
      expect({ sid: statement.Sid, resources: [statement.Resource ?? []].flat().filter((r) => r === '*') }).toEqual({ sid: statement.Sid, resources: [] });
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
    }
  });

  test('every Allow that uses a principal tag requires it to be present and non-empty (a missing attribute means no access)', () => {
    const usingTags = allows.filter((s) => JSON.stringify(s).includes('${aws:PrincipalTag/'));
    expect(usingTags.length).toBeGreaterThanOrEqual(3);
    for (const statement of usingTags) {
      const tags = [...new Set([...JSON.stringify(statement).matchAll(/\$\{aws:PrincipalTag\/([^}]+)\}/g)].map((m) => m[1]))];
      for (const tag of tags) {
        expect({ sid: statement.Sid, tag, present: statement.Condition?.Null?.[`aws:PrincipalTag/${tag}`] })
          .toEqual({ sid: statement.Sid, tag, present: 'false' });
        expect({ sid: statement.Sid, tag, nonEmpty: statement.Condition?.StringLike?.[`aws:PrincipalTag/${tag}`] })
          .toEqual({ sid: statement.Sid, tag, nonEmpty: '?*' });
      }
    }
  });

  test('every Allow of s3:GetObject is decided by the object\'s source tag against the read principal tag', () => {
    const reads = allows.filter((s) => grants(s, 's3:GetObject'));
    expect(reads.length).toBeGreaterThan(0);
    for (const statement of reads) {
      expect(statement.Condition?.StringEquals?.['s3:ExistingObjectTag/source']).toBe('${aws:PrincipalTag/read}');
    }
  });
});

describe('the lake policy decides every case as the security invariants say (simulated)', () => {
  describe('invariant 1: reads', () => {
    test.each(named(READ_CASES))('%s', async (_name, accessCase) => {
      expect(verdict(accessCase.expected, await outcomeOf(lakeSimulator, accessCase))).toBe(accessCase.expected);
    });
  });

  describe('invariant 2: creates (PutObject + the PutObjectTagging S3 needs for its tags)', () => {
    test.each(named(WRITE_CASES))('%s', async (_name, accessCase) => {
      expect(verdict(accessCase.expected, await outcomeOf(lakeSimulator, accessCase))).toBe(accessCase.expected);
    });
  });

  describe('invariant 2: re-tagging, untagging and re-tag-then-read', () => {
    test.each(named(TAGGING_CASES))('%s', async (_name, accessCase) => {
      expect(verdict(accessCase.expected, await outcomeOf(lakeSimulator, accessCase))).toBe(accessCase.expected);
    });
  });

  describe('invariant 2 and 7: destructive, versioned, ACL and listing actions are denied to every caller', () => {
    let cases: AccessCase[] = [];
    beforeAll(async () => {
      cases = await alwaysDeniedCases();
    });
    test('every caller and every such action is covered', () => {
      expect(cases).toHaveLength(CALLERS.length * ALWAYS_DENIED.length);
    });
    test.each(CALLERS.flatMap((who) => ALWAYS_DENIED.map(({ action }) => [who.name, action])))('%s calls %s', async (who, action) => {
      const accessCase = cases.find((c) => c.name.startsWith(`${who} calls ${action} `))!;
      expect(verdict(accessCase.expected, await outcomeOf(lakeSimulator, accessCase))).toBe(accessCase.expected);
    });
  });

  describe('invariant 7: the lake key only through S3 for this bucket', () => {
    test.each(named(KMS_CASES))('%s', async (_name, accessCase) => {
      expect(verdict(accessCase.expected, await outcomeOf(lakeSimulator, accessCase))).toBe(accessCase.expected);
    });
  });

  describe('invariant 7: the bucket policy\'s denies count (TLS only, the lake key only)', () => {
    test.each(named(BUCKET_POLICY_CASES))('%s', async (_name, accessCase) => {
      expect(verdict(accessCase.expected, await outcomeOf(lakeSimulator, accessCase))).toBe(accessCase.expected);
    });
  });

  describe('invariant 5: nothing is open outside the lake\'s S3 endpoint (direct use of identity pool credentials)', () => {
    test('the lake has an S3 endpoint, and every allowed S3 case is tried outside it', () => {
      expect(lakeSimulator.policies.s3Endpoint?.id).toMatch(/^vpce-/);
      expect(API_ONLY_CASES.length).toBeGreaterThanOrEqual(2 * 10);
    });
    test.each(named(API_ONLY_CASES))('%s', async (_name, accessCase) => {
      expect(verdict(accessCase.expected, await outcomeOf(lakeSimulator, accessCase))).toBe(accessCase.expected);
    });
  });
});

/** Every case of the matrix (the always-denied ones are built asynchronously). */
async function allCases(): Promise<AccessCase[]> {
  return [...READ_CASES, ...WRITE_CASES, ...TAGGING_CASES, ...await alwaysDeniedCases(), ...KMS_CASES, ...BUCKET_POLICY_CASES, ...API_ONLY_CASES];
}

/**
 * Cases whose expectation `simulator` does not meet, judged on the expectations alone (never relative to
 * what the real policies do, so a hole the main matrix also shows is caught here too).
 */
async function regressions(simulator: LakePolicySimulator, cases: AccessCase[], relaxed = false): Promise<string[]> {
  const failing: string[] = [];
  for (const accessCase of cases) {
    const expected = relaxed && accessCase.expected === 'ExplicitlyDenied' ? 'Denied' : accessCase.expected;
    const outcome = await outcomeOf(simulator, accessCase);
    if (!satisfies(expected, outcome.decision)) failing.push(`${accessCase.name}: expected ${expected}, got ${outcome.decision}`);
  }
  return failing;
}

// ---------------------------------------------------------------------------------------------
// The layers: what each policy claims on its own
// ---------------------------------------------------------------------------------------------

/** Cases only the storage rules of a new bucket decide (TLS, the lake key): no role policy claims them. */
const STORAGE_CASE_NAMES = [
  'read A + write A reads A/msg1 without TLS',
  'read A + write A reads A/msg1 over TLS 1.1',
  'read A + write A creates A/new without TLS',
  'read A + write A creates A/new asking for SSE-S3',
  'read A + write A creates A/new with another KMS key',
];
const STORAGE_CASES = BUCKET_POLICY_CASES.filter((c) => STORAGE_CASE_NAMES.includes(c.name));

/** What the role's policy decides on its own, for any bucket: invariants 1, 2, 4, 5 and 7 (key use, SSE-C). */
async function roleCases(): Promise<AccessCase[]> {
  return (await allCases()).filter((c) => !STORAGE_CASES.includes(c));
}

/** What the allow statements decide on their own (the ABAC rules; the API-only gate and SSE-C are denies). */
async function allowCases(): Promise<AccessCase[]> {
  return [...READ_CASES, ...WRITE_CASES, ...TAGGING_CASES, ...await alwaysDeniedCases(), ...KMS_CASES,
    ...BUCKET_POLICY_CASES.filter((c) => c.expected === 'Allowed')];
}

/**
 * What the bucket policy denies on its own, whatever is attached to the institute role: the API-only
 * gate, overwrites, re-tagging a stored message and SSE-C (every bucket whose policy the lake writes),
 * plus TLS and the lake key (a new bucket).
 */
function bucketAccessCases(): AccessCase[] {
  const retagsStoredMessage = (c: AccessCase) => c.steps.some((step) =>
    step.action === 's3:PutObjectTagging' && step.context?.['s3:ExistingObjectTag/source'] !== undefined);
  return [
    ...API_ONLY_CASES,
    ...WRITE_CASES.filter((c) => c.name.includes('without If-None-Match')),
    ...TAGGING_CASES.filter(retagsStoredMessage),
    ...BUCKET_POLICY_CASES.filter((c) => c.name.includes('SSE-C')),
  ].map((c) => ({ ...c, expected: 'ExplicitlyDenied' as const }));
}

/** The bucket policy on its own: every explicit deny of the role removed and s3:* attached to it. */
const bucketLayer = (policies: LakePolicies): LakePolicies => broadS3Grant(allowLayer(policies));

/**
 * The key policy an imported key needs for IAM policies to count at all (CDK's default key policy):
 * the template does not hold the policy of a key it does not create.
 */
const KEY_POLICY_DELEGATING_TO_IAM: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SIMULATED_DEPLOYMENT.account}:root` }, Action: 'kms:*', Resource: '*' }],
};

/** The same lake with a bucket the user brings: created in the app, or imported (then without a bucket policy here). */
function lakeWith(storage: (stack: Stack) => HealthDataLakeProps): LakePolicySimulator {
  const byoStack = new Stack(newApp(), 'Lake', { env: { account: SIMULATED_DEPLOYMENT.account, region: SIMULATED_DEPLOYMENT.region } });
  const byoLake = new HealthDataLake(byoStack, 'HealthDataLake', storage(byoStack));
  return LakePolicySimulator.fromStack(byoStack, byoLake);
}
const STORAGE_CONFIGURATIONS: Array<[string, LakePolicySimulator, { readonly storageRules: boolean }]> = [
  ['a new bucket', lakeSimulator, { storageRules: true }],
  ['the user\'s own bucket, created in the app', lakeWith((s) => ({
    bucket: new s3.Bucket(s, 'OwnBucket', { encryption: s3.BucketEncryption.KMS, enforceSSL: true }),
  })), { storageRules: false }],
  ['an imported bucket and key', lakeWith((s) => ({
    bucket: s3.Bucket.fromBucketName(s, 'ImportedBucket', SIMULATED_BUCKET_NAME),
    encryptionKey: Key.fromKeyArn(s, 'ImportedKey', keyArn),
  })).withPolicies((p) => ({ ...p, keyPolicy: KEY_POLICY_DELEGATING_TO_IAM })), { storageRules: false }],
];

describe('defence in depth: each layer holds on its own, in every storage configuration', () => {
  let cases: { role: AccessCase[]; allow: AccessCase[] } = { role: [], allow: [] };
  beforeAll(async () => {
    cases = { role: await roleCases(), allow: await allowCases() };
  });

  test('every configuration is simulated with the same bucket, key and role names, so the cases apply to each', () => {
    for (const [, simulator] of STORAGE_CONFIGURATIONS) {
      expect([simulator.policies.bucketArn, simulator.policies.keyArn, simulator.policies.roleArn])
        .toEqual([bucketArn, keyArn, lakeSimulator.policies.roleArn]);
    }
    expect(cases.role.length).toBeGreaterThan(250);
    expect(bucketAccessCases().length).toBeGreaterThan(2 * 20);
  });

  test('GIVEN an imported bucket THEN there is no bucket policy to simulate: the role policy is the only layer', () => {
    const [, imported] = STORAGE_CONFIGURATIONS[2];
    expect(imported.policies.bucketPolicy).toBeUndefined();
    expect(STORAGE_CONFIGURATIONS[1][1].policies.bucketPolicy?.Statement.length).toBeGreaterThan(0);
  });

  describe.each(STORAGE_CONFIGURATIONS)('GIVEN %s', (_name, simulator, { storageRules }) => {
    test('WHEN the role policy decides alone (no bucket policy) THEN every case it claims is decided as expected', async () => {
      expect(await regressions(simulator.withPolicies(roleLayer), cases.role)).toEqual([]);
    });

    test('WHEN s3:* is attached to the role and there is no bucket policy THEN the role\'s explicit denies still deny', async () => {
      const explicit = cases.role.filter((c) => c.expected === 'ExplicitlyDenied');
      expect(explicit.length).toBeGreaterThan(100);
      expect(await regressions(simulator.withPolicies((p) => broadS3Grant(roleLayer(p))), explicit)).toEqual([]);
    });

    test('WHEN only the role\'s allow statements decide (no deny, no bucket policy) THEN invariants 1, 2 and 4 still hold', async () => {
      expect(await regressions(simulator.withPolicies((p) => allowLayer(roleLayer(p))), cases.allow, true)).toEqual([]);
    });

    if (simulator.policies.bucketPolicy) {
      test('WHEN the bucket policy decides alone (s3:* attached to the role, its denies removed) THEN it still denies what it claims', async () => {
        const claimed = [...bucketAccessCases(), ...storageRules ? STORAGE_CASES : []];
        expect(await regressions(simulator.withPolicies(bucketLayer), claimed)).toEqual([]);
      });
    }
  });
});

describe('defence in depth: the role\'s layers with the bucket policy in place', () => {
  let cases: AccessCase[] = [];
  beforeAll(async () => {
    cases = await allCases();
  });

  test('the allow statements alone (every explicit deny removed) still decide every case', async () => {
    expect(await regressions(lakeSimulator.withPolicies(allowLayer), cases, true)).toEqual([]);
  });

  test('with an s3:* grant attached later, the explicit denies still deny what they are meant to', async () => {
    const explicit = cases.filter((c) => c.expected === 'ExplicitlyDenied');
    expect(explicit.length).toBeGreaterThan(50);
    expect(await regressions(lakeSimulator.withPolicies(broadS3Grant), explicit)).toEqual([]);
  });

  test('with an s3:* grant attached later, the re-tag-then-read attack stays closed', async () => {
    const attacks = TAGGING_CASES.filter((c) => c.name.startsWith('re-tag-then-read'));
    const broad = lakeSimulator.withPolicies(broadS3Grant);
    const opened: string[] = [];
    for (const attack of attacks) {
      const outcome = await outcomeOf(broad, attack);
      if (!satisfies(attack.expected, outcome.decision)) opened.push(`${attack.name}: ${outcome.decidedBy.join('; ')}`);
    }
    expect(opened).toEqual([]);
  });
});

/**
 * The first case that the weakened policies allow although it expects a denial, in any of the views
 * the tests above take (the whole policy, each layer alone); undefined when no view notices.
 */
async function firstOpenedCase(mutated: LakePolicySimulator): Promise<string | undefined> {
  const views: Array<[string, LakePolicySimulator, AccessCase[], boolean]> = [
    ['all policies', mutated, await allCases(), false],
    ['role policy alone', mutated.withPolicies(roleLayer), await roleCases(), false],
    ['role denies alone with s3:*', mutated.withPolicies((p) => broadS3Grant(roleLayer(p))),
      (await roleCases()).filter((c) => c.expected === 'ExplicitlyDenied'), false],
    ['allow statements alone', mutated.withPolicies((p) => allowLayer(roleLayer(p))), await allowCases(), true],
    ['bucket policy alone', mutated.withPolicies(bucketLayer), [...bucketAccessCases(), ...STORAGE_CASES], false],
  ];
  for (const [view, simulator, cases, relaxed] of views) {
    for (const accessCase of cases) {
      if (accessCase.expected === 'Allowed') continue;
      const expected = relaxed && accessCase.expected === 'ExplicitlyDenied' ? 'Denied' : accessCase.expected;
      const outcome = await outcomeOf(simulator, accessCase);
      if (outcome.decision === 'Allowed' && !satisfies(expected, outcome.decision)) return `${view}: ${accessCase.name}`;
    }
  }
  return undefined;
}

describe('mutation check: the tests fail when a policy reopens a hole', () => {
  test.each(MUTATIONS)('%s', async (_name, mutate) => {
    // GIVEN the synthesized policies, weakened
    const mutated = lakeSimulator.withPolicies(mutate);
    expect(mutated.policies).not.toEqual(lakeSimulator.policies);

    // WHEN the matrix runs against them, as a whole and layer by layer
    const opened = await firstOpenedCase(mutated);

    // THEN an expected denial is now allowed
    expect(opened).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------
// The data perimeter: other principals of the account
// ---------------------------------------------------------------------------------------------

// GIVEN a lake with a message reader named at construction and one granted later, beside an
// administrator role of the account with s3:* and kms:* on everything
const perimeterStack = new Stack(newApp(), 'Lake', { env: { account: SIMULATED_DEPLOYMENT.account, region: SIMULATED_DEPLOYMENT.region } });
const trustedByTheAccount = () => new iam.AccountRootPrincipal();
const namedReader = new iam.Role(perimeterStack, 'Pipeline', { assumedBy: trustedByTheAccount() });
const laterReader = new iam.Role(perimeterStack, 'Analytics', { assumedBy: trustedByTheAccount() });
const administrator = new iam.Role(perimeterStack, 'Administrator', { assumedBy: trustedByTheAccount() });
administrator.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*', 'kms:*'], resources: ['*'] }));
const perimeterLake = new HealthDataLake(perimeterStack, 'HealthDataLake', { messageReaders: [namedReader] });
perimeterLake.grantReadMessages(laterReader);
const sessionsOf = (role?: iam.IRole) => LakePolicySimulator.fromStack(perimeterStack, perimeterLake, { caller: role });

const OBJECT_OF_A = { key: 'A/msg1', source: 'A' };
/** A request of a role without principal tags; from outside any VPC endpoint unless the context says otherwise. */
function outsideRequest(action: string, resource: string, context: Record<string, string | string[] | undefined> = {}): SimulationRequest {
  return { action, resource, context: { 'aws:SourceVpce': undefined, ...context } };
}
const onObject = (action: string, context: Record<string, string | string[] | undefined> = {}) =>
  outsideRequest(action, objectArn(OBJECT_OF_A.key), { ...existingTags(OBJECT_OF_A.source), ...context });
const newMessage = (key: string) => outsideRequest('s3:PutObject', objectArn(key), {
  ...LAKE_KEY_ENCRYPTION, 's3:if-none-match': '*', ...requestTags(MESSAGE_TAGS('A')),
});
const keyUse = (action: string, context: Record<string, string>) => ({ action, resource: keyArn, context });
const THROUGH_S3 = { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': bucketArn };

const PERIMETER_CASES: Array<[string, LakePolicySimulator, Array<[string, Expectation, SimulationRequest]>]> = [
  ['another role of the account with s3:* and kms:* on everything', sessionsOf(administrator), [
    ['reads A/msg1', 'ExplicitlyDenied', onObject('s3:GetObject')],
    ['reads A/msg1 through the lake\'s S3 endpoint', 'ExplicitlyDenied', onObject('s3:GetObject', { 'aws:SourceVpce': SIMULATED_DEPLOYMENT.s3EndpointId })],
    ['reads an old version of A/msg1', 'ExplicitlyDenied', onObject('s3:GetObjectVersion')],
    ['reads the tags of A/msg1', 'ExplicitlyDenied', onObject('s3:GetObjectTagging')],
    ['stores A/new tagged source=A', 'ExplicitlyDenied', newMessage('A/new')],
    ['tags the untagged A/untagged', 'ExplicitlyDenied', outsideRequest('s3:PutObjectTagging', objectArn('A/untagged'), requestTags(MESSAGE_TAGS('A')))],
    ['deletes A/msg1', 'ExplicitlyDenied', outsideRequest('s3:DeleteObject', objectArn('A/msg1'))],
    ['decrypts with the data key directly', 'ExplicitlyDenied', keyUse('kms:Decrypt', { 'kms:EncryptionContext:aws:s3:arn': bucketArn })],
    ['decrypts with the data key through S3', 'ExplicitlyDenied', keyUse('kms:Decrypt', THROUGH_S3)],
    ['generates a data key through S3', 'ExplicitlyDenied', keyUse('kms:GenerateDataKey', THROUGH_S3)],
    // Break-glass: administration stays with the account, so an administrator can change both policies.
    ['changes the key policy of the data key', 'Allowed', keyUse('kms:PutKeyPolicy', {})],
    ['changes the bucket policy', 'Allowed', outsideRequest('s3:PutBucketPolicy', bucketArn)],
    // Keys (institute and message id) are not message content: listing stays with IAM.
    ['lists the bucket', 'Allowed', outsideRequest('s3:ListBucket', bucketArn)],
  ]],
  ...([['a message reader named in messageReaders', namedReader], ['a message reader granted after construction (grantReadMessages)', laterReader]] as const)
    .map(([name, role]): [string, LakePolicySimulator, Array<[string, Expectation, SimulationRequest]>] => [name, sessionsOf(role), [
      ['reads A/msg1 (institute A)', 'Allowed', onObject('s3:GetObject')],
      ['reads B/msg1 (institute B)', 'Allowed', outsideRequest('s3:GetObject', objectArn('B/msg1'), existingTags('B'))],
      ['decrypts with the data key through S3, for this bucket', 'Allowed', keyUse('kms:Decrypt', THROUGH_S3)],
      ['decrypts with the data key directly', 'Denied', keyUse('kms:Decrypt', { 'kms:EncryptionContext:aws:s3:arn': bucketArn })],
      ['stores A/new tagged source=A', 'ExplicitlyDenied', newMessage('A/new')],
      ['tags the untagged A/untagged', 'ExplicitlyDenied', outsideRequest('s3:PutObjectTagging', objectArn('A/untagged'), requestTags(MESSAGE_TAGS('A')))],
      ['deletes A/msg1', 'ExplicitlyDenied', outsideRequest('s3:DeleteObject', objectArn('A/msg1'))],
    ]]),
];

describe('invariant 9: the data perimeter keeps every other principal of the account away from the messages (simulated)', () => {
  describe.each(PERIMETER_CASES)('GIVEN %s', (_who, simulator, requests) => {
    test.each(requests)('WHEN it %s THEN %s', async (_what, expected, step) => {
      const outcome = await simulator.explain(step);
      expect(satisfies(expected, outcome.decision) ? expected : `${outcome.decision} (${outcome.statements.join(', ')})`).toBe(expected);
    });
  });

  test('GIVEN the same lake WHEN a message reader writes THEN the bucket policy itself refuses it, whatever its IAM policies say', async () => {
    const reader = sessionsOf(namedReader).withPolicies(broadS3Grant);
    for (const step of [newMessage('A/new'), outsideRequest('s3:DeleteObject', objectArn('A/msg1')), onObject('s3:PutObjectTagging', requestTags(MESSAGE_TAGS('B')))]) {
      expect((await reader.explain(step)).decision).toBe('ExplicitlyDenied');
    }
  });

  test('GIVEN the same lake THEN the institute role still works through the API path', async () => {
    const institute = sessionsOf();
    const writer = caller('read A + write A');
    const storeAndRead: AccessCase = {
      name: 'create and read back',
      expected: 'Allowed',
      steps: [...create(writer, 'A/new', MESSAGE_TAGS('A')), read(writer, 'A/msg1', 'A'),
        { principalTags: writer.tags, action: 'kms:GenerateDataKey', resource: keyArn, context: THROUGH_S3 }],
    };
    expect(verdict('Allowed', await outcomeOf(institute, storeAndRead))).toBe('Allowed');
  });
});

describe('the simulator work-arounds hold', () => {
  test('a context key the simulator would drop fails the simulation instead of counting as absent', async () => {
    await expect(lakeSimulator.simulate({
      principalTags: { write: 'A' },
      action: 's3:PutObjectTagging',
      resource: objectArn('A/new'),
      context: { 's3:if-none-match': '*' },
    })).rejects.toThrow(/do not apply/);
  });

  test('kms:EncryptionContext:<key> conditions are evaluated (not dropped)', async () => {
    const request = (context: string): SimulationRequest => ({
      principalTags: {},
      action: 'kms:Decrypt',
      resource: keyArn,
      context: { 'kms:ViaService': VIA_S3, 'aws:ViaAWSService': 'true', 'kms:EncryptionContext:aws:s3:arn': context },
    });
    expect(await lakeSimulator.simulate(request(bucketArn))).toBe('Allowed');
    expect(await lakeSimulator.simulate(request('arn:aws:s3:::another-bucket'))).toBe('ImplicitlyDenied');
  });
});
