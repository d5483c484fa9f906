/**
 * The run record is a projection of the journal: one source of truth, so a record can always be
 * rebuilt (after a crash, by `recover`) and checked against the journal it came from.
 */
import type {
  AnswerRecord,
  ApprovalRecord,
  AttemptRecord,
  EndReason,
  MarkRecord,
  ResumeRecord,
  RunRecord,
  StepRecord,
  StepStatus,
  TargetRecord,
} from '../evidence/run-record.js';
import { gateRequestPath } from '../evidence/approval.js';
import { eventsOfType, type JournalEvent, type JournalEventData } from '../evidence/journal-events.js';
import type { Mark, Phase, Scenario, Step } from '../scenario/types.js';
import { checkStepId } from '../scenario/types.js';
import { checkOutcome } from './check-outcome.js';
import { s3TargetAddress } from '../scenario/targets/s3.js';
import { computeExitReadiness, exitPeriodFacts } from '../exit-readiness/section.js';
import { computeObjectives } from './objectives.js';
import { decideVerdict, incompleteCleanup } from './verdict.js';


interface StepEvents {
  started?: Extract<JournalEvent, { type: 'step.started' }>;
  finished?: Extract<JournalEvent, { type: 'step.finished' }>;
  attempts: AttemptRecord[];
  lastFinished?: JournalEventData<'attempt.finished'>;
  argvResolved?: string[];
  /** Run time each attempt's question was put, by attempt. */
  asked: Map<number, number>;
  answer?: AnswerRecord;
  /** A step `uses: approval`: its gate. */
  approval?: ApprovalRecord;
}

function indexSteps(events: readonly JournalEvent[]): Map<string, StepEvents> {
  const byStep = new Map<string, StepEvents>();
  const get = (id: string): StepEvents => {
    let entry = byStep.get(id);
    if (!entry) byStep.set(id, (entry = { attempts: [], asked: new Map() }));
    return entry;
  };
  for (const event of events) {
    if (event.type === 'step.started') get(event.data.stepId).started = event;
    else if (event.type === 'step.finished') get(event.data.stepId).finished = event;
    else if (event.type === 'attempt.started' && event.data.argvResolved) get(event.data.stepId).argvResolved = event.data.argvResolved;
    else if (event.type === 'attempt.finished') {
      const { stepId, t: _t, ...attempt } = event.data;
      const entry = get(stepId);
      entry.attempts.push(attempt);
      entry.lastFinished = event.data;
    } else if (event.type === 'manual.waiting') get(event.data.stepId).asked.set(event.data.attempt, event.data.t);
    else if (event.type === 'manual.answered') {
      const { stepId, attempt, t, ...answer } = event.data;
      const entry = get(stepId);
      entry.answer = { ...answer, waitedMs: Math.round(t - (entry.asked.get(attempt) ?? t)) };
    }
  }
  const gated = new Set(eventsOfType(events, 'approval.requested').flatMap((e) => (e.data.stepId !== undefined ? [e.data.stepId] : [])));
  for (const stepId of gated) {
    const approval = stepGate(events, stepId);
    if (approval) get(stepId).approval = approval;
  }
  return byStep;
}

function stepRecord(step: Step, group: string | undefined, events: StepEvents | undefined, check: StepEvents | undefined): StepRecord {
  const started = events?.started;
  const finished = events?.finished;
  const attempts = events?.attempts ?? [];
  const status: StepStatus = finished?.data.status ?? (started ? 'cancelled' : 'not-run');
  const record: StepRecord = {
    id: step.id,
    phase: step.phase,
    uses: step.uses,
    ...(step.role ? { role: step.role } : {}),
    status,
    continueOnError: step.continueOnError,
    background: step.background,
    marks: step.marks,
    attempts,
    outputs: finished?.data.outputs ?? {},
  };
  if (step.name !== undefined) record.name = step.name;
  if (group !== undefined) record.group = group;
  if (step.on !== undefined) record.on = step.on;
  if (step.run !== undefined) record.argv = step.run;
  if (events?.argvResolved) record.argvResolved = events.argvResolved;
  const reason = finished?.data.reason ?? (status === 'cancelled' ? 'cancelled' : undefined);
  if (reason) record.reason = reason;
  const message = finished?.data.message;
  if (message) record.message = message;
  if (started) record.startedAt = started.at;
  if (finished) {
    record.finishedAt = finished.at;
    if (started) record.durationMs = Math.round(finished.data.t - started.data.t);
  }
  const last = attempts.at(-1);
  if (last?.exitCode !== undefined) record.exitCode = last.exitCode;
  if (events?.answer) record.answer = events.answer;
  if (events?.approval) record.approval = events.approval;
  if (check?.attempts.length) record.check = { outcome: checkOutcome(check.lastFinished), attempts: check.attempts };
  return record;
}

