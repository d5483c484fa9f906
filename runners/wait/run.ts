/** The `wait` runner: a recorded pause. Being stopped early is not an error here; the engine judges it. */
import type { AttemptContext, Observation, StepRunner } from '../../src/runner-contract.js';
import { parseDuration } from '../../src/scenario/duration.js';
import { waitOptions } from './definition.js';

/** The `wait` runner. */
export function createWaitRunner(): StepRunner {
  return { run: runWait };
}

async function runWait(ctx: AttemptContext): Promise<Observation> {
  const parsed = waitOptions.safeParse(ctx.options);
  const requestedMs = parsed.success ? parseDuration(parsed.data.duration) : undefined;
  if (requestedMs === undefined) {
    return { error: { code: 'INVALID_OPTIONS', message: `wait: with.duration must be a duration such as 90s, got ${JSON.stringify(ctx.options['duration'])}` } };
  }
  const startedAt = ctx.clock.now();
  let completed = true;
  try {
    await ctx.clock.sleep(requestedMs, ctx.signal);
  } catch (error) {
    // The clock rejects on abort: resolve with what was waited.
    if (!ctx.signal.aborted) throw error;
    completed = false;
  }
  return { details: { requestedMs, waitedMs: Math.round(ctx.clock.now() - startedAt), completed } };
}
