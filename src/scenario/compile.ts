/**
 * Scenario → XState v5 machine config. Pure: the result is plain data that names the engine's
 * actors, actions and guards (registered once in engine/machine.ts). `drillbook plan` prints exactly this.
 */
import type { Mark, Scenario, Step, StepOrGroup } from './types.js';

/** A JSON-compatible object: the compiled config never holds functions, dates or class instances. */
export type StateConfig = { [key: string]: unknown };
export interface ActionRef {
  type: string;
  params?: Record<string, unknown>;
}
export interface TransitionConfig {
  target: string;
  actions?: ActionRef[];
  guard?: ActionRef;
}

export interface CompiledScenario {
  scenarioId: string;
  machine: StateConfig;
}

/** Time an attempt gets after its timeout to stop its work before the engine gives up on it. */
export const stopGraceMs = 60_000;

export const stateIds = {
  preconditions: 'preconditions',
  confirm: 'confirm',
  main: 'main',
  cleanup: 'cleanup',
  closing: 'closing',
  finished: 'finished',
} as const;

const ref = (id: string): string => `#${id}`;
const stepStateId = (stepId: string): string => `step-${stepId}`;

function endRun(reason: string): ActionRef {
  return { type: 'endRun', params: { reason } };
}

interface Flow {
  onPass: TransitionConfig;
  onFail: TransitionConfig;
}

function stepState(step: Step, flow: Flow): StateConfig {
  const stepId = step.id;
  const marks = (mark: Mark): ActionRef[] =>
    step.marks.includes(mark) ? [{ type: 'markReached', params: { mark, stepId } }] : [];
  const onFail = step.continueOnError ? flow.onPass : flow.onFail;
  const until = step.until ?? null;
  return {
    id: stepStateId(stepId),
    initial: 'attempt',
    entry: [{ type: 'stepStarted', params: { stepId } }, ...marks('t0')],
    states: {
      attempt: {
        invoke: {
          src: 'runAttempt',
          input: { stepId },
          onDone: { target: 'judged', actions: [{ type: 'attemptSettled', params: { stepId } }] },
          onError: { target: 'judged', actions: [{ type: 'attemptCrashed', params: { stepId } }] },
        },
        after: {
          [step.timeoutMs]: { actions: [{ type: 'abortAttempt', params: { stepId, reason: 'timeout' } }] },
          [step.timeoutMs + stopGraceMs]: { target: 'judged', actions: [{ type: 'attemptAbandoned', params: { stepId } }] },
        },
        exit: [{ type: 'abortAttempt', params: { stepId, reason: 'cancelled' } }],
        ...(until ? { on: { MARK: { guard: { type: 'markIs', params: { mark: until } }, actions: [{ type: 'untilReached', params: { stepId } }] } } } : {}),
      },
      judged: {
        always: [
          { guard: { type: 'lastAttemptPassed', params: { stepId } }, target: 'passed' },
          ...(until ? [{ guard: { type: 'untilWasReached', params: { stepId } }, target: 'failed' }] : []),
          { guard: { type: 'attemptsLeft', params: { stepId, attempts: step.retry.attempts } }, target: 'backoff' },
          { target: 'failed' },
        ],
      },
      backoff: {
        ...(step.retry.backoffMs > 0 ? { after: { [step.retry.backoffMs]: { target: 'attempt' } } } : { always: { target: 'attempt' } }),
        ...(until ? { on: { MARK: { guard: { type: 'markIs', params: { mark: until } }, target: 'failed' } } } : {}),
      },
      passed: {
        entry: [{ type: 'stepFinished', params: { stepId, status: 'passed' } }, ...marks('recovered')],
        always: flow.onPass,
      },
      failed: {
        entry: [{ type: 'stepFinished', params: { stepId, status: 'failed' } }],
        always: onFail,
      },
    },
  };
}

function groupState(group: Extract<StepOrGroup, { type: 'group' }>, flow: Flow, failFast: boolean): StateConfig {
  const regions: StateConfig = {};
  for (const child of group.parallel) {
    const okId = `group-${group.id}-${child.id}-ok`;
    const koId = `group-${group.id}-${child.id}-ko`;
    regions[child.id] = {
      initial: 'run',
      states: {
        run: stepState(child, {
          onPass: { target: ref(okId) },
          onFail: failFast ? flow.onFail : { target: ref(koId) },
        }),
        ok: { id: okId, type: 'final' },
        ko: { id: koId, type: 'final' },
      },
    };
  }
  return {
    id: `group-${group.id}`,
    type: 'parallel',
    entry: [{ type: 'groupStarted', params: { groupId: group.id } }],
    states: regions,
    onDone: [
      {
        guard: { type: 'stepsPassed', params: { stepIds: group.parallel.map((s) => s.id) } },
        ...flow.onPass,
      },
      flow.onFail,
    ],
  };
}

