/** The bundle's diagnostic log: pino JSON lines into `drillbook.log`, declared secrets redacted on the way out. */
import { closeSync, fsyncSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { bundleLayout } from './evidence/bundle-files.js';
import type { Redactor } from './redact.js';

export const bundleLogFile = bundleLayout.log;

export interface BundleLogger {
  log: Logger;
  /** fsync and close `drillbook.log`. */
  close(): void;
}

/**
 * A logger into the bundle's `drillbook.log`. Diagnostics never stop a run: a line the storage refuses is
 * dropped (and reported through `onWriteError`, once); it never throws where the log was called.
 */
export function createLogger(
  bundleDir: string,
  redactor: Redactor,
  base: Record<string, unknown>,
  append = false,
  onWriteError?: (error: unknown) => void,
): BundleLogger {
  const fd = openSync(join(bundleDir, bundleLogFile), append ? 'a' : 'wx', 0o644);
  let failed = false;
  let closed = false;
  const guarded = (action: () => void): void => {
    if (failed || closed) return;
    try {
      action();
    } catch (error) {
      failed = true;
      onWriteError?.(error);
    }
  };
  const destination = { write: (line: string) => guarded(() => writeFileSync(fd, line)) };
  // Objects are redacted as values before pino serialises them (an escaped or numeric form cannot slip
  // through); the written line is redacted once more for what only the message text carries.
  const log = pino(
    {
      base: redactor.redactJson(base) as Record<string, unknown>,
      formatters: { log: (object) => redactor.redactJson(object) as Record<string, unknown> },
      hooks: { streamWrite: (line: string) => redactor.redact(line) },
    },
    destination,
  );
  return {
    log,
    close() {
      guarded(() => fsyncSync(fd));
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
