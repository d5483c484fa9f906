/** Exit codes: the one table. docs/exit-codes.md mirrors it; a test keeps the two in step. */
import type { Verdict } from '../evidence/run-record.js';

export const exitCodes = {
  ok: 0,
  /** FAIL, PARTIAL or INCONCLUSIVE. */
  notPassed: 1,
  /** Invalid input or usage; nothing ran. */
  invalidInput: 2,
  verificationFailed: 3,
  /** A precondition failed, a lock is held, or an unfinished run needs `recover`. */
  preconditionFailed: 4,
  overdue: 5,
  evidenceNotSealed: 6,
  internal: 70,
  interruptedSigint: 130,
  interruptedSigterm: 143,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export function exitCodeForVerdict(verdict: Verdict): ExitCode {
  return verdict === 'PASS' ? exitCodes.ok : exitCodes.notPassed;
}
