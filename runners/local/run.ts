/**
 * The `local` runner: one argument array on this machine, no shell, in its own session and process
 * group, with the attempt's run token in its environment. Stopping a step stops every process of it
 * (group, session, descendants, run token: see stop-processes.ts) and resolves only once each is seen
 * gone, or reports those it could not confirm.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { execa } from 'execa';
import type { AttemptClock, Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { createCapture, teeInto, type Tee } from '../shared/capture.js';
import { runTokenVariable, unconfirmedMessage } from '../shared/stop-report.js';
import type { LocalOptions } from './definition.js';
import { stopLocalLeftover } from './leftover.js';
import { killConfirmMs } from './process-group.js';
import { readProcStat } from './proc.js';
import { stopStepProcesses, type LocalProcessIds, type LocalStop } from './stop-processes.js';
import { spawnFailure } from './spawn-failure.js';
import { whenAborted } from './when-aborted.js';

/** TERM → KILL delay when the step does not set `killGrace`. */
export const defaultKillGraceMs = 5_000;

/**
 * How long output is still read after the command exited while something else keeps its pipes open
 * (typically a background process it started). After that the pipes are drained and discarded.
 */
export const outputDrainMs = 500;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** The `local` runner. */
export function createLocalRunner(): TypedStepRunner<LocalOptions> {
  return { run: runLocal, stopLeftover: stopLocalLeftover };
}

async function runLocal(ctx: ParsedAttemptContext<LocalOptions>): Promise<Observation> {
  const { options } = ctx;
  const argv = ctx.argv ?? [];
  const [file, ...args] = argv;
  if (file === undefined || file === '') return { error: { code: 'NO_COMMAND', message: 'local: the step has no command to run' } };
  if (ctx.signal.aborted) return { error: { code: 'CANCELLED', message: `${file} was not started: the step was stopped first` } };

  const graceMs = options.killGrace ?? defaultKillGraceMs;
  const cwd = resolve(ctx.baseDir, options.cwd ?? '.');
  const cwdProblem = checkFolder(cwd);
  if (cwdProblem) return { error: { code: cwdProblem.code, message: `cannot run ${file}: working folder ${cwd} ${cwdProblem.text}` } };

  // Before spawning: nothing may throw between the spawn and the stop handling below.
  const stdout = createCapture(ctx.captureLimitBytes);
  const stderr = createCapture(ctx.captureLimitBytes);
  const token = randomBytes(16).toString('hex');
  // Announced first: should drillbook die before it learns the pid, recover finds the process by its token.
  ctx.onProcessStarting?.({ runner: 'local', host: hostname(), runToken: token });
  const subprocess = execa(file, args, {
    cwd,
    // The step's environment (never all of drillbook's), its own `env` on top, the run token last, so a
    // step cannot hide its processes from the stop.
    env: { ...ctx.env, ...options.env, [runTokenVariable]: token },
    extendEnv: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    // Its own process group (setsid), so a stop reaches every descendant that did not leave it.
    detached: true,
    cleanup: false,
    forceKillAfterDelay: false,
    windowsHide: true,
  });
  const pid = subprocess.pid;
  if (pid === undefined) return { error: spawnFailure(file, await subprocess) };
  // Settles once all streams end, which a leftover holding a pipe may prevent; we rely on 'exit' instead.
  subprocess.then(
    () => undefined,
    () => undefined,
  );
  const exited = new Promise<Exit>((resolveExit) => {
    subprocess.once('exit', (code, signal) => {
      resolveExit({ code, signal });
    });
  });

  // Read synchronously now: the process cannot have been reaped yet, so the start time is its own.
  const startTime = readProcStat(pid)?.startTime;
  // Detached: the command leads its own session and group.
  const ids: LocalProcessIds = { pid, pgid: pid, sid: pid, startTime, runToken: token };
  try {
    ctx.onProcess({ runner: 'local', host: hostname(), pid, pgid: pid, sid: pid, ...(startTime === undefined ? {} : { startTime }), runToken: token, argv: [...argv] });
  } catch (error) {
    await stopStepProcesses(ids, 0, ctx.clock);
    throw error;
  }
  ctx.log.debug({ pid, cwd }, 'local command started');

  const tees = [teeInto(subprocess.stdout, stdout, ctx.sink.stdout), teeInto(subprocess.stderr, stderr, ctx.sink.stderr)];

  const abort = whenAborted(ctx.signal);
  let stop: LocalStop | undefined;
  let exit: Exit | undefined;
  try {
    const first = await Promise.race([exited, abort.promise.then(() => 'abort' as const)]);
    if (first === 'abort') stop = await stopAll(ctx, ids, graceMs);
    else exit = first;

    let output = await settleOutput(tees, ctx.clock, stop ? undefined : abort.promise);
    if (output === 'aborted') {
      // Stopped while still reading output: whatever of the group is left goes too.
      stop = await stopAll(ctx, ids, graceMs);
      output = await settleOutput(tees, ctx.clock, undefined);
    }
    if (output === 'open') {
      for (const tee of tees) tee.detach();
      ctx.log.warn({ pid }, 'output pipes still open after the command exited (a background process holds them); no longer captured');
    }
    exit ??= await within(exited, killConfirmMs, ctx.clock);

    const observation: Observation = { stdout: stdout.result(), stderr: stderr.result(), details: { pid } };
    if (exit?.code !== null && exit?.code !== undefined) observation.exitCode = exit.code;
    if (exit?.signal) observation.signal = exit.signal;
    if (output === 'open') observation.details = { ...observation.details, outputOpenAfterExit: true };
    if (stop) {
      observation.details = { ...observation.details, stopped: true, signalsSent: stop.signalsSent, stop };
      if (!stop.allGone) observation.error = { code: 'STOP_UNCONFIRMED', message: unconfirmedMessage(stop, `(${file})`) };
    }
    return observation;
  } finally {
    abort.dispose();
  }
}

