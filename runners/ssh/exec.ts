/**
 * One command on one host: lease a connection, open a channel, stream output through the capture into
 * the sinks, and wait for the exit status, a lost connection, or the step's abort. On abort every process
 * of the step is stopped from a second channel (kill.ts) and checked gone, pid by pid, before this resolves.
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Observation, ProcessInfo } from '../../src/runner-contract.js';
import { createCapture, teeInto } from '../shared/capture.js';
import { unconfirmedMessage } from '../shared/stop-report.js';
import type { SecretLookup } from './auth.js';
import { openExec, type ExecChannel } from './channel.js';
import { addressOf } from './connect.js';
import { SshError, isSshError, toObservationError } from './errors.js';
import type { SeenHostKey } from './fingerprint.js';
import { stopRemoteProcesses, type RemoteStop } from './kill.js';
import { createMarkerFilter } from './marker-filter.js';
import type { Lease, SshPool } from './pool.js';
import { buildRemoteCommand, type RemoteProcess } from './remote-command.js';
import type { ResolvedHost } from './resolve.js';

/** After the exit status, how long output may be quiet before the channel is closed from our side. */
export const outputDrainMs = 500;
/** On abort before the marker arrived: how long to wait for it (the command may be starting). */
const markerWaitMs = 3_000;
/** After a confirmed stop, how long to wait for the channel to report the exit. */
const exitAfterStopMs = 2_000;
const channelOpenMs = 10_000;

export interface HostCommand {
  argv: readonly string[];
  sudo: boolean;
  cwd?: string | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  input?: string | undefined;
  killGraceMs: number;
}

export interface HostRunContext {
  pool: SshPool;
  secret?: SecretLookup | undefined;
  signal: AbortSignal;
  captureLimitBytes: number;
  sinks: { stdout: Writable; stderr: Writable };
  onProcess(info: ProcessInfo): void;
  log: Logger;
  now(): number;
}

type Ending =
  | { kind: 'closed' }
  | { kind: 'lost'; reason: string }
  | { kind: 'abort' };

function hostKeyDetails(keys: readonly SeenHostKey[]): Record<string, unknown>[] {
  return keys.map((key) => ({ ...key }));
}

