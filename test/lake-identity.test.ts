import { App, CfnElement, CfnParameter, Duration, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HealthDataLake } from '../src';
import { newApp } from './support/stacks';

const ENV = { account: '111122223333', region: 'eu-west-1' };

/** An app whose templates must pass CloudFormation's own schema rules (names, lengths, logical ids). */
function validatingApp(): App {
  return new App({
    context: { 'aws:cdk:disable-creation-stack-traces': true, '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
}

function clinicStack(app: App = newApp(), name = 'ClinicStack'): Stack {
  return new Stack(app, name, { env: ENV });
}

/** What the lake's handlers are told about telemetry, and the API's name, as synthesized. */
function namesIn(stack: Stack, lake: HealthDataLake) {
  const resources = Template.fromStack(stack).toJSON().Resources;
  const handler = (fn: lambda.IFunction) => resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)];
  const api = resources[stack.getLogicalId(lake.api.node.defaultChild as CfnElement)];
  return {
    services: [lake.ingestFunction, lake.readFunction].map((fn) => handler(fn).Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME),
    namespaces: [lake.ingestFunction, lake.readFunction].map((fn) => handler(fn).Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE),
    apiName: api.Properties.Name,
  };
}

describe('lake names', () => {
  test('GIVEN a lake with id Lake in stack ClinicStack WHEN synthesized THEN its name ClinicStack-Lake is both handlers\' service name and the API\'s name, in the HealthDataLake namespace', () => {
    const stack = clinicStack();
    const lake = new HealthDataLake(stack, 'Lake');

    expect(lake.lakeName).toBe('ClinicStack-Lake');
    expect(namesIn(stack, lake)).toEqual({
      services: ['ClinicStack-Lake', 'ClinicStack-Lake'],
      namespaces: ['HealthDataLake', 'HealthDataLake'],
      apiName: 'ClinicStack-Lake',
    });
  });

  test('GIVEN two lakes in one stack WHEN synthesized THEN each has its own service name and API name, in the same namespace', () => {
    const stack = clinicStack();
    const cardiology = new HealthDataLake(stack, 'Cardiology');
    const oncology = new HealthDataLake(stack, 'Oncology');

    expect(namesIn(stack, cardiology)).toEqual({
      services: ['ClinicStack-Cardiology', 'ClinicStack-Cardiology'],
      namespaces: ['HealthDataLake', 'HealthDataLake'],
      apiName: 'ClinicStack-Cardiology',
    });
    expect(namesIn(stack, oncology)).toEqual({
      services: ['ClinicStack-Oncology', 'ClinicStack-Oncology'],
      namespaces: ['HealthDataLake', 'HealthDataLake'],
      apiName: 'ClinicStack-Oncology',
    });
  });

  test('GIVEN the same lake id in two stacks of one app WHEN synthesized THEN the stack names keep the lakes apart', () => {
    const app = newApp();
    const first = new HealthDataLake(clinicStack(app, 'ClinicEu'), 'Lake');
    const second = new HealthDataLake(clinicStack(app, 'ClinicUs'), 'Lake');

    expect([first.lakeName, second.lakeName]).toEqual(['ClinicEu-Lake', 'ClinicUs-Lake']);
  });

  test.each([
    ['inside a construct', (stack: Stack) => new HealthDataLake(new Construct(stack, 'Clinic'), 'Lake'), 'ClinicStack-Clinic-Lake'],
    ['in a nested stack (named after the deployed top stack)', (stack: Stack) => new HealthDataLake(new NestedStack(stack, 'Data'), 'Lake'), 'ClinicStack-Data-Lake'],
    ['with characters other than letters and digits in its id', (stack: Stack) => new HealthDataLake(stack, 'Lake (eu) #1'), 'ClinicStack-Lake-eu-1'],
  ])('GIVEN a lake %s WHEN named THEN the name is the stack name and the path, with runs of other characters as one hyphen', (_, create, name) => {
    expect(create(clinicStack()).lakeName).toBe(name);
  });

  test('GIVEN a stack in a stage WHEN a lake is named THEN the name starts with the deployed stack name, which includes the stage', () => {
    const stage = new Stage(newApp(), 'Prod');
    const lake = new HealthDataLake(new Stack(stage, 'ClinicStack', { env: ENV }), 'Lake');

    expect(lake.lakeName).toBe('Prod-ClinicStack-Lake');
  });

  test('GIVEN a derived name longer than 64 characters WHEN named THEN it is cut to 64 with a hash of the whole, so two such lakes still differ', () => {
    const stack = clinicStack();
    const long = 'Cardiology'.repeat(7);
    const first = new HealthDataLake(stack, `${long}A`);
    const second = new HealthDataLake(stack, `${long}B`);

    for (const lake of [first, second]) {
      expect(lake.lakeName).toHaveLength(64);
      expect(lake.lakeName).toMatch(/^ClinicStack-CardiologyCardiology[A-Za-z]*-[0-9a-f]{8}$/);
    }
    expect(first.lakeName).not.toBe(second.lakeName);
    // The same path always gives the same name (it is on every metric: it must not move between deployments).
    expect(new HealthDataLake(clinicStack(), `${long}A`).lakeName).toBe(first.lakeName);
  });

  test('GIVEN lakeName WHEN synthesized THEN it is the service name and the API name', () => {
    const stack = clinicStack();
    const lake = new HealthDataLake(stack, 'Lake', { lakeName: 'cardiology-prod' });

    expect(lake.lakeName).toBe('cardiology-prod');
    expect(namesIn(stack, lake)).toEqual({
      services: ['cardiology-prod', 'cardiology-prod'],
      namespaces: ['HealthDataLake', 'HealthDataLake'],
      apiName: 'cardiology-prod',
    });
  });

  test.each(['a', '7', 'A'.repeat(64), 'cardiology-Prod-2'])('GIVEN lakeName %p (within the rule) WHEN constructed THEN it is accepted', (lakeName) => {
    expect(new HealthDataLake(clinicStack(), 'Lake', { lakeName }).lakeName).toBe(lakeName);
  });

  test.each(['', 'A'.repeat(65), '-cardiology', 'cardiology prod', 'cardiology_prod', 'cardiología'])('GIVEN lakeName %p WHEN constructed THEN synthesis fails naming the property, the value and the rule', (lakeName) => {
    expect(() => new HealthDataLake(clinicStack(), 'Lake', { lakeName })).toThrow(
      `HealthDataLake: lakeName must be 1 to 64 letters, digits and hyphens, starting with a letter or a digit; got ${JSON.stringify(lakeName)}. ` +
      'It names the lake in its logs, metrics and API; leave it out to derive one from the stack name and the construct path.');
  });

  test('GIVEN lakeName from a parameter (a token) WHEN synthesized THEN it passes through to the handlers and the API', () => {
    const stack = clinicStack();
    const lakeName = new CfnParameter(stack, 'LakeName').valueAsString;
    const lake = new HealthDataLake(stack, 'Lake', { lakeName });

    expect(namesIn(stack, lake)).toMatchObject({ services: [{ Ref: 'LakeName' }, { Ref: 'LakeName' }], apiName: { Ref: 'LakeName' } });
  });

  test('GIVEN two lakes of one stack with the same lakeName WHEN constructed THEN synthesis fails naming both lakes', () => {
    const stack = clinicStack();
    new HealthDataLake(stack, 'Cardiology', { lakeName: 'clinic' });

    expect(() => new HealthDataLake(stack, 'Oncology', { lakeName: 'clinic' })).toThrow(
      'HealthDataLake: lakeName "clinic" of the lake at \'ClinicStack/Oncology\' is already the name of the lake at ' +
      '\'ClinicStack/Cardiology\' in stack ClinicStack; their metrics and logs would mix. Give each lake its own lakeName');
  });

  test('GIVEN two lake ids that differ only in punctuation WHEN their names are derived THEN synthesis fails rather than mixing their metrics', () => {
    const stack = clinicStack();
    new HealthDataLake(stack, 'Lake 1');

    expect(() => new HealthDataLake(stack, 'Lake-1')).toThrow(/lakeName "ClinicStack-Lake-1" of the lake at 'ClinicStack\/Lake-1' is already the name of the lake at 'ClinicStack\/Lake 1'/);
  });
});

/** Every output: logical id -> description, and the values checked separately. */
const DESCRIPTIONS: Record<string, string> = {
  ApiUrl: 'Health data lake: URL of the HTTP API (POST /messages, GET /messages/{id}). Institute clients send and read HL7 v2 ' +
    'messages here with a Cognito ID token as Authorization: Bearer.',
  UserPoolId: 'Health data lake: Cognito user pool of the institute users. Administrators create users here and set their ' +
    'read and write institutes.',
  UserPoolClientId: 'Health data lake: app client (no secret) institute users sign in with. The API accepts only ID tokens ' +
    'issued to this client.',
  IdentityPoolId: 'Health data lake: Cognito identity pool that exchanges an institute user\'s ID token for credentials ' +
    'tagged with the user\'s institutes. The handlers use it on every request.',
  BucketName: 'Health data lake: S3 bucket that holds the messages, under <institute>/<message id>. Downstream pipelines ' +
    'granted with messageReaders read it.',
  LakeName: 'Health data lake: the lake\'s name, the service dimension of its metrics in the HealthDataLake namespace and ' +
    'the service field of its handler logs. Dashboards and alarms select the lake by it.',
  ReadClaim: 'Health data lake: user pool attribute (and ID-token claim) that holds the institute a user may read. ' +
    'Administrators set it when they create or change a user.',
  WriteClaim: 'Health data lake: user pool attribute (and ID-token claim) that holds the institute a user may write for. ' +
    'Administrators set it when they create or change a user.',
  RevocationDelaySeconds: 'Health data lake: seconds a handler trusts one identity-pool exchange of a caller\'s token ' +
    '(credentialCacheTtl). A user signed out globally or deleted loses API access within this time.',
};

function outputsOf(stack: Stack): Record<string, { Value: unknown; Description: string }> {
  return Template.fromStack(stack).toJSON().Outputs ?? {};
}

function expectedOutputIds(prefix: string): string[] {
  return Object.keys(DESCRIPTIONS).map((id) => `${prefix}${id}`);
}

describe('lake outputs', () => {
  test('GIVEN createOutputs on a lake with id Lake WHEN synthesized THEN nine outputs with readable ids LakeApiUrl ... and a description each', () => {
    const stack = clinicStack(validatingApp());
    const lake = new HealthDataLake(stack, 'Lake', {
      createOutputs: true,
      readAttributeName: 'reads',
      writeAttributeName: 'writes',
      credentialCacheTtl: Duration.seconds(30),
    });

    const outputs = outputsOf(stack);
    expect(Object.keys(outputs)).toEqual(expectedOutputIds('Lake'));
    for (const [id, description] of Object.entries(DESCRIPTIONS)) {
      expect(outputs[`Lake${id}`].Description).toBe(description);
      expect(outputs[`Lake${id}`].Description.length).toBeLessThanOrEqual(1024);
    }
    const ref = (construct: Construct) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as CfnElement) });
    expect(outputs.LakeUserPoolId.Value).toEqual(ref(lake.userPool));
    expect(outputs.LakeUserPoolClientId.Value).toEqual(ref(lake.userPoolClient));
    expect(outputs.LakeBucketName.Value).toEqual(ref(lake.bucket));
    expect(outputs.LakeIdentityPoolId.Value).toEqual(stack.resolve(lake.identityPool.identityPoolId));
    expect(outputs.LakeApiUrl.Value).toEqual(stack.resolve(lake.apiUrl));
    expect(outputs.LakeLakeName.Value).toBe('ClinicStack-Lake');
    expect(outputs.LakeReadClaim.Value).toBe('custom:reads');
    expect(outputs.LakeWriteClaim.Value).toBe('custom:writes');
    expect(outputs.LakeRevocationDelaySeconds.Value).toBe('30');
    // CloudFormation's own rules (logical ids, description length) pass, as errors.
    expect(() => (stack.node.root as App).synth()).not.toThrow();
  });

  test('GIVEN the defaults WHEN outputs are asked for THEN the claims are custom:read and custom:write and the revocation delay 60 seconds', () => {
    const stack = clinicStack();
    new HealthDataLake(stack, 'Lake', { createOutputs: true });

    const outputs = outputsOf(stack);
    expect([outputs.LakeReadClaim.Value, outputs.LakeWriteClaim.Value, outputs.LakeRevocationDelaySeconds.Value])
      .toEqual(['custom:read', 'custom:write', '60']);
  });

  test('GIVEN no createOutputs WHEN synthesized THEN the stack has no outputs', () => {
    const stack = clinicStack();
    new HealthDataLake(stack, 'Lake');

    expect(outputsOf(stack)).toEqual({});
  });

  test('GIVEN two lakes with outputs in one stack WHEN synthesized THEN each lake\'s outputs carry its construct id', () => {
    const stack = clinicStack(validatingApp());
    new HealthDataLake(stack, 'Cardiology', { createOutputs: true });
    new HealthDataLake(stack, 'Oncology', { createOutputs: true });

    const outputs = outputsOf(stack);
    expect(Object.keys(outputs).sort()).toEqual([...expectedOutputIds('Cardiology'), ...expectedOutputIds('Oncology')].sort());
    expect(outputs.CardiologyLakeName.Value).toBe('ClinicStack-Cardiology');
    expect(outputs.OncologyLakeName.Value).toBe('ClinicStack-Oncology');
    expect(outputs.CardiologyApiUrl.Value).not.toEqual(outputs.OncologyApiUrl.Value);
    expect(() => (stack.node.root as App).synth()).not.toThrow();
  });

  test('GIVEN a lake inside a construct WHEN outputs are asked for THEN their ids are its path in the stack without separators', () => {
    const stack = clinicStack();
    new HealthDataLake(new Construct(stack, 'Clinic-EU'), 'Lake', { createOutputs: true });

    expect(Object.keys(outputsOf(stack))).toEqual(expectedOutputIds('ClinicEULake'));
  });

  test('GIVEN unrelated constructs added before and after the lake WHEN synthesized THEN the output ids do not change', () => {
    const alone = clinicStack();
    new HealthDataLake(alone, 'Lake', { createOutputs: true });

    const crowded = clinicStack();
    new s3.Bucket(crowded, 'Reports');
    new Construct(crowded, 'Pipelines');
    new HealthDataLake(crowded, 'Lake', { createOutputs: true });
    new s3.Bucket(crowded, 'Archive');
    new HealthDataLake(crowded, 'SecondLake');

    expect(Object.keys(outputsOf(crowded))).toEqual(Object.keys(outputsOf(alone)));
    expect(Object.keys(outputsOf(crowded))).toEqual(expectedOutputIds('Lake'));
  });

  test('GIVEN two lakes whose output ids would be the same WHEN the second is constructed THEN synthesis fails naming both lakes and what to do', () => {
    const stack = clinicStack();
    new HealthDataLake(stack, 'Lake1', { createOutputs: true });

    expect(() => new HealthDataLake(stack, 'Lake-1', { createOutputs: true })).toThrow(
      'HealthDataLake: createOutputs of the lake at \'ClinicStack/Lake-1\' would give its outputs the ids ' +
      `${expectedOutputIds('Lake1').join(', ')}, which the lake at 'ClinicStack/Lake1' in the same stack already uses. ` +
      'Output ids are the lake\'s construct path in its stack without non-alphanumeric characters: give one of the lakes another construct id.');
  });

  test('GIVEN the same two lake ids with outputs on one lake only WHEN synthesized THEN nothing collides', () => {
    const stack = clinicStack();
    new HealthDataLake(stack, 'Lake1', { createOutputs: true });
    new HealthDataLake(stack, 'Lake-1');

    expect(Object.keys(outputsOf(stack))).toEqual(expectedOutputIds('Lake1'));
  });

  test('GIVEN a lake whose output ids would pass 255 characters WHEN constructed THEN synthesis fails with the id and the limit', () => {
    const id = 'L'.repeat(240);

    expect(() => new HealthDataLake(clinicStack(), id, { createOutputs: true })).toThrow(
      `HealthDataLake: createOutputs of the lake at 'ClinicStack/${id}' would give an output the id ${id}RevocationDelaySeconds, ` +
      '262 characters; CloudFormation allows 255. Give the lake (or a construct above it) a shorter construct id.');
  });
});
