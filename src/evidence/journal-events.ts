/**
 * The journal's vocabulary: one map of event type → payload schema. The engine appends through
 * {@link appendEvent}; the projection, recover, the consistency check, `verify` and the register read through
 * {@link parseJournalEvents}, so every reader agrees with the writer on names and shapes.
 */
import { z } from 'zod';
import type { Journal, JournalEntry } from './journal.js';
import { endReasons } from './run-record.js';

const failureReason = z.enum(['error', 'timeout', 'cancelled', 'expectation']);
const stepStatus = z.enum(['passed', 'failed', 'cancelled', 'not-run']);
const verdict = z.enum(['PASS', 'FAIL', 'PARTIAL', 'ABORTED', 'INCONCLUSIVE']);
const endReason = z.enum(endReasons);
const phase = z.enum(['preconditions', 'steps', 'cleanup']);
const mark = z.enum(['t0', 'recovered']);
/** Monotonic milliseconds since the run started. */
const t = z.number();
/** The step gate an approval event belongs to; absent on the run's own gate. */
const gate = { stepId: z.string().exactOptional(), attempt: z.number().exactOptional() };

const streamRecord = z.object({
  sha256: z.string(),
  bytes: z.number(),
  truncated: z.boolean(),
  log: z.string().exactOptional(),
  logSha256: z.string().exactOptional(),
  logError: z.string().exactOptional(),
  logTruncated: z.object({ keptBytes: z.int().nonnegative() }).exactOptional(),
  redacted: z.literal(true).exactOptional(),
});

/** A slow, salted digest of a secret value: recover compares it, the value never reaches the disk. */
export const secretDigestSchema = z.object({
  alg: z.literal('scrypt'),
  /** scrypt cost parameters. */
  N: z.number(),
  r: z.number(),
  p: z.number(),
  salt: z.string(),
  hash: z.string(),
});
export type SecretDigest = z.infer<typeof secretDigestSchema>;

const secretSource = z.union([z.object({ env: z.string() }), z.object({ file: z.string() })]);

/**
 * Everything a run's behaviour depends on besides the scenario text: journalled once at start, rebuilt from
 * the journal by `recover` (and `resume`), so a crashed run is finished with its own inputs.
 */
export const runInputsSchema = z.object({
  /** Absolute folder of the scenario file as run: relative paths in steps resolve against it. */
  scenarioDir: z.string(),
  /** The evidence store the run was started in (its lock and the chain of records live there). */
  storeDir: z.string().exactOptional(),
  /** `--var` overrides as given (values of vars that held a secret are redacted; their digests are below). */
  varOverrides: z.record(z.string(), z.string()),
  /** Digests of var values that had to be redacted, so a value given again at recover can be checked. */
  redactedVars: z.record(z.string(), secretDigestSchema),
  /** Each declared secret: where it came from and a digest of its value then. */
  secrets: z.record(z.string(), z.object({ source: secretSource, digest: secretDigestSchema })),
  /** How targets were resolved: the OpenSSH client config read (false: none) and a digest of its text. */
  sshConfig: z.object({ file: z.union([z.string(), z.literal(false)]), sha256: z.string().exactOptional() }),
  /** Every file the runners said decides where steps go (a config and what it includes), with its SHA-256. */
  resolution: z.record(z.string(), z.string()).exactOptional(),
  /** Salted SHA-256 of each variable the steps' environments take from drillbook's (PATH, inheritEnv). */
  environment: z.object({ salt: z.string(), values: z.record(z.string(), z.string()) }).exactOptional(),
});
export type RunInputsRecord = z.infer<typeof runInputsSchema>;

const processFields = {
  stepId: z.string(),
  attempt: z.number(),
  runner: z.string(),
  host: z.string(),
  pid: z.number(),
  pgid: z.number(),
  startTime: z.string().exactOptional(),
  argv: z.array(z.string()),
};

