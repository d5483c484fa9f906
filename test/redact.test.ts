import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createSecretScanner, findSecret } from '../src/evidence/secret-scanner.js';
import { escapeMarkup } from '../src/markup.js';
import { createRedactor } from '../src/redact.js';
import { secretForms } from '../src/secret-forms.js';

const campaignRuns = (defaultRuns: number): number => Number(process.env['DRILLBOOK_CAMPAIGN_RUNS'] ?? defaultRuns);

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
    const unit = fc.constantFrom('a', 'b', 'c', 'é', '€', '😀', ' ', '4', '7', '-', '.');
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
          // Secrets this short count only as whole tokens, so whether one remains depends on its neighbours,
          // which redaction changes: the containment property is checked for longer secrets below.
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves no secret of 8 or more characters, for any secrets, text and chunking', async () => {
    const unit = fc.constantFrom('a', 'b', 'é', '😀', ' ');
    const secret = fc.string({ unit, minLength: 8, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(secret, { minLength: 1, maxLength: 3 }), fc.array(fc.oneof(fc.string({ unit, maxLength: 8 }), secret), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), async (secrets, parts, offsets) => {
        const redactor = createRedactor(secrets);
        const whole = parts.join('');
        const expected = redactor.redact(whole);
        expect((await throughStream(redactor.stream(), cut(Buffer.from(whole), offsets))).toString()).toBe(expected);
        expect(redactor.containsSecret(expected)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('redacts a short secret (under 8 characters) as a whole token, never inside a word, a digest or a time', () => {
    const redactor = createRedactor(['4721']);
    expect(redactor.redact('pin 4721. sha256 ab4721cd at 2026-12-02T15:47:21Z id=4721')).toBe('pin ***. sha256 ab4721cd at 2026-12-02T15:47:21Z id=***');
  });

  it('keeps the value as written working for short secrets, whose derived forms are dropped', () => {
    const redactor = createRedactor(['abc']);
    expect(redactor.redact('abc ABC 616263 YWJj')).toBe('*** ABC 616263 YWJj');
  });
});

describe('createRedactor: every form of a secret', () => {
  const secret = 'p@ss"w\\ord+/=% é😀x';
  const redactor = createRedactor([secret]);
  const b64 = (text: string, alphabet: BufferEncoding = 'base64') => Buffer.from(text).toString(alphabet);

  it.each([
    ['JSON-escaped, as journal.jsonl and record.json write it', JSON.stringify({ password: secret }), '{"password":"***"}'],
    ['JSON with non-ASCII escaped', `{"password":"${JSON.stringify(secret).slice(1, -1).replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"}`, '{"password":"***"}'],
    ['JSON inside a JSON string', JSON.stringify({ body: JSON.stringify({ password: secret }) }), String.raw`{"body":"{\"password\":\"***\"}"}`],
    ['HTML-escaped, as report.html writes it', `<td>${escapeMarkup(secret)}</td>`, '<td>***</td>'],
    ['HTML-escaped JSON, as report.html writes a command line', `<code>${escapeMarkup(JSON.stringify(secret))}</code>`, '<code>&quot;***&quot;</code>'],
    ['percent-encoded in a query', `GET https://h.example/?token=${encodeURIComponent(secret)}&x=1`, 'GET https://h.example/?token=***&x=1'],
    ['form-urlencoded', `body: ${new URLSearchParams({ token: secret }).toString()}`, 'body: token=***'],
    ['percent-encoded with lower-case hex', `?t=${encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`, '?t=***'],
    ['as new URL() writes a raw value in a query', new URL(`https://h.example/?token=${secret}`).href, 'https://h.example/?token=***'],
    ['base64 after 6 bytes (alignment 0), padded', `Authorization: Basic ${b64(`admin:${secret}`)}`, 'Authorization: Basic YWRtaW46***'],
    // The characters before `***` also encode bytes before the secret.
    ['base64 after 4 bytes (alignment 1)', `Basic ${b64(`adm:${secret}`)}`, 'Basic YWRtOn***'],
    ['base64 after 5 bytes (alignment 2), URL-safe, unpadded', `jwt ${b64(`user:${secret}`, 'base64url')}.sig`, 'jwt dXNlcjp***.sig'],
    // The character after `***` also encodes the byte after the secret.
    ['base64 inside a longer text, cut on both sides', b64(`{"k":"${secret}","n":1}`), 'eyJrIjoi***CIsIm4iOjF9'],
    ['hex, lower case', `bytes ${Buffer.from(secret).toString('hex')} end`, 'bytes *** end'],
    ['hex, upper case', `bytes ${Buffer.from(secret).toString('hex').toUpperCase()} end`, 'bytes *** end'],
    ['upper-cased', `LOG: ${secret.toUpperCase()}`, 'LOG: ***'],
    ['lower-cased', `log: ${secret.toLowerCase()}`, 'log: ***'],
  ])('%s', (_name, text, expected) => {
    expect(redactor.redact(text)).toBe(expected);
    expect(redactor.containsSecret(text)).toBe(true);
    expect(redactor.containsSecret(expected)).toBe(false);
  });

  it('redacts a multi-line key printed line by line, leaving the armour and short lines', () => {
    const pem = [
      '-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
      'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
      'Qw==',
      '-----END PRIVATE KEY-----',
    ].join('\n');
    const redactor = createRedactor([pem]);
    const printed = pem
      .split('\n')
      .map((line) => `remote: ${line}`)
      .join('\r\n');
    expect(redactor.redact(printed)).toBe(['remote: -----BEGIN PRIVATE KEY-----', 'remote: ***', 'remote: ***', 'remote: Qw==', 'remote: -----END PRIVATE KEY-----'].join('\r\n'));
    // Printed in one piece, it goes in one piece.
    expect(redactor.redact(`key:\n${pem}\nend`)).toBe('key:\n***\nend');
    expect(redactor.redact(JSON.stringify({ key: pem }))).toBe('{"key":"***"}');
  });

  it('the stream gives the same result wherever a single cut falls, and byte by byte', async () => {
    const text = `a ${JSON.stringify(secret)} b ${encodeURIComponent(secret)} c ${b64(`x${secret}`)} d ${secret} é`;
    const bytes = Buffer.from(text);
    const expected = redactor.redact(text);
    expect(expected).toBe('a "***" b *** c eH*** d *** é');
    for (let at = 0; at <= bytes.length; at += 1) {
      expect((await throughStream(redactor.stream(), [bytes.subarray(0, at), bytes.subarray(at)])).toString(), `cut at ${at}`).toBe(expected);
    }
    const single = [...bytes].map((b) => Buffer.from([b]));
    expect((await throughStream(redactor.stream(), single)).toString()).toBe(expected);
  });
});

describe('createRedactor: redactJson', () => {
  it('redacts strings and keys, keeps numbers as numbers (a record keeps its types), JSON stays valid', () => {
    const redactor = createRedactor(['123', 'tok"en\\secret']);
    const value = { n: 41234, m: 5, list: [1230, 'x tok"en\\secret y', 12.3], 'tok"en\\secret': true, nested: { ok: null, no: false } };
    const redacted = redactor.redactJson(value);
    expect(redacted).toEqual({ n: 41234, m: 5, list: [1230, 'x *** y', 12.3], '***': true, nested: { ok: null, no: false } });
    expect(JSON.parse(JSON.stringify(redacted))).toEqual(redacted);
    expect(value.n).toBe(41234);
  });

  it('follows JSON.stringify: toJSON is applied, bigints are kept, a cycle is refused', () => {
    const redactor = createRedactor(['2026-11-28', '98765']);
    expect(redactor.redactJson({ at: new Date('2026-11-28T10:00:00.000Z'), big: 198765n, small: 5n })).toEqual({ at: '***T10:00:00.000Z', big: 198765n, small: 5n });
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => redactor.redactJson(cycle)).toThrow(new TypeError('cannot redact a circular structure'));
    // A value seen twice without a cycle is fine.
    const shared = { k: '98765' };
    expect(redactor.redactJson([shared, shared])).toEqual([{ k: '***' }, { k: '***' }]);
  });

  it('keeps a __proto__ key a key', () => {
    const redactor = createRedactor(['hunter2-xyz']);
    const redacted = redactor.redactJson(JSON.parse('{"__proto__":{"p":"hunter2-xyz"}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(JSON.stringify(redacted)).toBe('{"__proto__":{"p":"***"}}');
  });

  it('without secrets, returns the value itself', () => {
    const value = { a: 1 };
    expect(createRedactor([]).redactJson(value)).toBe(value);
  });
});

describe('createRedactor and the seal scanner: random secrets in every form', () => {
  const special = fc.constantFrom('"', '\\', '%', '+', '/', '=', ' ', '\r', '\n', "'", '<', '>', '&', '#', '?', '~', 'é', '€', 'ß', '😀', '\u2028', '\u0001');
  const plain = fc.constantFrom(...'abcXYZ019-_.');
  // Any code point but `*` (the mark could spell a secret with one) and the surrogate range.
  const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '*');
  const unit = fc.oneof(special, plain, anyChar);
  const secretArb = fc.string({ unit, minLength: 10, maxLength: 28 });
  const textArb = fc.string({ unit, maxLength: 24 });

  /** How the secret is written into the document, by encoders that know nothing of secretForms(). */
  type Encoder = (secret: string, before: Buffer, after: Buffer) => string;
  const encoders: Record<string, Encoder> = {
    raw: (s) => s,
    json: (s) => JSON.stringify(s),
    jsonUpper: (s) => JSON.stringify(s.toUpperCase()),
    jsonTwice: (s) => JSON.stringify(JSON.stringify(s)),
    html: (s) => escapeMarkup(s),
    htmlJson: (s) => escapeMarkup(JSON.stringify(s)),
    uriComponent: (s) => encodeURIComponent(s),
    formUrlencoded: (s) => new URLSearchParams({ t: s }).toString(),
    // `#` would end the query; the `&` after keeps trailing spaces and controls, which the parser trims at the end.
    urlQuery: (s) => new URL(`https://h.example/?t=${s.replace(/#/g, '%23')}&e=1`).search,
    upper: (s) => s.toUpperCase(),
    lower: (s) => s.toLowerCase(),
    hex: (s) => Buffer.from(s).toString('hex'),
    hexUpper: (s) => Buffer.from(s).toString('hex').toUpperCase(),
    base64: (s, before, after) => Buffer.concat([before, Buffer.from(s), after]).toString('base64'),
    base64url: (s, before, after) => Buffer.concat([before, Buffer.from(s), after]).toString('base64url'),
    line: (s) => {
      const lines = s.split(/\r\n|\r|\n/);
      return lines.length > 1 ? (lines.map((l) => l.trim()).filter((l) => l.length >= 8).at(-1) ?? s) : s;
    },
  };

  it('redact() leaves no form, containsSecret() and the scanner find each, stream() equals redact()', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        fc.constantFrom(...Object.keys(encoders)),
        textArb,
        textArb,
        fc.uint8Array({ maxLength: 5 }),
        fc.uint8Array({ maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (secret, encoding, head, tail, before, after, offsets) => {
          const encoded = (encoders[encoding] as Encoder)(secret, Buffer.from(before), Buffer.from(after));
          const text = head + encoded + tail;
          const redactor = createRedactor([secret]);
          expect(redactor.containsSecret(text)).toBe(true);

          const hit = findSecret(Buffer.from(text), createSecretScanner(['', secret]));
          expect(hit?.index).toBe(1);
          expect(hit?.offset).toBeLessThan(Buffer.byteLength(head + encoded));

          const redacted = redactor.redact(text);
          expect(secretForms(secret).filter((form) => redacted.includes(form))).toEqual([]);
          expect(redactor.containsSecret(redacted)).toBe(false);
          const streamed = (await throughStream(redactor.stream(), cut(Buffer.from(text), offsets))).toString();
          expect(streamed).toBe(redacted);
        },
      ),
      { numRuns: campaignRuns(200) },
    );
  });
});

