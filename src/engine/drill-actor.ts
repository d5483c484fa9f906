/**
 * Drives one drill: the compiled machine as an XState actor on the injected clock, the attempts it invokes,
 * and the record projected from the journal at the end. Runners come from the injected catalog.
 */
import { createActor } from 'xstate';
import type { Logger } from 'pino';
import type { EndReason, RunRecord } from '../evidence/run-record.js';
import { eventsOfType } from '../evidence/journal-events.js';
import type { Redactor } from '../redact.js';
import type { RunnerCatalog, RunnerSettings } from '../runner-contract.js';
import { compileScenario } from '../scenario/compile.js';
import type { Scenario, StepOrGroup } from '../scenario/types.js';
import { allSteps } from '../scenario/types.js';
import { createAttemptService, defaultCaptureLimit, type AttemptResult } from './attempt.js';
import type { Clock } from './clock.js';
import { createDrillMachine, unfinishedSteps, type DrillContext, type DrillServices, type StepState } from './drill-machine.js';
import type { JournalWriter } from './journal-writer.js';
import type { StepGates } from './approval-gate.js';
import type { OperatorDesk } from './operator-desk.js';
import { finishRun } from './finish-run.js';
import type { RunTimeline } from './run-timeline.js';
import type { WriteFailureGuard } from './write-failure.js';

export interface StartDrillOptions {
  bundleDir: string;
  journal: JournalWriter;
  timeline: RunTimeline;
  runners: RunnerCatalog;
  runnerSettings?: RunnerSettings;
  clock: Clock;
  host: string;
  secrets: Readonly<Record<string, string>>;
  redactor: Redactor;
  log: Logger;
  confirm?: () => Promise<boolean>;
  captureLimitBytes?: number;
  /** Deviations known before the first step (a broken lock, a recovery). */
  deviations?: string[];
  /**
   * A run being continued (`recover`, `resume`): only these steps and cleanup steps run, the rest already ran
   * or never will; no precondition, approval or confirmation again, and the deadline counts from the start.
   */
  continuation?: { steps: readonly string[]; cleanup: readonly string[] };
  /** How the run ends whatever the machine says (`crashed`, for a run being closed by recover). */
  endReason?: EndReason;
  /** The signal that ended the run before it was continued (resume of an interrupted run). */
  signal?: string;
  /** Where a log or attachment the storage refuses is reported. */
  guard?: WriteFailureGuard;
  /** Where manual steps put their questions to people. */
  desk?: OperatorDesk;
  /** Where steps `uses: approval` wait for their approvals. */
  gates?: StepGates;
  /** The wait for the scenario's approvals (`approval:`); without it a scenario that needs them is not approved. */
  approvals?: (signal: AbortSignal) => Promise<boolean>;
}

export interface DrillHandle {
  /** First interrupt: stop the steps and run cleanup. */
  interrupt(signal: string): void;
  /** The evidence cannot be written: stop the steps, run cleanup (its results are kept in memory). */
  stopForWriteFailure(): void;
  /** Give up on a cleanup in progress (the journal stays unfinished, so `recover` can finish it). */
  abandon(): void;
  done: Promise<RunRecord>;
}

/** How long an abandoned run waits for its attempts to stop before it writes what it knows. */
export const abandonDrainMs = 15_000;

/** Attempt counts and finished statuses already in the journal (a run being continued). */
function initialContext(scenario: Scenario, options: StartDrillOptions): DrillContext {
  const events = options.journal.events;
  // Numbered by attempt.started: an attempt cut short by a crash has no attempt.finished, but its number is taken.
  const attempts = new Map<string, number>();
  for (const e of eventsOfType(events, 'attempt.started')) attempts.set(e.data.stepId, Math.max(attempts.get(e.data.stepId) ?? 0, e.data.attempt));
  // The last finish of each step counts: its status, and the outputs later steps read.
  const finished = new Map(eventsOfType(events, 'step.finished').map((e) => [e.data.stepId, e.data]));
  const steps: Record<string, StepState> = {};
  for (const step of allSteps(scenario)) {
    const done = finished.get(step.id);
    steps[step.id] = { phase: step.phase, attempts: attempts.get(step.id) ?? 0, outputs: done?.outputs ?? {}, untilReached: false, ...(done ? { status: done.status } : {}) };
  }
  const marks: DrillContext['marks'] = {};
  for (const e of eventsOfType(events, 'mark')) marks[e.data.mark] ??= e.data.t;
  return {
    steps,
    marks,
    // A continued run had started its steps: an interrupt now still runs the cleanup.
    mainStarted: options.continuation !== undefined,
    deviations: [...(options.deviations ?? [])],
    ...(options.endReason ? { endReason: options.endReason } : {}),
  };
}

