/**
 * One run of a scenario at a time: a lock per scenario id in the evidence store, and one per scenario id on
 * this machine (two stores, or two folders, must not drive the same systems at once). A lock file names the
 * pid (with its start time, so a reused pid is not taken for the holder), host and bundle, so a lock left by
 * a crashed run points at the bundle `drillbook recover` must finish.
 *
 * The machine lock folder also keeps a ticket per unfinished run: what this machine wrote when the run
 * started (its bundle, the scenario's digest, the SHA-256 of the journal's first line). Only the user running
 * drillbook can write there, so `recover` can tell a bundle this machine started from one planted in a store.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DrillbookError } from '../errors.js';
import { writeFileAtomic } from '../evidence/atomic-write.js';
import { eventsOfType, parseJournalEvents } from '../evidence/journal-events.js';
import { readJournal } from '../evidence/journal.js';

export interface LockInfo {
  runId: string;
  pid: number;
  /** Kernel start time of `pid` (clock ticks since boot), when it could be read. */
  pidStartTime?: string;
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

/** Field 22 of /proc/PID/stat: when the process started. Undefined off Linux or for a gone process. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The same pid, started at another time, is another process that reused it.
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/** This process, as a lock names it. */
export function ownLockInfo(runId: string, bundle: string): LockInfo {
  const pidStartTime = processStartTime(process.pid);
  return { runId, pid: process.pid, ...(pidStartTime ? { pidStartTime } : {}), host: hostname(), bundle, startedAt: new Date().toISOString() };
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
  return info.pid !== 0 && isProcessAlive(info.pid, info.pidStartTime) ? { state: 'held', info } : { state: 'stale', info };
}

function writeLockFile(file: string, info: LockInfo, flags: number): void {
  const fd = openSync(file, flags, 0o644);
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

/** Take the lock or throw LOCKED with what holds it. */
export function acquireLock(file: string, info: LockInfo): void {
  try {
    writeLockFile(file, info, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const current = readLock(file);
    const holder = current.state === 'free' ? undefined : current.info;
    throw new DrillbookError('LOCKED', `scenario is locked by run ${holder?.runId ?? '?'} (pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'})`, {
      hint: 'wait for that run to finish',
    });
  }
}

/** Remove our own lock (a lock of another run is left alone). */
export function releaseLock(file: string, runId: string): void {
  const current = readLock(file);
  if (current.state !== 'free' && current.info.runId !== runId) return;
  rmSync(file, { force: true });
}

/**
 * Remove a stale lock, only if it still is the one that was judged stale. Breakers take `<lock>.break`
 * (O_EXCL) first, so two processes cannot both judge the same stale lock and one of them remove the fresh
 * lock the other has just taken in its place.
 */
function removeStale(file: string, stale: LockInfo): void {
  const mutex = `${file}.break`;
  try {
    // A breaker that died holding the mutex leaves it: a minute later it is stale too.
    if (existsSync(mutex) && Date.now() - statSync(mutex).mtimeMs > 60_000) rmSync(mutex, { force: true });
    closeSync(openSync(mutex, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644));
  } catch {
    throw new DrillbookError('LOCKED', `another process is taking over the stale lock ${file}`, { hint: 'run again in a moment' });
  }
  try {
    const now = readLock(file);
    if (now.state !== 'free' && JSON.stringify(now.info) === JSON.stringify(stale)) rmSync(file, { force: true });
  } finally {
    rmSync(mutex, { force: true });
  }
}

/** Where a bundle stands: not there, never started, unfinished (crashed, abandoned, unwritten), or sealed. */
export function bundleState(bundleDir: string): 'absent' | 'not-started' | 'unfinished' | 'sealed' {
  const file = join(bundleDir, 'journal.jsonl');
  if (!existsSync(bundleDir)) return 'absent';
  if (!existsSync(file)) return 'not-started';
  const { events } = parseJournalEvents(readJournal(file).entries);
  if (eventsOfType(events, 'run.started').length === 0) return 'not-started';
  return eventsOfType(events, 'run.finished').length === 0 || !existsSync(join(bundleDir, 'record.json')) ? 'unfinished' : 'sealed';
}

/**
 * A run that started and was never sealed: it crashed, its cleanup was abandoned, or its evidence could not
 * be written. One without `run.started` stopped before anything ran (run.started is durable before the
 * first side effect).
 */
export function isUnfinishedBundle(bundleDir: string): boolean {
  return bundleState(bundleDir) === 'unfinished';
}

/**
 * Where this machine keeps its run locks, tickets and spilled journal events: `$DRILLBOOK_LOCK_DIR`, else
 * `/run/drillbook` for root, else `/tmp/drillbook-<uid>`. Nothing of a session's environment (XDG_RUNTIME_DIR,
 * TMPDIR) picks it, so a run from a login shell and one from cron share it. Created 0700; a folder that is a
 * symbolic link or owned by someone else is refused (another user could otherwise hold or forge our locks).
 */
export function machineLockDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const dir = env['DRILLBOOK_LOCK_DIR'] ?? (uid === 0 ? '/run/drillbook' : `/tmp/drillbook-${uid}`);
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
  const state = bundle === '' ? 'not-started' : bundleState(bundle);
  if (!breakLock && state === 'unfinished') {
    throw new DrillbookError('UNFINISHED_RUN', `run ${lock.info.runId} (pid ${lock.info.pid}) did not finish: its cleanup may not have run`, {
      hint: `run \`drillbook resume ${bundle}\` to continue the drill from its journal, or \`drillbook recover ${bundle}\` to stop what it left running, finish its cleanup and close its record`,
    });
  }
  // A bundle that cannot be found (an unmounted store, a deleted folder) may hold a run whose cleanup never ran.
  if (!breakLock && state === 'absent') {
    throw new DrillbookError('UNFINISHED_RUN', `run ${lock.info.runId} (pid ${lock.info.pid}) left its lock, and its bundle ${bundle} cannot be found`, {
      hint: `make the bundle reachable again and run \`drillbook recover\` on it, or, after checking its cleanup by hand, pass --break-lock`,
    });
  }
  removeStale(lockFile, lock.info);
  return state === 'unfinished' || state === 'absent' ? [`the lock of unfinished run ${lock.info.runId} was broken by the operator without recovering it`] : [];
}

export interface HeldLocks {
  /** Deviations to record (a stale lock broken with --break-lock). */
  deviations: string[];
  release(): void;
  /** Give the locks back to the run they were taken over from (a recovery that could not start). */
  restore(): void;
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
  const release = (): void => {
    releaseLock(files.store, info.runId);
    releaseLock(files.machine, info.runId);
  };
  return { deviations, release, restore: release };
}

/**
 * Take over the locks of a crashed run being recovered (a live holder refuses). Each lock file is replaced
 * atomically, so a failure leaves the crashed run's lock as it was; `restore()` puts it back afterwards.
 */
export function takeOverRunLocks(files: { store: string; machine: string }, runId: string, info: LockInfo): HeldLocks {
  const previous = new Map<string, LockInfo>();
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
    if (lock.state === 'stale' && lock.info.runId !== runId) clearStale(file, false);
    if (lock.state === 'stale' && lock.info.runId === runId) previous.set(file, lock.info);
  }
  const taken: string[] = [];
  try {
    for (const file of [files.machine, files.store]) {
      if (previous.has(file)) writeFileAtomic(file, `${JSON.stringify(info)}\n`);
      else acquireLock(file, info);
      taken.push(file);
    }
  } catch (error) {
    for (const file of taken) putBack(file, previous.get(file), info.runId);
    throw error;
  }
  return {
    deviations: [],
    release() {
      releaseLock(files.store, info.runId);
      releaseLock(files.machine, info.runId);
    },
    restore() {
      for (const file of [files.machine, files.store]) putBack(file, previous.get(file), info.runId);
    },
  };
}