/** A chain of steps: each passes on to the next, the last to `end`; failures go to `onFail`. */
function sequence(list: readonly StepOrGroup[], end: TransitionConfig, fail: TransitionConfig | 'continue', skipBackground: boolean): StateConfig {
  const states: StateConfig = {};
  list.forEach((item, index) => {
    const next = list[index + 1];
    const onPass: TransitionConfig = next ? { target: ref(entryId(next)) } : end;
    const onFail = fail === 'continue' ? onPass : fail;
    if (item.type === 'group') {
      // In cleanup every member runs to its end: fail-fast would cancel the rest of a clean-up.
      states[item.id] = groupState(item, { onPass, onFail }, item.failFast && fail !== 'continue');
    } else if (item.background && skipBackground) {
      // The step itself lives in its own region; the sequence only starts it and moves on.
      states[item.id] = {
        id: entryId(item),
        entry: [{ type: 'startBackground', params: { stepId: item.id } }],
        always: onPass,
      };
    } else {
      states[item.id] = stepState(item, { onPass, onFail });
    }
  });
  return states;
}

function entryId(item: StepOrGroup): string {
  return item.type === 'group' ? `group-${item.id}` : item.background ? `start-${item.id}` : stepStateId(item.id);
}

/** State keys are step ids; reserved keys start with `_`, which no step id can. */
function chain(list: readonly StepOrGroup[], end: TransitionConfig, fail: TransitionConfig | 'continue', skipBackground = false): StateConfig {
  const first = list[0];
  if (!first) return { initial: '_empty', states: { _empty: { always: end } } };
  return { initial: first.id, states: sequence(list, end, fail, skipBackground) };
}

function mainState(scenario: Scenario): StateConfig {
  const cleanup = ref(stateIds.cleanup);
  const background = scenario.steps.filter((s): s is Step => s.type === 'step' && s.background);
  const seq = chain(
    scenario.steps,
    { target: ref('main-done') },
    { target: cleanup, actions: [endRun('step-failed')] },
    true,
  );
  (seq['states'] as StateConfig)['_done'] = {
    id: 'main-done',
    entry: [{ type: 'stopBackground', params: { stepIds: background.map((s) => s.id) } }],
    always: { target: cleanup, actions: [endRun('completed')] },
  };
  const base = { id: stateIds.main, entry: [{ type: 'mainStarted' }] };
  if (background.length === 0) return { ...base, ...seq };
  const regions: StateConfig = { sequence: seq };
  for (const step of background) {
    const endedId = `background-${step.id}-ended`;
    regions[`background-${step.id}`] = {
      initial: 'idle',
      states: {
        idle: { on: { 'BACKGROUND.START': { guard: { type: 'isStep', params: { stepId: step.id } }, target: 'run' } } },
        run: stepState(step, { onPass: { target: ref(endedId) }, onFail: { target: ref(endedId) } }),
        ended: { id: endedId, type: 'final' },
      },
    };
  }
  return { ...base, type: 'parallel', states: regions };
}

/** Compile a validated scenario into a machine config (plain data). */
export function compileScenario(scenario: Scenario): CompiledScenario {
  const production = scenario.environment === 'production';
  const afterPreconditions = production ? stateIds.confirm : stateIds.main;
  const closing = ref(stateIds.closing);

  const active: StateConfig = {
    initial: stateIds.preconditions,
    on: {
      INTERRUPT: [
        { guard: { type: 'mainStarted' }, target: ref(stateIds.cleanup), actions: [endRun('signal')] },
        { target: closing, actions: [endRun('signal')] },
      ],
    },
    states: {
      preconditions: {
        id: stateIds.preconditions,
        ...chain(scenario.preconditions, { target: ref(afterPreconditions) }, { target: closing, actions: [endRun('precondition-failed')] }),
      },
      ...(production
        ? {
            confirm: {
              id: stateIds.confirm,
              invoke: {
                src: 'confirmProduction',
                onDone: [
                  { guard: { type: 'confirmed' }, target: ref(stateIds.main) },
                  { target: closing, actions: [endRun('not-confirmed')] },
                ],
                onError: { target: closing, actions: [endRun('not-confirmed')] },
              },
            },
          }
        : {}),
      main: mainState(scenario),
    },
  };
  if (scenario.deadlineMs !== undefined) {
    active['after'] = {
      [scenario.deadlineMs]: [
        { guard: { type: 'mainStarted' }, target: ref(stateIds.cleanup), actions: [endRun('deadline')] },
        { target: closing, actions: [endRun('deadline')] },
      ],
    };
  }

  // A failed cleanup step never stops the rest of the cleanup.
  const cleanupChain = chain(scenario.cleanup, { target: closing }, 'continue');
  const cleanupStates = cleanupChain['states'] as StateConfig;
  const cleanup: StateConfig = {
    id: stateIds.cleanup,
    initial: '_drain',
    entry: [{ type: 'cleanupStarted' }],
    states: {
      _drain: {
        invoke: {
          src: 'drainInFlight',
          onDone: { target: String(cleanupChain['initial']) },
          onError: { target: String(cleanupChain['initial']) },
        },
      },
      ...cleanupStates,
    },
  };

  const machine: StateConfig = {
    id: 'drill',
    initial: 'active',
    states: {
      active,
      cleanup,
      closing: {
        id: stateIds.closing,
        invoke: { src: 'drainInFlight', onDone: { target: stateIds.finished }, onError: { target: stateIds.finished } },
      },
      finished: { id: stateIds.finished, type: 'final' },
    },
  };
  return { scenarioId: scenario.id, machine };
}
