/**
 * The exit-readiness checklist: one judgement per item, from the facts alone. An item is `met` only when
 * every step that bears on it reported; a gap found is `missed`; nothing to judge by is `not-covered`.
 * Pure. docs/exit-readiness.md states the same rules for readers.
 */
import type { ExitCheckBasis, ExitCheckRecord, ExitCheckStatus, ExitEgressRecord } from '../evidence/exit-record.js';
import type { StepRecord } from '../evidence/run-record.js';
import { formatDuration } from '../scenario/duration.js';
import { formatCount, formatGigabytes, formatMoney, formatSize } from '../scenario/size.js';
import { exitChecks, type ExitCheck } from '../scenario/types.js';
import { isGap, quoteKeys, type GapName, type KeyList } from './facts.js';
import type { ExitObservation } from './observation.js';

type Judgement = { status: ExitCheckStatus; basis: ExitCheckBasis; summary: string };

const measured = (status: 'met' | 'missed', summary: string): Judgement => ({ status, basis: 'measured', summary });
const notCovered = (summary: string): Judgement => ({ status: 'not-covered', basis: 'not covered', summary });

/** Manifest fields that make an object re-importable and checkable elsewhere. */
export const metadataFields = ['key', 'size', 'etag', 'sha256', 'lastModified', 'contentType'] as const;

export function objects(count: number, bytes?: number): string {
  return `${formatCount(count)} object${count === 1 ? '' : 's'}${bytes === undefined ? '' : ` (${formatSize(bytes)})`}`;
}

/** Why a step gives nothing to judge by, or failed. */
export function stepProblem(step: StepRecord): string | undefined {
  if (step.status === 'failed') return `${step.id} failed${step.message ? `: ${step.message}` : ''}`;
  if (step.status === 'cancelled') return `${step.id} was cancelled`;
  if (step.status === 'not-run') return `${step.id} did not run`;
  return undefined;
}

/** A count of a reconciliation list and its first keys: `2 vanished ("a", "b")`. */
const listed = (name: GapName, list: KeyList): string => `${formatCount(list.count)} ${name} (${quoteKeys(list, 3)})`;

const silence = (step: StepRecord): string => stepProblem(step) ?? `${step.id} reported no export facts`;

/** Missed when there is a gap, else not covered when a step gave nothing, else met. */
function verdictOf(gaps: readonly string[], unknown: readonly string[], met: string): Judgement {
  if (gaps.length) return measured('missed', gaps.join('; '));
  if (unknown.length) return notCovered(unknown.join('; '));
  return measured('met', met);
}

function complete(o: ExitObservation): Judgement {
  if (o.exports.length + o.dumps.length + o.silentExporters.length === 0) return notCovered('no export step (s3.export, ssh.dump) in this run');
  const gaps: string[] = [];
  const unknown: string[] = [];
  for (const step of o.silentExporters) (step.status === 'failed' ? gaps : unknown).push(silence(step));
  for (const { step } of [...o.exports, ...o.dumps]) {
    const problem = stepProblem(step);
    if (step.status === 'failed') gaps.push(problem ?? step.id);
    else if (problem) unknown.push(problem);
  }
  const accepted: string[] = [];
  for (const { step, facts } of o.exports) {
    const r = facts.reconciliation;
    const found = (name: GapName, gap: boolean): boolean => isGap(facts, name) === gap && r[name].count > 0;
    const atEnd = (['missing', 'extra', 'changed', 'failed'] as const).filter((name) => found(name, true)).map((name) => listed(name, r[name]));
    const reported = atEnd.length ? [`${atEnd.join(', ')} at the end`] : [];
    if (found('vanished', true)) reported.push(`${listed('vanished', r.vanished)}: listed at the start, deleted at the source before it was read`);
    if (reported.length) gaps.push(`${step.id}: ${reported.join('; ')}`);
    const deleted = (['vanished', 'extra'] as const).filter((name) => found(name, false)).map((name) => listed(name, r[name]));
    if (deleted.length) accepted.push(`${step.id}: ${deleted.join(', ')}`);
  }
  const exported = o.exports.reduce((sum, e) => ({ count: sum.count + e.facts.exported.objects, bytes: sum.bytes + e.facts.exported.bytes }), { count: 0, bytes: 0 });
  const parts = [];
  // Accepted deletions are said with their keys: "complete" never hides an object listed at the start.
  const deletions = accepted.length ? `0 missing, 0 changed; deleted at the source during the export, accepted (acceptDeletions): ${accepted.join('; ')}` : '0 missing, 0 extra, 0 changed';
  if (o.exports.length) parts.push(`${objects(exported.count, exported.bytes)} exported; fresh listing at the end: ${deletions}`);
  if (o.dumps.length) parts.push(`${o.dumps.length} dump${o.dumps.length === 1 ? '' : 's'} (${formatSize(o.dumps.reduce((sum, d) => sum + d.facts.bytes, 0))}) written in full`);
  return verdictOf(gaps, unknown, parts.join('; '));
}

