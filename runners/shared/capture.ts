/**
 * Bounded capture of one output stream: the first `limitBytes` bytes are kept for the record, every byte
 * goes through SHA-256 so the digest covers the full raw stream, whatever its size.
 */
import { createHash } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import type { CapturedStream } from '../../src/runner-contract.js';

/** A Writable that captures; `update()` is the same thing, synchronous, for taps that forward elsewhere. */
export class StreamCapture extends Writable {
  readonly limitBytes: number;
  #hash = createHash('sha256');
  #kept: Buffer[] = [];
  #keptBytes = 0;
  #bytes = 0;

  constructor(limitBytes: number) {
    super();
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`capture limit must be a whole number of bytes >= 0, got ${String(limitBytes)}`);
    }
    this.limitBytes = limitBytes;
  }

  /** Record one chunk. Never applies backpressure: hashing and a bounded copy are cheap enough. */
  update(chunk: Uint8Array | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#hash.update(bytes);
    this.#bytes += bytes.length;
    const room = this.limitBytes - this.#keptBytes;
    if (room > 0) {
      // Copy: the caller may reuse its buffer.
      const kept = Buffer.from(bytes.subarray(0, room));
      this.#kept.push(kept);
      this.#keptBytes += kept.length;
    }
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.update(chunk);
    callback();
  }

  /** What was captured so far; may be called before the stream ends (the digest covers the bytes seen). */
  result(): CapturedStream {
    const truncated = this.#bytes > this.#keptBytes;
    const kept = Buffer.concat(this.#kept, this.#keptBytes);
    // When cut, `stream: true` drops a character split by the limit instead of emitting U+FFFD for it.
    const text = new TextDecoder('utf-8', { fatal: false }).decode(kept, { stream: truncated });
    return { text, bytes: this.#bytes, truncated, sha256: this.#hash.copy().digest('hex') };
  }
}

/** A capture keeping at most `limitBytes` bytes of text and hashing everything. */
export function createCapture(limitBytes: number): StreamCapture {
  return new StreamCapture(limitBytes);
}

/** A running copy of a source into a capture and a full-stream sink. */
export interface Tee {
  /** Resolves when the source has ended, closed or failed (never rejects). */
  readonly done: Promise<void>;
  /** True once the source has ended or closed. */
  readonly finished: boolean;
  /**
   * Stop copying: later bytes are read and discarded, so a writer that outlives the step never blocks or
   * gets EPIPE while this process lives. The source no longer keeps the event loop alive.
   */
  detach(): void;
}

/**
 * Copy `source` into `capture` and `sink` (which is never ended: the caller owns it) with backpressure
 * from the sink. A failing sink is dropped, not fatal: the capture and its digest stay complete.
 */
export function teeInto(source: Readable, capture: StreamCapture, sink: Writable): Tee {
  let attached = true;
  let finished = false;
  let sinkUsable = true;
  const resumeSource = (): void => {
    source.resume();
  };
  const dropSink = (): void => {
    sinkUsable = false;
    resumeSource();
  };
  sink.once('error', dropSink);

  const done = new Promise<void>((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      sink.off('error', dropSink);
      resolve();
    };
    source.on('data', (chunk: Buffer | string) => {
      if (!attached) return;
      capture.update(chunk);
      if (!sinkUsable || sink.destroyed || sink.writableEnded) return;
      if (!sink.write(chunk)) {
        source.pause();
        sink.once('drain', resumeSource);
      }
    });
    source.once('end', finish);
    source.once('close', finish);
    // Kept for the stream's life: a late error on a detached pipe must not become an uncaught exception.
    source.on('error', finish);
  });

  return {
    done,
    get finished() {
      return finished;
    },
    detach() {
      attached = false;
      sink.off('drain', resumeSource);
      sink.off('error', dropSink);
      source.resume();
      // Pipes and sockets expose unref(); other streams hold no handle.
      (source as Readable & { unref?: () => void }).unref?.();
    },
  };
}
