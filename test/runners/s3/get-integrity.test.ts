/**
 * s3.get against the run's radosgw through the fault proxy: a body damaged on the way is found by the
 * store's own facts (size, MD5 or multipart ETag, S3 checksums), read again once, and never written as
 * good; what was checked is in the record. The proxy's `emulate` answers as S3 does where radosgw 16 does
 * not (checksums, HEAD ?partNumber=), from what the uploads carried.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s3GetRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { createBucket, labClient, labSecrets, labTarget, printed, s3Attempt } from './support.js';

const lab = useS3Lab();
const get = await s3GetRunner.load();
const mib = 1024 * 1024;
let client: S3Client;
let viaProxy: S3Client;
let bucket: Awaited<ReturnType<typeof createBucket>>;
let proxy: FaultProxy;
let dir: string;
let files = 0;

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function flipped(data: Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

function multipartEtagOf(data: Buffer, sizes: readonly number[]): string {
  const digests: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    digests.push(createHash('md5').update(data.subarray(at, at + size)).digest());
    at += size;
  }
  return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${sizes.length}`;
}

/** A multipart upload with these part sizes, through `via`; with `checksums`, each part carries its SHA-256. */
async function putMultipart(via: S3Client, key: string, data: Buffer, sizes: readonly number[], checksums = false): Promise<void> {
  const { UploadId } = await via.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: key, ...(checksums ? { ChecksumAlgorithm: 'SHA256' } : {}) }));
  const parts: { PartNumber: number; ETag?: string; ChecksumSHA256?: string }[] = [];
  let at = 0;
  for (const [i, size] of sizes.entries()) {
    const body = data.subarray(at, at + size);
    at += size;
    const ChecksumSHA256 = checksums ? createHash('sha256').update(body).digest('base64') : undefined;
    const done = await via.send(new UploadPartCommand({ Bucket: bucket.name, Key: key, UploadId, PartNumber: i + 1, Body: body, ...(ChecksumSHA256 ? { ChecksumSHA256 } : {}) }));
    parts.push({ PartNumber: i + 1, ...(done.ETag ? { ETag: done.ETag } : {}), ...(ChecksumSHA256 ? { ChecksumSHA256 } : {}) });
  }
  await via.send(new CompleteMultipartUploadCommand({ Bucket: bucket.name, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

/** Run s3.get of `key` through the proxy into a new file; the observation, the file's name and the attempt. */
async function download(key: string, options: Record<string, unknown> = {}) {
  files += 1;
  const file = `restored-${files}.bin`;
  const attempt = s3Attempt(labTarget(lab(), bucket.name, { endpoint: proxy.endpoint, retryBaseDelay: '20ms' }), labSecrets(lab()), { baseDir: dir, options: { key, file, ...options } });
  const observation = await get.run(attempt.ctx);
  return { observation, file, path: join(dir, file), attempt };
}

/** Nothing of `file` is left: no file, no temporary one. */
function nothingLeft(file: string): void {
  expect(readdirSync(dir).filter((name) => name.includes(file))).toEqual([]);
}

describe('s3.get: every body checked against the store’s facts', () => {
  const body = randomBytes(64 * 1024);

  beforeAll(async () => {
    client = labClient(lab());
    bucket = await createBucket(client);
    proxy = await startFaultProxy(lab().endpoint, { emulate: ['checksums', 'part-number'] });
    viaProxy = labClient(lab(), proxy.endpoint);
    dir = mkdtempSync(join(tmpdir(), 'drillbook-s3-integrity-'));
    await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'db.dump', Body: body }));
  });
  afterEach(() => proxy.clear());
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await proxy.close();
    await bucket.remove();
    viaProxy.destroy();
    client.destroy();
  });

  it('a byte flipped on the first read only: found by the MD5 ETag, read again, the good bytes kept', async () => {
    proxy.inject({ fault: 'flip-byte', times: 1, match: (r) => r.method === 'GET' && r.key === 'db.dump' });
    const { observation, path } = await download('db.dump');
    expect(observation.error).toBeUndefined();
    expect(readFileSync(path).equals(body)).toBe(true);
    expect(observation.details).toMatchObject({
      integrity: { checked: ['size', 'md5-etag'], result: 'verified' },
      integrityRetries: [{ mismatches: [{ fact: 'md5-etag', expected: md5(body), actual: md5(flipped(body, body.length / 2)) }] }],
      sha256: sha256(body),
    });
  });

  it('a byte flipped on every read fails with the facts, and leaves no file', async () => {
    proxy.inject({ fault: 'flip-byte', match: (r) => r.method === 'GET' && r.key === 'db.dump' });
    const { observation, file } = await download('db.dump');
    const bad = md5(flipped(body, body.length / 2));
    expect(observation.error).toEqual({
      code: 'S3_INTEGRITY_MISMATCH',
      message: `s3.get: s3://${bucket.name}/db.dump failed its integrity check on 2 reads (65536 bytes received): md5-etag: expected ${md5(body)}, got ${bad}; no file was written`,
    });
    expect(observation.details).toMatchObject({
      integrity: { checked: ['size', 'md5-etag'], result: 'mismatch', mismatches: [{ fact: 'md5-etag', expected: md5(body), actual: bad }], bytes: 65_536 },
      integrityRetries: [{ mismatches: [{ fact: 'md5-etag' }] }],
    });
    nothingLeft(file);
  });

  it('half the body with Content-Length rewritten to match: found against HEAD’s size', async () => {
    proxy.inject({ fault: 'truncate-half', match: (r) => r.method === 'GET' && r.key === 'db.dump' });
    const { observation, file } = await download('db.dump');
    expect(observation.error?.code).toBe('S3_INTEGRITY_MISMATCH');
    expect(observation.details?.['integrity']).toMatchObject({
      result: 'mismatch',
      bytes: 32_768,
      mismatches: [
        { fact: 'size', expected: 65_536, actual: 32_768 },
        { fact: 'md5-etag', expected: md5(body) },
      ],
    });
    nothingLeft(file);
  });

  it('a multipart object with the store’s part sizes: verified by its multipart ETag, and a damaged part is found', async () => {
    // Parts of unequal size, as no usual part size would give: only the store's part sizes can explain the ETag.
    const data = randomBytes(12 * mib + 5);
    await putMultipart(viaProxy, 'big.dump', data, [5 * mib, 6 * mib, mib + 5]);
    const clean = await download('big.dump');
    expect(clean.observation.error).toBeUndefined();
    expect(clean.observation.details).toMatchObject({ integrity: { checked: ['size', 'multipart-etag'], result: 'verified', partSizes: { source: 'store', parts: 3 } } });
    expect(readFileSync(clean.path).equals(data)).toBe(true);

    proxy.inject({ fault: 'flip-byte', at: 5 * mib + 1, match: (r) => r.method === 'GET' && r.key === 'big.dump' });
    const damaged = await download('big.dump');
    expect(damaged.observation.error?.code).toBe('S3_INTEGRITY_MISMATCH');
    expect(damaged.observation.details?.['integrity']).toMatchObject({ result: 'mismatch', mismatches: [{ fact: 'multipart-etag' }] });
    nothingLeft(damaged.file);
  });

  it('a multipart object uploaded with parts of a usual size is verified by its ETag when the store gives no part sizes, a damaged first read redone', async () => {
    const data = randomBytes(11 * mib);
    await putMultipart(client, 'uniform.dump', data, [5 * mib, 5 * mib, mib]);
    proxy.inject({ fault: 'flip-byte', times: 1, match: (r) => r.method === 'GET' && r.key === 'uniform.dump' });
    // radosgw gives no part sizes (the proxy learnt none: the upload went around it), so 5 MiB parts are inferred.
    const { observation, path } = await download('uniform.dump');
    expect(observation.error).toBeUndefined();
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(observation.details).toMatchObject({
      integrity: { checked: ['size', 'multipart-etag'], result: 'verified', partSizes: { source: 'inferred', parts: 3, partBytes: 5 * mib } },
      integrityRetries: [{ mismatches: [], reason: `no usual part size (${5 * mib} bytes) gives the multipart ETag ${multipartEtagOf(data, [5 * mib, 5 * mib, mib])}: read again to compare` }],
    });
  });

  it('an object with a stored SHA-256 checksum is verified by it, and an altered checksum is not taken for good', async () => {
    const data = randomBytes(200_000);
    await viaProxy.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'summed.dump', Body: data, ChecksumAlgorithm: 'SHA256' }));
    const clean = await download('summed.dump');
    expect(clean.observation.error).toBeUndefined();
    expect(clean.observation.details).toMatchObject({ integrity: { checked: ['size', 'md5-etag', 'sha256-checksum'], result: 'verified' } });

    proxy.inject({ fault: 'alter-checksums' });
    const altered = await download('summed.dump');
    expect(altered.observation.error?.code).toBe('S3_INTEGRITY_MISMATCH');
    expect(altered.observation.details?.['integrity']).toMatchObject({
      checked: ['size', 'md5-etag', 'sha256-checksum'],
      mismatches: [{ fact: 'sha256-checksum', actual: createHash('sha256').update(data).digest('base64') }],
    });
    nothingLeft(altered.file);
  });

  it('a composite checksum of a multipart upload (SHA-256 of the part SHA-256s) is checked over the store’s parts', async () => {
    const data = randomBytes(10 * mib + 3);
    await putMultipart(viaProxy, 'composite.dump', data, [5 * mib, 5 * mib, 3], true);
    const { observation } = await download('composite.dump');
    expect(observation.error).toBeUndefined();
    expect(observation.details).toMatchObject({ integrity: { checked: ['size', 'multipart-etag', 'sha256-checksum'], result: 'verified', partSizes: { source: 'store' } } });
  });

  it('when the store offers nothing but a size (no ETag), the step passes and the record says size-checked only', async () => {
    proxy.inject({ fault: 'drop-etag' });
    const { observation, path, attempt } = await download('db.dump');
    expect(observation.error).toBeUndefined();
    expect(readFileSync(path).equals(body)).toBe(true);
    expect(observation.details).toMatchObject({ integrity: 'size-checked only', integrityRetries: [] });
    expect(printed(attempt)).toMatchObject({ integrity: 'size-checked only', size: body.length });
  });

  it('a multipart object whose part sizes nobody knows: passes on its size, and the record says why the ETag was not checked', async () => {
    const data = randomBytes(12 * mib + 5);
    await putMultipart(client, 'odd.dump', data, [5 * mib, 6 * mib, mib + 5]);
    const direct = s3Attempt(labTarget(lab(), bucket.name), labSecrets(lab()), { baseDir: dir, options: { key: 'odd.dump', file: 'odd.bin' } });
    const observation = await get.run(direct.ctx);
    expect(observation.error).toBeUndefined();
    // 5 MiB parts would give three parts too, yet another ETag: read twice, and the two reads agree.
    expect(observation.details).toMatchObject({
      integrity: 'size-checked only',
      integrityNotChecked: [{ fact: 'multipart-etag', reason: 'the part sizes are unknown (the store gives none, and no usual part size gives this ETag); two reads gave the same bytes' }],
      integrityRetries: [{ mismatches: [], reason: expect.stringMatching(/^no usual part size \(5242880 bytes\) gives the multipart ETag [0-9a-f]{32}-3: read again to compare$/) as unknown }],
    });
    expect(readFileSync(join(dir, 'odd.bin')).equals(data)).toBe(true);

    // Damaged on the first read only: the two reads disagree, and nothing is kept.
    proxy.inject({ fault: 'flip-byte', times: 1, match: (r) => r.method === 'GET' && r.key === 'odd.dump' });
    const { observation: torn, file } = await download('odd.dump');
    expect(torn.error?.code).toBe('S3_INTEGRITY_MISMATCH');
    expect(torn.error?.message).toMatch(/: multipart-etag: expected [0-9a-f]{32}-3, got no usual part size gives it, and two reads gave different bytes \(SHA-256 [0-9a-f]{64}, then [0-9a-f]{64}\); no file was written$/);
    nothingLeft(file);
  });

  it('an object in an archive tier: S3_RESTORE_REQUIRED, from InvalidObjectState or from HEAD’s storage class', async () => {
    proxy.inject({ fault: 'invalid-object-state', match: (r) => r.method === 'GET' && r.key === 'db.dump' });
    const refused = await download('db.dump');
    expect(refused.observation.error).toEqual({
      code: 'S3_RESTORE_REQUIRED',
      message: `s3.get: s3://${bucket.name}/db.dump is in the GLACIER storage class: restore required before it can be read; restore it first (RestoreObject, e.g. \`aws s3api restore-object\`) and run the step again once the restore has completed`,
    });
    expect(refused.observation.details).toMatchObject({ restoreRequired: { storageClass: 'GLACIER' } });
    nothingLeft(refused.file);
    proxy.clear();

    const seen = proxy.log.length;
    proxy.inject({ fault: 'glacier' });
    const archived = await download('db.dump');
    expect(archived.observation.error?.code).toBe('S3_RESTORE_REQUIRED');
    // Known from HEAD: no body was asked for.
    expect(proxy.log.slice(seen).map((r) => r.method)).toEqual(['HEAD']);
    expect(existsSync(archived.path)).toBe(false);
  });
});
