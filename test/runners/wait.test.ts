import { describe, expect, it } from 'vitest';
import { waitRunner } from '../../runners/wait/definition.js';
import { createTestAttempt } from './attempt-context.js';

const runner = await waitRunner.load();

describe('wait runner', () => {
  it('waits the whole duration', async () => {
    const attempt = createTestAttempt({ options: { duration: '50ms' } });
    const observation = await runner.run(attempt.ctx);
    expect(observation.details).toMatchObject({ requestedMs: 50, completed: true });
    expect(observation.details?.['waitedMs']).toBeGreaterThanOrEqual(49);
  });

  it('resolves, not rejects, with the time waited when stopped early', async () => {
    const attempt = createTestAttempt({ options: { duration: '10s' } });
    setTimeout(() => attempt.controller.abort(new Error('deadline')), 50);
    const startedAt = performance.now();
    const observation = await runner.run(attempt.ctx);
    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(observation.details).toMatchObject({ requestedMs: 10_000, completed: false });
    expect(observation.details?.['waitedMs']).toBeGreaterThanOrEqual(40);
    expect(observation.details?.['waitedMs']).toBeLessThan(500);
  });

  it('goes through the attempt clock, so a simulated clock drives it', async () => {
    let now = 1_000;
    const slept: number[] = [];
    const attempt = createTestAttempt({
      options: { duration: '1h30m' },
      clock: {
        now: () => now,
        sleep: (ms) => {
          slept.push(ms);
          now += ms;
          return Promise.resolve();
        },
      },
    });
    expect(await runner.run(attempt.ctx)).toEqual({ details: { requestedMs: 5_400_000, waitedMs: 5_400_000, completed: true } });
    expect(slept).toEqual([5_400_000]);
  });

  it('receives its options parsed by its schema: what a template made invalid is refused before it runs', async () => {
    const attempt = createTestAttempt({ options: { duration: 'soon' } });
    expect(await runner.run(attempt.ctx)).toEqual({
      error: { code: 'INVALID_OPTIONS', message: 'wait: with.duration: expected a duration such as 500ms, 90s, 15m, 2h or 1h30m' },
    });
    const extra = createTestAttempt({ options: { duration: '1s', until: 'later' } });
    expect((await runner.run(extra.ctx)).error?.code).toBe('INVALID_OPTIONS');
  });
});
