/**
 * What `drillbook resume` may do with a run that stopped, decided from its journal alone. Pure: completed steps
 * keep their results; a step cut short is run again only when running it twice does no harm (declared
 * `idempotent`, or its runner changes nothing); otherwise resume refuses and `recover` is the way out.
 */
import { eventsOfType, type JournalEvent } from '../evidence/journal-events.js';
import type { EndReason } from '../evidence/run-record.js';
import type { RunnerCatalog } from '../runner-contract.js';
import type { Scenario, Step } from '../scenario/types.js';
import { leafSteps } from '../scenario/types.js';
import { lastAttemptPassed } from './recover-leftovers.js';

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
  /** Run time of the last journal entry before the stop: the run was alive then. */
  stoppedAtT: number;
}

export interface ResumeCleanup {
  kind: 'cleanup';
  /** The run was already ending (a failed step, a signal, its deadline): only its cleanup is left. */
  endReason: EndReason;
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
    return { kind: 'cleanup', endReason: cleanupStarted.data.endReason ?? 'crashed', stoppedAtT, why: 'the run had reached its cleanup' };
  }
  const main = leafSteps(scenario.steps);
  const failed = main.find((s) => !s.background && !s.continueOnError && (finished.get(s.id) === 'failed' || finished.get(s.id) === 'cancelled'));
  if (failed) {
    const endReason: EndReason = finished.get(failed.id) === 'failed' ? 'step-failed' : 'crashed';
    return { kind: 'cleanup', endReason, stoppedAtT, why: `step ${failed.id} had ${finished.get(failed.id)}` };
  }
  if (scenario.deadlineMs !== undefined && nowT >= scenario.deadlineMs) {
    return { kind: 'cleanup', endReason: 'deadline', stoppedAtT, why: 'the run deadline has passed' };
  }

  const plan: ResumeSteps = { kind: 'steps', steps: [], retried: [], restarted: [], closed: [], ended: [], stoppedAtT };
  const refused: string[] = [];
  for (const step of main) {
    if (finished.has(step.id)) continue;
    if (!started.has(step.id)) {
      plan.steps.push(step.id);
    } else if (lastAttemptPassed(events, step.id) && Object.keys(step.outputs).length === 0) {
      // Its work was done and judged; only the step's own end was not written.
      plan.closed.push(step.id);
    } else if (mayRunAgain(step, runners)) {
      plan.steps.push(step.id);
      (step.background ? plan.restarted : plan.retried).push(step.id);
    } else if (step.background) {
      plan.ended.push(step.id);
    } else {
      refused.push(step.id);
    }
  }
  if (refused.length > 0) {
    const list = refused.map((id) => `step ${id}`).join(', ');
    return {
      kind: 'refused',
      message: `${list} ${refused.length > 1 ? 'were' : 'was'} running when the run stopped and ${refused.length > 1 ? 'are' : 'is'} not declared idempotent: running it again could repeat its side effect, and whether it happened is not known`,
      hint: `${recover} stops what the run left running, runs its cleanup and closes it as ABORTED; declare \`idempotent: true\` on steps that are safe to run twice`,
    };
  }
  return plan;
}
