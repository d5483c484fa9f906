/**
 * Stopping a remote step's processes from a second channel: ssh2's `channel.signal()` is not reliable
 * (OpenSSH ignores it once stdin has ended), so a small script on the host finds every process that is
 * the step's, TERMs (and CONTs) each, waits up to the grace period, KILLs what is left, and reports, pid
 * by pid, what it signalled, what it saw gone and what it could not confirm. It runs on the step's
 * connection, or on a fresh one when that connection is gone.
 *
 * The step's processes are: the members of the cgroup the wrapper made for it (root steps on cgroup v2
 * hosts); the command itself, its process group and its session, and every descendant of those (the
 * parent links are snapshotted before anything is signalled, so a child that called setsid is still
 * found through its parent); and every process whose environment carries the attempt's run token
 * (read from /proc/PID/environ, which survives setsid and reparenting). Snapshots are repeated while
 * waiting, so processes started meanwhile are found too. A zombie counts as gone. Without /proc the
 * host's `ps` gives the process group only.
 */
import { runTokenVariable, type StopMethod, type StopReport } from '../shared/stop-report.js';
import { runScript } from './channel.js';
import { isSshError } from './errors.js';
import type { Lease, LeaseOptions, SshPool } from './pool.js';
import { quoteForShell } from './quote.js';
import type { ResolvedHost } from './resolve.js';

/** After KILL, how long the script waits for the kernel to remove the processes. */
const confirmMs = 5_000;
const tickMs = 100;
/** Ticks between two snapshots while waiting (a snapshot reads every /proc entry). */
const snapshotEveryTicks = 5;
/** A fresh connection for the kill is given at most this long (the host may be unreachable). */
export const reconnectLimitMs = 3_000;
/** A connection that does not open a channel this fast while a step is being stopped is treated as dead. */
const channelOpenMs = 3_000;

export type RemoteStop = StopReport<'TERM' | 'KILL'> & {
  /** Set when the host could not be asked (connection lost, refused …) or the script did not run. */
  error?: { code: string; message: string };
  /** The command's pid now belongs to another process and nothing carries the run token: nothing was signalled. */
  reused?: boolean;
};

/** What the wrapper reported about the command (the journalled ProcessInfo for leftovers). */
export interface RemoteProcessIds {
  pid: number;
  pgid: number;
  sid?: number | undefined;
  /** Kernel start time of `pid`; when given, a pid that now has another start time is not the step's. */
  startTime?: string | undefined;
  runToken?: string | undefined;
  cgroup?: string | undefined;
}

function checkedId(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 1) throw new RangeError(`refusing to signal ${what} ${String(value)}`);
  return value;
}

function methodOf(ids: RemoteProcessIds): StopMethod {
  if (ids.cgroup) return 'cgroup';
  return ids.runToken ? 'session+tree+marker' : 'session+tree';
}

