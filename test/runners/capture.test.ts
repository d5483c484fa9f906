import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createCapture, teeInto } from '../../runners/shared/capture.js';
import { MemorySink } from './attempt-context.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('createCapture', () => {
  it('keeps the first limit bytes and digests everything, as a Writable', async () => {
    const capture = createCapture(5);
    await pipeline(Readable.from([Buffer.from('hello '), Buffer.from('world')]), capture);
    expect(capture.result()).toEqual({ text: 'hello', bytes: 11, truncated: true, sha256: sha256('hello world') });
  });

  it('does not end text with half a character cut by the limit', () => {
    const capture = createCapture(3);
    capture.update('éé');
    expect(capture.result()).toEqual({ text: 'é', bytes: 4, truncated: true, sha256: sha256('éé') });
  });

  it('gives a digest of what it saw so far, and an empty capture with limit 0', () => {
    const capture = createCapture(0);
    capture.update('abc');
    expect(capture.result()).toEqual({ text: '', bytes: 3, truncated: true, sha256: sha256('abc') });
    capture.update('def');
    expect(capture.result().sha256).toBe(sha256('abcdef'));
    expect(createCapture(10).result()).toEqual({ text: '', bytes: 0, truncated: false, sha256: sha256('') });
  });

  it('copies kept bytes, so a reused buffer does not change the capture', () => {
    const capture = createCapture(10);
    const buffer = Buffer.from('abc');
    capture.update(buffer);
    buffer.write('xyz');
    expect(capture.result().text).toBe('abc');
  });
});

describe('teeInto', () => {
  it('forwards every byte to a slow sink with backpressure and never ends it', async () => {
    const whole = Buffer.alloc(1_000_000, 'q');
    const received: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1_024,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        setImmediate(callback);
      },
    });
    const capture = createCapture(4);
    const tee = teeInto(Readable.from([whole.subarray(0, 400_000), whole.subarray(400_000)]), capture, slow);
    await tee.done;
    expect(tee.finished).toBe(true);
    expect(slow.writableEnded).toBe(false);
    await new Promise<void>((resolve) => slow.write('', () => resolve()));
    expect(Buffer.concat(received).equals(whole)).toBe(true);
    expect(capture.result()).toEqual({ text: 'qqqq', bytes: 1_000_000, truncated: true, sha256: sha256(whole) });
  });

  it('keeps capturing when the sink fails', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    const capture = createCapture(100);
    const tee = teeInto(Readable.from(['one ', 'two ', 'three']), capture, broken);
    await tee.done;
    expect(capture.result()).toMatchObject({ text: 'one two three', bytes: 13 });
  });

  it('after detach, reads and discards', async () => {
    const source = new Readable({ read() {} });
    const sink = new MemorySink();
    const capture = createCapture(100);
    const tee = teeInto(source, capture, sink);
    source.push('kept');
    await new Promise((resolve) => setImmediate(resolve));
    tee.detach();
    source.push('dropped');
    source.push(null);
    await tee.done;
    expect(capture.result().text).toBe('kept');
    expect(sink.bytes().toString()).toBe('kept');
  });
});
