/** Opening exec channels with a bound, and running short helper scripts (kill, preflight) to completion. */
import type { ClientChannel } from 'ssh2';
import { SshError } from './errors.js';
import type { Lease } from './pool.js';

export interface ExitStatus {
  code?: number;
  /** Signal name without `SIG`. */
  signal?: string;
}

/** An exec channel whose exit status is recorded from the start. */
export interface ExecChannel {
  channel: ClientChannel;
  /** The exit status once the server has sent it. */
  exit: () => ExitStatus | undefined;
  /** Resolves when the exit status arrives. */
  exited: Promise<void>;
}

/**
 * Listen for the exit status inside the open callback itself: on a fast command the server's data,
 * exit-status and close can arrive in the same read as the open confirmation, and ssh2 emits `exit`
 * synchronously, before any awaiting code could attach a listener.
 */
function recordExit(channel: ClientChannel): ExecChannel {
  let status: ExitStatus | undefined;
  const exited = new Promise<void>((resolve) => {
    channel.once('exit', (code: number | null, signal?: string) => {
      status = typeof code === 'number' ? { code } : signal ? { signal: signal.replace(/^SIG/, '') } : {};
      resolve();
    });
  });
  return { channel, exit: () => status, exited };
}

/** Open an exec channel; CHANNEL_FAILED when refused or unanswered within `timeoutMs`, CONNECTION_LOST when the connection is gone. */
export function openExec(lease: Lease, command: string, timeoutMs: number): Promise<ExecChannel> {
  const host = lease.host.label;
  return new Promise((resolve, reject) => {
    if (!lease.alive()) {
      reject(new SshError('CONNECTION_LOST', `connection to ${host} lost (${lease.lostReason() ?? 'closed'})`, { host }));
      return;
    }
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new SshError('CHANNEL_FAILED', `${host} did not open a session channel within ${timeoutMs} ms`, { host }));
    }, timeoutMs);
    const onResult = (error: Error | undefined, channel: ClientChannel): void => {
      clearTimeout(timer);
      if (done) {
        channel?.close();
        return;
      }
      done = true;
      if (!error) return resolve(recordExit(channel));
      if (!lease.alive()) {
        reject(new SshError('CONNECTION_LOST', `connection to ${host} lost (${lease.lostReason() ?? error.message})`, { host, cause: error }));
      } else {
        // "open failed" is what OpenSSH answers past MaxSessions.
        reject(new SshError('CHANNEL_FAILED', `${host} refused a session channel: ${error.message} (MaxSessions reached?)`, { host, cause: error }));
      }
    };
    try {
      lease.client.exec(command, onResult);
    } catch (error) {
      clearTimeout(timer);
      done = true;
      reject(new SshError('CONNECTION_LOST', `connection to ${host} lost (${(error as Error).message})`, { host, cause: error }));
    }
  });
}

export interface ScriptResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Run a short script to its end (stdin closed), at most `timeoutMs` in all. Output is kept up to 64 KiB. */
export async function runScript(lease: Lease, command: string, limits: { openTimeoutMs?: number; timeoutMs: number }): Promise<ScriptResult> {
  const { timeoutMs } = limits;
  const startedAt = performance.now();
  const { channel, exit } = await openExec(lease, command, Math.min(limits.openTimeoutMs ?? timeoutMs, timeoutMs));
  const leftMs = Math.max(1, timeoutMs - (performance.now() - startedAt));
  return new Promise((resolve, reject) => {
    const limit = 64 * 1024;
    let stdout = '';
    let stderr = '';
    channel.on('data', (chunk: Buffer) => {
      if (stdout.length < limit) stdout += chunk.toString('utf8');
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < limit) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      channel.close();
      reject(new SshError(lease.alive() ? 'CHANNEL_FAILED' : 'CONNECTION_LOST', `a helper command on ${lease.host.label} did not finish within ${timeoutMs} ms`, { host: lease.host.label }));
    }, leftMs);
    channel.once('close', () => {
      clearTimeout(timer);
      const exitCode = exit()?.code;
      if (exit() === undefined && !lease.alive()) {
        reject(new SshError('CONNECTION_LOST', `connection to ${lease.host.label} lost (${lease.lostReason() ?? 'closed'})`, { host: lease.host.label }));
      } else {
        resolve({ exitCode, stdout, stderr });
      }
    });
    channel.end();
  });
}
