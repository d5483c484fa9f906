/** A canary failure for the record: the store's own error (S3, psql, the file system), named as such. */
import type { Observation } from '../../src/runner-contract.js';
import { describeS3Error } from '../shared/s3/errors.js';
import { stepErrorOf } from '../shared/step-error.js';

export function describeCanaryError(error: unknown, runner: string, what: string): NonNullable<Observation['error']> {
  const own = stepErrorOf(error, runner);
  if (own) return own;
  // S3 errors carry the response metadata; they are described with the store's error code.
  if (error !== null && typeof error === 'object' && '$metadata' in error) return describeS3Error(error, runner, what);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { code: typeof code === 'string' ? `CANARY_${code.toUpperCase()}` : 'CANARY_STORE', message: `${runner}: ${what}: ${message}` };
}
