/**
 * The engine's XState machine: the compiled config (plain data) bound to named implementations.
 * Flow and time live in the machine; facts live in the run state the hooks write to.
 */
import { enqueueActions, fromPromise, setup, type AnyStateMachine } from 'xstate';
import type { EndReason, StepStatus } from '../evidence/run-record.js';
import type { CompiledScenario } from '../scenario/compile.js';
import type { Mark } from '../scenario/types.js';

export type AbortReason = 'timeout' | 'cancelled' | 'until' | 'end-of-steps';

/** What the machine asks of the run it drives. */
export interface EngineHooks {
  stepStarted(stepId: string): void;
  markReached(mark: Mark, stepId: string): void;
  /** One attempt, judged. Resolves once the work has really stopped. */
  runAttempt(stepId: string): Promise<{ ok: boolean }>;
  abortAttempt(stepId: string, reason: AbortReason): void;
  /** The attempt did not stop within the grace after its timeout. */
  attemptAbandoned(stepId: string): void;
  lastAttemptPassed(stepId: string): boolean;
  attemptsMade(stepId: string): number;
  stepFinished(stepId: string, status: StepStatus): void;
  stepStatus(stepId: string): StepStatus | undefined;
  stepContinuesOnError(stepId: string): boolean;
  endRun(reason: EndReason): void;
  mainStarted(): void;
  hasMainStarted(): boolean;
  cleanupStarted(): void;
  /** Wait until every attempt still in flight has stopped. */
  drainInFlight(): Promise<void>;
  confirmProduction(): Promise<boolean>;
}

type Params = Record<string, unknown>;
const param = (params: unknown, key: string): string => String((params as Params)[key]);

export function createDrillMachine(compiled: CompiledScenario, hooks: EngineHooks): AnyStateMachine {
  const untilReached = new Set<string>();
  let confirmed = false;

  const machineSetup = setup({
    types: {},
    actors: {
      runAttempt: fromPromise<{ ok: boolean }, { stepId: string }>(({ input }) => hooks.runAttempt(input.stepId)),
      drainInFlight: fromPromise<void>(() => hooks.drainInFlight()),
      confirmProduction: fromPromise<boolean>(async () => {
        confirmed = await hooks.confirmProduction();
        return confirmed;
      }),
    },
    actions: {
      stepStarted: (_, params: Params) => hooks.stepStarted(param(params, 'stepId')),
      markReached: enqueueActions(({ enqueue }, params: Params) => {
        const mark = param(params, 'mark') as Mark;
        enqueue(() => hooks.markReached(mark, param(params, 'stepId')));
        enqueue.raise({ type: 'MARK', mark } as { type: string });
        // enqueueActions' inferred actor types do not line up with setup()'s under exactOptionalPropertyTypes.
      }) as never,
      startBackground: enqueueActions(({ enqueue }, params: Params) => {
        enqueue.raise({ type: 'BACKGROUND.START', stepId: param(params, 'stepId') } as { type: string });
      }) as never,
      stopBackground: (_, params: Params) => {
        for (const stepId of (params['stepIds'] as string[] | undefined) ?? []) hooks.abortAttempt(stepId, 'end-of-steps');
      },
      untilReached: (_, params: Params) => {
        const stepId = param(params, 'stepId');
        untilReached.add(stepId);
        hooks.abortAttempt(stepId, 'until');
      },
      attemptSettled: () => undefined,
      attemptCrashed: () => undefined,
      abortAttempt: (_, params: Params) => hooks.abortAttempt(param(params, 'stepId'), param(params, 'reason') as AbortReason),
      attemptAbandoned: (_, params: Params) => hooks.attemptAbandoned(param(params, 'stepId')),
      stepFinished: (_, params: Params) => hooks.stepFinished(param(params, 'stepId'), param(params, 'status') as StepStatus),
      endRun: (_, params: Params) => hooks.endRun(param(params, 'reason') as EndReason),
      mainStarted: () => hooks.mainStarted(),
      cleanupStarted: () => hooks.cleanupStarted(),
      groupStarted: () => undefined,
    },
    guards: {
      lastAttemptPassed: (_, params: Params) => hooks.lastAttemptPassed(param(params, 'stepId')),
      attemptsLeft: (_, params: Params) => hooks.attemptsMade(param(params, 'stepId')) < Number(params['attempts']),
      untilWasReached: (_, params: Params) => untilReached.has(param(params, 'stepId')),
      markIs: ({ event }, params: Params) => event.mark === params['mark'],
      isStep: ({ event }, params: Params) => event.stepId === params['stepId'],
      stepsPassed: (_, params: Params) =>
        ((params['stepIds'] as string[] | undefined) ?? []).every(
          (id) => hooks.stepStatus(id) === 'passed' || hooks.stepContinuesOnError(id),
        ),
      mainStarted: () => hooks.hasMainStarted(),
      confirmed: () => confirmed,
    },
  });
  // The compiled config names only the implementations above; its shape is checked by the compiler's tests.
  return machineSetup.createMachine(compiled.machine);
}
