/** What a command may touch of the terminal. Commands return an exit code; only cli/index.ts exits. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is an interactive terminal (live progress, colours). */
  isTTY: boolean;
  /** Ask a yes/no question on the terminal; undefined when there is no terminal to ask on. */
  confirm?(question: string): Promise<boolean>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
  };
}
