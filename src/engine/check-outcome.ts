/**
 * What a step's check says about the step a crash cut short. Only a check that ran to its end and was judged
 * decides: passed, the work was done; failed on its expectation, it was not. A check that could not run, timed
 * out, was stopped or killed tells nothing, and nothing is assumed from it.
 */
import type { JournalEventData } from '../evidence/journal-events.js';

export type CheckOutcome = 'happened' | 'not-happened' | 'unknown';

export function checkOutcome(finished: Pick<JournalEventData<'attempt.finished'>, 'status' | 'reason' | 'signal'> | undefined): CheckOutcome {
  if (finished === undefined) return 'unknown';
  if (finished.status === 'passed') return 'happened';
  return finished.reason === 'expectation' && finished.signal === undefined ? 'not-happened' : 'unknown';
}