export function startDrill(scenario: Scenario, options: StartDrillOptions): DrillHandle {
  const { clock, journal, timeline, log } = options;
  const t = (): number => timeline.t();
  let signalName: string | undefined = options.signal;
  let late: (stepId: string, result: AttemptResult) => void = () => undefined;

  const attempts = createAttemptService({
    scenario,
    bundleDir: options.bundleDir,
    runners: options.runners,
    ...(options.runnerSettings ? { runnerSettings: options.runnerSettings } : {}),
    clock,
    t,
    iso: (at) => timeline.iso(at),
    journal,
    secrets: options.secrets,
    redactor: options.redactor,
    log,
    captureLimitBytes: options.captureLimitBytes ?? defaultCaptureLimit,
    host: options.host,
    onLateResult: (stepId, result) => late(stepId, result),
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.desk ? { desk: options.desk } : {}),
    ...(options.gates ? { gates: options.gates } : {}),
  });

  const services: DrillServices = {
    t,
    runAttempt: (input, signal) => attempts.run(input, signal),
    abortAttempt: (stepId, reason) => attempts.abort(stepId, reason),
    drain: () => attempts.drain(),
    confirm: () => (options.confirm ? options.confirm() : Promise.resolve(false)),
    awaitApprovals: (signal) => (options.approvals ? options.approvals(signal) : Promise.resolve(false)),
    stepStarted: (stepId, phase, at) => journal.write('step.started', { stepId, phase, t: at }),
    markReached: (mark, stepId, at) => journal.write('mark', { mark, stepId, t: at }),
    stepFinished: (stepId, status, last, outputs) =>
      journal.write('step.finished', {
        stepId,
        status,
        t: t(),
        ...(status !== 'passed' && last?.reason ? { reason: last.reason } : {}),
        ...(status !== 'passed' && last?.message ? { message: last.message } : {}),
        outputs: status === 'passed' ? outputs : {},
      }),
    cleanupStarted: (endReason) => journal.write('cleanup.started', { t: t(), ...(endReason ? { endReason } : {}), ...(signalName ? { signal: signalName } : {}) }),
    internalFault: (stepId, error) => log.error({ err: error, stepId }, 'internal fault in the engine'),
  };

  const compiled = compileScenario(options.continuation ? continued(scenario, options.continuation, t()) : scenario);
  const machine = createDrillMachine(compiled, services, initialContext(scenario, options));
  const actor = createActor(machine, { clock });
  late = (stepId, result) => actor.send({ type: 'ATTEMPT.LATE', stepId, result });

  let abandoned = false;
  let resolveAbandon: (() => void) | undefined;
  const abandonedSignal = new Promise<void>((resolve) => (resolveAbandon = resolve));
  const finishedOrAbandoned = new Promise<'finished' | 'abandoned'>((resolve, reject) => {
    actor.subscribe({
      complete: () => resolve('finished'),
      error: (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
    });
    void abandonedSignal.then(() => resolve('abandoned'));
  });

  const done = (async (): Promise<RunRecord> => {
    actor.start();
    const how = await finishedOrAbandoned;
    if (how === 'abandoned') {
      actor.stop();
      for (const stepId of attempts.inFlight()) attempts.abort(stepId, 'cancelled');
      await Promise.race([attempts.drain(), new Promise<void>((resolve) => clock.setTimeout(() => resolve(), abandonDrainMs))]);
    }
    await attempts.closeRunners();
    const context = actor.getSnapshot().context;
    for (const { stepId, status } of unfinishedSteps(context, attempts.inFlight())) {
      const step = context.steps[stepId];
      services.stepFinished(stepId, status, step?.last, step?.outputs ?? {});
    }
    const deviations = [...context.deviations];
    if (options.guard?.failure) deviations.push(`evidence write failed: ${options.guard.failure.message}; the steps were stopped and the cleanup ran`);
    if (abandoned) deviations.push('cleanup was abandoned by the operator: run `drillbook recover` on this bundle to finish it');
    const endReason: EndReason = context.endReason ?? (abandoned ? 'signal' : 'crashed');
    // The steps had ended when the signal came: the cleanup ran on, and the record says the signal came.
    if (signalName && endReason !== 'signal') deviations.push(`${signalName} arrived during the cleanup; the cleanup ran to its end`);
    return finishRun(scenario, journal, { endReason, ...(signalName ? { signal: signalName } : {}), deviations, close: !abandoned, t: t() });
  })();

  return {
    interrupt(signal) {
      signalName ??= signal;
      actor.send({ type: 'INTERRUPT', signal });
    },
    stopForWriteFailure() {
      actor.send({ type: 'WRITE.FAILED' });
    },
    abandon() {
      if (abandoned) return;
      abandoned = true;
      resolveAbandon?.();
    },
    done,
  };
}

/** What a continued run still has to run: the listed steps and cleanup steps (and group members), nothing else. */
function continued(scenario: Scenario, keep: { steps: readonly string[]; cleanup: readonly string[] }, nowT: number): Scenario {
  const only = (list: readonly StepOrGroup[], ids: ReadonlySet<string>): StepOrGroup[] =>
    list.flatMap((item): StepOrGroup[] => {
      if (item.type === 'step') return ids.has(item.id) ? [item] : [];
      const parallel = item.parallel.filter((child) => ids.has(child.id));
      return parallel.length ? [{ ...item, parallel }] : [];
    });
  // Only the machine sees this scenario: the record is projected from the whole one.
  const { environment: _environment, approval: _approval, deadlineMs, ...rest } = scenario;
  return {
    ...rest,
    preconditions: [],
    steps: only(scenario.steps, new Set(keep.steps)),
    cleanup: only(scenario.cleanup, new Set(keep.cleanup)),
    ...(deadlineMs !== undefined ? { deadlineMs: Math.max(1, deadlineMs - nowT) } : {}),
  };
}