/** The stop script (POSIX sh). Its output: `method …`, `TERM`, `KILL`, `reused`, `signalled …`, `gone …`, `unconfirmed …`. */
export function stopScript(ids: RemoteProcessIds, graceMs: number): string {
  const pid = checkedId(ids.pid, 'process');
  const pgid = checkedId(ids.pgid, 'process group');
  const sid = ids.sid === undefined ? '' : String(checkedId(ids.sid, 'session'));
  const start = ids.startTime !== undefined && /^\d+$/.test(ids.startTime) ? ids.startTime : '';
  if (ids.runToken !== undefined && !/^[0-9a-f]{16,64}$/.test(ids.runToken)) throw new RangeError('run token must be lowercase hex');
  const token = ids.runToken ?? '';
  const cgroup = ids.cgroup ? quoteForShell(ids.cgroup, 'the cgroup path') : "''";
  const graceTicks = Math.ceil(graceMs / tickMs);
  const lastTick = graceTicks + Math.ceil(confirmMs / tickMs);
  return [
    `w=${pid}; g=${pgid}; s=${sid === '' ? "''" : sid}; e=${start === '' ? "''" : start}; k=${token === '' ? "''" : token}; c=${cgroup}`,
    `gt=${graceTicks}; lt=${lastTick}; m=${methodOf(ids)}`,
    'if [ ! -r /proc/$$/stat ]; then',
    // No /proc: the process group as ps sees it, nothing else can be found.
    `  members() { ps -e -o pid= -o pgid= -o stat= 2>/dev/null | awk -v g="$g" '$2 == g && $3 !~ /^Z/ { print $1 }'; }`,
    '  echo "method process-group"; f=$(members); S=',
    '  if [ -n "$f" ]; then',
    '    kill -s TERM -- "-$g" 2>/dev/null && { echo TERM; S=$f; }; kill -s CONT -- "-$g" 2>/dev/null',
    '    n=0',
    '    while [ -n "$(members)" ]; do',
    '      if [ "$n" -eq "$gt" ]; then kill -s KILL -- "-$g" 2>/dev/null && { echo KILL; S=$f; }; fi',
    '      [ "$n" -ge "$lt" ] && break',
    '      sleep 0.1 2>/dev/null || sleep 1; n=$((n + 1))',
    '    done',
    '  fi',
    '  l=$(members); G=; U=',
    '  for p in $f; do case " $(echo $l) " in *" $p "*) U="$U $p" ;; *) G="$G $p" ;; esac; done',
    '  echo "signalled" $S; echo "gone$G"; echo "unconfirmed$U"; [ -z "$U" ]; exit',
    'fi',
    // Trust the pid, group and session numbers unless the pid now has another start time (a reused pid).
    't=1',
    'if [ -n "$e" ] && read -r l 2>/dev/null <"/proc/$w/stat"; then set -- ${l##*) }; [ "${20}" = "$e" ] || t=0; fi',
    // Session members count only when the command (or its group leader) leads the session, as sshd arranges.
    '[ "$s" = "$w" ] || [ "$s" = "$g" ] || s=',
    'F=; S=; sent=; new=; me=',
    // One snapshot: every live process (pid ppid pgid sid start), then the step's set grown to a fixpoint.
    'snap() {',
    '  tab=',
    '  for d in /proc/[0-9]*; do',
    '    read -r l 2>/dev/null <"$d/stat" || continue',
    '    set -- ${l##*) }',
    '    [ "$1" = Z ] && continue',
    '    tab="$tab${d#/proc/} $2 $3 $4 ${20}',
    '"',
    '  done',
    // This script and its ancestors are never the step's, whatever they carry (and nor are its own children).
    '  if [ -z "$me" ]; then',
    '    me=" $$"; x=$$',
    '    while :; do',
    '      pp=',
    '      while read -r p q rest; do [ "$p" = "$x" ] && { pp=$q; break; }; done <<EOT',
    '$tab',
    'EOT',
    '      [ -n "$pp" ] && [ "$pp" != 0 ] || break',
    '      case " $me " in *" $pp "*) break ;; esac',
    '      me="$me $pp"; x=$pp',
    '    done',
    '  fi',
    '  o=; [ "$t" = 1 ] && o=" $w"',
    `  if [ -n "$k" ]; then for f in $(grep -l -s -F "${runTokenVariable}=$k" /proc/[0-9]*/environ); do f=\${f#/proc/}; o="$o \${f%/environ}"; done; fi`,
    '  if [ -n "$c" ] && [ -r "$c/cgroup.procs" ]; then while read -r p; do o="$o $p"; done <"$c/cgroup.procs"; fi',
    '  while :; do',
    '    more=0',
    '    while read -r p pp pg ss st; do',
    '      [ -n "$p" ] || continue',
    '      case " $o " in *" $p "*) continue ;; esac',
    '      case " $me " in *" $p "*) continue ;; esac',
    '      [ "$pp" = "$$" ] && continue',
    '      mine=0',
    '      [ "$t" = 1 ] && { [ "$pg" = "$g" ] || [ "$ss" = "$s" ]; } && mine=1',
    '      case " $o " in *" $pp "*) mine=1 ;; esac',
    '      [ "$mine" = 1 ] && { o="$o $p"; more=1; }',
    '    done <<EOT',
    '$tab',
    'EOT',
    '    [ "$more" = 1 ] || break',
    '  done',
    '  new=',
    '  while read -r p pp pg ss st; do',
    '    [ -n "$p" ] || continue',
    '    case " $o " in *" $p "*) ;; *) continue ;; esac',
    '    case " $me " in *" $p "*) continue ;; esac',
    '    [ "$pp" = "$$" ] && continue',
    '    case " $F " in *" $p:"*) continue ;; esac',
    '    F="$F $p:$st"; new="$new $p"',
    '  done <<EOT',
    '$tab',
    'EOT',
    '}',
    // Deliver a signal pid by pid, remembering who got it; a refused kill (EPERM) stays unconfirmed.
    'hit() {',
    '  sig=$1; shift',
    '  for p in "$@"; do',
    '    kill -s "$sig" "$p" 2>/dev/null || continue',
    '    case " $S " in *" $p "*) ;; *) S="$S $p" ;; esac',
    '    case " $sent " in *" $sig "*) ;; *) sent="$sent $sig"; echo "$sig" ;; esac',
    '    [ "$sig" = TERM ] && kill -s CONT "$p" 2>/dev/null',
    '  done',
    '}',
    'alive() { p=${1%%:*}; st=${1#*:}; read -r l 2>/dev/null <"/proc/$p/stat" || return 1; set -- ${l##*) }; [ "$1" != Z ] && [ "${20}" = "$st" ]; }',
    'snap',
    '[ "$t" = 1 ] || [ -n "$F" ] || echo reused',
    'echo "method $m"',
    'hit TERM $new',
    // The group as a whole too (when it is ours): catches a member forked after the snapshot.
    '[ "$t" = 1 ] && kill -s TERM -- "-$g" 2>/dev/null && kill -s CONT -- "-$g" 2>/dev/null',
    'n=0; r=0',
    'while :; do',
    '  live=; for x in $F; do alive "$x" && live="$live ${x%%:*}"; done',
    '  if [ -z "$live" ]; then',
    // Everything found is gone: one more look for anything started since, before saying so.
    '    snap; r=$((r + 1))',
    '    [ -n "$new" ] && [ "$r" -le 50 ] || break',
    '    if [ "$n" -lt "$gt" ]; then hit TERM $new; else hit KILL $new; fi',
    '    continue',
    '  fi',
    '  if [ "$n" -eq "$gt" ]; then',
    '    hit KILL $live',
    '    [ -n "$c" ] && echo 1 >"$c/cgroup.kill" 2>/dev/null',
    '    [ "$t" = 1 ] && kill -s KILL -- "-$g" 2>/dev/null',
    '  fi',
    '  [ "$n" -ge "$lt" ] && break',
    '  sleep 0.1 2>/dev/null || sleep 1',
    '  n=$((n + 1))',
    `  if [ $((n % ${snapshotEveryTicks})) -eq 0 ] || [ "$n" -eq "$gt" ]; then snap; if [ "$n" -lt "$gt" ]; then hit TERM $new; else hit KILL $new; fi; fi`,
    'done',
    'G=; U=',
    'for x in $F; do if alive "$x"; then U="$U ${x%%:*}"; else G="$G ${x%%:*}"; fi; done',
    '[ -z "$U" ] && [ -n "$c" ] && rmdir "$c" 2>/dev/null',
    'echo "signalled$S"; echo "gone$G"; echo "unconfirmed$U"',
    '[ -z "$U" ]',
  ].join('\n');
}

