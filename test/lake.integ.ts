/**
 * The deployable integration test: a lake on AWS, and assertions on it of what the unit tests assume.
 *
 * `npx projen integ:lake:snapshot` synthesizes it into test/lake.integ.snapshot (committed);
 * `npx projen test` checks the snapshot is current (integ:lake:assert). `npx projen integ:lake:deploy`
 * deploys it to the account and region of the current AWS credentials, runs the assertions, and
 * destroys it again (see the README, "The integration test").
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { HealthDataLake } from '../src';

const app = new App({
  context: {
    // Templates that do not depend on the checkout they are made in (no absolute paths in traces).
    'aws:cdk:disable-creation-stack-traces': true,
    // The snapshot is the same whether the cdk CLI or the projen task synthesizes it.
    'aws:cdk:version-reporting': false,
    'aws:cdk:enable-asset-metadata': false,
    'aws:cdk:enable-path-metadata': false,
    // The assertion stack reads the lake stack's outputs: strong references, said explicitly (the
    // default otherwise warns, with a trace of absolute paths in the snapshot).
    '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  },
});
const stack = new Stack(app, 'HealthDataLakeInteg');

const lake = new HealthDataLake(stack, 'Lake', {
  // A script signs the test users in with AdminInitiateAuth, which cannot answer a TOTP challenge.
  mfa: cognito.Mfa.OFF,
  // The Essentials plan: threat protection needs the Plus plan, billed per monthly active user.
  threatProtectionMode: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT,
  // Everything the test creates goes with it (the bucket only once emptied: see the README).
  removalPolicy: RemovalPolicy.DESTROY,
  createOutputs: true,
});
Validations.of(lake.userPool).acknowledge(
  ...['AwsSolutions-COG2', 'cdk-health-data-lake:MfaNotRequired'].map((id) => ({
    id, reason: 'Integration test stack only: its users are created and signed in by the test with AdminInitiateAuth, which cannot answer a TOTP challenge; no real user or message ever enters it.',
  })),
  ...['AwsSolutions-COG8', 'cdk-health-data-lake:ThreatProtectionNotEnforced'].map((id) => ({
    id, reason: 'Integration test stack only: a handful of test sign-ins from the assertion functions; threat protection would put the pool on the Plus feature plan.',
  })),
);

// Downstream processing: the stored-message events into an encrypted queue the test reads.
const eventsKey = new kms.Key(stack, 'MessageEventsKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
const deadLetters = new sqs.Queue(stack, 'MessageEventsDeadLetters', {
  encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: eventsKey, enforceSSL: true, removalPolicy: RemovalPolicy.DESTROY,
});
const messageEvents = new sqs.Queue(stack, 'MessageEvents', {
  encryption: sqs.QueueEncryption.KMS,
  encryptionMasterKey: eventsKey,
  enforceSSL: true,
  deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
  removalPolicy: RemovalPolicy.DESTROY,
});
lake.onMessageStored('MessageStored', { target: new targets.SqsQueue(messageEvents) });

/**
 * S3 with credentials the caller got from the identity pool. An AwsApiCall always signs with the
 * assertion provider's own role (its parameters are the API's, and credentials are not one of them),
 * so this small function makes the one call the assertions cannot: GetObject signed with the
 * institute credentials, from outside the lake's VPC. It answers the S3 error name, or "Read".
 */
const outsideReader = new lambda.Function(stack, 'OutsideTheVpcReader', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  timeout: Duration.seconds(30),
  code: lambda.Code.fromInline([
    "const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');",
    'exports.handler = async (event) => {',
    '  const s3 = new S3Client({ credentials: { accessKeyId: event.accessKeyId, secretAccessKey: event.secretKey, sessionToken: event.sessionToken } });',
    '  try {',
    '    await s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: event.key }));',
    "    return { outcome: 'Read' };",
    '  } catch (error) {',
    '    return { outcome: error.name };',
    '  }',
    '};',
  ].join('\n')),
});

const integ = new IntegTest(app, 'HealthDataLakeIntegTest', {
  testCases: [stack],
  // The bucket holds the test's message: see the README for emptying it before the last destroy step.
  diffAssets: false,
});
const assertions = integ.assertions;

const password = 'Integ-Test-Passw0rd!';
const institute = { a: 'institute-a', b: 'institute-b' };

/** A user of `instituteName` (read and write), created by the administrator, and the ID token of its sign-in. */
function signedInUser(name: string, instituteName: string): string {
  const username = `${name}@example.com`;
  const create = assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminCreateUser', {
    UserPoolId: lake.userPool.userPoolId,
    Username: username,
    MessageAction: 'SUPPRESS',
    UserAttributes: [
      { Name: 'email', Value: username },
      { Name: 'email_verified', Value: 'true' },
      { Name: lake.readClaim, Value: instituteName },
      { Name: lake.writeClaim, Value: instituteName },
    ],
  });
  const setPassword = assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminSetUserPassword', {
    UserPoolId: lake.userPool.userPoolId, Username: username, Password: password, Permanent: true,
  });
  const signIn = assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminInitiateAuth', {
    UserPoolId: lake.userPool.userPoolId,
    ClientId: lake.userPoolClient.userPoolClientId,
    AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: username, PASSWORD: password },
  }, ['AuthenticationResult.IdToken']);
  Validations.of(setPassword as unknown as Construct).acknowledge({
    id: 'CloudFormation-Validate::W2501',
    reason: 'The password of a test user that exists only while the integration test stack does, and signs in to nothing else.',
  });
  create.next(setPassword).next(signIn);
  return signIn.getAttString('AuthenticationResult.IdToken');
}

