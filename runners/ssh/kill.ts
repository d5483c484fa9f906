/**
 * Stopping a remote process group from a second channel: ssh2's `channel.signal()` is not reliable
 * (OpenSSH ignores it once stdin has ended), so a small script on the host sends TERM (and CONT) to the
 * group, waits up to the grace period, sends KILL, and reports whether any live (non-zombie) member is
 * left. It runs on the step's connection, or on a fresh one when that connection is gone.
 */
import { isSshError } from './errors.js';
import { runScript } from './channel.js';
import type { Lease, LeaseOptions, SshPool } from './pool.js';
import { quoteForShell } from './quote.js';
import type { ResolvedHost } from './resolve.js';

/** After KILL, how long the script waits for the kernel to remove the group. */
const confirmMs = 5_000;
const tickMs = 100;
/** A fresh connection for the kill is given at most this long (the host may be unreachable). */
export const reconnectLimitMs = 3_000;
/** A connection that does not open a channel this fast while a step is being stopped is treated as dead. */
const channelOpenMs = 3_000;

export interface RemoteStop {
  /** Confirmed: no live process of the group remains. */
  gone: boolean;
  signalsSent: ('TERM' | 'KILL')[];
  /** Set when the host could not be asked (connection lost, refused …). */
  error?: { code: string; message: string };
  /** The group leader's pid now belongs to another process: nothing was signalled. */
  reused?: boolean;
}

/**
 * The stop script. Zombies do not count: an init that does not reap orphans can keep them forever.
 * `expectedStart`, when given, refuses to signal a group whose leader pid was reused (leftovers).
 */
export function killScript(pgid: number, graceMs: number, expectedStart?: string): string {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new RangeError(`refusing to signal process group ${String(pgid)}`);
  const graceTicks = Math.ceil(graceMs / tickMs);
  const lastTick = graceTicks + Math.ceil(confirmMs / tickMs);
  return [
    `g=${pgid}; e=${expectedStart !== undefined && /^\d+$/.test(expectedStart) ? expectedStart : "''"}`,
    'if command -v ps >/dev/null 2>&1 && command -v awk >/dev/null 2>&1; then',
    `  alive() { ps -e -o pgid= -o stat= 2>/dev/null | awk -v g="$g" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }`,
    'else alive() { kill -s 0 -- "-$g" 2>/dev/null; }; fi',
    'if [ -n "$e" ] && [ -r "/proc/$g/stat" ]; then set -f; read -r l <"/proc/$g/stat"; set -- $l; set +f; [ "${22}" = "$e" ] || { echo reused; exit 3; }; fi',
    'alive || { echo gone; exit 0; }',
    'kill -s TERM -- "-$g" 2>/dev/null && echo TERM; kill -s CONT -- "-$g" 2>/dev/null',
    'n=0',
    'while alive; do',
    `  if [ "$n" -eq ${graceTicks} ]; then kill -s KILL -- "-$g" 2>/dev/null && echo KILL; fi`,
    `  if [ "$n" -ge ${lastTick} ]; then echo alive; exit 1; fi`,
    '  sleep 0.1 2>/dev/null || sleep 1',
    '  n=$((n + 1))',
    'done',
    'echo gone',
  ].join('\n');
}

function parseStop(stdout: string): RemoteStop {
  const lines = stdout.split('\n').map((line) => line.trim());
  const signalsSent = lines.filter((line): line is 'TERM' | 'KILL' => line === 'TERM' || line === 'KILL');
  if (lines.includes('reused')) return { gone: true, signalsSent, reused: true };
  return { gone: lines.includes('gone'), signalsSent };
}

export interface StopOptions extends LeaseOptions {
  pool: SshPool;
  host: ResolvedHost;
  /** The step's own connection, tried first. */
  lease?: Lease | undefined;
  pgid: number;
  sudo: boolean;
  graceMs: number;
  expectedStart?: string | undefined;
}

/** Stop the group and confirm; never throws (a failure to reach the host is reported in `error`). */
export async function stopRemoteGroup(options: StopOptions): Promise<RemoteStop> {
  const script = killScript(options.pgid, options.graceMs, options.expectedStart);
  const command = options.sudo ? `exec sudo -n -- /bin/sh -c ${quoteForShell(script)}` : `exec /bin/sh -c ${quoteForShell(script)}`;
  const budgetMs = options.graceMs + confirmMs + 5_000;

  const attempt = async (lease: Lease): Promise<RemoteStop> => {
    const result = await runScript(lease, command, { openTimeoutMs: channelOpenMs, timeoutMs: budgetMs });
    const stop = parseStop(result.stdout);
    if (!stop.gone && !result.stdout.includes('alive')) {
      // The script did not run as intended (sudo refused, no /bin/sh …): say what the host answered.
      const why = result.stderr.trim().split('\n')[0] ?? `exit ${String(result.exitCode)}`;
      return { ...stop, error: { code: 'STOP_UNCONFIRMED', message: `stopping process group ${options.pgid} on ${options.host.label} failed: ${why}` } };
    }
    return stop;
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
    return { gone: false, signalsSent: [], error: { code, message: reason } };
  } finally {
    fresh?.release();
  }
}
