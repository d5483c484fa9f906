/**
 * Stopping a whole process group and confirming it is gone. Every local command leads its own group
 * (spawned detached), so `kill(-pgid)` reaches the shell, its children and their children alike.
 */
import type { AttemptClock } from '../../src/runner-contract.js';
import { hasProcFs, listGroupMembers } from './proc.js';

/** How long to wait for the kernel to remove a group after SIGKILL before reporting it as not confirmed. */
export const killConfirmMs = 5_000;

const notCancelled = new AbortController().signal;

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** Send `signal` to every process of the group; false when the group does not exist (ESRCH). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new RangeError(`refusing to signal process group ${String(pgid)}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ESRCH') return false;
    throw error;
  }
}

/**
 * True when no live process has this process group. `kill(-pgid, 0)` alone is not enough: it also
 * succeeds for zombies, which an init that does not reap orphans can keep forever.
 */
export function isGroupGone(pgid: number): boolean {
  try {
    if (!signalGroup(pgid, 0)) return true;
  } catch (error) {
    // EPERM: members exist that we may not signal.
    if (errorCode(error) === 'EPERM') return false;
    throw error;
  }
  return hasProcFs() && listGroupMembers(pgid).length === 0;
}

/** Poll (5 ms, doubling to 100 ms) until the group is gone or `limitMs` has passed on `clock`. */
export async function waitGroupGone(pgid: number, limitMs: number, clock: AttemptClock): Promise<boolean> {
  const startedAt = clock.now();
  let pauseMs = 5;
  for (;;) {
    if (isGroupGone(pgid)) return true;
    const leftMs = limitMs - (clock.now() - startedAt);
    if (leftMs <= 0) return false;
    await clock.sleep(Math.min(pauseMs, leftMs), notCancelled);
    pauseMs = Math.min(pauseMs * 2, 100);
  }
}

export interface GroupStop {
  /** Confirmed: no live process of the group remains. */
  gone: boolean;
  /** Signals actually delivered, in order. */
  signalsSent: ('SIGTERM' | 'SIGKILL')[];
}

/** TERM the group (with CONT, so stopped members see it), wait up to `graceMs`, KILL, confirm. */
export async function stopProcessGroup(pgid: number, graceMs: number, clock: AttemptClock): Promise<GroupStop> {
  const signalsSent: GroupStop['signalsSent'] = [];
  if (isGroupGone(pgid)) return { gone: true, signalsSent };
  // ESRCH on either signal means nothing (not even a zombie) is left.
  if (!signalGroup(pgid, 'SIGTERM')) return { gone: true, signalsSent };
  signalsSent.push('SIGTERM');
  signalGroup(pgid, 'SIGCONT');
  if (await waitGroupGone(pgid, graceMs, clock)) return { gone: true, signalsSent };
  if (!signalGroup(pgid, 'SIGKILL')) return { gone: true, signalsSent };
  signalsSent.push('SIGKILL');
  return { gone: await waitGroupGone(pgid, killConfirmMs, clock), signalsSent };
}
