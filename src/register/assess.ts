/**
 * The register's judgement of one scenario at one instant: last run, last pass, next due date and status.
 * Pure: the scenario's timing, its runs and missed slots, and the time are passed in.
 *
 * - `cadence`: a passing run is needed at least this often; overdue once the last pass is older than it.
 * - `schedule` only: overdue when the slot after the last pass has gone by and the one after it has come
 *   too (a whole scheduling period without a pass).
 * - Neither: a manual scenario, never overdue.
 */
import type { Scenario } from '../scenario/types.js';
import { countsAsPass, startedMs, type RunEntry, type TrustMode } from './run-entry.js';
import { createScheduleTimes } from './schedule-times.js';
import { viewSlots, type MissedGap } from './slots.js';
import type { MissedRun } from './store.js';
import { nextWindowOpening, windowState, type WindowState } from './window-times.js';

export const dueStatuses = ['ok', 'due-soon', 'overdue', 'never-run', 'stale'] as const;
export type DueStatus = (typeof dueStatuses)[number];

export interface AssessInput {
  scenario: Pick<Scenario, 'cadenceMs' | 'schedule' | 'timezone' | 'window'> & { sha256: string };
  /** Oldest first. */
  runs: readonly RunEntry[];
  /** Missed gaps already recorded in the store. */
  missed: readonly MissedRun[];
  mode: TrustMode;
  nowMs: number;
  /** How long before the overdue date a scenario counts as due soon; default: a tenth of the cadence, 1 h to 14 d. */
  soonMs?: number;
  /** A run of the scenario holds the run lock now. */
  running?: boolean;
}

export interface Assessment {
  status: DueStatus;
  lastRun?: RunEntry;
  lastPass?: RunEntry;
  /** When the next run is due: the pending or next slot, or the cadence date (now when it never passed). */
  nextDueMs?: number;
  /** When the scenario is (or becomes) overdue. */
  overdueMs?: number;
  /** A scheduled slot that has come and not been run yet. */
  pendingSlotMs?: number;
  nextSlotMs?: number;
  /** Slots that passed without a run and are not recorded yet (run-due and schedule record them). */
  unrecordedMissed: MissedGap[];
  /** Missed slots (recorded or not) after the last pass. */
  missedSinceLastPass: number;
  /** Why the last pass no longer covers the scenario as written; empty when it does. */
  stale: string[];
  /** Other facts worth a line: failed verification, last run not passing, an unfinished run. */
  notes: string[];
  window: WindowState;
  /** When the window next opens, if it is closed now. */
  windowOpensMs?: number;
  running: boolean;
  soonMs: number;
}

const hourMs = 3_600_000;
const dayMs = 86_400_000;

/** The default "due soon" lead time for a cadence. */
export function defaultSoonMs(cadenceMs: number | undefined): number {
  return cadenceMs === undefined ? dayMs : Math.min(14 * dayMs, Math.max(hourMs, Math.round(cadenceMs / 10)));
}

function latestMissedSlot(missed: readonly MissedRun[]): number | undefined {
  const times = missed.map((m) => Date.parse(m.lastSlot)).filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : undefined;
}

function maxDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}

function minDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.min(...defined) : undefined;
}

function describeRun(run: RunEntry): string {
  const verdict = run.verdict ?? 'no verdict';
  return run.verification === 'verified' ? verdict : `${verdict}, ${run.verification}`;
}

