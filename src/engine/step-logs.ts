/**
 * Per-attempt log files in the bundle: the streams, secrets redacted, opened only when data arrives,
 * never through a link or over an existing file. A write the storage refuses stops the log (what was
 * written stays), is reported once, and the log's record says it is incomplete. A log stops growing at
 * its limit (a step printing 400 MB must not fill the bundle's disk): the rest of the stream is still
 * hashed, the file ends with a line saying where it was cut, and the record keeps the whole stream's digest.
 */
import { constants, createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { RedactingStream } from '../redacting-stream.js';
import { finished } from 'node:stream/promises';
import { foreignFolder } from '../evidence/own-folder.js';
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
  /** The log was cut at its limit: what it keeps and what the (redacted) stream held in all. */
  truncated?: { keptBytes: number; streamBytes: number; streamSha256: string };
}

export interface StepLog {
  /** Where the runner writes. */
  sink: Writable;
  close(): Promise<StepLogResult>;
}

const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** The line that ends a cut log: it says where, so no reader takes the file for the whole stream. */
export function truncationMarker(keptBytes: number, streamBytes: number, streamSha256: string): string {
  return `\n[drillbook: log cut at ${keptBytes} of ${streamBytes} bytes (defaults.logLimit); SHA-256 of the whole stream ${streamSha256}]\n`;
}

export interface StepLogOptions {
  redact: RedactingStream;
  /** Bytes of the stream the file keeps (`Infinity`: all). */
  limitBytes: number;
  guard?: WriteFailureGuard;
}

export function openStepLog(bundleDir: string, relativePath: string, options: StepLogOptions): StepLog {
  const { redact, guard, limitBytes } = options;
  let file: WriteStream | undefined;
  let error: string | undefined;
  // Hashed as written, so the record can name the stored log's digest (and sealing can see it unchanged).
  const hash = createHash('sha256');
  let bytes = 0;
  // The whole (redacted) stream, for when the file keeps only its start.
  const streamHash = createHash('sha256');
  let streamBytes = 0;
  const fail = (cause: unknown): void => {
    if (error !== undefined) return;
    error = (cause as NodeJS.ErrnoException).code ?? String(cause);
    guard?.report(cause, `writing ${relativePath}`);
  };
  const write = (chunk: Buffer): void => {
    hash.update(chunk);
    bytes += chunk.length;
    file?.write(chunk);
  };
  redact.on('data', (chunk: Buffer) => {
    streamHash.update(chunk);
    streamBytes += chunk.length;
    const room = limitBytes - bytes;
    if (error !== undefined || room <= 0) return;
    if (!file) {
      const path = join(bundleDir, relativePath);
      try {
        // A folder on the way swapped for a symbolic link would send the log (or a new folder) out of the bundle.
        const ownFolder = (): void => {
          const foreign = foreignFolder(bundleDir, dirname(relativePath));
          if (foreign) throw Object.assign(new Error(foreign), { code: 'ELOOP' });
        };
        ownFolder();
        mkdirSync(dirname(path), { recursive: true });
        ownFolder();
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
    write(room < chunk.length ? chunk.subarray(0, room) : chunk);
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
      const cut = streamBytes > bytes && error === undefined;
      const truncated = cut ? { keptBytes: bytes, streamBytes, streamSha256: streamHash.digest('hex') } : undefined;
      if (truncated) write(Buffer.from(truncationMarker(truncated.keptBytes, truncated.streamBytes, truncated.streamSha256)));
      file.end();
      await finished(file).catch(fail);
      return {
        path: relativePath,
        ...(error !== undefined ? { error } : { sha256: hash.digest('hex'), bytes }),
        ...(redact.redactions > 0 ? { redacted: true } : {}),
        ...(truncated ? { truncated } : {}),
      };
    },
  };
}
