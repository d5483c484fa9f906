/** One factory makes every S3 client: a step's target and an evidence store get the same compatibility and retry rules. */
import { describe, expect, it } from 'vitest';
import { s3ClientConfig, targetSettings } from '../../../runners/shared/s3/client.js';
import type { ResolvedS3Target } from '../../../runners/shared/s3/target.js';
import { createS3Client } from '../../../src/register/s3/client.js';
import { parseS3Location } from '../../../src/register/s3/location.js';

describe('the S3 client factory', () => {
  it('an S3-compatible endpoint gets path style and only required checksums; AWS gets the SDK defaults', () => {
    const compatible = s3ClientConfig({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    expect(compatible).toMatchObject({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    const aws = s3ClientConfig({ region: 'eu-west-3' });
    expect(aws).toMatchObject({ forcePathStyle: false, requestChecksumCalculation: 'WHEN_SUPPORTED' });
    expect(aws.endpoint).toBeUndefined();
  });

  it('a target that sets maxAttempts counts every try by it; without, throttling gets the longer budget', () => {
    const target = (maxAttempts?: number): ResolvedS3Target => ({ name: 't', bucket: 'b', prefix: '', options: { bucket: 'b', region: 'us-east-1', ...(maxAttempts ? { maxAttempts } : {}) } });
    expect(s3ClientConfig(targetSettings(target(3), () => undefined)).maxAttempts).toBe(3);
    expect(s3ClientConfig(targetSettings(target(), () => undefined)).maxAttempts).toBe(12);
  });

  it('an evidence store gets its keys from the environment and the same retry strategy', async () => {
    const location = parseS3Location('s3://evidence/runs?endpoint=http://127.0.0.1:9', {});
    const client = await createS3Client(location, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-key' });
    try {
      const credentials = await client.config.credentials();
      expect(credentials.accessKeyId).toBe('AKIDEXAMPLE');
      expect(client.config.forcePathStyle).toBe(true);
      const strategy = await client.config.retryStrategy();
      expect(typeof (strategy as { refreshRetryTokenForRetry?: unknown }).refreshRetryTokenForRetry).toBe('function');
      expect(await client.config.maxAttempts()).toBe(12);
    } finally {
      client.destroy();
    }
  });
});
