/**
 * One run of a scenario at a time, per evidence store. The lock file names the pid, host and bundle, so a
 * lock left by a crashed run points at the bundle that `drillbook recover` must finish.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { hostname } from 'node:os';
import { DrillbookError } from '../errors.js';

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
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const current = readLock(file);
    const holder = current.state === 'free' ? undefined : current.info;
    throw new DrillbookError('LOCKED', `scenario is locked by run ${holder?.runId ?? '?'} (pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'})`, {
      hint: 'wait for that run to finish',
    });
  }
  writeSync(fd, `${JSON.stringify(info)}\n`);
  fsyncSync(fd);
  closeSync(fd);
}

export function releaseLock(file: string, runId: string): void {
  const current = readLock(file);
  if (current.state !== 'free' && current.info.runId !== runId) return;
  rmSync(file, { force: true });
}
