/**
 * One attempt of one step, total: whatever happens (a runner that throws, a template that cannot be
 * resolved, a bug of ours) it ends in a typed {@link AttemptResult} and an `attempt.finished` entry, never a
 * swallowed error. Also the registry of attempts in flight, so a stop reaches them and a drain waits for them.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { AttemptContext, FailureReason, Judgement, Observation, ProcessInfo, RunnerCatalog, RunnerSettings, StepRunner } from '../runner-contract.js';
import type { Redactor } from '../redact.js';
import { formatDuration } from '../scenario/duration.js';
import type { AbortReason } from '../scenario/machine-vocabulary.js';
import type { Scenario, Step } from '../scenario/types.js';
import { runnableSteps } from '../scenario/types.js';
import { openAttachments } from './attachments.js';
import { sleepOn, type Clock } from './clock.js';
import { judgeObservation } from './expect.js';
import type { JournalWriter } from './journal-writer.js';
import type { StepGates } from './approval-gate.js';
import type { OperatorDesk } from './operator-desk.js';
import { extractOutputs } from './outputs.js';
import { resolveStepTemplates } from './resolve-templates.js';
import { stepEnvironment } from './step-environment.js';
import { openStepLog, type StepLogOptions, type StepLogResult } from './step-logs.js';
import type { WriteFailureGuard } from './write-failure.js';

/** What the machine learns from one attempt. */
export interface AttemptResult {
  ok: boolean;
  reason?: FailureReason;
  message?: string;
  /** Error code when the attempt could not be performed; `INTERNAL` for a fault of drillbook's. */
  code?: string;
  /** Run time (ms since the run started) at which the attempt ended. */
  endT: number;
  /** Outputs extracted from a passing attempt (redacted). */
  outputs: Record<string, string>;
}

export interface AttemptInput {
  stepId: string;
  attempt: number;
  /** Outputs of the steps that passed so far, for `${{ steps.ID.outputs.NAME }}`. */
  outputs: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Marks reached so far (run time in ms), for `${{ marks.NAME }}`. */
  marks: Readonly<Record<string, number>>;
}

export interface AttemptServiceOptions {
  scenario: Scenario;
  bundleDir: string;
  runners: RunnerCatalog;
  runnerSettings?: RunnerSettings;
  clock: Clock;
  /** Run time now (ms since the run started, monotonic). */
  t(): number;
  /** ISO time of a run time. */
  iso(t: number): string;
  journal: JournalWriter;
  secrets: Readonly<Record<string, string>>;
  redactor: Redactor;
  log: Logger;
  captureLimitBytes: number;
  /** This host: a process on another host must reach the disk at once (it outlives a power loss here). */
  host: string;
  /** Called when an attempt settles after the machine stopped waiting for it (it was cancelled). */
  onLateResult(stepId: string, result: AttemptResult): void;
  /** Where a log or attachment the storage refuses is reported. */
  guard?: WriteFailureGuard;
  /** drillbook's own environment, that steps' environments are taken from (default: process.env). */
  parentEnv?: Readonly<Record<string, string | undefined>>;
  /** Where manual steps put their questions to people. */
  desk?: OperatorDesk;
  /** Where steps `uses: approval` wait for their approvals. */
  gates?: StepGates;
}

/** Bytes of each output stream of an attempt the runner keeps for judging (the logs keep `logLimitBytes`). */
export const defaultCaptureLimit = 1024 * 1024;

interface InFlight {
  controller: AbortController;
  reason?: AbortReason;
  promise: Promise<AttemptResult>;
}

export interface AttemptService {
  run(input: AttemptInput, machineSignal: AbortSignal): Promise<AttemptResult>;
  /** Stop an attempt in flight; the first reason wins. */
  abort(stepId: string, reason: AbortReason): void;
  /** Resolves once every attempt in flight has stopped (never rejects). */
  drain(): Promise<void>;
  inFlight(): string[];
  /** Release what the runners keep between attempts (pooled connections), once, at the end of the run. */
  closeRunners(): Promise<void>;
}

