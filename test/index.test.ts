import * as publicApi from '../src';

describe('GIVEN the package entry point', () => {
  test('THEN it exports only what a user configures: the construct, its props enum (no Lambda function classes)', () => {
    // Every export becomes jsii public API, documented in API.md and generated for Python.
    expect(Object.keys(publicApi).sort()).toEqual(['HealthDataLake', 'PrincipalTagMappingMethod']);
  });
});
