/** A claim someone is about to sign or write (an answer, an approval) checked with usage errors, never a crash. */
import type { ZodType } from 'zod';
import { DrillbookError } from '../errors.js';

export function checkedClaim<T>(schema: ZodType<T>, claim: unknown, what: string): T {
  const parsed = schema.safeParse(claim);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`);
  throw new DrillbookError('USAGE', `this ${what} cannot be written: ${problems.join('; ')}`, { hint: 'shorten or correct the values given' });
}
