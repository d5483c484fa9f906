/** What the dashboard shows, gathered once: every scenario with its assessment, runs, missed slots and trends. */
import type { ScenarioIssue } from '../scenario/validate.js';
import type { Scenario } from '../scenario/types.js';
import type { Assessment } from '../register/assess.js';
import type { DisplayStatus } from '../register/register-json.js';
import type { RunEntry, TrustMode } from '../register/run-entry.js';
import type { MissedRun } from '../register/store.js';
import type { Trend } from '../register/trend.js';

export interface DashboardScenario {
  id: string;
  title: string;
  owner: string;
  kind: string;
  /** `no-file`: runs in the store, but no scenario file among those read. */
  status: DisplayStatus | 'no-file';
  file?: string;
  scenario?: Scenario;
  assessment?: Assessment;
  issues?: ScenarioIssue[];
  runs: RunEntry[];
  missed: MissedRun[];
  trends: { rto: Trend; rpo: Trend };
}

export interface DashboardModel {
  generatedAtMs: number;
  store: string;
  mode: TrustMode;
  /** How the runs were checked, in words. */
  trust: string;
  scenarios: DashboardScenario[];
  /** Site-relative path of each run's copied report, by `<scenario>/<run-id>`; runs without one are absent. */
  reports: ReadonlyMap<string, string>;
}

export function runKey(run: Pick<RunEntry, 'scenarioId' | 'runId'>): string {
  return `${run.scenarioId}/${run.runId}`;
}
