import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { startFaultProxy, type FaultProxy } from '../s3/fault-proxy.js';
import { createBucket, labClient, labSecrets, labTarget } from '../s3/support.js';
import { expectWithinUncertainty, read, startWriter } from './support.js';

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

  it('measures the RPO when the store stops taking writes at a known time', async () => {
    // The writer goes through the proxy; from the cut on, every write is refused (503, no retry).
    const writing = labTarget(lab(), bucket.name, { endpoint: proxy.endpoint, prefix: 'canary/', maxAttempts: 1 });
    const writer = startWriter({ s3: { key: 'marker.json' }, interval: '100ms' }, { target: writing, secrets: labSecrets(lab()) });
    await sleep(1_000);
    const cutStart = Date.now();
    proxy.fail(Infinity, 'slowdown');
    const cutEnd = Date.now() + 20; // a PUT already in flight may still land
    await sleep(600);
    const t0 = Date.now();
    const written = await writer.stop();
    expect(written.error).toBeUndefined();
    expect(written.details?.['failures']).toBeGreaterThanOrEqual(4);
    expect(written.details?.['lastError']).toBe('SlowDown (HTTP 503): Please reduce your request rate.');

    const reading = labTarget(lab(), bucket.name, { prefix: 'canary/' });
    const { observation, result } = await read({ s3: { key: 'marker.json' }, t0: new Date(t0).toISOString() }, { target: reading, secrets: labSecrets(lab()) });
    expect(observation.error).toBeUndefined();
    expectWithinUncertainty(result, t0, cutStart, cutEnd);
    expect(result).toMatchObject({ store: `s3://${bucket.name}/canary/marker.json`, markersFound: 1 });
  });
});
