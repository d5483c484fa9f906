/**
 * The engine's XState machine: the compiled config (plain data) bound to the implementations it names.
 * The machine owns the run's state in its context (attempts, judgements, statuses, marks, how the run ends);
 * journal writes and stops go through the services it is given.
 */
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { EndReason, StepStatus } from '../evidence/run-record.js';
import type { CompiledScenario, StateConfig } from '../scenario/compile.js';
import type { AbortReason, ActionParams, GuardParams } from '../scenario/machine-vocabulary.js';
import type { Mark, Phase } from '../scenario/types.js';
import type { AttemptInput, AttemptResult } from './attempt.js';

export interface StepState {
  phase: Phase;
  /** Attempts made so far (those of the journal being continued included). */
  attempts: number;
  startedT?: number;
  status?: StepStatus;
  last?: AttemptResult;
  /** Outputs of the passing attempt. */
  outputs: Record<string, string>;
  untilReached: boolean;
}

export interface DrillContext {
  steps: Record<string, StepState>;
  /** Run time (ms) at which each mark was reached. */
  marks: Partial<Record<Mark, number>>;
  endReason?: EndReason;
  mainStarted: boolean;
  deviations: string[];
}

export type DrillEvent =
  | { type: 'INTERRUPT'; signal: string }
  | { type: 'WRITE.FAILED' }
  | { type: 'MARK'; mark: Mark }
  | { type: 'BACKGROUND.START'; stepId: string }
  /** An attempt that settled after its state was left (it was cancelled); its result still counts. */
  | { type: 'ATTEMPT.LATE'; stepId: string; result: AttemptResult };

/** What the machine needs from the run it drives. */
export interface DrillServices {
  /** Run time now: ms since the run started, monotonic. */
  t(): number;
  runAttempt(input: AttemptInput, signal: AbortSignal): Promise<AttemptResult>;
  abortAttempt(stepId: string, reason: AbortReason): void;
  drain(): Promise<void>;
  confirm(): Promise<boolean>;
  /** Wait for the scenario's approvals: true once their quorum signed, false at their timeout. */
  awaitApprovals(signal: AbortSignal): Promise<boolean>;
  stepStarted(stepId: string, phase: Phase, t: number): void;
  markReached(mark: Mark, stepId: string, t: number): void;
  stepFinished(stepId: string, status: StepStatus, last: AttemptResult | undefined, outputs: Record<string, string>): void;
  cleanupStarted(endReason: EndReason | undefined): void;
  /** A fault of ours inside the machine: logged with its cause. */
  internalFault(stepId: string, error: unknown): void;
}

const stepOf = (context: DrillContext, stepId: string): StepState => {
  const found = context.steps[stepId];
  if (!found) throw new Error(`the compiled machine names step ${stepId}, which the scenario does not have`);
  return found;
};

const updateStep = (context: DrillContext, stepId: string, change: Partial<StepState>): DrillContext['steps'] => ({
  ...context.steps,
  [stepId]: { ...stepOf(context, stepId), ...change },
});

