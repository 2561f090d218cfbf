import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..', '..');
const SIMULATOR = '@cloud-copilot/iam-simulate';

describe('GIVEN the IAM policy simulator of the report, which is AGPL-3.0', () => {
  test('WHEN the tool is bundled THEN the bundle holds none of the simulator\'s code, only the name it loads at run time', () => {
    // Built by the bundle step that `npx projen test` runs first.
    const bundle = fs.readFileSync(path.join(root, 'assets/cli/main/index.js'), 'utf8');
    const simulatorSource = fs.readFileSync(require.resolve(SIMULATOR), 'utf8')
      + fs.readdirSync(path.dirname(require.resolve(SIMULATOR)), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.js'))
        .map((file) => fs.readFileSync(path.join(path.dirname(require.resolve(SIMULATOR)), file), 'utf8')).join('\n');
    // Messages of the simulator's own code: were it bundled, they would be in the bundle.
    for (const message of ['Statement has neither Actions nor NotActions', 'Request does not have a resource']) {
      expect(simulatorSource).toContain(message);
      expect(bundle).not.toContain(message);
    }
    expect(bundle.split(SIMULATOR).length - 1).toBe(1);
  });

  test('WHEN the package is published THEN the simulator is no dependency of it: only development, and optional for package managers', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies?.[SIMULATOR]).toBeUndefined();
    expect(pkg.peerDependencies?.[SIMULATOR]).toBeUndefined();
    expect(pkg.bundledDependencies ?? []).not.toContain(SIMULATOR);
    expect(pkg.devDependencies[SIMULATOR]).toBeDefined();
    expect(pkg.peerDependenciesMeta[SIMULATOR]).toEqual({ optional: true });
    expect(pkg.license).toBe('Apache-2.0');
  });
});
