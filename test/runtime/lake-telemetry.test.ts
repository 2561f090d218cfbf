/**
 * Two lakes in one account: each handler's log lines and metrics carry its own lake's name, taken
 * from the environment the construct really synthesizes for it.
 */
import { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { getMessage, postMessage } from './support/api-events';
import { identityPoolIssuing } from './support/aws-doubles';
import { useHandlerEnvironment } from './support/handler-environment';
import { admitMessage, CONTROL_ID } from './support/hl7-messages';
import { captureOutput } from './support/telemetry';
import { HealthDataLake } from '../../src';
import { createIngestHandler } from '../../src/runtime/ingest.lambda';
import { messageIdFor } from '../../src/runtime/message-key';
import { createReadHandler } from '../../src/runtime/read.lambda';
import { newApp } from '../support/stacks';

const s3 = mockClient(S3Client);
const cognito = mockClient(CognitoIdentityClient);

useHandlerEnvironment();

beforeEach(() => {
  s3.reset();
  cognito.reset();
  identityPoolIssuing(cognito);
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => admitMessage() } } as any);
});

afterAll(() => {
  s3.restore();
  cognito.restore();
});

/** GIVEN one stack with two lakes: the telemetry variables each lake's handlers get. */
const { stack, cardiology, oncology } = (() => {
  const app = newApp();
  const clinic = new Stack(app, 'ClinicStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  return { stack: clinic, cardiology: new HealthDataLake(clinic, 'Cardiology'), oncology: new HealthDataLake(clinic, 'Oncology') };
})();
const resources = Template.fromStack(stack).toJSON().Resources;

function telemetryVariablesOf(fn: lambda.IFunction): Record<string, string> {
  const variables = resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Environment.Variables;
  return Object.fromEntries(Object.entries(variables as Record<string, unknown>)
    .filter(([name]) => name.startsWith('POWERTOOLS_'))
    .map(([name, value]) => [name, String(value)]));
}

interface Emitted {
  readonly service: unknown;
  readonly namespace: unknown;
  readonly dimensions: unknown;
  readonly dimensionValue: unknown;
}

/** Runs one request through a real handler (real Powertools logger and metrics) and reads what it wrote. */
async function emittedBy(run: () => Promise<unknown>): Promise<Emitted> {
  const { output } = await captureOutput(run);
  const lines = output.split('\n').filter((line) => line.trim().length > 0).map((line) => JSON.parse(line));
  const request = lines.find((line) => line.message === 'Request handled');
  const emf = lines.find((line) => line._aws !== undefined);
  const directive = emf._aws.CloudWatchMetrics[0];
  return { service: request.service, namespace: directive.Namespace, dimensions: directive.Dimensions, dimensionValue: emf.service };
}

describe.each([
  ['ingest', (lake: HealthDataLake) => lake.ingestFunction, () => createIngestHandler()(postMessage(admitMessage()))],
  ['read', (lake: HealthDataLake) => lake.readFunction, () => createReadHandler()(getMessage(messageIdFor(CONTROL_ID)))],
] as const)('GIVEN two lakes in one stack WHEN their %s handlers handle a request', (_, functionOf, request) => {
  async function emittedByHandlerOf(lake: HealthDataLake): Promise<Emitted> {
    Object.assign(process.env, telemetryVariablesOf(functionOf(lake)));
    return emittedBy(request);
  }

  test('THEN each handler\'s log line and metric name its own lake: service field and service dimension, one HealthDataLake namespace', async () => {
    const fromCardiology = await emittedByHandlerOf(cardiology);
    const fromOncology = await emittedByHandlerOf(oncology);

    expect(fromCardiology).toEqual({
      service: 'ClinicStack-Cardiology',
      namespace: 'HealthDataLake',
      dimensions: [['service']],
      dimensionValue: 'ClinicStack-Cardiology',
    });
    expect(fromOncology).toEqual({
      service: 'ClinicStack-Oncology',
      namespace: 'HealthDataLake',
      dimensions: [['service']],
      dimensionValue: 'ClinicStack-Oncology',
    });
  });
});