export function createDrillMachine(compiled: CompiledScenario, services: DrillServices, initial: DrillContext) {
  const machineSetup = setup({
    types: { context: {} as DrillContext, events: {} as DrillEvent },
    actors: {
      runAttempt: fromPromise<AttemptResult, AttemptInput>(({ input, signal }) => services.runAttempt(input, signal)),
      drainInFlight: fromPromise<void>(() => services.drain()),
      confirmProduction: fromPromise<boolean>(() => services.confirm()),
      awaitApprovals: fromPromise<boolean>(({ signal }) => services.awaitApprovals(signal)),
    },
    actions: {
      stepStarted: enqueueActions(({ context, enqueue }, params: ActionParams['stepStarted']) => {
        const t = services.t();
        const phase = stepOf(context, params.stepId).phase;
        enqueue.assign({ steps: updateStep(context, params.stepId, { startedT: t }) });
        enqueue(() => services.stepStarted(params.stepId, phase, t));
      }),
      attemptBegun: assign(({ context }, params: ActionParams['attemptBegun']) => ({
        steps: updateStep(context, params.stepId, { attempts: stepOf(context, params.stepId).attempts + 1 }),
      })),
      attemptSettled: assign(({ context, event }, params: ActionParams['attemptSettled']) => {
        const result = (event as unknown as { output: AttemptResult }).output;
        return { steps: updateStep(context, params.stepId, { last: result, ...(result.ok ? { outputs: result.outputs } : {}) }) };
      }),
      attemptCrashed: enqueueActions(({ context, event, enqueue }, params: ActionParams['attemptCrashed']) => {
        const error = (event as unknown as { error: unknown }).error;
        const last: AttemptResult = { ok: false, reason: 'error', code: 'INTERNAL', message: `internal error: ${String(error)}`, endT: services.t(), outputs: {} };
        enqueue.assign({ steps: updateStep(context, params.stepId, { last }) });
        enqueue(() => services.internalFault(params.stepId, error));
      }),
      abortAttempt: (_, params: ActionParams['abortAttempt']) => services.abortAttempt(params.stepId, params.reason),
      attemptAbandoned: assign(({ context }, params: ActionParams['attemptAbandoned']) => ({
        steps: updateStep(context, params.stepId, {
          last: { ok: false, reason: 'timeout', message: 'the step did not stop after its timeout', endT: services.t(), outputs: {} },
        }),
        deviations: [...context.deviations, `step ${params.stepId}: its runner did not stop after the timeout; the work may still be running`],
      })),
      markReached: enqueueActions(({ context, enqueue }, params: ActionParams['markReached']) => {
        const step = stepOf(context, params.stepId);
        // T0 is when the disaster step starts; recovery is when the passing attempt of its step ended.
        const t = (params.mark === 't0' ? step.startedT : step.last?.endT) ?? services.t();
        // A step run again by resume does not move a mark its first run reached.
        if (context.marks[params.mark] === undefined) {
          enqueue.assign({ marks: { ...context.marks, [params.mark]: t } });
          enqueue(() => services.markReached(params.mark, params.stepId, t));
        }
        enqueue.raise({ type: 'MARK', mark: params.mark });
      }),
      startBackground: enqueueActions(({ enqueue }, params: ActionParams['startBackground']) => {
        enqueue.raise({ type: 'BACKGROUND.START', stepId: params.stepId });
      }),
      stopBackground: (_, params: ActionParams['stopBackground']) => {
        for (const stepId of params.stepIds) services.abortAttempt(stepId, 'end-of-steps');
      },
      untilReached: enqueueActions(({ context, enqueue }, params: ActionParams['untilReached']) => {
        enqueue.assign({ steps: updateStep(context, params.stepId, { untilReached: true }) });
        enqueue(() => services.abortAttempt(params.stepId, 'until'));
      }),
      stepFinished: enqueueActions(({ context, enqueue }, params: ActionParams['stepFinished']) => {
        const step = stepOf(context, params.stepId);
        enqueue.assign({ steps: updateStep(context, params.stepId, { status: params.status }) });
        enqueue(() => services.stepFinished(params.stepId, params.status, step.last, step.outputs));
      }),
      endRun: assign(({ context }, params: ActionParams['endRun']) => ({ endReason: context.endReason ?? params.reason })),
      mainStarted: assign({ mainStarted: true }),
      cleanupStarted: ({ context }) => services.cleanupStarted(context.endReason),
      attemptSettledLate: assign(({ context, event }) => {
        if (event.type !== 'ATTEMPT.LATE') return {};
        const step = context.steps[event.stepId];
        if (!step || step.status !== undefined) return {};
        return { steps: updateStep(context, event.stepId, { last: event.result, ...(event.result.ok ? { outputs: event.result.outputs } : {}) }) };
      }),
    },
    guards: {
      lastAttemptPassed: ({ context }, params: GuardParams['lastAttemptPassed']) => stepOf(context, params.stepId).last?.ok === true,
      attemptsLeft: ({ context }, params: GuardParams['attemptsLeft']) => stepOf(context, params.stepId).attempts < params.attempts,
      untilWasReached: ({ context }, params: GuardParams['untilWasReached']) => stepOf(context, params.stepId).untilReached,
      markIs: ({ event }, params: GuardParams['markIs']) => event.type === 'MARK' && event.mark === params.mark,
      isStep: ({ event }, params: GuardParams['isStep']) => event.type === 'BACKGROUND.START' && event.stepId === params.stepId,
      stepsPassed: ({ context }, params: GuardParams['stepsPassed']) => params.stepIds.every((id) => context.steps[id]?.status === 'passed'),
      mainStarted: ({ context }) => context.mainStarted,
      confirmed: ({ event }) => (event as unknown as { output?: unknown }).output === true,
      approved: ({ event }) => (event as unknown as { output?: unknown }).output === true,
    },
  });
  const config = {
    ...bindAttemptInputs(compiled.machine),
    context: initial,
    on: { 'ATTEMPT.LATE': { actions: 'attemptSettledLate' } },
  };
  // The compiled config is plain data typed by machine-vocabulary.ts (a test checks that the machine
  // implements exactly the vocabulary); XState's own config type cannot be derived from that data.
  return machineSetup.createMachine(config as unknown as Parameters<typeof machineSetup.createMachine>[0]);
}

/** Implementation names besides the vocabulary: events the engine itself sends. */
export const engineOnlyActions = ['attemptSettledLate'] as const;

/** The attempt actor's input comes from the context (attempt number, outputs, marks): bound here, not in the data. */
function bindAttemptInputs(state: StateConfig): Record<string, unknown> {
  const bound: Record<string, unknown> = { ...state };
  if (state.invoke?.src === 'runAttempt') {
    const stepId = state.invoke.input.stepId;
    bound['invoke'] = {
      ...state.invoke,
      input: ({ context }: { context: DrillContext }): AttemptInput => ({
        stepId,
        attempt: stepOf(context, stepId).attempts,
        outputs: Object.fromEntries(Object.entries(context.steps).filter(([, s]) => s.status === 'passed').map(([id, s]) => [id, s.outputs])),
        marks: context.marks,
      }),
    };
  }
  if (state.states) bound['states'] = Object.fromEntries(Object.entries(state.states).map(([key, child]) => [key, bindAttemptInputs(child)]));
  return bound;
}

/** Steps that started and never finished (cancelled by an interrupt, or still stopping): their final status. */
export function unfinishedSteps(context: DrillContext, stillRunning: readonly string[]): { stepId: string; status: StepStatus }[] {
  return Object.entries(context.steps)
    .filter(([, s]) => s.startedT !== undefined && s.status === undefined)
    .map(([stepId, s]) => ({ stepId, status: s.last?.ok === true && !stillRunning.includes(stepId) ? 'passed' : 'cancelled' }));
}
