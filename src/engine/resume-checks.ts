/**
 * The checks `drillbook resume` runs before the drill goes on: for each step a crash cut short that has a
 * `check`, the check runs as a step of its own (STEP.check: journalled, logged, redacted and stopped like
 * any attempt) once what the crash left running was stopped, and its outcome decides the step.
 */
import { eventsOfType } from '../evidence/journal-events.js';
import type { Scenario, Step } from '../scenario/types.js';
import { leafSteps } from '../scenario/types.js';
import { createAttemptService, defaultCaptureLimit, type AttemptServiceOptions } from './attempt.js';
import { checkOutcome, type CheckOutcome } from './check-outcome.js';

export type ResumeCheckOptions = Omit<AttemptServiceOptions, 'scenario' | 'onLateResult' | 'captureLimitBytes'>;

export interface ResumeChecks {
  /** Their work was done: closed as passed. */
  happened: string[];
  /** Their work was not done: run again. */
  notHappened: string[];
  /** The check told nothing (it could not run, timed out, was stopped). */
  unknown: string[];
}

/** Run the checks of `stepIds` one after the other; a stop ends the one running (its step stays unknown) and the rest. */
export async function runResumeChecks(scenario: Scenario, stepIds: readonly string[], options: ResumeCheckOptions, stop: AbortSignal): Promise<ResumeChecks> {
  const result: ResumeChecks = { happened: [], notHappened: [], unknown: [] };
  const steps = new Map(leafSteps(scenario.steps).map((s) => [s.id, s]));
  const attempts = createAttemptService({ ...options, scenario, captureLimitBytes: defaultCaptureLimit, onLateResult: () => undefined });
  const never = new AbortController().signal;
  try {
    for (const stepId of stepIds) {
      const step = steps.get(stepId);
      const outcome = step?.check && !stop.aborted ? await runCheck(step.check, attempts, options, never, stop) : 'unknown';
      (outcome === 'happened' ? result.happened : outcome === 'not-happened' ? result.notHappened : result.unknown).push(stepId);
    }
  } finally {
    await attempts.closeRunners();
  }
  return result;
}

async function runCheck(
  check: Step,
  attempts: ReturnType<typeof createAttemptService>,
  options: ResumeCheckOptions,
  never: AbortSignal,
  stop: AbortSignal,
): Promise<CheckOutcome> {
  const events = options.journal.events;
  // A check cut short by a crash of an earlier resume took its number.
  const attempt = 1 + Math.max(0, ...eventsOfType(events, 'attempt.started').filter((e) => e.data.stepId === check.id).map((e) => e.data.attempt));
  const outputs = Object.fromEntries(eventsOfType(events, 'step.finished').map((e) => [e.data.stepId, e.data.outputs]));
  const marks: Record<string, number> = {};
  for (const e of eventsOfType(events, 'mark')) marks[e.data.mark] ??= e.data.t;
  const onStop = (): void => attempts.abort(check.id, 'cancelled');
  stop.addEventListener('abort', onStop, { once: true });
  // The machine times the steps' attempts; the checks run before it, so they are timed here.
  const timer = options.clock.setTimeout(() => attempts.abort(check.id, 'timeout'), check.timeoutMs);
  try {
    await attempts.run({ stepId: check.id, attempt, outputs, marks }, never);
  } finally {
    options.clock.clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
  const finished = eventsOfType(options.journal.events, 'attempt.finished').filter((e) => e.data.stepId === check.id && e.data.attempt === attempt).at(-1);
  return checkOutcome(finished?.data);
}
