/**
 * One structured log line and one count metric per request, with Powertools for AWS Lambda.
 *
 * What is logged is listed field by field below: the outcome, the error code, the institute, the
 * message type and the length of the control id. Never the message body, the token, the control id
 * itself or any other health data; the event is never logged (no `logEvent`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from './handler-environment';
import { telemetrySettingsFrom } from './handler-settings';
import type { UpstreamErrorDescription } from './upstream-errors';

/** Metrics namespace when `POWERTOOLS_METRICS_NAMESPACE` is not set. */
export const DEFAULT_METRICS_NAMESPACE = METRICS_NAMESPACE;

/** Where a handler writes its logs and metrics. */
export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * Logger and metrics of a handler, named after its lake: the construct sets the lake's name as
 * `POWERTOOLS_SERVICE_NAME` (else `defaultServiceName`), which becomes the `service` field of each
 * log line and the `service` dimension of each metric; the namespace is `POWERTOOLS_METRICS_NAMESPACE`,
 * else `HealthDataLake`. Two lakes in one account thus publish the same metrics under different
 * `service` values.
 */
export function createTelemetry(
  defaultServiceName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Telemetry {
  const { serviceName, metricsNamespace } = telemetrySettingsFrom(defaultServiceName, env);
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ serviceName, namespace: metricsNamespace }),
  };
}

/** How a request ended, in the words of the log line. */
export interface RequestOutcome {
  /** HTTP status answered. */
  readonly statusCode: number;
  /** Error code, when the request failed. */
  readonly code?: string;
  /** The count metric of this outcome, e.g. `MessagesAccepted`. */
  readonly metric: string;
  /** The caller's institute, once known. */
  readonly institute?: string;
  /** MSH-9 of the message, once parsed. */
  readonly messageType?: string;
  /** Length of MSH-10 in characters (the control id itself is not logged). */
  readonly controlIdLength?: number;
  /** Whether the answer is an HL7 acknowledgment rather than JSON. */
  readonly acknowledgment?: boolean;
  /** What a failing AWS call answered (name and HTTP status only, never its message). */
  readonly upstream?: UpstreamErrorDescription;
  /** An unexpected error: its name and stack frames only (the first stack line repeats the message). */
  readonly unexpected?: unknown;
}

const MAX_LOGGED_TEXT = 64;

function bounded(value: string | undefined): string | undefined {
  return value === undefined || value.length <= MAX_LOGGED_TEXT ? value : `${value.slice(0, MAX_LOGGED_TEXT)}...`;
}

function describeUnexpected(error: unknown): Record<string, string> {
  if (!(error instanceof Error)) {
    return { name: typeof error };
  }
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 10);
  return { name: error.name, stack: frames.map((line) => line.trim()).join(' | ') };
}

/**
 * Writes the request's log line and publishes its metric. Never throws: telemetry must not turn
 * an answered request into a failed invocation.
 */
export function recordOutcome(
  telemetry: Telemetry,
  outcome: RequestOutcome,
  startedAt: number,
  context?: Context,
): void {
  const { logger, metrics } = telemetry;
  try {
    if (context && typeof context === 'object' && typeof context.awsRequestId === 'string') {
      logger.addContext(context);
    }
    const fields = {
      outcome: outcome.code === undefined ? 'success' : 'failure',
      statusCode: outcome.statusCode,
      code: outcome.code,
      institute: bounded(outcome.institute),
      messageType: bounded(outcome.messageType),
      controlIdLength: outcome.controlIdLength,
      acknowledgment: outcome.acknowledgment,
      upstream: outcome.upstream,
      unexpected: outcome.unexpected === undefined ? undefined : describeUnexpected(outcome.unexpected),
      durationMs: Date.now() - startedAt,
    };
    if (outcome.statusCode >= 500 && outcome.upstream === undefined) {
      logger.error('Request failed unexpectedly', fields);
    } else if (outcome.statusCode >= 500) {
      logger.warn('Request failed upstream', fields);
    } else {
      logger.info('Request handled', fields);
    }
  } catch (error) {
    reportTelemetryFailure('log', error);
  }
  try {
    metrics.addMetric(outcome.metric, MetricUnit.Count, 1);
  } catch (error) {
    reportTelemetryFailure('metric', error);
  }
  try {
    metrics.publishStoredMetrics();
  } catch (error) {
    // Stored metrics that cannot be published are dropped rather than failing the request.
    reportTelemetryFailure('publish-metrics', error);
    try {
      metrics.clearMetrics();
    } catch (clearError) {
      reportTelemetryFailure('clear-metrics', clearError);
    }
  }
}

/**
 * Telemetry never fails a request, but its failures are not silent either: one line on stderr
 * (which Lambda sends to the function's log group) with the error's name only, never its message,
 * which could quote request data.
 */
export function reportTelemetryFailure(where: string, error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  process.stderr.write(`${JSON.stringify({ level: 'ERROR', message: 'Telemetry failed', where, error: name })}\n`);
}
