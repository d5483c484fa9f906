/** What the s3 and canary steps print: one JSON document on stdout, so `outputs: { x: { json: /pointer } }` can read it. */
import type { AttemptContext, Observation } from '../../src/runner-contract.js';
import { createCapture } from './capture.js';

/**
 * An observation whose stdout is `result` as JSON (also written to the step's log). `error` marks a
 * failed check or a failure to act; the JSON is printed either way, as evidence of what was seen.
 */
export function jsonObservation(
  ctx: Pick<AttemptContext, 'sink' | 'captureLimitBytes'>,
  result: Record<string, unknown>,
  details: Record<string, unknown>,
  error?: Observation['error'],
): Observation {
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const stdout = createCapture(ctx.captureLimitBytes);
  stdout.update(text);
  ctx.sink.stdout.write(text);
  return { stdout: stdout.result(), details, ...(error ? { error } : {}) };
}
