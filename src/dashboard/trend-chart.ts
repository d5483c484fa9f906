/**
 * Inline SVG charts of an objective over runs, against its target: the large chart of a scenario page and
 * the sparkline of the overview. Pure; own colours, no stylesheet or script needed.
 */
import { escapeMarkup as x } from '../markup.js';
import type { Trend, TrendPoint } from '../register/trend.js';
import { formatDuration } from '../scenario/duration.js';

const colours = { met: '#2e7d32', missed: '#c62828', other: '#757575', line: '#1565c0', target: '#c62828', grid: '#e0e0e0', text: '#424242' } as const;

const round = (n: number) => Math.round(n * 10) / 10;

function pointColour(p: TrendPoint): string {
  return p.status === 'met' ? colours.met : p.status === 'missed' ? colours.missed : colours.other;
}

interface Scale {
  x(at: number): number;
  y(ms: number): number;
  top: number;
}

function scale(points: readonly TrendPoint[], targetMs: number | undefined, box: { left: number; right: number; top: number; bottom: number }): Scale {
  const times = points.map((p) => p.atMs);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const top = Math.max(1, targetMs ?? 0, ...points.map((p) => p.achievedMs)) * 1.15;
  return {
    x: (at) => (last === first ? (box.left + box.right) / 2 : box.left + ((at - first) / (last - first)) * (box.right - box.left)),
    y: (ms) => box.bottom - (ms / top) * (box.bottom - box.top),
    top,
  };
}

const names = { rto: 'RTO (recovery time)', rpo: 'RPO (data loss)' } as const;

/** The chart of one objective for a scenario page; `id` must be unique in the page. */
export function renderTrendChart(trend: Trend, id: string): string {
  const width = 640;
  const height = 220;
  const box = { left: 64, right: width - 16, top: 24, bottom: height - 36 };
  const title = names[trend.objective];
  if (trend.points.length === 0) {
    return `<svg id="${x(id)}" class="chart empty" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} 60" width="100%" role="img" aria-label="${x(`${title}: no measured run`)}"><text x="12" y="34" fill="${colours.text}" font-family="system-ui, sans-serif" font-size="13">${x(title)}: no measured run yet</text></svg>`;
  }
  const s = scale(trend.points, trend.targetMs, box);
  const out: string[] = [
    `<svg id="${x(id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${x(id)}-title" font-family="system-ui, sans-serif" font-size="11">`,
    `<title id="${x(id)}-title">${x(`${title} of the last ${trend.points.length} measured runs${trend.targetMs === undefined ? '' : ` against a target of ${formatDuration(trend.targetMs)}`}`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    const ms = (s.top / 1.15) * fraction;
    const y = round(s.y(ms));
    out.push(`<line x1="${box.left}" y1="${y}" x2="${box.right}" y2="${y}" stroke="${colours.grid}"/>`, `<text x="${box.left - 6}" y="${y + 4}" text-anchor="end" fill="${colours.text}">${x(formatDuration(ms))}</text>`);
  }
  if (trend.targetMs !== undefined) {
    const y = round(s.y(trend.targetMs));
    out.push(
      `<line class="target" x1="${box.left}" y1="${y}" x2="${box.right}" y2="${y}" stroke="${colours.target}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${box.right}" y="${y - 5}" text-anchor="end" fill="${colours.target}">${x(`target ${formatDuration(trend.targetMs)}`)}</text>`,
    );
  }
  const path = trend.points.map((p) => `${round(s.x(p.atMs))},${round(s.y(p.achievedMs))}`).join(' ');
  out.push(`<polyline points="${path}" fill="none" stroke="${colours.line}" stroke-width="1.5"/>`);
  for (const p of trend.points) {
    const label = `${p.runId} (${new Date(p.atMs).toISOString().slice(0, 10)}): ${formatDuration(p.achievedMs)}${p.targetMs === undefined ? '' : ` of ${formatDuration(p.targetMs)}`}, ${p.status}`;
    out.push(`<circle class="point point-${x(p.status)}" cx="${round(s.x(p.atMs))}" cy="${round(s.y(p.achievedMs))}" r="4.5" fill="${pointColour(p)}"><title>${x(label)}</title></circle>`);
  }
  const first = trend.points[0];
  const last = trend.points.at(-1);
  if (first && last) {
    out.push(`<text x="${box.left}" y="${height - 12}" fill="${colours.text}">${x(new Date(first.atMs).toISOString().slice(0, 10))}</text>`);
    if (last !== first) out.push(`<text x="${box.right}" y="${height - 12}" text-anchor="end" fill="${colours.text}">${x(new Date(last.atMs).toISOString().slice(0, 10))}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}

/** A small line of the latest values against the target, for the overview table. */
export function renderSparkline(trend: Trend): string {
  if (trend.points.length === 0) return '<span class="muted">—</span>';
  const width = 110;
  const height = 26;
  const s = scale(trend.points, trend.targetMs, { left: 4, right: width - 4, top: 3, bottom: height - 3 });
  const latest = trend.points.at(-1);
  const label = `${trend.objective.toUpperCase()}: latest ${formatDuration(latest?.achievedMs ?? 0)}${trend.targetMs === undefined ? '' : `, target ${formatDuration(trend.targetMs)}`}; ${trend.direction}`;
  const target = trend.targetMs === undefined ? '' : `<line x1="2" y1="${round(s.y(trend.targetMs))}" x2="${width - 2}" y2="${round(s.y(trend.targetMs))}" stroke="${colours.target}" stroke-dasharray="3 2"/>`;
  const path = trend.points.map((p) => `${round(s.x(p.atMs))},${round(s.y(p.achievedMs))}`).join(' ');
  const dot = latest ? `<circle cx="${round(s.x(latest.atMs))}" cy="${round(s.y(latest.achievedMs))}" r="2.5" fill="${pointColour(latest)}"/>` : '';
  return `<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${x(label)}"><title>${x(label)}</title>${target}<polyline points="${path}" fill="none" stroke="${colours.line}" stroke-width="1.5"/>${dot}</svg>`;
}
