/**
 * Runs a validated scenario: an XState actor over the compiled machine, a journal written as it goes,
 * and a run record projected from that journal at the end. Runners come from the injected catalog.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { createActor } from 'xstate';
import type { Logger } from 'pino';
import type { Journal } from '../evidence/journal.js';
import type { EndReason, RunRecord, StepStatus } from '../evidence/run-record.js';
import type { Redactor } from '../redact.js';
import type { Judgement, Observation, ProcessInfo, RunnerCatalog, RunnerSettings, StepRunner } from '../runner-contract.js';
import { compileScenario } from '../scenario/compile.js';
import { formatDuration } from '../scenario/duration.js';
import type { Mark, Scenario, Step, StepOrGroup } from '../scenario/types.js';
import { allSteps } from '../scenario/types.js';
import { sleepOn, createTimeline, type Clock, type Timeline } from './clock.js';
import { judgeObservation } from './expect.js';
import { createDrillMachine, type AbortReason, type EngineHooks } from './machine.js';
import { extractOutputs } from './outputs.js';
import { journalEvents, projectRecord, type JournalEvent, type RunStartedData } from './project-record.js';
import { openStepLog } from './step-logs.js';
import { openAttachments } from './attachments.js';
import { resolveStepTemplates } from './resolve-templates.js';

export interface StartDrillOptions {
  runId: string;
  bundleDir: string;
  journal: Journal;
  /** Bundle-relative name under which the scenario file was copied. */
  scenarioFile: string;
  runners: RunnerCatalog;
  /** Run-wide runner settings (`--ssh-config`). */
  runnerSettings?: RunnerSettings;
  clock: Clock;
  operator: string;
  toolVersion: string;
  secrets: Readonly<Record<string, string>>;
  redactor: Redactor;
  log: Logger;
  confirm?: () => Promise<boolean>;
  /** Every journal event, as written (redacted), for progress output. */
  onEvent?: (event: JournalEvent) => void;
  captureLimitBytes?: number;
  /** Deviations known before the first step (e.g. a broken lock). */
  deviations?: string[];
  /** Continue the journal of a crashed run (`recover`): its events so far and its wall-clock start. */
  resume?: { events: JournalEvent[]; startWallMs: number; cleanupStepIds: readonly string[] };
}

export interface DrillHandle {
  /** First interrupt: stop the steps and run cleanup. */
  interrupt(signal: string): void;
  /** Give up on a cleanup in progress (the journal stays unfinished, so `recover` can finish it). */
  abandon(): void;
  done: Promise<RunRecord>;
}

interface StepState {
  step: Step;
  attempts: number;
  lastOk: boolean;
  lastJudgement?: Judgement;
  lastAttemptEndT?: number;
  outputs: Record<string, string>;
  status?: StepStatus;
  startedT?: number;
}

interface InFlight {
  controller: AbortController;
  reason?: AbortReason;
  promise: Promise<unknown>;
  startedT: number;
  attempt: number;
}

const defaultCaptureLimit = 1024 * 1024;
const abandonDrainMs = 15_000;

