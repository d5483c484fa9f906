/** The run record: the predicate of `record.json`. Plain JSON; its JSON Schema is published under schema/. */
import type { FailureReason } from '../runner-contract.js';
import type { Mark, Phase, RunnerRole, ScenarioKind } from '../scenario/types.js';
import type { ExitReadinessRecord } from './exit-record.js';

export const verdicts = ['PASS', 'FAIL', 'PARTIAL', 'ABORTED', 'INCONCLUSIVE'] as const;
export type Verdict = (typeof verdicts)[number];

export const endReasons = [
  'completed',
  'step-failed',
  'precondition-failed',
  'not-confirmed',
  /** The approvals did not reach their quorum before the timeout: nothing ran. */
  'not-approved',
  'deadline',
  'signal',
  'crashed',
  /** The evidence could not be written (full disk, I/O error): the run stopped its side effects. */
  'write-failed',
] as const;
export type EndReason = (typeof endReasons)[number];

export type StepStatus = 'passed' | 'failed' | 'cancelled' | 'not-run';

export interface StreamRecord {
  sha256: string;
  bytes: number;
  truncated: boolean;
  /** Bundle-relative path of the stored (redacted) log, when one was written. */
  log?: string;
  /** Hex SHA-256 of the stored (redacted) log; `sha256` is the digest of the raw stream. */
  logSha256?: string;
  /** The stored log is incomplete: the storage refused a write (the code, e.g. ENOSPC). */
  logError?: string;
  /**
   * The stored log keeps only the stream's first `keptBytes` (its limit, `defaults.logLimit`) and a line
   * saying so; `sha256` and `bytes` still cover the whole stream.
   */
  logTruncated?: { keptBytes: number };
  /**
   * A secret was redacted from the stream: `sha256` and `bytes` are then those of the redacted stream, not of the
   * raw stream (whose digest would let anyone test guesses of the secret).
   */
  redacted?: true;
}

/** An evidence file a runner added to the bundle (a manifest, a reconciliation). */
export interface AttachmentRecord {
  name: string;
  /** Bundle-relative path. */
  file: string;
  /** Hex SHA-256 of the stored (redacted) file. */
  sha256: string;
  bytes: number;
  /** The stored file is incomplete: the storage refused a write (the code, e.g. ENOSPC). */
  error?: string;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: string;
  durationMs: number;
  status: 'passed' | 'failed';
  reason?: FailureReason;
  message?: string;
  exitCode?: number;
  signal?: string;
  httpStatus?: number;
  /** Why the attempt could not be performed (`INTERNAL`: a fault of drillbook's). */
  code?: string;
  stdout?: StreamRecord;
  stderr?: StreamRecord;
  details?: Record<string, unknown>;
  attachments?: AttachmentRecord[];
}

export interface StepRecord {
  id: string;
  name?: string;
  phase: Phase;
  group?: string;
  uses: string;
  /** The part its runner plays in an exit: `export` (takes data out), `reimport` (puts it into a neutral target). */
  role?: RunnerRole;
  on?: string;
  status: StepStatus;
  reason?: FailureReason;
  message?: string;
  continueOnError: boolean;
  background: boolean;
  marks: Mark[];
  /** Argument array as written (templates unresolved). */
  argv?: string[];
  /** Argument array as run, secrets redacted. */
  argvResolved?: string[];
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  exitCode?: number;
  attempts: AttemptRecord[];
  outputs: Record<string, string>;
  /** A manual step's accepted answer (its last attempt's). */
  answer?: AnswerRecord;
  /** A step `uses: approval`: its gate, as its last attempt waited at it. */
  approval?: ApprovalRecord;
  /** Its `check`, when resume ran it: what it said of the step a crash cut short (the last attempt decides). */
  check?: CheckRecord;
}

/** A step's check as resume ran it: `happened` closed the step as passed, `not-happened` ran it again. */
export interface CheckRecord {
  outcome: 'happened' | 'not-happened' | 'unknown';
  attempts: AttemptRecord[];
}

/** The signed approvals a run waited for, and what came of the wait. */
export interface ApprovalRecord {
  quorum: number;
  /** Key ids (SHA-256 of SPKI DER) of the keys that may approve. */
  approvers: string[];
  /** A step's gate: its request file (`approvals/<step>/<attempt>/request.json`) and attempt. */
  request?: string;
  attempt?: number;
  /** SHA-256 of the gate's request file (`approvals/request.json` for the run's own), which every approval signs. */
  requestSha256: string;
  status: 'granted' | 'timed-out' | 'interrupted' | 'waiting';
  granted: { keyid: string; by: string; at: string; roles?: string[]; comment?: string; file: string; sha256: string }[];
  waitedMs: number;
}