function pidList(lines: readonly string[], name: string): number[] | undefined {
  const line = lines.find((candidate) => candidate === name || candidate.startsWith(`${name} `));
  if (line === undefined) return undefined;
  return line
    .slice(name.length)
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '')
    .map(Number);
}

/** The script's report; undefined when its output is not a complete report (it did not run as intended). */
export function parseStop(stdout: string): Omit<RemoteStop, 'error'> | undefined {
  const lines = stdout.split('\n').map((line) => line.trim());
  const method = lines.find((line) => line.startsWith('method '))?.slice('method '.length) as StopMethod | undefined;
  const signalled = pidList(lines, 'signalled');
  const gone = pidList(lines, 'gone');
  const unconfirmed = pidList(lines, 'unconfirmed');
  if (method === undefined || signalled === undefined || gone === undefined || unconfirmed === undefined) return undefined;
  const signalsSent = lines.filter((line): line is 'TERM' | 'KILL' => line === 'TERM' || line === 'KILL');
  return {
    method,
    signalsSent: [...new Set(signalsSent)],
    signalled,
    gone,
    unconfirmed,
    allGone: unconfirmed.length === 0,
    ...(lines.includes('reused') ? { reused: true } : {}),
  };
}

export interface StopOptions extends LeaseOptions {
  pool: SshPool;
  host: ResolvedHost;
  /** The step's own connection, tried first. */
  lease?: Lease | undefined;
  process: RemoteProcessIds;
  sudo: boolean;
  graceMs: number;
}

