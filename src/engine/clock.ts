/**
 * Time for the engine. Durations come from a monotonic source; wall time is read once at start and
 * advanced monotonically, so a clock jump cannot distort an RTO. Tests inject a simulated clock.
 */

export type TimerId = ReturnType<typeof setTimeout> | number;

export interface Clock {
  /** Monotonic milliseconds (arbitrary origin). */
  now(): number;
  /** Wall-clock epoch milliseconds, read once by the caller at the start of a run. */
  wallNow(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/** Sleep on a clock; rejects with the signal's reason when it aborts first. */
export function sleepOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(id);
      reject(signal.reason as Error);
    };
    const id = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Maps monotonic readings to ISO timestamps from one wall-clock reading. */
export interface Timeline {
  startMono: number;
  startWall: number;
  iso(mono: number): string;
}

export function createTimeline(clock: Clock): Timeline {
  const startMono = clock.now();
  const startWall = clock.wallNow();
  return { startMono, startWall, iso: (mono) => new Date(startWall + (mono - startMono)).toISOString() };
}
