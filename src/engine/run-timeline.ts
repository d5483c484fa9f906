/**
 * A run's time: run time is monotonic milliseconds since the run started; wall time is read once at the
 * start and advanced by run time, so a wall-clock step (NTP, a VM resumed) cannot distort an RTO.
 */
import type { Clock } from './clock.js';

export interface RunTimeline {
  /** Wall-clock epoch ms at run time 0. */
  readonly startWallMs: number;
  /** Run time now. */
  t(): number;
  /** ISO 8601 UTC of a run time. */
  iso(t: number): string;
}

/** A new run starts now. */
export function startTimeline(clock: Clock): RunTimeline {
  return timelineFrom(clock, clock.now(), clock.wallNow());
}

/**
 * Continue the timeline of a run that started at `startWallMs` in another process (recover, resume): run
 * time picks up from the wall clock, the only clock two processes share.
 */
export function continueTimeline(clock: Clock, startWallMs: number): RunTimeline {
  return timelineFrom(clock, clock.now() - (clock.wallNow() - startWallMs), startWallMs);
}

function timelineFrom(clock: Clock, startMono: number, startWallMs: number): RunTimeline {
  return {
    startWallMs,
    t: () => clock.now() - startMono,
    iso: (t) => new Date(startWallMs + t).toISOString(),
  };
}
