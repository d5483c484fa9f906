/**
 * What a crashed run left behind, found in its journal: processes whose attempt never ended (stopped by
 * their runner, confirmed gone or not), steps that started and never finished, cleanup steps still to run.
 */
import type { Logger } from 'pino';
import { eventsOfType, type EventOf, type JournalEvent } from '../evidence/journal-events.js';
import type { RunnerCatalog, RunnerSettings } from '../runner-contract.js';
import type { Scenario } from '../scenario/types.js';
import { allSteps, checkStepId, leafSteps, runnableSteps } from '../scenario/types.js';
import type { JournalWriter } from './journal-writer.js';
import type { ResumeSteps } from './resume-plan.js';

/**
 * Processes whose attempt never reported an end; one whose start was announced (process.starting) but
 * whose pid never reached the journal is known by its run token alone (pid 0).
 */
export function leftoverProcesses(events: readonly JournalEvent[]): EventOf<'process.started'>[] {
  const finished = new Set(eventsOfType(events, 'attempt.finished').map((e) => `${e.data.stepId}#${e.data.attempt}`));
  const started = eventsOfType(events, 'process.started').filter((e) => !finished.has(`${e.data.stepId}#${e.data.attempt}`));
  const known = new Set(eventsOfType(events, 'process.started').map((e) => e.data['runToken']));
  const announced = eventsOfType(events, 'process.starting')
    .filter((e) => !finished.has(`${e.data.stepId}#${e.data.attempt}`) && !known.has(e.data.runToken))
    .map((e): EventOf<'process.started'> => ({ at: e.at, type: 'process.started', data: { ...e.data, pid: 0, pgid: 0, argv: [] } }));
  return [...started, ...announced];
}

export interface StopLeftoversOptions {
  runners: RunnerCatalog;
  runnerSettings: RunnerSettings;
  secrets: Readonly<Record<string, string>>;
  log: Logger;
  t(): number;
}

/** Stop each leftover through its runner; journal what was confirmed. Returns deviations for what was not. */
export async function stopLeftovers(scenario: Scenario, journal: JournalWriter, options: StopLeftoversOptions): Promise<string[]> {
  const deviations: string[] = [];
  const steps = new Map(runnableSteps(scenario).map((s) => [s.id, s]));
  for (const event of leftoverProcesses(journal.events)) {
    const { stepId, attempt: _attempt, ...info } = event.data;
    const definition = options.runners[info.runner];
    let stopped = false;
    try {
      const runner = definition ? await definition.load(options.runnerSettings) : undefined;
      const step = steps.get(stepId);
      const target = step?.on ? scenario.targets[step.on] : undefined;
      stopped = runner?.stopLeftover
        ? await runner.stopLeftover(info, options.log, {
            ...(target ? { target } : {}),
            options: step?.with ?? {},
            baseDir: scenario.source.dir,
            secret: (name) => options.secrets[name],
          })
        : false;
      await runner?.close?.();
    } catch (error) {
      options.log.error({ err: error, stepId, pid: info.pid }, 'a leftover process could not be stopped');
    }
    journal.write('process.stopped', { stepId, pid: info.pid, pgid: info.pgid, host: info.host, confirmed: stopped, t: options.t() }, { barrier: true });
    if (!stopped) deviations.push(`process group ${info.pgid} of step ${stepId} on ${info.host} could not be confirmed stopped`);
  }
  return deviations;
}

/** A step whose last attempt ended passed (and none started after it) did its work, recorded or not. */
function lastAttemptPassed(events: readonly JournalEvent[], stepId: string): boolean {
  const attempts = events.filter((e) => (e.type === 'attempt.started' || e.type === 'attempt.finished') && e.data.stepId === stepId);
  const last = attempts.at(-1);
  return last?.type === 'attempt.finished' && last.data.status === 'passed';
}

/**
 * Every step that started and never finished is closed: passed when its last attempt had passed (the crash
 * came before that was recorded as the step's end), else cancelled. Returns the cleanup steps that still
 * have to run (every one that did not pass); a cleanup step cut short runs again from its start.
 */