function putBack(file: string, before: LockInfo | undefined, ours: string): void {
  try {
    if (before) writeFileAtomic(file, `${JSON.stringify(before)}\n`);
    else releaseLock(file, ours);
  } catch {
    // The crashed run's lock could not be written back: its bundle still says it is unfinished.
  }
}

/** What this machine wrote when a run started: checked by recover before it trusts a bundle. */
export interface RunTicket {
  runId: string;
  bundle: string;
  scenarioSha256: string;
  /** SHA-256 of the journal's first line (run.started, with the run's inputs); absent when the run crashed before it was noted. */
  startedLineSha256?: string;
  /**
   * The journal as far as its last barrier (written before each side effect): entry count and that line's
   * SHA-256. A journal cut short or rewritten up to there, even with its hash chain redone, no longer matches.
   */
  journal?: { entries: number; headSha256: string };
}

export function ticketFile(runId: string, env?: NodeJS.ProcessEnv): string {
  return join(machineLockDir(env), `${runId}.ticket.json`);
}

export function writeRunTicket(ticket: RunTicket, env?: NodeJS.ProcessEnv): void {
  writeFileAtomic(ticketFile(ticket.runId, env), `${JSON.stringify(ticket)}\n`, 0o600);
}

/**
 * Note how far the journal is on disk. Not fsync'd (a barrier must stay one fsync): after a power cut the
 * ticket may name an earlier line, which is still checked; one that cannot be read leaves the run to
 * `--trust-bundle`.
 */
export function noteJournalHead(ticket: RunTicket, entries: number, headSha256: string, env?: NodeJS.ProcessEnv): void {
  const file = ticketFile(ticket.runId, env);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify({ ...ticket, journal: { entries, headSha256 } })}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** SHA-256 of the journal line whose entry has this `seq`, or undefined when there is none. */
export function entryLineSha256(journalFile: string, seq: number): string | undefined {
  const bytes = readFileSync(journalFile);
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    const line = bytes.subarray(start, end === -1 ? bytes.length : end);
    start = end === -1 ? bytes.length : end + 1;
    let entry: unknown;
    try {
      entry = JSON.parse(line.toString('utf8'));
    } catch {
      continue;
    }
    if ((entry as { seq?: unknown } | null)?.seq === seq) return createHash('sha256').update(line).digest('hex');
  }
  return undefined;
}

export function readRunTicket(runId: string, env?: NodeJS.ProcessEnv): RunTicket | undefined {
  try {
    return JSON.parse(readFileSync(ticketFile(runId, env), 'utf8')) as RunTicket;
  } catch {
    return undefined;
  }
}

export function removeRunTicket(runId: string, env?: NodeJS.ProcessEnv): void {
  rmSync(ticketFile(runId, env), { force: true });
}

/** SHA-256 of a journal's first line (without its newline). */
export function firstLineSha256(journalFile: string): string {
  const bytes = readFileSync(journalFile);
  const end = bytes.indexOf(0x0a);
  return createHash('sha256').update(bytes.subarray(0, end === -1 ? bytes.length : end)).digest('hex');
}
