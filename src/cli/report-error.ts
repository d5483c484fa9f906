/** Map errors to messages and exit codes; the only place that decides how a failure reads on a terminal. */
import { isDrillbookError, type ErrorCode } from '../errors.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { isStorageError } from '../engine/write-failure.js';

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

/** One line (and a hint) per failure; the stack trace only with `--debug` (or DRILLBOOK_DEBUG=1). */
export function reportError(error: unknown, io: CliIo, debug = false): ExitCode {
  if (isDrillbookError(error)) {
    io.stderr(`drillbook: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
    if (debug && error.cause instanceof Error && error.cause.stack) io.stderr(`${error.cause.stack}\n`);
    return codeFor[error.code];
  }
  if (isStorageError(error)) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const path = (error as NodeJS.ErrnoException).path;
    io.stderr(`drillbook: cannot write${path ? ` ${path}` : ''}: ${code} (${(error as Error).message.split(',')[0] ?? code})\n`);
    if (debug && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return exitCodes.evidenceNotWritten;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`drillbook: internal error: ${message.split('\n')[0] ?? message}\n`);
  if (debug) io.stderr(`${error instanceof Error ? (error.stack ?? message) : message}\n`);
  else io.stderr('  hint: this is a bug; run again with --debug for the stack trace and report it with the bundle\'s drillbook.log\n');
  return exitCodes.internal;
}
