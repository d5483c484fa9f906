/**
 * The `ssh.dump` runner: the step's argument array on one ssh host (as the `ssh` runner runs it: quoting,
 * sudo, cwd, env, process-group stop), its standard output streamed into a local file of the export with
 * SHA-256, size and format found in the same pass. The file is put in place only when the command exited
 * 0 and its output ended by itself; anything else removes it and fails the step, so a cut dump never
 * counts. stderr is captured as the `ssh` runner captures it; stdout is a JSON report.
 *
 * One host only: a dump is one file of one database. A group target fails the step; dump each member in
 * its own step.
 */
import { resolve } from 'node:path';
import { type AttemptContext, type DumpFacts, type Observation, type ParsedAttemptContext, type RunnerSettings, type StepRunner, withParsedOptions } from '../../src/runner-contract.js';
import { classifyFormat } from '../shared/formats/formats.js';
import { jsonObservation } from '../shared/json-report.js';
import { prepareDestination } from '../shared/safe-files.js';
import { StepError, stepErrorOf } from '../shared/step-error.js';
import { sshDumpOptions, type SshDumpOptions } from './definition.js';
import { openDumpFile, type DumpFile, type Written } from './dump-file.js';
import { toObservationError } from './errors.js';
import { runOnHost, type HostCommand } from './exec.js';
import { stopSshLeftover } from './leftover.js';
import type { ResolvedHost } from './resolve.js';
import { defaultKillGraceMs, type SshRunnerOptions } from './run.js';
import { createSshSession, type SshSession } from './session.js';
import { homeOf, resolveUserPath } from './ssh-config.js';

const runnerName = 'ssh.dump';

type DumpOptions = SshDumpOptions;

/** The `ssh.dump` runner; shares the ssh connection pool, and stops its leftovers like the `ssh` runner. */
export function createSshDumpRunner(settings?: RunnerSettings, options: SshRunnerOptions = {}): StepRunner {
  const session = createSshSession(settings, options.pool);
  return withParsedOptions(runnerName, sshDumpOptions, {
    run: (ctx) => runDump(session, ctx),
    close: () => session.close(),
    stopLeftover: async (info, log, context) => {
      if (!context?.target) {
        log.error({ host: info.host, pgid: info.pgid }, 'cannot stop a remote leftover without its target');
        return false;
      }
      return stopSshLeftover(context.target, info, {
        baseDir: context.baseDir,
        ...(settings ? { settings } : {}),
        ...(context.secret ? { secret: context.secret.bind(context) } : {}),
        sudo: sshDumpOptions.safeParse(context.options).data?.sudo ?? false,
        log,
      });
    },
  });
}

function commandOf(argv: readonly string[], options: DumpOptions): HostCommand {
  return {
    argv,
    sudo: options.sudo ?? false,
    cwd: options.cwd,
    env: options.env,
    // stdin stays closed: a dump reads nothing.
    input: undefined,
    killGraceMs: options.killGrace ?? defaultKillGraceMs,
  };
}

/** Why the command's output cannot be taken as a whole dump, or undefined when it can. */
function runProblem(observation: Observation, ctx: AttemptContext, host: string): NonNullable<Observation['error']> | undefined {
  const command = ctx.argv?.[0] ?? '';
  if (observation.error) return { code: observation.error.code, message: `${runnerName}: ${observation.error.message}; no file was written` };
  if (ctx.signal.aborted) return { code: 'CANCELLED', message: `${runnerName}: the step was stopped while ${command} ran on ${host}; no file was written` };
  if (observation.exitCode !== 0) {
    const how = observation.exitCode === undefined ? `was ended by signal ${observation.signal ?? '?'}` : `exited ${observation.exitCode}`;
    return { code: 'DUMP_FAILED', message: `${runnerName}: ${command} ${how} on ${host}; no file was written` };
  }
  // The exec layer closes a channel whose output outlives the exit status by its drain time: bytes may be missing.
  if (observation.details?.['outputOpenAfterExit'] === true) {
    return { code: 'DUMP_INCOMPLETE', message: `${runnerName}: the output of ${command} on ${host} was still open after it exited and was cut; no file was written` };
  }
  return undefined;
}

/** The file must hold exactly the bytes the capture saw arrive (a sink the tee dropped would lack some). */
function writeProblem(observation: Observation, written: Written, host: string): NonNullable<Observation['error']> | undefined {
  const received = observation.stdout;
  if (received && received.bytes === written.bytes && received.sha256 === written.sha256) return undefined;
  return { code: 'DUMP_INCOMPLETE', message: `${runnerName}: ${received?.bytes ?? '?'} bytes arrived from ${host} but ${written.bytes} were written; no file was written` };
}

