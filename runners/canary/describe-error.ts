/** A canary failure for the record: the store's own error (S3, psql, the file system), named as such. */
import type { Observation } from '../../src/runner-contract.js';
import { describeS3Error } from '../shared/s3/errors.js';
import { StepError, stepErrorOf } from '../shared/step-error.js';

/** Code and text of a store error, without the runner's prefix. */
export function canaryErrorText(error: unknown): { code: string; text: string } {
  if (error instanceof StepError) return { code: error.code, text: error.message };
  // S3 errors carry the response metadata; they are described with the store's error code.
  if (error !== null && typeof error === 'object' && '$metadata' in error) {
    const described = describeS3Error(error, '-', '-');
    return { code: described.code, text: described.message.slice('-: -: '.length) };
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return { code: typeof code === 'string' ? `CANARY_${code.toUpperCase()}` : 'CANARY_STORE', text: error instanceof Error ? error.message : String(error) };
}

export function describeCanaryError(error: unknown, runner: string, what: string): NonNullable<Observation['error']> {
  const own = stepErrorOf(error, runner);
  if (own) return own;
  const { code, text } = canaryErrorText(error);
  return { code, message: `${runner}: ${what}: ${text}` };
}