export function startDrill(scenario: Scenario, options: StartDrillOptions): DrillHandle {
  const { clock, journal, redactor, log } = options;
  const timeline = options.resume ? resumedTimeline(clock, options.resume.startWallMs) : createTimeline(clock);
  const t = (): number => clock.now() - timeline.startMono;
  const priorAttempts = (stepId: string): number =>
    (options.resume?.events ?? []).filter((e) => e.type === journalEvents.attemptFinished && e.data['stepId'] === stepId).length;
  const states = new Map<string, StepState>(
    allSteps(scenario).map((step) => [step.id, { step, attempts: priorAttempts(step.id), lastOk: false, outputs: {} }]),
  );
  const inFlight = new Map<string, InFlight>();
  const runnerCache = new Map<string, Promise<StepRunner>>();
  // A resumed run is a crashed run being closed: that is how it ends, whatever the cleanup does.
  let endReason: EndReason | undefined = options.resume ? 'crashed' : undefined;
  let mainStarted = false;
  let signalName: string | undefined;
  const deviations: string[] = [...(options.deviations ?? [])];
  const events: JournalEvent[] = [...(options.resume?.events ?? [])];
  // Instants the marks were reached, for `${{ marks.NAME }}`; a resumed run knows them from its journal.
  const markTimes: Record<string, string> = {};
  for (const event of events) {
    if (event.type === journalEvents.mark && typeof event.data['mark'] === 'string' && typeof event.data['t'] === 'number') {
      markTimes[event.data['mark']] = timeline.iso(timeline.startMono + event.data['t']);
    }
  }

  /** `barrier`: this line and all before it reach the disk before the caller goes on to a side effect. */
  const write = (type: string, data: Record<string, unknown>, barrier = false): void => {
    const at = timeline.iso(clock.now());
    const entry = journal.append(type, data, at);
    if (barrier) journal.sync();
    const event: JournalEvent = { at: entry.at, type: entry.type, data: entry.data };
    events.push(event);
    options.onEvent?.(event);
  };

  const state = (stepId: string): StepState => {
    const found = states.get(stepId);
    if (!found) throw new Error(`unknown step ${stepId}`);
    return found;
  };

  const loadRunner = (uses: string): Promise<StepRunner> => {
    let runner = runnerCache.get(uses);
    if (!runner) {
      const definition = options.runners[uses];
      runner = definition ? definition.load(options.runnerSettings) : Promise.reject(new Error(`no runner named ${uses}`));
      runnerCache.set(uses, runner);
    }
    return runner;
  };

  const judgeAbort = (reason: AbortReason | undefined, observation: Observation, step: Step): Judgement | undefined => {
    if (reason === 'timeout') return { ok: false, reason: 'timeout', message: `timed out after ${formatDuration(step.timeoutMs)}` };
    if (reason === 'cancelled') return { ok: false, reason: 'cancelled', message: 'cancelled' };
    if (reason === 'until' || reason === 'end-of-steps') {
      // Stopped on purpose: a background step passes unless it had already failed to run.
      return observation.error ? { ok: false, reason: 'error', message: observation.error.message } : { ok: true };
    }
    return undefined;
  };

  async function attempt(stepId: string, flight: InFlight): Promise<{ ok: boolean }> {
    const s = state(stepId);
    const { step } = s;
    const startedT = flight.startedT;
    const startedAt = timeline.iso(timeline.startMono + startedT);
    const resolved = resolveStepTemplates(step, {
      vars: scenario.vars,
      secrets: options.secrets,
      outputs: (id) => states.get(id)?.outputs,
      marks: markTimes,
    });
    write(journalEvents.attemptStarted, {
      stepId,
      attempt: flight.attempt,
      t: startedT,
      ...(resolved.ok && resolved.argv ? { argvResolved: resolved.argv.map((a) => redactor.redact(a)) } : {}),
    }, true);

    let observation: Observation;
    const logBase = `logs/${stepId}/${flight.attempt}`;
    const stdoutLog = openStepLog(options.bundleDir, `${logBase}.stdout.log`, redactor.stream());
    const stderrLog = openStepLog(options.bundleDir, `${logBase}.stderr.log`, redactor.stream());
    const attachments = openAttachments(options.bundleDir, `attachments/${stepId}/${flight.attempt}`, redactor);
    if (!resolved.ok) {
      observation = { error: { code: 'TEMPLATE', message: resolved.message } };
    } else {
      try {
        const runner = await loadRunner(step.uses);
        const target = step.on ? scenario.targets[step.on] : undefined;
        observation = await runner.run({
          stepId,
          attempt: flight.attempt,
          ...(resolved.argv ? { argv: resolved.argv } : {}),
          options: resolved.options,
          ...(target ? { target } : {}),
          baseDir: scenario.source.dir,
          signal: flight.controller.signal,
          sink: { stdout: stdoutLog.sink, stderr: stderrLog.sink },
          captureLimitBytes: options.captureLimitBytes ?? defaultCaptureLimit,
          clock: { now: () => clock.now(), sleep: (ms, signal) => sleepOn(clock, ms, signal) },
          judge: (o) => judgeObservation(step.expect, o),
          // A process on another host outlives a power loss of this one: its pid must reach the disk now.
          // A local one dies with this host, and the line already survives a kill -9 of drillbook.
          onProcess: (info: ProcessInfo) =>
            write(journalEvents.processStarted, { stepId, attempt: flight.attempt, ...info }, info.host !== startedData.host),
          log: log.child({ stepId, attempt: flight.attempt }),
          secret: (name) => options.secrets[name],
          attach: (name) => attachments.attach(name),
          resolveTarget: (name) => scenario.targets[name],
        });
      } catch (error) {
        observation = { error: { code: 'RUNNER_FAILED', message: error instanceof Error ? error.message : String(error) } };
      }
    }
    const [stdoutPath, stderrPath, attached] = await Promise.all([stdoutLog.close(), stderrLog.close(), attachments.close()]);
    const endT = t();

    let judgement = judgeAbort(flight.reason, observation, step) ?? judgeObservation(step.expect, observation);
    let outputs: Record<string, string> = {};
    if (judgement.ok && Object.keys(step.outputs).length > 0 && !step.background) {
      const extracted = extractOutputs(step.outputs, observation);
      if (extracted.ok) outputs = Object.fromEntries(Object.entries(extracted.values).map(([k, v]) => [k, redactor.redact(v)]));
      else judgement = { ok: false, reason: 'expectation', message: extracted.message };
    }
    const stream = (captured: Observation['stdout'], path: string | undefined): Record<string, unknown> | undefined =>
      captured ? { sha256: captured.sha256, bytes: captured.bytes, truncated: captured.truncated, ...(path ? { log: path } : {}) } : undefined;
    const message = judgement.message === undefined ? undefined : redactor.redact(judgement.message);
    write(journalEvents.attemptFinished, {
      stepId,
      t: endT,
      attempt: flight.attempt,
      startedAt,
      durationMs: Math.round(endT - startedT),
      status: judgement.ok ? 'passed' : 'failed',
      ...(judgement.reason ? { reason: judgement.reason } : {}),
      ...(message ? { message } : {}),
      ...(observation.exitCode !== undefined ? { exitCode: observation.exitCode } : {}),
      ...(observation.signal !== undefined ? { signal: observation.signal } : {}),
      ...(observation.status !== undefined ? { httpStatus: observation.status } : {}),
      ...(stream(observation.stdout, stdoutPath) ? { stdout: stream(observation.stdout, stdoutPath) } : {}),
      ...(stream(observation.stderr, stderrPath) ? { stderr: stream(observation.stderr, stderrPath) } : {}),
      ...(observation.details ? { details: redactor.redactJson(observation.details) } : {}),
      ...(attached.length ? { attachments: attached } : {}),
    });
    s.lastOk = judgement.ok;
    s.lastJudgement = message === undefined ? judgement : { ...judgement, message };
    s.lastAttemptEndT = endT;
    if (judgement.ok) s.outputs = outputs;
    return { ok: judgement.ok };
  }

  const hooks: EngineHooks = {
    stepStarted(stepId) {
      const s = state(stepId);
      s.startedT = t();
      write(journalEvents.stepStarted, { stepId, phase: s.step.phase, t: s.startedT });
    },
    markReached(mark: Mark, stepId) {
      const s = state(stepId);
      const markT = mark === 't0' ? s.startedT : s.lastAttemptEndT;
      markTimes[mark] = timeline.iso(timeline.startMono + (markT ?? t()));
      write(journalEvents.mark, { mark, stepId, t: markT ?? t() });
    },
    runAttempt(stepId) {
      const s = state(stepId);
      s.attempts += 1;
      const controller = new AbortController();
      // One attempt may have many requests in flight on this signal (an export's 16 transfers): not a leak.
      setMaxListeners(0, controller.signal);
      const flight: InFlight = { controller, promise: Promise.resolve(), startedT: t(), attempt: s.attempts };
      const promise = attempt(stepId, flight).finally(() => inFlight.delete(stepId));
      flight.promise = promise;
      inFlight.set(stepId, flight);
      return promise;
    },
    abortAttempt(stepId, reason) {
      const flight = inFlight.get(stepId);
      if (!flight || flight.reason) return;
      flight.reason = reason;
      flight.controller.abort(new Error(reason));
    },
    attemptAbandoned(stepId) {
      const s = state(stepId);
      s.lastOk = false;
      s.lastJudgement = { ok: false, reason: 'timeout', message: 'the step did not stop after its timeout' };
      deviations.push(`step ${stepId}: its runner did not stop after the timeout; the work may still be running`);
    },
    lastAttemptPassed: (stepId) => state(stepId).lastOk,
    attemptsMade: (stepId) => state(stepId).attempts,
    stepFinished(stepId, status) {
      const s = state(stepId);
      s.status = status;
      const judgement = s.lastJudgement;
      write(journalEvents.stepFinished, {
        stepId,
        status,
        t: t(),
        ...(status !== 'passed' && judgement?.reason ? { reason: judgement.reason } : {}),
        ...(status !== 'passed' && judgement?.message ? { message: judgement.message } : {}),
        outputs: s.outputs,
      });
    },
    stepStatus: (stepId) => states.get(stepId)?.status,
    stepContinuesOnError: (stepId) => states.get(stepId)?.step.continueOnError ?? false,
    endRun(reason) {
      endReason ??= reason;
    },
    mainStarted() {
      mainStarted = true;
    },
    hasMainStarted: () => mainStarted,
    cleanupStarted() {
      write(journalEvents.cleanupStarted, { t: t(), ...(endReason ? { endReason } : {}) });
    },
    async drainInFlight() {
      await Promise.allSettled([...inFlight.values()].map((f) => f.promise));
    },
    confirmProduction: () => (options.confirm ? options.confirm() : Promise.resolve(false)),
  };

  const startedData: RunStartedData = {
    runId: options.runId,
    scenarioId: scenario.id,
    scenarioFile: options.scenarioFile,
    scenarioSha256: scenario.source.sha256,
    operator: options.operator,
    host: hostname(),
    pid: process.pid,
    tool: { name: 'drillbook', version: options.toolVersion, node: process.version, platform: `${process.platform}-${process.arch}` },
    vars: Object.fromEntries(Object.entries(scenario.vars).map(([k, v]) => [k, redactor.redact(v)])),
  };
  if (options.resume) write(journalEvents.recoverStarted, { operator: options.operator, host: startedData.host, pid: process.pid, t: t() });
  else write(journalEvents.runStarted, { ...startedData, t: 0 });

  const machine = createDrillMachine(compileScenario(options.resume ? cleanupOnly(scenario, options.resume.cleanupStepIds) : scenario), hooks);
  const actor = createActor(machine, { clock });
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
      for (const [stepId] of inFlight) hooks.abortAttempt(stepId, 'cancelled');
      await Promise.race([hooks.drainInFlight(), new Promise((r) => setTimeout(r, abandonDrainMs))]);
      deviations.push('cleanup was abandoned by the operator: run `drillbook recover` on this bundle to finish it');
    }
    // Pooled connections close once, at the end of the run; a failure to close is not a step failure.
    await Promise.allSettled(
      [...runnerCache.values()].map(async (loading) => {
        const runner = await loading;
        await runner.close?.();
      }),
    );
    const finalReason: EndReason = endReason ?? 'crashed';
    for (const [id, s] of states) {
      if (s.startedT !== undefined && s.status === undefined) {
        const status: StepStatus = s.lastOk && !inFlight.has(id) ? 'passed' : 'cancelled';
        hooks.stepFinished(id, status);
      }
    }
    const journalInfo = { file: 'journal.jsonl', entries: journal.count, headSha256: journal.head };
    const provisional = projectRecord(scenario, events, {
      journal: journalInfo,
      endReason: finalReason,
      ...(signalName ? { signal: signalName } : {}),
      deviations,
    });
    if (!abandoned) {
      write(journalEvents.runFinished, {
        verdict: provisional.verdict,
        verdictReasons: provisional.verdictReasons,
        endReason: finalReason,
        ...(signalName ? { signal: signalName } : {}),
        t: t(),
        deviations,
      });
    }
    return projectRecord(scenario, events, {
      journal: { file: 'journal.jsonl', entries: journal.count, headSha256: journal.head },
      endReason: finalReason,
      ...(signalName ? { signal: signalName } : {}),
      deviations,
    });
  })();

  return {
    interrupt(signal) {
      signalName ??= signal;
      actor.send({ type: 'INTERRUPT' });
    },
    abandon() {
      if (abandoned) return;
      abandoned = true;
      endReason ??= 'signal';
      resolveAbandon?.();
    },
    done,
  };
}

function resumedTimeline(clock: Clock, startWall: number): Timeline {
  const startMono = clock.now() - (clock.wallNow() - startWall);
  return { startMono, startWall, iso: (mono) => new Date(startWall + (mono - startMono)).toISOString() };
}

/** What `recover` still has to run: the cleanup steps (and group members) not yet passed. */
function cleanupOnly(scenario: Scenario, ids: readonly string[]): Scenario {
  const keep = new Set(ids);
  const cleanup = scenario.cleanup.flatMap((item): StepOrGroup[] => {
    if (item.type === 'step') return keep.has(item.id) ? [item] : [];
    const parallel = item.parallel.filter((child) => keep.has(child.id));
    return parallel.length ? [{ ...item, parallel }] : [];
  });
  return { ...scenario, preconditions: [], steps: [], cleanup };
}
