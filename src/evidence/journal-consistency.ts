/**
 * Record-vs-journal consistency: the record must tell the story the journal tells. Checked from the entries
 * the engine writes: `run.started` first, one `step.finished` ({stepId, status}) per step that ran, one
 * `run.finished` ({verdict, endReason}).
 */
import type { JournalEntry } from './journal.js';
import type { RunRecord } from './run-record.js';

/** Every disagreement between the record and the journal entries; empty when they agree. */
export function checkJournalConsistency(record: RunRecord, entries: readonly JournalEntry[]): string[] {
  const problems: string[] = [];
  if (entries[0]?.type !== 'run.started') problems.push(`the journal does not begin with run.started (first entry: ${entries[0]?.type ?? 'none'})`);

  const finished = entries.filter((e) => e.type === 'run.finished');
  const last = finished[finished.length - 1];
  if (!last) {
    problems.push('the journal has no run.finished entry: the run never finished (or the journal is cut short)');
  } else {
    if (finished.length > 1) problems.push(`the journal has ${finished.length} run.finished entries`);
    if (last.data.verdict !== record.verdict) problems.push(`verdict: record says ${record.verdict}, journal says ${String(last.data.verdict)}`);
    if (last.data.endReason !== record.endReason) problems.push(`end reason: record says ${record.endReason}, journal says ${String(last.data.endReason)}`);
  }

  // `recover` or `resume` may finish a step again that the crashed run had finished (cancelled, failed): once per
  // session (the run, then each recovery), and the last finish is the step's status.
  const statuses = new Map<string, unknown[]>();
  let session = 0;
  const finishedIn = new Map<string, number>();
  for (const entry of entries) {
    if (entry.type === 'recover.started' || entry.type === 'resume.started') session += 1;
    if (entry.type !== 'step.finished') continue;
    const id = String(entry.data.stepId);
    if (finishedIn.get(id) === session) problems.push(`step ${id}: journal finishes it more than once in one session`);
    finishedIn.set(id, session);
    statuses.set(id, [...(statuses.get(id) ?? []), entry.data.status]);
  }
  const steps = [...record.steps, ...record.cleanup];
  const known = new Set([...steps.map((s) => s.id), ...steps.flatMap((s) => (s.group ? [s.group] : []))]);
  for (const step of steps) {
    const seen = statuses.get(step.id);
    if (!seen) {
      if (step.status !== 'not-run') problems.push(`step ${step.id}: record says ${step.status}, journal has no step.finished for it`);
    } else if (seen.at(-1) !== step.status) {
      problems.push(`step ${step.id}: record says ${step.status}, journal says ${String(seen.at(-1))}`);
    }
  }
  for (const id of statuses.keys()) if (!known.has(id)) problems.push(`journal finishes step ${id}, which the record does not list`);
  return problems;
}
