/** The s3 client's retry strategy on its own: full jitter, the throttling budget, and the client-wide slow-down. */
import { describe, expect, it } from 'vitest';
import { createRetryStrategy, type RetryRecord } from '../../../runners/shared/s3/retry.js';

const slowDown = { errorType: 'THROTTLING', error: { name: 'SlowDown', $metadata: { httpStatusCode: 503 } } };
const serverError = { errorType: 'SERVER_ERROR', error: { name: 'InternalError', $metadata: { httpStatusCode: 500 } } };

describe('s3 retry strategy', () => {
  it('waits a random time between 0 and the doubled ceiling (full jitter), never above the cap', async () => {
    const records: RetryRecord[] = [];
    const strategy = createRetryStrategy({ maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 1_000, onRetry: (r) => records.push(r), random: () => 0.5 });
    let token = await strategy.acquireInitialRetryToken('');
    for (let i = 0; i < 6; i += 1) token = await strategy.refreshRetryTokenForRetry(token, serverError);
    expect(records.map((r) => r.delayMs)).toEqual([50, 100, 200, 400, 500, 500]);
    const low = createRetryStrategy({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, onRetry: () => undefined, random: () => 0 });
    expect((await low.refreshRetryTokenForRetry(await low.acquireInitialRetryToken(''), serverError)).getRetryDelay()).toBe(0);
  });

  it('throttling has its own budget of tries; other errors stop at maxAttempts', async () => {
    const strategy = createRetryStrategy({ maxAttempts: 3, throttlingAttempts: 6, baseDelayMs: 1, maxDelayMs: 1, onRetry: () => undefined, random: () => 0 });
    const tries = async (info: typeof slowDown): Promise<number> => {
      let token = await strategy.acquireInitialRetryToken('');
      for (;;) {
        try {
          token = await strategy.refreshRetryTokenForRetry(token, info);
        } catch {
          return token.getRetryCount() + 1;
        }
      }
    };
    expect(await tries(slowDown)).toBe(6);
    expect(await tries(serverError)).toBe(3);
    // A HEAD's 503 carries no error code; on S3 it is throttling all the same.
    expect(await tries({ errorType: 'TRANSIENT', error: { name: 'Unknown', $metadata: { httpStatusCode: 503 } } })).toBe(6);
  });

  it('while the store throttles, new requests of the same client wait out the backoff too', async () => {
    let clock = 1_000;
    const strategy = createRetryStrategy({ maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, onRetry: () => undefined, random: () => 0.5, now: () => clock });
    await strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(''), slowDown);
    // Throttled until 1,100: a request started at 1,050 waits about 50 ms.
    clock = 1_050;
    const started = performance.now();
    await strategy.acquireInitialRetryToken('');
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    clock = 1_200;
    const later = performance.now();
    await strategy.acquireInitialRetryToken('');
    expect(performance.now() - later).toBeLessThan(20);
  });
});
