/**
 * Stopping every process of a local step, not only its process group. A child that called setsid has
 * left the group (and the session) but is still the step's: it is found through its parent (the parent
 * links are read before anything is signalled, since an orphan is reparented to init) and through the
 * run token every process of the step inherits in its environment (/proc/PID/environ keeps it through
 * setsid and reparenting). Each process is signalled by pid, and each is checked gone by pid and start
 * time, so the report never claims more than was seen. Without /proc only the process group is known.
 */
import type { AttemptClock } from '../../src/runner-contract.js';
import { runTokenVariable, type StopMethod, type StopReport } from '../shared/stop-report.js';
import { killConfirmMs, signalGroup, stopProcessGroup } from './process-group.js';
import { environmentHas, hasProcFs, listProcesses, readProcStat, type ProcStat } from './proc.js';

export type LocalStop = StopReport<'SIGTERM' | 'SIGKILL'>;

/** What the runner knows about the command it started (or the journal, for a leftover). */
export interface LocalProcessIds {
  pid: number;
  pgid: number;
  sid?: number | undefined;
  /** When given, a pid with another start time is not the step's (and neither are its group and session). */
  startTime?: string | undefined;
  runToken?: string | undefined;
}

const notCancelled = new AbortController().signal;
/** After everything found is gone, look again this many times for processes started meanwhile. */
const maxRescans = 50;

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** This process and its ancestors: never the step's, whatever their environment says. */
function selfAndAncestors(table: ReadonlyMap<number, ProcStat>): Set<number> {
  const mine = new Set<number>();
  for (let pid: number | undefined = process.pid; pid !== undefined && pid > 0 && !mine.has(pid); pid = table.get(pid)?.ppid) mine.add(pid);
  return mine;
}

/** The step's live processes now: pid, group, session (when ours), run token, and every descendant of those. */
function findStepProcesses(ids: LocalProcessIds, trusted: boolean): ProcStat[] {
  const table = new Map(listProcesses().map((stat) => [stat.pid, stat]));
  const excluded = selfAndAncestors(table);
  const live = [...table.values()].filter((stat) => stat.state !== 'Z' && stat.state !== 'X' && !excluded.has(stat.pid));
  // A session counts only when the command leads it (it was started with setsid).
  const sid = ids.sid !== undefined && (ids.sid === ids.pid || ids.sid === ids.pgid) ? ids.sid : undefined;
  const ours = new Set<number>();
  for (const stat of live) {
    const byIds = trusted && (stat.pid === ids.pid || stat.pgid === ids.pgid || (sid !== undefined && stat.sid === sid));
    if (byIds || (ids.runToken !== undefined && environmentHas(stat.pid, runTokenVariable, ids.runToken))) ours.add(stat.pid);
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const stat of live) {
      if (!ours.has(stat.pid) && ours.has(stat.ppid)) {
        ours.add(stat.pid);
        grew = true;
      }
    }
  }
  return live.filter((stat) => ours.has(stat.pid));
}

function isAlive(pid: number, startTime: string): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === startTime;
}

/**
 * TERM (and CONT) every process of the step, wait up to `graceMs`, KILL what is left, confirm (at most
 * `killConfirmMs` after KILL). Never throws for a process that is gone or not ours to signal.
 */
