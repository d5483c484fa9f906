/**
 * A pass-through for one exported body: counts it, keeps its head for the format sniffer, and feeds the
 * integrity check (SHA-256, and whatever the source's facts call for) on the way, on the main thread.
 * Measured against a pool of hashing workers fed by messages (1,000 × 1 MiB from a loopback radosgw, two
 * cores): 1.5–2 s less CPU per GiB (no copies into batches, no messages, no wake-ups) and a third less
 * memory, for wall time within a second (the pool is that much faster only while the second core is free).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { sniffBytes } from '../../src/runner-contract.js';
import type { IntegrityCheck } from '../shared/s3/integrity.js';

export const streamChunkBytes = 1024 * 1024;

export class ExportTap extends Transform {
  readonly #check: IntegrityCheck;
  readonly #head: Buffer[] = [];
  #headBytes = 0;

  constructor(check: IntegrityCheck) {
    super({ highWaterMark: streamChunkBytes });
    this.#check = check;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#headBytes < sniffBytes) {
      // A copy: holding a slice would pin the whole network buffer it came from.
      const part = Buffer.from(chunk.subarray(0, sniffBytes - this.#headBytes));
      this.#head.push(part);
      this.#headBytes += part.length;
    }
    this.#check.update(chunk);
    callback(null, chunk);
  }

  get bytes(): number {
    return this.#check.bytes;
  }

  /** The first `sniffBytes` bytes (fewer for a shorter body). */
  head(): Uint8Array {
    return Buffer.concat(this.#head);
  }
}

/** One read buffer for `hashFile`: each read and its hash update run without a pause, so calls can share it. */
let readBuffer: Buffer | undefined;

/**
 * SHA-256 and size of a file. Read synchronously, 1 MiB at a time with a turn of the event loop after
 * each: a copy just written sits in the page cache, where a read costs less than the two thread hops
 * (and wake-ups) of an asynchronous one.
 */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const sha256 = createHash('sha256');
  let bytes = 0;
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      readBuffer ??= Buffer.allocUnsafeSlow(streamChunkBytes);
      const read = readSync(fd, readBuffer, 0, readBuffer.length, null);
      if (read === 0) break;
      sha256.update(readBuffer.subarray(0, read));
      bytes += read;
      await setImmediate();
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: sha256.digest('hex'), bytes };
}
