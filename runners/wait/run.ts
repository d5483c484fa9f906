/** The `wait` runner: a recorded pause. Being stopped early is not an error here; the engine judges it. */
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import type { WaitOptions } from './definition.js';

/** The `wait` runner. */
export function createWaitRunner(): TypedStepRunner<WaitOptions> {
  return { run: runWait };
}

async function runWait(ctx: ParsedAttemptContext<WaitOptions>): Promise<Observation> {
  const requestedMs = ctx.options.duration;
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
