/** Stopping what a crashed run left behind, from the process facts it journalled. */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ProcessInfo } from '../../src/runner-contract.js';
import { isGroupGone, stopProcessGroup } from './process-group.js';
import { hasProcFs, listGroupMembers, readProcStat } from './proc.js';
import { realClock } from './real-clock.js';

/** TERM → KILL delay for leftovers (the step's own `killGrace` is not journalled). */
export const leftoverGraceMs = 5_000;

/**
 * Stop the group of a journalled local process. The leader counts only when its start time matches, so
 * a reused pid is never killed; group members still count after the leader has gone. True when gone.
 */
export async function stopLocalLeftover(info: ProcessInfo, log: Logger): Promise<boolean> {
  const { pid, pgid } = info;
  if (info.host !== hostname()) {
    log.warn({ host: info.host, pid }, 'process ran on another host; cannot stop it from here');
    return false;
  }
  if (!Number.isSafeInteger(pgid) || pgid <= 1 || !Number.isSafeInteger(pid) || pid <= 1) {
    log.warn({ pid, pgid }, 'journalled process ids are not usable');
    return false;
  }
  if (!hasProcFs()) {
    // Without /proc the identity of the process cannot be checked: only report.
    const gone = isGroupGone(pgid);
    if (!gone) log.warn({ pid, pgid }, 'process group still exists; cannot verify it is ours without /proc');
    return gone;
  }
  const leader = readProcStat(pid);
  const leaderLive = leader !== undefined && leader.state !== 'Z';
  if (leaderLive && info.startTime !== undefined && leader.startTime !== info.startTime && leader.pgid === pgid) {
    // The number now leads a newer group: ours ended and the kernel reused it.
    log.info({ pid, pgid }, 'pid reused by another process; the journalled process is gone');
    return true;
  }
  const leaderIsOurs = leaderLive && (info.startTime === undefined ? leader.pgid === pgid : leader.startTime === info.startTime);
  if (!leaderIsOurs && listGroupMembers(pgid).length === 0) return true;

  const stop = await stopProcessGroup(pgid, leftoverGraceMs, realClock);
  log[stop.gone ? 'info' : 'error']({ pid, pgid, signalsSent: stop.signalsSent, gone: stop.gone }, 'leftover process group stopped');
  return stop.gone;
}
