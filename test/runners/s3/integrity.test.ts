/** The integrity check of a downloaded body against the store's facts, fed in odd-sized chunks as a network delivers them. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inferredPartSizes, integritySummary, IntegrityCheck, worthRetrying, type IntegrityResult, type StoreFacts } from '../../../runners/shared/s3/integrity.js';

const mib = 1024 * 1024;
const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** Split `data` at `sizes` (the parts of a multipart upload). */
function partsOf(data: Buffer, sizes: readonly number[]): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(data.subarray(at, at + size));
    at += size;
  }
  return parts;
}

/** The ETag S3 gives a multipart object: md5 of the concatenated part MD5s, then the part count. */
function multipartEtag(data: Buffer, sizes: readonly number[]): string {
  return `${md5(Buffer.concat(partsOf(data, sizes).map(md5))).toString('hex')}-${sizes.length}`;
}

function check(data: Buffer, facts: StoreFacts, chunk = 65_521): IntegrityResult {
  const integrity = new IntegrityCheck(facts);
  for (let at = 0; at < data.length; at += chunk) integrity.update(data.subarray(at, at + chunk));
  return integrity.finish();
}

function flipped(data: Buffer, at = Math.floor(data.length / 2)): Buffer {
  const copy = Buffer.from(data);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

describe('integrity of a downloaded body', () => {
  const small = randomBytes(100_000);

  it('a single-part ETag is the MD5 of the body: a flipped byte is a mismatch with both values', () => {
    const facts = { size: small.length, contentLength: small.length, etag: md5(small).toString('hex') };
    const good = check(small, facts);
    expect(good).toMatchObject({ bytes: small.length, checked: ['size', 'md5-etag'], mismatches: [], notChecked: [] });
    expect(good.sha256).toBe(sha256(small).toString('hex'));
    expect(integritySummary(good)).toEqual({ checked: ['size', 'md5-etag'], result: 'verified' });

    const bad = check(flipped(small), facts);
    expect(bad.mismatches).toEqual([{ fact: 'md5-etag', expected: facts.etag, actual: md5(flipped(small)).toString('hex') }]);
    expect(worthRetrying(bad)).toBe(true);
  });

  it('bytes are counted against HEAD’s size as well as Content-Length (a rewritten Content-Length does not hide a cut body)', () => {
    const half = small.subarray(0, small.length / 2);
    const result = check(half, { size: small.length, contentLength: half.length });
    expect(result.mismatches).toEqual([{ fact: 'size', expected: small.length, actual: half.length }]);
    expect(integritySummary({ ...result, mismatches: [] })).toBe('size-checked only');
  });

  it('SSE-KMS and SSE-C ETags are not taken for MD5s: size-checked only, and the record says why', () => {
    const result = check(small, { size: small.length, etag: 'a'.repeat(32), etagOpaque: 'SSE-KMS (aws:kms)' });
    expect(result).toMatchObject({ checked: ['size'], mismatches: [], notChecked: [{ fact: 'md5-etag', reason: 'the ETag is no MD5 of the body (SSE-KMS (aws:kms))' }] });
    expect(integritySummary(result)).toBe('size-checked only');
  });

  it('multipart ETag with the store’s part sizes (not uniform): verified, and a damaged part is found', () => {
    const data = randomBytes(12 * mib + 7);
    const sizes = [5 * mib, 6 * mib, mib + 7];
    const facts = { size: data.length, etag: multipartEtag(data, sizes), partSizes: sizes };
    const good = check(data, facts);
    expect(good).toMatchObject({ checked: ['size', 'multipart-etag'], mismatches: [], partSizes: { source: 'store', parts: 3 } });
    const bad = check(flipped(data, 5 * mib + 1), facts);
    expect(bad.mismatches).toEqual([{ fact: 'multipart-etag', expected: facts.etag, actual: multipartEtag(flipped(data, 5 * mib + 1), sizes) }]);
  });

  it('without part sizes from the store, a usual uniform part size that gives the ETag proves the bytes; none proves nothing', () => {
    const data = randomBytes(17 * mib + 123);
    const sizes = [5 * mib, 5 * mib, 5 * mib, 2 * mib + 123];
    const facts = { size: data.length, etag: multipartEtag(data, sizes) };
    expect(inferredPartSizes(data.length, 4)).toEqual([5 * mib]);
    expect(check(data, facts)).toMatchObject({ checked: ['size', 'multipart-etag'], mismatches: [], partSizes: { source: 'inferred', parts: 4, partBytes: 5 * mib } });

    const damaged = check(flipped(data), facts);
    expect(damaged).toMatchObject({ checked: ['size'], mismatches: [] });
    expect(damaged.notChecked).toEqual([{ fact: 'multipart-etag', reason: 'the part sizes are unknown (the store gives none, and no usual part size gives this ETag)' }]);
    // A usual part size fits the part count, yet gives another ETag: worth a second read to compare.
    expect(damaged.doubt).toBe(`no usual part size (${5 * mib} bytes) gives the multipart ETag ${facts.etag}`);
    expect(check(data, { size: data.length, etag: `${'0'.repeat(32)}-9` }).doubt).toBeUndefined();
  });

  it('a one-part multipart object needs no part sizes: the part is the body', () => {
    const etag = `${md5(md5(small)).toString('hex')}-1`;
    expect(check(small, { size: small.length, etag })).toMatchObject({ checked: ['size', 'multipart-etag'], mismatches: [], partSizes: { source: 'etag', parts: 1 } });
    expect(check(flipped(small), { size: small.length, etag }).mismatches.map((m) => m.fact)).toEqual(['multipart-etag']);
  });

  it('S3 checksums: full-object SHA-256, SHA-1 and CRC32 are computed; CRC32C and CRC64NVME are reported as not checked', () => {
    // CRC32 of "123456789" is 0xCBF43926 (the standard check value).
    const digits = Buffer.from('123456789');
    const checksums = {
      sha256: sha256(digits).toString('base64'),
      sha1: createHash('sha1').update(digits).digest('base64'),
      crc32: Buffer.from([0xcb, 0xf4, 0x39, 0x26]).toString('base64'),
      crc32c: '4waSgw==',
      crc64nvme: 'rosUhgp5mIg=',
    };
    const result = check(digits, { size: 9, checksums }, 4);
    expect(result).toMatchObject({ checked: ['size', 'crc32-checksum', 'sha1-checksum', 'sha256-checksum'], mismatches: [] });
    expect(result.notChecked).toEqual([
      { fact: 'crc32c-checksum', reason: 'CRC32C has no native implementation in Node' },
      { fact: 'crc64nvme-checksum', reason: 'CRC64NVME has no native implementation in Node' },
    ]);
    const bad = check(Buffer.from('123456780'), { size: 9, checksums: { crc32: checksums.crc32 } });
    expect(bad.mismatches).toEqual([{ fact: 'crc32-checksum', expected: checksums.crc32, actual: expect.any(String) as unknown }]);
  });

  it('a composite checksum (sha256 of the part SHA-256s, -N) is checked over the same parts as the multipart ETag', () => {
    const data = randomBytes(11 * mib);
    const sizes = [8 * mib, 3 * mib];
    const composite = `${sha256(Buffer.concat(partsOf(data, sizes).map(sha256))).toString('base64')}-2`;
    const facts = { size: data.length, etag: multipartEtag(data, sizes), checksums: { sha256: composite } };
    expect(check(data, facts)).toMatchObject({ checked: ['size', 'multipart-etag', 'sha256-checksum'], mismatches: [], partSizes: { source: 'inferred', partBytes: 8 * mib } });
    expect(check(flipped(data), { ...facts, partSizes: sizes }).mismatches.map((m) => m.fact)).toEqual(['multipart-etag', 'sha256-checksum']);
  });

  it('the scenario’s digest: worth a second read only when no store digest vouches for the bytes', () => {
    const wrong = 'b'.repeat(64);
    const vouched = check(small, { size: small.length, etag: md5(small).toString('hex'), expectedSha256: wrong });
    expect(vouched.mismatches).toEqual([{ fact: 'expected-sha256', expected: wrong, actual: sha256(small).toString('hex') }]);
    expect(worthRetrying(vouched)).toBe(false);
    expect(worthRetrying(check(small, { size: small.length, expectedSha256: wrong }))).toBe(true);
    expect(integritySummary(check(small, { size: small.length, expectedSha256: sha256(small).toString('hex') }))).toEqual({ checked: ['size', 'expected-sha256'], result: 'verified' });
  });
});