/** Finish the file; put it in place when `problem` is undefined and it holds what arrived, else remove it. */
async function settle(file: DumpFile, observation: Observation, host: string, problem: Observation['error']): Promise<{ written: Written; problem: Observation['error'] }> {
  let written: Written;
  try {
    written = await file.finish(problem === undefined);
  } catch (error) {
    await file.discard();
    const failure = stepErrorOf(error, runnerName) ?? { code: 'DUMP_WRITE_FAILED', message: String(error) };
    return { written: { bytes: 0, sha256: '', head: new Uint8Array(0) }, problem: problem ?? { ...failure, message: `${failure.message}; no file was written` } };
  }
  problem ??= writeProblem(observation, written, host);
  if (problem) {
    await file.discard();
    return { written, problem };
  }
  try {
    await file.place();
    return { written, problem: undefined };
  } catch (error) {
    return { written, problem: stepErrorOf(error, runnerName) ?? { code: 'DUMP_WRITE_FAILED', message: String(error) } };
  }
}

async function prepare(session: SshSession, ctx: ParsedAttemptContext<DumpOptions>): Promise<{ options: DumpOptions; host: ResolvedHost; path: string }> {
  const { options } = ctx;
  if (!ctx.argv?.length || ctx.argv[0] === '') throw new StepError('SSH_CONFIG', 'the step has no command to run');
  let host: ResolvedHost | undefined;
  try {
    const target = await session.target(ctx.target, ctx.baseDir);
    if (target.group) throw new StepError('SSH_CONFIG', `target ${target.name} is a group of ${target.hosts.length} hosts; a dump is one file from one host: name a single host`);
    host = target.hosts[0];
  } catch (error) {
    if (error instanceof StepError) throw error;
    const { code, message } = toObservationError(error, 'SSH_CONFIG');
    throw new StepError(code, message);
  }
  if (!host) throw new StepError('SSH_CONFIG', 'the target names no host');
  const path = resolve(resolveUserPath(options.file, ctx.baseDir, homeOf(session.settings)));
  const existing = prepareDestination(path, ctx.baseDir, ctx.protectedPaths);
  if (existing) {
    if (existing.isDirectory()) throw new StepError('DUMP_FILE_EXISTS', `${options.file} is a folder`);
    if (options.overwrite !== true) throw new StepError('DUMP_FILE_EXISTS', `${options.file} already exists (set overwrite: true to replace it); nothing was run`);
  }
  return { options, host, path };
}

async function runDump(session: SshSession, ctx: ParsedAttemptContext<DumpOptions>): Promise<Observation> {
  const startedAt = ctx.clock.now();
  let plan: Awaited<ReturnType<typeof prepare>>;
  let file: DumpFile;
  try {
    plan = await prepare(session, ctx);
    file = await openDumpFile(plan.path, { overwrite: plan.options.overwrite === true, label: plan.options.file });
  } catch (error) {
    return { error: stepErrorOf(error, runnerName) ?? { code: 'DUMP_WRITE_FAILED', message: `${runnerName}: ${error instanceof Error ? error.message : String(error)}` } };
  }
  const { options, host } = plan;
  let observation: Observation;
  try {
    observation = await runOnHost(host, commandOf(ctx.argv ?? [], options), {
      pool: session.pool(),
      secret: ctx.secret?.bind(ctx),
      signal: ctx.signal,
      captureLimitBytes: ctx.captureLimitBytes,
      sinks: { stdout: file.sink, stderr: ctx.sink.stderr },
      // Journalled under this runner, so `recover` stops it with this step's `sudo`.
      onProcess: (info) => ctx.onProcess({ ...info, runner: runnerName }),
      log: ctx.log,
      now: () => ctx.clock.now(),
    });
  } catch (error) {
    await file.discard();
    throw error;
  }

  const { written, problem } = await settle(file, observation, host.label, runProblem(observation, ctx, host.label));
  const format = await classifyFormat(written.head, options.file);
  const durationMs = Math.round(ctx.clock.now() - startedAt);
  const report = {
    file: options.file,
    written: problem === undefined,
    bytes: written.bytes,
    sha256: written.sha256,
    format,
    host: host.label,
    exitCode: observation.exitCode ?? null,
    ...(observation.signal === undefined ? {} : { signal: observation.signal }),
    durationMs,
  };
  const facts: DumpFacts = { kind: 'dump', file: options.file, host: host.label, bytes: written.bytes, sha256: written.sha256, format, durationMs };
  // Only a dump in place is a fact of the export; a failed one is in the report and the error.
  const details = { ...observation.details, ...(problem ? {} : { exit: facts }) };
  return {
    ...jsonObservation(ctx, report, details, problem),
    ...(observation.exitCode === undefined ? {} : { exitCode: observation.exitCode }),
    ...(observation.signal === undefined ? {} : { signal: observation.signal }),
    ...(observation.stderr ? { stderr: observation.stderr } : {}),
    ...(observation.durationMs === undefined ? {} : { durationMs: observation.durationMs }),
  };
}