export async function stopStepProcesses(ids: LocalProcessIds, graceMs: number, clock: AttemptClock): Promise<LocalStop> {
  // pid 0 with a run token: the command's start was journalled but not its pid (a crash came in between).
  const byTokenOnly = ids.pid === 0 && ids.pgid === 0 && ids.runToken !== undefined;
  if (!byTokenOnly && (!Number.isSafeInteger(ids.pgid) || ids.pgid <= 1 || !Number.isSafeInteger(ids.pid) || ids.pid <= 1)) {
    throw new RangeError(`refusing to signal process ${String(ids.pid)} / group ${String(ids.pgid)}`);
  }
  if (byTokenOnly && !hasProcFs()) return { method: 'session+tree+marker', signalsSent: [], signalled: [], gone: [], unconfirmed: [], allGone: false };
  if (!hasProcFs()) {
    const stop = await stopProcessGroup(ids.pgid, graceMs, clock);
    return { method: 'process-group', signalsSent: stop.signalsSent, signalled: [], gone: [], unconfirmed: stop.gone ? [] : [ids.pgid], allGone: stop.gone };
  }
  const leader = byTokenOnly ? undefined : readProcStat(ids.pid);
  // A pid reused by another process: its group and session numbers are not ours either (ours are gone).
  const trusted = !byTokenOnly && (leader === undefined || (ids.startTime !== undefined ? leader.startTime === ids.startTime : leader.pgid === ids.pgid));
  const method: StopMethod = ids.runToken === undefined ? 'session+tree' : 'session+tree+marker';
  const found = new Map<number, string>();
  const signalled = new Set<number>();
  const signalsSent: LocalStop['signalsSent'] = [];
  let phase: 'SIGTERM' | 'SIGKILL' = 'SIGTERM';

  const deliver = (pid: number, signal: 'SIGTERM' | 'SIGKILL'): void => {
    try {
      process.kill(pid, signal);
    } catch (error) {
      // Gone already (ESRCH), or not ours to signal (EPERM): the check below decides what it was.
      if (errorCode(error) === 'ESRCH' || errorCode(error) === 'EPERM') return;
      throw error;
    }
    signalled.add(pid);
    if (!signalsSent.includes(signal)) signalsSent.push(signal);
    if (signal === 'SIGTERM') {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone meanwhile.
      }
    }
  };
  const groupSignal = (signal: NodeJS.Signals): void => {
    if (!trusted) return;
    try {
      signalGroup(ids.pgid, signal);
    } catch {
      // EPERM: members we may not signal; they stay unconfirmed.
    }
  };
  /** Look again; signal what is new with the current phase. True when something new was found. */
  const scan = (): boolean => {
    let grew = false;
    for (const stat of findStepProcesses(ids, trusted)) {
      if (found.has(stat.pid)) continue;
      found.set(stat.pid, stat.startTime);
      grew = true;
      deliver(stat.pid, phase);
    }
    return grew;
  };
  const live = (): number[] => [...found].filter(([pid, start]) => isAlive(pid, start)).map(([pid]) => pid);

  scan();
  groupSignal('SIGTERM');
  groupSignal('SIGCONT');
  const startedAt = clock.now();
  let killedAt: number | undefined;
  let pauseMs = 5;
  let rescans = 0;
  for (;;) {
    const left = live();
    if (left.length === 0) {
      // Everything found is gone: one more look for anything started since, before saying so.
      rescans += 1;
      if (rescans > maxRescans || !scan()) break;
      continue;
    }
    const elapsed = clock.now() - startedAt;
    if (killedAt === undefined && elapsed >= graceMs) {
      phase = 'SIGKILL';
      for (const pid of left) deliver(pid, 'SIGKILL');
      groupSignal('SIGKILL');
      killedAt = clock.now();
    }
    if (killedAt !== undefined && clock.now() - killedAt >= killConfirmMs) break;
    const waitMs = killedAt === undefined ? graceMs - elapsed : killConfirmMs - (clock.now() - killedAt);
    await clock.sleep(Math.max(1, Math.min(pauseMs, waitMs)), notCancelled);
    pauseMs = Math.min(pauseMs * 2, 100);
    scan();
  }
  const unconfirmed = live();
  const all = [...found.keys()];
  return {
    method,
    signalsSent,
    signalled: all.filter((pid) => signalled.has(pid)),
    gone: all.filter((pid) => !unconfirmed.includes(pid)),
    unconfirmed,
    allGone: unconfirmed.length === 0,
  };
}
