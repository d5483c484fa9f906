/** The bundle's diagnostic log: pino JSON lines into `drillbook.log`, declared secrets redacted on the way out. */
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { bundleLayout } from './evidence/bundle-files.js';
import type { Redactor } from './redact.js';

export const bundleLogFile = bundleLayout.log;

export function createLogger(bundleDir: string, redactor: Redactor, base: Record<string, unknown>, append = false): Logger {
  return pino(
    { base, hooks: { streamWrite: (line: string) => redactor.redact(line) } },
    pino.destination({ dest: join(bundleDir, bundleLogFile), sync: true, append }),
  );
}
