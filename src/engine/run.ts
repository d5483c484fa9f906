/**
 * The one run pipeline, for `run`, `run-due`, `schedule` and `recover`: lock → bundle → journal →
 * readiness → drill → cleanup → seal (chained to the previous record). A run's inputs are one value,
 * journalled once at start and rebuilt from the journal when a crashed run is recovered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { DrillbookError } from '../errors.js';
import { bundleLayout } from '../evidence/bundle-files.js';
import { eventsOfType, parseJournalEvents, type JournalEvent } from '../evidence/journal-events.js';
import { createJournal, readJournal, reopenJournal } from '../evidence/journal.js';
import type { RunRecord } from '../evidence/run-record.js';
import { sealBundle, type SealResult } from '../evidence/seal.js';
import { createLogger } from '../log.js';
import { createRedactor, type Redactor } from '../redact.js';
import type { RunnerCatalog } from '../runner-contract.js';
import type { Scenario } from '../scenario/types.js';
import { createBundleFolder, writeNewBundleFile } from './bundle-folder.js';
import { systemClock, type Clock } from './clock.js';
import { startDrill, type DrillHandle } from './drill-actor.js';
import { finishRun } from './finish-run.js';
import { createJournalWriter, type JournalWriter } from './journal-writer.js';
import { checkReadiness } from './readiness.js';
import { closeInterruptedSteps, stopLeftovers } from './recover-leftovers.js';
import { recordInputs, type RunInputs } from './run-inputs.js';
import { acquireRunLocks, isUnfinishedBundle, lockFiles, takeOverRunLocks, type HeldLocks } from './run-lock.js';
import { continueTimeline, startTimeline, type RunTimeline } from './run-timeline.js';

export type RunMode = 'fresh' | 'recover';

export interface ExecuteOptions {
  mode: RunMode;
  /** Evidence store root: bundles go to `<store>/<scenario-id>/<run-id>/`. For recover: the bundle's store. */
  storeDir: string;
  /** fresh: this run's bundle folder instead of the default place in the store. recover: the bundle. */
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
}

export interface RunResult {
  record: RunRecord;
  bundleDir: string;
  seal: SealResult;
}

export interface RunningDrill {
  runId: string;
  bundleDir: string;
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
  redactor: Redactor;
  log: Logger;
  deviations: string[];
}

function openFresh(scenario: Scenario, inputs: RunInputs, options: ExecuteOptions, clock: Clock, redactor: Redactor): Opened {
  const storeDir = resolve(options.storeDir);
  const runId = createRunId();
  const bundleDir = resolve(options.bundleDir ?? join(storeDir, scenario.id, runId));
  const files = lockFiles(storeDir, scenario.id, options.env);
  // The store's per-scenario folder holds the store lock; it may already exist.
  mkdirSync(join(storeDir, scenario.id), { recursive: true });
  const locks = acquireRunLocks(files, { runId, pid: process.pid, host: hostname(), bundle: bundleDir, startedAt: new Date().toISOString() }, options.breakLock ?? false);
  let log: Logger;
  let journal: JournalWriter;
  const timeline = startTimeline(clock);
  try {
    createBundleFolder(bundleDir);
    const bytes = readFileSync(scenario.source.file);
    if (createHash('sha256').update(bytes).digest('hex') !== scenario.source.sha256) {
      throw new DrillbookError('USAGE', `${scenario.source.file} changed after it was validated`, { hint: 'run again' });
    }
    writeNewBundleFile(join(bundleDir, bundleLayout.scenario), bytes);
    log = createLogger(bundleDir, redactor, { runId, scenario: scenario.id });
    journal = createJournalWriter(createJournal(join(bundleDir, bundleLayout.journal), 'barrier'), {
      redactor,
      nowIso: () => timeline.iso(timeline.t()),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
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
        inputs: recordInputs(scenario, inputs, redactor),
      },
      { barrier: true },
    );
  } catch (error) {
    locks.release();
    throw error;
  }
  return { runId, bundleDir, locks, journal, timeline, redactor, log, deviations: [...locks.deviations] };
}

