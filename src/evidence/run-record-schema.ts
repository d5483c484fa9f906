/**
 * The run record as a zod schema: the verifier checks predicates with it and the published JSON Schema
 * (schema/run-record.schema.json) is generated from it. A type-level test keeps it equal to `RunRecord`.
 */
import { z } from 'zod';
import { markNames, phases, scenarioKinds } from '../scenario/types.js';
import { exitReadinessSchema } from './exit-record-schema.js';
import { endReasons, verdicts } from './run-record.js';
import { predicateType } from './statement.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
const time = z.iso.datetime();
const failureReason = z.enum(['error', 'timeout', 'cancelled', 'expectation']);

const streamRecord = z.object({
  sha256,
  bytes: z.int().nonnegative(),
  truncated: z.boolean(),
  log: z.string().exactOptional(),
  logSha256: sha256.exactOptional(),
  logError: z.string().exactOptional(),
  logTruncated: z.object({ keptBytes: z.int().nonnegative() }).exactOptional(),
  redacted: z.literal(true).exactOptional(),
});

// Named (`$defs`) in the published JSON Schema: a step's attempts and its check's are one definition.
const attemptRecord = z.object({
  attempt: z.int().positive(),
  startedAt: time,
  durationMs: z.number().nonnegative(),
  status: z.enum(['passed', 'failed']),
  reason: failureReason.exactOptional(),
  message: z.string().exactOptional(),
  exitCode: z.int().exactOptional(),
  signal: z.string().exactOptional(),
  httpStatus: z.int().exactOptional(),
  stdout: streamRecord.exactOptional(),
  stderr: streamRecord.exactOptional(),
  /** Why the attempt could not be performed (`INTERNAL`: a fault of drillbook's). */
  code: z.string().exactOptional(),
  details: z.record(z.string(), z.unknown()).exactOptional(),
  attachments: z.array(z.object({ name: z.string(), file: z.string(), sha256, bytes: z.int().nonnegative(), error: z.string().exactOptional() })).exactOptional(),
}).meta({ id: 'attempt' });

/** A gate's wait for signed approvals: the run's own (`approval`), or a step's `uses: approval`. */
const approvalRecord = z
  .object({
    quorum: z.int().positive(),
    approvers: z.array(sha256),
    /** The gate's request file, when not `approvals/request.json`. */
    request: z.string().exactOptional(),
    attempt: z.int().positive().exactOptional(),
    requestSha256: sha256,
    status: z.enum(['granted', 'timed-out', 'interrupted', 'waiting']),
    granted: z.array(z.object({ keyid: sha256, by: z.string(), at: time, roles: z.array(z.string()).exactOptional(), comment: z.string().exactOptional(), file: z.string(), sha256 })),
    waitedMs: z.number().nonnegative(),
  })
  .meta({ id: 'approval' });

const stepRecord = z.object({
  id: z.string(),
  name: z.string().exactOptional(),
  phase: z.enum(phases),
  group: z.string().exactOptional(),
  uses: z.string(),
  role: z.enum(['export', 'reimport']).exactOptional(),
  on: z.string().exactOptional(),
  status: z.enum(['passed', 'failed', 'cancelled', 'not-run']),
  reason: failureReason.exactOptional(),
  message: z.string().exactOptional(),
  continueOnError: z.boolean(),
  background: z.boolean(),
  marks: z.array(z.enum(markNames)),
  argv: z.array(z.string()).exactOptional(),
  argvResolved: z.array(z.string()).exactOptional(),
  startedAt: time.exactOptional(),
  finishedAt: time.exactOptional(),
  durationMs: z.number().nonnegative().exactOptional(),
  exitCode: z.int().exactOptional(),
  attempts: z.array(attemptRecord),
  outputs: z.record(z.string(), z.string()),
  /** A manual step's accepted answer (its last attempt's). */
  answer: z
    .object({
      by: z.string(),
      at: time,
      outcome: z.enum(['passed', 'failed']),
      comment: z.string().exactOptional(),
      inputs: z.record(z.string(), z.string()),
      confirmed: z.array(z.string()),
      keyid: z.string().exactOptional(),
      file: z.string(),
      sha256,
      waitedMs: z.number().nonnegative(),
    })
    .exactOptional(),
  /** A step `uses: approval`: its gate (its last attempt's). */
  approval: approvalRecord.exactOptional(),
  /** Its check, when resume ran it: what it said of the step a crash cut short. */
  check: z.object({ outcome: z.enum(['happened', 'not-happened', 'unknown']), attempts: z.array(attemptRecord) }).exactOptional(),
}).meta({ id: 'step' });

