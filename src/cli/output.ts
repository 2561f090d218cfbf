/**
 * Results on stdout (a table or text for people, JSON for scripts) and progress on stderr.
 */
import Table from 'cli-table3';
import type { CliIo, OutputWriter, ProgressReporter } from './context';

/** A plain table (no colours: the same text in a terminal, a pipe and a log). */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({ head: [...head], style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

export function outputWriter(io: CliIo, json: () => boolean): OutputWriter {
  return {
    get json() {
      return json();
    },
    result(value: unknown, human: string) {
      io.stdout(json() ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
    },
    note(text: string) {
      io.stderr(`${text}\n`);
    },
  };
}

/** Shows a step on stderr only when it takes longer than `delayMs`, so quick commands stay quiet. */
export function progressReporter(io: CliIo, delayMs = 1000): ProgressReporter {
  return {
    async step<T>(message: string, work: () => Promise<T>): Promise<T> {
      let shown = false;
      const timer = setTimeout(() => {
        shown = true;
        io.stderr(`${message} ...`);
      }, delayMs);
      try {
        const result = await work();
        if (shown) io.stderr(' done\n');
        return result;
      } catch (error) {
        if (shown) io.stderr(' failed\n');
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
