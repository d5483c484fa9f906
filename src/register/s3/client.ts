/** The S3 client of an evidence store. The SDK is imported only when an s3:// store is used (~0.2 s). */
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from './location.js';

/**
 * A client for the location, made by the same factory as the s3 steps' (path style and only required
 * checksums for S3-compatible stores, backoff with jitter). Keys in `env` (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) are used when given; otherwise the AWS default chain.
 */
export async function createS3Client(location: S3Location, env: NodeJS.ProcessEnv = process.env): Promise<S3Client> {
  const { createS3Client: create } = await import('../../../runners/shared/s3/client.js');
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = env['AWS_SESSION_TOKEN'];
  return create({
    region: location.region,
    endpoint: location.endpoint,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  });
}

/** The HTTP status of an SDK error, if it has one. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
