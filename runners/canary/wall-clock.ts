/**
 * Wall time for markers, read once and advanced on the monotonic clock (as the engine does for T0), so a
 * step of the system clock during the drill cannot move a marker; the step shows up as drift instead.
 */
import type { AttemptClock } from '../../src/runner-contract.js';

export interface WallClock {
  /** Epoch milliseconds. */
  nowMs(): number;
  /** System clock minus `nowMs()`; ~0 unless the system clock was stepped. */
  driftMs(): number;
}

export function createWallClock(clock: AttemptClock, systemNow: () => number = () => clock.wallNow?.() ?? Date.now()): WallClock {
  const anchorWall = systemNow();
  const anchorMono = clock.now();
  const nowMs = (): number => anchorWall + (clock.now() - anchorMono);
  return { nowMs, driftMs: () => Math.round(systemNow() - nowMs()) };
}
