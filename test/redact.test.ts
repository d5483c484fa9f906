import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../src/redact.js';

async function throughStream(stream: NodeJS.ReadWriteStream, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const piped = Readable.from(chunks).pipe(stream);
  for await (const chunk of piped) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

/** Cut `bytes` at the given offsets (anywhere, also inside a UTF-8 character). */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks.filter((chunk) => chunk.length > 0);
}

describe('createRedactor', () => {
  it('replaces every occurrence of every secret, the longest one first', () => {
    const redactor = createRedactor(['pass', 'password', '', 'tok.en']);
    expect(redactor.redact('password=password; pass; tok.en tokXen')).toBe('***=***; ***; *** tokXen');
    expect(redactor.containsSecret('my pass')).toBe(true);
    expect(redactor.containsSecret('my pas')).toBe(false);
  });

  it('treats regular-expression characters in secrets literally', () => {
    const redactor = createRedactor(['a+b(c)[d]$', '\\x']);
    expect(redactor.redact('a+b(c)[d]$ aab \\x x')).toBe('*** aab *** x');
  });

  it('without secrets, changes nothing', async () => {
    const redactor = createRedactor(['']);
    expect(redactor.redact('text')).toBe('text');
    expect(redactor.containsSecret('text')).toBe(false);
    expect((await throughStream(redactor.stream(), [Buffer.from('te'), Buffer.from('xt')])).toString()).toBe('text');
  });

  it('redacts a secret split across chunks, even inside a multi-byte character', async () => {
    const redactor = createRedactor(['sécret']);
    const bytes = Buffer.from('a sécret b');
    const chunks = [bytes.subarray(0, 4), bytes.subarray(4, 5), bytes.subarray(5)];
    expect((await throughStream(redactor.stream(), chunks)).toString()).toBe('a *** b');
  });

  it('stream output equals redact(whole) and holds no secret, for any secrets, text and chunking', async () => {
    // A small alphabet makes overlaps, prefixes and repeats of secrets frequent.
    const unit = fc.constantFrom('a', 'b', 'c', 'é', '€', '😀', ' ');
    const secret = fc.string({ unit, minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(secret, { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof(fc.string({ unit, maxLength: 8 }), secret), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (secrets, parts, offsets) => {
          const redactor = createRedactor(secrets);
          const whole = parts.join('');
          const expected = redactor.redact(whole);
          const streamed = (await throughStream(redactor.stream(), cut(Buffer.from(whole), offsets))).toString();
          expect(streamed).toBe(expected);
          expect(redactor.containsSecret(expected)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
