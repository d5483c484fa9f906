/**
 * One S3 client per attempt, configured from the target: endpoint and path style for S3-compatible
 * stores, the checksum mode they need, credentials from secrets or the AWS default chain, and the
 * recording retry strategy. Shared by the s3 and canary runners; only loaded when one of their steps runs
 * on an s3 target (the SDK takes ~0.2 s to import).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { type AttemptContext, parseDuration, s3TargetDefaults } from '../../../src/runner-contract.js';
import { createRetryStrategy, type RetryRecord } from './retry.js';
import { resolveS3Target, type ResolvedS3Target } from './target.js';

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

/** What any S3 client of drillbook's is made from: a step's target, or an evidence store's URL. */
export interface S3ClientSettings {
  region: string;
  /** An S3-compatible store's base URL; absent for AWS. */
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  checksums?: 'when-required' | 'when-supported' | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  profile?: string | undefined;
  /** Tries of one request (the first included) on 5xx and network errors. */
  maxAttempts?: number | undefined;
  /** Tries on throttling; default: the longer of maxAttempts and defaultThrottlingAttempts. */
  throttlingAttempts?: number | undefined;
  retryBaseDelayMs?: number | undefined;
  onRetry?: (record: RetryRecord) => void;
}

/** Client settings; pure, exported for tests. */
export function s3ClientConfig(settings: S3ClientSettings): S3ClientConfig {
  const compatible = settings.endpoint !== undefined;
  // S3-compatible stores reject or corrupt the SDK's newer default checksums; Content-MD5 is sent instead.
  const checksums = settings.checksums ?? (compatible ? 'when-required' : 'when-supported');
  const checksumMode = checksums === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const maxAttempts = settings.maxAttempts ?? s3TargetDefaults.maxAttempts;
  const throttlingAttempts = settings.throttlingAttempts ?? Math.max(defaultThrottlingAttempts, maxAttempts);
  return {
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle ?? compatible,
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: checksumMode,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.profile === undefined ? {} : { profile: settings.profile }),
    maxAttempts: Math.max(maxAttempts, throttlingAttempts),
    retryStrategy: createRetryStrategy({
      maxAttempts,
      throttlingAttempts,
      baseDelayMs: settings.retryBaseDelayMs ?? s3TargetDefaults.retryBaseDelayMs,
      maxDelayMs: s3TargetDefaults.retryMaxDelayMs,
      onRetry: settings.onRetry ?? (() => undefined),
    }),
    requestHandler: { connectionTimeout: connectTimeoutMs, requestTimeout: socketIdleTimeoutMs },
  };
}

/** The one place an S3 client is made. */
export function createS3Client(settings: S3ClientSettings): S3Client {
  return new S3Client(s3ClientConfig(settings));
}

/** Client settings for a step's target. */
export function targetSettings(target: ResolvedS3Target, onRetry: (record: RetryRecord) => void): S3ClientSettings {
  const { options } = target;
  return {
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    checksums: options.checksums,
    credentials: target.credentials,
    profile: options.profile,
    maxAttempts: options.maxAttempts,
    // A target's own maxAttempts counts every try; without it, throttling gets the longer budget.
    throttlingAttempts: options.maxAttempts,
    retryBaseDelayMs: options.retryBaseDelay === undefined ? undefined : parseDuration(options.retryBaseDelay),
    onRetry,
  };
}

/** A client for the step's target; throws StepError when the target or its secrets are unusable. */
export function openS3Session(ctx: Pick<AttemptContext, 'target' | 'secret' | 'log'>, runner: string): S3Session {
  const target = resolveS3Target(ctx, runner);
  const retries: RetryRecord[] = [];
  const client = createS3Client(
    targetSettings(target, (record) => {
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
