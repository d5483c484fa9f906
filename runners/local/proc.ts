/** Reading process facts from Linux /proc. Elsewhere these return undefined / empty and callers degrade. */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z (zombie), T … */
  state: string;
  ppid: number;
  pgid: number;
  /** Session id. */
  sid: number;
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
  const ppid = Number(fields[4 - 3]);
  const pgid = Number(fields[5 - 3]);
  const sid = Number(fields[6 - 3]);
  const startTime = fields[22 - 3];
  if (!Number.isInteger(pid) || !state || !Number.isInteger(pgid) || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { pid, state, ppid, pgid, sid, startTime };
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

/** Every process /proc lists, zombies included (empty without /proc). */
export function listProcesses(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat) found.push(stat);
  }
  return found;
}

/** Whether the environment `pid` was started with holds `NAME=VALUE` (false when it cannot be read). */
export function environmentHas(pid: number, name: string, value: string): boolean {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return false;
  }
  const entry = Buffer.from(`${name}=${value}\0`);
  const at = environ.indexOf(entry);
  if (at === 0 || (at > 0 && environ[at - 1] === 0)) return true;
  // The last entry may lack its NUL.
  const tail = Buffer.from(`${name}=${value}`);
  return environ.length >= tail.length && environ.subarray(environ.length - tail.length).equals(tail) && (environ.length === tail.length || environ[environ.length - tail.length - 1] === 0);
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
