/** Evidence files a runner adds to the bundle (`ctx.attach`): redacted like logs, digested when closed. */
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { AttachmentRecord } from '../evidence/run-record.js';
import { hashFile } from '../evidence/hash-file.js';
import type { Redactor } from '../redact.js';
import { openStepLog, type StepLog } from './step-logs.js';
import type { WriteFailureGuard } from './write-failure.js';

const plainName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface AttemptAttachments {
  attach(name: string): Writable;
  /** Close every attachment; the records of those that received data. */
  close(): Promise<AttachmentRecord[]>;
}

/** Attachments of one attempt, under `<base>/<name>` in the bundle. */
export function openAttachments(bundleDir: string, base: string, redactor: Redactor, guard?: WriteFailureGuard): AttemptAttachments {
  const open = new Map<string, StepLog>();
  return {
    attach(name) {
      if (!plainName.test(name)) throw new Error(`attachment name ${JSON.stringify(name)}: expected a plain file name`);
      if (open.has(name)) throw new Error(`attachment ${name} is already open`);
      // Evidence a runner chose to keep (a manifest of every object) is kept whole.
      const log = openStepLog(bundleDir, `${base}/${name}`, { redact: redactor.stream(), limitBytes: Infinity, ...(guard ? { guard } : {}) });
      open.set(name, log);
      return log.sink;
    },
    async close() {
      const records: AttachmentRecord[] = [];
      for (const [name, log] of open) {
        const { path, error } = await log.close();
        if (path === undefined) continue;
        const digest = await hashFile(join(bundleDir, path));
        records.push({ name, file: path, sha256: digest.sha256, bytes: digest.bytes, ...(error !== undefined ? { error } : {}) });
      }
      return records;
    },
  };
}
