/**
 * What resume may do, decided from the journal alone: finished steps keep their results, a step cut short runs
 * again only when that is safe, and a run that was already ending only gets its cleanup.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/evidence/journal-events.js';
import { planResume } from '../../src/engine/resume-plan.js';
import { builtinRunners } from '../../runners/index.js';
import { scenario, step } from './support.js';

let clock = 0;
const at = (): string => new Date(Date.UTC(2026, 11, 3) + clock).toISOString();
const ev = (type: string, data: Record<string, unknown>): JournalEvent => {
  clock += 10;
  return { at: at(), type, data: { t: clock, ...data } } as unknown as JournalEvent;
};
const started = (id: string, phase = 'steps'): JournalEvent[] => [ev('step.started', { stepId: id, phase }), ev('attempt.started', { stepId: id, attempt: 1 })];
const attemptEnd = (id: string, status: 'passed' | 'failed'): JournalEvent =>
  ev('attempt.finished', { stepId: id, attempt: 1, startedAt: at(), durationMs: 5, status });
const passed = (id: string, phase = 'steps'): JournalEvent[] => [...started(id, phase), attemptEnd(id, 'passed'), ev('step.finished', { stepId: id, status: 'passed', outputs: {} })];
const runStarted = (): JournalEvent => ev('run.started', { runId: 'r' });

const drill = scenario({
  preconditions: [step('ready', [{ ms: 1 }], { phase: 'preconditions' })],
  steps: [
    step('first'),
    step('again', [{ ms: 1 }], { idempotent: true }),
    step('once'),
    step('load', [{ ms: 1 }], { background: true }),
    step('probe', [{ ms: 1 }], { background: true, idempotent: true }),
    step('pause', [{ ms: 1 }], { uses: 'wait' }),
    step('last'),
  ],
  cleanup: [step('undo', [{ ms: 1 }], { phase: 'cleanup' })],
});
const plan = (events: JournalEvent[], nowT = 1_000_000, s = drill) => planResume(s, events, builtinRunners, nowT, '/b');

describe('planResume', () => {
  it('refuses a run that stopped before its first step, and one that finished', () => {
    expect(plan([runStarted(), ...passed('ready', 'preconditions')])).toMatchObject({ kind: 'refused', message: 'the run stopped before its first step: there is nothing to resume' });
    expect(plan([runStarted(), ...passed('ready', 'preconditions'), ...passed('first'), ev('run.finished', {})])).toMatchObject({ kind: 'refused', message: 'the run finished: there is nothing to resume' });
  });

  it('runs again an idempotent step cut short, and everything after it; finished steps are not run again', () => {
    const events = [runStarted(), ...passed('ready', 'preconditions'), ...passed('first'), ...started('again')];
    const result = plan(events);
    expect(result).toEqual({
      kind: 'steps',
      steps: ['again', 'once', 'load', 'probe', 'pause', 'last'],
      retried: ['again'],
      restarted: [],
      closed: [],
      ended: [],
      failed: [],
      checked: [],
      stoppedAtT: clock,
    });
  });

  it('leaves a step cut short that has a check to its check, even when it is safe to repeat', () => {
    const withCheck = (id: string, extra: Record<string, unknown> = {}) => {
      const made = step(id, [{ ms: 1 }], extra);
      return { ...made, check: { ...step(`${id}.check`), id: `${id}.check` } };
    };
    const checked = scenario({ ...drill, steps: [step('first'), withCheck('promote'), withCheck('swap', { idempotent: true }), step('last')] });
    const cut = plan([runStarted(), ...passed('first'), ...started('promote')], 1_000_000, checked);
    expect(cut).toMatchObject({ kind: 'steps', steps: ['swap', 'last'], checked: ['promote'], retried: [] });
    // A check whose step had passed its attempt is not needed: the journal already says.
    expect(plan([runStarted(), ...passed('first'), ...started('promote'), attemptEnd('promote', 'passed')], 1_000_000, checked)).toMatchObject({ closed: ['promote'], checked: [] });
    expect(plan([runStarted(), ...passed('first'), ...passed('promote'), ...started('swap')], 1_000_000, checked)).toMatchObject({ checked: ['swap'], retried: [], steps: ['last'] });
  });

  it('refuses to run again a step that is not declared idempotent, naming it and recover', () => {
    const result = plan([runStarted(), ...passed('first'), ...passed('again'), ...started('once')]);
    expect(result).toMatchObject({ kind: 'refused' });
    if (result.kind !== 'refused') return;
    expect(result.message).toContain('step once was running when the run stopped and is not declared idempotent');
    expect(result.hint).toContain('`drillbook recover /b`');
  });

  it('closes a step whose last attempt had passed; restarts an idempotent background step and ends the other; a wait runs again', () => {
    const events = [runStarted(), ...passed('first'), ...passed('again'), ...started('once'), attemptEnd('once', 'passed'), ...started('load'), ...started('probe'), ...started('pause')];
    expect(plan(events)).toMatchObject({ kind: 'steps', steps: ['probe', 'pause', 'last'], retried: ['pause'], restarted: ['probe'], closed: ['once'], ended: ['load'] });
  });

  it('between attempts the scenario\'s own retry decides: another attempt when one is left, else the step failed', () => {
    const retrying = scenario({ ...drill, steps: [step('first', [{ ms: 1 }], { retry: { attempts: 2, backoffMs: 1000 } }), step('second'), step('third', [{ ms: 1 }], { continueOnError: true })] });
    expect(plan([runStarted(), ...started('first'), attemptEnd('first', 'failed')], 1_000_000, retrying)).toMatchObject({ kind: 'steps', steps: ['first', 'second', 'third'], retried: ['first'] });
    const twice = [runStarted(), ...started('first'), attemptEnd('first', 'failed'), ev('attempt.started', { stepId: 'first', attempt: 2 }), attemptEnd('first', 'failed')];
    expect(plan(twice, 1_000_000, retrying)).toMatchObject({ kind: 'cleanup', endReason: 'step-failed', failed: ['first'], why: 'step first had failed its last attempt' });
    const goingOn = [runStarted(), ...passed('first'), ...passed('second'), ...started('third'), attemptEnd('third', 'failed')];
    expect(plan(goingOn, 1_000_000, retrying)).toMatchObject({ kind: 'steps', steps: [], failed: ['third'] });
  });

  it('a background step whose until mark came before the stop ended normally: closed, never started again', () => {
    const watched = scenario({ ...drill, steps: [step('monitor', [{ ms: 1 }], { background: true, until: 'recovered', idempotent: true }), step('heal', [{ ms: 1 }], { marks: ['recovered'] })] });
    const events = [runStarted(), ...started('monitor'), ...passed('heal'), ev('mark', { mark: 'recovered', stepId: 'heal' })];
    expect(plan(events, 1_000_000, watched)).toMatchObject({ kind: 'steps', steps: [], closed: ['monitor'], restarted: [] });
  });

  it('refuses when a step left reads an output the journal kept redacted (it held a secret)', () => {
    const reading = scenario({ ...drill, steps: [step('make'), step('use', [{ ms: 1 }], { idempotent: true, run: ['login', '${{ steps.make.outputs.token }}'] })] });
    const made = (value: string) => [runStarted(), ...started('make'), attemptEnd('make', 'passed'), ev('step.finished', { stepId: 'make', status: 'passed', outputs: { token: value } }), ...started('use')];
    expect(plan(made('tok=***'), 1_000_000, reading)).toMatchObject({
      kind: 'refused',
      message: 'steps.make.outputs.token: the journal keeps this output redacted (it holds a secret), so the steps left cannot be given its value',
    });
    expect(plan(made('tok=abc'), 1_000_000, reading)).toMatchObject({ kind: 'steps', retried: ['use'] });
  });

  it('a run that was already ending only gets its cleanup, with the reason it was ending for', () => {
    expect(plan([runStarted(), ...passed('first'), ev('cleanup.started', { endReason: 'signal', signal: 'SIGINT' })])).toMatchObject({ kind: 'cleanup', endReason: 'signal', signal: 'SIGINT' });
    expect(plan([runStarted(), ...started('first'), attemptEnd('first', 'failed'), ev('step.finished', { stepId: 'first', status: 'failed', outputs: {} })])).toMatchObject({
      kind: 'cleanup',
      endReason: 'step-failed',
      why: 'step first had failed',
    });
  });

  it('after the deadline only the cleanup is left', () => {
    const late = scenario({ ...drill, deadlineMs: 60_000 });
    const events = [runStarted(), ...passed('first'), ...started('again')];
    expect(plan(events, 59_000, late)).toMatchObject({ kind: 'steps' });
    expect(plan(events, 60_000, late)).toMatchObject({ kind: 'cleanup', endReason: 'deadline' });
  });
});
