/** The few lines printed after a run: verdict, objectives, where the evidence is. */
import { rtoPartsText } from '../evidence/rto-parts.js';
import { exitCheckLabels } from '../evidence/exit-record.js';
import type { ObjectiveRecord, RunRecord } from '../evidence/run-record.js';
import { formatDuration } from '../scenario/duration.js';

function objective(name: string, o: ObjectiveRecord | undefined): string | undefined {
  if (!o || (o.status === 'no-target' && o.achievedMs === undefined)) return undefined;
  const achieved = o.achievedMs !== undefined ? formatDuration(o.achievedMs) : 'not measured';
  const target = o.targetMs !== undefined ? ` (target ${formatDuration(o.targetMs)})` : '';
  return `${name} ${achieved}${target}: ${o.status}${rtoPartsText(o)}`;
}

/** The checklist, one item a line: what a contract manager asks first. */
function exitLines(record: RunRecord): string[] {
  const checklist = record.exitReadiness?.checklist ?? [];
  if (checklist.length === 0) return [];
  return ['exit readiness:', ...checklist.map((item) => `  ${exitCheckLabels[item.check]}: ${item.status}${item.required ? '' : ' (not required)'} — ${item.summary}`)];
}

/** Loud: a cleanup that did not complete may leave production failed over. */
function cleanupLines(record: RunRecord): string[] {
  const incomplete = record.cleanupIncomplete ?? [];
  if (incomplete.length === 0) return [];
  return [
    '!! CLEANUP INCOMPLETE: the environment may be inconsistent (a failover not undone, a service still stopped).',
    '!! Finish these cleanup steps by hand:',
    ...incomplete.flatMap((c) => [
      `!!   ${c.stepId} (${c.uses}${c.on ? ` on ${c.on}` : ''}): ${c.status}${c.message ? `: ${c.message}` : ''}`,
      ...(c.command ? [`!!     ${c.command.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ')}`] : []),
    ]),
  ];
}

export function renderSummary(record: RunRecord, bundleDir: string, signedBy: string | undefined): string {
  const lines = [
    ...cleanupLines(record),
    `verdict: ${record.verdict}${record.verdictReasons.length ? ` (${record.verdictReasons.join('; ')})` : ''}`,
    objective('RTO', record.objectives.rto),
    objective('RPO', record.objectives.rpo),
    objective('exit period', record.objectives.exitPeriod),
    ...exitLines(record),
    `evidence: ${bundleDir}${signedBy ? ` (signed, key ${signedBy.slice(0, 16)}…)` : ' (unsigned: pass --sign-key to sign)'}`,
  ];
  return `${lines.filter(Boolean).join('\n')}\n`;
}
