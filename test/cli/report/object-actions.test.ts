import { objectActionCatalogue } from '../../../src/cli/report/object-actions';

/*
 * The object actions the report sweeps come from the simulator's own IAM action catalogue, not
 * from a hand-picked list: the reads, writes, tags and deletes a reviewer would name are in it.
 */

describe('GIVEN the simulator\'s IAM action catalogue', () => {
  test('WHEN the object actions are generated THEN every S3 object read, write, tag and delete named by a reviewer is among them, in the right group', async () => {
    const catalogue = await objectActionCatalogue();
    const kindOf = Object.fromEntries(catalogue.objectActions.map((entry) => [entry.action, entry.kind]));

    expect(kindOf).toMatchObject({
      's3:GetObject': 'read',
      's3:GetObjectVersion': 'read',
      's3:GetObjectAttributes': 'read',
      's3:GetObjectAcl': 'read',
      's3:GetObjectTorrent': 'read',
      's3:ListMultipartUploadParts': 'read',
      's3:GetObjectTagging': 'read',
      's3:PutObject': 'write',
      's3:RestoreObject': 'write',
      's3:PutObjectAcl': 'write',
      's3:ReplicateObject': 'write',
      's3:PutObjectTagging': 'tag',
      's3:DeleteObject': 'delete',
      's3:DeleteObjectVersion': 'delete',
    });
    // More than any hand-picked list: every object action the catalogue knows, each once, sorted.
    expect(catalogue.objectActions.length).toBeGreaterThan(30);
    expect(new Set(Object.keys(kindOf)).size).toBe(catalogue.objectActions.length);
    expect(catalogue.objectActions.map((entry) => entry.action)).toEqual([...Object.keys(kindOf)].sort((a, b) => a.localeCompare(b)));
    // Bucket-level actions are not object actions.
    expect(kindOf['s3:ListBucket']).toBeUndefined();
    expect(kindOf['s3:PutBucketPolicy']).toBeUndefined();
  });

  test('WHEN the key operations are generated THEN they are the cryptographic operations, each with the key usage it needs, and no administration', async () => {
    const { keyActions } = await objectActionCatalogue();
    const usageOf = Object.fromEntries(keyActions.map((entry) => [entry.action, entry.usage]));

    expect(usageOf).toMatchObject({
      'kms:Decrypt': 'ENCRYPT_DECRYPT',
      'kms:Encrypt': 'ENCRYPT_DECRYPT',
      'kms:GenerateDataKey': 'ENCRYPT_DECRYPT',
      'kms:GenerateDataKeyWithoutPlaintext': 'ENCRYPT_DECRYPT',
      'kms:ReEncryptFrom': 'ENCRYPT_DECRYPT',
      'kms:ReEncryptTo': 'ENCRYPT_DECRYPT',
      'kms:Sign': 'SIGN_VERIFY',
      'kms:GenerateMac': 'GENERATE_VERIFY_MAC',
    });
    for (const administration of ['kms:CreateGrant', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DescribeKey']) {
      expect(usageOf[administration]).toBeUndefined();
    }
  });
});
