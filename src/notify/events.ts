/** What drillbook tells people about: a run that ended badly, and scenarios that are overdue. Plain data. */
import type { ObjectiveRecord, Verdict } from '../evidence/run-record.js';

export const notifyTriggers = ['FAIL', 'ABORTED', 'PARTIAL', 'INCONCLUSIVE', 'PASS', 'overdue'] as const;
export type NotifyTrigger = (typeof notifyTriggers)[number];

/** Sent unless a webhook lists its own `on`. */
export const defaultTriggers: readonly NotifyTrigger[] = ['FAIL', 'ABORTED', 'overdue'];

export interface ScenarioFacts {
  id: string;
  title: string;
  owner: string;
  kind: string;
  environment?: string;
}

export interface RunFinishedEvent {
  type: 'run.finished';
  scenario: ScenarioFacts;
  run: {
    runId: string;
    verdict: Verdict;
    endReason: string;
    verdictReasons: string[];
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    operator: string;
    host: string;
    rto: ObjectiveRecord;
    rpo: ObjectiveRecord;
    /** Where the bundle is, as the store names it. */
    bundle: string;
    signed: boolean;
    /** Cleanup steps that did not complete: the environment may be inconsistent. */
    cleanupIncomplete?: { stepId: string; status: string; command?: string[] }[];
  };
}

export interface OverdueScenario extends ScenarioFacts {
  /** When it became overdue (ISO), when known. */
  overdueAt: string | null;
  lastPass: string | null;
  lastRun: { runId: string; verdict: string | null; startedAt: string } | null;
  notes: string[];
}

export interface OverdueEvent {
  type: 'overdue';
  store: string;
  scenarios: OverdueScenario[];
}

export type NotifyEvent = RunFinishedEvent | OverdueEvent;

/** The trigger an event answers to. */
export function triggerOf(event: NotifyEvent): NotifyTrigger {
  return event.type === 'overdue' ? 'overdue' : event.run.verdict;
}
