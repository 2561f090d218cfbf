import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The handlers bundled at build time into `assets/runtime/<name>.lambda/index.js` (see .projenrc.ts). */
export type HandlerName = 'ingest' | 'read';

/**
 * A Lambda function that runs one of the prebuilt handler bundles shipped in the package, so that
 * consumers never bundle anything at synth. Internal: it is not exported, the construct exposes
 * the functions as `lambda.IFunction`.
 */
export class HandlerFunction extends lambda.Function {
  constructor(scope: Construct, id: string, handler: HandlerName, options: lambda.FunctionOptions) {
    super(scope, id, {
      ...options,
      // The runtime the bundles target (esbuild `--target=node24`), pinned so that the template does
      // not depend on a runtime lookup at synth. Named by its id rather than `Runtime.NODEJS_24_X` so
      // that older aws-cdk-lib releases, which lack that constant, synthesize the same template.
      runtime: new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS),
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'runtime', `${handler}.lambda`)),
    });
    // HTTP keep-alive between invocations for any AWS SDK v2 code (SDK v3 keeps connections alive by default).
    this.addEnvironment('AWS_NODEJS_CONNECTION_REUSE_ENABLED', '1', { removeInEdge: true });
  }
}
