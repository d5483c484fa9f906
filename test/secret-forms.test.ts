import { describe, expect, it } from 'vitest';
import { escapeMarkup } from '../src/markup.js';
import { minimumDerivedFormLength, secretForms } from '../src/secret-forms.js';

/** Base64 of `secret` between `before` and `after` bytes, as an encoder of the whole text writes it. */
function base64Within(secret: string, before: number, after: number, alphabet: 'base64' | 'base64url'): string {
  return Buffer.concat([Buffer.alloc(before, 0xa5), Buffer.from(secret), Buffer.alloc(after, 0x5a)]).toString(alphabet);
}

describe('secretForms', () => {
  it('lists the value as written first, and nothing for an empty secret', () => {
    expect(secretForms('hunter2-xyz')[0]).toBe('hunter2-xyz');
    expect(secretForms('')).toEqual([]);
  });

  it('pins every form of a plain secret', () => {
    expect(secretForms('hunter2-xyz')).toEqual([
      'hunter2-xyz',
      'HUNTER2-XYZ',
      // base64 at alignment 0: inner part, to the end unpadded, padded
      'aHVudGVyMi14eX',
      'aHVudGVyMi14eXo',
      'aHVudGVyMi14eXo=',
      // alignment 1: 1 + 11 bytes fill whole groups, so all three are the same
      'h1bnRlcjIteHl6',
      // alignment 2
      'odW50ZXIyLXh5e',
      'odW50ZXIyLXh5eg',
      'odW50ZXIyLXh5eg==',
      '68756e746572322d78797a',
      '68756E746572322D78797A',
    ]);
  });

  it('JSON-escapes quotes, backslashes and control characters, also with non-ASCII as \\u escapes in either case', () => {
    const forms = secretForms('pa"ss\\wörd\n1');
    expect(forms).toContain('pa\\"ss\\\\wörd\\n1');
    expect(forms).toContain('pa\\"ss\\\\w\\u00f6rd\\n1');
    expect(forms).toContain('pa\\"ss\\\\w\\u00F6rd\\n1');
    // JSON text inside a JSON string
    expect(forms).toContain('pa\\\\\\"ss\\\\\\\\wörd\\\\n1');
    // upper-cased, then escaped
    expect(forms).toContain('PA\\"SS\\\\WÖRD\\n1');
  });

  it('escapes astral characters as a surrogate pair, PHP-style slashes and Go-style <>& ', () => {
    const forms = secretForms('key/😀<&>');
    expect(forms).toContain('key\\/\\ud83d\\ude00<&>');
    expect(forms).toContain('key/😀\\u003c\\u0026\\u003e');
  });

  it('upper- and lower-cases the value', () => {
    expect(secretForms('MixedCase-Secret')).toEqual(expect.arrayContaining(['MIXEDCASE-SECRET', 'mixedcase-secret']));
  });

  it('percent-encodes the value as encodeURIComponent, URLSearchParams and new URL() write it, with either hex case', () => {
    const secret = "a b+c/d=e%f'g€~*";
    const url = new URL('https://h.example/');
    url.password = secret;
    const path = new URL('https://h.example/');
    path.pathname = `/${secret}`;
    const query = new URL(`https://h.example/?token=${secret}`);
    const expected = [
      encodeURIComponent(secret),
      new URLSearchParams({ t: secret }).toString().slice(2),
      url.password,
      path.pathname.slice(1),
      query.search.slice('?token='.length),
      'a%20b%2Bc%2Fd%3De%25f%27g%E2%82%AC~%2A', // RFC 3986 unreserved only (Python quote)
      'a+b%2Bc%2Fd%3De%25f%27g%E2%82%AC~%2A', // Python quote_plus, Go QueryEscape
    ];
    const forms = secretForms(secret);
    for (const form of expected) {
      expect(forms).toContain(form);
      expect(forms).toContain(form.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
    }
    expect(new URLSearchParams({ t: secret }).toString().slice(2)).toBe('a+b%2Bc%2Fd%3De%25f%27g%E2%82%AC%7E*');
  });

  it('drops tab, LF and CR from the URL forms, as the URL parser does', () => {
    const secret = 'first\tline\r\nsecond é';
    expect(new URL(`https://h.example/?t=${secret}`).search).toBe('?t=firstlinesecond%20%C3%A9');
    expect(secretForms(secret)).toContain('firstlinesecond%20%C3%A9');
  });

  it("HTML-escapes the value as report.html does, and with numeric or named entities for quotes", () => {
    const forms = secretForms(`say "it's" <b>&`);
    expect(forms).toEqual(
      expect.arrayContaining([
        escapeMarkup(`say "it's" <b>&`),
        'say &quot;it&#39;s&quot; &lt;b&gt;&amp;',
        'say &#34;it&#39;s&#34; &lt;b&gt;&amp;',
        'say &quot;it&#x27;s&quot; &lt;b&gt;&amp;',
        'say &quot;it&apos;s&quot; &lt;b&gt;&amp;',
        `say "it's" &lt;b&gt;&amp;`,
        // report.html's command line: HTML of JSON
        escapeMarkup(JSON.stringify(`say "it's" <b>&`).slice(1, -1)),
      ]),
    );
  });

  it('finds the base64 of the value inside any longer encoded text, at every alignment, standard and URL-safe', () => {
    for (const secret of ['hunter2-xyz', 'p+/ss?>>~~', 'é😀ü-long-enough']) {
      const forms = secretForms(secret);
      for (const alphabet of ['base64', 'base64url'] as const) {
        for (let before = 0; before < 6; before += 1) {
          for (let after = 0; after < 4; after += 1) {
            const encoded = base64Within(secret, before, after, alphabet);
            expect(forms.some((form) => encoded.includes(form)), `${secret} ${alphabet} ${before}/${after}`).toBe(true);
          }
        }
      }
      expect(forms).toContain(Buffer.from(secret).toString('base64'));
      expect(forms).toContain(Buffer.from(secret).toString('base64url'));
    }
  });

  it('hex-encodes the UTF-8 bytes in lower and upper case', () => {
    expect(secretForms('sécret-1')).toEqual(expect.arrayContaining(['73c3a9637265742d31', '73C3A9637265742D31']));
  });

  it('lists each line of a multi-line secret, but not PEM armour or lines shorter than the minimum', () => {
    const pem = [
      '-----BEGIN PRIVATE KEY-----',
      'MC4CAQAwBQYDK2VwBCIEIGBNQJ8dC0d7yLSKzJPQm3Bz2fV1lR',
      '  XPb1p1V3e7Wm9sQk  ',
      'Qw==',
      '-----END PRIVATE KEY-----',
    ].join('\r\n');
    const forms = secretForms(pem);
    expect(forms).toContain('MC4CAQAwBQYDK2VwBCIEIGBNQJ8dC0d7yLSKzJPQm3Bz2fV1lR');
    expect(forms).toContain('XPb1p1V3e7Wm9sQk');
    expect(forms).not.toContain('Qw==');
    expect(forms).not.toContain('-----BEGIN PRIVATE KEY-----');
    expect(forms).not.toContain('-----END PRIVATE KEY-----');
    // The whole value is still listed, so a key printed in one piece is redacted in one piece.
    expect(forms[0]).toBe(pem);
  });

  it(`drops derived forms shorter than ${minimumDerivedFormLength} characters, never the value as written`, () => {
    expect(secretForms('x')).toEqual(['x']);
    expect(secretForms('abc')).toEqual(['abc']); // 'ABC', '616263' and 'YWJj' are too short to mean anything
    // 'ABCD' is dropped; hex has no letters here, so its two cases are one form.
    expect(secretForms('abcd')).toEqual(['abcd', 'YWJjZA==', '61626364']);
    for (const secret of ['ab"c', 'é', '1234567', 'hunter2-xyz', 'x\ny\nlong-line-here']) {
      expect(secretForms(secret).slice(1).every((form) => form.length >= minimumDerivedFormLength)).toBe(true);
    }
  });

  it('lists each form once', () => {
    const forms = secretForms('plainsecret');
    expect(new Set(forms).size).toBe(forms.length);
  });
});
