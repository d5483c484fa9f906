/**
 * The one run pipeline, for `run`, `run-due`, `schedule` and `recover`: lock → bundle → journal →
 * readiness → drill → cleanup → seal (chained to the previous record). A run's inputs are one value,
 * journalled once at start and rebuilt from the journal when a crashed run is recovered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { DrillbookError } from '../errors.js';
import { bundleLayout } from '../evidence/bundle-files.js';
import { eventsOfType, parseJournalEvents, type JournalEvent } from '../evidence/journal-events.js';
import { createJournal, readJournal, reopenJournal } from '../evidence/journal.js';
import type { EndReason, RunRecord } from '../evidence/run-record.js';
import { sealBundle, type SealResult } from '../evidence/seal.js';
import { createLogger } from '../log.js';
import { createRedactor, type Redactor } from '../redact.js';
import type { RunnerCatalog } from '../runner-contract.js';
import { formatDuration } from '../scenario/duration.js';
import { leafSteps, type Scenario, type Step } from '../scenario/types.js';
import { createBundleFolder, createStoreFolder, writeNewBundleFile } from './bundle-folder.js';
import { systemClock, type Clock } from './clock.js';
import { startDrill, type DrillHandle } from './drill-actor.js';
import { sealing } from './fault-injection.js';
import { finishRun } from './finish-run.js';
import { createJournalWriter, type JournalWriter } from './journal-writer.js';
import { createOperatorDesk, type OperatorPrompt } from './operator-desk.js';
import { awaitApprovals } from './approval-gate.js';
import { loadStepGates } from './approver-keys.js';
import { checkReadiness } from './readiness.js';
import { closeInterruptedSteps, closeResumedSteps, stopLeftovers } from './recover-leftovers.js';
import { runResumeChecks, type ResumeChecks } from './resume-checks.js';
import { planResume, type ResumeCleanup, type ResumeSteps } from './resume-plan.js';
import { recordInputs, type RunInputs } from './run-inputs.js';
import {
  acquireRunLocks,
  firstLineSha256,
  lockFiles,
  machineLockDir,
  noteJournalHead,
  readRunTicket,
  type RunTicket,
  ownLockInfo,
  removeRunTicket,
  takeOverRunLocks,
  writeRunTicket,
  type HeldLocks,
} from './run-lock.js';
import { projectRecord } from './project-record.js';
import { dropUntakenFiles } from './untaken-files.js';
import { createWriteFailureGuard, describeWriteFailure, isStorageError, type WriteFailure, type WriteFailureGuard } from './write-failure.js';
import { continueTimeline, createClockWatch, startTimeline, type RunTimeline } from './run-timeline.js';

export type RunMode = 'fresh' | 'recover' | 'resume';

export interface ExecuteOptions {
  mode: RunMode;
  /** Evidence store root: bundles go to `<store>/<scenario-id>/<run-id>/`. For recover: the bundle's store. */
  storeDir: string;
  /** fresh: this run's bundle folder instead of the default place in the store. recover, resume: the bundle. */
  bundleDir?: string;
  runners: RunnerCatalog;
  operator: string;
  toolVersion: string;
  clock?: Clock;
  /** PEM file of an Ed25519 private key; without it the bundle is sealed unsigned. */
  signingKeyFile?: string;
  confirm?: () => Promise<boolean>;
  onEvent?: (event: JournalEvent) => void;
  /** fresh: remove a stale lock left by a crashed run without recovering it (recorded as a deviation). */
  breakLock?: boolean;
  /** Where the machine-wide locks live (default: see run-lock.ts) is read from this environment. */
  env?: NodeJS.ProcessEnv;
  /** Deviations known before the run starts (a recovery the operator vouched for). */
  deviations?: string[];
  /** Shows a manual step's question on the run's terminal; without it people answer with `drillbook answer`. */
  prompt?: OperatorPrompt;
  /** fresh: the runbook the team had at hand, journalled with the run (see `runbookScenarioSha256`). */
  runbook?: { file: string; sha256: string; scenarioSha256?: string };
}