async function stopAll(ctx: Pick<ParsedAttemptContext<LocalOptions>, 'clock' | 'log'>, ids: LocalProcessIds, graceMs: number): Promise<LocalStop> {
  const stop = await stopStepProcesses(ids, graceMs, ctx.clock);
  const level = stop.allGone ? (stop.signalsSent.includes('SIGKILL') ? 'warn' : 'info') : 'error';
  ctx.log[level]({ pid: ids.pid, ...stop }, 'local command stopped');
  return stop;
}

/** Wait for both output streams to end: 'ended', 'open' after `outputDrainMs`, or 'aborted'. */
async function settleOutput(tees: Tee[], clock: AttemptClock, aborted: Promise<void> | undefined): Promise<'ended' | 'open' | 'aborted'> {
  if (tees.every((tee) => tee.finished)) return 'ended';
  const timer = new AbortController();
  try {
    return await Promise.race([
      Promise.all(tees.map((tee) => tee.done)).then(() => 'ended' as const),
      clock.sleep(outputDrainMs, timer.signal).then(
        () => 'open' as const,
        () => 'open' as const,
      ),
      ...(aborted ? [aborted.then(() => 'aborted' as const)] : []),
    ]);
  } finally {
    timer.abort();
  }
}

/** The value of `promise`, or undefined when it takes longer than `limitMs`. */
async function within<T>(promise: Promise<T>, limitMs: number, clock: AttemptClock): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      clock.sleep(limitMs, timer.signal).then(
        () => undefined,
        () => undefined,
      ),
    ]);
  } finally {
    timer.abort();
  }
}

/** Node reports a missing cwd as ENOENT of the command itself; name the folder instead. */
function checkFolder(path: string): { code: string; text: string } | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : { code: 'ENOTDIR', text: 'is not a folder' };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || typeof code !== 'string') return { code: 'ENOENT', text: 'does not exist' };
    return { code, text: `cannot be used (${code})` };
  }
}
