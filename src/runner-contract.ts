/**
 * The runner contract: the only part of drillbook a runner depends on.
 * A runner performs one attempt of one step and returns what it observed; the engine judges and times.
 */
import type { Transform, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { z, type ZodType } from 'zod';
import { parseDuration } from './scenario/duration.js';
import type { AnswerRecord } from './evidence/run-record.js';
import type { Approvers, RunnerRole, Target } from './scenario/types.js';

// What a runner may know of targets, durations and exits, from here and nowhere else.
export type { RunnerRole, Target } from './scenario/types.js';
export { sshTargetDefaults, sshTargetSchema, type SshJumpOptions, type SshTargetOptions } from './scenario/targets/ssh.js';
export { s3TargetDefaults, s3TargetSchema, type S3TargetOptions } from './scenario/targets/s3.js';
export { formatDuration, parseDuration } from './scenario/duration.js';
export { approversSchema, normalizeApprovers, quorumTooLarge, type Approvers } from './scenario/approvers.js';
// What an exporting runner reports in `details.exit`, and the file formats it may name.
export type { DumpFacts, ExportFacts, FormatTally, GapName, KeyList, ManifestEntry, ReimportFacts, Volume } from './exit-readiness/facts.js';
export { gapNames, isGap, keyListLimit, quoteKeys } from './exit-readiness/facts.js';
export { formatCount, formatSize } from './scenario/size.js';
export { formatIds, sniffBytes, type FormatId } from './exit-readiness/format-ids.js';

/** A bounded capture of one output stream plus the digest of everything the stream carried. */
export interface CapturedStream {
  /** The first `captureLimitBytes` bytes, decoded as UTF-8. */
  text: string;
  /** Total bytes the stream carried. */
  bytes: number;
  truncated: boolean;
  /** Hex SHA-256 of the full raw stream. */
  sha256: string;
}

/** A process a runner started, journalled so that `recover` can stop it after a crash. */
export interface ProcessInfo {
  runner: string;
  host: string;
  pid: number;
  /** Process group to signal; the runner starts every command in its own group. */
  pgid: number;
  /** Session id, when the command leads its own session (local commands, ssh sessions). */
  sid?: number;
  /** Kernel start time of the process (clock ticks since boot), so a reused pid is never killed. */
  startTime?: string;
  /**
   * Value of DRILLBOOK_RUN_TOKEN in the environment of everything the attempt started: finds the
   * processes that left the group (setsid, daemons) and, being random, never matches another's.
   */
  runToken?: string;
  /** cgroup the runner put the command in, when it made one (all of the attempt's processes are in it). */
  cgroup?: string;
  argv: string[];
}

/** What one attempt observed. Runners fill what applies to them. */
export interface Observation {
  exitCode?: number;
  signal?: string;
  stdout?: CapturedStream;
  stderr?: CapturedStream;
  /** HTTP status of the last probe. */
  status?: number;
  body?: CapturedStream;
  /** Runner-side duration (e.g. remote), when it differs from the engine's measurement. */
  durationMs?: number;
  /**
   * The runner could not perform the attempt at all (spawn failure, connection refused …); `judged`: it did,
   * and what it looked at was found wanting (a person failed the step), judged as an unmet expectation.
   */
  error?: { code: string; message: string; judged?: true };
  /** Runner-specific facts worth keeping in the record (probe count, url, …). Plain JSON. */
  details?: Record<string, unknown>;
}

export type FailureReason = 'error' | 'timeout' | 'cancelled' | 'expectation';

export interface Judgement {
  ok: boolean;
  reason?: FailureReason;
  message?: string;
}

export interface AttemptClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Resolves after `ms`, rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Wall-clock epoch milliseconds of the run's clock (simulated in tests); absent: the system clock. */
  wallNow?(): number;
}

/** What a manual step asks a person. */
export interface OperatorQuestion {
  /** Markdown, shown as written. */
  instructions: string;
  /** Checklist items a pass confirms, each of them. */
  confirm: readonly string[];
  /** Who is expected to answer: a name or a role. */
  assignee?: string;
  /** Names of the values the person records (a ticket number): all required for a pass. */
  record: readonly string[];
}

/** Who may approve a step `uses: approval` and how many distinct keys must: what a gate runner declares. */
export interface GateSpec extends Approvers {
  quorum: number;
}

/** One approval a gate counted. */
export interface GrantedApproval {
  keyid: string;
  by: string;
  at: string;
  roles?: string[];
  comment?: string;
  file: string;
  sha256: string;
}

/** A person's answer, as the engine accepted and journalled it (the record adds how long it took). */
export type OperatorAnswer = Omit<AnswerRecord, 'waitedMs'>;

