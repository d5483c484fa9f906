/** Per-attempt log files in the bundle: the full streams, secrets redacted, opened only when data arrives. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable, type Transform } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface StepLog {
  /** Where the runner writes. */
  sink: Writable;
  /** Bundle-relative path, when anything was written. */
  close(): Promise<string | undefined>;
}

export function openStepLog(bundleDir: string, relativePath: string, redact: Transform): StepLog {
  let file: WriteStream | undefined;
  redact.on('data', (chunk: Buffer) => {
    if (!file) {
      const path = join(bundleDir, relativePath);
      mkdirSync(dirname(path), { recursive: true });
      file = createWriteStream(path, { flags: 'wx' });
    }
    file.write(chunk);
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      redact.write(chunk, callback);
    },
  });
  return {
    sink,
    async close() {
      sink.end();
      await finished(sink).catch(() => undefined);
      redact.end();
      await finished(redact).catch(() => undefined);
      if (!file) return undefined;
      file.end();
      await finished(file);
      return relativePath;
    },
  };
}