export interface RunResult {
  record: RunRecord;
  bundleDir: string;
  seal: RunSeal;
}

export interface RunningDrill {
  runId: string;
  bundleDir: string;
  /** Every form of the run's secrets out of a text bound for a terminal or a message. */
  redact: (text: string) => string;
  /** First interrupt: stop the steps and run cleanup. */
  interrupt(signal: string): void;
  /** Give up on a cleanup in progress: the run stays unfinished until `drillbook recover` completes it. */
  abandon(): void;
  done: Promise<RunResult>;
}

/** Sortable UTC time plus a random suffix: `20261128T132530Z-3f9a1c`. */
export function createRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Digest of the newest sealed record of the same scenario in this store, to chain records. */
export function previousRecordDigest(storeDir: string, scenarioId: string, excludeRunId: string): string | undefined {
  const folder = join(storeDir, scenarioId);
  if (!existsSync(folder)) return undefined;
  const candidates = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== excludeRunId && existsSync(join(folder, d.name, bundleLayout.record)))
    .map((d) => d.name)
    .sort();
  const newest = candidates.at(-1);
  if (!newest) return undefined;
  return createHash('sha256').update(readFileSync(join(folder, newest, bundleLayout.record))).digest('hex');
}

interface Opened {
  runId: string;
  bundleDir: string;
  locks: HeldLocks;
  journal: JournalWriter;
  timeline: RunTimeline;
  log: Logger;
  closeLog(): void;
  deviations: string[];
  /** recover: the run had finished (its run.finished is in the journal) and only its sealing is missing. */
  sealOnly: boolean;
  /** resume: what is left to do. */
  resume?: ResumeSteps | ResumeCleanup;
}

/** The evidence could not be written: nothing was sealed; the run waits for `recover` once space is back. */
export interface NotWritten {
  sealed: false;
  reason: 'not-written';
  code: string;
  message: string;
}

/** The cleanup was abandoned: the run stays unfinished (and locked) until `recover` completes it. */
export interface Unfinished {
  sealed: false;
  reason: 'unfinished';
  message: string;
}

export type RunSeal = SealResult | NotWritten | Unfinished;

/** Where journal events the bundle's storage refused are kept until `recover` appends them. */
export function spillFile(runId: string, env?: NodeJS.ProcessEnv): string {
  return join(machineLockDir(env), `${runId}.journal-pending.jsonl`);
}

const notWritable = (bundleDir: string, failure: WriteFailure): DrillbookError =>
  new DrillbookError('PRECONDITION', `evidence folder ${bundleDir} is not writable (${failure.message})`, {
    hint: 'free space, or choose another folder with --out or --store',
  });

