import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/evidence/hash-file.js';
import { escapeMarkup } from '../../src/markup.js';
import { createSecretScanner, findSecret } from '../../src/evidence/secret-scanner.js';
import { sha256 } from './fixtures.js';

const secret = 'p@ss"w\\ord+/=% é😀x';
const scanner = createSecretScanner(['', 'not-there-at-all', secret]);
const at = (prefix: string, form: string) => findSecret(Buffer.from(`${prefix}${form} and more`), scanner);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drillbook-scan-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('findSecret', () => {
  it.each([
    ['as written', secret],
    ['JSON-escaped', JSON.stringify(secret)],
    ['HTML-escaped', escapeMarkup(secret)],
    ['HTML-escaped with numeric quotes', secret.replace(/"/g, '&#34;')],
    ['percent-encoded', encodeURIComponent(secret)],
    ['form-urlencoded', new URLSearchParams({ t: secret }).toString()],
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64url of a longer text', Buffer.from(`xy${secret}z`).toString('base64url')],
    ['hex', Buffer.from(secret).toString('hex').toUpperCase()],
    ['upper-cased', secret.toUpperCase()],
  ])('finds the secret %s, reporting its index and the byte offset only', (_name, form) => {
    const hit = at('héllo ', form);
    expect(hit).toEqual({ offset: expect.any(Number) as number, index: 2 });
    // 'héllo ' is 7 bytes; an encoded longer text may start the match a few characters in.
    expect(hit!.offset).toBeGreaterThanOrEqual(7);
    expect(hit!.offset).toBeLessThan(7 + 5);
  });

  it('reports the earliest occurrence of any form of any secret, and the lowest index sharing a form', () => {
    const two = createSecretScanner(['second-secret', 'first-secret', 'FIRST-SECRET']);
    expect(findSecret(Buffer.from('.. SECOND-SECRET first-secret'), two)).toEqual({ offset: 3, index: 0 });
    expect(findSecret(Buffer.from('.. FIRST-SECRET'), two)).toEqual({ offset: 3, index: 1 });
  });

  it('finds nothing in clean bytes, or without secrets', () => {
    expect(findSecret(Buffer.from('nothing to see'), scanner)).toBe(undefined);
    expect(findSecret(Buffer.from('anything'), createSecretScanner(['', '']))).toBe(undefined);
    expect(createSecretScanner([]).longestFormBytes).toBe(0);
  });

  it('searches a view at its own offsets', () => {
    const bytes = Buffer.from(`0123456789${secret}`);
    expect(findSecret(bytes.subarray(4), scanner)).toEqual({ offset: 6, index: 2 });
  });
});

describe('hashFile with a scanner', () => {
  it('finds a base64 form that straddles two 1 MiB reads, at its byte offset', async () => {
    const form = Buffer.from(`${secret}-tail`).toString('base64');
    const big = Buffer.alloc((1 << 20) + 100, 0x61);
    const start = (1 << 20) - 7;
    Buffer.from(form).copy(big, start);
    writeFileSync(join(dir, 'big.log'), big);
    const digest = await hashFile(join(dir, 'big.log'), scanner);
    expect(digest).toEqual({ sha256: sha256(big), bytes: big.length, secret: { offset: start, index: 2 } });
  });

  it('hashes without searching when no scanner is given', async () => {
    writeFileSync(join(dir, 'a.log'), secret);
    expect(await hashFile(join(dir, 'a.log'))).toEqual({ sha256: sha256(secret), bytes: Buffer.byteLength(secret) });
  });
});

describe('a secret of digits', () => {
  it('inside a longer number is a coincidence; the number itself, or in text, is a hit', () => {
    const pin = createSecretScanner(['4721']);
    expect(findSecret(Buffer.from('{"durationMs":14721,"bytes":47210}'), pin)).toBeUndefined();
    expect(findSecret(Buffer.from('{"durationMs":14721,"pin":4721}'), pin)).toEqual({ offset: 26, index: 0 });
    expect(findSecret(Buffer.from('pin accepted: 4721\n'), pin)).toEqual({ offset: 14, index: 0 });
  });
});
