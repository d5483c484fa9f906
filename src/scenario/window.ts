/**
 * `window`: when scheduled runs may start. The written form (`mon-fri: "22:00-06:00"`, blackout dates)
 * becomes a `RunWindow` of minutes per weekday; problems the schema cannot see (a day given twice, an
 * empty range, a blackout ending before it starts) are reported here. Pure.
 */
import { checkEntries, checkFields, checkValue, isMapping } from './check-value.js';
import { at } from './issues.js';
import type { IssueSink, Path } from './issues.js';
import { timeRangePattern, windowDaysPattern, windowDaysSchema, windowShape } from './schema.js';
import { weekdayNames } from './types.js';
import type { Blackout, RunWindow, TimeRange, Weekday } from './types.js';

const path: Path = ['window'];
const rangeListSchema = windowShape.hours.unwrap().valueType;

/** `22:00-06:00` → minutes; undefined when the text is not a time range. */
export function parseTimeRange(text: string): TimeRange | undefined {
  const match = timeRangePattern.exec(text);
  if (!match) return undefined;
  const startMinute = Number(match[1]) * 60 + Number(match[2]);
  const endMinute = match[3] === undefined ? 1440 : Number(match[3]) * 60 + Number(match[4]);
  return { startMinute, endMinute };
}

/** `mon-fri` → mon … fri; `fri-mon` wraps over the weekend; `daily` → every day. */
export function expandDays(key: string): Weekday[] {
  const match = windowDaysPattern.exec(key);
  if (!match) return [];
  if (key === 'daily') return [...weekdayNames];
  const first = weekdayNames.indexOf(match[1] as Weekday);
  const last = match[2] === undefined ? first : weekdayNames.indexOf(match[2] as Weekday);
  const days: Weekday[] = [];
  for (let day = first; ; day = (day + 1) % 7) {
    days.push(weekdayNames[day] as Weekday);
    if (day === last) break;
  }
  return days;
}

function emptyWeek(): Record<Weekday, TimeRange[]> {
  return { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };
}

function normalizeHours(raw: unknown, sink: IssueSink): Record<Weekday, TimeRange[]> | undefined {
  const hoursPath = [...path, 'hours'];
  const checked = checkEntries(raw, hoursPath, sink, windowDaysSchema, (entry, entryPath) => checkValue(rangeListSchema, entry, entryPath, sink));
  if (!checked) return undefined;
  const week = emptyWeek();
  const givenBy = new Map<Weekday, string>();
  let ok = checked.entries.size === checked.written.size;
  for (const [key, value] of checked.entries) {
    for (const day of expandDays(key)) {
      const first = givenBy.get(day);
      if (first !== undefined) {
        sink.report(
          { code: 'bad-window', message: at([...hoursPath, key], `${day} is already given by ${first}`), hint: 'give each day once; several ranges for one day go in a list: [08:00-12:00, 14:00-18:00]' },
          { path: [...hoursPath, key], at: 'key' },
        );
        ok = false;
        continue;
      }
      givenBy.set(day, key);
    }
    const texts = Array.isArray(value) ? value : [value];
    texts.forEach((text, index) => {
      const range = parseTimeRange(text);
      if (!range) return;
      if (range.startMinute === range.endMinute) {
        const rangePath = Array.isArray(value) ? [...hoursPath, key, index] : [...hoursPath, key];
        sink.report({ code: 'bad-window', message: at(rangePath, `"${text}" is an empty range`), hint: 'write 00:00-24:00 for the whole day' }, { path: rangePath });
        ok = false;
        return;
      }
      for (const day of expandDays(key)) if (givenBy.get(day) === key) week[day].push(range);
    });
  }
  if (ok && checked.written.size === 0) {
    sink.report({ code: 'bad-window', message: at(hoursPath, 'allows no time at all'), hint: 'list the days and hours runs may start, or leave out hours to allow any time' }, { path: hoursPath });
    ok = false;
  }
  return ok ? week : undefined;
}

function normalizeBlackout(items: NonNullable<ReturnType<typeof checkValue<typeof windowShape.blackout>>>, sink: IssueSink): Blackout[] {
  const blackout: Blackout[] = [];
  items.forEach((item, index) => {
    const entry: Blackout = typeof item === 'string' ? { from: item, to: item } : { from: item.from, to: item.to ?? item.from, ...(item.reason !== undefined && { reason: item.reason }) };
    if (entry.to < entry.from) {
      const itemPath = [...path, 'blackout', index];
      sink.report({ code: 'bad-window', message: at(itemPath, `ends (${entry.to}) before it starts (${entry.from})`), hint: 'from is the first day, to the last day (inclusive)' }, { path: [...itemPath, 'to'] });
      return;
    }
    blackout.push(entry);
  });
  return blackout;
}

/** Check and normalise `window`; undefined when something was reported. */
export function normalizeWindow(raw: unknown, sink: IssueSink): RunWindow | undefined {
  const before = sink.issues.length;
  const fields = checkFields(windowShape, raw, path, sink, ['hours'], 'a mapping with hours and/or blackout');
  if (!fields) return undefined;
  const window: RunWindow = { blackout: [] };
  if (isMapping(raw) && Object.hasOwn(raw, 'hours')) {
    const hours = normalizeHours(raw.hours, sink);
    if (hours) window.hours = hours;
  }
  if (fields.values.blackout) window.blackout = normalizeBlackout(fields.values.blackout, sink);
  return sink.issues.length === before ? window : undefined;
}

/** True when a run may start at this local weekday (0 = Sunday) and minute, by the hours alone. */
export function isInHours(hours: RunWindow['hours'], weekday: number, minute: number): boolean {
  if (hours === undefined) return true;
  const today = hours[weekdayNames[weekday] as Weekday];
  const yesterday = hours[weekdayNames[(weekday + 6) % 7] as Weekday];
  const inToday = today.some((r) => (r.endMinute > r.startMinute ? minute >= r.startMinute && minute < r.endMinute : minute >= r.startMinute));
  return inToday || yesterday.some((r) => r.endMinute <= r.startMinute && minute < r.endMinute);
}

/** The blackout covering a local date (`YYYY-MM-DD`), if any. */
export function blackoutOn(window: RunWindow, date: string): Blackout | undefined {
  return window.blackout.find((b) => b.from <= date && date <= b.to);
}

/** `mon-fri 22:00-06:00; sat 08:00-12:00`: the hours as people write them (for messages and reports). */
export function describeHours(hours: RunWindow['hours']): string {
  if (hours === undefined) return 'any time';
  const clock = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  const week = [...weekdayNames.slice(1), 'sun'] as Weekday[];
  const text = week.map((day) => hours[day].map((r) => `${clock(r.startMinute)}-${clock(r.endMinute)}`).join(', '));
  const parts: string[] = [];
  // Consecutive days (Monday first) with the same hours read as one range of days.
  for (let first = 0; first < week.length; ) {
    let last = first;
    while (last + 1 < week.length && text[last + 1] === text[first]) last++;
    if (text[first]) parts.push(`${week[first] ?? ''}${last > first ? `-${week[last] ?? ''}` : ''} ${text[first] ?? ''}`);
    first = last + 1;
  }
  return parts.join('; ') || 'never';
}
