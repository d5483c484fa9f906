/** A Markdown summary of a run record, for tickets, pull requests and change records. Pure. */
import { answerText } from './answer-text.js';
import { rtoPartsText } from './rto-parts.js';
import { runbookText } from './runbook-text.js';
import { formatDuration } from '../scenario/duration.js';
import { formatGigabytes, formatMoney, formatSize } from '../scenario/size.js';
import { describeControl } from './control-catalog.js';
import { exitCheckLabels, type ExitReadinessRecord } from './exit-record.js';
import type { ReportContext } from './render-html.js';
import { gatedSteps, type ObjectiveRecord, type RunRecord, type StepRecord } from './run-record.js';
import { revealInvisible } from '../visible-text.js';

/** Render the record (and, when given, what verification established) as GitHub-flavoured Markdown. */
export function renderMarkdown(record: RunRecord, context: ReportContext = {}): string {
  const s = record.scenario;
  const lines: string[] = [
    `# ${cell(s.title)}: ${record.verdict}`,
    '',
    `${s.kind} scenario \`${s.id}\`, run \`${record.runId}\` by ${cell(record.operator)} on ${cell(record.host)}, ${record.startedAt} to ${record.finishedAt} (${formatDuration(record.durationMs)}), end: ${record.endReason}${record.signal ? ` (${record.signal})` : ''}.`,
    '',
    ...(record.cleanupIncomplete?.length
      ? [
          '> **Cleanup incomplete: the environment may be inconsistent.** Finish by hand:',
          ...record.cleanupIncomplete.map((c) => `> - \`${c.stepId}\` (${c.uses}${c.on ? ` on ${c.on}` : ''}): ${c.status}${c.command ? ` — \`${cell(c.command.join(' '))}\`` : ''}`),
          '',
        ]
      : []),
    '## Objectives',
    '',
    '| Objective | Target | Achieved | Status |',
    '|---|---|---|---|',
  ];
  for (const [name, o] of [['RTO', record.objectives.rto], ['RPO', record.objectives.rpo], ['Exit period', record.objectives.exitPeriod]] as const) {
    if (o) lines.push(objectiveRow(name, o));
  }
  if (record.exitReadiness) lines.push('', ...exitLines(record.exitReadiness));
  lines.push('', '## Steps', '', '| Step | Phase | Status | Attempts | Duration |', '|---|---|---|---|---|');
  for (const step of [...record.steps, ...record.cleanup]) lines.push(stepRow(step));
  const gates = [...(record.approval ? [{ label: '', a: record.approval }] : []), ...gatedSteps(record).map((step) => ({ label: `Step ${cell(step.id)}: `, a: step.approval }))];
  if (gates.length) lines.push('', '## Approvals');
  for (const { label, a } of gates) {
    lines.push('', `${label}${a.granted.length} of ${a.quorum} required, ${a.status}, after ${formatDuration(a.waitedMs)}.`, ...a.granted.map((g) => `- ${cell(g.by)}${g.roles ? ` (${cell(g.roles.join(', '))})` : ''}, key ${g.keyid}, at ${g.at}${g.comment ? `: ${cell(g.comment)}` : ''}`));
  }
  const answered = [...record.steps, ...record.cleanup].filter((step) => step.answer);
  if (answered.length) lines.push('', '## Manual steps', '', ...answered.map((step) => `- ${cell(step.id)}: ${cell(step.answer ? answerText(step.answer) : '')}`));
  const findings = [...record.verdictReasons, ...record.deviations.map((d) => `Deviation: ${d}`)];
  if (findings.length) lines.push('', '## Findings', '', ...findings.map((f) => `- ${cell(f)}`));
  if (s.controls.length) {
    lines.push('', '## Controls', '', ...s.controls.map((c) => {
      const known = describeControl(c);
      return `- \`${c}\`${known ? `: ${known.framework} ${known.clause} ${known.title}` : ''}`;
    }));
  }
  lines.push('', '## Integrity', '', `- Journal \`${record.journal.file}\`: ${record.journal.entries} entries, head \`${record.journal.headSha256}\``);
  if (record.previousRecordSha256) lines.push(`- Previous record: \`${record.previousRecordSha256}\``);
  if (record.runbook) lines.push(`- Runbook at hand: ${cell(runbookText(record.runbook))}`);
  if (context.verification) {
    lines.push(`- Verified payload (record.json) SHA-256 \`${context.verification.payloadSha256}\`, threshold ${context.verification.threshold}`);
    for (const signer of context.verification.signers) lines.push(`- Signed (${signer.role}) by key \`${signer.keyid}\` in \`${signer.file}\``);
  } else if (context.sealingKeyId) {
    lines.push(`- Signed at sealing by key \`${context.sealingKeyId}\``);
  }
  return revealInvisible(`${lines.join('\n')}\n`);
}

function exitLines(e: ExitReadinessRecord): string[] {
  const lines = ['## Exit readiness', '', '| Item | Status | Basis | Required | Found |', '|---|---|---|---|---|'];
  for (const item of e.checklist) lines.push(`| ${exitCheckLabels[item.check]} | ${item.status} | ${item.basis} | ${item.required ? 'yes' : 'no'} | ${cell(item.summary)} |`);
  const p = e.projection;
  lines.push('');
  if (p.volumeBytes !== undefined && p.projectedMs !== undefined) {
    const rate = p.throughputBytesPerSec === undefined ? '' : ` at ${formatSize(p.throughputBytesPerSec)}/s (measured over ${formatSize(p.sampleBytes)} in ${formatDuration(p.sampleMs)})`;
    lines.push(`- Projection: ${formatSize(p.volumeBytes)} (${p.volumeBasis ?? 'listed'})${rate} → ${formatDuration(p.projectedMs)}${p.periodMs === undefined ? '' : ` against a period of ${formatDuration(p.periodMs)}`}`);
  } else {
    lines.push('- Projection: none (no volume or no throughput measured)');
  }
  if (e.egress?.estimatedCost !== undefined) {
    lines.push(`- Egress: ${formatGigabytes(e.egress.bytes)} ≈ ${formatMoney(e.egress.estimatedCost, e.egress.currency)}${e.egress.maxCost === undefined ? '' : ` (limit ${formatMoney(e.egress.maxCost, e.egress.currency)})`}`);
  }
  for (const row of e.exports) if (row.manifest) lines.push(`- Manifest of \`${cell(row.stepId)}\`: \`${cell(row.manifest.file)}\` (${row.manifest.entries} entries, SHA-256 \`${row.manifest.sha256}\`)`);
  for (const finding of e.findings) lines.push(`- Finding: ${cell(finding)}`);
  return lines;
}

function objectiveRow(name: string, o: ObjectiveRecord): string {
  const target = o.targetMs === undefined ? '—' : formatDuration(o.targetMs);
  const achieved = o.achievedMs === undefined ? 'not measured' : `${formatDuration(o.achievedMs)}${rtoPartsText(o)}`;
  return `| ${name} | ${target} | ${achieved} | ${o.status} |`;
}

function stepRow(step: StepRecord): string {
  const status = step.reason ? `${step.status} (${step.reason})` : step.status;
  return `| \`${cell(step.id)}\` | ${step.phase} | ${status} | ${step.attempts.length} | ${step.durationMs === undefined ? '—' : formatDuration(step.durationMs)} |`;
}

/** Text safe inside a table cell or a line: no pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
