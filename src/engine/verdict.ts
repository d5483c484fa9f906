/**
 * The verdict, decided in one place. Precedence: ABORTED, then FAIL, then PARTIAL, then INCONCLUSIVE.
 * A mandatory check that did not run never yields PASS.
 */
import { exitCheckLabels, type ExitCheckRecord } from '../evidence/exit-record.js';
import type { EndReason, ObjectiveRecord, ReadinessRecord, StepRecord, Verdict } from '../evidence/run-record.js';
import type { ExitCheck } from '../scenario/types.js';

export interface VerdictInput {
  endReason: EndReason;
  steps: readonly StepRecord[];
  cleanup: readonly StepRecord[];
  objectives: Record<string, ObjectiveRecord | undefined>;
  /** The exit-readiness checklist of a `kind: exit` run; it judges the exit period too. */
  exitChecklist?: readonly ExitCheckRecord[];
  /** The readiness phase before the first step. */
  readiness?: ReadinessRecord;
}

const objectiveNames: Record<string, string> = { rto: 'RTO', rpo: 'RPO', exitPeriod: 'exit period' };

/** A missed item that means the data cannot leave whole or in time fails the run; the others make it partial. */
const failingChecks: readonly ExitCheck[] = ['complete', 'integral', 'reimport', 'within-period'];

/** Cleanup steps that did not pass although side effects had started. */
export function incompleteCleanup(steps: readonly StepRecord[], cleanup: readonly StepRecord[]): StepRecord[] {
  const sideEffectsStarted = steps.some((s) => s.phase === 'steps' && s.status !== 'not-run');
  if (!sideEffectsStarted) return [];
  return cleanup.filter((s) => s.status !== 'passed');
}

export function decideVerdict(input: VerdictInput): { verdict: Verdict; reasons: string[] } {
  const aborted: string[] = [];
  const failures: string[] = [];
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
    case 'write-failed':
      aborted.push('the evidence could not be written: the steps were stopped and the cleanup ran');
      break;
    case 'not-confirmed':
      aborted.push('the production run was not confirmed');
      break;
    case 'not-approved':
      aborted.push('the approvals did not reach their quorum in time: no step ran');
      break;
    case 'precondition-failed':
      if (input.readiness && !input.readiness.ok) {
        const failed = input.readiness.checks.filter((c) => !c.ok).map((c) => `${c.runner} ${c.target}`);
        inconclusive.push(`the readiness check failed (${failed.join(', ')}): the drill did not run`);
      } else inconclusive.push('a precondition failed: the drill did not run');
      break;
    default:
      break;
  }

  for (const step of input.steps) {
    const label = `${step.phase === 'preconditions' ? 'precondition' : 'step'} ${step.id}`;
    if (step.status === 'failed') {
      if (step.phase === 'preconditions') continue;
      (step.continueOnError ? partial : failures).push(`${label} failed${step.message ? `: ${step.message}` : ''}`);
    } else if (step.status === 'cancelled') {
      inconclusive.push(`${label} was cancelled`);
    } else if (step.status === 'not-run' && step.phase === 'steps' && input.endReason === 'completed') {
      // Safety net: a run that claims completion with a step never started is not a PASS.
      inconclusive.push(`${label} did not run`);
    }
  }
  // A cleanup that did not complete may leave production failed over: never a mild verdict.
  for (const step of incompleteCleanup(input.steps, input.cleanup)) {
    failures.push(`cleanup ${step.id} ${step.status === 'not-run' ? 'did not run' : step.status}: the environment may be inconsistent`);
  }
  for (const [name, objective] of Object.entries(input.objectives)) {
    // The checklist's within-period item says the same with the figures; one reason is enough.
    if (name === 'exitPeriod' && input.exitChecklist) continue;
    const label = objectiveNames[name] ?? name;
    if (objective?.status === 'missed') failures.push(`${label} missed`);
    if (objective?.status === 'not-measured') inconclusive.push(`${label} not measured`);
  }
  for (const item of input.exitChecklist ?? []) {
    const label = exitCheckLabels[item.check];
    if (item.status === 'missed') (failingChecks.includes(item.check) ? failures : partial).push(`${label} missed: ${item.summary}`);
    // Not covered and not required: the report shows it; the verdict does not depend on it.
    else if (item.status === 'not-covered' && item.required) inconclusive.push(`${label} not covered (required): ${item.summary}`);
  }

  if (aborted.length) return { verdict: 'ABORTED', reasons: [...aborted, ...failures, ...partial, ...inconclusive] };
  if (failures.length) return { verdict: 'FAIL', reasons: [...failures, ...partial, ...inconclusive] };
  if (partial.length) return { verdict: 'PARTIAL', reasons: [...partial, ...inconclusive] };
  if (inconclusive.length) return { verdict: 'INCONCLUSIVE', reasons: inconclusive };
  return { verdict: 'PASS', reasons: [] };
}
