/** Reading process facts from Linux /proc. Elsewhere these return undefined / empty and callers degrade. */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z (zombie), T … */
  state: string;
  pgid: number;
  /** Field 22: start time in clock ticks since boot; with the pid it names one process for good. */
  startTime: string;
}

/** Parse /proc/<pid>/stat. `comm` may hold spaces and parentheses, so fields are counted after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After ')': field 3 (state) onwards.
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0];
  const pgid = Number(fields[5 - 3]);
  const startTime = fields[22 - 3];
  if (!Number.isInteger(pid) || !state || !Number.isInteger(pgid) || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { pid, state, pgid, startTime };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether /proc can be read here (Linux). */
export function hasProcFs(): boolean {
  return readProcStat(process.pid) !== undefined;
}

/**
 * Live (non-zombie) processes whose process group is `pgid`. Zombies are skipped: an init that does not
 * reap orphans (some containers) leaves them forever, and they can run nothing.
 */
export function listGroupMembers(pgid: number): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(stat);
  }
  return members;
}
