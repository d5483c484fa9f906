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
  /** The evidence could not be written (disk full, I/O error): the run is left unfinished for `recover`. */
  evidenceNotWritten: 7,
  internal: 70,
  /** SIGHUP: the terminal went away (an ssh session dropped). */
  interruptedSighup: 129,
  interruptedSigint: 130,
  interruptedSigquit: 131,
  interruptedSigterm: 143,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export function exitCodeForVerdict(verdict: Verdict): ExitCode {
  return verdict === 'PASS' ? exitCodes.ok : exitCodes.notPassed;
}

/** Signals that end a run honestly (stop steps, run cleanup, seal), each with its exit code: 128 + number. */
export const signalExitCodes = {
  SIGHUP: exitCodes.interruptedSighup,
  SIGINT: exitCodes.interruptedSigint,
  SIGQUIT: exitCodes.interruptedSigquit,
  SIGTERM: exitCodes.interruptedSigterm,
} as const;

export type HandledSignal = keyof typeof signalExitCodes;
export const handledSignals = Object.keys(signalExitCodes) as HandledSignal[];

export function exitCodeForSignal(signal: string | undefined): ExitCode {
  return signalExitCodes[signal as HandledSignal] ?? exitCodes.interruptedSigterm;
}