const tokenOfA = signedInUser('integ-writer-a', institute.a);
const tokenOfB = signedInUser('integ-reader-b', institute.b);

// A message from sending application LAB at facility HOSPITAL_A, control id INTEG0001.
const message = [
  'MSH|^~\\&|LAB|HOSPITAL_A|LAKE|LAKE|20240101120000||ORU^R01|INTEG0001|P|2.5',
  'PID|1||TEST0001^^^HOSPITAL_A||INTEG^TEST',
].join('\r');
const messageId = Buffer.from('LAB|HOSPITAL_A|INTEG0001', 'utf8').toString('base64url');
const messagesUrl = `${lake.apiUrl}/messages`;
const bearer = (token: string) => ({ 'Authorization': `Bearer ${token}`, 'Content-Type': 'x-application/hl7-v2+er7' });

const store = assertions.httpApiCall(messagesUrl, { method: 'POST', headers: bearer(tokenOfA), body: message });
store.expect(ExpectedResult.objectLike({ status: 201 }));

const storeAgain = assertions.httpApiCall(messagesUrl, { method: 'POST', headers: bearer(tokenOfA), body: message });
storeAgain.expect(ExpectedResult.objectLike({ status: 409, body: { error: { code: 'DUPLICATE_MESSAGE' } } }));

const readBack = assertions.httpApiCall(`${messagesUrl}/${messageId}`, { headers: { Authorization: `Bearer ${tokenOfA}` } });
readBack.expect(ExpectedResult.objectLike({ status: 200 }));

const readByOtherInstitute = assertions.httpApiCall(`${messagesUrl}/${messageId}`, { headers: { Authorization: `Bearer ${tokenOfB}` } });
readByOtherInstitute.expect(ExpectedResult.objectLike({ status: 404, body: { error: { code: 'MESSAGE_NOT_FOUND' } } }));

// The token exchanged directly at the identity pool, as a user could: the credentials are those of
// the institute role, and they must not open the message outside the lake's VPC.
const region = Stack.of(stack).region;
const logins = { [`cognito-idp.${region}.amazonaws.com/${lake.userPool.userPoolId}`]: tokenOfA };
const identity = assertions.awsApiCall('CognitoIdentity', 'getId', { IdentityPoolId: lake.identityPool.identityPoolId, Logins: logins }, ['IdentityId']);
const credentials = assertions.awsApiCall('CognitoIdentity', 'getCredentialsForIdentity', {
  IdentityId: identity.getAttString('IdentityId'), Logins: logins,
}, ['Credentials.AccessKeyId', 'Credentials.SecretKey', 'Credentials.SessionToken']);
const readOutsideTheVpc = assertions.invokeFunction({
  functionName: outsideReader.functionName,
  payload: stack.toJsonString({
    accessKeyId: credentials.getAttString('Credentials.AccessKeyId'),
    secretKey: credentials.getAttString('Credentials.SecretKey'),
    sessionToken: credentials.getAttString('Credentials.SessionToken'),
    bucket: lake.bucket.bucketName,
    key: `${institute.a}/${messageId}`,
  }),
});
readOutsideTheVpc.expect(ExpectedResult.objectLike({ Payload: { outcome: 'AccessDenied' } }));

// The stored message's event reached the queue: key and size, no content.
const delivered = assertions.awsApiCall('SQS', 'receiveMessage', {
  QueueUrl: messageEvents.queueUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 1,
});
delivered.expect(ExpectedResult.objectLike({
  Messages: [{ Body: { 'detail-type': 'Object Created', 'detail': { object: { key: `${institute.a}/${messageId}` } } } }],
}));
delivered.waitForAssertions({ totalTimeout: Duration.minutes(3), interval: Duration.seconds(10) });
// The queue's key: the assertion provider decrypts what it receives.
delivered.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [eventsKey.keyArn] });

// The order the calls run in: sign in, store, duplicate, read, other institute, outside the VPC, event.
store.next(storeAgain).next(readBack).next(readByOtherInstitute).next(identity).next(credentials).next(readOutsideTheVpc).next(delivered);

// Each assertion carries a salt of the synthesis time, so that a redeployment of a standing stack runs
// it again. integ:lake:deploy always creates the stack afresh (and destroys it after), so a fixed salt
// changes nothing there, and it keeps the committed snapshot comparable.
Aspects.of(integ).add({
  visit(node: IConstruct) {
    if (node instanceof CfnResource && node.cfnResourceType.startsWith('Custom::DeployAssert')) node.addPropertyOverride('salt', 'snapshot');
  },
});
