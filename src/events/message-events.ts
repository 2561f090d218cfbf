import { Annotations, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';

/**
 * Every message key is `<institute>/<message id>`, and neither part contains `/` (the institute
 * rule and the base64url id). Objects without a `/` in their key are not messages.
 */
export const MESSAGE_KEY_PATTERN = '*/*';

/** The warning when the lake cannot see whether the bucket the app brought sends events to EventBridge. */
export const EVENTS_OF_YOUR_BUCKET_WARNING = 'cdk-health-data-lake:MessageEventsOfYourBucket';

/**
 * Turns on EventBridge notifications of a data bucket the lake created, natively in CloudFormation
 * (`NotificationConfiguration.EventBridgeConfiguration`): no notification custom resource, no extra
 * Lambda function. Every object S3 stores then emits an `Object Created` event to the account's
 * default event bus, which costs nothing until a rule matches it.
 *
 * The bucket's notification configuration is then the stack's: `bucket.addEventNotification`
 * would replace it through CDK's notification custom resource and silently turn the events off, so
 * synthesis refuses it and says to use an EventBridge rule instead.
 */
export function sendObjectEventsToEventBridge(bucket: s3.Bucket): void {
  const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
  cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  bucket.node.addValidation({
    validate: () => bucket.node.tryFindChild('Notifications')
      ? [`HealthDataLake: bucket.addEventNotification() on the lake's data bucket (${bucket.node.path}) would replace its ` +
        'notification configuration and stop the EventBridge events of stored messages. Route the events with an ' +
        'EventBridge rule instead: lake.onMessageStored(id, { target }) (or an events.Rule on the bucket\'s Object Created events).']
      : [],
  });
}

/** Whether the bucket's CloudFormation resource, when the app created it, shows EventBridge notifications on. */
function sendsEventsToEventBridge(bucket: s3.IBucket): boolean {
  const cfnBucket = bucket.node.defaultChild;
  if (!(cfnBucket instanceof s3.CfnBucket)) return false;
  const configuration = cfnBucket.notificationConfiguration as s3.CfnBucket.NotificationConfigurationProperty | undefined;
  const eventBridge = configuration?.eventBridgeConfiguration as s3.CfnBucket.EventBridgeConfigurationProperty | undefined;
  return eventBridge !== undefined && (eventBridge.eventBridgeEnabled === undefined || eventBridge.eventBridgeEnabled === true ||
    Token.isUnresolved(eventBridge.eventBridgeEnabled));
}

/** Whether CDK's notification resource of a bucket created in the app has EventBridge turned on (`eventBridgeEnabled: true`). */
function sendsEventsThroughCdkNotifications(bucket: s3.IBucket): boolean {
  const notifications: IConstruct | undefined = bucket.node.tryFindChild('Notifications');
  // CDK keeps the setting in a private field (a plain boolean in older releases, a box with get() in newer ones).
  const setting = (notifications as unknown as { eventBridgeEnabled?: boolean | { get?: () => unknown } } | undefined)?.eventBridgeEnabled;
  return setting === true || (typeof setting === 'object' && typeof setting.get === 'function' && setting.get() === true);
}

export interface MessageStoredRuleProps {
  readonly bucket: s3.IBucket;
  /** True when the lake created the bucket (and so turned its EventBridge notifications on). */
  readonly lakeCreatedBucket: boolean;
  readonly options?: events.OnEventOptions;
  /** Where a warning about the app's own bucket is reported. */
  readonly warningScope: IConstruct;
}

/**
 * A rule on the default event bus that matches the `Object Created` events of the message keys of
 * the data bucket. It matches S3's event (source `aws.s3`, detail type `Object Created`,
 * `detail.bucket.name` the bucket, `detail.object.key` of the form `<institute>/<message id>`), merged
 * with the `eventPattern` of `options` (which can narrow it, for example to one institute's prefix).
 */
export function messageStoredRule(scope: Construct, id: string, props: MessageStoredRuleProps): events.Rule {
  const { bucket, options = {} } = props;
  if (!props.lakeCreatedBucket && !sendsEventsToEventBridge(bucket) && !sendsEventsThroughCdkNotifications(bucket)) {
    Annotations.of(props.warningScope).addWarningV2(EVENTS_OF_YOUR_BUCKET_WARNING,
      `onMessageStored('${id}'): the data bucket is the one you passed (prop bucket, ${bucket.node.path}), so the lake does not ` +
      'change its notification settings, and it cannot see that the bucket sends its events to EventBridge: without that the ' +
      'rule never fires. Turn them on (eventBridgeEnabled: true on your s3.Bucket, or "Send notifications to Amazon ' +
      'EventBridge" in the properties of an existing bucket), then acknowledge this warning: ' +
      `Validations.of(lake).acknowledge({ id: '${EVENTS_OF_YOUR_BUCKET_WARNING}', reason: '<how the bucket sends its events>' }).`);
  }
  const rule = new events.Rule(scope, id, {
    description: options.description ?? 'The health data lake stored a message (no message content in the event)',
    ruleName: options.ruleName,
    crossStackScope: options.crossStackScope,
    eventPattern: {
      ...options.eventPattern,
      source: ['aws.s3'],
      detailType: ['Object Created'],
      detail: {
        ...options.eventPattern?.detail,
        bucket: { name: [bucket.bucketName] },
        object: { key: events.Match.wildcard(MESSAGE_KEY_PATTERN), ...options.eventPattern?.detail?.object },
      },
    },
  });
  if (options.target) rule.addTarget(options.target);
  return rule;
}
