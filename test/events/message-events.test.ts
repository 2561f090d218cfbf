import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { HealthDataLake } from '../../src';
import { unacknowledgedFindings } from '../support/nag';
import { lakeStack, newApp } from '../support/stacks';
import { onlyResource } from '../support/template';

/** An encrypted queue with an encrypted dead-letter queue: what an app would put behind the rule. */
function encryptedQueue(stack: Stack): sqs.Queue {
  const key = new kms.Key(stack, 'MessageEventsKey', { enableKeyRotation: true });
  const deadLetters = new sqs.Queue(stack, 'MessageEventsDeadLetters', {
    encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14),
  });
  return new sqs.Queue(stack, 'MessageEvents', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
  });
}

/**
 * Whether an event matches an EventBridge pattern, for the operators the lake uses: a list of
 * literal values (any of them) and `{ wildcard }` (`*` = any characters), nested objects.
 */
function matches(pattern: Record<string, any>, event: Record<string, any>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = event?.[field];
    if (!Array.isArray(expected)) return typeof actual === 'object' && matches(expected, actual);
    return expected.some((value: any) => {
      if (typeof value === 'string') return actual === value;
      if (value.wildcard !== undefined) {
        const regex = new RegExp(`^${value.wildcard.split('*').map((part: string) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
        return typeof actual === 'string' && regex.test(actual);
      }
      throw new Error(`operator not supported by this matcher: ${JSON.stringify(value)}`);
    });
  });
}

/** An S3 event as EventBridge delivers it (fields as documented by Amazon S3). */
function s3Event(detailType: string, bucketName: string, key: string) {
  return {
    'source': 'aws.s3',
    'detail-type': detailType,
    'detail': {
      'version': '0',
      'bucket': { name: bucketName },
      'object': { key, 'size': 312, 'etag': 'd41d8cd98f00b204e9800998ecf8427e', 'version-id': 'v1', 'sequencer': '0062E99A88DC407460' },
      'request-id': 'N4N7GDK58NMKJ12R',
      'requester': '111122223333',
      'source-ip-address': '10.0.1.20',
      'reason': 'PutObject',
    },
  };
}

describe('GIVEN a HealthDataLake with its own bucket', () => {
  describe('WHEN onMessageStored is called with an encrypted SQS queue as target', () => {
    const { stack, lake } = lakeStack();
    const queue = encryptedQueue(stack);
    const rule = lake.onMessageStored('MessageStored', { target: new targets.SqsQueue(queue) });
    const template = Template.fromStack(stack);
    const bucketName = stack.resolve(lake.bucket.bucketName);
    const ruleResource = onlyResource(template, 'AWS::Events::Rule');

    test('THEN the data bucket sends its object events to EventBridge, natively (no notification custom resource)', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
      template.resourceCountIs('Custom::S3BucketNotifications', 0);
    });

    test('THEN the rule matches the Object Created events of the data bucket whose key is a message key', () => {
      expect(rule).toBeInstanceOf(events.Rule);
      expect(ruleResource.Properties.EventPattern).toEqual({
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [bucketName] }, object: { key: [{ wildcard: '*/*' }] } },
      });
      expect(ruleResource.Properties.State).toBe('ENABLED');
    });

    test('THEN the queue is the rule\'s only target, and only the events service may send to it', () => {
      expect(ruleResource.Properties.Targets).toEqual([{ Arn: stack.resolve(queue.queueArn), Id: 'Target0' }]);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Effect: 'Allow',
            Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
            Principal: { Service: 'events.amazonaws.com' },
            Resource: stack.resolve(queue.queueArn),
          })]),
        },
      });
      // The events service encrypts what it sends with the queue's key.
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['kms:GenerateDataKey*']),
          })]),
        },
      });
    });

    test('THEN exactly the stored-message events reach the target: not other keys, other buckets or other S3 events', () => {
      // The bucket name is known at deployment: give it a name for the events.
      const name = 'lake-messages-bucket';
      const pattern = JSON.parse(JSON.stringify(ruleResource.Properties.EventPattern).replace(JSON.stringify(bucketName), JSON.stringify(name)));
      expect(matches(pattern, s3Event('Object Created', name, 'institute-a/TEFCfEhPU1B8TVNHMDAwMDE'))).toBe(true);
      expect(matches(pattern, s3Event('Object Created', name, 'not-a-message'))).toBe(false);
      expect(matches(pattern, s3Event('Object Created', 'another-bucket', 'institute-a/TEFCfEhPU1B8TVNHMDAwMDE'))).toBe(false);
      expect(matches(pattern, s3Event('Object Deleted', name, 'institute-a/TEFCfEhPU1B8TVNHMDAwMDE'))).toBe(false);
      expect(matches(pattern, s3Event('Object Tags Added', name, 'institute-a/TEFCfEhPU1B8TVNHMDAwMDE'))).toBe(false);
      expect(matches(pattern, { ...s3Event('Object Created', name, 'institute-a/x'), source: 'custom.app' })).toBe(false);
    });

    test('THEN cdk-nag reports no unacknowledged finding, and the data perimeter accepts the stack', () => {
      expect(unacknowledgedFindings(stack)).toEqual([]);
      expect(lake.node.validate()).toEqual([]);
    });
  });

  describe('WHEN the app narrows the rule to one institute and names it', () => {
    const { stack, lake } = lakeStack();
    lake.onMessageStored('InstituteA', {
      ruleName: 'institute-a-messages',
      eventPattern: { detail: { object: { key: events.Match.prefix('institute-a/') } } },
    });
    const ruleResource = onlyResource(Template.fromStack(stack), 'AWS::Events::Rule');

    test('THEN the source, detail type and bucket stay fixed, and the key is the app\'s narrower filter', () => {
      expect(ruleResource.Properties.Name).toBe('institute-a-messages');
      expect(ruleResource.Properties.EventPattern).toEqual({
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [stack.resolve(lake.bucket.bucketName)] }, object: { key: [{ prefix: 'institute-a/' }] } },
      });
    });
  });

  describe('WHEN the app adds an S3 event notification to the lake\'s bucket', () => {
    const { app, stack, lake } = lakeStack();
    const queue = encryptedQueue(stack);
    const destination = { bind: () => ({ arn: queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE }) };
    (lake.bucket as s3.Bucket).addEventNotification(s3.EventType.OBJECT_CREATED, destination);

    test('THEN synthesis fails and says to use an EventBridge rule, since the notification would turn the events off', () => {
      expect(() => app.synth()).toThrow(/bucket\.addEventNotification\(\) on the lake's data bucket .* would replace its notification configuration.*lake\.onMessageStored/s);
    });
  });
});

describe('GIVEN a HealthDataLake with a bucket the app passed', () => {
  const env = { account: '111122223333', region: 'eu-west-1' };
  const warning = 'cdk-health-data-lake:MessageEventsOfYourBucket';

  test('WHEN the bucket is imported and onMessageStored is called THEN synthesis warns that the rule fires only once the bucket sends events to EventBridge', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    const bucket = s3.Bucket.fromBucketName(stack, 'Imported', 'existing-messages');
    const lake = new HealthDataLake(stack, 'HealthDataLake', { bucket, encryptionKey: kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
    lake.onMessageStored('MessageStored');
    Annotations.fromStack(stack).hasWarning('/Lake/HealthDataLake', Match.stringLikeRegexp(
      `onMessageStored\\('MessageStored'\\): the data bucket is the one you passed.*eventBridgeEnabled: true.*${warning}`));
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 1);
  });

  test('WHEN the bucket is imported and the app acknowledges the warning THEN no warning is left', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    const bucket = s3.Bucket.fromBucketName(stack, 'Imported', 'existing-messages');
    const lake = new HealthDataLake(stack, 'HealthDataLake', { bucket, encryptionKey: kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
    lake.onMessageStored('MessageStored');
    Validations.of(lake).acknowledge({ id: warning, reason: 'EventBridge notifications are on in the bucket properties.' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('onMessageStored'));
  });

  test.each([
    ['eventBridgeEnabled: true (CDK\'s notification resource)', (stack: Stack, key: kms.Key) =>
      new s3.Bucket(stack, 'Messages', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, eventBridgeEnabled: true })],
    ['EventBridgeConfiguration set on the CloudFormation bucket', (stack: Stack, key: kms.Key) => {
      const bucket = new s3.Bucket(stack, 'Messages', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
      (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
      return bucket;
    }],
  ])('WHEN the app\'s bucket has %s THEN onMessageStored does not warn and leaves the bucket\'s settings alone', (_, makeBucket) => {
    const stack = new Stack(newApp(), 'Lake', { env });
    const bucket = makeBucket(stack, new kms.Key(stack, 'Key'));
    const before = JSON.stringify(stack.resolve((bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration));
    const lake = new HealthDataLake(stack, 'HealthDataLake', { bucket });
    lake.onMessageStored('MessageStored');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('onMessageStored'));
    expect(JSON.stringify(stack.resolve((bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration))).toBe(before);
  });

  test('WHEN the app\'s bucket does not send events to EventBridge THEN onMessageStored warns and does not turn them on', () => {
    const stack = new Stack(newApp(), 'Lake', { env });
    const bucket = new s3.Bucket(stack, 'Messages', { encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(stack, 'Key') });
    const lake = new HealthDataLake(stack, 'HealthDataLake', { bucket });
    lake.onMessageStored('MessageStored');
    Annotations.fromStack(stack).hasWarning('/Lake/HealthDataLake', Match.stringLikeRegexp('cannot see that the bucket sends its events to EventBridge'));
    expect((bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration).toBeUndefined();
  });
});
