/**
 * One S3 client per attempt, configured from the target: endpoint and path style for S3-compatible
 * stores, the checksum mode they need, credentials from secrets or the AWS default chain, and the
 * recording retry strategy. Shared by the s3 and canary runners; only loaded when one of their steps runs
 * on an s3 target (the SDK takes ~0.2 s to import).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AttemptContext } from '../../../src/runner-contract.js';
import { parseDuration } from '../../../src/scenario/duration.js';
import { s3TargetDefaults } from '../../../src/scenario/targets/s3.js';
import { createRetryStrategy, type RetryRecord } from './retry.js';
import { resolveS3Target, type ResolvedS3Target } from './target.js';

// The SDK is pinned while drillbook supports Node 20; its notice about future releases is not for operators.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export interface S3Session {
  client: S3Client;
  target: ResolvedS3Target;
  /** Every retry made by this attempt's requests, in order. */
  retries: RetryRecord[];
  /** Facts for `observation.details`: which bucket and endpoint, and the retries. */
  details(): Record<string, unknown>;
  close(): void;
}

/**
 * Tries of one request on throttling when the target sets no `maxAttempts`: a burst of 30 SlowDowns over
 * 4 concurrent requests needs about 8 each, more than the 5 other errors get.
 */
export const defaultThrottlingAttempts = 12;
const connectTimeoutMs = 10_000;
// A socket silent this long is dead: the request fails (and is retried) instead of hanging to the step timeout.
const socketIdleTimeoutMs = 60_000;

/** Client settings for a target; pure, exported for tests. */
export function clientConfig(target: ResolvedS3Target, onRetry: (record: RetryRecord) => void): S3ClientConfig {
  const { options } = target;
  const compatible = options.endpoint !== undefined;
  const checksums = options.checksums ?? (compatible ? 'when-required' : 'when-supported');
  const checksumMode = checksums === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const maxAttempts = options.maxAttempts ?? s3TargetDefaults.maxAttempts;
  // A target's own maxAttempts counts every try; without it, throttling gets the longer budget.
  const throttlingAttempts = options.maxAttempts ?? Math.max(defaultThrottlingAttempts, maxAttempts);
  return {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? compatible,
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: checksumMode,
    ...(target.credentials ? { credentials: target.credentials } : {}),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    maxAttempts: Math.max(maxAttempts, throttlingAttempts),
    retryStrategy: createRetryStrategy({
      maxAttempts,
      throttlingAttempts,
      baseDelayMs: (options.retryBaseDelay === undefined ? undefined : parseDuration(options.retryBaseDelay)) ?? s3TargetDefaults.retryBaseDelayMs,
      maxDelayMs: s3TargetDefaults.retryMaxDelayMs,
      onRetry,
    }),
    requestHandler: { connectionTimeout: connectTimeoutMs, requestTimeout: socketIdleTimeoutMs },
  };
}

/** A client for the step's target; throws StepError when the target or its secrets are unusable. */
export function openS3Session(ctx: Pick<AttemptContext, 'target' | 'secret' | 'log'>, runner: string): S3Session {
  const target = resolveS3Target(ctx, runner);
  const retries: RetryRecord[] = [];
  const client = new S3Client(
    clientConfig(target, (record) => {
      retries.push(record);
      ctx.log.warn({ ...record }, 's3 request retried');
    }),
  );
  return {
    client,
    target,
    retries,
    details: () => ({
      target: target.name,
      bucket: target.bucket,
      ...(target.options.endpoint === undefined ? {} : { endpoint: target.options.endpoint }),
      retries: retries.length,
      // The first few are enough to see what happened; the count says how many there were.
      ...(retries.length ? { retryLog: retries.slice(0, 20) } : {}),
    }),
    close: () => client.destroy(),
  };
}