export function createAttemptService(options: AttemptServiceOptions): AttemptService {
  const { scenario, clock, journal, redactor } = options;
  const steps = new Map(runnableSteps(scenario).map((s) => [s.id, s]));
  const inFlight = new Map<string, InFlight>();
  const runnerCache = new Map<string, Promise<StepRunner>>();

  const loadRunner = (uses: string): Promise<StepRunner> => {
    let runner = runnerCache.get(uses);
    if (!runner) {
      const definition = options.runners[uses];
      runner = definition ? definition.load(options.runnerSettings) : Promise.reject(new Error(`no runner named ${uses}`));
      runnerCache.set(uses, runner);
    }
    return runner;
  };

  const observe = async (step: Step, input: AttemptInput, flight: InFlight, files: AttemptFiles, argvOut: { argv?: string[] }): Promise<Observation> => {
    const resolved = resolveStepTemplates(step, {
      vars: scenario.vars,
      secrets: options.secrets,
      outputs: (id) => input.outputs[id],
      marks: Object.fromEntries(Object.entries(input.marks).map(([mark, t]) => [mark, options.iso(t)])),
    });
    if (resolved.ok && resolved.argv) argvOut.argv = resolved.argv;
    journal.write(
      'attempt.started',
      { stepId: step.id, attempt: input.attempt, t: options.t(), ...(resolved.ok && resolved.argv ? { argvResolved: resolved.argv } : {}) },
      { barrier: true },
    );
    if (!resolved.ok) return { error: { code: 'TEMPLATE', message: resolved.message } };
    let runner: StepRunner;
    try {
      runner = await loadRunner(step.uses);
    } catch (error) {
      return { error: { code: 'RUNNER_LOAD', message: `runner ${step.uses} could not be loaded: ${messageOf(error)}` } };
    }
    const target = step.on ? scenario.targets[step.on] : undefined;
    try {
      return await runner.run({
        stepId: step.id,
        attempt: input.attempt,
        ...(resolved.argv ? { argv: resolved.argv } : {}),
        options: resolved.options,
        ...(target ? { target } : {}),
        baseDir: scenario.source.dir,
        env: stepEnvironment(scenario, step, options.parentEnv ?? process.env),
        signal: flight.controller.signal,
        sink: { stdout: files.stdout.sink, stderr: files.stderr.sink },
        redactStream: () => redactor.stream(),
        captureLimitBytes: options.captureLimitBytes,
        clock: { now: () => clock.now(), wallNow: () => clock.wallNow(), sleep: (ms, signal) => sleepOn(clock, ms, signal) },
        judge: (o) => judgeObservation(step.expect, o),
        onProcessStarting: (intent) => journal.write('process.starting', { stepId: step.id, attempt: input.attempt, ...intent }),
        onProcess: (info: ProcessInfo) =>
          journal.write('process.started', { stepId: step.id, attempt: input.attempt, ...info }, { barrier: info.host !== options.host }),
        log: options.log.child({ stepId: step.id, attempt: input.attempt }),
        secret: (name) => options.secrets[name],
        attach: (name) => files.attachments.attach(name),
        resolveTarget: (name) => scenario.targets[name],
        protectedPaths: [options.bundleDir, scenario.source.file],
        ...(options.desk ? { ask: desk(options.desk, step.id, input.attempt, flight.controller.signal) } : {}),
        ...(options.gates ? { approve: gate(options.gates, step.id, input.attempt, flight.controller.signal) } : {}),
      });
    } catch (error) {
      return { error: { code: 'RUNNER_FAILED', message: messageOf(error) } };
    }
  };

  const logOptions = (): StepLogOptions => ({ redact: redactor.stream(), limitBytes: scenario.defaults.logLimitBytes, ...(options.guard ? { guard: options.guard } : {}) });

  const attempt = async (step: Step, input: AttemptInput, flight: InFlight): Promise<AttemptResult> => {
    const startedT = options.t();
    const base = `logs/${step.id}/${input.attempt}`;
    const files: AttemptFiles = {
      stdout: openStepLog(options.bundleDir, `${base}.stdout.log`, logOptions()),
      stderr: openStepLog(options.bundleDir, `${base}.stderr.log`, logOptions()),
      attachments: openAttachments(options.bundleDir, `attachments/${step.id}/${input.attempt}`, redactor, options.guard),
    };
    let observation: Observation;
    let internal: unknown;
    try {
      observation = await observe(step, input, flight, files, {});
    } catch (error) {
      // A fault of ours (journal, templates): recorded as such, with its cause in the log.
      internal = error;
      observation = { error: { code: 'INTERNAL', message: `internal error: ${messageOf(error)}` } };
    }
    const [stdoutLog, stderrLog, attached] = await Promise.all([
      files.stdout.close().catch((): StepLogResult => ({})),
      files.stderr.close().catch((): StepLogResult => ({})),
      files.attachments.close().catch(() => []),
    ]);
    const endT = options.t();

    let judgement = judgeAbort(flight.reason, observation, step) ?? judgeObservation(step.expect, observation);
    let outputs: Record<string, string> = {};
    if (judgement.ok && Object.keys(step.outputs).length > 0 && !step.background) {
      const extracted = extractOutputs(step.outputs, observation);
      // As captured: later steps get the real value; the journal redacts it like every value it writes.
      if (extracted.ok) outputs = extracted.values;
      else judgement = { ok: false, reason: 'expectation', message: extracted.message };
    }
    const message = judgement.message === undefined ? undefined : redactor.redact(judgement.message);
    const code = observation.error?.code;
    if (internal !== undefined) options.log.error({ err: internal, stepId: step.id, attempt: input.attempt }, 'attempt failed with an internal error');
    journal.write('attempt.finished', {
      stepId: step.id,
      t: endT,
      attempt: input.attempt,
      startedAt: options.iso(startedT),
      durationMs: Math.round(endT - startedT),
      status: judgement.ok ? 'passed' : 'failed',
      ...(judgement.reason ? { reason: judgement.reason } : {}),
      ...(message ? { message } : {}),
      ...(code && !judgement.ok ? { code } : {}),
      ...(observation.exitCode !== undefined ? { exitCode: observation.exitCode } : {}),
      ...(observation.signal !== undefined ? { signal: observation.signal } : {}),
      ...(observation.status !== undefined ? { httpStatus: observation.status } : {}),
      ...streamField('stdout', observation.stdout, stdoutLog),
      ...streamField('stderr', observation.stderr, stderrLog),
      ...(observation.details ? { details: observation.details } : {}),
      ...(attached.length ? { attachments: attached } : {}),
    });
    return {
      ok: judgement.ok,
      ...(judgement.reason ? { reason: judgement.reason } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(code && !judgement.ok ? { code } : {}),
      endT,
      outputs,
    };
  };

  return {
    run(input, machineSignal) {
      const step = steps.get(input.stepId);
      const controller = new AbortController();
      // One attempt may have many requests in flight on this signal (an export's 16 transfers): not a leak.
      setMaxListeners(0, controller.signal);
      const flight: InFlight = { controller, promise: Promise.resolve({ ok: false, endT: 0, outputs: {} }) };
      const promise = (async (): Promise<AttemptResult> => {
        // XState starts an invoked actor before the deferred entry actions of the same transition run:
        // yield once so the journal reads step.started → mark → attempt.started, as it happened.
        await Promise.resolve();
        if (!step) return internalResult(options.t(), `no step ${input.stepId} in the scenario`);
        try {
          return await attempt(step, input, flight);
        } catch (error) {
          options.log.error({ err: error, stepId: input.stepId }, 'attempt could not be recorded');
          return internalResult(options.t(), messageOf(error));
        }
      })().then((result) => {
        inFlight.delete(input.stepId);
        if (machineSignal.aborted) options.onLateResult(input.stepId, result);
        return result;
      });
      flight.promise = promise;
      inFlight.set(input.stepId, flight);
      return promise;
    },
    abort(stepId, reason) {
      const flight = inFlight.get(stepId);
      if (!flight || flight.reason) return;
      flight.reason = reason;
      flight.controller.abort(new Error(reason));
    },
    async drain() {
      await Promise.allSettled([...inFlight.values()].map((f) => f.promise));
    },
    inFlight: () => [...inFlight.keys()],
    async closeRunners() {
      // A failure to close is not a step failure.
      await Promise.allSettled(
        [...runnerCache.values()].map(async (loading) => {
          const runner = await loading;
          await runner.close?.();
        }),
      );
    },
  };
}

interface AttemptFiles {
  stdout: ReturnType<typeof openStepLog>;
  stderr: ReturnType<typeof openStepLog>;
  attachments: ReturnType<typeof openAttachments>;
}

function gate(gates: StepGates, stepId: string, attempt: number, signal: AbortSignal): NonNullable<AttemptContext['approve']> {
  return () => gates(stepId, attempt, signal);
}

function desk(operatorDesk: OperatorDesk, stepId: string, attempt: number, signal: AbortSignal): NonNullable<AttemptContext['ask']> {
  return (question) => operatorDesk.ask(stepId, attempt, question, signal);
}

function judgeAbort(reason: AbortReason | undefined, observation: Observation, step: Step): Judgement | undefined {
  if (reason === 'timeout') return { ok: false, reason: 'timeout', message: `timed out after ${formatDuration(step.timeoutMs)}` };
  if (reason === 'cancelled') return { ok: false, reason: 'cancelled', message: 'cancelled' };
  if (reason === 'until' || reason === 'end-of-steps') {
    // Stopped on purpose: a background step passes unless it had already failed to run.
    return observation.error ? { ok: false, reason: 'error', message: observation.error.message } : { ok: true };
  }
  return undefined;
}

/**
 * A stream's record: the raw stream's size and digest, the stored log and its digest. When a secret was
 * redacted from the stream the raw digest is not kept (with the log as a template it would let anyone test
 * guesses of the secret offline): size and digest are then the redacted stream's, marked `redacted`
 * (the stored log's, unless the log was cut at its limit).
 */
function streamField(name: 'stdout' | 'stderr', captured: Observation['stdout'], log: StepLogResult): Record<string, unknown> {
  if (!captured) return {};
  const redacted = log.redacted === true && log.sha256 !== undefined && log.bytes !== undefined;
  const whole = log.truncated ? { sha256: log.truncated.streamSha256, bytes: log.truncated.streamBytes } : { sha256: log.sha256, bytes: log.bytes };
  return {
    [name]: {
      sha256: redacted ? whole.sha256 : captured.sha256,
      bytes: redacted ? whole.bytes : captured.bytes,
      truncated: captured.truncated,
      ...(log.path ? { log: log.path } : {}),
      ...(log.sha256 ? { logSha256: log.sha256 } : {}),
      ...(log.truncated ? { logTruncated: { keptBytes: log.truncated.keptBytes } } : {}),
      ...(redacted ? { redacted: true } : {}),
      ...(log.error ? { logError: log.error } : {}),
    },
  };
}

function internalResult(endT: number, message: string): AttemptResult {
  return { ok: false, reason: 'error', code: 'INTERNAL', message: `internal error: ${message}`, endT, outputs: {} };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
