/** Telemetry for tests: silent, or recording the metrics a handler counts. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Telemetry } from '../../../src/runtime/telemetry';

/** A logger that writes nothing and metrics that publish nothing, recording metric names. */
export function recordingTelemetry(): Telemetry & { readonly counted: string[] } {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    const metrics = new Metrics({ namespace: 'HealthDataLakeTest', serviceName: 'test' });
    const counted: string[] = [];
    const addMetric = metrics.addMetric.bind(metrics);
    metrics.addMetric = (name, unit, value, resolution) => {
      counted.push(name);
      return addMetric(name, unit, value, resolution);
    };
    return { logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }), metrics, counted };
  } finally {
    if (previous === undefined) {
      delete process.env.POWERTOOLS_METRICS_DISABLED;
    } else {
      process.env.POWERTOOLS_METRICS_DISABLED = previous;
    }
  }
}

/** Everything written to stdout, stderr or the console while `run` runs (and nothing printed). */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record as typeof process.stdout.write),
    jest.spyOn(process.stderr, 'write').mockImplementation(record as typeof process.stderr.write),
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        chunks.push(args.map(String).join(' ') + '\n');
      })),
  ];
  try {
    const result = await run();
    return { result, output: chunks.join('') };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}