function integral(o: ExitObservation): Judgement {
  if (o.exports.length + o.dumps.length === 0) return notCovered(o.silentExporters.length ? o.silentExporters.map(silence).join('; ') : 'no export step (s3.export, ssh.dump) in this run');
  const gaps: string[] = [];
  const unknown = o.silentExporters.map(silence);
  for (const { step, facts } of o.exports) {
    const corrupted = facts.reconciliation.corrupted.count;
    if (corrupted > 0) gaps.push(`${step.id}: ${objects(corrupted)} corrupted (digest mismatch)`);
    // An empty export has no entry to carry a digest: nothing is unverified.
    if (facts.exported.objects > 0 && !facts.metadata.fields.includes('sha256')) unknown.push(`${step.id}: the manifest does not carry a SHA-256 for every object`);
    if (!facts.destinationVerified) unknown.push(`${step.id}: the copies at the destination were not read back`);
  }
  const count = o.exports.reduce((sum, e) => sum + e.facts.exported.objects, 0);
  const what = [o.exports.length ? objects(count) : '', o.dumps.length ? `${o.dumps.length} dump${o.dumps.length === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
  return verdictOf(gaps, unknown, `SHA-256 recorded for ${what}${o.exports.length ? '; copies at the destination read back and matched; 0 corrupted' : ''}`);
}

function openFormats(o: ExitObservation): Judgement {
  if (o.plan.openFormats.length === 0) return notCovered('no open formats declared (exit.openFormats)');
  const closed = o.formats.filter((f) => f.open === false);
  if (closed.length) {
    return measured('missed', `${closed.length} format${closed.length === 1 ? ' is' : 's are'} not open: ${closed.map((f) => `${f.format}: ${objects(f.objects, f.bytes)}`).join(', ')}`);
  }
  if (o.silentExporters.length) return notCovered(o.silentExporters.map(silence).join('; '));
  if (o.formats.length === 0) return notCovered('no exported file was classified');
  const files = o.formats.reduce((sum, f) => sum + f.objects, 0);
  return measured('met', `all ${formatCount(files)} exported file${files === 1 ? ' is' : 's are'} in open formats (${o.formats.map((f) => f.format).join(', ')})`);
}

function metadata(o: ExitObservation): Judgement {
  // An exporter that reported nothing may have exported objects: what their manifest holds is unknown.
  const silent = o.silentExporters;
  if (o.exports.length + silent.length === 0) return notCovered('no object export (s3.export) in this run');
  const gaps: string[] = [];
  let withoutType = 0;
  for (const { step, facts } of o.exports) {
    if (facts.exported.objects === 0) continue;
    // Objects the source stores without a content type cannot carry one; that is a finding, not a gap.
    const excused = facts.metadata.withoutContentType > 0 ? ['contentType'] : [];
    const lacking = metadataFields.filter((field) => !facts.metadata.fields.includes(field) && !excused.includes(field));
    if (lacking.length) gaps.push(`${step.id}: the manifest lacks ${lacking.join(', ')}`);
    withoutType += facts.metadata.withoutContentType;
  }
  const note = withoutType ? `; ${objects(withoutType)} without a content type at the source` : '';
  return verdictOf(gaps, silent.map(silence), `the manifests record key, size, ETag, SHA-256, last modified and content type of every object${note}`);
}

function reimport(o: ExitObservation): Judgement {
  if (o.reimports.length === 0) return notCovered('no re-import step declared (exit.reimport) and no s3.import ran');
  const gaps: string[] = [];
  const unknown: string[] = [];
  let proven = { objects: 0, bytes: 0 };
  for (const { step, facts } of o.reimports) {
    const problem = stepProblem(step);
    if (step.status === 'failed') gaps.push(problem ?? step.id);
    else if (problem) unknown.push(problem);
    if (!facts) {
      if (step.status === 'passed' && step.role === 'reimport') unknown.push(`${step.id} reported no re-import facts`);
      continue;
    }
    const short = facts.expected.objects - facts.verified.objects;
    const issues = [short > 0 ? `${formatCount(short)} of ${objects(facts.expected.objects)} not verified` : '', facts.missing.count ? `${formatCount(facts.missing.count)} missing` : '', facts.mismatched.count ? `${formatCount(facts.mismatched.count)} mismatched` : ''].filter(Boolean);
    if (facts.verified.bytes !== facts.expected.bytes && !issues.length) issues.push(`${formatSize(facts.verified.bytes)} verified of ${formatSize(facts.expected.bytes)}`);
    if (issues.length) gaps.push(`${step.id}: ${issues.join(', ')} on the neutral target`);
    proven = { objects: proven.objects + facts.verified.objects, bytes: proven.bytes + facts.verified.bytes };
  }
  const others = o.reimports.filter((r) => !r.facts).map((r) => r.step.id);
  const parts = [o.reimports.some((r) => r.facts) ? `${objects(proven.objects, proven.bytes)} put on the neutral target and read back (SHA-256 matched)` : '', others.length ? `${others.join(', ')} passed` : ''];
  return verdictOf(gaps, unknown, parts.filter(Boolean).join('; '));
}

function withinPeriod(o: ExitObservation): Judgement {
  const p = o.projection;
  if (o.periodMs === undefined) return notCovered('no contractual period declared (objectives.exitPeriod)');
  if (p.volumeBytes === undefined) return notCovered('no data volume: none declared (exit.dataVolume) and no export listed one');
  if (p.projectedMs === undefined) return notCovered('no throughput measured: the export steps transferred nothing in this run');
  const rate = p.throughputBytesPerSec === undefined ? '' : ` at ${formatSize(p.throughputBytesPerSec)}/s`;
  const summary = `projected ${formatDuration(p.projectedMs)} for ${formatSize(p.volumeBytes)} (${p.volumeBasis ?? 'listed'})${rate}; the period is ${formatDuration(o.periodMs)}`;
  return { status: p.projectedMs <= o.periodMs ? 'met' : 'missed', basis: p.volumeBasis === 'declared' ? 'declared' : 'measured', summary };
}

function cost(egress: ExitEgressRecord | undefined, o: ExitObservation): Judgement {
  if (o.plan.egressPricePerGB === undefined) return notCovered('no egress price declared (exit.egressPricePerGB)');
  if (egress?.estimatedCost === undefined) return notCovered('no data volume to price: none declared (exit.dataVolume) and no export listed one');
  const summary = `about ${formatMoney(egress.estimatedCost, egress.currency)} for ${formatGigabytes(egress.bytes)} of egress at ${String(o.plan.egressPricePerGB)}${egress.currency ? ` ${egress.currency}` : ''}/GB`;
  if (egress.maxCost === undefined) return { status: 'reported', basis: 'declared', summary };
  const within = egress.estimatedCost <= egress.maxCost;
  return { status: within ? 'met' : 'missed', basis: 'declared', summary: `${summary}; the limit is ${formatMoney(egress.maxCost, egress.currency)}` };
}

const judges: Record<ExitCheck, (o: ExitObservation, egress: ExitEgressRecord | undefined) => Judgement> = {
  complete,
  integral,
  'open-formats': openFormats,
  metadata,
  reimport,
  'within-period': withinPeriod,
  cost: (o, egress) => cost(egress, o),
};

/** One row per item, in checklist order. */
export function judgeChecklist(o: ExitObservation, egress: ExitEgressRecord | undefined): ExitCheckRecord[] {
  return exitChecks.map((check) => ({ check, ...judges[check](o, egress), required: o.plan.required.includes(check) }));
}
