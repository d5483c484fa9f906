import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
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
});