export interface AttemptContext {
  stepId: string;
  attempt: number;
  /** The step's argument array with templates resolved (data, never shell text). */
  argv?: string[];
  /** The step's `with`, templates resolved. Already validated by the runner's option schema. */
  options: Record<string, unknown>;
  target?: Target;
  /** Folder of the scenario file: relative paths in a step resolve against it. */
  baseDir: string;
  /**
   * The environment of any process the runner starts on this machine: a minimal base and what the scenario
   * lets through (`inheritEnv`), never the whole of drillbook's. The step's own `env` option goes on top.
   */
  env: Readonly<Record<string, string>>;
  /** Fires on timeout, deadline, interrupt, or when a group fails fast. */
  signal: AbortSignal;
  /**
   * A fresh transform redacting the run's secrets, for a runner that combines several streams into one sink
   * (each host of a group): redacting each before they are combined keeps a secret whole in every stream.
   */
  redactStream?(): Transform;
  /** Full-stream sinks; the engine redacts secrets and writes them into the bundle's logs. */
  sink: { stdout: Writable; stderr: Writable };
  captureLimitBytes: number;
  clock: AttemptClock;
  /** The engine's judge, for runners that repeat a probe until it passes (`consecutive`). */
  judge(observation: Observation): Judgement;
  /** Must be called as soon as a process exists, before waiting on it. */
  onProcess(info: ProcessInfo): void;
  /**
   * Called just before a process is started, with the run token it will carry in its environment: a crash
   * between the start and `onProcess` still leaves something `recover` can find it by.
   */
  onProcessStarting?(intent: { runner: string; host: string; runToken: string }): void;
  log: Logger;
  /**
   * The value of a declared secret, by name, for secrets a runner needs outside `argv`/`with` (the
   * passphrase an ssh target names). Undefined when the secret has no value.
   */
  secret?(name: string): string | undefined;
  /**
   * A file of evidence kept in the bundle as `attachments/<step>/<attempt>/<name>` (a manifest, a
   * reconciliation), secrets redacted, its SHA-256 recorded. `name` is a plain file name.
   */
  attach?(name: string): Writable;
  /** Another declared target, for runners whose `with` names one (see `RunnerDefinition.targetOptions`). */
  resolveTarget?(name: string): Target | undefined;
  /**
   * Put a question to a person and wait for the answer (from the run's terminal, or `drillbook answer` from
   * elsewhere). Rejects with the signal's reason when the attempt is stopped first.
   */
  ask?(question: OperatorQuestion): Promise<OperatorAnswer>;
  /**
   * Wait at this step's approval gate (its runner declares `gate`) until the quorum of approvers signed this
   * attempt's request (`drillbook approve BUNDLE --step STEP --key K`). Rejects with the signal's reason when
   * the attempt is stopped first (its timeout).
   */
  approve?(): Promise<GrantedApproval[]>;
  /** Paths a step must never write: the run's bundle folder and the scenario file (runners/shared/safe-files.ts refuses them). */
  protectedPaths?: readonly string[];
}

export interface StepRunner {
  run(context: AttemptContext): Promise<Observation>;
  /**
   * Stop a process a crashed run left behind. Resolves true when it is confirmed gone. Remote runners
   * need `context` (the step's target) to reach the host.
   */
  stopLeftover?(info: ProcessInfo, log: Logger, context?: LeftoverContext): Promise<boolean>;
  /** Release what the runner keeps between attempts (pooled SSH connections). Called once, at the end of a run. */
  close?(): Promise<void>;
}

/** What `recover` knows about the step that started a leftover process. */
export interface LeftoverContext {
  target?: Target;
  /** The step's `with`, as written. */
  options: Record<string, unknown>;
  /** Folder of the scenario file. */
  baseDir: string;
  secret?(name: string): string | undefined;
}

