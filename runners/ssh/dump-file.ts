/**
 * The local file a dump streams into: written under a temporary name beside its destination, hashed,
 * counted and its head kept in the same pass, and put in place only by `commit()` (after an fsync), so a
 * cut or failed dump never appears under the real name. Without `overwrite`, the commit is a hard link,
 * which refuses to replace a file that appeared meanwhile.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { sniffBytes } from '../../src/runner-contract.js';
import { createNewFile } from '../shared/safe-files.js';
import { StepError } from '../shared/step-error.js';

/** Bytes the sink buffers before it asks the channel to wait: bursts over a fast link do not stall it. */
const bufferBytes = 4 * 1024 * 1024;

export interface Written {
  bytes: number;
  sha256: string;
  /** The first `sniffBytes` bytes (fewer when the dump is shorter), for the format. */
  head: Uint8Array;
}

export interface DumpFile {
  /** Where the command's standard output goes; ended by `finish()`. */
  readonly sink: Writable;
  /** Flush what the sink holds and close the file (fsync'd with `sync`). Throws DUMP_WRITE_FAILED. */
  finish(sync: boolean): Promise<Written>;
  /** Move the finished file into place. Throws DUMP_FILE_EXISTS or DUMP_WRITE_FAILED, the temporary file then removed. */
  place(): Promise<void>;
  /** Remove the temporary file. Never throws. */
  discard(): Promise<void>;
}

class HashingFileSink extends Writable {
  readonly #file: FileHandle;
  readonly #hash = createHash('sha256');
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #bytes = 0;
  error: Error | undefined;

  constructor(file: FileHandle) {
    super({ highWaterMark: bufferBytes });
    this.#file = file;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    void this.#append(chunk).then(
      () => callback(),
      (error: unknown) => {
        this.error ??= error instanceof Error ? error : new Error(String(error));
        callback(this.error);
      },
    );
  }

  async #append(chunk: Buffer): Promise<void> {
    const { bytesWritten } = await this.#file.write(chunk);
    if (bytesWritten !== chunk.length) throw new Error(`short write (${bytesWritten} of ${chunk.length} bytes): is the disk full?`);
    // Counted once on disk, so the digest never covers a byte the file lacks.
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    const room = sniffBytes - this.#headBytes;
    if (room > 0) {
      const kept = Buffer.from(chunk.subarray(0, room));
      this.#head.push(kept);
      this.#headBytes += kept.length;
    }
  }

  written(): Written {
    return { bytes: this.#bytes, sha256: this.#hash.copy().digest('hex'), head: Buffer.concat(this.#head, this.#headBytes) };
  }
}

/**
 * Open the temporary file beside `path`, in a folder the caller checked (prepareDestination), created new
 * and 0600: a dump is as sensitive as its database. `label` names the file in messages (the path as the
 * scenario wrote it).
 */
export async function openDumpFile(path: string, options: { overwrite: boolean; label: string }): Promise<DumpFile> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  const file = await createNewFile(temp);
  const sink = new HashingFileSink(file);
  // The tee drops a failing sink; finish() reports the error, so the event needs no other listener.
  sink.on('error', () => undefined);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await file.close();
  };

  const moveIntoPlace = async (): Promise<void> => {
    if (options.overwrite) return rename(temp, path);
    try {
      await link(temp, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new StepError('DUMP_FILE_EXISTS', `${options.label} appeared while the dump ran (set overwrite: true to replace it)`);
      // A file system without hard links: no atomic no-replace, the check before the run has to do.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
      return rename(temp, path);
    }
    await unlink(temp);
  };

  const discard = async (): Promise<void> => {
    sink.destroy();
    await close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
  };

  const writeFailed = (error: unknown): StepError =>
    error instanceof StepError ? error : new StepError('DUMP_WRITE_FAILED', `writing ${options.label} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });

  return {
    sink,
    async finish(sync) {
      try {
        if (sink.error) throw sink.error;
        sink.end();
        await finished(sink);
        if (sync) await file.sync();
        await close();
        return sink.written();
      } catch (error) {
        throw writeFailed(sink.error ?? error);
      }
    },
    async place() {
      try {
        await moveIntoPlace();
      } catch (error) {
        await discard();
        throw writeFailed(error);
      }
    },
    discard,
  };
}