/** Stop the step's processes and confirm; never throws (a failure to reach the host is reported in `error`). */
export async function stopRemoteProcesses(options: StopOptions): Promise<RemoteStop> {
  const script = stopScript(options.process, options.graceMs);
  const command = options.sudo ? `exec sudo -n -- /bin/sh -c ${quoteForShell(script)}` : `exec /bin/sh -c ${quoteForShell(script)}`;
  const budgetMs = options.graceMs + confirmMs + 10_000;
  const unknown = (error: { code: string; message: string }): RemoteStop => ({
    method: methodOf(options.process),
    signalsSent: [],
    signalled: [],
    gone: [],
    unconfirmed: [options.process.pid],
    allGone: false,
    error,
  });

  const attempt = async (lease: Lease): Promise<RemoteStop> => {
    const result = await runScript(lease, command, { openTimeoutMs: channelOpenMs, timeoutMs: budgetMs });
    const stop = parseStop(result.stdout);
    if (stop) return stop;
    // The script did not run as intended (sudo refused, no /bin/sh …): say what the host answered.
    const why = result.stderr.trim().split('\n')[0] || `exit ${String(result.exitCode)}`;
    return unknown({ code: 'STOP_UNCONFIRMED', message: `stopping the processes of pid ${options.process.pid} on ${options.host.label} failed: ${why}` });
  };

  let firstError: unknown;
  if (options.lease?.alive()) {
    try {
      return await attempt(options.lease);
    } catch (error) {
      firstError = error;
      // No channel within seconds on a connection we just used: it is dead, keepalives have not said so yet.
      if (isSshError(error) && error.code === 'CHANNEL_FAILED' && options.lease.alive()) {
        options.lease.discard(`no answer from ${options.host.label} for ${channelOpenMs} ms`);
      }
    }
  }
  // The step's connection is gone or stuck: one bounded try on a fresh connection.
  const host = { ...options.host, connectTimeoutMs: Math.min(options.host.connectTimeoutMs, reconnectLimitMs) };
  let fresh: Lease | undefined;
  try {
    fresh = await options.pool.lease(host, { secret: options.secret, signal: options.signal, fresh: true });
    return await attempt(fresh);
  } catch (error) {
    const reason = isSshError(firstError) ? firstError.message : isSshError(error) ? error.message : String(error);
    const code = isSshError(error) && error.code === 'POOL_CLOSED' ? 'POOL_CLOSED' : 'CONNECTION_LOST';
    return unknown({ code, message: reason });
  } finally {
    fresh?.release();
  }
}
