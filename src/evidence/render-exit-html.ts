/**
 * The exit-readiness section of report.html, for a contract manager: the checklist first, then the
 * projection and cost behind it, then exports, dumps, re-imports, formats and findings. Pure.
 */
import { formatDuration } from '../scenario/duration.js';
import { formatCount, formatGigabytes, formatMoney, formatSize } from '../scenario/size.js';
import { exitCheckLabels, type ExitReadinessRecord } from './exit-record.js';
import { code, digest, status, table } from './html-parts.js';
import { escapeMarkup as x } from '../markup.js';

// Manifests live under attachments/ in the bundle; anything else is shown, not linked.
const attachmentPath = /^attachments\/[A-Za-z0-9._/-]+$/;

const kv = (rows: readonly [string, string][]): string => table(['', ''], rows.map(([k, v]) => [`<th scope="row">${x(k)}</th>`, v]), 'kv');

function checklist(e: ExitReadinessRecord): string {
  const rows = e.checklist.map((item) => [x(exitCheckLabels[item.check]), status(item.status), x(item.basis), x(item.required ? 'required' : 'not required'), x(item.summary)]);
  return `<p>Can the data leave the provider whole, in open formats, re-importable elsewhere, inside the contractual period? Each item is <em>measured</em> (observed in this run), <em>declared</em> (rests on a figure the scenario declares) or <em>not covered</em>.</p>${table(['Item', 'Status', 'Basis', 'Required', 'What the run found'], rows, 'exit-checklist')}`;
}

function projection(e: ExitReadinessRecord): string {
  const p = e.projection;
  const rows: [string, string][] = [
    ['Data volume', x(p.volumeBytes === undefined ? 'unknown: none declared, none listed' : `${formatSize(p.volumeBytes)} (${p.volumeBasis === 'declared' ? 'declared in the scenario' : 'listed by the exports'})`)],
    ['Measured sample', x(`${formatSize(p.sampleBytes)} in ${formatDuration(p.sampleMs)} (the exporting steps' last attempts; parallel steps counted once)`)],
    ['Throughput', x(p.throughputBytesPerSec === undefined ? 'not measured' : `${formatSize(p.throughputBytesPerSec)}/s`)],
    ['Projected full exit', x(p.projectedMs === undefined ? 'not projected' : formatDuration(p.projectedMs))],
    ['Contractual period', x(p.periodMs === undefined ? 'not declared' : formatDuration(p.periodMs))],
  ];
  if (p.projectedMs !== undefined && p.periodMs !== undefined) rows.push(['Margin', x(formatDuration(p.periodMs - p.projectedMs))]);
  const cost = e.egress;
  if (cost) {
    rows.push(['Egress volume', x(`${formatGigabytes(cost.bytes)} (${formatSize(cost.bytes)})`)]);
    rows.push(['Price', x(cost.pricePerGB === undefined ? 'not declared' : `${String(cost.pricePerGB)} ${cost.currency ?? ''} per GB (10^9 bytes), declared`)]);
    if (cost.estimatedCost !== undefined) rows.push(['Estimated egress cost', x(formatMoney(cost.estimatedCost, cost.currency))]);
    if (cost.maxCost !== undefined) rows.push(['Cost limit', x(formatMoney(cost.maxCost, cost.currency))]);
  }
  return `<h3>Projection and cost</h3><p>Projected duration = data volume ÷ measured throughput; cost = egress GB × declared price.</p>${kv(rows)}`;
}

function manifest(m: NonNullable<ExitReadinessRecord['exports'][number]['manifest']>): string {
  const name = attachmentPath.test(m.file) ? `<a href="${x(m.file)}">${code(m.file)}</a>` : code(m.file);
  return `${name}<br>${x(`${formatCount(m.entries)} entries, SHA-256`)} ${digest(m.sha256)}`;
}

function exports(e: ExitReadinessRecord): string {
  if (e.exports.length === 0) return '';
  const rows = e.exports.map((row) => {
    const r = row.reconciliation;
    return [
      `${code(row.stepId)}<br>${status(row.status)}`,
      `${code(row.source)} → ${code(row.destination)}`,
      x(`${formatCount(row.exported.objects)} of ${formatCount(row.listed.objects)} listed`),
      x(formatSize(row.exported.bytes)),
      x(row.resumed.objects ? `${formatCount(row.resumed.objects)} (${formatSize(row.resumed.bytes)})` : '—'),
      x(row.throughputBytesPerSec === undefined ? '—' : `${formatSize(row.throughputBytesPerSec)}/s`),
      x(`${r.missing} missing, ${r.extra} extra, ${r.changed} changed, ${r.corrupted} corrupted, ${r.failed} failed${r.vanished === undefined ? '' : `, ${r.vanished} vanished`}${row.deletionsAccepted ? ' (deletions at the source accepted: acceptDeletions)' : ''}`),
      x(row.destinationVerified ? 'read back, matched' : 'not read back'),
      row.manifest ? manifest(row.manifest) : x('not attached'),
    ];
  });
  return `<h3>Exports</h3>${table(['Step', 'Source → destination', 'Objects', 'Size', 'Resumed', 'Throughput', 'Reconciliation at the end', 'Destination', 'Manifest'], rows)}`;
}

function dumps(e: ExitReadinessRecord): string {
  if (e.dumps.length === 0) return '';
  const rows = e.dumps.map((d) => [`${code(d.stepId)}<br>${status(d.status)}`, code(d.file), code(d.host), x(formatSize(d.bytes)), x(d.format), digest(d.sha256)]);
  return `<h3>Dumps</h3>${table(['Step', 'File', 'Host', 'Size', 'Format', 'SHA-256'], rows)}`;
}

function reimports(e: ExitReadinessRecord): string {
  if (e.reimports.length === 0) return '';
  const rows = e.reimports.map((r) => [
    code(r.stepId),
    x(r.uses),
    status(r.status),
    x(r.declared ? 'yes (exit.reimport)' : 'no'),
    x(r.verified && r.expected ? `${formatCount(r.verified.objects)} of ${formatCount(r.expected.objects)} objects verified, ${r.missing ?? 0} missing, ${r.mismatched ?? 0} mismatched, on ${r.destination ?? '?'}` : 'the step passing is the proof'),
  ]);
  return `<h3>Re-import on a neutral target</h3>${table(['Step', 'Runner', 'Status', 'Declared', 'Proof'], rows)}`;
}

function formats(e: ExitReadinessRecord): string {
  if (e.formats.length === 0) return '<h3>Formats</h3><p>No exported file was classified.</p>';
  const open = e.plan.openFormats.length ? `Formats the scenario counts as open: ${e.plan.openFormats.map(code).join(', ')}.` : 'The scenario declares no open formats.';
  const rows = e.formats.map((f) => [code(f.format), x(formatCount(f.objects)), x(formatSize(f.bytes)), f.open === undefined ? x('—') : status(f.open ? 'open' : 'not open'), f.examples.map(code).join('<br>')]);
  return `<h3>Formats (classified by content)</h3><p>${open}</p>${table(['Format', 'Objects', 'Size', 'Open', 'Examples'], rows)}`;
}

function findings(e: ExitReadinessRecord): string {
  return `<h3>Exit findings</h3>${e.findings.length ? `<ul class="findings">${e.findings.map((f) => `<li>${x(f)}</li>`).join('')}</ul>` : '<p>None.</p>'}`;
}

/** The body of the "Exit readiness" section. */
export function renderExitSection(e: ExitReadinessRecord): string {
  return [checklist(e), projection(e), exports(e), dumps(e), reimports(e), formats(e), findings(e)].filter(Boolean).join('\n');
}
