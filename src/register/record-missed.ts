/**
 * Writing down scheduled runs that did not happen. `run-due` and `schedule` call this on every pass; a gap
 * is recorded once (keyed by its first slot), so two schedulers noticing the same gap write one record.
 * Missed-run records only ever add warnings: removing one cannot make a scenario look compliant, because
 * compliance is judged from verified passes alone.
 */
import type { Register } from './build-register.js';
import type { EvidenceStore, MissedRun } from './store.js';

export interface Recorder {
  host: string;
  pid: number;
  nowMs: number;
}

/** Record the gaps the register found; returns the ones newly written. */
export async function recordMissedRuns(register: Register, store: EvidenceStore, by: Recorder): Promise<MissedRun[]> {
  const written: MissedRun[] = [];
  for (const entry of register.entries) {
    const s = entry.scenario;
    const a = entry.assessment;
    if (!s?.schedule || !a) continue;
    for (const gap of a.unrecordedMissed) {
      const missed: MissedRun = {
        scenarioId: s.id,
        firstSlot: new Date(gap.firstSlotMs).toISOString(),
        lastSlot: new Date(gap.lastSlotMs).toISOString(),
        slots: gap.slots,
        reason: gap.reason,
        schedule: s.schedule,
        timezone: s.timezone,
        recordedAt: new Date(by.nowMs).toISOString(),
        recordedBy: { host: by.host, pid: by.pid },
      };
      if (await store.recordMissed(missed)) written.push(missed);
      entry.missed.push(missed);
    }
  }
  return written;
}