function delay(ms: number): { promise: Promise<'timeout'>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** The step's abort, or an internal one (the engine could not journal the process): either stops the command. */
function stopRequest(signal: AbortSignal): { promise: Promise<'abort'>; request(): void; dispose(): void } {
  let request = (): void => {};
  const promise = new Promise<'abort'>((resolve) => {
    request = () => resolve('abort');
  });
  if (signal.aborted) request();
  signal.addEventListener('abort', request, { once: true });
  return { promise, request, dispose: () => signal.removeEventListener('abort', request) };
}

/** Run `command` on `host`. Never throws for remote or network failures: they are in `observation.error`. */
export async function runOnHost(host: ResolvedHost, command: HostCommand, ctx: HostRunContext): Promise<Observation> {
  const startedAt = ctx.now();
  const details: Record<string, unknown> = { host: host.label, address: addressOf(host), user: host.user, sudo: command.sudo };
  const nonce = randomBytes(8).toString('hex');
  const token = randomBytes(16).toString('hex');
  let line: string;
  try {
    line = buildRemoteCommand(command.argv, { sudo: command.sudo, cwd: command.cwd, env: command.env, nonce, token });
  } catch (error) {
    return { error: toObservationError(error, 'SSH_CONFIG'), details };
  }
  if (ctx.signal.aborted) return { error: { code: 'CANCELLED', message: `${command.argv[0] ?? ''} was not started on ${host.label}: the step was stopped first` }, details };

  let lease: Lease;
  try {
    lease = await ctx.pool.lease(host, { secret: ctx.secret, signal: ctx.signal });
  } catch (error) {
    if (isSshError(error)) details.hostKey = hostKeyDetails(error.hostKeys);
    return { error: toObservationError(error), details, durationMs: Math.round(ctx.now() - startedAt) };
  }
  details.hostKey = hostKeyDetails(lease.hostKeys);
  details.connectMs = Math.round(lease.connectMs);
  try {
    return await runOnLease({ lease, host, line, nonce, token, command, ctx, details });
  } finally {
    lease.release();
  }
}

interface LeaseRun {
  lease: Lease;
  host: ResolvedHost;
  /** The full command line and the nonce of its marker. */
  line: string;
  nonce: string;
  /** The run token every process of the step carries in its environment. */
  token: string;
  command: HostCommand;
  ctx: HostRunContext;
  details: Record<string, unknown>;
}

async function runOnLease({ lease, host, line, nonce, token, command, ctx, details }: LeaseRun): Promise<Observation> {
  const abort = stopRequest(ctx.signal);
  let exec: ExecChannel;
  try {
    exec = await Promise.race([openExec(lease, line, channelOpenMs), abort.promise]).then((value) => {
      if (value === 'abort') throw new SshError('CANCELLED', `the step was stopped before ${host.label} opened a channel`, { host: host.label });
      return value;
    });
  } catch (error) {
    abort.dispose();
    return { error: toObservationError(error, 'CHANNEL_FAILED'), details };
  }

  const { channel } = exec;
  let process: RemoteProcess | undefined;
  let processError: unknown;
  let markerSeen = (): void => {};
  const markerPromise = new Promise<void>((resolve) => {
    markerSeen = resolve;
  });
  let runStartedAt = ctx.now();
  const filter = createMarkerFilter(nonce, (found) => {
    process = found;
    runStartedAt = ctx.now();
    details.pid = found.pid;
    details.pgid = found.pgid;
    if (found.cgroup !== undefined) details.cgroup = found.cgroup;
    try {
      ctx.onProcess({
        runner: 'ssh',
        host: host.label,
        pid: found.pid,
        pgid: found.pgid,
        ...(found.sid === undefined ? {} : { sid: found.sid }),
        ...(found.startTime === undefined ? {} : { startTime: found.startTime }),
        runToken: token,
        ...(found.cgroup === undefined ? {} : { cgroup: found.cgroup }),
        argv: [...command.argv],
      });
    } catch (error) {
      processError = error;
      abort.request();
    }
    markerSeen();
  });
  const stdout = createCapture(ctx.captureLimitBytes);
  const stderr = createCapture(ctx.captureLimitBytes);
  channel.stderr.pipe(filter);
  const tees = [teeInto(channel, stdout, ctx.sinks.stdout), teeInto(filter, stderr, ctx.sinks.stderr)];

  let exitAt: number | undefined;
  void exec.exited.then(() => {
    exitAt = ctx.now();
  });
  const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
  channel.end(command.input ?? '');

  // A background process holding the pipes keeps the channel open after the exit status.
  let settled = false;
  let cancelDrain = (): void => {};
  // OpenSSH may send the exit status with megabytes of output still in flight: only quiet that we did not
  // cause (a paused stream is our own backpressure) means the rest is held by a background process.
  let lastOutputAt = ctx.now();
  const noteOutput = (): void => {
    lastOutputAt = ctx.now();
  };
  channel.on('data', noteOutput);
  channel.stderr.on('data', noteOutput);
  const drained = exec.exited.then(async () => {
    for (;;) {
      if (settled) return 'drained' as const;
      const quietMs = channel.isPaused() || channel.stderr.isPaused() ? 0 : ctx.now() - lastOutputAt;
      if (quietMs >= outputDrainMs) return 'drained' as const;
      const wait = delay(outputDrainMs - quietMs);
      cancelDrain = wait.cancel;
      await wait.promise;
    }
  });

  const ending = async (): Promise<Ending> => {
    const first = await Promise.race([closed.then(() => 'closed' as const), lease.lost.then((reason) => ({ reason })), abort.promise, drained]);
    if (first === 'closed') return !exec.exit() && !lease.alive() ? { kind: 'lost', reason: lease.lostReason() ?? 'closed' } : { kind: 'closed' };
    if (first === 'drained') {
      details.outputOpenAfterExit = true;
      channel.close();
      return { kind: 'closed' };
    }
    if (first === 'abort') return { kind: 'abort' };
    return { kind: 'lost', reason: first.reason };
  };

  let stop: RemoteStop | undefined;
  const stopGroup = async (): Promise<RemoteStop | undefined> => {
    if (!process) {
      const wait = delay(markerWaitMs);
      await Promise.race([markerPromise, closed, wait.promise]);
      wait.cancel();
    }
    if (exec.exit() || !process) return undefined;
    const result = await stopRemoteProcesses({
      pool: ctx.pool,
      host,
      lease,
      process: { ...process, runToken: token },
      sudo: command.sudo,
      graceMs: command.killGraceMs,
      secret: ctx.secret,
    });
    const level = result.allGone ? (result.signalsSent.includes('KILL') ? 'warn' : 'info') : 'error';
    const { error: _error, ...report } = result;
    ctx.log[level]({ host: host.label, pid: process.pid, ...report }, 'remote command stopped');
    return result;
  };

  try {
    let end = await ending();
    if (end.kind === 'abort') {
      stop = await stopGroup();
      if (!stop?.error) {
        const wait = delay(exitAfterStopMs);
        await Promise.race([closed, wait.promise]);
        wait.cancel();
      }
      if (!exec.exit() && (!lease.alive() || stop?.error?.code === 'CONNECTION_LOST')) {
        end = { kind: 'lost', reason: lease.lostReason() ?? stop?.error?.message ?? 'closed' };
      }
    } else if (end.kind === 'lost') {
      // The outcome is unknown; the command may still run. Try to stop it over a fresh connection.
      stop = await stopGroup();
    }
    channel.close();
    const drain = delay(outputDrainMs);
    await Promise.race([Promise.all(tees.map((tee) => tee.done)), drain.promise]);
    drain.cancel();
    for (const tee of tees) if (!tee.finished) tee.detach();
    if (processError !== undefined) {
      throw processError instanceof Error ? processError : new Error('recording the remote process failed', { cause: processError });
    }

    const exit = exec.exit();
    const observation: Observation = {
      stdout: stdout.result(),
      stderr: stderr.result(),
      durationMs: Math.round((exitAt ?? ctx.now()) - runStartedAt),
      details,
    };
    if (exit?.code !== undefined) observation.exitCode = exit.code;
    if (exit?.signal !== undefined) observation.signal = exit.signal;
    if (stop) {
      const { method, signalsSent, signalled, gone, unconfirmed, allGone } = stop;
      details.stop = { method, signalsSent, signalled, gone, unconfirmed, allGone };
    }
    if (end.kind === 'lost') {
      observation.error = { code: 'CONNECTION_LOST', message: lostMessage(host, end.reason, process, stop) };
    } else if (stop && !stop.allGone) {
      observation.error = stop.error ?? { code: 'STOP_UNCONFIRMED', message: unconfirmedMessage(stop, `on ${host.label}`) };
    } else if (end.kind === 'abort' && !process && !exit) {
      observation.error = { code: 'CANCELLED', message: `the step was stopped before the command reported its process on ${host.label}` };
    }
    return observation;
  } finally {
    settled = true;
    cancelDrain();
    abort.dispose();
  }
}

function lostMessage(host: ResolvedHost, reason: string, process: RemoteProcess | undefined, stop: RemoteStop | undefined): string {
  const base = `connection to ${host.label} (${addressOf(host)}) lost while the command ran: ${reason}`;
  if (!process) return `${base}; the command may not have started`;
  if (stop?.allGone) return `${base}; its processes were then stopped over a new connection`;
  if (stop && !stop.error) return `${base}; over a new connection ${unconfirmedMessage(stop, `on ${host.label}`)}`;
  return `${base}; its process group ${process.pgid} may still be running on the host (it could not be reached to stop it)`;
}
