/** Windows in their time zone: weekday hours, overnight ranges, blackouts, and both DST changes. */
import { describe, expect, it } from 'vitest';
import { nextWindowOpening, windowState } from '../../src/register/window-times.js';
import { expandDays, parseTimeRange } from '../../src/scenario/window.js';
import type { RunWindow, TimeRange, Weekday } from '../../src/scenario/types.js';
import { at, iso } from './support.js';

function hours(spec: Partial<Record<Weekday | 'daily' | 'sun-thu', string>>): Record<Weekday, TimeRange[]> {
  const week: Record<Weekday, TimeRange[]> = { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };
  for (const [key, text] of Object.entries(spec)) {
    const range = parseTimeRange(text);
    if (!range) throw new Error(text);
    for (const d of expandDays(key)) week[d].push(range);
  }
  return week;
}

const berlin = 'Europe/Berlin';
const nights: RunWindow = { hours: hours({ 'sun-thu': '22:00-06:00' }), blackout: [{ from: '2026-12-18', to: '2027-01-04', reason: 'year-end change freeze' }] };

describe('windowState', () => {
  it('reads overnight ranges as belonging to the day they start on (Europe/Berlin, winter: UTC+1)', () => {
    expect(windowState(nights, berlin, at('2026-11-30T02:00:00Z'))).toEqual({ open: true }); // Mon 03:00, from Sunday night
    expect(windowState(nights, berlin, at('2026-11-27T02:00:00Z'))).toEqual({ open: true }); // Fri 03:00, from Thursday night
    expect(windowState(nights, berlin, at('2026-11-28T02:00:00Z'))).toEqual({ open: false, reason: 'hours' }); // Sat 03:00
    expect(windowState(nights, berlin, at('2026-11-30T20:59:00Z'))).toEqual({ open: false, reason: 'hours' }); // Mon 21:59
    expect(windowState(nights, berlin, at('2026-11-30T21:00:00Z'))).toEqual({ open: true }); // Mon 22:00
    expect(windowState(nights, berlin, at('2026-12-01T04:59:00Z'))).toEqual({ open: true }); // Tue 05:59
    expect(windowState(nights, berlin, at('2026-12-01T05:00:00Z'))).toEqual({ open: false, reason: 'hours' }); // Tue 06:00
  });

  it('shuts on blackout dates by the local date, whatever the hours say', () => {
    expect(windowState(nights, berlin, at('2026-12-21T22:00:00Z'))).toEqual({ open: false, reason: 'blackout', date: '2026-12-21', note: 'year-end change freeze' });
    // 2026-12-17 23:30 UTC is already 18 December in Berlin.
    expect(windowState(nights, berlin, at('2026-12-17T23:30:00Z'))).toMatchObject({ open: false, reason: 'blackout', date: '2026-12-18' });
    expect(windowState(nights, berlin, at('2026-12-17T22:30:00Z'))).toEqual({ open: true });
  });

  it('is always open without a window', () => {
    expect(windowState(undefined, berlin, at('2026-12-21T22:00:00Z'))).toEqual({ open: true });
  });
});

describe('nextWindowOpening', () => {
  it('is now when the window is open, else the next range start', () => {
    expect(nextWindowOpening(nights, berlin, at('2026-11-30T02:00:00Z'))).toBe(at('2026-11-30T02:00:00Z'));
    // Saturday noon → Sunday 22:00 CET.
    expect(iso(nextWindowOpening(nights, berlin, at('2026-11-28T11:00:00Z')) ?? 0)).toBe('2026-11-29T21:00:00.000Z');
  });

  it('skips a blackout, opening at local midnight inside a range that started on a blackout date', () => {
    // Sunday 3 January 22:00 is still blacked out; Tuesday 5 January 00:00 is not, inside Monday's night.
    expect(iso(nextWindowOpening(nights, berlin, at('2026-12-17T23:00:00Z')) ?? 0)).toBe('2027-01-04T23:00:00.000Z');
  });

  it('opens at the end of the gap when a range starts in the hour clocks skip (spring forward, 29 March 2026)', () => {
    const w: RunWindow = { hours: hours({ daily: '02:30-04:00' }), blackout: [] };
    // 01:00 CET → the 02:30 that does not exist becomes 03:00 CEST = 01:00 UTC.
    expect(iso(nextWindowOpening(w, berlin, at('2026-03-29T00:00:00Z')) ?? 0)).toBe('2026-03-29T01:00:00.000Z');
    expect(windowState(w, berlin, at('2026-03-29T00:45:00Z'))).toEqual({ open: false, reason: 'hours' }); // 01:45 CET
    expect(windowState(w, berlin, at('2026-03-29T01:59:00Z'))).toEqual({ open: true }); // 03:59 CEST
    expect(windowState(w, berlin, at('2026-03-29T02:00:00Z'))).toEqual({ open: false, reason: 'hours' }); // 04:00 CEST
  });

  it('stays open through the repeated hour when clocks go back (25 October 2026)', () => {
    const w: RunWindow = { hours: hours({ daily: '02:00-03:00' }), blackout: [] };
    expect(iso(nextWindowOpening(w, berlin, at('2026-10-24T23:00:00Z')) ?? 0)).toBe('2026-10-25T00:00:00.000Z'); // 02:00 CEST
    expect(windowState(w, berlin, at('2026-10-25T00:30:00Z'))).toEqual({ open: true }); // 02:30 CEST
    expect(windowState(w, berlin, at('2026-10-25T01:30:00Z'))).toEqual({ open: true }); // 02:30 CET, the second time
    expect(windowState(w, berlin, at('2026-10-25T02:00:00Z'))).toEqual({ open: false, reason: 'hours' }); // 03:00 CET
  });

  it('gives up when the window stays shut until the limit', () => {
    const w: RunWindow = { blackout: [{ from: '2026-01-01', to: '2026-12-31' }] };
    expect(nextWindowOpening(w, 'UTC', at('2026-06-01T00:00:00Z'), at('2026-09-01T00:00:00Z'))).toBeUndefined();
    expect(iso(nextWindowOpening(w, 'UTC', at('2026-06-01T00:00:00Z')) ?? 0)).toBe('2027-01-01T00:00:00.000Z');
  });
});
