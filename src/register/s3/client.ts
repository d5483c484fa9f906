/** The S3 client of an evidence store. The SDK is imported only when an s3:// store is used (~0.2 s). */
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from './location.js';

/**
 * A client for the location: path-style requests and only required checksums for S3-compatible stores.
 * Keys in `env` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) are used when given; otherwise
 * the AWS default chain (profile, instance role, …).
 */
export async function createS3Client(location: S3Location, env: NodeJS.ProcessEnv = process.env): Promise<S3Client> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { S3Client } = await import('@aws-sdk/client-s3');
  const compatible = location.endpoint !== undefined;
  // S3-compatible stores reject or corrupt the SDK's newer default checksums; Content-MD5 is sent instead.
  const checksums = compatible ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  return new S3Client({
    region: location.region,
    ...(compatible && { endpoint: location.endpoint, forcePathStyle: true }),
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    ...(env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY'] && {
      credentials: {
        accessKeyId: env['AWS_ACCESS_KEY_ID'],
        secretAccessKey: env['AWS_SECRET_ACCESS_KEY'],
        ...(env['AWS_SESSION_TOKEN'] && { sessionToken: env['AWS_SESSION_TOKEN'] }),
      },
    }),
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
  });
}

/** The HTTP status of an SDK error, if it has one. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
