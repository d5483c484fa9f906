/**
 * The `manual` runner: puts the step's question to a person through the engine and reports the answer. The
 * answer's JSON goes to stdout, so later steps read recorded values as outputs (`json: /inputs/ticket`).
 */
import type { Observation, ParsedAttemptContext, TypedStepRunner } from '../../src/runner-contract.js';
import { jsonObservation } from '../shared/json-report.js';
import type { ManualOptions } from './definition.js';

export function createManualRunner(): TypedStepRunner<ManualOptions> {
  return { run: runManual };
}

async function runManual(ctx: ParsedAttemptContext<ManualOptions>): Promise<Observation> {
  if (!ctx.ask) return { error: { code: 'NO_OPERATOR', message: 'manual: this run has no way to ask a person' } };
  const { instructions, confirm, assignee, record } = ctx.options;
  let answer;
  try {
    answer = await ctx.ask({ instructions, confirm, record, ...(assignee !== undefined ? { assignee } : {}) });
  } catch (error) {
    // Stopped before anyone answered (timeout, interrupt): the engine judges why.
    if (ctx.signal.aborted) return { details: { answered: false } };
    throw error;
  }
  const { outcome, by, at, comment, inputs, confirmed, keyid } = answer;
  const result = { outcome, by, at, ...(comment !== undefined ? { comment } : {}), inputs, confirmed, ...(keyid ? { keyid } : {}) };
  const failed = outcome === 'failed' ? { code: 'OPERATOR_FAILED', message: `failed by ${by}${comment ? `: ${comment}` : ''}`, judged: true as const } : undefined;
  return jsonObservation(ctx, result, { answered: true, answerFile: answer.file, answerSha256: answer.sha256 }, failed);
}
