/** The machine's monotonic clock, for work that has no attempt context (stopping a crashed run's leftovers). */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { AttemptClock } from '../../src/runner-contract.js';

export const realClock: AttemptClock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, { signal });
  },
};