function openRecovery(scenario: Scenario, options: ExecuteOptions, clock: Clock, redactor: Redactor): Opened {
  const bundleDir = resolve(options.bundleDir ?? '');
  const file = join(bundleDir, bundleLayout.journal);
  const read = readJournal(file);
  const { events } = parseJournalEvents(read.entries);
  const started = eventsOfType(events, 'run.started')[0];
  if (!started) throw new DrillbookError('USAGE', `${file} has no run.started entry`);
  const runId = started.data.runId;
  const locks = takeOverRunLocks(lockFiles(resolve(options.storeDir), scenario.id, options.env), runId, {
    runId,
    pid: process.pid,
    host: hostname(),
    bundle: bundleDir,
    startedAt: new Date().toISOString(),
  });
  try {
    const timeline = continueTimeline(clock, Date.parse(started.at));
    const log = createLogger(bundleDir, redactor, { runId, scenario: scenario.id, recover: true }, true);
    const journal = createJournalWriter(reopenJournal(file, 'barrier'), {
      redactor,
      nowIso: () => timeline.iso(timeline.t()),
      prior: events,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    journal.write('recover.started', { operator: options.operator, host: hostname(), pid: process.pid, t: timeline.t() }, { barrier: true });
    const deviations = [`the run did not finish (crash or abandoned cleanup); closed by \`drillbook recover\` run by ${options.operator}`];
    return { runId, bundleDir, locks, journal, timeline, redactor, log, deviations };
  } catch (error) {
    locks.release();
    throw error;
  }
}

/** Run a validated scenario (or finish a crashed run of it) to a sealed bundle. Throws before any side effect. */
export function executeRun(scenario: Scenario, inputs: RunInputs, options: ExecuteOptions): RunningDrill {
  const clock = options.clock ?? systemClock;
  const secretValues = Object.values(inputs.secrets);
  const redactor = createRedactor(secretValues);
  const opened = options.mode === 'fresh' ? openFresh(scenario, inputs, options, clock, redactor) : openRecovery(scenario, options, clock, redactor);
  const { journal, timeline, log, bundleDir, runId } = opened;

  let interruptedBy: string | undefined;
  let drill: DrillHandle | undefined;
  const readinessStop = new AbortController();

  const drive = async (): Promise<RunRecord> => {
    const deviations = [...opened.deviations];
    let cleanupOnly: string[] | undefined;
    if (options.mode === 'recover') {
      deviations.push(...(await stopLeftovers(scenario, journal, { runners: options.runners, runnerSettings: inputs.runnerSettings, secrets: inputs.secrets, log, t: () => timeline.t() })));
      cleanupOnly = closeInterruptedSteps(scenario, journal, () => timeline.t());
    } else {
      const readiness = await checkReadiness(scenario, options.runners, { settings: inputs.runnerSettings, secrets: inputs.secrets, signal: readinessStop.signal });
      if (readiness.checks.length > 0) journal.write('readiness.checked', { t: timeline.t(), ok: readiness.ok, checks: readiness.checks }, { barrier: true });
      if (interruptedBy !== undefined || !readiness.ok) {
        const endReason = interruptedBy !== undefined ? 'signal' : 'precondition-failed';
        return finishRun(scenario, journal, { endReason, ...(interruptedBy ? { signal: interruptedBy } : {}), deviations, close: true, t: timeline.t() });
      }
    }
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
      ...(cleanupOnly ? { cleanupOnly, endReason: 'crashed' as const } : {}),
      ...(options.confirm ? { confirm: options.confirm } : {}),
    });
    if (interruptedBy !== undefined) drill.interrupt(interruptedBy);
    return drill.done;
  };

  const done = (async (): Promise<RunResult> => {
    try {
      const record = await drive();
      journal.close();
      log.flush();
      const previous = previousRecordDigest(resolve(options.storeDir), scenario.id, runId);
      const seal = await sealBundle(bundleDir, record, {
        ...(options.signingKeyFile ? { signingKey: options.signingKeyFile } : {}),
        secrets: secretValues,
        ...(previous ? { previousRecordSha256: previous } : {}),
      });
      return { record, bundleDir, seal };
    } finally {
      // An abandoned run keeps its locks: the next run must be told to recover it first.
      if (!isUnfinishedBundle(bundleDir)) opened.locks.release();
    }
  })();

  return {
    runId,
    bundleDir,
    interrupt(signal) {
      interruptedBy ??= signal;
      readinessStop.abort(new Error(signal));
      drill?.interrupt(signal);
    },
    abandon() {
      drill?.abandon();
    },
    done,
  };
}
