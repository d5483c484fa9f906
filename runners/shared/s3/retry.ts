/**
 * The S3 client's retry strategy: exponential backoff with full jitter (a random wait between 0 and the
 * doubled ceiling, so that concurrent requests spread out instead of retrying in step) on throttling
 * (503 SlowDown, 429), 5xx and network errors, and a record of every retry for the run record. Throttling
 * has its own budget of tries (a throttled store asks to slow down, it is not failing), and while one
 * request of a client waits out a throttling backoff, new requests of that client wait too: the client as
 * a whole slows down, as the SDK's adaptive mode does. The SDK's retry middleware races each wait against
 * the request's abort signal, so a stopped step never waits out a backoff.
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
  /** Tries of one request (the first included) on 5xx and network errors. */
  maxAttempts: number;
  /** Tries of one request on throttling (default: maxAttempts). */
  throttlingAttempts?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  onRetry(record: RetryRecord): void;
  /** Jitter source in [0, 1); injectable for tests. */
  random?: () => number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
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
  const now = policy.now ?? (() => performance.now());
  const throttlingAttempts = policy.throttlingAttempts ?? policy.maxAttempts;
  // Until when the store asked this client to slow down.
  let throttledUntilMs = 0;
  return {
    async acquireInitialRetryToken() {
      const waitMs = throttledUntilMs - now();
      if (waitMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
      return token(0, 0);
    },
    refreshRetryTokenForRetry(previous, info) {
      const attempt = previous.getRetryCount() + 1;
      // A HEAD's 503 has no body to say SlowDown: on S3 a 503 is the store asking to slow down.
      const throttled = info.errorType === 'THROTTLING' || httpStatusOf(info.error) === 503;
      const budget = throttled ? throttlingAttempts : policy.maxAttempts;
      if (!retryable.has(info.errorType) || attempt >= budget) {
        // The middleware rethrows the request's own error, not this one.
        return Promise.reject(new Error('no retry'));
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      let delayMs = Math.round(random() * ceiling);
      const hintMs = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : 0;
      if (hintMs > delayMs) delayMs = Math.min(policy.maxDelayMs, Math.round(hintMs));
      if (throttled) throttledUntilMs = Math.max(throttledUntilMs, now() + delayMs);
      const status = httpStatusOf(info.error);
      policy.onRetry({ attempt, errorType: info.errorType, code: errorCode(info.error), ...(status === undefined ? {} : { status }), delayMs });
      return Promise.resolve(token(attempt, delayMs));
    },
    recordSuccess: () => undefined,
  };
}
