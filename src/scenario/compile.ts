/**
 * Scenario → XState v5 machine config. Pure: the result is plain data that names the engine's actions,
 * guards and actors (src/scenario/machine-vocabulary.ts, implemented once in engine/drill-machine.ts) and
 * carries in `meta` what `drillbook plan` prints, so the plan is rendered from exactly what runs.
 */
import type { ActionRef, EndRunReason, GuardRef, InvokeRef } from './machine-vocabulary.js';
import type { Approval, ExitPlan, Mark, Objectives, Phase, Scenario, ScenarioKind, Step, StepOrGroup } from './types.js';

export interface TransitionConfig {
  target?: string;
  actions?: ActionRef[];
  guard?: GuardRef;
}
type Transitions = TransitionConfig | TransitionConfig[];

/** What the plan shows of a step. */
export type StepMeta = { kind: 'step' } & Pick<Step, 'id' | 'name' | 'phase' | 'uses' | 'on' | 'run' | 'timeoutMs' | 'retry' | 'marks' | 'background' | 'until' | 'continueOnError' | 'idempotent'> & {
  /** It has a check that tells resume whether it happened. */
  checked?: true;
};
export interface GroupMeta {
  kind: 'group';
  id: string;
  phase: Phase;
  failFast: boolean;
}
export interface PhaseMeta {
  kind: 'phase';
  phase: Phase | 'confirm' | 'approval';
}
export interface ScenarioMeta {
  kind: 'scenario';
  id: string;
  scenarioKind: ScenarioKind;
  title: string;
  owner: string;
  environment?: string;
  deadlineMs?: number;
  approval?: Approval | 'none';
  objectives: Objectives;
  exit?: ExitPlan;
}
export type StateMeta = StepMeta | GroupMeta | PhaseMeta | ScenarioMeta;

/** One state of the compiled machine: JSON-compatible, never functions, dates or class instances. */
export interface StateConfig {
  id?: string;
  type?: 'parallel' | 'final';
  initial?: string;
  entry?: ActionRef[];
  exit?: ActionRef[];
  invoke?: InvokeRef & { onDone: Transitions; onError: Transitions };
  after?: Record<string, Transitions>;
  always?: Transitions;
  on?: Record<string, Transitions>;
  onDone?: Transitions;
  states?: Record<string, StateConfig>;
  meta?: StateMeta;
}

export interface CompiledScenario {
  scenarioId: string;
  machine: StateConfig;
}

/** Time an attempt gets after its timeout to stop its work before the engine gives up on it. */
export const stopGraceMs = 60_000;

export const stateIds = {
  preconditions: 'preconditions',
  approval: 'approval',
  confirm: 'confirm',
  main: 'main',
  cleanup: 'cleanup',
  closing: 'closing',
  finished: 'finished',
} as const;

const ref = (id: string): string => `#${id}`;
const stepStateId = (stepId: string): string => `step-${stepId}`;

function endRun(reason: EndRunReason): ActionRef {
  return { type: 'endRun', params: { reason } };
}

function stepMeta(step: Step): StepMeta {
  return {
    kind: 'step',
    id: step.id,
    ...(step.name !== undefined ? { name: step.name } : {}),
    phase: step.phase,
    uses: step.uses,
    ...(step.on !== undefined ? { on: step.on } : {}),
    ...(step.run !== undefined ? { run: step.run } : {}),
    timeoutMs: step.timeoutMs,
    retry: step.retry,
    marks: step.marks,
    background: step.background,
    ...(step.until !== undefined ? { until: step.until } : {}),
    continueOnError: step.continueOnError,
    idempotent: step.idempotent,
    ...(step.check ? { checked: true as const } : {}),
  };
}

interface Flow {
  onPass: TransitionConfig;
  onFail: TransitionConfig;
}

