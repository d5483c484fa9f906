/** The register as plain JSON for `due --json`, dashboards and notifications: ISO times, no internals. Pure. */
import { formatDuration } from '../scenario/duration.js';
import type { Assessment } from './assess.js';
import type { Register, RegisterEntry } from './build-register.js';
import type { RunEntry } from './run-entry.js';

/** A status word for display: `due-soon` → `due soon`; invalid files have their own. */
export type DisplayStatus = Assessment['status'] | 'invalid';

export function entryStatus(entry: RegisterEntry): DisplayStatus {
  return entry.assessment?.status ?? 'invalid';
}

const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function runJson(run: RunEntry | undefined): Record<string, unknown> | null {
  if (!run) return null;
  return {
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    verdict: run.verdict ?? null,
    verification: run.verification,
    problem: run.problem ?? null,
    bundle: run.bundle,
    rto: run.objectives?.rto ?? null,
    rpo: run.objectives?.rpo ?? null,
  };
}

export function entryJson(entry: RegisterEntry): Record<string, unknown> {
  const s = entry.scenario;
  const a = entry.assessment;
  if (!s || !a) return { id: entry.id, file: entry.file, status: 'invalid', issues: entry.issues ?? [] };
  return {
    id: s.id,
    file: entry.file,
    title: s.title,
    owner: s.owner,
    kind: s.kind,
    status: a.status,
    cadence: s.cadenceMs === undefined ? null : formatDuration(s.cadenceMs),
    schedule: s.schedule ?? null,
    timezone: s.timezone,
    lastRun: runJson(a.lastRun),
    lastPass: runJson(a.lastPass),
    nextDue: isoOrNull(a.nextDueMs),
    overdueAt: isoOrNull(a.overdueMs),
    pendingSlot: isoOrNull(a.pendingSlotMs),
    nextSlot: isoOrNull(a.nextSlotMs),
    window: { open: a.window.open, ...(a.window.open ? {} : { reason: a.window.reason }), opensAt: isoOrNull(a.windowOpensMs) },
    running: a.running,
    runs: entry.runs.length,
    missedSinceLastPass: a.missedSinceLastPass,
    stale: a.stale,
    notes: a.notes,
  };
}

/** The whole register. */
export function registerJson(register: Register): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const entry of register.entries) {
    const status = entryStatus(entry);
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return {
    store: register.store,
    now: new Date(register.nowMs).toISOString(),
    trust: register.mode,
    counts,
    scenarios: register.entries.map(entryJson),
    orphans: register.orphans,
  };
}
