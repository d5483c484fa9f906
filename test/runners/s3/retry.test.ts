import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s3ExportRunner, s3GetRunner, s3LatestRunner, s3PutRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { exportAttempt, factsOf, seed } from './export-support.js';
import { createBucket, labClient, labSecrets, labTarget, printed, s3Attempt } from './support.js';

const lab = useS3Lab();
let client: S3Client;
let bucket: Awaited<ReturnType<typeof createBucket>>;
let proxy: FaultProxy;
let dir: string;

/** A target that reaches radosgw through the fault proxy, with short backoffs. */
const throughProxy = (extra: Record<string, unknown> = {}) =>
  labTarget(lab(), bucket.name, { endpoint: proxy.endpoint, retryBaseDelay: '20ms', ...extra });


// Loaded before any test times something: a first load imports the SDK.
const runners = { latest: await s3LatestRunner.load(), put: await s3PutRunner.load(), get: await s3GetRunner.load(), export: await s3ExportRunner.load() };

describe('s3 retries through a fault-injecting proxy', () => {
  beforeAll(async () => {
    client = labClient(lab());
    bucket = await createBucket(client);
    await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'db/2026-11-28.dump', Body: 'dump' }));
    proxy = await startFaultProxy(lab().endpoint);
    dir = mkdtempSync(join(tmpdir(), 'drillbook-s3-retry-'));
  });
  afterEach(() => proxy.clear());
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await proxy.close();
    await bucket.remove();
    client.destroy();
  });

  it('retries 503 SlowDown with backoff and records each retry', async () => {
    proxy.fail(3, 'slowdown');
    const attempt = s3Attempt(throughProxy(), labSecrets(lab()));
    const observation = await runners.latest.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect(printed(attempt)).toMatchObject({ key: 'db/2026-11-28.dump' });
    expect(observation.details).toMatchObject({ retries: 3 });
    const log = observation.details?.['retryLog'] as { attempt: number; errorType: string; code: string; status: number; delayMs: number }[];
    expect(log.map(({ attempt: n, errorType, code, status }) => ({ n, errorType, code, status }))).toEqual([
      { n: 1, errorType: 'THROTTLING', code: 'SlowDown', status: 503 },
      { n: 2, errorType: 'THROTTLING', code: 'SlowDown', status: 503 },
      { n: 3, errorType: 'THROTTLING', code: 'SlowDown', status: 503 },
    ]);
    // Exponential backoff with full jitter: each delay within [0, base·2^(n−1)].
    log.forEach(({ delayMs }, i) => {
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThanOrEqual(20 * 2 ** i);
    });
  });

  it('retries connections reset during a multipart upload', async () => {
    writeFileSync(join(dir, 'up.bin'), Buffer.alloc(6 * 1024 * 1024, 7));
    proxy.fail(2, 'reset');
    const attempt = s3Attempt(throughProxy(), labSecrets(lab()), { baseDir: dir, options: { file: 'up.bin', key: 'up.bin', partSizeMiB: 5 } });
    const observation = await runners.put.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect(printed(attempt)).toMatchObject({ size: 6 * 1024 * 1024, multipart: true });
    expect(observation.details).toMatchObject({ retries: 2 });
    expect((observation.details?.['retryLog'] as { errorType: string }[]).every((r) => r.errorType === 'TRANSIENT')).toBe(true);
  });

  it('gives up after maxAttempts with the store’s last answer', async () => {
    proxy.fail(10, 'slowdown');
    const seen = proxy.log.length;
    const attempt = s3Attempt(throughProxy({ maxAttempts: 3 }), labSecrets(lab()), { baseDir: dir, options: { key: 'db/2026-11-28.dump', file: 'never.dump' } });
    const observation = await runners.get.run(attempt.ctx);
    // s3.get asks HEAD first (size, storage class, part sizes); a HEAD answer names no error code.
    expect(observation.error).toEqual({
      code: 'S3_HTTP_503',
      message: `s3.get: HEAD of s3://${bucket.name}/db/2026-11-28.dump answered HTTP 503 (SlowDown or ServiceUnavailable) on 3 tries`,
    });
    expect(observation.details).toMatchObject({ retries: 2 });
    expect(proxy.log.slice(seen).map((request) => `${request.method} ${String(request.faulted)}`)).toEqual(['HEAD true', 'HEAD true', 'HEAD true']);
  });

  it('a burst of 30 SlowDowns over 4 objects in flight is ridden out, every retry in the record', async () => {
    const keys = ['burst/a', 'burst/b', 'burst/c', 'burst/d'];
    await seed(client, bucket.name, Object.fromEntries(keys.map((key) => [key, `body of ${key}`])));
    const seen = proxy.log.length;
    // Only the object reads: the listing before them goes through.
    proxy.inject({ fault: 'slowdown', times: 30, match: (request) => request.method === 'GET' && request.key?.startsWith('burst/') === true });
    const attempt = exportAttempt(throughProxy(), labSecrets(lab()), { baseDir: dir, options: { prefix: 'burst/', to: { dir: 'burst-export' }, concurrency: 4 } });
    const observation = await runners.export.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    expect(factsOf(observation.details)).toMatchObject({ exported: { objects: 4 }, destinationVerified: true });
    expect(proxy.log.slice(seen).filter((request) => request.faults.includes('slowdown'))).toHaveLength(30);
    expect(observation.details).toMatchObject({ retries: 30 });
    const log = observation.details?.['retryLog'] as { errorType: string; code: string }[];
    expect(log.every((retry) => retry.errorType === 'THROTTLING' && retry.code === 'SlowDown')).toBe(true);
  });

  it('a stop during a backoff ends the attempt at once', async () => {
    proxy.fail(Infinity, 'slowdown');
    const seen = proxy.log.length;
    const attempt = s3Attempt(throughProxy({ retryBaseDelay: '10s', maxAttempts: 10 }), labSecrets(lab()));
    // Stop once a SlowDown was answered and no request followed for 200 ms: the client is in a backoff
    // (full jitter may make the first one short, so a fixed delay could land on a request instead).
    let stoppedAt = 0;
    let lastCount = seen;
    let quietSince = performance.now();
    const watch = setInterval(() => {
      const last = proxy.log.at(-1);
      if (proxy.log.length === seen || last?.faulted !== true) return;
      if (lastCount !== proxy.log.length) {
        lastCount = proxy.log.length;
        quietSince = performance.now();
      } else if (performance.now() - quietSince >= 200) {
        clearInterval(watch);
        stoppedAt = performance.now();
        attempt.controller.abort(new Error('timeout'));
      }
    }, 10);
    const observation = await runners.latest.run(attempt.ctx);
    clearInterval(watch);
    const requests = proxy.log.slice(seen);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(performance.now() - stoppedAt).toBeLessThan(2_000);
    expect(observation.error?.message).toMatch(/^s3\.latest: listing s3:\/\/t-[0-9a-f]+\/: /);
    // Every SlowDown answered was followed by a backoff, and the stop ended the last one: no request after it.
    expect(requests.every((request) => request.faulted)).toBe(true);
    expect(observation.details).toMatchObject({ retries: requests.length });
  });
});
