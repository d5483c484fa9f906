/** Wall-clock readings of an instant in an IANA time zone (Intl does the zone arithmetic). Pure. */

/** What a wall clock in the zone shows at an instant. */
export interface WallClock {
  /** Local date, `YYYY-MM-DD`. */
  date: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Minutes after local midnight, 0–1439. */
  minute: number;
}

const weekdayIndex: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

// A formatter per zone and use: building one costs far more than using it.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string, use: 'parts' | 'display'): Intl.DateTimeFormat {
  const key = `${use} ${timeZone}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    // en-GB names European zones (CET, CEST) where en-US writes GMT+1; elsewhere both give an offset.
    formatter = new Intl.DateTimeFormat(use === 'parts' ? 'en-US' : 'en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      ...(use === 'parts' ? { weekday: 'short' } : { timeZoneName: 'short' }),
    });
    if (formatters.size < 1_000) formatters.set(key, formatter);
  }
  return formatter;
}

/** The local date, weekday and minute of day at `atMs` in `timeZone`. */
export function wallClock(atMs: number, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone, 'parts').formatToParts(atMs)) parts[part.type] = part.value;
  const year = (parts.year ?? '').padStart(4, '0');
  return {
    date: `${year}-${parts.month ?? '01'}-${parts.day ?? '01'}`,
    weekday: weekdayIndex[parts.weekday ?? ''] ?? 0,
    minute: Number(parts.hour ?? 0) * 60 + Number(parts.minute ?? 0),
  };
}

/** `2026-03-29 03:00 CEST`: an instant as people in the zone read it (`GMT+9` where a zone has no short name). */
export function formatWallTime(atMs: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone, 'display').formatToParts(atMs)) parts[part.type] = part.value;
  return `${parts.year ?? ''}-${parts.month ?? ''}-${parts.day ?? ''} ${parts.hour ?? ''}:${parts.minute ?? ''} ${parts.timeZoneName ?? timeZone}`;
}
