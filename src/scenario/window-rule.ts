/**
 * The rule tying `schedule` to `window`: a cron schedule none of whose times falls inside the window's
 * hours would never start a run, so it is reported instead of silently never running.
 */
import { Cron } from 'croner';
import { at } from './issues.js';
import type { RuleContext } from './rules.js';
import { describeHours, isInHours } from './window.js';
import { wallClock } from './zoned-time.js';

// A fixed stretch with a leap day keeps validation independent of today's date; blackouts are dated and
// therefore left out. Very frequent schedules stop at the occurrence cap without a verdict.
const from = Date.UTC(2024, 0, 1);
const until = Date.UTC(2028, 0, 1);
const maxOccurrences = 5_000;

/** Reports `schedule-outside-window` when no time of `schedule` falls inside `window.hours`. */
export function scheduleInsideWindow(context: RuleContext): void {
  const { scenario } = context.draft;
  const hours = scenario.window?.hours;
  if (scenario.schedule === undefined || hours === undefined) return;
  // A bad time zone was reported already; judging in UTC instead would add a misleading second issue.
  if (context.sink.issues.some((issue) => issue.code === 'bad-timezone')) return;
  const cron = new Cron(scenario.schedule, { timezone: scenario.timezone, paused: true });
  try {
    let cursor: Date | null = new Date(from);
    let seen = 0;
    for (; seen < maxOccurrences; seen++) {
      cursor = cron.nextRun(cursor);
      if (cursor === null || cursor.getTime() >= until) break;
      const wall = wallClock(cursor.getTime(), scenario.timezone);
      if (isInHours(hours, wall.weekday, wall.minute)) return;
    }
    // No occurrence in the stretch (a schedule pinned to other years), or too many to judge: say nothing.
    if (seen === 0 || seen === maxOccurrences) return;
  } finally {
    cron.stop();
  }
  context.sink.report(
    {
      code: 'schedule-outside-window',
      message: at(['schedule'], `"${scenario.schedule}" never starts inside window.hours (${describeHours(hours)}, ${scenario.timezone})`),
      hint: 'move the schedule into the window, or widen window.hours',
    },
    { path: ['schedule'] },
  );
}
