/** The few lines printed after a run: verdict, objectives, where the evidence is. */
import type { ObjectiveRecord, RunRecord } from '../evidence/run-record.js';
import { formatDuration } from '../scenario/duration.js';

function objective(name: string, o: ObjectiveRecord | undefined): string | undefined {
  if (!o || (o.status === 'no-target' && o.achievedMs === undefined)) return undefined;
  const achieved = o.achievedMs !== undefined ? formatDuration(o.achievedMs) : 'not measured';
  const target = o.targetMs !== undefined ? ` (target ${formatDuration(o.targetMs)})` : '';
  return `${name} ${achieved}${target}: ${o.status}`;
}

export function renderSummary(record: RunRecord, bundleDir: string, signedBy: string | undefined): string {
  const lines = [
    `verdict: ${record.verdict}${record.verdictReasons.length ? ` (${record.verdictReasons.join('; ')})` : ''}`,
    objective('RTO', record.objectives.rto),
    objective('RPO', record.objectives.rpo),
    objective('exit period', record.objectives.exitPeriod),
    `evidence: ${bundleDir}${signedBy ? ` (signed, key ${signedBy.slice(0, 16)}…)` : ' (unsigned: pass --sign-key to sign)'}`,
  ];
  return `${lines.filter(Boolean).join('\n')}\n`;
}
