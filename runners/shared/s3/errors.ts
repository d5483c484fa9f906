/** Failures of an s3 step, with a code for the record and a message that never carries a credential. */
import type { Observation } from '../../../src/runner-contract.js';
import { stepErrorOf } from '../step-error.js';
import { errorCode, httpStatusOf } from './retry.js';

/** True when S3 said the object (or version, or bucket) is not there. */
export function isNotFound(error: unknown): boolean {
  const code = errorCode(error);
  return httpStatusOf(error) === 404 || code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchVersion';
}

/** True when the request was cut short by the step's abort signal. */
export function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || errorCode(error) === 'AbortError';
}

/** An observation error from anything an s3 step threw. */
export function describeS3Error(error: unknown, runner: string, what: string): NonNullable<Observation['error']> {
  const own = stepErrorOf(error, runner);
  if (own) return own;
  const code = errorCode(error);
  const status = httpStatusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: `S3_${code.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`,
    message: `${runner}: ${what}: ${code}${status === undefined ? '' : ` (HTTP ${status})`}${message && message !== code ? `: ${message}` : ''}`,
  };
}
