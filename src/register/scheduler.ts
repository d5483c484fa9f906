/**
 * The long-running scheduler: looks at the register whenever something can have changed (a slot comes, a
 * window opens, a run ends, or at the latest every `maxSleepMs`), records missed slots, starts what is due
 * (never two runs of one scenario: this process tracks its runs and the store's run lock guards against
 * others), and tells webhooks about failed runs and scenarios that become overdue.
 *
 * Time comes from an injected clock (tests drive it); the cron arithmetic is croner's (schedule-times.ts).
 * Stopping: `stop()` starts nothing new and lets running drills finish normally (cleanup and evidence
 * included); `interrupt()` interrupts them (cleanup still runs, the record says ABORTED); `abandon()` gives
 * up on their cleanup, leaving them for `drillbook recover`.
 */
import type { Clock, TimerId } from '../engine/clock.js';
import type { RunningDrill } from '../engine/run.js';
import { overdueEvent, runFinishedEvent } from '../notify/from-run.js';
import type { Notifier } from '../notify/notifier.js';
import type { Delivery } from '../notify/send.js';
import type { RunnerCatalog } from '../runner-contract.js';
import type { Scenario } from '../scenario/types.js';
import { buildRegister, type Register } from './build-register.js';
import { planRuns, type RunDecision } from './plan-runs.js';
import type { HistoryOptions } from './read-history.js';
import { recordMissedRuns } from './record-missed.js';
import type { EvidenceStore, MissedRun } from './store.js';

export interface SchedulerOptions {
  /** Folders (or files) of scenarios, read again on every pass so edits take effect. */
  paths: readonly string[];
  store: EvidenceStore;
  catalog: RunnerCatalog;
  history: HistoryOptions;
  clock: Clock;
  /** Start one run (drillbook: `executeRun`, under a remote lock for an S3 store); may throw (lock held, unfinished run). */
  launch(scenario: Scenario): RunningDrill | Promise<RunningDrill>;
  /** Runs of different scenarios at once (default 1). */
  concurrency?: number;
  allowProduction?: boolean;
  /** Longest pause between passes (default 60 s): picks up edited scenarios and released locks. */
  maxSleepMs?: number;
  soonMs?: number;
  notifier?: Notifier;
  /** How often an overdue notice is repeated while a scenario stays overdue (default 24 h). */
  overdueRepeatMs?: number;
  host: string;
  pid: number;
  onEvent?(event: SchedulerEvent): void;
}

export type SchedulerEvent =
  | { type: 'pass'; atMs: number; decisions: { scenarioId: string; action: RunDecision['action']; reason: string }[]; nextPassMs: number }
  | { type: 'missed'; missed: MissedRun }
  | { type: 'started'; scenarioId: string; runId: string; bundleDir: string; reason: string }
  | { type: 'finished'; scenarioId: string; runId: string; verdict: string; sealed: boolean; message?: string }
  | { type: 'start-failed'; scenarioId: string; message: string }
  | { type: 'notified'; what: string; deliveries: Delivery[] }
  | { type: 'pass-failed'; message: string }
  | { type: 'stopping'; running: string[] }
  | { type: 'stopped' };

export interface Scheduler {
  /** Starts the passes; resolves once stopped and every run it started has ended. */
  run(): Promise<void>;
  stop(): void;
  interrupt(signal: string): void;
  abandon(): void;
  /** Resolves when no pass and no run bookkeeping is in progress. */
  idle(): Promise<void>;
  /** Scenario ids with a run in progress. */
  readonly running: ReadonlySet<string>;
}

