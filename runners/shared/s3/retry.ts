/**
 * The S3 client's retry strategy: exponential backoff with full jitter on throttling (503 SlowDown, 429),
 * 5xx and network errors, and a record of every retry for the run record. The SDK's retry middleware
 * races each wait against the request's abort signal, so a stopped step never waits out a backoff.
 */

/** One retry, as the record keeps it. */
export interface RetryRecord {
  /** The try that failed (1 = the first request). */
  attempt: number;
  /** THROTTLING, TRANSIENT or SERVER_ERROR, as the SDK classifies the error. */
  errorType: string;
  /** Error name (`SlowDown`, `InternalError`) or Node error code (`ECONNRESET`). */
  code: string;
  status?: number;
  delayMs: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  onRetry(record: RetryRecord): void;
  /** Jitter source in [0, 1); injectable for tests. */
  random?: () => number;
}

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

interface ErrorInfo {
  errorType: string;
  error?: unknown;
  retryAfterHint?: Date;
}

const retryable = new Set(['THROTTLING', 'TRANSIENT', 'SERVER_ERROR']);

function token(count: number, delayMs: number): Token {
  return { getRetryCount: () => count, getRetryDelay: () => delayMs };
}

/** What names the failure best: the service's error code, else the socket's. */
export function errorCode(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'Error';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A RetryStrategyV2 (the SDK's interface, structurally) that records what it retries. */
export function createRetryStrategy(policy: RetryPolicy): {
  acquireInitialRetryToken(scope: string): Promise<Token>;
  refreshRetryTokenForRetry(previous: Token, info: ErrorInfo): Promise<Token>;
  recordSuccess(token: Token): void;
} {
  const random = policy.random ?? Math.random;
  return {
    acquireInitialRetryToken: () => Promise.resolve(token(0, 0)),
    refreshRetryTokenForRetry(previous, info) {
      const attempt = previous.getRetryCount() + 1;
      if (!retryable.has(info.errorType) || attempt >= policy.maxAttempts) {
        // The middleware rethrows the request's own error, not this one.
        return Promise.reject(new Error('no retry'));
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      let delayMs = Math.round(ceiling / 2 + random() * (ceiling / 2));
      const hintMs = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : 0;
      if (hintMs > delayMs) delayMs = Math.min(policy.maxDelayMs, Math.round(hintMs));
      const status = httpStatusOf(info.error);
      policy.onRetry({ attempt, errorType: info.errorType, code: errorCode(info.error), ...(status === undefined ? {} : { status }), delayMs });
      return Promise.resolve(token(attempt, delayMs));
    },
    recordSuccess: () => undefined,
  };
}
