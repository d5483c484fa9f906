/** The drillbook error family. A failed drill is a result, not an exception: these are for misuse and faults. */

const brand = Symbol.for('drillbook.error');

export const errorCodes = [
  'INVALID_SCENARIO',
  'USAGE',
  'PRECONDITION',
  'LOCKED',
  'UNFINISHED_RUN',
  'EVIDENCE',
  'VERIFICATION',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface DrillbookErrorOptions {
  /** The full message: the short one plus whatever context helps (lists of problems, paths). */
  details?: string;
  hint?: string;
  cause?: unknown;
}

export class DrillbookError extends Error {
  readonly [brand] = true;
  readonly code: ErrorCode;
  readonly shortMessage: string;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: DrillbookErrorOptions = {}) {
    super(options.details ? `${message}\n${options.details}` : message, { cause: options.cause });
    this.name = 'DrillbookError';
    this.code = code;
    this.shortMessage = message;
    this.hint = options.hint;
  }
}

/** True for drillbook errors, also across copies of the package. */
export function isDrillbookError(value: unknown): value is DrillbookError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
