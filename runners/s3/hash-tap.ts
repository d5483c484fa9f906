/** A pass-through stream that SHA-256s and counts the bytes going through it. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashTap extends Transform {
  #hash = createHash('sha256');
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Hex digest of the bytes so far (the tap can go on). */
  digest(): string {
    return this.#hash.copy().digest('hex');
  }
}
