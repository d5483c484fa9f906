/**
 * The full-stream log of a group step: each host's lines, prefixed with `[host] `, so interleaved output
 * stays readable. A partial line waits for its end (at most 64 KiB, then it is cut); `end()` flushes it.
 */
import { Writable } from 'node:stream';

const maxHeldBytes = 64 * 1024;
const newline = Buffer.from('\n');

export function createLinePrefixer(prefix: string, target: Writable): Writable {
  const tag = Buffer.from(prefix);
  let held = Buffer.alloc(0);

  /** Every line of `text` with the tag in front; a last line without `\n` gets one. */
  const tagged = (text: Buffer): Buffer => {
    const parts: Buffer[] = [];
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf(10, start);
      const stop = end === -1 ? text.length : end + 1;
      parts.push(tag, text.subarray(start, stop));
      if (end === -1) parts.push(newline);
      start = stop;
    }
    return Buffer.concat(parts);
  };

  const emit = (text: Buffer, callback: (error?: Error | null) => void): void => {
    if (text.length === 0 || target.destroyed || target.writableEnded) return callback();
    if (target.write(tagged(text))) callback();
    else target.once('drain', () => callback());
  };

  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const data = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      const last = data.lastIndexOf(10);
      const cut = last !== -1 ? last + 1 : data.length >= maxHeldBytes ? data.length : 0;
      held = Buffer.from(data.subarray(cut));
      emit(data.subarray(0, cut), callback);
    },
    final(callback) {
      const rest = held;
      held = Buffer.alloc(0);
      emit(rest, callback);
    },
  });
}