const objectiveRecord = z.object({
  status: z.enum(['met', 'missed', 'not-measured', 'no-target']),
  targetMs: z.number().nonnegative().exactOptional(),
  achievedMs: z.number().exactOptional(),
  basis: z.string().exactOptional(),
  /** RTO only: the part of the achieved time spent waiting for people (manual steps). */
  manualMs: z.number().nonnegative().exactOptional(),
  /** RTO only: the part of the achieved time when no drillbook ran the drill (a crash, until `resume`). */
  gapMs: z.number().nonnegative().exactOptional(),
});

const targetRecord = z.object({
  name: z.string(),
  kind: z.string(),
  address: z.string().exactOptional(),
  hostKeyFingerprint: z.string().exactOptional(),
});

/** Schema of the run record (the predicate of `record.json`). */
export const runRecordSchema = z.object({
  schemaVersion: z.literal(1),
  runId: z.string(),
  verdict: z.enum(verdicts),
  verdictReasons: z.array(z.string()),
  endReason: z.enum(endReasons),
  signal: z.string().exactOptional(),
  scenario: z.object({
    id: z.string(),
    kind: z.enum(scenarioKinds),
    title: z.string(),
    owner: z.string(),
    environment: z.string().exactOptional(),
    file: z.string(),
    sha256,
    controls: z.array(z.string()),
  }),
  startedAt: time,
  finishedAt: time,
  durationMs: z.number().nonnegative(),
  operator: z.string(),
  host: z.string(),
  pid: z.int(),
  tool: z.object({ name: z.literal('drillbook'), version: z.string(), node: z.string(), platform: z.string() }),
  vars: z.record(z.string(), z.string()),
  objectives: z.object({ rto: objectiveRecord, rpo: objectiveRecord, exitPeriod: objectiveRecord.exactOptional() }),
  marks: z.partialRecord(z.enum(markNames), z.object({ stepId: z.string(), at: time })),
  steps: z.array(stepRecord),
  cleanup: z.array(stepRecord),
  deviations: z.array(z.string()),
  approval: approvalRecord.exactOptional(),
  runbook: z.object({ file: z.string(), sha256, scenarioSha256: sha256.exactOptional(), matches: z.boolean().exactOptional() }).exactOptional(),
  resumes: z
    .array(
      z.object({
        at: time,
        by: z.string(),
        host: z.string(),
        stoppedAt: time,
        gapMs: z.number().nonnegative(),
        mode: z.enum(['steps', 'cleanup']),
        retried: z.array(z.string()),
        restarted: z.array(z.string()),
        closed: z.array(z.string()),
        ended: z.array(z.string()),
        failed: z.array(z.string()).exactOptional(),
        checked: z.array(z.string()).exactOptional(),
      }),
    )
    .exactOptional(),
  journal: z.object({ file: z.string(), entries: z.int().nonnegative(), headSha256: sha256 }),
  targets: z.array(targetRecord).exactOptional(),
  cleanupIncomplete: z
    .array(
      z.object({
        stepId: z.string(),
        status: z.enum(['passed', 'failed', 'cancelled', 'not-run']),
        uses: z.string(),
        on: z.string().exactOptional(),
        command: z.array(z.string()).exactOptional(),
        message: z.string().exactOptional(),
      }),
    )
    .exactOptional(),
  readiness: z
    .object({ ok: z.boolean(), checks: z.array(z.object({ runner: z.string(), target: z.string(), ok: z.boolean(), lines: z.array(z.string()) })) })
    .exactOptional(),
  exitReadiness: exitReadinessSchema.exactOptional(),
  previousRecordSha256: sha256.exactOptional(),
});

/**
 * The published JSON Schema of the run record. Generated from the input side of the schema, so fields that a
 * later v1 adds (additive changes only) do not make older records or older validators disagree.
 */
export function runRecordJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(runRecordSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema: generated.$schema,
    title: 'drillbook run record',
    description: `Predicate of the in-toto Statement in record.json (predicateType ${predicateType}).`,
    ...generated,
  };
}