function openFresh(scenario: Scenario, inputs: RunInputs, options: ExecuteOptions, clock: Clock, redactor: Redactor, guard: WriteFailureGuard): Opened {
  const storeDir = resolve(options.storeDir);
  const runId = createRunId();
  const bundleDir = resolve(options.bundleDir ?? join(storeDir, scenario.id, runId));
  const files = lockFiles(storeDir, scenario.id, options.env);
  // The store's per-scenario folder holds the store lock; it may already exist.
  createStoreFolder(join(storeDir, scenario.id));
  const locks = acquireRunLocks(files, ownLockInfo(runId, bundleDir), options.breakLock ?? false);
  const timeline = startTimeline(clock);
  try {
    createBundleFolder(bundleDir);
    const bytes = readFileSync(scenario.source.file);
    if (createHash('sha256').update(bytes).digest('hex') !== scenario.source.sha256) {
      throw new DrillbookError('USAGE', `${scenario.source.file} changed after it was validated`, { hint: 'run again' });
    }
    writeNewBundleFile(join(bundleDir, bundleLayout.scenario), bytes);
    // What recover checks before it trusts this bundle, kept where only this user can write: first without
    // the journal's first line (a crash may come right after it), then with it.
    const ticket = { runId, bundle: bundleDir, scenarioSha256: scenario.source.sha256 };
    writeRunTicket(ticket, options.env);
    const logger = createLogger(bundleDir, redactor, { runId, scenario: scenario.id }, false, (error) => guard.report(error, `writing ${bundleLayout.log}`));
    const journalFile = join(bundleDir, bundleLayout.journal);
    let noted: RunTicket | undefined;
    const journal = createJournalWriter(createJournal(journalFile, 'barrier'), {
      redactor,
      guard,
      log: logger.log,
      nowIso: () => timeline.iso(timeline.t()),
      clockWatch: watchClock(timeline),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      onDurable: (entries, head) => {
        noted ??= { ...ticket, startedLineSha256: firstLineSha256(journalFile) };
        noteJournalHead(noted, entries, head, options.env);
      },
    });
    journal.write(
      'run.started',
      {
        runId,
        scenarioId: scenario.id,
        scenarioFile: bundleLayout.scenario,
        scenarioSha256: scenario.source.sha256,
        operator: options.operator,
        host: hostname(),
        pid: process.pid,
        tool: { name: 'drillbook', version: options.toolVersion, node: process.version, platform: `${process.platform}-${process.arch}` },
        vars: scenario.vars,
        t: 0,
        inputs: recordInputs(scenario, inputs, redactor, storeDir),
        ...(options.runbook ? { runbook: options.runbook } : {}),
      },
      { barrier: true },
    );
    // Nothing has run: a journal that cannot take its first line refuses the run outright.
    if (guard.failure) throw notWritable(bundleDir, guard.failure);
    writeRunTicket({ ...ticket, startedLineSha256: firstLineSha256(journalFile), journal: journal.info() }, options.env);
    return { runId, bundleDir, locks, journal, timeline, log: logger.log, closeLog: () => logger.close(), deviations: [...locks.deviations], sealOnly: false };
  } catch (error) {
    locks.release();
    removeRunTicket(runId, options.env);
    if (isStorageError(error)) throw notWritable(bundleDir, describeWriteFailure(error, 'preparing the bundle'));
    throw error;
  }
}

function watchClock(timeline: RunTimeline): { check(): number | undefined; t(): number; wallIso(): string } {
  return { check: createClockWatch(timeline), t: () => timeline.t(), wallIso: () => timeline.wallIso() };
}

/** Append the events a full disk kept out of the journal (saved by the crashed run), then forget them. */
function appendSpilled(file: string, spill: string): void {
  if (!existsSync(spill)) return;
  const lines = readFileSync(spill, 'utf8').split('\n').filter((line) => line !== '');
  const journal = reopenJournal(file, 'barrier');
  for (const line of lines) {
    const event = JSON.parse(line) as JournalEvent;
    journal.append(event.type, event.data, event.at);
  }
  journal.close();
  rmSync(spill);
}

/** What the checks of the steps cut short found, and what resume made of it. */
function checksDeviation(checks: ResumeChecks, undecided: readonly string[]): string {
  const rerun = checks.unknown.filter((id) => !undecided.includes(id));
  const parts = [
    checks.happened.length ? `found done, closed as passed: ${checks.happened.join(', ')}` : '',
    checks.notHappened.length ? `found not done, run again: ${checks.notHappened.join(', ')}` : '',
    rerun.length ? `could not tell, run again (safe to repeat): ${rerun.join(', ')}` : '',
    undecided.length ? `could not tell, so the drill could not go on and only its cleanup ran: ${undecided.join(', ')}` : '',
  ].filter(Boolean);
  return `the checks of the steps cut short ran before the drill went on; ${parts.join('; ')}`;
}

const stepById = (scenario: Scenario, id: string): Step | undefined => leafSteps(scenario.steps).find((s) => s.id === id);

