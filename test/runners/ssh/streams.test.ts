import type { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLinePrefixer } from '../../../runners/ssh/line-prefix.js';
import { createMarkerFilter } from '../../../runners/ssh/marker-filter.js';
import type { RemoteProcess } from '../../../runners/ssh/remote-command.js';
import { MemorySink } from '../attempt-context.js';

/** Feed `data` to `stream` cut at `cuts`, end it, and return everything it produced. */
async function feed(stream: NodeJS.ReadWriteStream, data: Buffer, cuts: number[]): Promise<Buffer> {
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => stream.on('end', resolve));
  let start = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < data.length)].sort((a, b) => a - b)) {
    stream.write(data.subarray(start, cut));
    start = cut;
  }
  stream.end(data.subarray(start));
  await done;
  return Buffer.concat(out);
}

describe('the marker filter', () => {
  it('removes the marker line wherever the chunks are cut, keeping everything else byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), fc.string({ maxLength: 300 }), fc.array(fc.nat(400)), async (before, after, cuts) => {
        const noise = before.replaceAll('\n', ' ');
        const prefix = noise === '' ? '' : `${noise}\n`;
        const data = Buffer.from(`${prefix}drillbook:00ff00ff00ff00ff 4242 4242 99\n${after}`);
        let seen: RemoteProcess | undefined;
        const out = await feed(createMarkerFilter('00ff00ff00ff00ff', (p) => (seen = p)), data, cuts);
        expect(out.toString()).toBe(prefix + after);
        expect(seen).toEqual({ pid: 4242, pgid: 4242, startTime: '99' });
      }),
    );
  });

  it('passes a stream without the marker through untouched', async () => {
    let seen = false;
    const out = await feed(createMarkerFilter('00ff00ff00ff00ff', () => (seen = true)), Buffer.from('sudo: a password is required\nno newline'), [5]);
    expect(out.toString()).toBe('sudo: a password is required\nno newline');
    expect(seen).toBe(false);
  });
});

describe('the line prefixer of group logs', () => {
  it('prefixes every line once, across chunks, and ends a last partial line', async () => {
    const sink = new MemorySink();
    const prefixer: Writable = createLinePrefixer('[h1] ', sink);
    prefixer.write('one\ntw');
    prefixer.write('o\n\nthr');
    await new Promise<void>((resolve) => prefixer.end('ee', resolve));
    expect(sink.bytes().toString()).toBe('[h1] one\n[h1] two\n[h1] \n[h1] three\n');
  });
});
