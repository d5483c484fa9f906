/**
 * What a compiled machine may name: every action, guard and actor with its parameters. The compiler emits
 * only these; the engine implements exactly these (a type error on either side when they drift).
 */
import type { Mark } from './types.js';

export type EndRunReason = 'completed' | 'step-failed' | 'precondition-failed' | 'not-confirmed' | 'not-approved' | 'deadline' | 'signal' | 'write-failed';
export type AbortReason = 'timeout' | 'cancelled' | 'until' | 'end-of-steps';
export type FinishedStatus = 'passed' | 'failed';

export interface ActionParams {
  stepStarted: { stepId: string };
  /** Counts the attempt about to start (entry of the attempt state, before its actor is invoked). */
  attemptBegun: { stepId: string };
  attemptSettled: { stepId: string };
  /** The attempt actor itself failed (a fault of ours): the attempt is recorded as an internal error. */
  attemptCrashed: { stepId: string };
  abortAttempt: { stepId: string; reason: AbortReason };
  /** The attempt did not stop within the grace after its timeout. */
  attemptAbandoned: { stepId: string };
  markReached: { mark: Mark; stepId: string };
  startBackground: { stepId: string };
  stopBackground: { stepIds: string[] };
  untilReached: { stepId: string };
  stepFinished: { stepId: string; status: FinishedStatus };
  endRun: { reason: EndRunReason };
  mainStarted: Record<string, never>;
  cleanupStarted: Record<string, never>;
}

export interface GuardParams {
  lastAttemptPassed: { stepId: string };
  attemptsLeft: { stepId: string; attempts: number };
  untilWasReached: { stepId: string };
  markIs: { mark: Mark };
  isStep: { stepId: string };
  /** Every listed step passed (members that continue on error are not listed). */
  stepsPassed: { stepIds: string[] };
  mainStarted: Record<string, never>;
  /** The production confirmation's answer (the actor's output) was yes. */
  confirmed: Record<string, never>;
  /** The approvals reached their quorum (the actor's output). */
  approved: Record<string, never>;
}

export interface ActorInputs {
  runAttempt: { stepId: string };
  drainInFlight: Record<string, never>;
  confirmProduction: Record<string, never>;
  awaitApprovals: Record<string, never>;
}

export type ActionName = keyof ActionParams;
export type GuardName = keyof GuardParams;
export type ActorName = keyof ActorInputs;

// Records, so that adding a name to the interfaces above without listing it here is a type error.
const actionSet: Record<ActionName, true> = {
  stepStarted: true,
  attemptBegun: true,
  attemptSettled: true,
  attemptCrashed: true,
  abortAttempt: true,
  attemptAbandoned: true,
  markReached: true,
  startBackground: true,
  stopBackground: true,
  untilReached: true,
  stepFinished: true,
  endRun: true,
  mainStarted: true,
  cleanupStarted: true,
};
const guardSet: Record<GuardName, true> = {
  lastAttemptPassed: true,
  attemptsLeft: true,
  untilWasReached: true,
  markIs: true,
  isStep: true,
  stepsPassed: true,
  mainStarted: true,
  confirmed: true,
  approved: true,
};
const actorSet: Record<ActorName, true> = { runAttempt: true, drainInFlight: true, confirmProduction: true, awaitApprovals: true };
export const actionNames = Object.keys(actionSet) as ActionName[];
export const guardNames = Object.keys(guardSet) as GuardName[];
export const actorNames = Object.keys(actorSet) as ActorName[];

export type ActionRef = { [K in ActionName]: ActionParams[K] extends Record<string, never> ? { type: K } : { type: K; params: ActionParams[K] } }[ActionName];
export type GuardRef = { [K in GuardName]: GuardParams[K] extends Record<string, never> ? { type: K } : { type: K; params: GuardParams[K] } }[GuardName];
export type InvokeRef = { [K in ActorName]: ActorInputs[K] extends Record<string, never> ? { src: K } : { src: K; input: ActorInputs[K] } }[ActorName];

