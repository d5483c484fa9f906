import type { Readable, Writable } from 'node:stream';
import { revealInvisible } from '../visible-text.js';
/** What a command may touch of the terminal. Commands return an exit code; only cli/index.ts exits. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is an interactive terminal (live progress, colours). */
  isTTY: boolean;
  /** Ask a yes/no question on the terminal; undefined when there is no terminal to ask on. */
  confirm?(question: string): Promise<boolean>;
  /** The interactive terminal itself, for a prompt that stays up while the run goes on; undefined without one. */
  terminal?: { input: Readable; output: Writable };
}

/**
 * The process's own streams. A terminal that went away (SIGHUP, a dropped ssh session) or a closed pipe
 * makes writes fail: output is then dropped, so the run still reaches its cleanup and its record.
 */
export function processIo(): CliIo {
  const writer = (stream: NodeJS.WriteStream): ((text: string) => void) => {
    let gone = false;
    stream.on('error', () => {
      gone = true;
    });
    return (text) => {
      if (gone) return;
      try {
        stream.write(text);
      } catch {
        gone = true;
      }
    };
  };
  return { stdout: writer(process.stdout), stderr: writer(process.stderr), isTTY: Boolean(process.stdout.isTTY) };
}

/**
 * `io` with every line passed through `redact` first, and controls shown as `<U+…>`: what a run prints can
 * never show its secrets, and output a step produced cannot drive the terminal (escape sequences, bidi).
 */
export function redactingIo(io: CliIo, redact: (text: string) => string): CliIo {
  const safe = (text: string): string => revealInvisible(redact(text));
  return { ...io, stdout: (text) => io.stdout(safe(text)), stderr: (text) => io.stderr(safe(text)) };
}
