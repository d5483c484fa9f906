/** Running a canary writer in a test: start it, let it write, stop it the way the engine does at T0. */
import type { AttemptClock, Observation } from '../../../src/runner-contract.js';
import type { Target } from '../../../src/scenario/types.js';
import { canaryReadRunner, canaryWriteRunner } from '../../../runners/canary/definition.js';
import { createTestAttempt, type TestAttempt } from '../attempt-context.js';

// Loaded before any test starts one: a writer begins at once, as the engine starts it, on any clock.
const writeRunner = await canaryWriteRunner.load();
const readRunner = await canaryReadRunner.load();

export interface RunningWriter {
  attempt: TestAttempt;
  /** Abort (the engine's `until: t0`) and wait for the writer to return. */
  stop(): Promise<Observation>;
}

export function startWriter(options: Record<string, unknown>, extra: { baseDir?: string; target?: Target; secrets?: Record<string, string>; clock?: AttemptClock } = {}): RunningWriter {
  const attempt = createTestAttempt({ options, ...(extra.baseDir ? { baseDir: extra.baseDir } : {}), ...(extra.target ? { target: extra.target } : {}), ...(extra.clock ? { clock: extra.clock } : {}) });
  attempt.ctx.secret = (name) => extra.secrets?.[name];
  const done = writeRunner.run(attempt.ctx);
  return {
    attempt,
    stop: async () => {
      attempt.controller.abort(new Error('until'));
      return done;
    },
  };
}

export async function read(options: Record<string, unknown>, extra: { baseDir?: string; target?: Target; secrets?: Record<string, string> } = {}): Promise<{ observation: Observation; result: Record<string, unknown> }> {
  const attempt = createTestAttempt({ options, ...(extra.baseDir ? { baseDir: extra.baseDir } : {}), ...(extra.target ? { target: extra.target } : {}) });
  attempt.ctx.secret = (name) => extra.secrets?.[name];
  const observation = await readRunner.run(attempt.ctx);
  const text = attempt.stdout.bytes().toString('utf8');
  return { observation, result: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * The measured RPO must bound the true one: true ∈ [rpoMs − uncertaintyMs, rpoMs]. The true loss window
 * is only known to lie in [t0 − cutEnd, t0 − cutStart]; `slackMs` covers millisecond rounding and the
 * writer's clock anchor.
 */
export function expectWithinUncertainty(result: Record<string, unknown>, t0: number, cutStart: number, cutEnd: number, slackMs = 5): void {
  const rpoMs = result['rpoMs'] as number;
  const uncertaintyMs = result['uncertaintyMs'] as number;
  const trueMin = t0 - cutEnd;
  const trueMax = t0 - cutStart;
  if (!(rpoMs + slackMs >= trueMin && rpoMs - uncertaintyMs - slackMs <= trueMax)) {
    throw new Error(`measured RPO ${rpoMs} ms (uncertainty ${uncertaintyMs} ms) does not bound the true RPO in [${trueMin}, ${trueMax}] ms`);
  }
}