export function closeInterruptedSteps(scenario: Scenario, journal: JournalWriter, t: () => number): string[] {
  const finished = new Map(eventsOfType(journal.events, 'step.finished').map((e) => [e.data.stepId, e.data.status]));
  for (const e of eventsOfType(journal.events, 'step.started')) {
    const stepId = e.data.stepId;
    if (finished.has(stepId) || !lastAttemptPassed(journal.events, stepId)) continue;
    journal.write('step.finished', { stepId, status: 'passed', t: t(), outputs: {} });
    finished.set(stepId, 'passed');
  }
  // Cleanup undoes side effects: a run that crashed before its first step had none.
  const sideEffectsStarted = eventsOfType(journal.events, 'step.started').some((e) => e.data.phase !== 'preconditions');
  const toRun = leafSteps(scenario.cleanup)
    .filter(() => sideEffectsStarted)
    .filter((s) => finished.get(s.id) !== 'passed')
    .map((s) => s.id);
  for (const e of eventsOfType(journal.events, 'step.started')) {
    if (finished.has(e.data.stepId) || toRun.includes(e.data.stepId)) continue;
    journal.write('step.finished', { stepId: e.data.stepId, status: 'cancelled', reason: 'cancelled', message: 'the run stopped during this step', outputs: {} , t: t() });
    finished.set(e.data.stepId, 'cancelled');
  }
  return toRun;
}

/**
 * Close what resume does not run again: steps whose work had ended (passed: their last attempt passed, or a
 * background step's `until` came; failed: no attempt left) and background steps that may not run twice
 * (cancelled). Then the marks a crash kept out of the journal are put back where the run reached them.
 */
export function closeResumedSteps(scenario: Scenario, journal: JournalWriter, plan: Pick<ResumeSteps, 'closed' | 'ended' | 'failed'>, t: () => number): void {
  for (const stepId of plan.closed) journal.write('step.finished', { stepId, status: 'passed', t: t(), outputs: {} });
  for (const stepId of plan.failed) {
    const last = eventsOfType(journal.events, 'attempt.finished').filter((e) => e.data.stepId === stepId).at(-1)?.data;
    journal.write('step.finished', { stepId, status: 'failed', t: t(), ...(last?.reason ? { reason: last.reason } : {}), ...(last?.message ? { message: last.message } : {}), outputs: {} });
  }
  for (const stepId of plan.ended) {
    journal.write('step.finished', { stepId, status: 'cancelled', reason: 'cancelled', message: 'the run stopped during this step; resume did not start it again: it is not declared idempotent', outputs: {}, t: t() });
  }
  restoreMarks(scenario, journal);
}

/**
 * A crash between a step's start (or its passing) and the mark it sets leaves the mark out: t0 is put at the
 * start of its step, recovered at the end of the passing attempt of its step, as the run would have (or of
 * the passing check that found the step done).
 */
function restoreMarks(scenario: Scenario, journal: JournalWriter): void {
  const marked = new Set(eventsOfType(journal.events, 'mark').map((e) => e.data.mark));
  const status = new Map(eventsOfType(journal.events, 'step.finished').map((e) => [e.data.stepId, e.data.status]));
  for (const step of allSteps(scenario)) {
    if (step.marks.includes('t0') && !marked.has('t0')) {
      const started = eventsOfType(journal.events, 'step.started').find((e) => e.data.stepId === step.id);
      if (started) {
        journal.write('mark', { mark: 't0', stepId: step.id, t: started.data.t });
        marked.add('t0');
      }
    }
    if (step.marks.includes('recovered') && !marked.has('recovered') && status.get(step.id) === 'passed') {
      // A step its check found done was recovered by the check's end at the latest: never earlier than known.
      const passed = eventsOfType(journal.events, 'attempt.finished').filter((e) => e.data.status === 'passed');
      const passedAt = (passed.filter((e) => e.data.stepId === step.id).at(-1) ?? passed.filter((e) => e.data.stepId === checkStepId(step.id)).at(-1))?.data.t;
      if (passedAt !== undefined) {
        journal.write('mark', { mark: 'recovered', stepId: step.id, t: passedAt });
        marked.add('recovered');
      }
    }
  }
}
