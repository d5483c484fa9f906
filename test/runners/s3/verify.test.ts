import { PutObjectCommand, PutObjectLegalHoldCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3VerifyRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { startFaultProxy } from './fault-proxy.js';
import { createBucket, labClient, labSecrets, labTarget, printed, s3Attempt } from './support.js';

const lab = useS3Lab();
const verify = await s3VerifyRunner.load();
let client: S3Client;
let locked: Awaited<ReturnType<typeof createBucket>>;
let plain: Awaited<ReturnType<typeof createBucket>>;
const body = 'pg_dump custom format, pretend\n';
const digest = createHash('sha256').update(body).digest('hex');

async function check(bucket: string, options: Record<string, unknown>): Promise<{ error: unknown; result: Record<string, unknown> }> {
  const attempt = s3Attempt(labTarget(lab(), bucket), labSecrets(lab()), { options });
  const observation = await verify.run(attempt.ctx);
  return { error: observation.error, result: printed(attempt) };
}

describe('s3.verify', () => {
  beforeAll(async () => {
    client = labClient(lab());
    [locked, plain] = await Promise.all([createBucket(client, { lockDays: 30 }), createBucket(client)]);
    await client.send(new PutObjectCommand({ Bucket: locked.name, Key: 'db.dump', Body: body }));
    await client.send(new PutObjectCommand({ Bucket: locked.name, Key: 'held.dump', Body: body }));
    await client.send(new PutObjectLegalHoldCommand({ Bucket: locked.name, Key: 'held.dump', LegalHold: { Status: 'ON' } }));
    await client.send(new PutObjectCommand({ Bucket: plain.name, Key: 'db.dump', Body: body }));
  });
  afterAll(async () => {
    await Promise.all([locked.remove(), plain.remove()]);
    client.destroy();
  });

  it('passes an immutable backup: exists, size, digest, versioning, retention long enough', async () => {
    const { error, result } = await check(locked.name, {
      key: 'db.dump',
      size: body.length,
      sha256: digest,
      versioning: true,
      objectLock: { minRetentionDays: 29, mode: 'GOVERNANCE' },
    });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ passed: true, exists: true, size: body.length, sha256: digest, versioning: 'Enabled', objectLock: { mode: 'GOVERNANCE' } });
    const remaining = (result['objectLock'] as { remainingDays: number }).remainingDays;
    expect(remaining).toBeGreaterThan(29.9);
    expect(remaining).toBeLessThanOrEqual(30);
    expect((result['checks'] as unknown[]).length).toBe(7);
  });

  it('fails retention that is too short or of the wrong mode, and says what it found', async () => {
    const { error, result } = await check(locked.name, { key: 'db.dump', objectLock: { minRetentionDays: 31, mode: 'COMPLIANCE' } });
    expect(result['passed']).toBe(false);
    expect(error).toMatchObject({ code: 'S3_CHECK_FAILED' });
    expect((error as { message: string }).message).toMatch(
      new RegExp(`^s3\\.verify s3://${locked.name}/db\\.dump: retention mode: expected COMPLIANCE, found GOVERNANCE; retention days: expected >= 31, found 29\\.\\d+$`),
    );
  });

  it('checks the legal hold both ways', async () => {
    expect((await check(locked.name, { key: 'held.dump', legalHold: true })).error).toBeUndefined();
    const off = await check(locked.name, { key: 'db.dump', legalHold: true });
    expect(off.error).toEqual({ code: 'S3_CHECK_FAILED', message: `s3.verify s3://${locked.name}/db.dump: legal hold: expected ON, found OFF` });
  });

  it('fails a bucket without versioning or Object Lock', async () => {
    const { error, result } = await check(plain.name, { key: 'db.dump', versioning: true, objectLock: { minRetentionDays: 7 }, legalHold: false });
    expect(result).toMatchObject({ versioning: 'never enabled', objectLock: { mode: null, retainUntil: null }, legalHold: 'OFF' });
    expect(error).toEqual({
      code: 'S3_CHECK_FAILED',
      message: `s3.verify s3://${plain.name}/db.dump: versioning: expected Enabled, found never enabled; retention present: expected a retention, found none; retention days: expected >= 7, found none`,
    });
  });

  it('checks the bucket default retention when no key is given', async () => {
    expect((await check(locked.name, { versioning: true, objectLock: { minRetentionDays: 30 } })).error).toBeUndefined();
    const plainBucket = await check(plain.name, { objectLock: { minRetentionDays: 1 } });
    expect(plainBucket.result['objectLock']).toEqual({ enabled: false, defaultMode: null, defaultDays: null });
    expect((plainBucket.error as { message: string }).message).toContain('object lock enabled: expected Enabled, found not configured');
  });

  it('fails a wrong size or digest, and a missing object unless absence was asked for', async () => {
    const wrong = await check(plain.name, { key: 'db.dump', size: 1, sha256: '0'.repeat(64) });
    expect(wrong.error).toEqual({
      code: 'S3_CHECK_FAILED',
      message: `s3.verify s3://${plain.name}/db.dump: size: expected 1, found ${body.length}; sha256: expected ${'0'.repeat(64)}, found ${digest}`,
    });
    const missing = await check(plain.name, { key: 'gone.dump', size: 1 });
    expect(missing.error).toEqual({ code: 'S3_CHECK_FAILED', message: `s3.verify s3://${plain.name}/gone.dump: exists: expected true, found false` });
    expect((await check(plain.name, { key: 'gone.dump', exists: false })).error).toBeUndefined();
  });
  it('the sha256 read is checked against the store’s facts: damaged once, read again; damaged always, a failed integrity check', async () => {
    const proxy = await startFaultProxy(lab().endpoint);
    try {
      const run = async () => {
        const attempt = s3Attempt(labTarget(lab(), plain.name, { endpoint: proxy.endpoint }), labSecrets(lab()), { options: { key: 'db.dump', sha256: digest } });
        const observation = await verify.run(attempt.ctx);
        return { observation, result: printed(attempt) };
      };
      proxy.inject({ fault: 'flip-byte', times: 1, match: (r) => r.method === 'GET' });
      const once = await run();
      expect(once.observation.error).toBeUndefined();
      expect(once.observation.details).toMatchObject({ integrity: { checked: ['size', 'md5-etag'], result: 'verified' }, integrityRetries: [{ mismatches: [{ fact: 'md5-etag' }] }] });
      expect(once.result).toMatchObject({ passed: true, sha256: digest });

      proxy.clear();
      proxy.inject({ fault: 'flip-byte', match: (r) => r.method === 'GET' });
      const always = await run();
      expect(always.observation.error?.code).toBe('S3_CHECK_FAILED');
      expect(always.observation.error?.message).toMatch(/: integrity: expected the store's size, md5-etag, found md5-etag: expected [0-9a-f]{32}, got [0-9a-f]{32}; sha256: expected [0-9a-f]{64}, found [0-9a-f]{64}$/);
    } finally {
      await proxy.close();
    }
  });
});
