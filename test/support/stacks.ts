import { App, Stack } from 'aws-cdk-lib';
import { HealthDataLake, HealthDataLakeProps } from '../../src';

/**
 * The context of every test app: templates that do not depend on the machine or checkout they are
 * made in, and CloudFormation's resource schemas enforced at synthesis (a schema violation fails it).
 */
export const TEST_APP_CONTEXT = {
  'aws:cdk:disable-creation-stack-traces': true,
  '@aws-cdk/core:validateAgainstDefaultRules': true,
};

/** A fresh app with the test context. */
export function newApp(): App {
  return new App({ context: TEST_APP_CONTEXT });
}

export interface LakeStack {
  readonly app: App;
  readonly stack: Stack;
  readonly lake: HealthDataLake;
}

/** GIVEN a stack in a fixed account and region with one HealthDataLake. */
export function lakeStack(props: HealthDataLakeProps = {}): LakeStack {
  const app = newApp();
  const stack = new Stack(app, 'Lake', { env: { account: '111122223333', region: 'eu-west-1' } });
  const lake = new HealthDataLake(stack, 'HealthDataLake', props);
  return { app, stack, lake };
}
