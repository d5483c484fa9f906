/** Notification events from what the register and the engine produce. Pure. */
import type { RunRecord } from '../evidence/run-record.js';
import type { Register } from '../register/build-register.js';
import type { OverdueEvent, RunFinishedEvent } from './events.js';

/** A `run.finished` event from a sealed record; `bundle` is the bundle as people should see it. */
export function runFinishedEvent(record: RunRecord, bundle: string, signed: boolean): RunFinishedEvent {
  const s = record.scenario;
  return {
    type: 'run.finished',
    scenario: { id: s.id, title: s.title, owner: s.owner, kind: s.kind, ...(s.environment !== undefined && { environment: s.environment }) },
    run: {
      runId: record.runId,
      verdict: record.verdict,
      endReason: record.endReason,
      verdictReasons: record.verdictReasons,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      durationMs: record.durationMs,
      operator: record.operator,
      host: record.host,
      rto: record.objectives.rto,
      rpo: record.objectives.rpo,
      bundle,
      signed,
      ...(record.cleanupIncomplete && {
        cleanupIncomplete: record.cleanupIncomplete.map((c) => ({ stepId: c.stepId, status: c.status, ...(c.command && { command: c.command }) })),
      }),
    },
  };
}

/** The overdue scenarios of a register as one event; undefined when none is overdue. */
export function overdueEvent(register: Register): OverdueEvent | undefined {
  const scenarios = register.entries.flatMap((entry) => {
    const s = entry.scenario;
    const a = entry.assessment;
    if (!s || a?.status !== 'overdue') return [];
    return [
      {
        id: s.id,
        title: s.title,
        owner: s.owner,
        kind: s.kind,
        ...(s.environment !== undefined && { environment: s.environment }),
        overdueAt: a.overdueMs === undefined ? null : new Date(a.overdueMs).toISOString(),
        lastPass: a.lastPass?.startedAt ?? null,
        lastRun: a.lastRun ? { runId: a.lastRun.runId, verdict: a.lastRun.verdict ?? null, startedAt: a.lastRun.startedAt } : null,
        notes: [...a.stale, ...a.notes],
      },
    ];
  });
  return scenarios.length ? { type: 'overdue', store: register.store, scenarios } : undefined;
}