function phaseRecords(scenario: Scenario, phase: Phase, byStep: Map<string, StepEvents>): StepRecord[] {
  return scenario[phase].flatMap((item) =>
    item.type === 'group'
      ? item.parallel.map((child) => stepRecord(child, item.id, byStep.get(child.id), byStep.get(checkStepId(child.id))))
      : [stepRecord(item, undefined, byStep.get(item.id), byStep.get(checkStepId(item.id)))],
  );
}

export interface ProjectionOptions {
  /** Bundle-relative path of the journal, its entry count and head hash. */
  journal: RunRecord['journal'];
  /** Used when the journal has no run.finished yet (the verdict is being decided). */
  endReason?: EndReason;
  signal?: string;
  deviations?: string[];
}

/** Every target a step touched, one row per host and host key seen (runners report them in `details.hostKey`). */
function touchedTargets(scenario: Scenario, steps: readonly StepRecord[]): TargetRecord[] {
  const rows = new Map<string, TargetRecord>();
  for (const step of steps) {
    if (!step.on) continue;
    const target = scenario.targets[step.on];
    if (!target || target.kind === 'local') continue;
    const seen = step.attempts.flatMap((a) => {
      const keys = a.details?.['hostKey'];
      return Array.isArray(keys) ? (keys as { address?: unknown; fingerprint?: unknown }[]) : [];
    });
    if (seen.length === 0) {
      const address = 'baseUrl' in target ? target.baseUrl : target.kind === 's3' && 'options' in target ? s3TargetAddress(target.options) : undefined;
      const key = `${step.on}|${address ?? ''}`;
      if (!rows.has(key)) rows.set(key, { name: step.on, kind: target.kind, ...(address ? { address } : {}) });
    }
    for (const hostKey of seen) {
      const address = typeof hostKey.address === 'string' ? hostKey.address : undefined;
      const fingerprint = typeof hostKey.fingerprint === 'string' ? hostKey.fingerprint : undefined;
      const key = `${step.on}|${address ?? ''}|${fingerprint ?? ''}`;
      if (!rows.has(key)) {
        rows.set(key, { name: step.on, kind: target.kind, ...(address ? { address } : {}), ...(fingerprint ? { hostKeyFingerprint: fingerprint } : {}) });
      }
    }
  }
  return [...rows.values()];
}

/** Run-time spans spent waiting for a person: each question to its answer, or to its attempt's end. */
function peopleIntervals(events: readonly JournalEvent[]): [number, number][] {
  const open = new Map<string, number>();
  const spans: [number, number][] = [];
  for (const event of events) {
    if (event.type === 'manual.waiting') open.set(`${event.data.stepId}#${event.data.attempt}`, event.data.t);
    else if (event.type === 'approval.requested' && event.data.stepId !== undefined) open.set(`${event.data.stepId}#${event.data.attempt}`, event.data.t);
    else if (event.type === 'manual.answered' || event.type === 'attempt.finished' || (event.type === 'approval.ended' && event.data.stepId !== undefined)) {
      const key = `${event.data.stepId}#${event.data.attempt}`;
      const from = open.get(key);
      if (from !== undefined) spans.push([from, event.data.t]);
      open.delete(key);
    }
  }
  return spans;
}

