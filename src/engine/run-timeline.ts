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
  /**
   * How far the wall clock has moved against run time since the start (ms; positive: the wall clock ran
   * ahead). Zero but for a wall-clock step: NTP, a VM resumed, an operator setting the time.
   */
  skewMs(): number;
  /** Wall-clock ISO time now, as the system says it. */
  wallIso(): string;
}

/** A skew that changed by at least this much since the last one reported is a clock jump. */
export const clockJumpToleranceMs = 1_000;

/** Reports each clock jump once: the new skew when it moved by the tolerance or more since the last report. */
export function createClockWatch(timeline: RunTimeline, toleranceMs = clockJumpToleranceMs): () => number | undefined {
  let reported = 0;
  return () => {
    const skew = timeline.skewMs();
    if (Math.abs(skew - reported) < toleranceMs) return undefined;
    reported = skew;
    return skew;
  };
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
  const t = (): number => clock.now() - startMono;
  return {
    startWallMs,
    t,
    iso: (at) => new Date(startWallMs + at).toISOString(),
    skewMs: () => Math.round(clock.wallNow() - startWallMs - t()),
    wallIso: () => new Date(clock.wallNow()).toISOString(),
  };
}
