/**
 * Which scenarios to start now (`run-due`, `schedule`), and why the others wait. Pure: the register and the
 * time are passed in.
 *
 * - With a `schedule`, a slot that has come and is not covered by a run starts one.
 * - With only a `cadence`, a scenario starts once it is due soon (or overdue, or never ran), at most once per
 *   due period: a run that did not pass is not retried by itself (a failed failover drill is for people to
 *   look at, not to repeat every hour); it stays overdue and `due` says so.
 * - Either way only inside the window, never while a run of it is in progress, never after a crash that
 *   `drillbook recover` has not finished, and a production scenario only when the caller allows it.
 * - A stale scenario (changed since its last pass) is shown, not started by itself.
 */
import type { Register, RegisterEntry } from './build-register.js';
import { startedMs } from './run-entry.js';

export type RunAction = 'run' | 'wait' | 'skip';

export interface RunDecision {
  entry: RegisterEntry;
  action: RunAction;
  reason: string;
  /** When the scenario became due (the slot, or the start of its due period). */
  dueMs?: number;
  /** For `wait`: when to look again (the window opens). */
  retryMs?: number;
}

export interface PlanOptions {
  nowMs: number;
  /** Scenario ids this process is running now. */
  running?: ReadonlySet<string>;
  /** Let `environment: production` scenarios start (run-due/schedule `--yes`). */
  allowProduction?: boolean;
}

function dueSince(entry: RegisterEntry, nowMs: number): { dueMs: number; reason: string } | undefined {
  const s = entry.scenario;
  const a = entry.assessment;
  if (!s || !a) return undefined;
  if (s.schedule !== undefined) return a.pendingSlotMs === undefined ? undefined : { dueMs: a.pendingSlotMs, reason: 'scheduled' };
  if (s.cadenceMs === undefined) return undefined;
  if (a.status === 'never-run') return { dueMs: -Infinity, reason: 'never run' };
  if (a.overdueMs === undefined) return undefined;
  const from = a.overdueMs - a.soonMs;
  if (nowMs < from) return undefined;
  // One attempt per due period: a run since the period began is the attempt.
  if (a.lastRun && startedMs(a.lastRun) >= from) return undefined;
  return { dueMs: from, reason: a.status === 'overdue' ? 'overdue' : 'due soon' };
}

/** The decision for every valid scenario that is due (scenarios that are not due are left out). */
export function planRuns(register: Register, options: PlanOptions): RunDecision[] {
  const decisions: RunDecision[] = [];
  for (const entry of register.entries) {
    const s = entry.scenario;
    const a = entry.assessment;
    if (!s || !a) continue;
    const due = dueSince(entry, options.nowMs);
    if (!due) continue;
    const base = { entry, ...(Number.isFinite(due.dueMs) && { dueMs: due.dueMs }) };
    const unfinished = a.lastRun?.verification === 'unfinished' && !a.running;
    if (a.running || options.running?.has(s.id)) decisions.push({ ...base, action: 'wait', reason: 'a run of it is in progress' });
    else if (unfinished) decisions.push({ ...base, action: 'skip', reason: `run ${a.lastRun?.runId ?? '?'} did not finish: drillbook recover ${a.lastRun?.bundle ?? ''}` });
    else if (!a.window.open) {
      const why = a.window.reason === 'blackout' ? `blackout ${a.window.date}${a.window.note ? ` (${a.window.note})` : ''}` : 'outside its hours';
      decisions.push({ ...base, action: 'wait', reason: `window closed: ${why}`, ...(a.windowOpensMs !== undefined && { retryMs: a.windowOpensMs }) });
    } else if (s.environment === 'production' && !options.allowProduction) {
      decisions.push({ ...base, action: 'skip', reason: 'environment production: pass --yes to let it start unattended' });
    } else decisions.push({ ...base, action: 'run', reason: due.reason });
  }
  return decisions;
}
