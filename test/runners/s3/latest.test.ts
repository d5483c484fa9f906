import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractOutputs } from '../../../src/engine/outputs.js';
import { s3LatestRunner } from '../../../runners/s3/definition.js';
import { useS3Lab } from '../../lab/use-heavy-servers.js';
import { createBucket, labClient, labSecrets, labTarget, printed, s3Attempt } from './support.js';

const lab = useS3Lab();
const runner = await s3LatestRunner.load();
let client: S3Client;
let bucket: Awaited<ReturnType<typeof createBucket>>;

async function putAll(keys: string[], concurrency = 32): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let key = keys[next++]; key !== undefined; key = keys[next++]) {
      await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: key }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe('s3.latest', () => {
  beforeAll(async () => {
    client = labClient(lab());
    bucket = await createBucket(client);
    // 1,010 keys (two listing pages), then, a second later, one that is neither first nor last by name.
    // k-0000..k-0099 go one at a time, so k-0099 is never older than the others: parallel puts may finish
    // out of order, and the pattern test would then depend on which one the store stamped last.
    await putAll(Array.from({ length: 100 }, (_, i) => `daily/k-${String(i).padStart(4, '0')}`), 1);
    await putAll(Array.from({ length: 910 }, (_, i) => `daily/k-${String(i + 100).padStart(4, '0')}`));
    await putAll(['other/ignored']);
    await sleep(1_100);
    await putAll(['daily/k-1005-new']);
  });
  afterAll(async () => {
    await bucket.remove();
    client.destroy();
  });

  it('finds the newest object on the second page of the listing', async () => {
    const attempt = s3Attempt(labTarget(lab(), bucket.name, { prefix: 'daily/' }), labSecrets(lab()));
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toBeUndefined();
    const result = printed(attempt);
    expect(result).toMatchObject({ bucket: bucket.name, key: 'k-1005-new', fullKey: 'daily/k-1005-new', size: 16, versionId: 'null', scanned: 1_011, matched: 1_011 });
    expect(observation.details).toMatchObject({ pages: 2, scanned: 1_011, retries: 0 });
    expect(Date.parse(String(result['lastModified']))).toBeGreaterThan(Date.now() - 60_000);
    // The outputs a scenario declares read this JSON.
    const outputs = extractOutputs({ key: { json: '/key' }, age: { json: '/ageMs' } }, observation);
    expect(outputs).toMatchObject({ ok: true, values: { key: 'k-1005-new' } });
  });

  it('applies the pattern, breaks LastModified ties by key and measures age at asOf', async () => {
    const first = s3Attempt(labTarget(lab(), bucket.name), labSecrets(lab()), { options: { prefix: 'daily/', match: '^daily/k-00' } });
    await runner.run(first.ctx);
    const newest = printed(first);
    expect(newest).toMatchObject({ key: 'daily/k-0099', matched: 100, scanned: 1_011 });

    const asOf = new Date(Date.parse(String(newest['lastModified'])) + 90_000).toISOString();
    const second = s3Attempt(labTarget(lab(), bucket.name), labSecrets(lab()), { options: { prefix: 'daily/', match: '^daily/k-00', asOf } });
    await runner.run(second.ctx);
    expect(printed(second)).toMatchObject({ ageMs: 90_000, asOf });
  });

  it('fails when nothing matches, saying where it looked', async () => {
    const attempt = s3Attempt(labTarget(lab(), bucket.name, { prefix: 'weekly/' }), labSecrets(lab()));
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({ code: 'S3_NO_OBJECT', message: `s3.latest: no object under s3://${bucket.name}/weekly/ (0 listed)` });
    expect(printed(attempt)).toMatchObject({ found: false, scanned: 0 });
  });

  it('takes credentials from the AWS default chain (here the environment) when the target names no secrets', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: lab().accessKeyId, AWS_SECRET_ACCESS_KEY: lab().secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' });
    try {
      const target = labTarget(lab(), bucket.name, { prefix: 'daily/', accessKeyIdSecret: undefined, secretAccessKeySecret: undefined });
      const attempt = s3Attempt(target, {});
      const observation = await runner.run(attempt.ctx);
      expect(observation.error).toBeUndefined();
      expect(printed(attempt)).toMatchObject({ key: 'k-1005-new' });
    } finally {
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_EC2_METADATA_DISABLED']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it('refuses a target whose credential secret has no value, without trying', async () => {
    const attempt = s3Attempt(labTarget(lab(), bucket.name), {});
    const observation = await runner.run(attempt.ctx);
    expect(observation.error).toEqual({
      code: 'S3_NO_CREDENTIALS',
      message: 's3.latest: secret S3_KEY_ID (the access key id of target store) has no value',
    });
  });
});
