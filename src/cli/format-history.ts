/** `drillbook history` on a terminal: runs with verdict, evidence state and objectives, missed slots, trends. */
import type { ObjectiveRecord } from '../evidence/run-record.js';
import type { ScenarioHistory } from '../register/scenario-history.js';
import type { Trend } from '../register/trend.js';
import { formatDuration } from '../scenario/duration.js';
import { revealInvisible } from '../visible-text.js';

const bars = '▁▂▃▄▅▆▇█';

/** Eight-level bars of the values, scaled to the largest value or target. */
export function sparkline(values: readonly number[], ceiling = 0): string {
  const top = Math.max(ceiling, ...values, 1);
  return values.map((v) => bars[Math.min(bars.length - 1, Math.floor((v / top) * (bars.length - 1)))] ?? ' ').join('');
}

function objectiveCell(o: ObjectiveRecord | undefined): string {
  if (!o || (o.targetMs === undefined && o.achievedMs === undefined)) return '—';
  const achieved = o.achievedMs === undefined ? 'not measured' : formatDuration(o.achievedMs);
  const mark = o.status === 'met' ? ' ✓' : o.status === 'missed' ? ' ✗' : '';
  return `${achieved}${o.targetMs === undefined ? '' : ` / ${formatDuration(o.targetMs)}`}${mark}`;
}

const utc = (iso: string) => iso.slice(0, 16).replace('T', ' ');

function trendLine(name: string, trend: Trend): string {
  const values = trend.points.map((p) => p.achievedMs);
  const latest = trend.points.at(-1);
  if (!latest) return `${name} trend: no measured run`;
  const direction = trend.direction === 'too-few' ? 'one measured run' : `${trend.direction}${trend.changePercent === undefined ? '' : ` (${trend.changePercent > 0 ? '+' : ''}${trend.changePercent}% against the median before)`}`;
  const target = trend.targetMs === undefined ? '' : `; target ${formatDuration(trend.targetMs)}, ${trend.missed} of ${trend.points.length} over it`;
  return `${name} trend (${trend.points.length} run${trend.points.length === 1 ? '' : 's'}): ${sparkline(values, trend.targetMs)}  latest ${formatDuration(latest.achievedMs)}, ${direction}${target}`;
}

export function formatHistory(history: ScenarioHistory, limit: number): string {
  const head = [history.id, history.title, history.owner && `owner ${history.owner}`, history.kind].filter(Boolean).join(' · ');
  const lines = [head];
  const shown = history.runs.slice(-limit);
  if (history.runs.length > shown.length) lines.push(`  (${history.runs.length - shown.length} older runs not shown; --limit to see more)`);
  const rows: { at: number; cells: string[]; detail?: string }[] = shown.map((run) => ({
    at: Date.parse(run.startedAt),
    cells: [run.runId, utc(run.startedAt), run.verdict ?? '—', run.verification === 'invalid' ? 'INVALID' : run.verification, objectiveCell(run.objectives?.rto), objectiveCell(run.objectives?.rpo)],
    ...(run.problem !== undefined && { detail: run.problem }),
  }));
  const oldest = shown[0] ? Date.parse(shown[0].startedAt) : -Infinity;
  for (const m of history.missed) {
    const first = Date.parse(m.firstSlot);
    if (first < oldest) continue;
    const when = m.slots === 1 ? utc(m.firstSlot) : `${utc(m.firstSlot)} … ${utc(m.lastSlot)}`;
    rows.push({ at: first, cells: ['(missed)', utc(m.firstSlot), 'MISSED', '', `${m.slots} scheduled run${m.slots === 1 ? '' : 's'}: ${m.reason === 'window-closed' ? 'window closed' : 'not started'}`, ''], detail: `${when} (${m.schedule}, ${m.timezone})` });
  }
  rows.sort((a, b) => a.at - b.at);
  const head2 = ['RUN', 'STARTED (UTC)', 'VERDICT', 'EVIDENCE', 'RTO / TARGET', 'RPO / TARGET'];
  const widths = head2.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]?.length ?? 0)));
  const pad = (cells: readonly string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  if (rows.length === 0) lines.push('  no runs');
  else {
    lines.push(pad(head2));
    for (const row of rows) {
      lines.push(pad(row.cells));
      if (row.detail) lines.push(`      ${row.detail}`);
    }
  }
  lines.push(`  ${trendLine('RTO', history.trends.rto)}`, `  ${trendLine('RPO', history.trends.rpo)}`);
  // Titles, owners and problems come from bundles on disk: nothing in them may steer the terminal.
  return revealInvisible(`${lines.join('\n')}\n`);
}