/** Each resume of the run, and the span before it when no drillbook ran the drill. */
function resumesField(events: readonly JournalEvent[], iso: (t: number) => string): { resumes?: ResumeRecord[] } {
  const resumes = eventsOfType(events, 'resume.started').map(({ at, data }): ResumeRecord => ({
    at,
    by: data.operator,
    host: data.host,
    stoppedAt: iso(data.stoppedAtT),
    gapMs: Math.max(0, Math.round(data.t - data.stoppedAtT)),
    mode: data.mode,
    retried: data.retried,
    restarted: data.restarted,
    closed: data.closed,
    ended: data.ended,
    ...(data.failed ? { failed: data.failed } : {}),
    ...(data.checked?.length ? { checked: data.checked } : {}),
  }));
  return resumes.length ? { resumes } : {};
}

const gapIntervals = (events: readonly JournalEvent[]): [number, number][] =>
  eventsOfType(events, 'resume.started').map((e): [number, number] => [e.data.stoppedAtT, Math.max(e.data.stoppedAtT, e.data.t)]);

/** What the journal says of the approvals the run waited for at its own gate. */
function approvalField(events: readonly JournalEvent[]): { approval?: ApprovalRecord } {
  const approval = gateRecord(events.filter((e) => !isApprovalEvent(e) || e.data.stepId === undefined));
  return approval ? { approval } : {};
}

type ApprovalEvent = Extract<JournalEvent, { type: 'approval.requested' | 'approval.granted' | 'approval.rejected' | 'approval.ended' }>;
const isApprovalEvent = (e: JournalEvent): e is ApprovalEvent => e.type.startsWith('approval.');

/** A step's gate, as its last attempt waited at it. */
function stepGate(events: readonly JournalEvent[], stepId: string): ApprovalRecord | undefined {
  const attempt = eventsOfType(events, 'approval.requested').filter((e) => e.data.stepId === stepId).at(-1)?.data.attempt;
  if (attempt === undefined) return undefined;
  const mine = events.filter((e) => !isApprovalEvent(e) || (e.data.stepId === stepId && e.data.attempt === attempt));
  const record = gateRecord(mine, eventsOfType(events, 'attempt.finished').find((e) => e.data.stepId === stepId && e.data.attempt === attempt)?.data.t);
  return record && { ...record, request: gateRequestPath({ stepId, attempt }), attempt };
}

/** One gate's wait, from its events (and only its own approval events). */
function gateRecord(events: readonly JournalEvent[], attemptEndT?: number): ApprovalRecord | undefined {
  const requested = eventsOfType(events, 'approval.requested')[0];
  if (!requested) return undefined;
  const ended = eventsOfType(events, 'approval.ended')[0];
  // Not ended: the wait lasted until its attempt ended or the run was last seen, not until a later recover or resume.
  const continued = events.findIndex((e) => e.type === 'recover.started' || e.type === 'resume.started');
  const lastT = (continued === -1 ? events : events.slice(0, continued)).at(-1)?.data;
  const endT = ended?.data.t ?? attemptEndT ?? (lastT && 't' in lastT && typeof lastT.t === 'number' ? lastT.t : requested.data.t);
  return {
    quorum: requested.data.quorum,
    approvers: requested.data.approvers,
    requestSha256: requested.data.requestSha256,
    status: ended?.data.status ?? 'waiting',
    granted: eventsOfType(events, 'approval.granted').map(({ data: { t: _t, stepId: _s, attempt: _a, ...granted } }) => granted),
    waitedMs: Math.round(endT - requested.data.t),
  };
}

