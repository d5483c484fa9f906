/**
 * One run of a scenario at a time: a lock per scenario id in the evidence store, and one per scenario id on
 * this machine (two stores, or two folders, must not drive the same systems at once). A lock file names the
 * pid, host and bundle, so a lock left by a crashed run points at the bundle `drillbook recover` must finish.
 */
import { closeSync, constants, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrillbookError } from '../errors.js';
import { eventsOfType, parseJournalEvents } from '../evidence/journal-events.js';
import { readJournal } from '../evidence/journal.js';

export interface LockInfo {
  runId: string;
  pid: number;
  host: string;
  bundle: string;
  startedAt: string;
}

export type LockState =
  | { state: 'free' }
  | { state: 'held'; info: LockInfo }
  /** The holder is a dead process on this host: its run crashed or was killed. */
  | { state: 'stale'; info: LockInfo }
  /** Held from another host: liveness cannot be checked from here. */
  | { state: 'foreign'; info: LockInfo };

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(file: string): LockState {
  if (!existsSync(file)) return { state: 'free' };
  let info: LockInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    // A lock torn by a crash during its own write: treat as stale, never as free.
    return { state: 'stale', info: { runId: 'unknown', pid: 0, host: hostname(), bundle: '', startedAt: '' } };
  }
  if (info.host !== hostname()) return { state: 'foreign', info };
  return isProcessAlive(info.pid) && info.pid !== 0 ? { state: 'held', info } : { state: 'stale', info };
}

/** Take the lock or throw LOCKED with what holds it. */
export function acquireLock(file: string, info: LockInfo): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const current = readLock(file);
    const holder = current.state === 'free' ? undefined : current.info;
    throw new DrillbookError('LOCKED', `scenario is locked by run ${holder?.runId ?? '?'} (pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'})`, {
      hint: 'wait for that run to finish',
    });
  }
  try {
    writeSync(fd, `${JSON.stringify(info)}\n`);
    fsyncSync(fd);
  } catch (error) {
    // A lock that could not be written must not be left behind half-written.
    closeSync(fd);
    rmSync(file, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new DrillbookError('PRECONDITION', `the run lock ${file} cannot be written (${code})`, {
      hint: 'free space where the lock lives (the evidence store, or the machine lock folder), then run again',
      cause: error,
    });
  }
  closeSync(fd);
}

export function releaseLock(file: string, runId: string): void {
  const current = readLock(file);
  if (current.state !== 'free' && current.info.runId !== runId) return;
  rmSync(file, { force: true });
}

/**
 * A run that started and was never sealed: it crashed, its cleanup was abandoned, or its evidence could not
 * be written. One without `run.started` stopped before anything ran (run.started is durable before the
 * first side effect).
 */
export function isUnfinishedBundle(bundleDir: string): boolean {
  const file = join(bundleDir, 'journal.jsonl');
  if (!existsSync(file)) return false;
  const { events } = parseJournalEvents(readJournal(file).entries);
  if (eventsOfType(events, 'run.started').length === 0) return false;
  return eventsOfType(events, 'run.finished').length === 0 || !existsSync(join(bundleDir, 'record.json'));
}

/**
 * Where this machine keeps its run locks: `$DRILLBOOK_LOCK_DIR`, else `$XDG_RUNTIME_DIR/drillbook`, else
 * `/run/drillbook` for root, else `<tmpdir>/drillbook-<uid>`. Created 0700; a folder that is a symbolic
 * link or owned by someone else is refused (another user could otherwise hold or forge our locks).
 */
export function machineLockDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const dir =
    env['DRILLBOOK_LOCK_DIR'] ??
    (env['XDG_RUNTIME_DIR'] ? join(env['XDG_RUNTIME_DIR'], 'drillbook') : uid === 0 ? '/run/drillbook' : join(tmpdir(), `drillbook-${uid}`));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.isSymbolicLink()) throw new DrillbookError('PRECONDITION', `lock folder ${dir} is not a folder (a symbolic link?)`);
  if (process.getuid && stat.uid !== uid) throw new DrillbookError('PRECONDITION', `lock folder ${dir} belongs to uid ${stat.uid}, not to this user (${uid})`);
  return dir;
}

/** Lock file of a scenario in a store and on this machine. */
export function lockFiles(storeDir: string, scenarioId: string, env?: NodeJS.ProcessEnv): { store: string; machine: string } {
  return { store: join(storeDir, scenarioId, 'run.lock'), machine: join(machineLockDir(env), `${scenarioId}.lock`) };
}

/** Deviations when a stale lock is broken; throws when the lock is held or names an unfinished run. */
function clearStale(lockFile: string, breakLock: boolean): string[] {
  const lock = readLock(lockFile);
  if (lock.state === 'free') return [];
  if (lock.state === 'held' || lock.state === 'foreign') {
    throw new DrillbookError(
      'LOCKED',
      `another run of this scenario is in progress: run ${lock.info.runId}, pid ${lock.info.pid} on ${lock.info.host}`,
      { hint: lock.state === 'foreign' ? `if that host is gone, remove ${lockFile} after checking it` : `wait for it to finish (lock ${lockFile})` },
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
  return unfinished ? [`the lock of unfinished run ${lock.info.runId} was broken by the operator without recovering it`] : [];
}

export interface HeldLocks {
  /** Deviations to record (a stale lock broken with --break-lock). */
  deviations: string[];
  release(): void;
}

/** Take the machine lock, then the store lock, of a new run; both or neither. */
export function acquireRunLocks(files: { store: string; machine: string }, info: LockInfo, breakLock: boolean): HeldLocks {
  const deviations = [...new Set([...clearStale(files.machine, breakLock), ...clearStale(files.store, breakLock)])];
  acquireLock(files.machine, info);
  try {
    acquireLock(files.store, info);
  } catch (error) {
    releaseLock(files.machine, info.runId);
    throw error;
  }
  return {
    deviations,
    release() {
      releaseLock(files.store, info.runId);
      releaseLock(files.machine, info.runId);
    },
  };
}

/** Take over the locks of a crashed run being recovered (a live holder refuses). */
export function takeOverRunLocks(files: { store: string; machine: string }, runId: string, info: LockInfo): HeldLocks {
  for (const file of [files.machine, files.store]) {
    const lock = readLock(file);
    if (lock.state === 'held' && lock.info.runId === runId) {
      throw new DrillbookError('LOCKED', `run ${lock.info.runId} is still running as pid ${lock.info.pid}`, { hint: 'stop it first' });
    }
    if (lock.state === 'held' || lock.state === 'foreign') {
      throw new DrillbookError('LOCKED', `another run of this scenario is in progress: run ${lock.info.runId}, pid ${lock.info.pid} on ${lock.info.host}`, {
        hint: 'wait for it to finish, then recover',
      });
    }
    // Ours is cleared here; a stale lock of another run is judged by acquireRunLocks like any other.
    if (lock.state === 'stale' && lock.info.runId === runId) releaseLock(file, runId);
  }
  return acquireRunLocks(files, info, false);
}
