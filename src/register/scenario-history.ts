/** A scenario's history as the `history` command and the dashboard show it: runs, missed slots, trends. */
import type { HistoryOptions } from './read-history.js';
import { readRuns } from './read-history.js';
import type { RunEntry } from './run-entry.js';
import type { EvidenceStore, MissedRun } from './store.js';
import { computeTrend, type Trend } from './trend.js';

export interface ScenarioHistory {
  id: string;
  /** From the newest record that says (the scenario file may be gone). */
  title?: string;
  owner?: string;
  kind?: string;
  runs: RunEntry[];
  missed: MissedRun[];
  trends: { rto: Trend; rpo: Trend };
}

/** Runs, missed slots and trends of one scenario in the store. */
export async function readScenarioHistory(store: EvidenceStore, id: string, options: HistoryOptions): Promise<ScenarioHistory> {
  const runs = await readRuns(store, id, options);
  const missed = await store.listMissed(id);
  const described = [...runs].reverse().find((run) => run.scenario && run.verification !== 'invalid')?.scenario;
  return {
    id,
    ...(described && { title: described.title, owner: described.owner, kind: described.kind }),
    runs,
    missed,
    trends: { rto: computeTrend(runs, 'rto', options.mode), rpo: computeTrend(runs, 'rpo', options.mode) },
  };
}
