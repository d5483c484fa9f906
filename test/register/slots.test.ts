/** Scheduled slots against history: the pending slot and the missed ones, across month ends and DST. */
import { describe, expect, it } from 'vitest';
import { createScheduleTimes } from '../../src/register/schedule-times.js';
import { viewSlots } from '../../src/register/slots.js';
import type { RunWindow } from '../../src/scenario/types.js';
import { at, iso } from './support.js';

const isoView = (view: ReturnType<typeof viewSlots>) => ({
  pending: view.pendingMs === undefined ? undefined : iso(view.pendingMs),
  next: view.nextMs === undefined ? undefined : iso(view.nextMs),
  missed: view.missed.map((g) => ({ first: iso(g.firstSlotMs), last: iso(g.lastSlotMs), slots: g.slots, reason: g.reason })),
});

describe('viewSlots', () => {
  const weekly = createScheduleTimes('0 3 * * 1', 'UTC');

  it('without history, only the latest slot is pending and nothing is missed', () => {
    expect(isoView(viewSlots({ times: weekly, window: undefined, sinceMs: undefined, nowMs: at('2026-01-27T12:00:00Z') }))).toEqual({
      pending: '2026-01-26T03:00:00.000Z',
      next: '2026-02-02T03:00:00.000Z',
      missed: [],
    });
  });

  it('a run covers the slot before it; later slots whose period ended without a run are missed', () => {
    const view = viewSlots({ times: weekly, window: undefined, sinceMs: at('2026-01-05T03:00:05Z'), nowMs: at('2026-01-27T12:00:00Z') });
    expect(isoView(view)).toEqual({
      pending: '2026-01-26T03:00:00.000Z',
      next: '2026-02-02T03:00:00.000Z',
      missed: [{ first: '2026-01-12T03:00:00.000Z', last: '2026-01-19T03:00:00.000Z', slots: 2, reason: 'not-started' }],
    });
  });

  it('nothing is pending once a run started at or after the latest slot', () => {
    expect(isoView(viewSlots({ times: weekly, window: undefined, sinceMs: at('2026-01-26T03:00:01Z'), nowMs: at('2026-01-27T12:00:00Z') }))).toEqual({
      pending: undefined,
      next: '2026-02-02T03:00:00.000Z',
      missed: [],
    });
  });

  it('says window-closed when the window never opened in a slot period', () => {
    const freeze: RunWindow = { blackout: [{ from: '2026-01-12', to: '2026-01-19', reason: 'freeze' }] };
    const view = viewSlots({ times: weekly, window: freeze, sinceMs: at('2026-01-05T03:00:05Z'), nowMs: at('2026-01-27T12:00:00Z') });
    expect(isoView(view).missed).toEqual([
      { first: '2026-01-12T03:00:00.000Z', last: '2026-01-12T03:00:00.000Z', slots: 1, reason: 'window-closed' },
      { first: '2026-01-19T03:00:00.000Z', last: '2026-01-19T03:00:00.000Z', slots: 1, reason: 'not-started' },
    ]);
  });

  it('follows month ends: the last day of each month, and the 31st only where there is one', () => {
    const lastDay = createScheduleTimes('0 3 L * *', 'Europe/Berlin');
    expect(isoView(viewSlots({ times: lastDay, window: undefined, sinceMs: at('2026-01-31T02:00:01Z'), nowMs: at('2026-04-15T00:00:00Z') }))).toEqual({
      pending: '2026-03-31T01:00:00.000Z', // 03:00 CEST
      next: '2026-04-30T01:00:00.000Z',
      missed: [{ first: '2026-02-28T02:00:00.000Z', last: '2026-02-28T02:00:00.000Z', slots: 1, reason: 'not-started' }],
    });
    const the31st = createScheduleTimes('0 3 31 * *', 'UTC');
    expect(isoView(viewSlots({ times: the31st, window: undefined, sinceMs: at('2026-01-31T03:00:01Z'), nowMs: at('2026-06-01T00:00:00Z') }))).toEqual({
      pending: '2026-05-31T03:00:00.000Z',
      next: '2026-07-31T03:00:00.000Z',
      missed: [{ first: '2026-03-31T03:00:00.000Z', last: '2026-03-31T03:00:00.000Z', slots: 1, reason: 'not-started' }],
    });
  });

  it('moves a slot in the skipped hour to the end of the gap, and runs a repeated hour once (Europe/Berlin)', () => {
    const nightly = createScheduleTimes('30 2 * * *', 'Europe/Berlin');
    expect(isoView(viewSlots({ times: nightly, window: undefined, sinceMs: at('2026-03-28T01:30:01Z'), nowMs: at('2026-03-30T12:00:00Z') }))).toEqual({
      pending: '2026-03-30T00:30:00.000Z', // 02:30 CEST
      next: '2026-03-31T00:30:00.000Z',
      missed: [{ first: '2026-03-29T01:00:00.000Z', last: '2026-03-29T01:00:00.000Z', slots: 1, reason: 'not-started' }], // 03:00 CEST
    });
    const autumn = viewSlots({ times: nightly, window: undefined, sinceMs: at('2026-10-24T00:30:01Z'), nowMs: at('2026-10-26T12:00:00Z') });
    expect(isoView(autumn)).toEqual({
      pending: '2026-10-26T01:30:00.000Z', // 02:30 CET
      next: '2026-10-27T01:30:00.000Z',
      missed: [{ first: '2026-10-25T00:30:00.000Z', last: '2026-10-25T00:30:00.000Z', slots: 1, reason: 'not-started' }], // 02:30 CEST only
    });
  });

  it('collapses a long outage of a frequent schedule into one gap', () => {
    const everyFiveMinutes = createScheduleTimes('*/5 * * * *', 'UTC');
    const view = viewSlots({ times: everyFiveMinutes, window: undefined, sinceMs: at('2026-01-01T00:00:01Z'), nowMs: at('2026-01-02T00:00:00Z') });
    expect(isoView(view)).toMatchObject({ pending: '2026-01-02T00:00:00.000Z', missed: [{ first: '2026-01-01T00:05:00.000Z', last: '2026-01-01T23:55:00.000Z', slots: 287 }] });
  });
});
