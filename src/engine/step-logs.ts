/**
 * Per-attempt log files in the bundle: the full streams, secrets redacted, opened only when data arrives,
 * never through a link or over an existing file. A write the storage refuses stops the log (what was
 * written stays), is reported once, and the log's record says it is incomplete.
 */
import { constants, createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { RedactingStream } from '../redacting-stream.js';
import { finished } from 'node:stream/promises';
import type { WriteFailureGuard } from './write-failure.js';

export interface StepLogResult {
  /** Bundle-relative path, when anything was written. */
  path?: string;
  /** Hex SHA-256 and size of the stored (redacted) log. */
  sha256?: string;
  bytes?: number;
  /** A secret was redacted from the stream: the stored log differs from what the step printed. */
  redacted?: boolean;
  /** Why the log is incomplete (the storage refused a write). */
  error?: string;
}

export interface StepLog {
  /** Where the runner writes. */
  sink: Writable;
  close(): Promise<StepLogResult>;
}

const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function openStepLog(bundleDir: string, relativePath: string, redact: RedactingStream, guard?: WriteFailureGuard): StepLog {
  let file: WriteStream | undefined;
  let error: string | undefined;
  // Hashed as written, so the record can name the stored log's digest (and sealing can see it unchanged).
  const hash = createHash('sha256');
  let bytes = 0;
  const fail = (cause: unknown): void => {
    if (error !== undefined) return;
    error = (cause as NodeJS.ErrnoException).code ?? String(cause);
    guard?.report(cause, `writing ${relativePath}`);
  };
  redact.on('data', (chunk: Buffer) => {
    if (error !== undefined) return;
    if (!file) {
      const path = join(bundleDir, relativePath);
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (cause) {
        fail(cause);
        return;
      }
      let fd: number;
      try {
        fd = openSync(path, createFlags, 0o644);
      } catch (cause) {
        fail(cause);
        return;
      }
      file = createWriteStream('', { fd });
      file.on('error', fail);
    }
    hash.update(chunk);
    bytes += chunk.length;
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
      if (!file) return error === undefined ? {} : { error };
      file.end();
      await finished(file).catch(fail);
      return {
        path: relativePath,
        ...(error !== undefined ? { error } : { sha256: hash.digest('hex'), bytes }),
        ...(redact.redactions > 0 ? { redacted: true } : {}),
      };
    },
  };
}
