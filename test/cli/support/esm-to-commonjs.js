// Jest transform for the ECMAScript-module-only packages the operator's tool uses (commander): jest
// runs the tests as CommonJS, so these modules are turned into CommonJS with esbuild, the tool
// that bundles them for the package too.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const result = transformSync(source, { format: 'cjs', loader: 'js', target: 'node20', sourcefile: filename, sourcemap: 'inline' });
    return { code: result.code };
  },
};