export const journalEventSchemas = {
  'run.started': z.object({
    runId: z.string(),
    scenarioId: z.string(),
    scenarioFile: z.string(),
    scenarioSha256: z.string(),
    operator: z.string(),
    host: z.string(),
    pid: z.number(),
    tool: z.object({ name: z.literal('drillbook'), version: z.string(), node: z.string(), platform: z.string() }),
    vars: z.record(z.string(), z.string()),
    t,
    /** Absent in journals written before inputs were journalled. */
    inputs: runInputsSchema.exactOptional(),
    /** The runbook the team had at hand (`run --runbook FILE`): its digest and the scenario digest it names. */
    runbook: z.object({ file: z.string(), sha256: z.string(), scenarioSha256: z.string().exactOptional() }).exactOptional(),
  }),
  'readiness.checked': z.object({
    t,
    ok: z.boolean(),
    checks: z.array(z.object({ runner: z.string(), target: z.string(), ok: z.boolean(), lines: z.array(z.string()) })),
  }),
  'step.started': z.object({ stepId: z.string(), phase, t }),
  'attempt.started': z.object({ stepId: z.string(), attempt: z.number(), t, argvResolved: z.array(z.string()).exactOptional() }),
  /** A process is about to start, carrying this run token: found by it should a crash hide its pid. */
  'process.starting': z.object({ stepId: z.string(), attempt: z.number(), runner: z.string(), host: z.string(), runToken: z.string() }),
  // Runners may report more about a process (a remote wrapper's session, a marker): kept as written.
  'process.started': z.looseObject(processFields),
  'process.stopped': z.object({
    stepId: z.string(),
    pid: z.number(),
    pgid: z.number(),
    host: z.string(),
    confirmed: z.boolean(),
    t,
  }),
  'attempt.finished': z.object({
    stepId: z.string(),
    t,
    attempt: z.number(),
    startedAt: z.string(),
    durationMs: z.number(),
    status: z.enum(['passed', 'failed']),
    reason: failureReason.exactOptional(),
    message: z.string().exactOptional(),
    /** The runner's or engine's error code when the attempt could not be performed (`INTERNAL`: a fault of ours). */
    code: z.string().exactOptional(),
    exitCode: z.number().exactOptional(),
    signal: z.string().exactOptional(),
    httpStatus: z.number().exactOptional(),
    stdout: streamRecord.exactOptional(),
    stderr: streamRecord.exactOptional(),
    details: z.record(z.string(), z.unknown()).exactOptional(),
    attachments: z.array(z.object({ name: z.string(), file: z.string(), sha256: z.string(), bytes: z.number(), error: z.string().exactOptional() })).exactOptional(),
  }),
  'step.finished': z.object({
    stepId: z.string(),
    status: stepStatus,
    t,
    reason: failureReason.exactOptional(),
    message: z.string().exactOptional(),
    outputs: z.record(z.string(), z.string()),
  }),
  mark: z.object({ mark, stepId: z.string(), t }),
  /** A manual step put its question (file) to a person; the answer is expected in `answerFile`. */
  'manual.waiting': z.object({ stepId: z.string(), attempt: z.number(), t, file: z.string(), answerFile: z.string(), assignee: z.string().exactOptional() }),
  /** A person answered; `file` and `sha256` are the answer file kept in the bundle. */
  'manual.answered': z.object({
    stepId: z.string(),
    attempt: z.number(),
    t,
    outcome: z.enum(['passed', 'failed']),
    by: z.string(),
    at: z.string(),
    comment: z.string().exactOptional(),
    inputs: z.record(z.string(), z.string()),
    confirmed: z.array(z.string()),
    keyid: z.string().exactOptional(),
    file: z.string(),
    sha256: z.string(),
  }),
  /**
   * A gate waits for `quorum` of these approver keys to sign its request.json (digest): the run's own before
   * its steps, or, with `stepId` and `attempt`, a step `uses: approval` (whose timeout is the step's).
   */
  'approval.requested': z.object({ t, ...gate, quorum: z.number(), approvers: z.array(z.string()), requestSha256: z.string(), timeoutMs: z.number().exactOptional() }),
  'approval.granted': z.object({ t, ...gate, keyid: z.string(), by: z.string(), at: z.string(), roles: z.array(z.string()).exactOptional(), comment: z.string().exactOptional(), file: z.string(), sha256: z.string() }),
  'approval.rejected': z.object({ t, ...gate, file: z.string(), sha256: z.string(), reason: z.string() }),
  'approval.ended': z.object({ t, ...gate, status: z.enum(['granted', 'timed-out', 'interrupted']), granted: z.number() }),
  /** An answer file that did not answer the question (why), removed from the bundle; its digest is kept. */
  'manual.rejected': z.object({ stepId: z.string(), attempt: z.number(), t, file: z.string(), sha256: z.string(), reason: z.string() }),
  /** `signal`: the signal that ended the steps, when one did (resume needs it for the record). */
  'cleanup.started': z.object({ t, endReason: endReason.exactOptional(), signal: z.string().exactOptional() }),
  /** The wall clock stepped against run time (NTP, a VM resumed): times stay on the run's timeline. */
  'clock.jumped': z.object({ t, skewMs: z.number(), wallAt: z.string() }),
  'recover.started': z.object({ operator: z.string(), host: z.string(), pid: z.number(), t }),
  /**
   * `drillbook resume` continues the run: it was last seen alive at `stoppedAtT`; `steps` continues the drill
   * (what is run again, closed or ended), `cleanup` only finishes a run that was already ending.
   */
  'resume.started': z.object({
    operator: z.string(),
    host: z.string(),
    pid: z.number(),
    t,
    stoppedAtT: z.number(),
    mode: z.enum(['steps', 'cleanup']),
    retried: z.array(z.string()),
    restarted: z.array(z.string()),
    closed: z.array(z.string()),
    ended: z.array(z.string()),
    failed: z.array(z.string()).exactOptional(),
    /** Cut short with a `check`: resume runs it (as STEP.check) to decide whether the step happened. */
    checked: z.array(z.string()).exactOptional(),
  }),
  'run.finished': z.object({
    verdict,
    verdictReasons: z.array(z.string()),
    endReason,
    signal: z.string().exactOptional(),
    t,
    deviations: z.array(z.string()),
  }),
} as const;

