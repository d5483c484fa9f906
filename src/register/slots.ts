/**
 * Scheduled slots against what ran: the slot waiting to run and the slots that passed without a run.
 * A slot is covered by a run that started at or after it and before the next slot; a slot whose period
 * ended without one is missed. Pure: history and time are passed in.
 */
import type { RunWindow } from '../scenario/types.js';
import type { ScheduleTimes } from './schedule-times.js';
import { nextWindowOpening } from './window-times.js';

/** Why a slot passed without a run: the window never opened in its period, or nothing started it. */
export const missedReasons = ['window-closed', 'not-started'] as const;
export type MissedReason = (typeof missedReasons)[number];

/** Consecutive missed slots with one reason (an every-minute schedule down for a day is one gap). */
export interface MissedGap {
  firstSlotMs: number;
  lastSlotMs: number;
  slots: number;
  reason: MissedReason;
}

export interface SlotView {
  /** The latest slot at or before now that no run has covered yet: it may still run. */
  pendingMs?: number;
  /** The first slot after now. */
  nextMs?: number;
  /** Slots between `sinceMs` and the pending one that were never covered, oldest first. */
  missed: MissedGap[];
}

export interface SlotInput {
  times: ScheduleTimes;
  window: RunWindow | undefined;
  /** The latest of: the start of the last run, the last slot already recorded as missed. Undefined: no history. */
  sinceMs: number | undefined;
  nowMs: number;
}

const maxSlots = 100_000;

/**
 * The pending slot and the missed ones. Without history only the latest slot is considered: a scenario
 * nobody has run yet has missed nothing, it is simply due.
 */
export function viewSlots({ times, window, sinceMs, nowMs }: SlotInput): SlotView {
  const next = times.next(nowMs);
  const view: SlotView = { missed: [], ...(next !== undefined && { nextMs: next }) };
  if (sinceMs === undefined) {
    const latest = times.latest(nowMs);
    if (latest !== undefined) view.pendingMs = latest;
    return view;
  }
  const slots: number[] = [];
  for (let at = times.next(sinceMs); at !== undefined && at <= nowMs && slots.length < maxSlots; at = times.next(at)) slots.push(at);
  // Past the cap the count stops; the pending slot is still the latest one.
  const truncated = slots.length === maxSlots;
  const pending = truncated ? times.latest(nowMs) : slots.pop();
  if (pending === undefined) return view;
  view.pendingMs = pending;
  slots.forEach((slot, index) => {
    const periodEnd = slots[index + 1] ?? pending;
    const reason: MissedReason = nextWindowOpening(window, times.timezone, slot, periodEnd) === undefined ? 'window-closed' : 'not-started';
    const last = view.missed.at(-1);
    if (last && last.reason === reason) {
      last.lastSlotMs = slot;
      last.slots += 1;
    } else {
      view.missed.push({ firstSlotMs: slot, lastSlotMs: slot, slots: 1, reason });
    }
  });
  return view;
}
