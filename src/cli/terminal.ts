/**
 * What the tool reads besides its arguments: secrets from environment variables, from stdin or from
 * a prompt on the terminal, and the clock. Secrets never come from the command line, where other
 * users of the machine and the shell's history see them.
 */
import { createInterface } from 'node:readline';

export interface Terminal {
  /** The environment variables (`--password-env NAME` and the like read them). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether a person can be asked: stdin is a terminal. */
  readonly interactive: boolean;
  /** The next line of stdin (without its line end), or undefined at its end. */
  readLine(): Promise<string | undefined>;
  /**
   * Asks a person on the terminal (the question on stderr) and gives the answer; a secret answer is
   * not echoed.
   */
  ask(question: string, secret: boolean): Promise<string>;
  now(): Date;
}

/** The process's own terminal: its environment, stdin and clock. */
export function processTerminal(): Terminal {
  let lines: AsyncIterator<string> | undefined;
  const stdinLines = () => (lines ??= createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]());
  return {
    env: process.env,
    interactive: process.stdin.isTTY === true,
    async readLine() {
      const next = await stdinLines().next();
      return next.done ? undefined : next.value;
    },
    ask(question, secret) {
      return new Promise((resolve) => {
        const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
        if (secret) {
          // Echo nothing of what is typed (readline writes each key through _writeToOutput).
          const quiet = prompt as unknown as { _writeToOutput: (text: string) => void };
          const write = quiet._writeToOutput.bind(prompt);
          quiet._writeToOutput = (text) => { if (text.startsWith(question) || text === '\r\n' || text === '\n') write(text); };
        }
        prompt.question(question, (answer) => {
          prompt.close();
          resolve(answer);
        });
      });
    },
    now: () => new Date(),
  };
}