/** The deviation that tells how the run was continued, with the gap the record shows apart. */
function resumeDeviation(plan: ResumeSteps | ResumeCleanup, operator: string, nowT: number): string {
  const gap = formatDuration(Math.max(0, nowT - plan.stoppedAtT));
  const head = `the run stopped after T+${formatDuration(plan.stoppedAtT)} (its last journal entry) and was resumed ${gap} later by \`drillbook resume\` run by ${operator}`;
  if (plan.kind === 'cleanup') return `${head}: ${plan.why}, so only the cleanup was finished`;
  const parts = [
    plan.retried.length ? `run again (safe to repeat): ${plan.retried.join(', ')}` : '',
    plan.restarted.length ? `background restarted: ${plan.restarted.join(', ')}` : '',
    plan.closed.length ? `closed as passed (their last attempt had passed): ${plan.closed.join(', ')}` : '',
    plan.ended.length ? `background ended, not safe to repeat: ${plan.ended.join(', ')}` : '',
    plan.failed.length ? `closed as failed (no attempt left): ${plan.failed.join(', ')}` : '',
    plan.checked.length ? `decided by their check: ${plan.checked.join(', ')}` : '',
  ].filter(Boolean);
  return `${head}${parts.length ? `; ${parts.join('; ')}` : ''}; the steps that had finished kept their results`;
}

function openRecovery(scenario: Scenario, options: ExecuteOptions, clock: Clock, redactor: Redactor, guard: WriteFailureGuard): Opened {
  const bundleDir = resolve(options.bundleDir ?? '');
  const file = join(bundleDir, bundleLayout.journal);
  const first = parseJournalEvents(readJournal(file).entries).events;
  const started = eventsOfType(first, 'run.started')[0];
  if (!started) throw new DrillbookError('USAGE', `${file} has no run.started entry`);
  const runId = started.data.runId;
  const locks = takeOverRunLocks(lockFiles(resolve(options.storeDir), scenario.id, options.env), runId, ownLockInfo(runId, bundleDir));
  try {
    appendSpilled(file, spillFile(runId, options.env));
    const { events } = parseJournalEvents(readJournal(file).entries);
    const sealOnly = eventsOfType(events, 'run.finished').length > 0;
    const timeline = continueTimeline(clock, Date.parse(started.at));
    // Decided before anything is written: a refused resume leaves the bundle as it was, for recover.
    const plan = options.mode === 'resume' ? planResume(scenario, events, options.runners, timeline.t(), bundleDir) : undefined;
    if (plan?.kind === 'refused') throw new DrillbookError('PRECONDITION', `run ${runId} cannot be resumed: ${plan.message}`, { hint: plan.hint });
    const logger = createLogger(bundleDir, redactor, { runId, scenario: scenario.id, [options.mode]: true }, true, (error) => guard.report(error, `writing ${bundleLayout.log}`));
    // The ticket goes on following the journal, so a crash of this session is checked as the first was.
    const ticket = readRunTicket(runId, options.env) ?? { runId, bundle: bundleDir, scenarioSha256: started.data.scenarioSha256, startedLineSha256: firstLineSha256(file) };
    const journal = createJournalWriter(reopenJournal(file, 'barrier'), {
      redactor,
      guard,
      log: logger.log,
      nowIso: () => timeline.iso(timeline.t()),
      clockWatch: watchClock(timeline),
      prior: events,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      onDurable: (entries, head) => noteJournalHead(ticket, entries, head, options.env),
    });
    const who = { operator: options.operator, host: hostname(), pid: process.pid };
    if (plan) {
      const moved = plan.kind === 'steps' ? { retried: plan.retried, restarted: plan.restarted, closed: plan.closed, ended: plan.ended } : { retried: [], restarted: [], closed: [], ended: [] };
      const failed = plan.failed.length ? { failed: plan.failed } : {};
      const checked = plan.kind === 'steps' && plan.checked.length ? { checked: plan.checked } : {};
      journal.write('resume.started', { ...who, t: timeline.t(), stoppedAtT: plan.stoppedAtT, mode: plan.kind, ...moved, ...failed, ...checked }, { barrier: true });
      if (guard.failure) throw notWritable(bundleDir, guard.failure);
      const deviations = [resumeDeviation(plan, options.operator, timeline.t())];
      return { runId, bundleDir, locks, journal, timeline, log: logger.log, closeLog: () => logger.close(), deviations, sealOnly: false, resume: plan };
    }
    // A finished run only needs its seal: the journal gains nothing after its run.finished.
    if (!sealOnly) journal.write('recover.started', { ...who, t: timeline.t() }, { barrier: true });
    if (guard.failure) throw notWritable(bundleDir, guard.failure);
    const deviations = [`the run did not finish (crash or abandoned cleanup); closed by \`drillbook recover\` run by ${options.operator}`];
    return { runId, bundleDir, locks, journal, timeline, log: logger.log, closeLog: () => logger.close(), deviations, sealOnly };
  } catch (error) {
    // The run is still unfinished: its locks go back to it, so nothing else starts on its systems.
    locks.restore();
    if (isStorageError(error)) throw notWritable(bundleDir, describeWriteFailure(error, 'continuing the journal'));
    throw error;
  }
}

