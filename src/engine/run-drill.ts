/**
 * One run from a validated scenario to a sealed bundle: lock, bundle folder, scenario copy, journal,
 * engine, evidence. The record is sealed before anyone chooses an exit code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DrillbookError } from '../errors.js';
import { createJournal, readJournal } from '../evidence/journal.js';
import type { RunRecord } from '../evidence/run-record.js';
import { sealBundle, type SealResult } from '../evidence/seal.js';
import { bundleLogFile, createLogger } from '../log.js';
import { createRedactor } from '../redact.js';
import type { RunnerCatalog, RunnerSettings } from '../runner-contract.js';
import type { Scenario } from '../scenario/types.js';
import { systemClock, type Clock } from './clock.js';
import { journalEvents, type JournalEvent } from './project-record.js';
import { startDrill } from './run.js';
import { acquireLock, readLock, releaseLock } from './run-lock.js';
import { resolveSecrets } from './secrets.js';

export interface RunDrillOptions {
  /** Evidence store root (default `reports`): bundles go to `<store>/<scenario-id>/<run-id>/`. */
  storeDir: string;
  /** This run's bundle folder, instead of the default place in the store. */
  outDir?: string;
  runners: RunnerCatalog;
  runnerSettings?: RunnerSettings;
  operator: string;
  toolVersion: string;
  clock?: Clock;
  /** PEM file of an Ed25519 private key; without it the bundle is sealed unsigned. */
  signingKeyFile?: string;
  confirm?: () => Promise<boolean>;
  onEvent?: (event: JournalEvent) => void;
  /** Remove a stale lock left by a crashed run without recovering it (recorded as a deviation). */
  breakLock?: boolean;
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
  interrupt(signal: string): void;
  abandon(): void;
  done: Promise<RunResult>;
}

export const bundleFiles = { scenario: 'scenario.yaml', journal: 'journal.jsonl', log: bundleLogFile } as const;

/** Sortable UTC time plus a random suffix: `20261128T132530Z-3f9a1c`. */
export function createRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function lockFileFor(storeDir: string, scenarioId: string): string {
  return join(storeDir, scenarioId, 'run.lock');
}

/** A journal that never reached `run.finished`: a crashed or abandoned run. */
export function isUnfinishedBundle(bundleDir: string): boolean {
  const file = join(bundleDir, bundleFiles.journal);
  if (!existsSync(file)) return false;
  const { entries } = readJournal(file);
  return !entries.some((e) => e.type === journalEvents.runFinished);
}

function checkLock(lockFile: string, breakLock: boolean): string[] {
  const lock = readLock(lockFile);
  if (lock.state === 'free') return [];
  if (lock.state === 'held' || lock.state === 'foreign') {
    throw new DrillbookError(
      'LOCKED',
      `another run of this scenario is in progress: run ${lock.info.runId}, pid ${lock.info.pid} on ${lock.info.host}`,
      { hint: lock.state === 'foreign' ? `if that host is gone, remove ${lockFile} after checking it` : 'wait for it to finish' },
    );
  }
  const bundle = lock.info.bundle;
  const unfinished = bundle !== '' && isUnfinishedBundle(bundle);
  if (unfinished && !breakLock) {
    throw new DrillbookError('UNFINISHED_RUN', `run ${lock.info.runId} (pid ${lock.info.pid}) did not finish: its cleanup may not have run`, {
      hint: `run \`drillbook recover ${bundle}\` to stop what it left running, finish its cleanup and close its record`,
    });
  }
  releaseLock(lockFile, lock.info.runId);
  return unfinished
    ? [`the lock of unfinished run ${lock.info.runId} was broken by the operator without recovering it`]
    : [];
}

/** Digest of the newest sealed record of the same scenario in this store, to chain records. */
export function previousRecordDigest(storeDir: string, scenarioId: string, excludeRunId: string): string | undefined {
  const folder = join(storeDir, scenarioId);
  if (!existsSync(folder)) return undefined;
  const candidates = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== excludeRunId && existsSync(join(folder, d.name, 'record.json')))
    .map((d) => d.name)
    .sort();
  const newest = candidates.at(-1);
  if (!newest) return undefined;
  return createHash('sha256').update(readFileSync(join(folder, newest, 'record.json'))).digest('hex');
}

export function startRun(scenario: Scenario, options: RunDrillOptions): RunningDrill {
  const secrets = resolveSecrets(scenario.secrets, scenario.source.dir, options.env);
  if (!secrets.ok) throw new DrillbookError('USAGE', 'secrets could not be resolved', { details: secrets.problems.join('\n') });

  const storeDir = resolve(options.storeDir);
  const runId = createRunId();
  const bundleDir = resolve(options.outDir ?? join(storeDir, scenario.id, runId));
  if (existsSync(bundleDir) && readdirSync(bundleDir).length > 0) {
    throw new DrillbookError('USAGE', `bundle folder ${bundleDir} is not empty`, { hint: 'choose a new folder with --out' });
  }
  mkdirSync(join(storeDir, scenario.id), { recursive: true });
  const lockFile = lockFileFor(storeDir, scenario.id);
  const deviations = checkLock(lockFile, options.breakLock ?? false);
  acquireLock(lockFile, { runId, pid: process.pid, host: hostname(), bundle: bundleDir, startedAt: new Date().toISOString() });

  try {
    mkdirSync(bundleDir, { recursive: true });
    copyFileSync(scenario.source.file, join(bundleDir, bundleFiles.scenario));
    const copied = createHash('sha256').update(readFileSync(join(bundleDir, bundleFiles.scenario))).digest('hex');
    if (copied !== scenario.source.sha256) {
      throw new DrillbookError('USAGE', `${scenario.source.file} changed after it was validated`, { hint: 'run again' });
    }
  } catch (error) {
    releaseLock(lockFile, runId);
    throw error;
  }

  const secretValues = Object.values(secrets.values);
  const redactor = createRedactor(secretValues);
  const log = createLogger(bundleDir, redactor, { runId, scenario: scenario.id });
  const journal = createJournal(join(bundleDir, bundleFiles.journal), 'barrier');
  const handle = startDrill(scenario, {
    runId,
    bundleDir,
    journal,
    scenarioFile: bundleFiles.scenario,
    runners: options.runners,
    ...(options.runnerSettings ? { runnerSettings: options.runnerSettings } : {}),
    clock: options.clock ?? systemClock,
    operator: options.operator,
    toolVersion: options.toolVersion,
    secrets: secrets.values,
    redactor,
    log,
    deviations,
    ...(options.confirm ? { confirm: options.confirm } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });

  const done = (async (): Promise<RunResult> => {
    try {
      const record = await handle.done;
      journal.close();
      log.flush();
      const previous = previousRecordDigest(storeDir, scenario.id, runId);
      const seal = await sealBundle(bundleDir, record, {
        ...(options.signingKeyFile ? { signingKey: options.signingKeyFile } : {}),
        secrets: secretValues,
        ...(previous ? { previousRecordSha256: previous } : {}),
      });
      return { record, bundleDir, seal };
    } finally {
      // An abandoned run keeps its lock: the next run must be told to recover it first.
      if (!isUnfinishedBundle(bundleDir)) releaseLock(lockFile, runId);
    }
  })();

  return { runId, bundleDir, interrupt: (signal) => handle.interrupt(signal), abandon: () => handle.abandon(), done };
}
