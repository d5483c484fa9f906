/**
 * What `drillbook resume` may do with a run that stopped, decided from its journal alone. Pure: completed steps
 * keep their results; a step cut short is run again only when running it twice does no harm (declared
 * `idempotent`, or its runner changes nothing); one with a `check` is decided by the check, which resume runs
 * before the steps (resume-checks.ts); otherwise resume refuses and `recover` is the way out.
 */
import { eventsOfType, type JournalEvent } from '../evidence/journal-events.js';
import type { EndReason } from '../evidence/run-record.js';
import type { RunnerCatalog } from '../runner-contract.js';
import type { Scenario, Step } from '../scenario/types.js';
import { leafSteps } from '../scenario/types.js';
import { templateRefs } from '../scenario/template.js';
import { redactionMark } from '../redact.js';

export interface ResumeSteps {
  kind: 'steps';
  /** Steps of the main phase still to run, in scenario order (the retried and restarted ones included). */
  steps: string[];
  /** Cut short, run again from a new attempt. */
  retried: string[];
  /** Background steps cut short, started again. */
  restarted: string[];
  /** Cut short after their last attempt passed: closed as passed. */
  closed: string[];
  /** Background steps cut short that may not run twice: closed as cancelled. */
  ended: string[];
  /** Cut short after their last attempt failed with no attempt left (continue on error, background): closed as failed. */
  failed: string[];
  /** Cut short with a `check`: resume runs it to decide (passed: closed as passed; failed: run again). Not in `steps`. */
  checked: string[];
  /** Run time of the last journal entry before the stop: the run was alive then. */
  stoppedAtT: number;
}

export interface ResumeCleanup {
  kind: 'cleanup';
  /** The run was already ending (a failed step, a signal, its deadline): only its cleanup is left. */
  endReason: EndReason;
  /** The signal that was ending the run, when one was. */
  signal?: string;
  /** Steps whose last attempt failed with no attempt left: closed as failed before the cleanup. */
  failed: string[];
  stoppedAtT: number;
  why: string;
}

export interface ResumeRefused {
  kind: 'refused';
  message: string;
  hint: string;
}

export type ResumePlan = ResumeSteps | ResumeCleanup | ResumeRefused;

function lastT(events: readonly JournalEvent[]): number {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const data = events[i]?.data as { t?: unknown } | undefined;
    if (typeof data?.t === 'number') return data.t;
  }
  return 0;
}

/** Running the step again does no harm: declared so, or its runner changes nothing (a wait, a person asked again). */
export function mayRunAgain(step: Step, runners: RunnerCatalog): boolean {
  return step.idempotent || runners[step.uses]?.repeatable === true;
}

