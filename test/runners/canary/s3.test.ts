import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { startFaultProxy, type FaultProxy } from '../s3/fault-proxy.js';
import { createBucket, labClient, labSecrets, labTarget } from '../s3/support.js';
import { read, startWriter } from './support.js';

const lab = useS3Lab();
let client: S3Client;
let bucket: Awaited<ReturnType<typeof createBucket>>;
let proxy: FaultProxy;

describe('canary on an S3 object', () => {
  beforeAll(async () => {
    client = labClient(lab());
    bucket = await createBucket(client);
    proxy = await startFaultProxy(lab().endpoint);
  });
  afterAll(async () => {
    await proxy.close();
    await bucket.remove();
    client.destroy();
  });

  it('measures the RPO when the store stops taking writes: the newest marker that got through, within the uncertainty', async () => {
    // The writer goes through the proxy; from the cut on, every write is refused (503, no retry).
    const writing = labTarget(lab(), bucket.name, { endpoint: proxy.endpoint, prefix: 'canary/', maxAttempts: 1 });
    const writer = startWriter({ s3: { key: 'marker.json' }, interval: '100ms' }, { target: writing, secrets: labSecrets(lab()) });
    await sleep(1_000);
    proxy.fail(Infinity, 'slowdown');
    await sleep(600);
    const t0 = Date.now();
    const written = await writer.stop();
    expect(written.error).toBeUndefined();
    expect(written.details?.['failures']).toBeGreaterThanOrEqual(1);
    expect(written.details?.['lastError']).toBe('SlowDown (HTTP 503): Please reduce your request rate.');

    // What reached the store and what was refused, as the proxy saw it: the ground truth.
    const puts = proxy.log.filter((request) => request.method === 'PUT' && request.body !== undefined);
    const marker = (body: string | undefined) => JSON.parse(body ?? '{}') as { seq: number; writtenAt: string };
    const lastStored = marker(puts.filter((request) => !request.faulted).at(-1)?.body);
    const firstLost = marker(puts.find((request) => request.faulted)?.body);
    expect(firstLost.seq).toBe(lastStored.seq + 1);

    const reading = labTarget(lab(), bucket.name, { prefix: 'canary/' });
    const { observation, result } = await read({ s3: { key: 'marker.json' }, t0: new Date(t0).toISOString() }, { target: reading, secrets: labSecrets(lab()) });
    expect(observation.error).toBeUndefined();
    expect(result).toMatchObject({ store: `s3://${bucket.name}/canary/marker.json`, markersFound: 1, newestMarker: { seq: lastStored.seq } });
    expect(result['rpoMs']).toBe(t0 - Date.parse(lastStored.writtenAt));
    // The data-loss boundary lies between the last stored marker and the first lost one: the stated
    // uncertainty covers that gap.
    expect(Date.parse(firstLost.writtenAt) - Date.parse(lastStored.writtenAt)).toBeLessThanOrEqual(result['uncertaintyMs'] as number);
  });

  it('a marker damaged on its way back is read again, never taken for another time; damaged on every read, the read fails', async () => {
    const marker = { seq: 7, writtenAt: '2026-11-28T14:00:00.000Z', writer: 'w-1', intervalMs: 1000, maxGapMs: 1000, maxWriteMs: 20, clockDriftMs: 0 };
    const body = JSON.stringify(marker);
    await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'canary/flip.json', Body: body }));
    // The tens of minutes: '0' XOR 1 is '1', so a damaged marker still parses, ten minutes younger.
    const at = body.indexOf('14:00') + 3;
    const damage = (times?: number) =>
      proxy.inject({ fault: 'flip-byte', at, mask: 0x01, ...(times === undefined ? {} : { times }), match: (r) => r.method === 'GET' && r.key === 'canary/flip.json' });
    const target = labTarget(lab(), bucket.name, { endpoint: proxy.endpoint, prefix: 'canary/' });
    const options = { s3: { key: 'flip.json' }, t0: '2026-11-28T14:30:00.000Z' };
    proxy.clear();
    try {
      damage(1);
      const once = await read(options, { target, secrets: labSecrets(lab()) });
      expect(once.observation.error).toBeUndefined();
      expect(once.result).toMatchObject({ rpoMs: 30 * 60_000, newestMarker: { seq: 7, writtenAt: marker.writtenAt } });

      proxy.clear();
      damage();
      const always = await read(options, { target, secrets: labSecrets(lab()) });
      const damaged = Buffer.from(body);
      damaged[at] = (damaged[at] ?? 0) ^ 0x01;
      const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');
      expect(always.observation.error).toEqual({
        code: 'S3_INTEGRITY_MISMATCH',
        message: `canary.read: s3://${bucket.name}/canary/flip.json failed its integrity check on 2 reads (${body.length} bytes received): md5-etag: expected ${md5(body)}, got ${md5(damaged)}; nothing of it was kept`,
      });
    } finally {
      proxy.clear();
    }
  });
});
