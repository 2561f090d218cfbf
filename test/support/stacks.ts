import { App, Stack } from 'aws-cdk-lib';
import { HealthDataLake, HealthDataLakeProps } from '../../src';

/** A fresh app whose templates do not depend on the machine or checkout they are made in. */
export function newApp(): App {
  return new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
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
