/**
 * The `ssh` runner: the step's argument array on its target, one host or a group (bounded concurrency,
 * success rule). Remote failures, refused host keys and lost connections are observations, not throws.
 */
import type { Writable } from 'node:stream';
import { withParsedOptions, type AttemptContext, type Observation, type ParsedAttemptContext, type RunnerSettings, type StepRunner } from '../../src/runner-contract.js';
import { sshOptions, type SshOptions } from './definition.js';
import { toObservationError } from './errors.js';
import { runOnHost, type HostCommand, type HostRunContext } from './exec.js';
import { aggregate, groupSignal, mapLimited, type HostOutcome } from './fanout.js';
import { stopSshLeftover } from './leftover.js';
import { createLinePrefixer } from './line-prefix.js';
import type { SshPool } from './pool.js';
import type { ResolvedTarget } from './resolve.js';
import { createSshSession, type SshSession } from './session.js';

/** TERM → KILL delay when the step does not set `killGrace`. */
export const defaultKillGraceMs = 5_000;

export interface SshRunnerOptions {
  /** A pool of the caller's (which then closes it) instead of the one shared by the ssh runners. */
  pool?: SshPool;
}

/** The `ssh` runner; `close()` releases the shared pool (the last ssh runner closed ends its connections). */
export function createSshRunner(settings?: RunnerSettings, options: SshRunnerOptions = {}): StepRunner {
  const session = createSshSession(settings, options.pool);
  return withParsedOptions('ssh', sshOptions, {
    run: (ctx) => runSsh(session, ctx),
    close: () => session.close(),
    stopLeftover: async (info, log, context) => {
      if (!context?.target) {
        log.error({ host: info.host, pgid: info.pgid }, 'cannot stop a remote leftover without its target');
        return false;
      }
      const sudo = sshOptions.safeParse(context.options).data?.sudo ?? false;
      return stopSshLeftover(context.target, info, {
        baseDir: context.baseDir,
        ...(settings ? { settings } : {}),
        ...(context.secret ? { secret: context.secret.bind(context) } : {}),
        sudo,
        log,
      });
    },
  });
}

function hostContext(session: SshSession, ctx: AttemptContext): HostRunContext {
  return {
    pool: session.pool(),
    secret: ctx.secret?.bind(ctx),
    signal: ctx.signal,
    captureLimitBytes: ctx.captureLimitBytes,
    sinks: ctx.sink,
    onProcess: (info) => ctx.onProcess(info),
    log: ctx.log,
    now: () => ctx.clock.now(),
  };
}

async function runSsh(session: SshSession, ctx: ParsedAttemptContext<SshOptions>): Promise<Observation> {
  const { options } = ctx;
  const argv = ctx.argv ?? [];
  if (argv.length === 0 || argv[0] === '') return { error: { code: 'SSH_CONFIG', message: 'ssh: the step has no command to run' } };

  let target: ResolvedTarget;
  try {
    target = await session.target(ctx.target, ctx.baseDir);
  } catch (error) {
    return { error: toObservationError(error, 'SSH_CONFIG') };
  }
  const command: HostCommand = {
    argv,
    sudo: options.sudo ?? false,
    cwd: options.cwd,
    env: options.env,
    input: options.input,
    killGraceMs: options.killGrace ?? defaultKillGraceMs,
  };
  const base = hostContext(session, ctx);
  const [only] = target.hosts;
  if (!target.group && only) return runOnHost(only, command, base);

  const startedAt = ctx.clock.now();
  const relay = groupSignal(ctx.signal, target.hosts.length);
  try {
    const outcomes = await mapLimited(target.hosts, target.concurrency, async (host): Promise<HostOutcome> => {
      // Each host's output is redacted before it is tagged and interleaved with the others': a long line cut
      // by the prefixer, or another host's line in between, must not split a secret out of reach.
      const stdout = perHost(`[${host.label}] `, ctx.sink.stdout, ctx);
      const stderr = perHost(`[${host.label}] `, ctx.sink.stderr, ctx);
      try {
        const observation = await runOnHost(host, command, { ...base, signal: relay.signal, sinks: { stdout: stdout.input, stderr: stderr.input } });
        return { host: host.label, observation, judgement: ctx.judge(observation) };
      } finally {
        await Promise.all([stdout, stderr].map((sink) => sink.end()));
      }
    });
    return aggregate(outcomes, target.rule, Math.round(ctx.clock.now() - startedAt));
  } finally {
    relay.dispose();
  }
}

/** One host's stream: redacted (when the engine offers it), then tagged line by line into the shared sink. */
function perHost(tag: string, sink: Writable, ctx: AttemptContext): { input: Writable; end(): Promise<void> } {
  const prefixer = createLinePrefixer(tag, sink);
  const redacting = ctx.redactStream?.();
  if (!redacting) return { input: prefixer, end: () => new Promise<void>((resolve) => prefixer.end(resolve)) };
  redacting.pipe(prefixer);
  return { input: redacting, end: () => new Promise<void>((resolve) => {
    prefixer.once('finish', () => resolve());
    redacting.end();
  }) };
}