/** Run-wide settings the CLI hands to the runners it loads; each runner reads what concerns it. */
export interface RunnerSettings {
  /** OpenSSH client config for host aliases (`--ssh-config FILE`); `false` reads none. Default: ~/.ssh/config when it exists. */
  sshConfigFile?: string | false;
  /** Environment the runners read (HOME, USER, SSH_AUTH_SOCK). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A step as the readiness check sees it: enough to know what it will touch, nothing run. */
export interface PreflightStep {
  id: string;
  uses: string;
  on?: string;
  /** Argument array as written (templates unresolved). */
  run?: readonly string[];
  with: Readonly<Record<string, unknown>>;
}

export interface PreflightRequest {
  /** The steps of this runner (and of the runners sharing its preflight) in the scenario. */
  steps: readonly PreflightStep[];
  targets: Readonly<Record<string, Target>>;
  /** Folder of the scenario file. */
  baseDir: string;
  settings: RunnerSettings;
  secret(name: string): string | undefined;
  signal?: AbortSignal;
}

export interface TargetFactsRequest {
  /** The scenario's targets of this runner's kinds. */
  targets: Readonly<Record<string, Target>>;
  baseDir: string;
  settings: RunnerSettings;
}

/** One target checked: ready or not, and what a person needs to read about it. */
export interface PreflightCheck {
  target: string;
  ok: boolean;
  lines: string[];
}


/** What the validator and compiler need to know about a runner, without loading it. */
export interface RunnerDefinition {
  name: string;
  summary: string;
  role?: RunnerRole;
  /** Schema of the step's `with`. */
  options: ZodType;
  /** Whether `run` (an argument array) is required, optional or forbidden. */
  run: 'required' | 'optional' | 'forbidden';
  /** Target kinds a step of this runner may name in `on`; empty: `on` is not allowed. */
  targetKinds: readonly string[];
  /** Expectation keys that make sense for this runner. */
  expects: readonly ('exitCode' | 'stdout' | 'stderr' | 'status' | 'body')[];
  /**
   * Running a step of this runner twice does no harm (it changes nothing, or asks a person again): `resume`
   * runs one cut short by a crash again even when the step is not declared `idempotent`.
   */
  repeatable?: boolean;
  /**
   * A step's `check` may use this runner: it looks (runs the scenario's command, probes, reads, asks a person)
   * and can find the work not done. A runner that writes, or whose step cannot fail, never tells resume anything.
   */
  checks?: boolean;
  /** Options (paths inside `with`) whose value names a declared target, and the kinds it may have. */
  targetOptions?: readonly { path: readonly string[]; kinds: readonly string[] }[];
  /**
   * Read-only readiness of what this runner's steps touch (reach, credentials, host keys, commands), run before
   * the first step of every run and by `drillbook check`. Definitions that share one function are called once
   * with all their steps.
   */
  preflight?: (request: PreflightRequest) => Promise<PreflightCheck[]>;
  /**
   * What a person carrying out the steps by hand must check about each target (an ssh host's expected
   * host-key fingerprints), read from local files only, never over the network: printed in the runbook.
   * Definitions that share one function are called once.
   */
  targetFacts?: (request: TargetFactsRequest) => Promise<Record<string, string[]>>;
  /**
   * Files whose content decides where this runner's steps go (an ssh client config and everything it
   * includes). Their digests are journalled; `recover` refuses when one changed since the run started.
   */
  resolutionFiles?: (settings: RunnerSettings) => Promise<string[]>;
  /**
   * A step of this runner is an approval gate: who may approve it, from its `with`. The engine loads the keys
   * before anything runs and gives the attempt `approve`.
   */
  gate?: (options: Record<string, unknown>) => GateSpec;
  load(settings?: RunnerSettings): Promise<StepRunner>;
}

export type RunnerCatalog = Readonly<Record<string, RunnerDefinition>>;

/** A duration as scenarios write it (`500ms`, `90s`, `1h30m`); the runner receives milliseconds. */
export const durationOption = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { message: 'expected a duration such as 500ms, 90s, 15m, 2h or 1h30m' })
  .transform((text) => parseDuration(text) ?? 0);

/** An attempt whose options the runner's schema has parsed (durations in ms, defaults applied). */
export type ParsedAttemptContext<Options> = Omit<AttemptContext, 'options'> & { options: Options };

/** A runner written against its parsed options. */
export interface TypedStepRunner<Options> extends Omit<StepRunner, 'run'> {
  run(context: ParsedAttemptContext<Options>): Promise<Observation>;
}

export type RunnerDeclaration<Schema extends ZodType> = Omit<RunnerDefinition, 'options' | 'load' | 'gate'> & {
  options: Schema;
  gate?: (options: z.output<NoInfer<Schema>>) => GateSpec;
  load: (settings?: RunnerSettings) => Promise<TypedStepRunner<z.output<NoInfer<Schema>>>>;
};

/**
 * `runner` as the engine calls it: `with` parsed by `schema` first (validation already checked it; the parse
 * at run time applies transforms such as durations to ms, and refuses what templates made invalid).
 */
export function withParsedOptions<Schema extends ZodType>(name: string, schema: Schema, runner: TypedStepRunner<z.output<Schema>>): StepRunner {
  return {
    run: (context) => {
      const parsed = schema.safeParse(context.options);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.length ? `with.${issue.path.join('.')}: ` : ''}${issue.message}`);
        return Promise.resolve({ error: { code: 'INVALID_OPTIONS', message: `${name}: ${problems.join('; ')}` } });
      }
      return runner.run({ ...context, options: parsed.data });
    },
    ...(runner.stopLeftover ? { stopLeftover: runner.stopLeftover.bind(runner) } : {}),
    ...(runner.close ? { close: runner.close.bind(runner) } : {}),
  };
}

/** A runner definition whose `run` receives its options parsed by `options` (see withParsedOptions). */
export function defineRunner<Schema extends ZodType>(declaration: RunnerDeclaration<Schema>): RunnerDefinition {
  const { load, gate, ...definition } = declaration;
  return {
    ...definition,
    ...(gate ? { gate: (options: Record<string, unknown>) => gate(declaration.options.parse(options)) } : {}),
    load: async (settings) => withParsedOptions(declaration.name, declaration.options, await load(settings)),
  };
}
