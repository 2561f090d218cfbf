/**
 * Counts in words, as the construct's refusals, the tool and the report write them: `1 second`,
 * `2 seconds`, never `1 seconds`.
 *
 * Pure: no AWS or CDK imports, so that the construct, the handlers and the bundled tool can import it.
 */

/** A count and its noun, singular for exactly one: `countOf(1, 'minute')` is `1 minute`. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
