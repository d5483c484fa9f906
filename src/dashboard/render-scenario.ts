/** One scenario's page: facts, status and notes, RTO/RPO trend charts against targets, every run with a link to its report. Pure. */
import type { ObjectiveRecord } from '../evidence/run-record.js';
import { escapeMarkup as x } from '../markup.js';
import { formatDuration } from '../scenario/duration.js';
import { formatIssue } from '../scenario/validate.js';
import { describeHours } from '../scenario/window.js';
import { formatWallTime } from '../scenario/zoned-time.js';
import { runKey, type DashboardModel, type DashboardScenario } from './model.js';
import { badge, page, table } from './page.js';
import { renderTrendChart } from './trend-chart.js';

function objective(o: ObjectiveRecord | undefined): string {
  if (!o || (o.targetMs === undefined && o.achievedMs === undefined)) return '<span class="muted">—</span>';
  const achieved = o.achievedMs === undefined ? 'not measured' : formatDuration(o.achievedMs);
  return `${x(achieved)}${o.targetMs === undefined ? '' : ` / ${x(formatDuration(o.targetMs))}`} <span class="muted">${x(o.status)}</span>`;
}

function facts(s: DashboardScenario, nowMs: number): string {
  const sc = s.scenario;
  const a = s.assessment;
  const rows: [string, string][] = [
    ['Title', x(s.title)],
    ['Kind', x(s.kind)],
    ['Owner', x(s.owner)],
    ['Status', badge(s.status)],
  ];
  if (s.file) rows.push(['Scenario file', `<code>${x(s.file)}</code>`]);
  if (sc) {
    rows.push(['Cadence', x(sc.cadenceMs === undefined ? 'none' : formatDuration(sc.cadenceMs))]);
    rows.push(['Schedule', sc.schedule ? `<code>${x(sc.schedule)}</code> (${x(sc.timezone)})` : 'none']);
    if (sc.window) {
      const blackout = sc.window.blackout.map((b) => `${b.from === b.to ? b.from : `${b.from} to ${b.to}`}${b.reason ? ` (${b.reason})` : ''}`).join('; ');
      rows.push(['Window', x(`${describeHours(sc.window.hours)}${blackout ? `; blackout ${blackout}` : ''} (${sc.timezone})`)]);
    }
    if (sc.controls.length) rows.push(['Controls', x(sc.controls.join(', '))]);
  }
  if (a) {
    rows.push(['Last pass', a.lastPass ? x(`${a.lastPass.startedAt} (run ${a.lastPass.runId})`) : 'none']);
    if (a.nextDueMs !== undefined && sc) rows.push(['Next due', x(`${a.nextDueMs <= nowMs ? 'now, since ' : ''}${formatWallTime(a.nextDueMs, sc.timezone)}`)]);
    if (a.overdueMs !== undefined && sc) rows.push([a.overdueMs <= nowMs ? 'Overdue since' : 'Overdue from', x(formatWallTime(a.overdueMs, sc.timezone))]);
  }
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${x(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

function notes(s: DashboardScenario): string {
  const items = [...(s.assessment?.stale ?? []), ...(s.assessment?.notes ?? []), ...(s.issues ?? []).map(formatIssue)];
  if (s.status === 'no-file') items.push('No scenario file for this id among those the dashboard was built from.');
  return items.length ? `<ul class="notes">${items.map((n) => `<li>${x(n)}</li>`).join('')}</ul>` : '<p>Nothing to note.</p>';
}

function runsTable(s: DashboardScenario, model: DashboardModel): string {
  const rows = [...s.runs].reverse().map((run) => {
    const report = model.reports.get(runKey(run));
    const link = report ? `<a href="../${x(report)}">${x(run.runId)}</a>` : `<code>${x(run.runId)}</code>`;
    const evidence = run.verification === 'verified' ? 'verified' : `<span class="evidence-${x(run.verification)}">${x(run.verification)}</span>${run.problem ? `<br><span class="muted">${x(run.problem)}</span>` : ''}`;
    return `<tr class="run-row"><td>${link}</td><td>${x(run.startedAt.replace('T', ' ').slice(0, 19))} UTC</td><td><span class="verdict-${x(run.verdict ?? '')}">${x(run.verdict ?? '—')}</span></td><td>${evidence}</td><td>${objective(run.objectives?.rto)}</td><td>${objective(run.objectives?.rpo)}</td><td>${x(run.operator ?? '—')}</td></tr>`;
  });
  if (rows.length === 0) return '<p>No runs in the store.</p>';
  return table(['Run (report)', 'Started', 'Verdict', 'Evidence', 'RTO / target', 'RPO / target', 'Operator'], rows, 'runs');
}

function missedTable(s: DashboardScenario): string {
  const why = (reason: string) => (reason === 'window-closed' ? 'window closed' : 'not started');
  const slots = (first: string, last: string, n: number) => `${x(first)}${n > 1 ? ` … ${x(last)}` : ''}`;
  const schedule = s.scenario?.schedule === undefined ? '' : `<code>${x(s.scenario.schedule)}</code> ${x(s.scenario.timezone)}`;
  // Gaps seen now but not yet written down by run-due or schedule are shown too, marked as such.
  const pending = (s.assessment?.unrecordedMissed ?? []).map((g) => {
    const first = new Date(g.firstSlotMs).toISOString();
    return `<tr><td>${slots(first, new Date(g.lastSlotMs).toISOString(), g.slots)}</td><td>${g.slots}</td><td>${why(g.reason)}</td><td>${schedule}</td><td><span class="muted">not recorded yet</span></td></tr>`;
  });
  const recorded = [...s.missed].reverse().map((m) => `<tr><td>${slots(m.firstSlot, m.lastSlot, m.slots)}</td><td>${m.slots}</td><td>${why(m.reason)}</td><td><code>${x(m.schedule)}</code> ${x(m.timezone)}</td><td>${x(m.recordedAt)} by ${x(m.recordedBy.host)}</td></tr>`);
  if (pending.length + recorded.length === 0) return '<p>No missed scheduled runs.</p>';
  return table(['Slots (UTC)', 'Count', 'Why', 'Schedule', 'Noticed'], [...pending.reverse(), ...recorded], 'missed');
}

function trendCaption(s: DashboardScenario, which: 'rto' | 'rpo'): string {
  const t = s.trends[which];
  if (t.points.length === 0) return '';
  const change = t.changePercent === undefined ? '' : ` (${t.changePercent > 0 ? '+' : ''}${t.changePercent}% against the median of the runs before)`;
  return `<figcaption>${x(`${which.toUpperCase()}: ${t.direction}${change}; ${t.missed} of ${t.points.length} runs over target. Green: met, red: missed, grey: not judged. Dashed: target.`)}</figcaption>`;
}

export function renderScenarioPage(s: DashboardScenario, model: DashboardModel): string {
  const body = [
    '<header>',
    `<p class="kicker"><a href="../index.html">drillbook register</a> · ${x(s.id)}</p>`,
    `<h1>${x(s.title)}</h1>`,
    `<p class="lead">${badge(s.status)} ${x(`${s.kind} · owner ${s.owner} · ${s.runs.length} runs in the store`)}</p>`,
    model.mode === 'unverified' ? '<p class="warning">UNVERIFIED: built without trusted keys; runs were checked for integrity only.</p>' : '',
    '</header>',
    '<main>',
    `<section id="facts"><h2>Scenario</h2>${facts(s, model.generatedAtMs)}</section>`,
    `<section id="notes"><h2>Notes</h2>${notes(s)}</section>`,
    `<section id="trends"><h2>RTO and RPO against targets</h2><div class="charts"><figure>${renderTrendChart(s.trends.rto, 'chart-rto')}${trendCaption(s, 'rto')}</figure><figure>${renderTrendChart(s.trends.rpo, 'chart-rpo')}${trendCaption(s, 'rpo')}</figure></div></section>`,
    `<section id="runs"><h2>Runs</h2>${runsTable(s, model)}<p class="muted">Each run links to its report.html, copied from its bundle; verify the bundle itself with <code>drillbook verify</code>. Reports of bundles that failed verification are not copied.</p></section>`,
    `<section id="missed"><h2>Missed scheduled runs</h2>${missedTable(s)}</section>`,
    '</main>',
  ].join('\n');
  return page(`${s.id}: ${s.status} · drillbook`, body, `Generated by drillbook at ${x(new Date(model.generatedAtMs).toISOString())} from the evidence store ${x(model.store)}.`);
}
