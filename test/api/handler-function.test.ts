import * as fs from 'fs';
import * as path from 'path';
import { lakeStack } from '../support/stacks';

/** The handler bundles built into the package by `npx projen bundle` (see .projenrc.ts). */
const bundleOf = (handler: string) => path.join(__dirname, '..', '..', 'assets', 'runtime', `${handler}.lambda`, 'index.js');

describe('GIVEN a HealthDataLake', () => {
  const { app, stack } = lakeStack();
  const assembly = app.synth();
  const assetManifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'));
  const resources = assembly.getStackArtifact(stack.artifactId).template.Resources as Record<string, { Type: string; Properties: any }>;

  /** The function behind a route key, followed route -> integration -> function. */
  const functionOf = (routeKey: string) => {
    const route = Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey === routeKey)!;
    const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
    const functionId = resources[integrationId].Properties.IntegrationUri['Fn::GetAtt'][0];
    return resources[functionId].Properties;
  };

  test.each([
    ['POST /messages', 'ingest'],
    ['GET /messages/{id}', 'read'],
  ])('WHEN %s is called THEN its function runs the prebuilt %s bundle shipped in the package', (routeKey, handler) => {
    const fn = functionOf(routeKey);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Environment.Variables.AWS_NODEJS_CONNECTION_REUSE_ENABLED).toBe('1');
    // The code asset is the bundle itself, staged as is: nothing is built at synth.
    const assetHash = String(fn.Code.S3Key).replace(/\.zip$/, '');
    const staged = path.join(assembly.directory, assetManifest.files[assetHash].source.path);
    expect(fs.readdirSync(staged)).toEqual(['index.js']);
    expect(fs.readFileSync(path.join(staged, 'index.js'), 'utf8')).toBe(fs.readFileSync(bundleOf(handler), 'utf8'));
  });
});
