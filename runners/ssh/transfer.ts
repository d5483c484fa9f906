/**
 * The `ssh.put` and `ssh.get` runners: one file over SFTP per host. stdout carries `sha256  path` (the
 * sha256sum format), so `outputs` can pick up the digest; `details` has bytes, digest and both paths.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { withParsedOptions, type AttemptContext, type CapturedStream, type Observation, type RunnerSettings, type StepRunner } from '../../src/runner-contract.js';
import { createCapture } from '../shared/capture.js';
import { prepareDestination } from '../shared/safe-files.js';
import { stepErrorOf } from '../shared/step-error.js';
import { addressOf } from './connect.js';
import { sshGetOptions, sshPutOptions, type SshGetOptions, type SshPutOptions } from './definition.js';
import { isSshError, toObservationError } from './errors.js';
import { aggregate, groupSignal, mapLimited, type HostOutcome } from './fanout.js';
import type { Lease } from './pool.js';
import type { ResolvedHost, ResolvedTarget } from './resolve.js';
import type { SshRunnerOptions } from './run.js';
import { createSshSession, type SshSession } from './session.js';
import { getFile, putFile, type Transferred } from './sftp.js';
import { resolveUserPath, homeOf } from './ssh-config.js';

type Direction = 'put' | 'get';
/** What a transfer was asked for: its direction and its parsed `with`. */
type Request = { direction: 'put'; options: SshPutOptions } | { direction: 'get'; options: SshGetOptions };

interface Transfer {
  direction: Direction;
  local: (host: ResolvedHost) => string;
  remote: string;
  mode: number;
}

export function createSshPutRunner(settings?: RunnerSettings, options: SshRunnerOptions = {}): StepRunner {
  const session = createSshSession(settings, options.pool);
  return withParsedOptions('ssh.put', sshPutOptions, { run: (ctx) => runTransfer(session, ctx, { direction: 'put', options: ctx.options }), close: () => session.close() });
}

export function createSshGetRunner(settings?: RunnerSettings, options: SshRunnerOptions = {}): StepRunner {
  const session = createSshSession(settings, options.pool);
  return withParsedOptions('ssh.get', sshGetOptions, { run: (ctx) => runTransfer(session, ctx, { direction: 'get', options: ctx.options }), close: () => session.close() });
}

function digestLine(transferred: Transferred, path: string, limitBytes: number): CapturedStream {
  const capture = createCapture(limitBytes);
  capture.update(`${transferred.sha256}  ${path}\n`);
  return capture.result();
}

/** A host label as a file-name part (`{host}` in a group's local path). */
function fileSafe(label: string): string {
  return label.replace(/[^A-Za-z0-9._-]/g, '_');
}

function planOf(session: SshSession, ctx: AttemptContext, request: Request, target: ResolvedTarget): Transfer | { error: string } {
  const home = homeOf(session.settings);
  const { direction } = request;
  if (request.direction === 'put') {
    const local = resolveUserPath(request.options.local, ctx.baseDir, home);
    return { direction, local: () => local, remote: request.options.remote, mode: parseInt(request.options.mode ?? '0644', 8) };
  }
  const { local } = request.options;
  if (target.group && !local.includes('{host}')) {
    return { error: `ssh.get on group ${target.name}: \`local\` must contain {host} so each host's file gets its own name` };
  }
  return {
    direction,
    local: (host) => resolve(resolveUserPath(local.replaceAll('{host}', fileSafe(host.label)), ctx.baseDir, home)),
    remote: request.options.remote,
    mode: 0o644,
  };
}

async function transferOne(session: SshSession, ctx: AttemptContext, host: ResolvedHost, plan: Transfer, signal: AbortSignal): Promise<Observation> {
  const startedAt = ctx.clock.now();
  const local = plan.local(host);
  const details: Record<string, unknown> = { host: host.label, address: addressOf(host), direction: plan.direction, local, remote: plan.remote };
  const runner = `ssh.${plan.direction}`;
  if (plan.direction === 'get') {
    try {
      prepareDestination(local, ctx.baseDir, ctx.protectedPaths);
    } catch (error) {
      return { error: stepErrorOf(error, runner) ?? toObservationError(error, 'SFTP_FAILED'), details };
    }
  }
  let lease: Lease;
  try {
    lease = await session.pool().lease(host, { secret: ctx.secret?.bind(ctx), signal });
  } catch (error) {
    if (isSshError(error)) details.hostKey = error.hostKeys.map((key) => ({ ...key }));
    return { error: toObservationError(error), details };
  }
  details.hostKey = lease.hostKeys.map((key) => ({ ...key }));
  try {
    const moved = plan.direction === 'put' ? await putFile(lease, local, plan.remote, plan.mode, signal) : await getFile(lease, plan.remote, local, signal);
    Object.assign(details, moved);
    const shown = plan.direction === 'put' ? plan.remote : local;
    return { exitCode: 0, stdout: digestLine(moved, shown, ctx.captureLimitBytes), durationMs: Math.round(ctx.clock.now() - startedAt), details };
  } catch (error) {
    return { error: stepErrorOf(error, runner) ?? toObservationError(error, 'SFTP_FAILED'), durationMs: Math.round(ctx.clock.now() - startedAt), details };
  } finally {
    lease.release();
  }
}

async function runTransfer(session: SshSession, ctx: AttemptContext, request: Request): Promise<Observation> {
  const { direction } = request;
  let target: ResolvedTarget;
  try {
    target = await session.target(ctx.target, ctx.baseDir);
  } catch (error) {
    return { error: toObservationError(error, 'SSH_CONFIG') };
  }
  const plan = planOf(session, ctx, request, target);
  if ('error' in plan) return { error: { code: 'SSH_CONFIG', message: plan.error } };
  if (direction === 'put') {
    const local = plan.local(target.hosts[0] as ResolvedHost);
    const file = await stat(local).catch(() => undefined);
    if (!file?.isFile()) return { error: { code: 'SSH_CONFIG', message: `ssh.put: local file ${local} does not exist or is not a file` } };
  }
  const [only] = target.hosts;
  if (!target.group && only) return transferOne(session, ctx, only, plan, ctx.signal);
  const startedAt = ctx.clock.now();
  const relay = groupSignal(ctx.signal, target.hosts.length);
  try {
    const outcomes = await mapLimited(target.hosts, target.concurrency, async (host): Promise<HostOutcome> => {
      const observation = await transferOne(session, ctx, host, plan, relay.signal);
      return { host: host.label, observation, judgement: ctx.judge(observation) };
    });
    return aggregate(outcomes, target.rule, Math.round(ctx.clock.now() - startedAt));
  } finally {
    relay.dispose();
  }
}