/** Run a validated scenario (or finish a crashed run of it) to a sealed bundle. Throws before any side effect. */
export function executeRun(scenario: Scenario, inputs: RunInputs, options: ExecuteOptions): RunningDrill {
  const clock = options.clock ?? systemClock;
  const secretValues = Object.values(inputs.secrets);
  const redactor = createRedactor(secretValues);
  let drill: DrillHandle | undefined;
  let interruptedBy: string | undefined;
  let abandonedEarly = false;
  const beforeDrillStop = new AbortController();
  const guard = createWriteFailureGuard(() => {
    beforeDrillStop.abort(new Error('write-failed'));
    drill?.stopForWriteFailure();
  });
  // Before anything is written: an approver key that cannot be read stops the run here, nothing run. Recover
  // waits at no gate, so it never needs them.
  const gates = options.mode === 'recover' ? {} : loadStepGates(scenario, options.runners);
  const opened = options.mode === 'fresh' ? openFresh(scenario, inputs, options, clock, redactor, guard) : openRecovery(scenario, options, clock, redactor, guard);
  const { journal, timeline, log, bundleDir, runId } = opened;

  const drive = async (): Promise<RunRecord> => {
    const deviations = [...opened.deviations, ...(options.deviations ?? [])];
    const runbook = options.mode === 'fresh' ? options.runbook : undefined;
    if (runbook?.scenarioSha256 !== undefined && runbook.scenarioSha256 !== scenario.source.sha256) {
      deviations.push(`the runbook at hand (${runbook.file}, SHA-256 ${runbook.sha256}) was made from another version of the scenario (SHA-256 ${runbook.scenarioSha256}): print it again`);
    }
    if (scenario.environment === 'production' && scenario.approval === 'none' && options.mode === 'fresh') {
      deviations.push('a production run without signed approvals (approval: none): only the terminal confirmation or --yes stood for them');
    }
    if (opened.sealOnly) {
      // Not in the journal (it ends with run.finished): the record itself says it was sealed later.
      const record = projectRecord(scenario, journal.events, { journal: journal.info() });
      record.deviations.push(`the record was sealed later by \`drillbook recover\` run by ${options.operator} at ${new Date(clock.wallNow()).toISOString()}: the first sealing did not complete`);
      return record;
    }
    let continuation: { steps: string[]; cleanup: string[] } | undefined;
    let endReason: EndReason | undefined;
    let signal: string | undefined;
    const desk = createOperatorDesk({
      bundleDir,
      runId,
      scenarioSha256: scenario.source.sha256,
      operator: options.operator,
      journal,
      clock,
      t: () => timeline.t(),
      iso: (at) => timeline.iso(at),
      redactor,
      ...(options.prompt ? { prompt: options.prompt } : {}),
    });
    if (options.mode !== 'fresh') {
      dropUntakenFiles(bundleDir, journal, () => timeline.t());
      deviations.push(...(await stopLeftovers(scenario, journal, { runners: options.runners, runnerSettings: inputs.runnerSettings, secrets: inputs.secrets, log, t: () => timeline.t() })));
      // Abandoned while its leftovers were being stopped: the run stays unfinished, nothing more runs.
      if (abandonedEarly) return finishRun(scenario, journal, { endReason: 'crashed', deviations, close: false, t: timeline.t() });
      const plan = opened.resume;
      if (plan?.kind === 'steps') {
        const checks = plan.checked.length
          ? await runResumeChecks(
              scenario,
              plan.checked,
              {
                bundleDir,
                runners: options.runners,
                runnerSettings: inputs.runnerSettings,
                clock,
                t: () => timeline.t(),
                iso: (at) => timeline.iso(at),
                journal,
                secrets: inputs.secrets,
                redactor,
                log,
                host: hostname(),
                guard,
                desk,
              },
              beforeDrillStop.signal,
            )
          : { happened: [], notHappened: [], unknown: [] };
        if (abandonedEarly) return finishRun(scenario, journal, { endReason: 'crashed', deviations, close: false, t: timeline.t() });
        // A check that told nothing, on a step that may not run twice (or stopped by a signal): the drill ends there.
        const undecided = checks.unknown.filter((id) => interruptedBy !== undefined || !stepById(scenario, id)?.idempotent);
        if (plan.checked.length) deviations.push(checksDeviation(checks, undecided));
        closeResumedSteps(scenario, journal, { ...plan, closed: [...plan.closed, ...checks.happened] }, () => timeline.t());
        if (undecided.length === 0) {
          const again = new Set([...plan.steps, ...checks.notHappened, ...checks.unknown]);
          continuation = { steps: leafSteps(scenario.steps).filter((s) => again.has(s.id)).map((s) => s.id), cleanup: leafSteps(scenario.cleanup).map((s) => s.id) };
        } else {
          for (const stepId of undecided) {
            journal.write('step.finished', { stepId, status: 'cancelled', reason: 'cancelled', message: 'the run stopped during this step and its check could not tell whether it had done its work: it was not run again', outputs: {}, t: timeline.t() });
          }
          continuation = { steps: [], cleanup: closeInterruptedSteps(scenario, journal, () => timeline.t()) };
          endReason = interruptedBy !== undefined ? 'signal' : 'crashed';
          if (interruptedBy !== undefined) signal = interruptedBy;
        }
      } else {
        if (plan) closeResumedSteps(scenario, journal, { closed: [], ended: [], failed: plan.failed }, () => timeline.t());
        continuation = { steps: [], cleanup: closeInterruptedSteps(scenario, journal, () => timeline.t()) };
        endReason = plan?.endReason ?? 'crashed';
        if (plan?.signal) signal = plan.signal;
      }
    } else {
      const readiness = await checkReadiness(scenario, options.runners, { settings: inputs.runnerSettings, secrets: inputs.secrets, signal: beforeDrillStop.signal });
      if (readiness.checks.length > 0) journal.write('readiness.checked', { t: timeline.t(), ok: readiness.ok, checks: readiness.checks }, { barrier: true });
      if (interruptedBy !== undefined || guard.failure || !readiness.ok) {
        const endReason = guard.failure ? 'write-failed' : interruptedBy !== undefined ? 'signal' : 'precondition-failed';
        if (guard.failure) deviations.push(`evidence write failed: ${guard.failure.message}`);
        return finishRun(scenario, journal, { endReason, ...(interruptedBy ? { signal: interruptedBy } : {}), deviations, close: true, t: timeline.t() });
      }
    }
    const approval = typeof scenario.approval === 'object' ? scenario.approval : undefined;
    const gateBase = {
      bundleDir,
      runId,
      scenarioId: scenario.id,
      scenarioSha256: scenario.source.sha256,
      // As run.started journals them: a var that holds a secret's value is never in a request or on an approver's screen.
      vars: Object.fromEntries(Object.entries(scenario.vars).map(([name, value]) => [name, redactor.redact(value)])),
      journal,
      clock,
      t: () => timeline.t(),
      iso: (at: number) => timeline.iso(at),
      redactor,
    };
    drill = startDrill(scenario, {
      bundleDir,
      journal,
      timeline,
      runners: options.runners,
      runnerSettings: inputs.runnerSettings,
      clock,
      host: hostname(),
      secrets: inputs.secrets,
      redactor,
      log,
      deviations,
      guard,
      desk,
      ...(approval
        ? {
            approvals: (signal: AbortSignal) =>
              awaitApprovals({ ...gateBase, quorum: approval.quorum, timeoutMs: approval.timeoutMs, approvers: inputs.approvers ?? { keys: [] } }, signal).then((granted) => granted !== undefined),
          }
        : {}),
      gates: (stepId: string, attempt: number, signal: AbortSignal) => {
        const gate = gates[stepId];
        if (!gate) return Promise.reject(new Error(`step ${stepId} has no approvers`));
        return awaitApprovals({ ...gateBase, quorum: gate.quorum, approvers: gate.approvers, gate: { stepId, attempt } }, signal).then((granted) => granted ?? []);
      },
      ...(continuation ? { continuation } : {}),
      ...(endReason ? { endReason } : {}),
      ...(signal ? { signal } : {}),
      ...(options.confirm ? { confirm: options.confirm } : {}),
    });
    if (interruptedBy !== undefined) drill.interrupt(interruptedBy);
    if (guard.failure) drill.stopForWriteFailure();
    return drill.done;
  };

  const seal = async (record: RunRecord): Promise<RunSeal> => {
    const flushed = journal.flush();
    if (eventsOfType(journal.events, 'run.finished').length === 0 && flushed && journal.pending === 0) {
      journal.close();
      opened.closeLog();
      return { sealed: false, reason: 'unfinished', message: 'the cleanup was abandoned: the run is unfinished and keeps its lock' };
    }
    journal.close();
    opened.closeLog();
    if (!flushed || journal.pending > 0) {
      const spill = spillFile(runId, options.env);
      const kept = journal.spill(spill);
      const failure = guard.failure ?? { code: 'EIO', message: 'the journal could not be written' };
      return {
        sealed: false,
        reason: 'not-written',
        code: failure.code,
        message: `${failure.message}; ${journal.pending} journal event(s) not written${kept ? `, kept in ${spill} for recover` : ' and lost'}`,
      };
    }
    const previous = previousRecordDigest(resolve(options.storeDir), scenario.id, runId);
    try {
      const sealed = await sealBundle(bundleDir, record, {
        ...(options.signingKeyFile ? { signingKey: options.signingKeyFile } : {}),
        secrets: secretValues,
        ...(previous ? { previousRecordSha256: previous } : {}),
        onRendered: sealing,
      });
      if (sealed.sealed || sealed.reason !== 'secret-found') return sealed;
      // Named, never shown: which declared secret, in which file, where.
      const name = Object.keys(inputs.secrets)[sealed.secretIndex] ?? `#${sealed.secretIndex + 1}`;
      return { ...sealed, message: `declared secret "${name}" occurs in ${sealed.file} at byte ${sealed.offset}: nothing was signed` };
    } catch (error) {
      if (!isStorageError(error)) throw error;
      const failure = describeWriteFailure(error, 'sealing the bundle');
      return { sealed: false, reason: 'not-written', code: failure.code, message: failure.message };
    }
  };

  const done = (async (): Promise<RunResult> => {
    let result: RunSeal | undefined;
    try {
      const record = await drive();
      result = await seal(record);
      return { record, bundleDir, seal: result };
    } finally {
      // An unfinished or unwritten run keeps its locks (and its ticket): the next run must be told to
      // recover it first. A finished run whose sealing failed otherwise (a secret found, a bug) lets go.
      const finished = eventsOfType(journal.events, 'run.finished').length > 0;
      const keep = result !== undefined && result.sealed === false && (result.reason === 'not-written' || result.reason === 'unfinished');
      if (finished && !keep) {
        opened.locks.release();
        removeRunTicket(runId, options.env);
      }
    }
  })();

  return {
    runId,
    bundleDir,
    redact: (text) => redactor.redact(text),
    interrupt(signal) {
      interruptedBy ??= signal;
      beforeDrillStop.abort(new Error(signal));
      drill?.interrupt(signal);
    },
    abandon() {
      abandonedEarly = true;
      drill?.abandon();
    },
    done,
  };
}
