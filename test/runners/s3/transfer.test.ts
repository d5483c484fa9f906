import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3GetRunner, s3PutRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { expectPlantsRefused } from '../destination-plants.js';
import { createBucket, labClient, labSecrets, labTarget, printed, s3Attempt } from './support.js';

const lab = useS3Lab();
const put = await s3PutRunner.load();
const get = await s3GetRunner.load();
let client: S3Client;
let bucket: Awaited<ReturnType<typeof createBucket>>;
let dir: string;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('s3.put and s3.get', () => {
  beforeAll(async () => {
    client = labClient(lab());
    bucket = await createBucket(client, { versioning: true });
    dir = mkdtempSync(join(tmpdir(), 'drillbook-s3-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await bucket.remove();
    client.destroy();
  });

  it('round-trips a multipart object byte for byte, with the same SHA-256 at both ends', async () => {
    const data = randomBytes(17 * 1024 * 1024 + 123);
    writeFileSync(join(dir, 'dump.bin'), data);
    const target = labTarget(lab(), bucket.name, { prefix: 'backups/' });

    const up = s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { file: 'dump.bin', key: 'db/dump.bin', partSizeMiB: 5, sha256: sha256(data) } });
    const uploaded = await put.run(up.ctx);
    expect(uploaded.error).toBeUndefined();
    const upResult = printed(up);
    expect(upResult).toMatchObject({ key: 'db/dump.bin', fullKey: 'backups/db/dump.bin', size: data.length, sha256: sha256(data), multipart: true });
    expect(upResult['versionId']).toMatch(/^[\w.-]+$/);
    expect(upResult['versionId']).not.toBe('null');
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: 'backups/db/dump.bin' }));
    // A multipart ETag ends with the number of parts: 17 MiB in 5 MiB parts is 4.
    expect(head.ETag).toMatch(/-4"$/);

    const down = s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { key: 'db/dump.bin', file: 'restored.bin', sha256: sha256(data) } });
    const downloaded = await get.run(down.ctx);
    expect(downloaded.error).toBeUndefined();
    expect(printed(down)).toMatchObject({ file: 'restored.bin', size: data.length, sha256: sha256(data), versionId: upResult['versionId'] });
    expect(readFileSync(join(dir, 'restored.bin')).equals(data)).toBe(true);
    expect(downloaded.details).toMatchObject({ retries: 0, resumes: 0 });
  });

  it('a download whose digest differs leaves no file, not even a partial one', async () => {
    writeFileSync(join(dir, 'small.txt'), 'backup of record\n');
    const target = labTarget(lab(), bucket.name);
    const up = s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { file: 'small.txt', key: 'small.txt' } });
    expect((await put.run(up.ctx)).error).toBeUndefined();
    expect(printed(up)).toMatchObject({ multipart: false, size: 17, sha256: sha256(Buffer.from('backup of record\n')) });

    const wrong = 'a'.repeat(64);
    const down = s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { key: 'small.txt', file: 'small-restored.txt', sha256: wrong } });
    const observation = await get.run(down.ctx);
    expect(observation.error).toEqual({
      code: 'S3_DIGEST_MISMATCH',
      message: `s3.get: SHA-256 of s3://${bucket.name}/small.txt is ${sha256(Buffer.from('backup of record\n'))}, expected ${wrong} (the store's md5-etag vouches for the bytes: it holds another object than the expected one); no file was written`,
    });
    expect(readdirSync(dir).filter((name) => name.includes('small-restored'))).toEqual([]);
  });

  it('an upload whose digest differs from the expected one is removed again', async () => {
    writeFileSync(join(dir, 'tampered.txt'), 'not what was signed off\n');
    const target = labTarget(lab(), bucket.name);
    const up = s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { file: 'tampered.txt', key: 'tampered.txt', sha256: 'b'.repeat(64) } });
    const observation = await put.run(up.ctx);
    expect(observation.error?.code).toBe('S3_DIGEST_MISMATCH');
    expect(observation.error?.message).toMatch(/^s3\.put: SHA-256 of tampered\.txt is [0-9a-f]{64}, expected b{64}; the uploaded object was removed$/);
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: 'tampered.txt' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('a missing object fails with its full address; an existing file is not replaced unless asked', async () => {
    const target = labTarget(lab(), bucket.name, { prefix: 'backups/' });
    const missing = s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { key: 'nope.dump', file: 'nope.dump' } });
    expect((await get.run(missing.ctx)).error).toEqual({ code: 'S3_NOT_FOUND', message: `s3.get: s3://${bucket.name}/backups/nope.dump does not exist` });
    expect(existsSync(join(dir, 'nope.dump'))).toBe(false);

    writeFileSync(join(dir, 'exists.bin'), 'keep me');
    const clash = s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { key: 'db/dump.bin', file: 'exists.bin' } });
    expect((await get.run(clash.ctx)).error).toEqual({ code: 'S3_FILE_EXISTS', message: 's3.get: exists.bin already exists (set overwrite: true to replace it)' });
    expect(readFileSync(join(dir, 'exists.bin'), 'utf8')).toBe('keep me');
  });

  it('makes the folders of `file` 0700; a link or someone else’s folder on its way, or a link at `file`, fails the step before anything is read', async () => {
    const target = labTarget(lab(), bucket.name);
    await expectPlantsRefused('s3.get', dir, async (file) => (await get.run(s3Attempt(target, labSecrets(lab()), { baseDir: dir, options: { key: 'small.txt', file, overwrite: true } }).ctx)).error);
  });

  it('wrong credentials fail with the store’s answer and never show the secret', async () => {
    const target = labTarget(lab(), bucket.name);
    const secrets = { S3_KEY_ID: lab().accessKeyId, S3_SECRET: 'wrong-secret-value-0123456789' };
    const attempt = s3Attempt(target, secrets, { baseDir: dir, options: { key: 'small.txt', file: 'never.txt' } });
    const observation = await get.run(attempt.ctx);
    expect(observation.error?.code).toBe('S3_SIGNATUREDOESNOTMATCH');
    expect(observation.error?.message).toContain('HTTP 403');
    expect(JSON.stringify(observation)).not.toContain('wrong-secret-value');
    expect(JSON.stringify(observation)).not.toContain(lab().secretAccessKey);
  });
});
