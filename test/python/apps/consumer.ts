// The TypeScript twin of consumer.py: test:python synthesizes both and requires identical templates.
// A lake in the app's own VPC, with a message reader named in the props, one granted afterwards, and the
// stored-message events sent to a KMS-encrypted SQS queue.
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { HealthDataLake } from '../../../src';

const app = new App();
const stack = new Stack(app, 'Consumer');
const vpc = new ec2.Vpc(stack, 'Vpc', {
  natGateways: 0,
  subnetConfiguration: [
    { name: 'ingress', subnetType: ec2.SubnetType.PUBLIC },
    { name: 'lake', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  ],
});
const analytics = new iam.Role(stack, 'Analytics', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
const pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
const lake = new HealthDataLake(stack, 'Lake', {
  vpc,
  vpcSubnets: { subnetGroupName: 'lake' },
  messageReaders: [analytics],
  lakeName: 'hospital-lake',
  maxMessageBytes: 512 * 1024,
  credentialCacheTtl: Duration.seconds(30),
  tokenValidity: Duration.minutes(10),
  logRetention: logs.RetentionDays.ONE_YEAR,
  createOutputs: true,
});
lake.grantReadMessages(pipeline);

const key = new kms.Key(stack, 'EventsKey', { enableKeyRotation: true });
const deadLetters = new sqs.Queue(stack, 'EventsDlq', {
  encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true,
});
const queue = new sqs.Queue(stack, 'Events', {
  encryption: sqs.QueueEncryption.KMS,
  encryptionMasterKey: key,
  enforceSSL: true,
  deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
});
lake.onMessageStored('MessageStored', { target: new targets.SqsQueue(queue) });

app.synth();