export function planResume(scenario: Scenario, events: readonly JournalEvent[], runners: RunnerCatalog, nowT: number, bundle: string): ResumePlan {
  const recover = `\`drillbook recover ${bundle}\``;
  if (eventsOfType(events, 'run.finished').length > 0) {
    return { kind: 'refused', message: 'the run finished: there is nothing to resume', hint: `${recover} seals it if its record is missing` };
  }
  const started = new Map(eventsOfType(events, 'step.started').map((e) => [e.data.stepId, e.data.phase]));
  if (![...started.values()].includes('steps')) {
    return {
      kind: 'refused',
      message: 'the run stopped before its first step: there is nothing to resume',
      hint: `${recover} closes it (nothing had changed yet), then run the scenario again`,
    };
  }
  const stoppedAtT = lastT(events);
  const finished = new Map(eventsOfType(events, 'step.finished').map((e) => [e.data.stepId, e.data.status]));
  const cleanupStarted = eventsOfType(events, 'cleanup.started').at(-1);
  if (cleanupStarted) {
    const { endReason, signal } = cleanupStarted.data;
    return { kind: 'cleanup', endReason: endReason ?? 'crashed', ...(signal ? { signal } : {}), failed: [], stoppedAtT, why: 'the run had reached its cleanup' };
  }
  const main = leafSteps(scenario.steps);
  const stopping = main.find((s) => !s.background && !s.continueOnError && (finished.get(s.id) === 'failed' || finished.get(s.id) === 'cancelled'));
  if (stopping) {
    const endReason: EndReason = finished.get(stopping.id) === 'failed' ? 'step-failed' : 'crashed';
    return { kind: 'cleanup', endReason, failed: [], stoppedAtT, why: `step ${stopping.id} had ${finished.get(stopping.id)}` };
  }
  if (scenario.deadlineMs !== undefined && nowT >= scenario.deadlineMs) {
    return { kind: 'cleanup', endReason: 'deadline', failed: [], stoppedAtT, why: 'the run deadline has passed' };
  }

  const marks = new Set(eventsOfType(events, 'mark').map((e) => e.data.mark));
  const plan: ResumeSteps = { kind: 'steps', steps: [], retried: [], restarted: [], closed: [], ended: [], failed: [], checked: [], stoppedAtT };
  const refused: string[] = [];
  const exhausted: Step[] = [];
  for (const step of main) {
    if (finished.has(step.id)) continue;
    const last = lastAttempt(events, step.id);
    if (!started.has(step.id)) {
      plan.steps.push(step.id);
    } else if (step.background && step.until !== undefined && marks.has(step.until)) {
      // Its `until` mark came: that is a background step's normal end, as a run that never stopped says.
      plan.closed.push(step.id);
    } else if (last?.type === 'attempt.finished' && last.data.status === 'passed' && Object.keys(step.outputs).length === 0) {
      // Its work was done and judged; only the step's own end was not written.
      plan.closed.push(step.id);
    } else if (last?.type === 'attempt.finished' && last.data.status === 'failed') {
      // Nothing was in flight: between attempts, the scenario's own retry decides.
      if (attemptsStarted(events, step.id) < step.retry.attempts) {
        plan.steps.push(step.id);
        plan.retried.push(step.id);
      } else exhausted.push(step);
    } else if (step.check) {
      // Whether its work was done is asked of its check, once what the crash left running is stopped.
      plan.checked.push(step.id);
    } else if (mayRunAgain(step, runners)) {
      plan.steps.push(step.id);
      (step.background ? plan.restarted : plan.retried).push(step.id);
    } else if (step.background) {
      plan.ended.push(step.id);
    } else {
      refused.push(step.id);
    }
  }
  const failedRun = exhausted.find((s) => !s.background && !s.continueOnError);
  if (failedRun) {
    return { kind: 'cleanup', endReason: 'step-failed', failed: exhausted.map((s) => s.id), stoppedAtT, why: `step ${failedRun.id} had failed its last attempt` };
  }
  plan.failed.push(...exhausted.map((s) => s.id));
  if (refused.length > 0) {
    const list = refused.map((id) => `step ${id}`).join(', ');
    return {
      kind: 'refused',
      message: `${list} ${refused.length > 1 ? 'were' : 'was'} running when the run stopped and ${refused.length > 1 ? 'are' : 'is'} not declared idempotent: running it again could repeat its side effect, and whether it happened is not known`,
      hint: `${recover} stops what the run left running, runs its cleanup and closes it as ABORTED; declare \`idempotent: true\` on steps that are safe to run twice, or give a step a \`check\` that tells whether it happened`,
    };
  }
  const lost = redactedInputs(scenario, events, [...plan.steps, ...plan.checked]);
  if (lost.length > 0) {
    return {
      kind: 'refused',
      message: `${lost.join(', ')}: the journal keeps ${lost.length > 1 ? 'these outputs' : 'this output'} redacted (${lost.length > 1 ? 'they hold' : 'it holds'} a secret), so the steps left cannot be given ${lost.length > 1 ? 'their values' : 'its value'}`,
      hint: `${recover} closes the run; an output that carries a secret cannot survive a crash`,
    };
  }
  return plan;
}

/** The step's last attempt event: started (in flight, or cut short) or finished. */
function lastAttempt(events: readonly JournalEvent[], stepId: string): JournalEvent | undefined {
  return events.filter((e) => (e.type === 'attempt.started' || e.type === 'attempt.finished') && e.data.stepId === stepId).at(-1);
}

const attemptsStarted = (events: readonly JournalEvent[], stepId: string): number => events.filter((e) => e.type === 'attempt.started' && e.data.stepId === stepId).length;

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** `steps.ID.outputs.NAME` that the steps left read and that the journal kept redacted: their values are lost. */
function redactedInputs(scenario: Scenario, events: readonly JournalEvent[], pending: readonly string[]): string[] {
  const outputs = new Map(eventsOfType(events, 'step.finished').map((e) => [e.data.stepId, e.data.outputs]));
  const readers = leafSteps(scenario.steps).filter((s) => pending.includes(s.id));
  const lost = new Set<string>();
  for (const reader of readers) {
    const read = [reader.run ?? [], reader.with, reader.check?.run ?? [], reader.check?.with ?? {}];
    for (const ref of stringsOf(read).flatMap((text) => (text.includes('${{') ? templateRefs(text) : []))) {
      if (ref.scope === 'steps' && outputs.get(ref.stepId)?.[ref.output]?.includes(redactionMark)) lost.add(`steps.${ref.stepId}.outputs.${ref.output}`);
    }
  }
  return [...lost].sort();
}
