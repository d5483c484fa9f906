/** A failure a runner reports as it is: a code for the record and a message that never carries a secret. */
export class StepError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StepError';
    this.code = code;
  }
}

/** `error` as an observation error when it is a StepError, its message prefixed with the runner's name. */
export function stepErrorOf(error: unknown, runner: string): { code: string; message: string } | undefined {
  if (!(error instanceof StepError)) return undefined;
  return { code: error.code, message: error.message.startsWith(`${runner}:`) ? error.message : `${runner}: ${error.message}` };
}