function stepState(step: Step, flow: Flow): StateConfig {
  const stepId = step.id;
  const marks = (mark: Mark): ActionRef[] => (step.marks.includes(mark) ? [{ type: 'markReached', params: { mark, stepId } }] : []);
  const onFail = step.continueOnError ? flow.onPass : flow.onFail;
  const until = step.until;
  return {
    id: stepStateId(stepId),
    meta: stepMeta(step),
    initial: 'attempt',
    entry: [{ type: 'stepStarted', params: { stepId } }, ...marks('t0')],
    states: {
      attempt: {
        entry: [{ type: 'attemptBegun', params: { stepId } }],
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
          ...(until ? [{ guard: { type: 'untilWasReached', params: { stepId } } as GuardRef, target: 'failed' }] : []),
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
  const regions: Record<string, StateConfig> = {};
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
    meta: { kind: 'group', id: group.id, phase: group.phase, failFast },
    type: 'parallel',
    states: regions,
    onDone: [
      // A member that continues on error does not decide the group.
      { guard: { type: 'stepsPassed', params: { stepIds: group.parallel.filter((s) => !s.continueOnError).map((s) => s.id) } }, ...flow.onPass },
      flow.onFail,
    ],
  };
}

/** A chain of steps: each passes on to the next, the last to `end`; failures go to `onFail`. */
function sequence(list: readonly StepOrGroup[], end: TransitionConfig, fail: TransitionConfig | 'continue', skipBackground: boolean): Record<string, StateConfig> {
  const states: Record<string, StateConfig> = {};
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
function chain(list: readonly StepOrGroup[], end: TransitionConfig, fail: TransitionConfig | 'continue', skipBackground = false): Pick<StateConfig, 'initial' | 'states'> {
  const first = list[0];
  if (!first) return { initial: '_empty', states: { _empty: { always: end } } };
  return { initial: first.id, states: sequence(list, end, fail, skipBackground) };
}

function mainState(scenario: Scenario): StateConfig {
  const cleanup = ref(stateIds.cleanup);
  const background = scenario.steps.filter((s): s is Step => s.type === 'step' && s.background);
  const seq = chain(scenario.steps, { target: ref('main-done') }, { target: cleanup, actions: [endRun('step-failed')] }, true);
  const sequenceStates: Record<string, StateConfig> = {
    ...seq.states,
    _done: {
      id: 'main-done',
      entry: [{ type: 'stopBackground', params: { stepIds: background.map((s) => s.id) } }],
      always: { target: cleanup, actions: [endRun('completed')] },
    },
  };
  const base: StateConfig = { id: stateIds.main, meta: { kind: 'phase', phase: 'steps' }, entry: [{ type: 'mainStarted' }] };
  if (background.length === 0) return { ...base, initial: seq.initial ?? '_done', states: sequenceStates };
  const regions: Record<string, StateConfig> = { sequence: { initial: seq.initial ?? '_done', states: sequenceStates } };
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

function scenarioMeta(scenario: Scenario): ScenarioMeta {
  return {
    kind: 'scenario',
    id: scenario.id,
    scenarioKind: scenario.kind,
    title: scenario.title,
    owner: scenario.owner,
    ...(scenario.environment !== undefined ? { environment: scenario.environment } : {}),
    ...(scenario.deadlineMs !== undefined ? { deadlineMs: scenario.deadlineMs } : {}),
    ...(scenario.approval !== undefined ? { approval: scenario.approval } : {}),
    objectives: scenario.objectives,
    ...(scenario.exit ? { exit: scenario.exit } : {}),
  };
}

/** Compile a validated scenario into a machine config (plain data). */
export function compileScenario(scenario: Scenario): CompiledScenario {
  const production = scenario.environment === 'production';
  const approval = typeof scenario.approval === 'object';
  const afterApproval = production ? stateIds.confirm : stateIds.main;
  const afterPreconditions = approval ? stateIds.approval : afterApproval;
  const closing = ref(stateIds.closing);

  const active: StateConfig = {
    initial: stateIds.preconditions,
    on: {
      INTERRUPT: [
        { guard: { type: 'mainStarted' }, target: ref(stateIds.cleanup), actions: [endRun('signal')] },
        { target: closing, actions: [endRun('signal')] },
      ],
      // The evidence cannot be written: no further side effect, but the cleanup still runs.
      'WRITE.FAILED': [
        { guard: { type: 'mainStarted' }, target: ref(stateIds.cleanup), actions: [endRun('write-failed')] },
        { target: closing, actions: [endRun('write-failed')] },
      ],
    },
    states: {
      preconditions: {
        id: stateIds.preconditions,
        meta: { kind: 'phase', phase: 'preconditions' },
        ...chain(scenario.preconditions, { target: ref(afterPreconditions) }, { target: closing, actions: [endRun('precondition-failed')] }),
      },
      ...(approval
        ? {
            approval: {
              id: stateIds.approval,
              meta: { kind: 'phase', phase: 'approval' },
              invoke: {
                src: 'awaitApprovals',
                onDone: [
                  { guard: { type: 'approved' }, target: ref(afterApproval) },
                  { target: closing, actions: [endRun('not-approved')] },
                ],
                onError: { target: closing, actions: [endRun('not-approved')] },
              },
            },
          }
        : {}),
      ...(production
        ? {
            confirm: {
              id: stateIds.confirm,
              meta: { kind: 'phase', phase: 'confirm' },
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
    active.after = {
      [scenario.deadlineMs]: [
        { guard: { type: 'mainStarted' }, target: ref(stateIds.cleanup), actions: [endRun('deadline')] },
        { target: closing, actions: [endRun('deadline')] },
      ],
    };
  }

  // A failed cleanup step never stops the rest of the cleanup.
  const cleanupChain = chain(scenario.cleanup, { target: closing }, 'continue');
  const firstCleanup = cleanupChain.initial ?? '_empty';
  const cleanup: StateConfig = {
    id: stateIds.cleanup,
    meta: { kind: 'phase', phase: 'cleanup' },
    initial: '_drain',
    entry: [{ type: 'cleanupStarted' }],
    states: {
      _drain: {
        invoke: { src: 'drainInFlight', onDone: { target: firstCleanup }, onError: { target: firstCleanup } },
      },
      ...cleanupChain.states,
    },
  };

  const machine: StateConfig = {
    id: 'drill',
    meta: scenarioMeta(scenario),
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
