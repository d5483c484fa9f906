/**
 * The verdict, decided in one place. Precedence: ABORTED, then FAIL, then PARTIAL, then INCONCLUSIVE.
 * A mandatory check that did not run never yields PASS.
 */
import type { EndReason, ObjectiveRecord, StepRecord, Verdict } from '../evidence/run-record.js';

export interface VerdictInput {
  endReason: EndReason;
  steps: readonly StepRecord[];
  cleanup: readonly StepRecord[];
  objectives: Record<string, ObjectiveRecord | undefined>;
}

export function decideVerdict(input: VerdictInput): { verdict: Verdict; reasons: string[] } {
  const aborted: string[] = [];
  const fail: string[] = [];
  const partial: string[] = [];
  const inconclusive: string[] = [];

  switch (input.endReason) {
    case 'signal':
      aborted.push('interrupted by a signal');
      break;
    case 'deadline':
      aborted.push('the run deadline passed');
      break;
    case 'crashed':
      aborted.push('the run crashed and was closed by recover');
      break;
    case 'not-confirmed':
      aborted.push('the production run was not confirmed');
      break;
    case 'precondition-failed':
      inconclusive.push('a precondition failed: the drill did not run');
      break;
    default:
      break;
  }

  for (const step of input.steps) {
    const label = `${step.phase === 'preconditions' ? 'precondition' : 'step'} ${step.id}`;
    if (step.status === 'failed') {
      if (step.phase === 'preconditions') continue;
      (step.continueOnError ? partial : fail).push(`${label} failed${step.message ? `: ${step.message}` : ''}`);
    } else if (step.status === 'cancelled') {
      inconclusive.push(`${label} was cancelled`);
    } else if (step.status === 'not-run' && step.phase === 'steps' && input.endReason === 'completed') {
      // Safety net: a run that claims completion with a step never started is not a PASS.
      inconclusive.push(`${label} did not run`);
    }
  }
  const sideEffectsStarted = input.steps.some((s) => s.phase === 'steps' && s.status !== 'not-run');
  for (const step of input.cleanup) {
    if (step.status === 'failed' || step.status === 'cancelled' || (step.status === 'not-run' && sideEffectsStarted)) {
      partial.push(`cleanup ${step.id} ${step.status === 'not-run' ? 'did not run' : step.status}`);
    }
  }
  for (const [name, objective] of Object.entries(input.objectives)) {
    if (objective?.status === 'missed') fail.push(`${name.toUpperCase()} missed`);
    if (objective?.status === 'not-measured') inconclusive.push(`${name.toUpperCase()} not measured`);
  }

  if (aborted.length) return { verdict: 'ABORTED', reasons: [...aborted, ...fail, ...partial, ...inconclusive] };
  if (fail.length) return { verdict: 'FAIL', reasons: [...fail, ...partial, ...inconclusive] };
  if (partial.length) return { verdict: 'PARTIAL', reasons: [...partial, ...inconclusive] };
  if (inconclusive.length) return { verdict: 'INCONCLUSIVE', reasons: inconclusive };
  return { verdict: 'PASS', reasons: [] };
}
