/**
 * The times of a cron schedule in its time zone, computed by croner (never by hand): DST gaps move a fixed
 * time to the end of the gap, repeated hours run once. Pure: nothing is scheduled, time is passed in.
 */
import { Cron } from 'croner';

/** Occurrences of one schedule. */
export interface ScheduleTimes {
  readonly pattern: string;
  readonly timezone: string;
  /** The first occurrence strictly after `afterMs`. */
  next(afterMs: number): number | undefined;
  /** The latest occurrence at or before `atMs`. */
  latest(atMs: number): number | undefined;
}

/** Occurrences of `pattern` (cron, 5 to 7 fields or a nickname such as `@daily`) in `timezone`. */
export function createScheduleTimes(pattern: string, timezone: string): ScheduleTimes {
  // Paused and without a callback, croner only computes times.
  const cron = new Cron(pattern, { timezone, paused: true });
  return {
    pattern,
    timezone,
    next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime() ?? undefined,
    latest: (atMs) => cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime(),
  };
}