const dayMs = 86_400_000;

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock, store } = options;
  const concurrency = options.concurrency ?? 1;
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  const overdueRepeatMs = options.overdueRepeatMs ?? dayMs;
  const runs = new Map<string, RunningDrill>();
  const busy = new Set<Promise<unknown>>();
  const overdueNoticed = new Map<string, number>();
  const emit = (event: SchedulerEvent) => options.onEvent?.(event);
  let timer: TimerId | undefined;
  let stopping = false;
  let passing = false;
  let again = false;
  let finish: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const track = <T>(promise: Promise<T>): Promise<T> => {
    busy.add(promise);
    void promise.finally(() => busy.delete(promise)).catch(() => undefined);
    return promise;
  };

  const settleIfDone = () => {
    if (stopping && runs.size === 0) {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      emit({ type: 'stopped' });
      finish?.();
    }
  };

  const wake = (atMs: number) => {
    if (stopping) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      requestPass();
    }, Math.max(1, atMs - clock.wallNow()));
  };

  const notify = async (what: string, event: Parameters<Notifier['notify']>[0]) => {
    if (!options.notifier) return;
    emit({ type: 'notified', what, deliveries: await options.notifier.notify(event) });
  };

  const onRunEnd = async (scenario: Scenario, running: RunningDrill, outcome: PromiseSettledResult<Awaited<RunningDrill['done']>>) => {
    try {
      if (outcome.status === 'rejected') {
        emit({ type: 'finished', scenarioId: scenario.id, runId: running.runId, verdict: 'ERROR', sealed: false, message: (outcome.reason as Error).message });
        return;
      }
      const result = outcome.value;
      const sealed = result.seal.sealed;
      emit({ type: 'finished', scenarioId: scenario.id, runId: running.runId, verdict: result.record.verdict, sealed, ...(!result.seal.sealed && { message: result.seal.message }) });
      await notify(`${scenario.id} ${result.record.verdict}`, runFinishedEvent(result.record, store.bundleLocation({ scenarioId: scenario.id, runId: running.runId }), sealed && result.seal.keyid !== undefined));
    } finally {
      runs.delete(scenario.id);
      settleIfDone();
      requestPass();
    }
  };

  const start = async (decision: RunDecision) => {
    const scenario = decision.entry.scenario;
    if (!scenario) return;
    let running: RunningDrill;
    try {
      running = await options.launch(scenario);
    } catch (error) {
      emit({ type: 'start-failed', scenarioId: scenario.id, message: (error as Error).message });
      return;
    }
    runs.set(scenario.id, running);
    emit({ type: 'started', scenarioId: scenario.id, runId: running.runId, bundleDir: running.bundleDir, reason: decision.reason });
    // Only the bookkeeping after the run is tracked: idle() must not wait for a drill in progress.
    void running.done.then(
      (value) => track(onRunEnd(scenario, running, { status: 'fulfilled', value })),
      (reason: unknown) => track(onRunEnd(scenario, running, { status: 'rejected', reason })),
    );
  };

  const noticeOverdue = async (register: Register, nowMs: number) => {
    if (!options.notifier) return;
    const event = overdueEvent(register);
    const overdueIds = new Set(event?.scenarios.map((s) => s.id) ?? []);
    for (const id of [...overdueNoticed.keys()]) if (!overdueIds.has(id)) overdueNoticed.delete(id);
    if (!event) return;
    const due = event.scenarios.filter((s) => nowMs - (overdueNoticed.get(s.id) ?? -Infinity) >= overdueRepeatMs);
    if (!due.length) return;
    for (const s of due) overdueNoticed.set(s.id, nowMs);
    await notify('overdue', { ...event, scenarios: due });
  };

  const nextPass = (register: Register, decisions: readonly RunDecision[], nowMs: number): number => {
    const candidates = [nowMs + maxSleepMs];
    for (const entry of register.entries) {
      const a = entry.assessment;
      if (!a) continue;
      if (a.nextSlotMs !== undefined) candidates.push(a.nextSlotMs);
      if (a.overdueMs !== undefined) candidates.push(a.overdueMs - a.soonMs, a.overdueMs);
    }
    for (const d of decisions) if (d.retryMs !== undefined) candidates.push(d.retryMs);
    if (options.notifier) for (const noticed of overdueNoticed.values()) candidates.push(noticed + overdueRepeatMs);
    return Math.min(...candidates.filter((t) => t > nowMs));
  };

  const pass = async () => {
    const nowMs = clock.wallNow();
    const register = await buildRegister(options.paths, {
      store,
      catalog: options.catalog,
      history: options.history,
      nowMs,
      ...(options.soonMs !== undefined && { soonMs: options.soonMs }),
    });
    for (const missed of await recordMissedRuns(register, store, { host: options.host, pid: options.pid, nowMs })) emit({ type: 'missed', missed });
    const decisions = planRuns(register, { nowMs, running: new Set(runs.keys()), ...(options.allowProduction !== undefined && { allowProduction: options.allowProduction }) });
    for (const decision of decisions) {
      if (decision.action !== 'run' || stopping) continue;
      if (runs.size >= concurrency) {
        decision.action = 'wait';
        decision.reason = `${concurrency} run${concurrency === 1 ? ' is' : 's are'} in progress (--concurrency)`;
        continue;
      }
      await start(decision);
    }
    await noticeOverdue(register, nowMs);
    const nextPassMs = nextPass(register, decisions, nowMs);
    emit({ type: 'pass', atMs: nowMs, decisions: decisions.map((d) => ({ scenarioId: d.entry.id, action: d.action, reason: d.reason })), nextPassMs });
    wake(nextPassMs);
  };

  function requestPass(): void {
    if (stopping) return;
    if (passing) {
      again = true;
      return;
    }
    passing = true;
    void track(
      (async () => {
        do {
          again = false;
          try {
            await pass();
          } catch (error) {
            // A broken pass (unreadable store, …) must not end the scheduler: say so and try again later.
            emit({ type: 'pass-failed', message: (error as Error).message });
            wake(clock.wallNow() + maxSleepMs);
          }
        } while (again && !stopping);
        passing = false;
      })(),
    );
  }

  return {
    get running(): ReadonlySet<string> {
      return new Set(runs.keys());
    },
    run() {
      requestPass();
      return finished;
    },
    stop() {
      if (stopping) return;
      stopping = true;
      emit({ type: 'stopping', running: [...runs.keys()] });
      settleIfDone();
    },
    interrupt(signal) {
      for (const running of runs.values()) running.interrupt(signal);
    },
    abandon() {
      for (const running of runs.values()) running.abandon();
    },
    async idle() {
      for (;;) {
        // Let callbacks that are already due register their work first.
        for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
        if (busy.size === 0) return;
        await Promise.allSettled([...busy]);
      }
    },
  };
}