/** Who answered a manual step, when, how, and how long the step waited for them. */
export interface AnswerRecord {
  by: string;
  at: string;
  outcome: 'passed' | 'failed';
  comment?: string;
  inputs: Record<string, string>;
  confirmed: string[];
  /** Key id of the key that signed the answer (SHA-256 of its SPKI DER), when signed. */
  keyid?: string;
  /** Bundle-relative answer file and its SHA-256. */
  file: string;
  sha256: string;
  /** From the question to the answer. */
  waitedMs: number;
}

export type ObjectiveStatus = 'met' | 'missed' | 'not-measured' | 'no-target';

export interface ObjectiveRecord {
  status: ObjectiveStatus;
  targetMs?: number;
  achievedMs?: number;
  /** How the achieved value was obtained. */
  basis?: string;
  /** RTO only: the part of the achieved time spent waiting for people (manual steps). */
  manualMs?: number;
  /** RTO only: the part of the achieved time when no drillbook ran the drill (a crash, until `resume`). */
  gapMs?: number;
}

/** One `drillbook resume` of the run: when it had stopped, who continued it, and what became of the steps cut short. */
export interface ResumeRecord {
  /** When resume started (ISO 8601 UTC). */
  at: string;
  by: string;
  host: string;
  /** The last journal entry before the stop: the run was alive then. */
  stoppedAt: string;
  /** From that entry to the resume: the time no drillbook ran the drill. */
  gapMs: number;
  /** `steps`: the drill went on; `cleanup`: the run was already ending and only its cleanup was finished. */
  mode: 'steps' | 'cleanup';
  retried: string[];
  restarted: string[];
  closed: string[];
  ended: string[];
  /** Cut short with no attempt left: closed as failed. */
  failed?: string[];
  /** Cut short with a check, which decided (the step record's `check` says what it found). */
  checked?: string[];
}

export interface MarkRecord {
  stepId: string;
  at: string;
}

/** A target the run touched, identified the way an auditor needs it. */
export interface TargetRecord {
  name: string;
  kind: string;
  /** Host, URL, bucket …: whatever identifies the target for its kind. */
  address?: string;
  /** SSH host-key fingerprint (`SHA256:…`) that was pinned and seen. */
  hostKeyFingerprint?: string;
}

/** The readiness phase before the first step: each target a runner could check, read-only. */
export interface ReadinessRecord {
  ok: boolean;
  checks: { runner: string; target: string; ok: boolean; lines: string[] }[];
}

/** A cleanup step that did not pass after side effects had started: what a person must do by hand. */
export interface CleanupIncomplete {
  stepId: string;
  status: StepStatus;
  uses: string;
  on?: string;
  /** The command as run (secrets redacted), else as written. */
  command?: string[];
  message?: string;
}

export interface RunRecord {
  schemaVersion: 1;
  runId: string;
  verdict: Verdict;
  verdictReasons: string[];
  endReason: EndReason;
  signal?: string;
  scenario: {
    id: string;
    kind: ScenarioKind;
    title: string;
    owner: string;
    environment?: string;
    file: string;
    sha256: string;
    controls: string[];
  };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  operator: string;
  host: string;
  pid: number;
  tool: { name: 'drillbook'; version: string; node: string; platform: string };
  vars: Record<string, string>;
  objectives: { rto: ObjectiveRecord; rpo: ObjectiveRecord; exitPeriod?: ObjectiveRecord };
  marks: Partial<Record<Mark, MarkRecord>>;
  steps: StepRecord[];
  cleanup: StepRecord[];
  deviations: string[];
  /** The approvals the run waited for before its steps (`approval:` in the scenario). */
  approval?: ApprovalRecord;
  /**
   * The runbook the team had at hand (`run --runbook FILE`): its file name and SHA-256, the scenario digest it
   * names (Markdown and HTML runbooks carry it) and whether that is this run's scenario (absent: not told).
   */
  runbook?: { file: string; sha256: string; scenarioSha256?: string; matches?: boolean };
  /** Each time `drillbook resume` continued the run after it stopped; absent for a run that never stopped. */
  resumes?: ResumeRecord[];
  journal: { file: string; entries: number; headSha256: string };
  /** Targets and their host-key fingerprints. */
  targets?: TargetRecord[];
  /**
   * Cleanup steps that failed, were cancelled or never ran after the steps had started: the environment may
   * be inconsistent (a service still failed over). Absent when the cleanup completed.
   */
  cleanupIncomplete?: CleanupIncomplete[];
  /** The readiness check of every target that has one; absent when none had. */
  readiness?: ReadinessRecord;
  /** `kind: exit` runs: the exit-readiness checklist and the figures behind it. */
  exitReadiness?: ExitReadinessRecord;
  /**
   * Hex SHA-256 of `record.json` of the previous run of the same scenario known to the store, so that a
   * replayed older record is detectable; absent for the first run.
   */
  previousRecordSha256?: string;
}

/** Steps `uses: approval` that waited at their gate. */
export function gatedSteps(r: RunRecord): (StepRecord & { approval: ApprovalRecord })[] {
  return [...r.steps, ...r.cleanup].filter((step): step is StepRecord & { approval: ApprovalRecord } => step.approval !== undefined);
}
