/**
 * The report's timeline: every step as a bar on one time axis, the T0 and recovered marks, and the RTO
 * budget (T0 + target) as a band, so an auditor sees at a glance whether recovery fit the budget. Pure; the
 * result is inline SVG markup with its own colours (no stylesheet needed, prints as shown).
 */
import { formatDuration } from '../scenario/duration.js';
import { escapeMarkup as x } from '../markup.js';
import type { RunRecord, StepRecord } from './run-record.js';

const width = 960;
const labelWidth = 210;
const chartWidth = width - labelWidth - 20;
const rowHeight = 22;
const top = 52;
const axisHeight = 30;
const colours = { passed: '#2e7d32', failed: '#c62828', cancelled: '#ef6c00', 'not-run': '#9e9e9e' } as const;
const tickSteps = [100, 250, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5];

/** Inline SVG timeline of the run against its RTO budget. */
export function renderTimeline(record: RunRecord): string {
  const steps = [...record.steps, ...record.cleanup];
  const runStart = Date.parse(record.startedAt);
  const t0 = parseTime(record.marks.t0?.at);
  const recovered = parseTime(record.marks.recovered?.at);
  const rto = record.objectives.rto;
  const budgetEnd = t0 !== undefined && rto.targetMs !== undefined ? t0 + rto.targetMs : undefined;
  const ends = [runStart + record.durationMs, Date.parse(record.finishedAt), budgetEnd, recovered, ...steps.map(stepEnd)];
  const starts = [runStart, ...steps.map((s) => parseTime(s.startedAt))];
  const start = Math.min(...starts.filter(isNumber));
  const end = Math.max(start + 1, ...ends.filter(isNumber));
  const scale = chartWidth / (end - start);
  const at = (t: number) => round(labelWidth + (t - start) * scale);
  const height = top + steps.length * rowHeight + axisHeight;
  const out: string[] = [];

  const summary = timelineSummary(record, t0, recovered);
  out.push(
    `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="timeline-title timeline-desc" font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="timeline-title">Timeline of run ${x(record.runId)}</title>`,
    `<desc id="timeline-desc">${x(summary)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  );

  if (t0 !== undefined && budgetEnd !== undefined) {
    out.push(`<rect x="${at(t0)}" y="${top - 6}" width="${round(at(budgetEnd) - at(t0))}" height="${steps.length * rowHeight + 6}" fill="#e8f5e9" stroke="#66bb6a" stroke-dasharray="4 2"><title>RTO budget ${x(formatDuration(rto.targetMs ?? 0))} from T0</title></rect>`);
    if (recovered !== undefined && recovered > budgetEnd) {
      out.push(`<rect x="${at(budgetEnd)}" y="${top - 6}" width="${round(at(recovered) - at(budgetEnd))}" height="${steps.length * rowHeight + 6}" fill="#ffebee"><title>over the RTO budget by ${x(formatDuration(recovered - budgetEnd))}</title></rect>`);
    }
    out.push(markLine(at(budgetEnd), height, '#2e7d32', `RTO budget ${formatDuration(rto.targetMs ?? 0)}`, 40, 'end'));
  }
  if (t0 !== undefined) out.push(markLine(at(t0), height, '#1565c0', 'T0', 12, 'start'));
  if (recovered !== undefined) {
    const achieved = rto.achievedMs === undefined ? '' : ` (RTO ${formatDuration(rto.achievedMs)})`;
    out.push(markLine(at(recovered), height, recovered > (budgetEnd ?? Infinity) ? '#c62828' : '#1565c0', `recovered${achieved}`, 26, 'end'));
  }

  for (const [row, step] of steps.entries()) out.push(...stepRow(step, top + row * rowHeight, at, runStart));

  const axisY = top + steps.length * rowHeight + 4;
  out.push(`<line x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + chartWidth}" y2="${axisY}" stroke="#616161"/>`);
  const tick = tickSteps.find((s) => (end - start) / s <= 8) ?? tickSteps[tickSteps.length - 1]!;
  for (let t = 0; start + t <= end; t += tick) {
    const px = at(start + t);
    out.push(`<line x1="${px}" y1="${axisY}" x2="${px}" y2="${axisY + 5}" stroke="#616161"/>`);
    out.push(`<text x="${px}" y="${axisY + 18}" text-anchor="middle" fill="#424242">+${x(formatDuration(start + t - runStart))}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

function stepRow(step: StepRecord, y: number, at: (t: number) => number, runStart: number): string[] {
  const colour = colours[step.status];
  const label = step.id.length > 28 ? `${step.id.slice(0, 27)}…` : step.id;
  const out = [`<g class="step step-${x(step.status)}">`, `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" fill="#212121">${x(label)}</text>`];
  const startedAt = parseTime(step.startedAt);
  const end = stepEnd(step);
  if (startedAt === undefined || end === undefined) {
    out.push(`<text x="${labelWidth + 4}" y="${y + 15}" fill="${colour}" font-style="italic">${x(step.status)}</text>`, '</g>');
    return out;
  }
  const tooltip = `${step.id}: ${step.status}, ${formatDuration(end - startedAt)}, started +${formatDuration(startedAt - runStart)}, ${step.attempts.length} attempt(s)`;
  out.push(`<rect x="${at(startedAt)}" y="${y + 4}" width="${Math.max(2, round(at(end) - at(startedAt)))}" height="${rowHeight - 8}" fill="${colour}" fill-opacity="0.25" stroke="${colour}"><title>${x(tooltip)}</title></rect>`);
  for (const attempt of step.attempts) {
    const from = parseTime(attempt.startedAt);
    if (from === undefined) continue;
    const fill = attempt.status === 'passed' ? colours.passed : colours.failed;
    const tip = `attempt ${attempt.attempt}: ${attempt.status}${attempt.reason ? ` (${attempt.reason})` : ''}, ${formatDuration(attempt.durationMs)}`;
    out.push(`<rect x="${at(from)}" y="${y + 7}" width="${Math.max(2, round(at(from + attempt.durationMs) - at(from)))}" height="${rowHeight - 14}" fill="${fill}"><title>${x(tip)}</title></rect>`);
  }
  out.push('</g>');
  return out;
}

function markLine(px: number, height: number, colour: string, label: string, labelY: number, preferred: 'start' | 'end'): string {
  // Keep the label inside the chart: flip it to the other side of the line when it would not fit (~7 px a character).
  const textWidth = label.length * 7;
  const anchor = preferred === 'end' && px - textWidth < labelWidth ? 'start' : preferred === 'start' && px + textWidth > width - 4 ? 'end' : preferred;
  const dx = anchor === 'start' ? 4 : -4;
  return (
    `<line x1="${px}" y1="${labelY + 4}" x2="${px}" y2="${height - axisHeight + 4}" stroke="${colour}" stroke-width="2" stroke-dasharray="6 3"/>` +
    `<text x="${round(px + dx)}" y="${labelY}" text-anchor="${anchor}" fill="${colour}" font-weight="600">${x(label)}</text>`
  );
}

function timelineSummary(record: RunRecord, t0: number | undefined, recovered: number | undefined): string {
  const parts = [`${record.steps.length + record.cleanup.length} steps from ${record.startedAt} to ${record.finishedAt}.`];
  parts.push(t0 === undefined ? 'No T0 mark.' : `T0 at ${new Date(t0).toISOString()}.`);
  parts.push(recovered === undefined ? 'No recovered mark.' : `Recovered at ${new Date(recovered).toISOString()}.`);
  const rto = record.objectives.rto;
  if (rto.targetMs !== undefined) {
    parts.push(`RTO budget ${formatDuration(rto.targetMs)}, ${rto.achievedMs === undefined ? 'not measured' : `achieved ${formatDuration(rto.achievedMs)}`} (${rto.status}).`);
  }
  return parts.join(' ');
}

function stepEnd(step: StepRecord): number | undefined {
  const finished = parseTime(step.finishedAt);
  if (finished !== undefined) return finished;
  const started = parseTime(step.startedAt);
  return started !== undefined && step.durationMs !== undefined ? started + step.durationMs : undefined;
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

function isNumber(n: number | undefined): n is number {
  return n !== undefined && Number.isFinite(n);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