export type JournalEventType = keyof typeof journalEventSchemas;
export type JournalEventData<T extends JournalEventType> = z.infer<(typeof journalEventSchemas)[T]>;
/** One event as the engine wrote it: a discriminated union on `type`. */
export type JournalEvent = { [T in JournalEventType]: { at: string; type: T; data: JournalEventData<T> } }[JournalEventType];
export type EventOf<T extends JournalEventType> = Extract<JournalEvent, { type: T }>;

/** The event names, for code that spells them: `journalEvents.stepStarted`. */
export const journalEvents = {
  runStarted: 'run.started',
  readinessChecked: 'readiness.checked',
  stepStarted: 'step.started',
  attemptStarted: 'attempt.started',
  processStarting: 'process.starting',
  processStarted: 'process.started',
  processStopped: 'process.stopped',
  attemptFinished: 'attempt.finished',
  stepFinished: 'step.finished',
  mark: 'mark',
  manualWaiting: 'manual.waiting',
  manualAnswered: 'manual.answered',
  manualRejected: 'manual.rejected',
  approvalRequested: 'approval.requested',
  approvalGranted: 'approval.granted',
  approvalRejected: 'approval.rejected',
  approvalEnded: 'approval.ended',
  cleanupStarted: 'cleanup.started',
  clockJumped: 'clock.jumped',
  recoverStarted: 'recover.started',
  resumeStarted: 'resume.started',
  runFinished: 'run.finished',
} as const satisfies Record<string, JournalEventType>;

/** Entry types the journal itself writes (torn-line markers); readers skip them. */
const journalOwnPrefix = 'journal.';

export interface ParsedJournal {
  events: JournalEvent[];
  /** Entries of unknown type or whose payload does not match its schema, by seq. */
  problems: string[];
}

/** Read entries into typed events; nothing is thrown for a bad entry, it is listed in `problems`. */
export function parseJournalEvents(entries: readonly Pick<JournalEntry, 'at' | 'type' | 'data'>[]): ParsedJournal {
  const events: JournalEvent[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    if (entry.type.startsWith(journalOwnPrefix)) return;
    const schema = (journalEventSchemas as Record<string, z.ZodType | undefined>)[entry.type];
    const where = `entry ${'seq' in entry ? String(entry.seq) : index + 1} (${entry.type})`;
    if (!schema) {
      problems.push(`${where}: unknown event type`);
      return;
    }
    const parsed = schema.safeParse(entry.data);
    if (!parsed.success) {
      problems.push(`${where}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ')}`);
      return;
    }
    events.push({ at: entry.at, type: entry.type, data: parsed.data } as JournalEvent);
  });
  return { events, problems };
}

/** Append one typed event; returns it as readers will see it. */
export function appendEvent<T extends JournalEventType>(journal: Journal, type: T, data: JournalEventData<T>, at: string): EventOf<T> {
  const entry = journal.append(type, data, at);
  return { at: entry.at, type, data: entry.data } as EventOf<T>;
}

/** Every event of one type, typed. */
export function eventsOfType<T extends JournalEventType>(events: readonly JournalEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}