/** Build the run record from the journal. Without `run.finished` the verdict is decided here. */
export function projectRecord(scenario: Scenario, events: readonly JournalEvent[], options: ProjectionOptions): RunRecord {
  const first = eventsOfType(events, 'run.started')[0];
  if (!first) throw new Error('journal has no run.started entry');
  const started = first.data;
  const finishedEvent = eventsOfType(events, 'run.finished').at(-1);
  const finished = finishedEvent?.data;
  const byStep = indexSteps(events);

  const marks: Partial<Record<Mark, MarkRecord>> = {};
  const markT: Partial<Record<Mark, number>> = {};
  for (const event of eventsOfType(events, 'mark')) {
    const { mark, stepId, t } = event.data;
    if (!marks[mark]) {
      marks[mark] = { stepId, at: event.at };
      markT[mark] = t;
    }
  }

  const steps = [...phaseRecords(scenario, 'preconditions', byStep), ...phaseRecords(scenario, 'steps', byStep)];
  const cleanup = phaseRecords(scenario, 'cleanup', byStep);
  const exitReadiness = computeExitReadiness(scenario, steps);
  const exitProjection = exitPeriodFacts(exitReadiness);

  const rpoFrom = scenario.objectives.rpoFrom;
  const rpoValue = rpoFrom ? byStep.get(rpoFrom.stepId)?.finished?.data.outputs : undefined;
  const objectives = computeObjectives(scenario.objectives, {
    ...(markT.t0 !== undefined ? { t0Ms: markT.t0 } : {}),
    ...(markT.recovered !== undefined ? { recoveredMs: markT.recovered } : {}),
    ...(rpoFrom && rpoValue?.[rpoFrom.output] !== undefined ? { rpoValue: rpoValue[rpoFrom.output] as string } : {}),
    ...(exitProjection && { exitProjection }),
    peopleIntervals: peopleIntervals(events),
    gapIntervals: gapIntervals(events),
  });
  const endReason = finished?.endReason ?? options.endReason ?? 'crashed';
  const readinessEvent = eventsOfType(events, 'readiness.checked').at(-1);
  const readiness = readinessEvent ? { ok: readinessEvent.data.ok, checks: readinessEvent.data.checks } : undefined;
  const decided = finished
    ? { verdict: finished.verdict, reasons: finished.verdictReasons }
    : decideVerdict({ endReason, steps, cleanup, objectives, ...(exitReadiness && { exitChecklist: exitReadiness.checklist }), ...(readiness && { readiness }) });
  const lastEvent = events.at(-1);
  const lastT = lastEvent && 't' in lastEvent.data && typeof lastEvent.data.t === 'number' ? lastEvent.data.t : undefined;
  const endT = finished?.t ?? lastT ?? 0;

  const record: RunRecord = {
    schemaVersion: 1,
    runId: started.runId,
    verdict: decided.verdict,
    verdictReasons: decided.reasons,
    endReason,
    scenario: {
      id: scenario.id,
      kind: scenario.kind,
      title: scenario.title,
      owner: scenario.owner,
      file: started.scenarioFile,
      sha256: started.scenarioSha256,
      controls: scenario.controls,
    },
    startedAt: first.at,
    finishedAt: finishedEvent?.at ?? lastEvent?.at ?? first.at,
    durationMs: Math.round(endT),
    operator: started.operator,
    host: started.host,
    pid: started.pid,
    tool: started.tool,
    vars: started.vars,
    objectives,
    marks,
    steps,
    cleanup,
    deviations: finished?.deviations ?? options.deviations ?? [],
    ...approvalField(events),
    ...(started.runbook
      ? {
          runbook: {
            ...started.runbook,
            ...(started.runbook.scenarioSha256 !== undefined ? { matches: started.runbook.scenarioSha256 === started.scenarioSha256 } : {}),
          },
        }
      : {}),
    ...resumesField(events, (t) => new Date(Date.parse(first.at) + t).toISOString()),
    journal: options.journal,
  };
  if (scenario.environment !== undefined) record.scenario.environment = scenario.environment;
  const targets = touchedTargets(scenario, [...steps, ...cleanup]);
  if (targets.length > 0) record.targets = targets;
  const incomplete = incompleteCleanup(steps, cleanup).map((step) => ({
    stepId: step.id,
    status: step.status,
    uses: step.uses,
    ...(step.on !== undefined ? { on: step.on } : {}),
    ...((step.argvResolved ?? step.argv) ? { command: step.argvResolved ?? step.argv } : {}),
    ...(step.message !== undefined ? { message: step.message } : {}),
  }));
  if (incomplete.length > 0) record.cleanupIncomplete = incomplete;
  if (readiness) record.readiness = readiness;
  if (exitReadiness) record.exitReadiness = exitReadiness;
  const signal = finished?.signal ?? options.signal;
  if (signal !== undefined) record.signal = signal;
  return record;
}
