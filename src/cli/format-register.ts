/** The register as a terminal table: one row per scenario, its notes under it, a summary line. */
import type { Register, RegisterEntry } from '../register/build-register.js';
import { entryStatus, type DisplayStatus } from '../register/register-json.js';
import type { RunEntry } from '../register/run-entry.js';
import { formatWallTime, wallClock } from '../scenario/zoned-time.js';
import { formatIssue } from '../scenario/validate.js';
import { revealInvisible } from '../visible-text.js';

const words: Record<DisplayStatus, string> = { ok: 'ok', 'due-soon': 'due soon', overdue: 'OVERDUE', 'never-run': 'never run', stale: 'stale', invalid: 'INVALID' };
const colours: Partial<Record<DisplayStatus, string>> = { overdue: '31;1', invalid: '31', 'due-soon': '33', stale: '33', 'never-run': '35', ok: '32' };

function paint(text: string, status: DisplayStatus, tty: boolean): string {
  const code = colours[status];
  return tty && code ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function runCell(run: RunEntry | undefined, timezone: string): string {
  if (!run) return '—';
  const date = wallClock(Date.parse(run.startedAt), timezone).date;
  if (run.verification === 'unfinished') return `${date} unfinished`;
  const trust = run.verification === 'verified' ? '' : ` (${run.verification})`;
  return `${date} ${run.verdict ?? '?'}${trust}`;
}

function dueCell(entry: RegisterEntry, nowMs: number): string {
  const a = entry.assessment;
  const s = entry.scenario;
  if (!a || !s || a.nextDueMs === undefined) return '—';
  return a.nextDueMs <= nowMs ? `now (${formatWallTime(a.nextDueMs, s.timezone)})` : formatWallTime(a.nextDueMs, s.timezone);
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
}

/** The table of `drillbook due`. */
export function formatRegister(register: Register, header: string, tty: boolean): string {
  const head = ['SCENARIO', 'STATUS', 'LAST RUN', 'LAST PASS', 'NEXT DUE', 'OWNER'];
  const rows = register.entries.map((entry) => {
    const s = entry.scenario;
    const tz = s?.timezone ?? 'UTC';
    return {
      entry,
      cells: [entry.id, words[entryStatus(entry)], runCell(entry.assessment?.lastRun, tz), runCell(entry.assessment?.lastPass, tz), dueCell(entry, register.nowMs), revealInvisible(s?.owner ?? '—')],
    };
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]?.length ?? 0)));
  const lines = [header, '', pad(head, widths)];
  for (const { entry, cells } of rows) {
    const status = entryStatus(entry);
    const padded = pad(cells, widths);
    // Colour the status cell only, keeping the columns aligned.
    const start = (widths[0] ?? 0) + 2;
    lines.push(tty ? padded.slice(0, start) + paint(padded.slice(start, start + (widths[1] ?? 0)), status, tty) + padded.slice(start + (widths[1] ?? 0)) : padded);
    const a = entry.assessment;
    const notes = a ? [...a.stale, ...a.notes] : (entry.issues ?? []).map((issue) => formatIssue(issue).replace(/\n\s*/g, ' — '));
    if (a && !a.window.open && (status === 'due-soon' || status === 'overdue' || status === 'never-run') && entry.scenario) {
      const why = a.window.reason === 'blackout' ? `blackout ${a.window.date}${a.window.note ? ` (${a.window.note})` : ''}` : 'outside its hours';
      notes.push(`window closed now (${why})${a.windowOpensMs === undefined ? '' : `; opens ${formatWallTime(a.windowOpensMs, entry.scenario.timezone)}`}`);
    }
    for (const note of notes) lines.push(`    · ${revealInvisible(note)}`);
  }
  const counts = new Map<DisplayStatus, number>();
  for (const entry of register.entries) counts.set(entryStatus(entry), (counts.get(entryStatus(entry)) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${words[status].toLowerCase()}`).join(', ');
  lines.push('', `${register.entries.length} scenario${register.entries.length === 1 ? '' : 's'}${summary ? `: ${summary}` : ''}`);
  if (register.orphans.length) lines.push(`the store also holds runs of ${register.orphans.join(', ')} (no scenario file among those read)`);
  return `${lines.join('\n')}\n`;
}
