/**
 * Whether a run may start at an instant, and when the window next opens. Wall-clock questions go through
 * Intl (zoned-time.ts); the instants at which ranges start come from croner, so DST gaps and repeated
 * hours are handled the way schedules handle them. Pure: time is passed in.
 */
import { Cron } from 'croner';
import type { RunWindow } from '../scenario/types.js';
import { weekdayNames } from '../scenario/types.js';
import { blackoutOn, isInHours } from '../scenario/window.js';
import { wallClock } from '../scenario/zoned-time.js';

/** Why a run may not start now: outside the hours, or a blackout date (with its reason). */
export type WindowState = { open: true } | { open: false; reason: 'hours' } | { open: false; reason: 'blackout'; date: string; note?: string };

/** Is the window open at `atMs`? Without a window, always. */
export function windowState(window: RunWindow | undefined, timezone: string, atMs: number): WindowState {
  if (window === undefined) return { open: true };
  const wall = wallClock(atMs, timezone);
  const blackout = blackoutOn(window, wall.date);
  if (blackout) return { open: false, reason: 'blackout', date: wall.date, ...(blackout.reason !== undefined && { note: blackout.reason }) };
  return isInHours(window.hours, wall.weekday, wall.minute) ? { open: true } : { open: false, reason: 'hours' };
}

export function isWindowOpen(window: RunWindow | undefined, timezone: string, atMs: number): boolean {
  return windowState(window, timezone, atMs).open;
}

/** Cron patterns of every moment the window can open: each range start, and local midnight (a blackout ends). */
function openingPatterns(window: RunWindow): string[] {
  const byTime = new Map<number, Set<number>>();
  for (const [index, day] of weekdayNames.entries()) {
    for (const range of window.hours?.[day] ?? []) {
      const days = byTime.get(range.startMinute) ?? new Set<number>();
      days.add(index);
      byTime.set(range.startMinute, days);
    }
  }
  const patterns = [...byTime].map(([minute, days]) => `${minute % 60} ${Math.floor(minute / 60)} * * ${[...days].sort().join(',')}`);
  patterns.push('0 0 * * *');
  return patterns;
}

/**
 * The first instant at or after `fromMs` when a run may start, or undefined when the window stays shut
 * until `untilMs` (default: two years on).
 */
export function nextWindowOpening(window: RunWindow | undefined, timezone: string, fromMs: number, untilMs = fromMs + 2 * 366 * 86_400_000): number | undefined {
  if (isWindowOpen(window, timezone, fromMs)) return fromMs;
  if (window === undefined) return fromMs;
  const crons = openingPatterns(window).map((pattern) => new Cron(pattern, { timezone, paused: true }));
  let cursor = fromMs;
  // Each turn moves to the next candidate instant; a long blackout costs a few turns per day of it.
  for (let turn = 0; turn < 100_000; turn++) {
    let next: number | undefined;
    for (const cron of crons) {
      const at = cron.nextRun(new Date(cursor))?.getTime();
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    if (next === undefined || next >= untilMs) return undefined;
    if (isWindowOpen(window, timezone, next)) return next;
    cursor = next;
  }
  return undefined;
}
