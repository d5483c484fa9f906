/** Stopping what a crashed run left behind, from the process facts it journalled. */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ProcessInfo } from '../../src/runner-contract.js';
import { isGroupGone } from './process-group.js';
import { hasProcFs } from './proc.js';
import { realClock } from './real-clock.js';
import { stopStepProcesses } from './stop-processes.js';

/** TERM → KILL delay for leftovers (the step's own `killGrace` is not journalled). */
export const leftoverGraceMs = 5_000;

/**
 * Stop what a journalled local process left. Its pid, group and session count only while the pid still
 * has the journalled start time (a reused pid is never killed); processes carrying the journalled run
 * token count in any case, so a setsid child is found after its parent is gone. True when every process
 * found is confirmed gone (none found: already gone).
 */
export async function stopLocalLeftover(info: ProcessInfo, log: Logger): Promise<boolean> {
  const { pid, pgid } = info;
  if (info.host !== hostname()) {
    log.warn({ host: info.host, pid }, 'process ran on another host; cannot stop it from here');
    return false;
  }
  const byTokenOnly = pid === 0 && pgid === 0 && info.runToken !== undefined;
  if (!byTokenOnly && (!Number.isSafeInteger(pgid) || pgid <= 1 || !Number.isSafeInteger(pid) || pid <= 1)) {
    log.warn({ pid, pgid }, 'journalled process ids are not usable');
    return false;
  }
  if (!hasProcFs() && !byTokenOnly) {
    // Without /proc the identity of the process cannot be checked: only report.
    const gone = isGroupGone(pgid);
    if (!gone) log.warn({ pid, pgid }, 'process group still exists; cannot verify it is ours without /proc');
    return gone;
  }
  const stop = await stopStepProcesses({ pid, pgid, sid: info.sid, startTime: info.startTime, runToken: info.runToken }, leftoverGraceMs, realClock);
  log[stop.allGone ? 'info' : 'error']({ pid, pgid, ...stop }, 'leftover processes stopped');
  return stop.allGone;
}
