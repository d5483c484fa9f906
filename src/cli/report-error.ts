/** Map errors to messages and exit codes; the only place that decides how a failure reads on a terminal. */
import { isDrillbookError, type ErrorCode } from '../errors.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

const codeFor: Record<ErrorCode, ExitCode> = {
  INVALID_SCENARIO: exitCodes.invalidInput,
  USAGE: exitCodes.invalidInput,
  PRECONDITION: exitCodes.preconditionFailed,
  LOCKED: exitCodes.preconditionFailed,
  UNFINISHED_RUN: exitCodes.preconditionFailed,
  EVIDENCE: exitCodes.evidenceNotSealed,
  VERIFICATION: exitCodes.verificationFailed,
  INTERNAL: exitCodes.internal,
};

export function reportError(error: unknown, io: CliIo): ExitCode {
  if (isDrillbookError(error)) {
    io.stderr(`drillbook: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
    return codeFor[error.code];
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr(`drillbook: internal error: ${text}\n`);
  return exitCodes.internal;
}