/** Judge one scenario now. */
export function assessScenario(input: AssessInput): Assessment {
  const { scenario, runs, missed, mode, nowMs } = input;
  const soonMs = input.soonMs ?? defaultSoonMs(scenario.cadenceMs);
  const lastRun = runs.at(-1);
  const passes = runs.filter((run) => countsAsPass(run, mode));
  const lastPass = passes.at(-1);
  const firstRun = runs[0];
  const times = scenario.schedule === undefined ? undefined : createScheduleTimes(scenario.schedule, scenario.timezone);

  const sinceMs = maxDefined(lastRun && startedMs(lastRun), latestMissedSlot(missed));
  const slots = times ? viewSlots({ times, window: scenario.window, sinceMs, nowMs }) : { missed: [] as MissedGap[] };

  let overdueMs: number | undefined;
  let cadenceDueMs: number | undefined;
  if (scenario.cadenceMs !== undefined) {
    cadenceDueMs = lastPass ? startedMs(lastPass) + scenario.cadenceMs : nowMs;
    overdueMs = lastPass ? cadenceDueMs : firstRun && startedMs(firstRun);
  } else if (times) {
    const from = lastPass ? startedMs(lastPass) : firstRun && startedMs(firstRun);
    const first = from === undefined ? undefined : times.next(from);
    overdueMs = first === undefined ? undefined : times.next(first);
  }
  const nextDueMs = minDefined(slots.pendingMs ?? slots.nextMs, cadenceDueMs);

  const passMs = lastPass ? startedMs(lastPass) : -Infinity;
  const missedSinceLastPass =
    missed.filter((m) => Date.parse(m.firstSlot) > passMs).reduce((n, m) => n + m.slots, 0) + slots.missed.filter((g) => g.firstSlotMs > passMs).reduce((n, g) => n + g.slots, 0);

  const stale: string[] = [];
  if (lastPass?.scenarioSha256 !== undefined && lastPass.scenarioSha256 !== scenario.sha256) {
    stale.push(`the scenario file changed since the last pass (SHA-256 ${lastPass.scenarioSha256.slice(0, 12)}… then, ${scenario.sha256.slice(0, 12)}… now)`);
  }

  const notes: string[] = [];
  if (lastRun && lastRun !== lastPass && lastRun.verification !== 'unfinished') notes.push(`last run ${lastRun.runId}: ${describeRun(lastRun)}`);
  const invalid = runs.filter((run) => run.verification === 'invalid').length;
  if (invalid) notes.push(`${invalid} bundle${invalid === 1 ? '' : 's'} failed verification (never counted)`);
  const running = input.running ?? false;
  const crashed = runs.filter((run) => run.verification === 'unfinished' && !(running && run === lastRun));
  for (const run of crashed) notes.push(`run ${run.runId} did not finish: drillbook recover ${run.bundle}`);
  if (running) notes.push('a run is in progress');
  if (missedSinceLastPass) notes.push(`${missedSinceLastPass} scheduled run${missedSinceLastPass === 1 ? '' : 's'} missed since the last pass`);
  if (scenario.cadenceMs === undefined && times === undefined) notes.push('no cadence or schedule: run by hand');

  let status: DueStatus;
  if (runs.length === 0) status = 'never-run';
  else if (overdueMs !== undefined && nowMs >= overdueMs) status = 'overdue';
  else if (stale.length) status = 'stale';
  // A scheduled slot waiting to run, or the overdue date near: a run is expected shortly.
  else if ((overdueMs !== undefined && nowMs >= overdueMs - soonMs) || slots.pendingMs !== undefined) status = 'due-soon';
  else status = 'ok';

  const window = windowState(scenario.window, scenario.timezone, nowMs);
  const opens = window.open ? undefined : nextWindowOpening(scenario.window, scenario.timezone, nowMs);
  return {
    status,
    ...(lastRun && { lastRun }),
    ...(lastPass && { lastPass }),
    ...(nextDueMs !== undefined && { nextDueMs }),
    ...(overdueMs !== undefined && { overdueMs }),
    ...(slots.pendingMs !== undefined && { pendingSlotMs: slots.pendingMs }),
    ...(slots.nextMs !== undefined && { nextSlotMs: slots.nextMs }),
    unrecordedMissed: slots.missed,
    missedSinceLastPass,
    stale,
    notes,
    window,
    ...(opens !== undefined && { windowOpensMs: opens }),
    running,
    soonMs,
  };
}

